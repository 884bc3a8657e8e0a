"""IMAP response parsing: a tokenizer for IMAP data and parsers for FETCH, SELECT, SEARCH, CAPABILITY, LIST, APPENDUID.

Input is aioimaplib's `Response.lines` shape: `bytes` lines without CRLF and without the leading "* ",
where a line ending in `{N}` is followed by a `bytearray` literal of N bytes and then by the rest of that
response line (e.g. b")"). Every malformed input raises ImapParseError and nothing else.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from core.errors import ComptoirError


class ImapParseError(ComptoirError):
    """The server sent something this parser cannot read; the message says what and where."""


class Atom(str):
    """An IMAP atom (flag, keyword, item name such as BODY[]<0>), kept apart from string values."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"Atom({str.__repr__(self)})"


Token = Atom | int | bytes | None | list[Any]

_MAX_NUMBER_DIGITS = 20  # IMAP numbers fit in 64 bits; longer digit runs are garbage, not numbers.
_ATOM = re.compile(rb'[^\x00-\x20\x7f()"\[{]+')
_LITERAL = re.compile(rb"\{(\d{1,20})\+?\}\r\n")
_LITERAL_AT_END = re.compile(rb"\{(\d{1,20})\+?\}$")
_MONTHS = {
    m: i
    for i, m in enumerate(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), start=1)
}
_INTERNALDATE = re.compile(r"^ ?(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)$")


# ---------------------------------------------------------------- wire format


def join_lines(lines: Iterable[bytes | bytearray]) -> bytes:
    """Rebuild the wire bytes (CRLF-terminated lines with inline literals) from aioimaplib's lines."""
    # Pieces joined once at the end: growing one bytearray copied a FETCH batch's megabytes again and again.
    out: list[bytes | bytearray] = []
    expect_literal: int | None = None
    after_literal = False
    for element in lines:
        if not isinstance(element, (bytes, bytearray)):
            raise ImapParseError(f"response line is {type(element).__name__}, expected bytes")
        if expect_literal is not None:
            if len(element) != expect_literal:
                raise ImapParseError(f"literal announced {expect_literal} bytes but holds {len(element)}")
            out.append(element)
            expect_literal, after_literal = None, True
            continue
        if after_literal and not element.startswith((b" ", b")", b"]")):
            # aioimaplib drops an empty rest-of-line after a literal; a new response line starts here.
            out.append(b"\r\n")
        out.append(element)
        match = _LITERAL_AT_END.search(element)
        if match:
            expect_literal = int(match.group(1))
        out.append(b"\r\n")
        after_literal = False
    if expect_literal is not None:
        raise ImapParseError(f"response ends where a literal of {expect_literal} bytes was announced")
    if after_literal:
        out.append(b"\r\n")
    return b"".join(out)


def tokenize(data: bytes) -> list[list[Token]]:
    """Split wire bytes into response lines, each a list of tokens (nested lists for parentheses)."""
    data = bytes(data)
    lines: list[list[Token]] = []
    stack: list[list[Token]] = [[]]
    pos, end = 0, len(data)
    while pos < end:
        char = data[pos]
        if char == 0x20:  # space
            pos += 1
        elif char == 0x0D or char == 0x0A:  # CR / LF end a response line
            if data[pos : pos + 2] != b"\r\n":
                raise ImapParseError(f"bare CR or LF at byte {pos}")
            if len(stack) != 1:
                raise ImapParseError(f"line ends inside a parenthesized list at byte {pos}")
            lines.append(stack[0])
            stack = [[]]
            pos += 2
        elif char == 0x28:  # (
            new_list: list[Token] = []
            stack[-1].append(new_list)
            stack.append(new_list)
            pos += 1
        elif char == 0x29:  # )
            if len(stack) == 1:
                raise ImapParseError(f"unbalanced ')' at byte {pos}")
            stack.pop()
            pos += 1
        elif char == 0x22:  # "
            value, pos = _read_quoted(data, pos)
            stack[-1].append(value)
        elif char == 0x7B:  # {
            match = _LITERAL.match(data, pos)
            if not match:
                raise ImapParseError(f"malformed literal marker at byte {pos}")
            size = int(match.group(1))
            start = match.end()
            if start + size > end:
                raise ImapParseError(f"literal of {size} bytes at byte {pos} runs past the end of the response")
            stack[-1].append(data[start : start + size])
            pos = start + size
        elif char < 0x20 or char == 0x7F:
            raise ImapParseError(f"control byte 0x{char:02x} at byte {pos}")
        else:
            token, pos = _read_atom(data, pos)
            stack[-1].append(token)
    if len(stack) != 1:
        raise ImapParseError("response ends inside a parenthesized list")
    if stack[0]:
        lines.append(stack[0])
    return lines


