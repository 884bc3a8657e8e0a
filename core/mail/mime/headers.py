"""Header fields: RFC 2047 decoding, the raw header block, Message-IDs, addresses and dates."""

from __future__ import annotations

import binascii
import re
from datetime import UTC, datetime, timedelta, timezone
from email.utils import getaddresses
from typing import Any

try:
    from email._parseaddr import _parsedate_tz  # type: ignore[import-not-found] # a private stdlib module typeshed has no stub for; keeps "-0000" (no timezone) apart from "+0000"
except ImportError:  # pragma: no cover
    from email.utils import parsedate_tz as _parsedate_tz

from core.mail.mime.decoding import _clean_str, _decode_base64, decode_bytes
from core.mail.mime.model import MAX_ADDRESS_HEADER, MAX_ADDRESSES, MAX_REFERENCES

_ENCODED_WORD = re.compile(r"=\?([^?\s]{1,60})\?([bBqQ])\?([^?]*)\?=")
_FOLD = re.compile(r"[ \t]*\r?\n[ \t]*")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def decode_header_value(value: str, defects: list[str] | None = None) -> str:
    """Decode RFC 2047 encoded words leniently (split multibyte words, bad padding, unknown charsets)."""
    if "=?" not in value:
        return value
    pieces: list[list[Any]] = []  # [text] or [[bytes, ...], charset]
    pos = 0
    for match in _ENCODED_WORD.finditer(value):
        between = value[pos : match.start()]
        if between and not (between.isspace() and pieces and len(pieces[-1]) == 2):
            pieces.append([between])
        charset, encoding, payload = match.group(1), match.group(2).lower(), match.group(3)
        raw = payload.encode("utf-8", "replace")
        if encoding == "b":
            data, repaired = _decode_base64(raw)
            if repaired and defects is not None:
                defects.append("bad-encoded-word")
        else:
            try:
                data = binascii.a2b_qp(raw, header=True)
            except (binascii.Error, ValueError):
                data = raw
        charset = charset.split("*", 1)[0].lower()
        if pieces and len(pieces[-1]) == 2 and pieces[-1][1] == charset:
            pieces[-1][0].append(data)  # a character may be split across adjacent words
        else:
            pieces.append([[data], charset])
        pos = match.end()
    if pos < len(value):
        pieces.append([value[pos:]])
    return "".join(p[0] if len(p) == 1 else decode_bytes(b"".join(p[0]), p[1], defects) for p in pieces)


def _header_text(value: bytes, defects: list[str]) -> str:
    """Bytes of one unfolded header value to text; 8-bit bytes are decoded with fallbacks."""
    if value.isascii():
        text = value.decode("ascii")
    else:
        defects.append("8bit-header")
        text = decode_bytes(value, None)
    return text


_HEADER_NAME = re.compile(rb"([\x21-\x39\x3b-\x7e]+)[ \t]*:")


def _parse_header_block(raw: bytes, start: int, end: int, defects: list[str], top: bool) -> tuple[list[list[Any]], int]:
    """Read header lines from `start`; returns ([(name, value bytes)], body start offset)."""
    headers: list[list[Any]] = []
    pos = start
    if top and raw.startswith(b"From ", pos):  # mbox separator line
        nl = raw.find(b"\n", pos, end)
        pos = end if nl < 0 else nl + 1
    while pos < end:
        nl = raw.find(b"\n", pos, end)
        line_end = end if nl < 0 else nl + 1
        line = raw[pos:line_end].rstrip(b"\r\n")
        if not line:
            return headers, line_end
        if line[0] in (0x20, 0x09):
            if headers:
                headers[-1][1].append(line)
            else:
                defects.append("leading-continuation-line")
        else:
            match = _HEADER_NAME.match(line)
            if match is None:
                defects.append("missing-header-body-separator")
                return headers, pos
            headers.append([match.group(1).decode("ascii").lower(), [line[match.end() :]]])
        pos = line_end
    return headers, end


def _join_header(chunks: list[bytes]) -> bytes:
    """One header value; folds become "\n" so `_unfold` can collapse them to a single space."""
    return (chunks[0] if len(chunks) == 1 else b"\n".join(chunks)).strip()


