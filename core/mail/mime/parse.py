"""parse_mail: one raw message to a ParsedMail, never raising; forwarded mail and the fallback for the unparseable."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from core.mail.mime.attachments import _bodies
from core.mail.mime.decoding import _clean_str, _decode_transfer, decode_bytes
from core.mail.mime.headers import (
    _LINE_BREAK,
    _addresses,
    _header_text,
    _join_header,
    _msgid_list,
    _normalize_msgid,
    _parse_date,
    _unfold,
    decode_header_value,
)
from core.mail.mime.model import (
    MAX_DEFECTS,
    MAX_FORWARD_NESTING,
    MAX_HEADER_VALUE,
    MAX_SUBJECT,
    ROUTING_HEADERS,
    AttachmentInfo,
    ParsedMail,
)
from core.mail.mime.structure import _Leaf, _line_ends_fixed, _normalize_raw, _scan


def parse_mail(raw: bytes) -> ParsedMail:
    """Parse one raw message; never raises, whatever the input."""
    data = _normalize_raw_safely(raw)
    content_hash = hashlib.sha256(data).hexdigest()
    defects: list[str] = []
    try:
        return _parse(data, content_hash, defects)
    except Exception as exc:
        defects.append(f"parse-error:{type(exc).__name__}")
        return _fallback(data, content_hash, defects)


def _normalize_raw_safely(raw: Any) -> bytes:
    try:
        return _normalize_raw(raw)
    except Exception:
        return b""


def _fallback(data: bytes, content_hash: str, defects: list[str]) -> ParsedMail:
    text = ""
    try:
        text = _clean_str(decode_bytes(data)).replace("\r\n", "\n")
    except Exception:
        defects.append("undecodable")
    return ParsedMail(
        message_id=None,
        in_reply_to=None,
        references=(),
        subject="",
        from_name="",
        from_addr="",
        to=(),
        cc=(),
        reply_to=(),
        date=None,
        headers={},
        text=text,
        html=None,
        attachments=(),
        defects=_dedupe(defects),
        content_hash=content_hash,
        size=len(data),
    )


def _dedupe(defects: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(defects))[:MAX_DEFECTS]


def _parse(data: bytes, content_hash: str, defects: list[str], nesting: int = 0) -> ParsedMail:
    if not data.strip():
        defects.append("empty")
    if b"\x00" in data:
        defects.append("nul-bytes")
    scan_data = _line_ends_fixed(data)
    top_headers, leaves = _scan(scan_data, defects)

    first: dict[str, bytes] = {}
    for name, chunks in top_headers:
        if name not in first:
            first[name] = _join_header(chunks)

    def text_of(name: str) -> str | None:
        value = first.get(name)
        return None if value is None else _unfold(_clean_str(_header_text(value, defects)))

    subject_raw = text_of("subject")
    subject = ""
    if subject_raw is not None:
        subject = _clean_str(decode_header_value(subject_raw, defects))  # text_of unfolded it
        subject = _LINE_BREAK.sub(" ", subject).replace("\t", " ").strip()
        if len(subject) > MAX_SUBJECT:
            defects.append("subject-truncated")
            subject = subject[:MAX_SUBJECT]

    message_id = _normalize_msgid(text_of("message-id"))
    if message_id is None:
        defects.append("missing-message-id")
    in_reply_to = _normalize_msgid(text_of("in-reply-to"))
    references = _msgid_list(text_of("references") or "", defects)

    senders = _addresses(text_of("from"), "from", defects)
    if not senders:
        defects.append("missing-from")
    from_name, from_addr = senders[0] if senders else ("", "")

    headers: dict[str, str] = {}
    for name in ROUTING_HEADERS:
        value = text_of(name)
        if value is not None:
            decoded = _clean_str(decode_header_value(value, defects))
            headers[name] = _LINE_BREAK.sub(" ", decoded).strip()[:MAX_HEADER_VALUE]

    text, html, attachments = _bodies(scan_data, leaves, defects)
    if not text.strip() and nesting < MAX_FORWARD_NESTING:
        text = _forwarded_text(scan_data, leaves, attachments, nesting) or text

    return ParsedMail(
        message_id=message_id,
        in_reply_to=in_reply_to,
        references=references,
        subject=subject,
        from_name=from_name,
        from_addr=from_addr,
        to=_addresses(text_of("to"), "to", defects),
        cc=_addresses(text_of("cc"), "cc", defects),
        reply_to=_addresses(text_of("reply-to"), "reply-to", defects),
        date=_parse_date(text_of("date"), defects),
        headers=headers,
        text=text,
        html=html,
        attachments=attachments,
        defects=_dedupe(defects),
        content_hash=content_hash,
        size=len(data),
    )


def _forwarded_text(raw: bytes, leaves: list[_Leaf], attachments: Sequence[AttachmentInfo], nesting: int) -> str:
    """The text of the first attached message, for mail forwarded as an attachment with no text of its own."""
    forwarded = next((a for a in attachments if a.content_type == "message/rfc822"), None)
    if forwarded is None:
        return ""
    leaf = next(leaf for leaf in leaves if leaf.path == forwarded.part_path)
    inner_raw, _ = _decode_transfer(raw[leaf.body_start : leaf.body_end], leaf.cte)
    inner = _parse(inner_raw, "", [], nesting + 1)
    lines = ["---------- Forwarded message ----------"]
    if inner.from_addr:
        lines.append(f"From: {inner.from_name} <{inner.from_addr}>" if inner.from_name else f"From: {inner.from_addr}")
    if inner.date is not None:
        lines.append(f"Date: {inner.date.isoformat(sep=' ')}")
    if inner.subject:
        lines.append(f"Subject: {inner.subject}")
    return "\n".join(lines) + "\n\n" + inner.text