def _read_quoted(data: bytes, pos: int) -> tuple[bytes, int]:
    """Read a quoted string starting at the opening quote; returns the unescaped bytes and the next position."""
    out = bytearray()
    index = pos + 1
    end = len(data)
    while index < end:
        char = data[index]
        if char == 0x22:
            return bytes(out), index + 1
        if char == 0x5C:  # backslash escapes the next byte
            if index + 1 >= end:
                break
            out.append(data[index + 1])
            index += 2
            continue
        if char in (0x0D, 0x0A):
            raise ImapParseError(f"line break inside the quoted string starting at byte {pos}")
        out.append(char)
        index += 1
    raise ImapParseError(f"unterminated quoted string starting at byte {pos}")


def _read_atom(data: bytes, pos: int) -> tuple[Token, int]:
    """Read an atom, number or NIL; a '[' inside an atom opens a section read up to its matching ']'."""
    start = pos
    end = len(data)
    while pos < end:
        match = _ATOM.match(data, pos)
        if match:
            pos = match.end()
        if pos < end and data[pos] == 0x5B:  # [ section, may hold spaces and parentheses
            depth = 0
            while pos < end:
                char = data[pos]
                if char in (0x0D, 0x0A):
                    raise ImapParseError(f"line break inside the [section] starting at byte {start}")
                depth += (char == 0x5B) - (char == 0x5D)
                pos += 1
                if depth == 0:
                    break
            else:
                raise ImapParseError(f"unterminated [section] starting at byte {start}")
            continue
        break
    if pos == start:
        raise ImapParseError(f"unexpected byte {data[pos : pos + 1]!r} at byte {pos}")
    text = data[start:pos].decode("utf-8", "replace")
    if text.isdigit() and text.isascii():
        if len(text) > _MAX_NUMBER_DIGITS:
            raise ImapParseError(f"number with {len(text)} digits at byte {start}")
        return int(text), pos
    if text.upper() == "NIL":
        return None, pos
    return Atom(text), pos


def serialize(value: Token) -> bytes:
    """Write a token back in wire form: quoted strings when safe, literals otherwise (tests and commands)."""
    if value is None:
        return b"NIL"
    if isinstance(value, Atom):
        return value.encode()
    if isinstance(value, bool) or not isinstance(value, (int, bytes, bytearray, list, tuple)):
        raise TypeError(f"cannot serialize {type(value).__name__}")
    if isinstance(value, int):
        return str(value).encode()
    if isinstance(value, (list, tuple)):
        return b"(" + b" ".join(serialize(item) for item in value) + b")"
    if len(value) < 1000 and all(0x20 <= b < 0x7F for b in value):
        return b'"' + bytes(value).replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'
    return b"{%d}\r\n" % len(value) + bytes(value)


# ---------------------------------------------------------------- FETCH


@dataclass(frozen=True, slots=True)
class FetchItem:
    """One message's FETCH data; a field is None when the server did not send that item."""

    seq: int
    uid: int | None = None
    flags: tuple[str, ...] | None = None
    size: int | None = None
    internaldate: datetime | None = None
    modseq: int | None = None
    body: bytes | None = None
    header: bytes | None = None
    extra: dict[str, Token] = field(default_factory=dict)


_BODY_KEYS = ("BODY[]", "BINARY[]", "RFC822")
_HEADER_KEYS = ("BODY[HEADER]", "RFC822.HEADER")


def parse_fetch(lines: Sequence[bytes | bytearray]) -> list[FetchItem]:
    """Parse the untagged `n FETCH (...)` lines of a FETCH response (without the tagged status text)."""
    return [_fetch_item(tokens) for tokens in tokenize(join_lines(lines))]


