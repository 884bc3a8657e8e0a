"""The MIME structure, found by scanning the raw bytes for boundaries (bodies are never split into lines)."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import Message
from typing import Any

from core.mail.mime.decoding import _clean_str
from core.mail.mime.headers import _header_text, _join_header, _parse_header_block, _unfold
from core.mail.mime.model import MAX_DEPTH, MAX_PARTS


@dataclass(slots=True)
class _Leaf:
    path: str
    content_type: str
    params: Message
    cte: str
    body_start: int
    body_end: int
    alt_group: str | None


class _PartHeaders(Message):
    """A compat32 Message that parses each header's parameters once: the boundary, charset, filename and
    name lookups each parsed the whole Content-Type or Content-Disposition again (a fifth of parsing's time).
    Its headers are set once, by _part_message, before any lookup."""

    def __init__(self) -> None:
        super().__init__()
        self._params: dict[str, Any] = {}

    def _get_params_preserve(self, failobj: Any, header: str) -> Any:
        # Why: overrides email.message.Message's private parser entry, which every get_param call runs. A missing
        # header is not remembered: callers tell "missing" by getting back their own failobj.
        key = header.lower()
        params = self._params.get(key)
        if params is None:
            params = super()._get_params_preserve(failobj, header)  # type: ignore[misc] # a private method of email.message.Message that typeshed does not declare
            if params is not failobj:
                self._params[key] = params
        return params


def _part_message(headers: list[list[Any]], defects: list[str], default_type: str) -> Message:
    """A compat32 Message holding only the Content-* headers, for RFC 2231 parameter parsing."""
    msg = _PartHeaders()
    if default_type != "text/plain":
        msg.set_default_type(default_type)
    for name, chunks in headers:
        if name in ("content-type", "content-disposition", "content-transfer-encoding", "content-id"):
            msg.set_raw(name, _unfold(_clean_str(_header_text(_join_header(chunks), defects))))
    return msg


def _find_boundaries(
    raw: bytes, start: int, end: int, boundary: bytes, limit: int
) -> tuple[list[tuple[int, int]], bool]:
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


def _scan(raw: bytes, defects: list[str]) -> tuple[list[list[Any]], list[_Leaf]]:
    """Walk the MIME tree iteratively; returns (top headers, leaves in document order)."""
    leaves: list[_Leaf] = []
    top_headers: list[list[Any]] = []
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


def _normalize_raw(raw: Any) -> bytes:
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
