"""Our fixes to aioimaplib, in one place: subclasses that override its private methods.

They depend on aioimaplib's internals (`_handle_responses`, `_untagged_response`, `incomplete_line`,
`pending_sync_command`, `Command._expected_size`, ...), so pyproject.toml pins aioimaplib to the exact
version they were written and tested against (2.0.3); tests/imap/test_protocol_reader.py and the real-Dovecot
tests check them. Before bumping it, read each override against the new upstream code and drop the ones
it no longer needs. core.mail.imap_client is the only user.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from typing import Any

from aioimaplib.aioimaplib import CRLF, Command, FetchCommand, IMAP4ClientProtocol, IncompleteRead, literal_data_re

__all__ = ["ImapProtocol", "SelectLikeCommand", "UidFetchCommand"]

_aioimaplib_log = logging.getLogger("aioimaplib.aioimaplib")
_EXISTS_NOTICE = re.compile(rb"^\* \d+ EXISTS\b", re.IGNORECASE)


class ImapProtocol(IMAP4ClientProtocol):  # type: ignore[misc] # aioimaplib ships no type information
    """aioimaplib's protocol with a connection-lost future, every EXISTS counted, and a reader that is linear
    and non-recursive. Each override replaces a private method of IMAP4ClientProtocol."""

    # Set by aioimaplib's IMAP4ClientProtocol; declared for the type checker.
    incomplete_line: bytes
    current_command: Command | None

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(loop)
        self.lost: asyncio.Future[Exception | None] = loop.create_future()
        self.exists_notices = 0
        self.uidvalidity_notices = 0

    def _untagged_response(self, line: bytes) -> Any:
        # Why: upstream drops an EXISTS that arrives during SEARCH and other async commands; count every one.
        if _EXISTS_NOTICE.match(line):
            self.exists_notices += 1
        elif line[:6] == b"* OK [" and line[6:18].upper() == b"UIDVALIDITY ":
            # SELECT's answer, or (rarely) the server saying the selected mailbox's UIDs changed under us.
            self.uidvalidity_notices += 1
        return super()._untagged_response(line)

    def connection_lost(self, exc: Exception | None) -> None:
        # Why: upstream leaves pending commands waiting forever when the socket closes; this future wakes them.
        if not self.lost.done():
            self.lost.set_result(exc)
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        # Why: upstream formats `'Received : %s' % d` for every chunk even with debug logging off.
        if _aioimaplib_log.isEnabledFor(logging.DEBUG):
            _aioimaplib_log.debug("Received : %r", data[:200])
        try:
            self._handle_responses(self.incomplete_line + data, self._handle_line, self.current_command)
            self.incomplete_line = b""
            self.current_command = None
        except IncompleteRead as incomplete_read:
            self.current_command = incomplete_read.cmd
            self.incomplete_line = incomplete_read.data

    def _handle_responses(
        self,
        data: bytes,
        line_handler: Callable[[bytes, Command | None], Command | None],
        current_cmd: Command | None = None,
    ) -> None:
        # Why: same logic as upstream, as a loop over an offset: upstream recurses once per line (RecursionError
        # near 950 lines, #118) and copies the rest of the buffer at every line.
        pos, end = 0, len(data)
        while True:
            if current_cmd is not None and current_cmd.wait_literal_data():
                missing = current_cmd._expected_size - len(current_cmd._resp_literal_data)
                chunk = data[pos : pos + missing]
                pos += len(chunk)
                current_cmd.append_literal_data(chunk)
                if current_cmd.wait_literal_data():
                    raise IncompleteRead(current_cmd)
            if pos >= end:
                if self.pending_sync_command is not None:
                    self.pending_sync_command.flush()
                if current_cmd is not None and current_cmd.wait_data():
                    raise IncompleteRead(current_cmd)
                return
            line_end = data.find(CRLF, pos)
            if line_end < 0:
                raise IncompleteRead(current_cmd, data[pos:])
            line = data[pos:line_end]
            pos = line_end + 2
            cmd = line_handler(line, current_cmd)
            begin_literal = literal_data_re.match(line) if line.endswith(b"}") else None
            if begin_literal:
                if cmd is None:
                    cmd = Command("NIL", "unused", loop=self.loop)
                cmd.begin_literal_data(int(begin_literal.group("size")))
                current_cmd = cmd
            elif cmd is not None and cmd.wait_data():
                current_cmd = cmd
            else:
                current_cmd = None


class UidFetchCommand(FetchCommand):  # type: ignore[misc] # aioimaplib ships no type information
    """UID FETCH whose "is the message data complete" check is incremental.

    Why: upstream's wait_data rescans the whole response at every line, quadratic in a batch of 500 mails.
    """

    def __init__(self, tag: str, *args: str, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(tag, *args, prefix="UID", loop=loop)
        self._open_parens = 0

    def append_to_resp(self, line: bytes, result: str = "Pending") -> None:
        super().append_to_resp(line, result)
        if type(line) is bytes:  # literals arrive as bytearray and must not be counted
            balance = line.count(b"(") - line.count(b")")
            self._open_parens = balance if self.FETCH_MESSAGE_DATA_RE.match(line) else self._open_parens + balance

    def wait_data(self) -> bool:
        return self._open_parens != 0


class SelectLikeCommand(Command):  # type: ignore[misc] # aioimaplib ships no type information
    """A command filed as SELECT so aioimaplib hands it every untagged line, sent on the wire as `verb`.

    Why: upstream treats EXAMINE as an asynchronous command, so its EXISTS/UIDVALIDITY lines would be dropped.
    """

    def __init__(self, verb: str, tag: str, *args: str, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__("SELECT", tag, *args, loop=loop)
        self.verb = verb

    def __repr__(self) -> str:
        return " ".join([self.tag, self.verb, *self.args])