def _fetch_item(tokens: list[Token]) -> FetchItem:
    if tokens and tokens[0] == "*":
        tokens = tokens[1:]
    if (
        len(tokens) != 3
        or not isinstance(tokens[0], int)
        or not isinstance(tokens[1], Atom)
        or tokens[1].upper() != "FETCH"
        or not isinstance(tokens[2], list)
    ):
        raise ImapParseError(f"not a FETCH response: {_preview(tokens)}")
    pairs = tokens[2]
    if len(pairs) % 2:
        raise ImapParseError(f"FETCH data of message {tokens[0]} has an odd number of items")
    values: dict[str, Token] = {}
    for key, value in zip(pairs[0::2], pairs[1::2], strict=False):
        if not isinstance(key, Atom):
            raise ImapParseError(f"FETCH item name is not an atom: {_preview([key])}")
        values[key.upper()] = value
    body = header = None
    for key in list(values):
        if key in _BODY_KEYS or (key.startswith("BODY[]<") or key.startswith("BINARY[]<")):
            body = _string_or_none(values.pop(key), key)
        elif key in _HEADER_KEYS or key.startswith("BODY[HEADER"):
            header = _string_or_none(values.pop(key), key)
    modseq = values.pop("MODSEQ", None)
    if modseq is not None:
        if not (isinstance(modseq, list) and len(modseq) == 1 and isinstance(modseq[0], int)):
            raise ImapParseError(f"MODSEQ is not (number): {_preview([modseq])}")
        modseq = modseq[0]
    flags = values.pop("FLAGS", None)
    if flags is not None:
        if not isinstance(flags, list) or not all(isinstance(flag, Atom) for flag in flags):
            raise ImapParseError(f"FLAGS is not a list of atoms: {_preview([flags])}")
        flag_names: tuple[str, ...] | None = tuple(str(flag) for flag in flags)
    else:
        flag_names = None
    date = values.pop("INTERNALDATE", None)
    return FetchItem(
        seq=tokens[0],
        uid=_number_or_none(values.pop("UID", None), "UID"),
        flags=flag_names,
        size=_number_or_none(values.pop("RFC822.SIZE", None), "RFC822.SIZE"),
        internaldate=parse_internaldate(date) if date is not None else None,
        modseq=modseq,
        body=body,
        header=header,
        extra=values,
    )


def _number_or_none(value: Token, name: str) -> int | None:
    if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
        raise ImapParseError(f"{name} is not a number: {_preview([value])}")
    return value


def _string_or_none(value: Token, name: str) -> bytes | None:
    if value is not None and not isinstance(value, bytes):
        raise ImapParseError(f"{name} is not a string: {_preview([value])}")
    return value


def parse_internaldate(value: Token) -> datetime:
    """Parse INTERNALDATE "17-Jul-1996 02:44:25 -0700" (day may be space-padded) to an aware datetime."""
    if not isinstance(value, bytes):
        raise ImapParseError(f"INTERNALDATE is not a string: {_preview([value])}")
    match = _INTERNALDATE.match(value.decode("ascii", "replace"))
    if not match or match.group(2).title() not in _MONTHS:
        raise ImapParseError(f"INTERNALDATE {value!r} is not DD-Mon-YYYY HH:MM:SS +ZZZZ")
    day, month, year, hour, minute, second, sign, off_h, off_m = match.groups()
    offset = timedelta(hours=int(off_h), minutes=int(off_m)) * (1 if sign == "+" else -1)
    try:
        return datetime(
            int(year), _MONTHS[month.title()], int(day), int(hour), int(minute), int(second), tzinfo=timezone(offset)
        )
    except ValueError as error:
        raise ImapParseError(f"INTERNALDATE {value!r} is not a valid date: {error}") from None


def _preview(tokens: list[Token]) -> str:
    text = repr(tokens)
    return text if len(text) <= 120 else text[:117] + "..."


# ---------------------------------------------------------------- other responses


@dataclass(frozen=True, slots=True)
class MailboxStatus:
    """What SELECT/EXAMINE told us; highestmodseq is None without CONDSTORE (or with NOMODSEQ)."""

    uidvalidity: int
    uidnext: int | None
    highestmodseq: int | None
    exists: int


_EXISTS = re.compile(rb"^(?:\* )?(\d{1,20}) EXISTS\s*$", re.IGNORECASE)
_CODE = re.compile(rb"\[(UIDVALIDITY|UIDNEXT|HIGHESTMODSEQ) (\d{1,20})\]", re.IGNORECASE)


def parse_select(lines: Sequence[bytes | bytearray]) -> MailboxStatus:
    """Read UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ and EXISTS from a SELECT/EXAMINE response's lines."""
    found: dict[str, int] = {}
    exists = None
    for line in lines:
        if not isinstance(line, (bytes, bytearray)):
            raise ImapParseError(f"response line is {type(line).__name__}, expected bytes")
        match = _EXISTS.match(line)
        if match:
            exists = int(match.group(1))
            continue
        for code in _CODE.finditer(line):
            found[code.group(1).upper().decode()] = int(code.group(2))
    if "UIDVALIDITY" not in found:
        raise ImapParseError("SELECT response has no UIDVALIDITY: the server cannot keep UIDs between sessions")
    if exists is None:
        raise ImapParseError("SELECT response has no EXISTS count")
    return MailboxStatus(found["UIDVALIDITY"], found.get("UIDNEXT"), found.get("HIGHESTMODSEQ"), exists)


