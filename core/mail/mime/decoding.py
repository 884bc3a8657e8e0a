"""Bytes to text: charset labels and fallbacks, and the transfer encodings (base64, quoted-printable, uuencode)."""

from __future__ import annotations

import binascii
import codecs
import functools
import re

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
        alias = _CHARSET_ALIASES[key]
        if alias is None:
            return None, False
        key = alias
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
    except Exception:
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
