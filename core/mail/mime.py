"""Parse raw mail into a `ParsedMail` that never fails, and decode attachments on demand.

Broken mail is the normal case for a shared inbox, so `parse_mail` never raises:
whatever it cannot understand becomes a short string in `ParsedMail.defects`.
The MIME structure is found by scanning the raw bytes for boundaries (attachment
bodies are never split into lines or decoded at ingest); headers are decoded
explicitly with charset fallbacks. Control characters other than NUL are kept:
escaping is the UI's job.
"""

from __future__ import annotations

import binascii
import codecs
import functools
import hashlib
import mimetypes
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.message import Message
from email.utils import getaddresses

try:
    from email._parseaddr import _parsedate_tz  # keeps "-0000" (no timezone) apart from "+0000"
except ImportError:  # pragma: no cover
    from email.utils import parsedate_tz as _parsedate_tz

__all__ = [
    "AttachmentInfo",
    "ParsedMail",
    "ROUTING_HEADERS",
    "decode_bytes",
    "decode_header_value",
    "extract_attachment",
    "html_to_text",
    "parse_mail",
    "safe_filename",
]

# Headers copied into `ParsedMail.headers` for routing and auto-reply detection.
ROUTING_HEADERS = (
    "auto-submitted",
    "precedence",
    "list-id",
    "list-unsubscribe",
    "list-post",
    "x-auto-response-suppress",
    "x-autoreply",
    "x-autorespond",
    "x-failed-recipients",
    "x-loop",
    "return-path",
    "delivered-to",
    "x-original-to",
    "sender",
)

MAX_DEPTH = 256  # multipart nesting followed before the rest is treated as one opaque part
MAX_PARTS = 1000  # MIME entities examined per mail
MAX_ADDRESS_HEADER = 64 * 1024  # characters of an address header handed to the address parser
MAX_ADDRESSES = 500  # addresses kept per header
MAX_REFERENCES = 100  # References ids kept: the root plus the newest ones
MAX_SUBJECT = 8192  # characters kept of a decoded subject
MAX_HEADER_VALUE = 4096  # characters kept for routing header values
MAX_FORWARD_NESTING = 3  # attached messages followed to find text when a mail has none
MAX_HTML_TO_TEXT = 1024 * 1024
MAX_HTML_TAGS = 20_000  # more tags than this and HTML is converted by the simple converter
MAX_HTML_NESTING_TAGS = 200  # lists and quotes, whose nesting html2text handles in quadratic time  # characters of HTML converted to text
MAX_DEFECTS = 50
MAX_FILENAME_BYTES = 200


@dataclass(frozen=True, slots=True)
class AttachmentInfo:
    """One attachment found at ingest; its body is decoded only by `extract_attachment`."""

    part_path: str
    """IMAP-style section number ("2", "1.3"); pass it to `extract_attachment`."""
    filename: str
    """Declared name, decoded but not sanitized (use `safe_filename` to save); synthesized when absent."""
    content_type: str
    """Lower-case "type/subtype"."""
    size: int
    """Decoded size estimated from the encoded length, in bytes."""
    content_id: str | None
    """Content-ID without angle brackets, for inline images referenced by HTML."""
    inline: bool
    """True when the part asks to be shown inline rather than offered as a file."""


@dataclass(frozen=True, slots=True)
class ParsedMail:
    """What Comptoir keeps from one message; the raw bytes are stored separately."""

    message_id: str | None
    """Message-ID as "<id>", or None when absent or unusable."""
    in_reply_to: str | None
    """The first id of In-Reply-To, as "<id>"."""
    references: tuple[str, ...]
    """References ids oldest first, deduplicated; the root and the newest 99 when longer."""
    subject: str
    """Decoded and unfolded; "" when absent. Control characters are kept for the UI to escape."""
    from_name: str
    """Display name of the first From address; "" when none."""
    from_addr: str
    """Lower-cased address of the first From address; "" when none."""
    to: tuple[tuple[str, str], ...]
    """(display name, lower-cased address) pairs."""
    cc: tuple[tuple[str, str], ...]
    reply_to: tuple[tuple[str, str], ...]
    date: datetime | None
    """The Date header as an aware datetime (UTC when it gave no zone); None when missing or garbage."""
    headers: dict[str, str] = field(hash=False)
    """The ROUTING_HEADERS present, lower-case names, first occurrence, decoded and unfolded."""
    text: str
    """Best text body: text/plain parts, else HTML converted to text; line ends are "\\n"."""
    html: str | None
    """The HTML body parts as sent, or None."""
    attachments: tuple[AttachmentInfo, ...]
    defects: tuple[str, ...]
    """Short codes for what was broken ("bad-date", "invalid-utf8", "missing-closing-boundary")."""
    content_hash: str
    """sha256 hex digest of the raw bytes."""
    size: int
    """Length of the raw bytes."""