def parse_search(lines: Sequence[bytes | bytearray]) -> list[int]:
    """Numbers from `SEARCH n n n` lines (a trailing CONDSTORE `(MODSEQ m)` is ignored); other lines skipped."""
    numbers: list[int] = []
    for line in lines:
        if not isinstance(line, (bytes, bytearray)):
            raise ImapParseError(f"response line is {type(line).__name__}, expected bytes")
        head, _, rest = bytes(line).removeprefix(b"* ").partition(b" ")
        if head.upper() != b"SEARCH":
            continue
        for part in rest.split(b"(")[0].split():
            if not part.isdigit() or len(part) > _MAX_NUMBER_DIGITS:
                raise ImapParseError(f"SEARCH result {part[:40]!r} is not a number")
            numbers.append(int(part))
    return numbers


def parse_capability(lines: Sequence[bytes | bytearray]) -> frozenset[str]:
    """Upper-cased capability names from a `CAPABILITY ...` line or an `[CAPABILITY ...]` response code."""
    for line in lines:
        if not isinstance(line, (bytes, bytearray)):
            raise ImapParseError(f"response line is {type(line).__name__}, expected bytes")
        text = bytes(line).removeprefix(b"* ")
        code = re.search(rb"\[CAPABILITY ([^\]]*)\]", text, re.IGNORECASE)
        if code:
            words = code.group(1)
        elif text[:11].upper() == b"CAPABILITY ":
            words = text[11:]
        else:
            continue
        names = words.decode("ascii", "replace").upper().split()
        if not names:
            raise ImapParseError("empty CAPABILITY list")
        return frozenset(names)
    raise ImapParseError("no CAPABILITY in the response")


def parse_appenduid(lines: Sequence[bytes | bytearray]) -> tuple[int, int] | None:
    """(uidvalidity, uid) from an `[APPENDUID v u]` code (UIDPLUS), or None when the server sent none."""
    for line in lines:
        if not isinstance(line, (bytes, bytearray)):
            raise ImapParseError(f"response line is {type(line).__name__}, expected bytes")
        match = re.search(rb"\[APPENDUID (\d{1,20}) (\d{1,20})\]", line, re.IGNORECASE)
        if match:
            return int(match.group(1)), int(match.group(2))
    return None


@dataclass(frozen=True, slots=True)
class ListEntry:
    """One LIST answer: flags such as \\HasNoChildren, hierarchy delimiter, decoded mailbox name."""

    flags: tuple[str, ...]
    delimiter: str | None
    name: str


def parse_list(lines: Sequence[bytes | bytearray]) -> list[ListEntry]:
    """Parse `LIST (flags) "delim" name` lines (name quoted, atom or literal; modified UTF-7 decoded)."""
    entries = []
    for tokens in tokenize(join_lines(lines)):
        if tokens and tokens[0] == "*":
            tokens = tokens[1:]
        if not tokens or not isinstance(tokens[0], Atom) or tokens[0].upper() != "LIST":
            continue
        if len(tokens) < 4 or not isinstance(tokens[1], list):
            raise ImapParseError(f"malformed LIST line: {_preview(tokens)}")
        flags, delimiter, name = tokens[1], tokens[2], tokens[3]
        if not isinstance(delimiter, (bytes, type(None))) or not isinstance(name, (bytes, Atom, int)):
            raise ImapParseError(f"malformed LIST line: {_preview(tokens)}")
        raw_name = name if isinstance(name, bytes) else str(name).encode()
        entries.append(
            ListEntry(
                tuple(str(flag) for flag in flags),
                delimiter.decode("utf-8", "replace") if delimiter is not None else None,
                decode_mailbox(raw_name),
            )
        )
    return entries


# ---------------------------------------------------------------- mailbox names (RFC 3501 5.1.3)


def encode_mailbox(name: str) -> str:
    """Mailbox name to IMAP modified UTF-7, quoted for a command line."""
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            chunk = base64.b64encode("".join(pending).encode("utf-16-be")).rstrip(b"=")
            out.append("&" + chunk.decode().replace("/", ",") + "-")
            pending.clear()

    for char in name:
        if 0x20 <= ord(char) <= 0x7E:
            flush()
            out.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    flush()
    encoded = "".join(out)
    return '"' + encoded.replace("\\", "\\\\").replace('"', '\\"') + '"'


def decode_mailbox(raw: bytes) -> str:
    """IMAP modified UTF-7 bytes to a str; undecodable parts are kept as they are."""
    text = raw.decode("utf-8", "replace")
    parts = re.split(r"(&[^-]*-)", text)
    out = []
    for part in parts:
        if part.startswith("&") and part.endswith("-"):
            if part == "&-":
                out.append("&")
                continue
            chunk = part[1:-1].replace(",", "/")
            try:
                out.append(base64.b64decode(chunk + "=" * (-len(chunk) % 4)).decode("utf-16-be"))
            except (ValueError, UnicodeDecodeError):
                out.append(part)
        else:
            out.append(part)
    return "".join(out)
