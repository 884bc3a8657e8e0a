"""The aioimaplib protocol fixes in core.mail.aioimaplib_patches: no recursion limit on long reads, literals split anywhere."""

from __future__ import annotations

import asyncio

import pytest
from aioimaplib.aioimaplib import SELECTED

from core.mail.aioimaplib_patches import ImapProtocol, UidFetchCommand
from core.mail.imap_parse import parse_fetch

pytestmark = pytest.mark.asyncio


class _Transport:
    def __init__(self) -> None:
        self.written = b""

    def write(self, data: bytes) -> None:
        self.written += data


def _protocol() -> ImapProtocol:
    proto = ImapProtocol(asyncio.get_running_loop())
    proto.transport = _Transport()
    proto.state = SELECTED
    return proto


async def _fetch_with_chunks(proto: ImapProtocol, wire: bytes, cuts: list[int]) -> list:
    """Run a UID FETCH whose answer is `wire` (TAG replaced by the real tag) delivered in pieces at `cuts`."""
    command = UidFetchCommand(proto.new_tag(), "1:*", "(UID BODY.PEEK[])", loop=proto.loop)
    running = asyncio.ensure_future(proto.execute(command))
    await asyncio.sleep(0)
    wire = wire.replace(b"TAG", command.tag.encode())
    bounds = [0, *cuts, len(wire)]
    for start, end in zip(bounds, bounds[1:], strict=False):
        proto.data_received(wire[start:end])
    response = await asyncio.wait_for(running, 5)
    return parse_fetch(response.lines[:-1])


async def test_five_thousand_lines_in_one_read_do_not_hit_the_recursion_limit():
    data = b"".join(b"* %d FETCH (UID %d FLAGS (\\Seen))\r\n" % (n, n) for n in range(1, 5001))
    items = await _fetch_with_chunks(_protocol(), data + b"TAG OK done\r\n", [])
    assert [item.uid for item in items] == list(range(1, 5001))


async def test_literals_split_at_every_byte_boundary_are_reassembled():
    body = b"Subject: x\r\n\r\n(paren {3}\r\n"
    wire = b"* 1 FETCH (UID 1 BODY[] {%d}\r\n%s FLAGS ())\r\n* 2 FETCH (UID 2 BODY[] {0}\r\n)\r\nTAG OK done\r\n" % (
        len(body),
        body,
    )
    for cut in range(1, len(wire) - 20):
        items = await _fetch_with_chunks(_protocol(), wire, [cut])
        assert [(item.uid, item.body) for item in items] == [(1, body), (2, b"")], cut
    items = await _fetch_with_chunks(_protocol(), wire, list(range(1, len(wire) - 20)))
    assert items[0].body == body
