"""Body or attachment: which parts are the text and which are files, their names and sizes, decoding one on
demand, and safe names to save one under."""

from __future__ import annotations

import mimetypes
import re
import unicodedata
from email.message import Message

from core.mail.mime.body_text import _leaf_text, html_to_text
from core.mail.mime.decoding import _clean_str, _decode_transfer
from core.mail.mime.headers import _unfold, decode_header_value
from core.mail.mime.model import MAX_FILENAME_BYTES, AttachmentInfo
from core.mail.mime.structure import _Leaf, _line_ends_fixed, _normalize_raw, _scan


def _disposition(msg: Message) -> str | None:
    value = msg.get("content-disposition")
    if not value:
        return None
    return value.split(";", 1)[0].strip().lower() or None


def _filename(msg: Message, defects: list[str]) -> str | None:
    try:
        name = msg.get_filename()
    except Exception:
        defects.append("bad-filename")
        return None
    if not name:
        return None
    if not isinstance(name, str):
        name = str(name)
    return _clean_str(decode_header_value(_unfold(name), defects)).strip() or None


def _synthetic_name(path: str, ctype: str) -> str:
    if ctype == "message/rfc822":
        ext = ".eml"
    elif ctype == "text/calendar":
        ext = ".ics"
    else:
        ext = mimetypes.guess_extension(ctype, strict=False) or ".bin"
    return f"part-{path}{ext}"


def _size_estimate(raw: bytes, leaf: _Leaf) -> int:
    length = leaf.body_end - leaf.body_start
    if leaf.cte != "base64" or length <= 0:
        return max(length, 0)
    # Base64 lines have a fixed length, so a sample gives the share of line-end bytes.
    sample_end = leaf.body_start + min(length, 16_384)
    line_ends = raw.count(b"\n", leaf.body_start, sample_end) + raw.count(b"\r", leaf.body_start, sample_end)
    payload = length * (1 - line_ends / (sample_end - leaf.body_start))
    return max(0, int(payload) * 3 // 4)


def _is_body(leaf: _Leaf, disposition: str | None, filename: str | None) -> bool:
    if leaf.content_type not in ("text/plain", "text/html") or disposition == "attachment":
        return False
    return filename is None or disposition == "inline"


def _content_id(msg: Message) -> str | None:
    value = msg.get("content-id")
    if not value:
        return None
    return _clean_str(value).strip().strip("<>").strip() or None


def _bodies(raw: bytes, leaves: list[_Leaf], defects: list[str]) -> tuple[str, str | None, tuple[AttachmentInfo, ...]]:
    """Pick the body text and HTML and list the attachments."""
    groups: dict[str, tuple[list[_Leaf], list[_Leaf]]] = {}
    attachments: list[AttachmentInfo] = []
    for leaf in leaves:
        try:
            disposition = _disposition(leaf.params)
            filename = _filename(leaf.params, defects)
            if _is_body(leaf, disposition, filename):
                plain, html = groups.setdefault(leaf.alt_group or f"solo:{leaf.path}", ([], []))
                (plain if leaf.content_type == "text/plain" else html).append(leaf)
                continue
            content_id = _content_id(leaf.params)
            attachments.append(
                AttachmentInfo(
                    part_path=leaf.path,
                    filename=filename or _synthetic_name(leaf.path, leaf.content_type),
                    content_type=leaf.content_type,
                    size=_size_estimate(raw, leaf),
                    content_id=content_id,
                    inline=disposition == "inline" or (disposition is None and content_id is not None),
                )
            )
        except Exception as exc:
            defects.append(f"bad-part:{leaf.path}:{type(exc).__name__}")

    segments: list[str] = []
    html_parts: list[str] = []
    for plain, html in groups.values():
        html_texts = [_leaf_text(raw, leaf, defects) for leaf in html]
        html_parts.extend(html_texts)
        plain_text = "\n".join(_leaf_text(raw, leaf, defects) for leaf in plain)
        if plain_text.strip():
            segments.append(plain_text)
        elif html_texts:
            segments.append("\n".join(html_to_text(h, defects) for h in html_texts))
    text = "\n\n".join(segments)
    html_out = _clean_str("\n".join(html_parts)) if html_parts else None
    return _clean_str(text), html_out, tuple(attachments)


def extract_attachment(raw: bytes, part_path: str | int) -> tuple[str, str, bytes]:
    """Decode one attachment: (filename as declared, content type, bytes).

    `part_path` is an `AttachmentInfo.part_path`, or an index into `ParsedMail.attachments`.
    Raises KeyError when the mail has no such attachment.
    """
    data = _line_ends_fixed(_normalize_raw(raw))
    defects: list[str] = []
    _, leaves = _scan(data, defects)
    if isinstance(part_path, int):
        paths = [a.part_path for a in _bodies(data, leaves, defects)[2]]
        if not 0 <= part_path < len(paths):
            raise KeyError(part_path)
        part_path = paths[part_path]
    for leaf in leaves:
        if leaf.path == part_path:
            payload, _ = _decode_transfer(data[leaf.body_start : leaf.body_end], leaf.cte)
            name = _filename(leaf.params, defects) or _synthetic_name(leaf.path, leaf.content_type)
            return name, leaf.content_type, payload
    raise KeyError(part_path)


_UNSAFE_FILENAME_CHARS = re.compile(r'[<>:"|?*\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]')
_WINDOWS_RESERVED = re.compile(r"(?i)^(con|prn|aux|nul|com\d|lpt\d)(\.|$)")


def safe_filename(name: str | None, default: str = "attachment") -> str:
    """A name safe to create in a chosen folder: last path component only, no control or
    bidi characters, no leading dots, at most 200 UTF-8 bytes with the extension kept."""
    if not name:
        return default
    name = unicodedata.normalize("NFC", str(name))
    name = name.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
    name = _UNSAFE_FILENAME_CHARS.sub("_", name)
    name = "".join("_" if unicodedata.category(ch) in ("Cc", "Cs") else ch for ch in name)
    name = name.strip().lstrip(".").rstrip(". ").strip()
    if not name or set(name) <= {"_", " "}:
        return default
    if _WINDOWS_RESERVED.match(name):
        name = "_" + name
    if len(name.encode("utf-8")) > MAX_FILENAME_BYTES:
        stem, dot, ext = name.rpartition(".")
        if not dot or len(ext.encode("utf-8")) > 20:
            stem, ext = name, ""
        budget = MAX_FILENAME_BYTES - (len(ext.encode("utf-8")) + 1 if ext else 0)
        stem = stem.encode("utf-8")[:budget].decode("utf-8", "ignore")
        name = f"{stem}.{ext}" if ext else stem
    return name