# --------------------------------------------------------------------------- charsets

# Labels seen in the wild mapped to the codec that decodes them best; None means "no usable label".
_CHARSET_ALIASES: dict[str, str | None] = {
    "unknown-8bit": None,
    "x-unknown": None,
    "unknown": None,
    "x-user-defined": None,
    "8bit": None,
    "7bit": None,
    "default": None,
    "charset": None,
    "none": None,
    "us-ascii": None,  # ASCII is a subset of UTF-8; 8-bit bytes under this label are usually UTF-8
    "ascii": None,
    "ansi_x3.4-1968": None,
    "iso-8859-1": "cp1252",  # as browsers do: 0x80-0x9F are Windows punctuation in practice
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "iso8859-1": "cp1252",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "euc-cn": "gb18030",
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "euc-kr": "cp949",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "x-sjis": "cp932",
    "sjis": "cp932",
    "windows-31j": "cp932",
    "iso-2022-jp": "iso2022_jp",
    "iso-8859-8-i": "iso8859_8",
    "windows-874": "cp874",
    "tis-620": "cp874",
    "utf8": "utf_8",
}

# Codecs that decode any byte sequence, so a wrong label never shows up as an error.
_SINGLE_BYTE_LATIN = {"cp1252", "iso8859_1", "iso8859_15", "cp1250", "iso8859_2"}
# Stateful or wide encodings whose text is not ASCII-transparent.
_NOT_ASCII_TRANSPARENT = ("iso2022", "utf_7", "hz", "utf_16", "utf_32")
_REFUSED_CODECS = {"idna", "punycode", "raw_unicode_escape", "unicode_escape", "undefined"}
_ISO2022_JP_FAMILY = ("iso2022_jp", "iso2022_jp_2", "iso2022_jp_ext", "iso2022_jp_3", "iso2022_jp_2004")


@functools.lru_cache(maxsize=256)
def _resolve_charset(label: str | None) -> tuple[str | None, bool]:
    """Map a declared charset label to a normalized codec name ("utf_8"), and whether the label was unusable."""
    if not label:
        return None, False
    key = label.strip().strip("\"'").lower()[:40]
    if "*" in key:  # RFC 2231 language suffix: "utf-8*en"
        key = key.split("*", 1)[0]
    if key in _CHARSET_ALIASES:
        key = _CHARSET_ALIASES[key]
        if key is None:
            return None, False
    try:
        info = codecs.lookup(key)
    except (LookupError, ValueError, TypeError):
        return None, True
    name = info.name.replace("-", "_")
    if not getattr(info, "_is_text_encoding", True) or name in _REFUSED_CODECS:
        return None, True
    return name, False