_MSG_ID = re.compile(r"<\s*([^<>\s]+?)\s*>")


def _normalize_msgid(value: str | None) -> str | None:
    """The first `<...>` id in a header, or a bare token made into one."""
    if not value:
        return None
    match = _MSG_ID.search(value)
    if match:
        return f"<{match.group(1)[:900]}>"
    token = value.strip().split()
    if token and "@" in token[0]:
        return f"<{token[0].strip('<>')[:900]}>"
    return None


def _msgid_list(value: str, defects: list[str]) -> tuple[str, ...]:
    ids = [f"<{m[:900]}>" for m in _MSG_ID.findall(value)]
    if not ids:
        ids = [f"<{t.strip('<>')[:900]}>" for t in value.split() if "@" in t]
    unique = list(dict.fromkeys(ids))  # the first of each, in order
    if len(unique) > MAX_REFERENCES:
        defects.append("references-truncated")
        unique = unique[:1] + unique[-(MAX_REFERENCES - 1) :]
    return tuple(unique)


_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_DOT_ATOM_ADDRESS = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@{_ATOM}(?:\.{_ATOM})*")
_PLAIN_PHRASE = re.compile(r'[^()<>@,:;"\[\]\\]*')


def _single_plain_address(value: str) -> tuple[str, str] | None:
    """What getaddresses gives for one `addr@host` or `Words <addr@host>` without quotes, comments, routes or
    groups (nearly every real From and To), at a tenth of its cost; None for anything else, which it parses.
    Its phrase is the name's words joined by one space; an encoded word is one word, decoded by the caller."""
    text = value.strip()
    if text.endswith(">"):
        open_at = text.find("<")
        if open_at < 0 or "<" in text[open_at + 1 :] or ">" in text[:-1]:
            return None
        phrase, address = text[:open_at], text[open_at + 1 : -1]
        if _DOT_ATOM_ADDRESS.fullmatch(address) and _PLAIN_PHRASE.fullmatch(phrase):
            return " ".join(phrase.split()), address
        return None
    return ("", text) if _DOT_ATOM_ADDRESS.fullmatch(text) else None


def _addresses(value: str | None, name: str, defects: list[str]) -> tuple[tuple[str, str], ...]:
    if not value:
        return ()
    single = _single_plain_address(value) if len(value) < 1000 else None
    if single is not None:
        display = _clean_str(_unfold(decode_header_value(single[0], defects))).strip()
        return ((display, _clean_str(single[1]).strip().lower()),)
    if len(value) > MAX_ADDRESS_HEADER:
        defects.append(f"header-truncated:{name}")
        cut = value.rfind(",", 0, MAX_ADDRESS_HEADER)
        value = value[: cut if cut > 0 else MAX_ADDRESS_HEADER]
    try:
        pairs = getaddresses([value])
    except Exception:
        defects.append(f"bad-address:{name}")
        return ()
    out: list[tuple[str, str]] = []
    for display, addr in pairs:
        if not addr and not display:
            continue
        display = _clean_str(_unfold(decode_header_value(display, defects))).strip()
        out.append((display, _clean_str(addr).strip().lower()))
        if len(out) >= MAX_ADDRESSES:
            defects.append(f"too-many-addresses:{name}")
            break
    return tuple(out)


def _unfold(text: str) -> str:
    if "\n" in text or "\r" in text:
        text = _FOLD.sub(" ", text)
    return text


def _parse_date(value: str | None, defects: list[str]) -> datetime | None:
    if not value:
        defects.append("missing-date")
        return None
    try:
        parts = _parsedate_tz(value)
        if parts is None:
            raise ValueError(value)
        *fields, offset = parts
        if offset is None:
            defects.append("date-without-timezone")
            tz = UTC
        else:
            tz = timezone(timedelta(seconds=offset))
        return datetime(fields[0], fields[1], fields[2], fields[3], fields[4], fields[5], tzinfo=tz)
    except Exception:
        defects.append("bad-date")
        return None