def _cp1252_for_bad_bytes(exc: UnicodeError) -> tuple[str, int]:
    """Codec error handler: bytes that are not UTF-8 are read as cp1252 (Latin-1 where cp1252 has a hole)."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    bad = exc.object[exc.start : exc.end]
    return "".join(bytes([b]).decode("cp1252", "ignore") or chr(b) for b in bad), exc.end


codecs.register_error("comptoir-cp1252", _cp1252_for_bad_bytes)


def decode_bytes(data: bytes, charset: str | None = None, defects: list[str] | None = None) -> str:
    """Decode bytes with the declared charset, then as UTF-8 whose invalid bytes are read as
    cp1252 (mixed-encoding text reads right); never raises."""
    if not data:
        return ""
    codec, unusable = _resolve_charset(charset)
    if unusable and defects is not None:
        defects.append(f"unknown-charset:{(charset or '')[:20]}")
    if data.isascii() and (codec is None or not codec.startswith(_NOT_ASCII_TRANSPARENT)):
        return data.decode("ascii")
    if codec is not None and codec not in _SINGLE_BYTE_LATIN and codec != "utf_8":
        candidates = _ISO2022_JP_FAMILY if codec == "iso2022_jp" else (codec,)
        for name in candidates:
            try:
                return data.decode(name)
            except (UnicodeDecodeError, LookupError, ValueError, TypeError):
                continue
    # A Latin label cannot fail, so valid UTF-8 wins: real Latin-1 text is almost never valid UTF-8.
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        if codec is not None and codec != "utf_8" and defects is not None:
            defects.append("charset-mismatch")
        return text[1:] if text.startswith("\ufeff") else text
    if codec in _SINGLE_BYTE_LATIN:
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            return data.decode("latin-1")
    if codec is not None and codec != "utf_8":
        try:
            text = data.decode(codec, "replace")
        except (LookupError, ValueError, TypeError):
            text = ""
        if text and text.count("\ufffd") * 100 <= len(text):
            if defects is not None:
                defects.append("invalid-bytes")
            return text
    if defects is not None:
        defects.append("charset-mismatch" if codec not in (None, "utf_8") else "invalid-utf8")
    text = data.decode("utf-8", "comptoir-cp1252")
    return text[1:] if text.startswith("\ufeff") else text


def _clean_str(text: str) -> str:
    """Remove NUL and lone surrogates, which databases refuse; keep every other character."""
    if "\x00" in text:
        text = text.replace("\x00", "")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raw = text.encode("utf-8", "surrogateescape" if _only_escaped_surrogates(text) else "replace")
        text = decode_bytes(raw)
    return text


def _only_escaped_surrogates(text: str) -> bool:
    return all(not ("\ud800" <= ch <= "\udfff") or "\udc80" <= ch <= "\udcff" for ch in text)


# --------------------------------------------------------------------------- transfer encodings

_B64_JUNK = re.compile(rb"[^A-Za-z0-9+/]")


def _decode_base64(data: bytes) -> tuple[bytes, bool]:
    """Decode base64 leniently; the flag says whether the input needed repair."""
    try:
        return binascii.a2b_base64(data, strict_mode=False), False
    except (binascii.Error, ValueError):
        pass
    cleaned = _B64_JUNK.sub(b"", data)
    extra = len(cleaned) % 4
    if extra == 1:
        cleaned = cleaned[:-1]
    elif extra:
        cleaned += b"=" * (4 - extra)
    try:
        return binascii.a2b_base64(cleaned), True
    except (binascii.Error, ValueError):
        return b"", True


def _decode_transfer(data: bytes, cte: str) -> tuple[bytes, str | None]:
    """Undo a Content-Transfer-Encoding; returns the bytes and a defect or None."""
    try:
        if cte == "base64":
            decoded, repaired = _decode_base64(data)
            return decoded, "bad-base64" if repaired else None
        if cte == "quoted-printable":
            return binascii.a2b_qp(data), None
        if cte in ("x-uuencode", "uuencode", "x-uue"):
            return _decode_uu(data), None
    except Exception:  # noqa: BLE001 - a broken body must not fail the mail
        return data, f"bad-{cte[:20]}"
    return data, None


def _decode_uu(data: bytes) -> bytes:
    out = bytearray()
    for line in data.splitlines():
        if not line or line.startswith((b"begin ", b"end")):
            continue
        try:
            out += binascii.a2b_uu(line)
        except binascii.Error:
            continue
    return bytes(out)


# --------------------------------------------------------------------------- headers

_ENCODED_WORD = re.compile(r"=\?([^?\s]{1,60})\?([bBqQ])\?([^?]*)\?=")
_FOLD = re.compile(r"[ \t]*\r?\n[ \t]*")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def decode_header_value(value: str, defects: list[str] | None = None) -> str:
    """Decode RFC 2047 encoded words leniently (split multibyte words, bad padding, unknown charsets)."""
    if "=?" not in value:
        return value
    pieces: list[list] = []  # [text] or [[bytes, ...], charset]
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


def _parse_header_block(raw: bytes, start: int, end: int, defects: list[str], top: bool):
    """Read header lines from `start`; returns ([(name, value bytes)], body start offset)."""
    headers: list[list] = []
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
    seen: set[str] = set()
    unique = [i for i in ids if not (i in seen or seen.add(i))]
    if len(unique) > MAX_REFERENCES:
        defects.append("references-truncated")
        unique = unique[:1] + unique[-(MAX_REFERENCES - 1) :]
    return tuple(unique)


def _addresses(value: str | None, name: str, defects: list[str]) -> tuple[tuple[str, str], ...]:
    if not value:
        return ()
    if len(value) > MAX_ADDRESS_HEADER:
        defects.append(f"header-truncated:{name}")
        cut = value.rfind(",", 0, MAX_ADDRESS_HEADER)
        value = value[: cut if cut > 0 else MAX_ADDRESS_HEADER]
    try:
        pairs = getaddresses([value])
    except Exception:  # noqa: BLE001
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
            tz = timezone.utc
        else:
            tz = timezone(timedelta(seconds=offset))
        return datetime(*fields[:6], tzinfo=tz)
    except Exception:  # noqa: BLE001 - any unparseable or out-of-range date
        defects.append("bad-date")
        return None


# --------------------------------------------------------------------------- structure


@dataclass(slots=True)
class _Leaf:
    path: str
    content_type: str
    params: Message
    cte: str
    body_start: int
    body_end: int
    alt_group: str | None


def _part_message(headers: list[list], defects: list[str], default_type: str) -> Message:
    """A compat32 Message holding only the Content-* headers, for RFC 2231 parameter parsing."""
    msg = Message()
    if default_type != "text/plain":
        msg.set_default_type(default_type)
    for name, chunks in headers:
        if name in ("content-type", "content-disposition", "content-transfer-encoding", "content-id"):
            msg.set_raw(name, _unfold(_clean_str(_header_text(_join_header(chunks), defects))))
    return msg


def _find_boundaries(raw: bytes, start: int, end: int, boundary: bytes, limit: int):
    """Byte ranges of at most `limit` parts between delimiter lines; (ranges, closed)."""
    delimiter = b"--" + boundary
    ranges: list[tuple[int, int]] = []
    part_start = -1
    pos = start
    closed = False
    while True:
        idx = raw.find(delimiter, pos, end)
        if idx < 0:
            break
        pos = idx + len(delimiter)
        if idx != start and raw[idx - 1] != 0x0A:
            continue
        after = pos
        is_close = raw.startswith(b"--", after, end)
        if is_close:
            after += 2
        while after < end and raw[after] in (0x20, 0x09):
            after += 1
        if after < end and raw[after] not in (0x0D, 0x0A):
            continue
        if part_start >= 0:
            stop = idx
            if stop > part_start and raw[stop - 1] == 0x0A:
                stop -= 1
                if stop > part_start and raw[stop - 1] == 0x0D:
                    stop -= 1
            ranges.append((part_start, max(stop, part_start)))
            if len(ranges) > limit:
                return ranges, False
        nl = raw.find(b"\n", after, end)
        part_start = end if nl < 0 else nl + 1
        if is_close:
            closed = True
            break
    if not closed and part_start >= 0:
        ranges.append((part_start, end))
    return ranges, closed


def _scan(raw: bytes, defects: list[str]):
    """Walk the MIME tree iteratively; returns (top headers, leaves in document order)."""
    leaves: list[_Leaf] = []
    top_headers: list[list] = []
    # (start, end, path, depth, default type, alternative group)
    stack: list[tuple[int, int, str, int, str, str | None]] = [(0, len(raw), "", 0, "text/plain", None)]
    entities = 0
    # Each nesting level rescans its range for its boundary; bound the total so that deep
    # nesting in a big mail cannot cost depth x size.
    scan_budget = 32 * len(raw) + 4 * 1024 * 1024
    while stack:
        start, end, path, depth, default_type, alt_group = stack.pop()
        entities += 1
        top = depth == 0
        headers, body_start = _parse_header_block(raw, start, end, defects, top)
        if top:
            top_headers = headers
        msg = _part_message(headers, defects, default_type)
        ctype = msg.get_content_type()
        if ctype.startswith("multipart/"):
            ranges: list[tuple[int, int]] = []
            boundary = msg.get_boundary()
            if depth >= MAX_DEPTH:
                defects.append("nesting-too-deep")
            elif entities >= MAX_PARTS:
                defects.append("too-many-parts")
            elif not boundary:
                defects.append("multipart-without-boundary")
            elif scan_budget < end - body_start:
                defects.append("scan-budget-exceeded")
            else:
                scan_budget -= end - body_start
                room = max(MAX_PARTS - entities - len(stack), 1)
                encoded_boundary = boundary.encode("utf-8", "replace")
                ranges, closed = _find_boundaries(raw, body_start, end, encoded_boundary, room)
                if not ranges:
                    defects.append("boundary-not-found")
                elif len(ranges) > room:
                    defects.append("too-many-parts")
                    ranges = ranges[:room]
                elif not closed:
                    defects.append("missing-closing-boundary")
            if ranges:
                subtype = ctype.split("/", 1)[1]
                child_group = (path or "top") if subtype == "alternative" else alt_group
                child_type = "message/rfc822" if subtype == "digest" else "text/plain"
                prefix = f"{path}." if path else ""
                for number in range(len(ranges), 0, -1):
                    s, e = ranges[number - 1]
                    stack.append((s, e, f"{prefix}{number}", depth + 1, child_type, child_group))
                continue
            ctype = "text/plain"  # a multipart we cannot split is shown as text
        cte = (msg.get("content-transfer-encoding") or "").strip().lower()
        cte = cte.split(";", 1)[0].split()[0] if cte.split() else ""
        leaves.append(_Leaf(path or "1", ctype, msg, cte, body_start, end, alt_group))
    return top_headers, leaves


def _normalize_raw(raw) -> bytes:
    if isinstance(raw, bytes):
        data = raw
    elif isinstance(raw, (bytearray, memoryview)):
        data = bytes(raw)
    elif isinstance(raw, str):
        data = raw.encode("utf-8", "surrogateescape")
    elif raw is None:
        data = b""
    else:
        data = bytes(raw)
    return data


def _line_ends_fixed(data: bytes) -> bytes:
    """Old Mac mail uses bare CR line ends; the scanner needs LF."""
    head = data[:4096]
    if b"\r" in head and b"\n" not in head:
        return data.replace(b"\r", b"\n")
    return data


# --------------------------------------------------------------------------- bodies

_H2T_OPTIONS = {
    "body_width": 0,
    "ignore_images": True,
    "ignore_links": True,
    "ignore_emphasis": True,
    "ignore_tables": False,
    "unicode_snob": True,
    "single_line_break": False,
    "mark_code": False,
}
_TAG = re.compile(r"<[^>]*>")
_BLOCK_TAG = re.compile(r"(?i)<\s*/?\s*(?:p|div|br|tr|li|h[1-6]|table|blockquote|ul|ol|dl|dt|dd|pre|hr)\b[^>]*>")
_NESTING_TAG = re.compile(r"(?i)<(?:ul|ol|dl|blockquote)\b")
_TRAILING_SPACE = re.compile(r"[ \t]+\n")
_BLANK_RUNS = re.compile(r"\n{3,}")
_SCRIPT_STYLE_OPEN = re.compile(r"(?i)<(script|style)\b")
_SCRIPT_STYLE_CLOSE = {
    "script": re.compile(r"(?i)</script\s*>"),
    "style": re.compile(r"(?i)</style\s*>"),
}


@functools.lru_cache(maxsize=1)
def _plain_converter_class():
    import html2text

    class PlainHTML2Text(html2text.HTML2Text):
        """html2text without Markdown escaping ("1\\." or "\\-"), which is noise in a text view."""

        def handle_data(self, data: str, entity_char: bool = False) -> None:
            super().handle_data(data, True)

    return PlainHTML2Text


def _html_converter():
    converter = _plain_converter_class()()
    for name, value in _H2T_OPTIONS.items():
        setattr(converter, name, value)
    return converter


def _without_script_and_style(html: str) -> str:
    """Drop <script> and <style> elements in one pass (an unclosed one runs to the end)."""
    kept: list[str] = []
    pos = 0
    while (opening := _SCRIPT_STYLE_OPEN.search(html, pos)) is not None:
        kept.append(html[pos : opening.start()])
        closing = _SCRIPT_STYLE_CLOSE[opening.group(1).lower()].search(html, opening.end())
        pos = len(html) if closing is None else closing.end()
    kept.append(html[pos:])
    return "".join(kept)


def _strip_tags(html: str) -> str:
    """A linear-time HTML to text: block tags become line breaks, other tags vanish."""
    import html as html_module

    text = _BLOCK_TAG.sub("\n", html)
    text = html_module.unescape(_TAG.sub("", text))
    return "\n".join(" ".join(line.split()) for line in text.split("\n"))


def html_to_text(html: str, defects: list[str] | None = None) -> str:
    """Readable text from HTML with html2text; falls back to stripping tags."""
    if len(html) > MAX_HTML_TO_TEXT:
        if defects is not None:
            defects.append("html-truncated")
        html = html[:MAX_HTML_TO_TEXT]
    html = _without_script_and_style(html)
    text = None
    # html2text is pure Python and slows down badly on tag floods and deep list or quote
    # nesting (quadratic indentation), so such markup gets the simple converter.
    if html.count("<") <= MAX_HTML_TAGS and len(_NESTING_TAG.findall(html)) <= MAX_HTML_NESTING_TAGS:
        try:
            text = _html_converter().handle(html)
        except Exception:  # noqa: BLE001 - html2text can fail on hostile markup
            if defects is not None:
                defects.append("html-conversion-failed")
    elif defects is not None:
        defects.append("html-too-complex")
    if text is None:
        text = _strip_tags(html)
    return _BLANK_RUNS.sub("\n\n", _TRAILING_SPACE.sub("\n", text)).strip("\n")


def _unflow(text: str, delsp: bool) -> str:
    """Join RFC 3676 format=flowed soft line breaks, respecting quote depth."""
    out: list[str] = []
    pending = ""
    pending_depth = -1
    for line in text.split("\n"):
        depth = len(line) - len(line.lstrip(">"))
        content = line[depth:]
        if content.startswith(" "):
            content = content[1:]  # space-stuffing
        if pending and depth == pending_depth:
            content = pending + content
        elif pending:
            out.append(">" * pending_depth + (" " if pending_depth else "") + pending)
        pending = ""
        if content.endswith(" ") and content != "-- ":
            pending = content[:-1] if delsp else content
            pending_depth = depth
            continue
        out.append(">" * depth + (" " if depth and content else "") + content)
    if pending:
        out.append(">" * pending_depth + (" " if pending_depth else "") + pending)
    return "\n".join(out)


def _leaf_text(raw: bytes, leaf: _Leaf, defects: list[str]) -> str:
    data, defect = _decode_transfer(raw[leaf.body_start : leaf.body_end], leaf.cte)
    if defect:
        defects.append(defect)
    text = decode_bytes(data, leaf.params.get_content_charset(), defects)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text:
        defects.append("nul-in-body")
        text = text.replace("\x00", "")
    if leaf.content_type == "text/plain" and (leaf.params.get_param("format") or "").lower() == "flowed":
        text = _unflow(text, (leaf.params.get_param("delsp") or "").lower() == "yes")
    return text


def _disposition(msg: Message) -> str | None:
    value = msg.get("content-disposition")
    if not value:
        return None
    return value.split(";", 1)[0].strip().lower() or None


def _filename(msg: Message, defects: list[str]) -> str | None:
    try:
        name = msg.get_filename()
    except Exception:  # noqa: BLE001
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


# --------------------------------------------------------------------------- public API


def parse_mail(raw: bytes) -> ParsedMail:
    """Parse one raw message; never raises, whatever the input."""
    data = _normalize_raw_safely(raw)
    content_hash = hashlib.sha256(data).hexdigest()
    defects: list[str] = []
    try:
        return _parse(data, content_hash, defects)
    except Exception as exc:  # noqa: BLE001 - the last line of defence: store raw, show what we can
        defects.append(f"parse-error:{type(exc).__name__}")
        return _fallback(data, content_hash, defects)


def _normalize_raw_safely(raw) -> bytes:
    try:
        return _normalize_raw(raw)
    except Exception:  # noqa: BLE001
        return b""


def _fallback(data: bytes, content_hash: str, defects: list[str]) -> ParsedMail:
    text = ""
    try:
        text = _clean_str(decode_bytes(data)).replace("\r\n", "\n")
    except Exception:  # noqa: BLE001
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


def _bodies(raw: bytes, leaves: list[_Leaf], defects: list[str]):
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
        except Exception as exc:  # noqa: BLE001 - one bad part must not hide the others
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


def _forwarded_text(raw: bytes, leaves: list[_Leaf], attachments, nesting: int) -> str:
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
