"""Async IMAP client: one connection per object over aioimaplib, every wait bounded by a named timeout.

Callers get our errors only: ImapAuthError and ImapTlsError (do not retry blindly), ImapConnectionLost and
its subclass ImapTimeout (reconnect with core.mail.backoff), ImapCommandError (the server said NO/BAD).
Any interrupted command (timeout, connection loss, cancellation) closes the connection: aioimaplib keeps
no way to resynchronise a half-answered command, so a new ImapClient is the only safe continuation.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import re
import socket
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, TypeVar

import aioimaplib
from aioimaplib.aioimaplib import AUTH, SELECTED, Command, quoted, time2internaldate

from core.errors import ComptoirError
from core.mail.aioimaplib_patches import ImapProtocol, SelectLikeCommand, UidFetchCommand
from core.mail.imap_parse import (
    FetchItem,
    ImapParseError,
    ListEntry,
    MailboxStatus,
    encode_mailbox,
    parse_appenduid,
    parse_capability,
    parse_fetch,
    parse_list,
    parse_search,
    parse_select,
)

__all__ = [
    "ConnectMode",
    "FetchItem",
    "IdleResult",
    "ImapAuthError",
    "ImapClient",
    "ImapCommandError",
    "ImapConnectionLost",
    "ImapError",
    "ImapTimeout",
    "ImapTimeouts",
    "ImapTlsError",
    "ListEntry",
    "MailboxStatus",
    "imap_quote",
    "make_ssl_context",
]

log = logging.getLogger(__name__)
T = TypeVar("T")
ConnectMode = Literal["tls", "starttls", "plain"]
MAX_FETCH_BATCH = 500  # aioimaplib's own reader overflowed near 950 lines per read (upstream #118; patched anyway).
IDLE_MAX_SECONDS = 29 * 60  # RFC 2177: servers may drop a client idle for 30 minutes, so re-IDLE before.
_DEFAULT_PORTS = {"tls": 993, "starttls": 143, "plain": 143}
_PUSH = re.compile(rb"^(\d+) (EXISTS|EXPUNGE)\b|^VANISHED\b|^BYE\b", re.IGNORECASE)


# ---------------------------------------------------------------- errors and settings


class ImapError(ComptoirError):
    """An IMAP operation failed; the message names the operation and never holds a password."""


class ImapAuthError(ImapError):
    """The server refused our credentials or refuses to log in on this connection."""


class ImapTlsError(ImapError):
    """TLS could not be set up: certificate refused, handshake failed or STARTTLS unavailable."""


class ImapCommandError(ImapError):
    """The server answered NO or BAD to a command."""


class ImapConnectionLost(ImapError):
    """The connection dropped or can no longer be trusted; reconnect (with backoff) to continue."""


class ImapTimeout(ImapConnectionLost):
    """No answer within the named timeout; the connection was closed."""


def _keepalive(sock: socket.socket | None) -> None:
    """TCP keepalive after 60 s of silence, then every 10 s, 3 tries: a vanished peer (a host gone, a NAT that
    forgot us) fails the connection in about 90 s even in a long IDLE. A frozen server process is not seen
    this way (its kernel still answers): core.mail.mailbox_sync probes with commands for that."""
    if sock is None:
        return
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        for name, value in (("TCP_KEEPIDLE", 60), ("TCP_KEEPINTVL", 10), ("TCP_KEEPCNT", 3)):
            if hasattr(socket, name):
                sock.setsockopt(socket.IPPROTO_TCP, getattr(socket, name), value)
    except OSError:
        pass  # keepalive is a help, never a reason to fail a connection


@dataclass(frozen=True, slots=True)
class ImapTimeouts:
    """Seconds each kind of wait may last before the connection is given up."""

    connect: float = 20.0
    command: float = 30.0
    fetch_min_rate: float = 100_000.0  # bytes/s a FETCH batch must at least reach, on top of `command`.
    logout: float = 5.0
    busy: float = 60.0  # waiting for another task's command on this connection to finish.


@dataclass(frozen=True, slots=True)
class IdleResult:
    """What IDLE saw: untagged push lines, the last EXISTS count and the EXPUNGEd sequence numbers."""

    lines: tuple[bytes, ...] = ()
    exists: int | None = None
    expunged: tuple[int, ...] = ()

    @property
    def changed(self) -> bool:
        """True when the mailbox gained or lost messages (the caller should sync)."""
        return (
            self.exists is not None
            or bool(self.expunged)
            or any(line[:8].upper() == b"VANISHED" for line in self.lines)
        )


def make_ssl_context(cafile: str | None = None, verify: bool = True) -> ssl.SSLContext:
    """A client TLS context: system CAs (or `cafile`), hostname checked; verify=False accepts any cert."""
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=cafile)
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def imap_quote(value: str) -> str:
    """A quoted IMAP string for search criteria (ASCII; CR/LF refused)."""
    if "\r" in value or "\n" in value or "\0" in value:
        raise ImapError("search values cannot contain CR, LF or NUL")
    text: str = quoted(value)  # aioimaplib is untyped
    return text


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses, the only hosts a plain connection may reach."""
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


# ---------------------------------------------------------------- the client


class ImapClient:
    """One IMAP connection. Use `async with ImapClient(...) as client:` or connect()/logout()."""

    def __init__(
        self,
        host: str,
        port: int | None = None,
        mode: ConnectMode = "tls",
        *,
        cafile: str | None = None,
        verify: bool = True,
        timeouts: ImapTimeouts = ImapTimeouts(),
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        if mode not in _DEFAULT_PORTS:
            raise ImapError(f"unknown IMAP connect mode {mode!r} (use tls, starttls or plain)")
        if mode == "plain" and not is_loopback(host):
            raise ImapError(
                f"refusing an unencrypted IMAP connection to {host}: plain is only for loopback, use tls or starttls"
            )
        self.host = host
        self.port = port or _DEFAULT_PORTS[mode]
        self.mode = mode
        self.timeouts = timeouts
        self._ssl_context = ssl_context or (make_ssl_context(cafile, verify) if mode != "plain" else None)
        self._proto: ImapProtocol | None = None
        self._lock = asyncio.Lock()
        self._capabilities: frozenset[str] = frozenset()
        self._selected: str | None = None

    # -- connection

    @property
    def capabilities(self) -> frozenset[str]:
        """Upper-cased capability names, refreshed after STARTTLS and after login."""
        return self._capabilities

    @property
    def exists_notices(self) -> int:
        """How many untagged EXISTS the server sent on this connection, whatever command they came with."""
        return self._proto.exists_notices if self._proto is not None else 0

    @property
    def uidvalidity_notices(self) -> int:
        """How many untagged OK [UIDVALIDITY] the server sent on this connection (each SELECT's answer has one)."""
        return self._proto.uidvalidity_notices if self._proto is not None else 0

    @property
    def selected(self) -> str | None:
        """The mailbox selected on this connection, or None."""
        return self._selected

    @property
    def connected(self) -> bool:
        return self._proto is not None and not self._proto.lost.done()

    async def connect(self) -> None:
        """Open the TCP (and TLS) connection, read the greeting and, in starttls mode, upgrade to TLS."""
        loop = asyncio.get_running_loop()
        proto = ImapProtocol(loop)
        implicit_tls = self._ssl_context if self.mode == "tls" else None
        try:
            await asyncio.wait_for(
                loop.create_connection(lambda: proto, self.host, self.port, ssl=implicit_tls), self.timeouts.connect
            )
        except ssl.SSLCertVerificationError as error:
            raise ImapTlsError(f"TLS certificate of {self.host}:{self.port} refused: {error.verify_message}") from None
        except ssl.SSLError as error:
            raise ImapTlsError(f"TLS handshake with {self.host}:{self.port} failed: {error.reason}") from None
        except TimeoutError:
            raise ImapTimeout(
                f"connect to {self.host}:{self.port} timed out after {self.timeouts.connect:g}s"
            ) from None
        except OSError as error:
            raise ImapConnectionLost(f"cannot connect to {self.host}:{self.port}: {error.strerror or error}") from None
        self._proto = proto
        _keepalive(proto.transport.get_extra_info("socket"))
        await self._run("greeting", proto.wait("AUTH|NONAUTH"), self.timeouts.connect)
        self._capabilities = frozenset(c.upper() for c in proto.capabilities)
        if self.mode == "starttls":
            await self._starttls()

    async def _starttls(self) -> None:
        """Send STARTTLS, wrap the socket with loop.start_tls and forget what was learnt in clear text."""
        if "STARTTLS" not in self._capabilities:
            self._abort()
            raise ImapTlsError(f"{self.host}:{self.port} does not offer STARTTLS")
        proto = self._opened()
        response = await self._run(
            "STARTTLS", proto.execute(Command("STARTTLS", proto.new_tag(), loop=proto.loop)), self.timeouts.command
        )
        if response.result != "OK":
            self._abort()
            raise ImapTlsError(f"STARTTLS refused by {self.host}: {_status_text(response)}")
        if proto.incomplete_line:
            # Bytes after the STARTTLS OK were injected before encryption (CVE-2011-0411 style): never read them.
            self._abort()
            raise ImapTlsError(f"{self.host} sent data after accepting STARTTLS; connection dropped")
        if self._ssl_context is None:
            raise ImapTlsError(f"STARTTLS with {self.host} needs a TLS context, which only mode 'plain' goes without")
        loop = asyncio.get_running_loop()
        try:
            proto.transport = await asyncio.wait_for(
                loop.start_tls(proto.transport, proto, self._ssl_context, server_hostname=self.host),
                self.timeouts.connect,
            )
        except ssl.SSLCertVerificationError as error:
            self._abort()
            raise ImapTlsError(f"TLS certificate of {self.host}:{self.port} refused: {error.verify_message}") from None
        except (ssl.SSLError, ConnectionError) as error:
            self._abort()
            raise ImapTlsError(f"TLS handshake with {self.host}:{self.port} failed: {error}") from None
        except TimeoutError:
            self._abort()
            raise ImapTimeout(f"TLS handshake with {self.host} timed out after {self.timeouts.connect:g}s") from None
        await self._refresh_capabilities()

    async def _refresh_capabilities(self, lines: Sequence[bytes] = ()) -> None:
        """Take capabilities from `lines` ([CAPABILITY ...] code) or ask with CAPABILITY."""
        try:
            capabilities = parse_capability(lines)
        except ImapParseError:
            proto = self._require()
            response = await self._command("CAPABILITY", Command("CAPABILITY", proto.new_tag(), loop=proto.loop))
            capabilities = self._parse("CAPABILITY", parse_capability, _untagged(response, b"CAPABILITY"))
        self._capabilities = capabilities
        self._opened().capabilities = set(capabilities)  # aioimaplib checks IDLE/MOVE/UIDPLUS in this set

    async def login(self, user: str, password: str) -> None:
        """LOGIN with quoted user and password; raises ImapAuthError (without the password) when refused."""
        proto = self._require()
        if "LOGINDISABLED" in self._capabilities:
            raise ImapAuthError(f"{self.host} refuses LOGIN on this connection (LOGINDISABLED); use tls or starttls")
        if any(char in user + password for char in "\r\n\0"):
            raise ImapAuthError("user name and password cannot contain CR, LF or NUL")
        # No aioimaplib timeout is set, so no CommandTimeout (whose text is the command line) can carry the
        # password; scrub= hides it in aioimaplib's debug log.
        command = Command("LOGIN", proto.new_tag(), quoted(user), quoted(password), loop=proto.loop)
        response = await self._run("LOGIN", proto.execute(command, scrub=quoted(password)[1:-1]), self.timeouts.command)
        if response.result != "OK":
            raise ImapAuthError(f"{self.host} refused login for {user!r}: {_status_text(response)}")
        proto.state = AUTH
        await self._refresh_capabilities(response.lines)

    async def logout(self) -> None:
        """Best-effort LOGOUT, then close the socket; never raises."""
        proto = self._proto
        if proto is None:
            return
        if not proto.lost.done():
            try:
                await self._run(
                    "LOGOUT", proto.execute(Command("LOGOUT", proto.new_tag(), loop=proto.loop)), self.timeouts.logout
                )
            except ImapError:
                pass
        self._abort()

    def abort(self) -> None:
        """Close the connection at once, without LOGOUT; whatever command is waiting fails with ImapConnectionLost."""
        self._abort()

    def _abort(self) -> None:
        """Close the socket now; pending and future commands fail with ImapConnectionLost."""
        proto = self._proto
        if proto is not None and proto.transport is not None:
            proto.transport.abort()
        if proto is not None and not proto.lost.done():
            proto.lost.set_result(None)

    async def __aenter__(self) -> ImapClient:
        await self.connect()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.logout()

    # -- mailbox commands

    async def select(self, mailbox: str = "INBOX", readonly: bool = True) -> MailboxStatus:
        """SELECT (or EXAMINE when readonly) with CONDSTORE when offered; returns UIDVALIDITY and friends."""
        proto = self._require()
        args = [encode_mailbox(mailbox)]
        if "CONDSTORE" in self._capabilities:
            args.append("(CONDSTORE)")
        command = SelectLikeCommand("EXAMINE" if readonly else "SELECT", proto.new_tag(), *args, loop=proto.loop)
        response = await self._command("SELECT", command)
        proto.state = SELECTED
        self._selected = mailbox
        return self._parse("SELECT", parse_select, response.lines)

    async def uid_search(self, *criteria: str) -> list[int]:
        """UID SEARCH with raw criteria, e.g. ("UID", "5:*") or ("HEADER", "Message-ID", imap_quote(mid))."""
        proto = self._require_selected()
        command = Command("SEARCH", proto.new_tag(), *criteria, prefix="UID", loop=proto.loop)
        response = await self._command("UID SEARCH", command)
        return sorted(set(self._parse("UID SEARCH", parse_search, _untagged(response, b"SEARCH"))))

    async def search_message_id(self, message_id: str) -> list[int]:
        """UIDs of messages whose Message-ID header contains `message_id`."""
        return await self.uid_search("HEADER", "Message-ID", imap_quote(message_id))

    async def fetch_uids(
        self, uids: Sequence[int] | str, batch: int = MAX_FETCH_BATCH, max_batch_bytes: int = 8 * 1024 * 1024
    ) -> AsyncIterator[FetchItem]:
        """Yield full messages (BODY.PEEK[], so \\Seen is never set) in ascending UID order.

        `uids` is a list or a UID range such as "1:*". Batches hold at most `batch` UIDs and about
        `max_batch_bytes` of mail (sizes are asked first); UIDs expunged meanwhile are skipped.
        """
        if not 1 <= batch <= MAX_FETCH_BATCH:
            raise ValueError(f"batch must be between 1 and {MAX_FETCH_BATCH}")
        wanted = await self._resolve_uids(uids)
        parts = "(UID FLAGS INTERNALDATE RFC822.SIZE"
        parts += " MODSEQ" if "CONDSTORE" in self._capabilities else ""
        parts += " BODY.PEEK[])"
        # Sizes are asked 500 UIDs at a time, just before their mail: asking all of a 20,000-mail first sync's
        # up front kept the parse workers and the store idle for the first half second or more.
        group: list[int] = []
        total = 0
        for chunk in _chunks(wanted, MAX_FETCH_BATCH):
            sizes: dict[int, int] = {}
            for item in await self._fetch(chunk, "(UID RFC822.SIZE)"):
                if item.uid is not None and item.size is not None:
                    sizes[item.uid] = item.size
            for uid in chunk:
                size = sizes.get(uid)
                if size is None:
                    continue  # expunged meanwhile
                if group and (len(group) >= batch or total + size > max_batch_bytes):
                    async for item in self._fetch_group(group, total, parts):
                        yield item
                    group, total = [], 0
                group.append(uid)
                total += size
        if group:
            async for item in self._fetch_group(group, total, parts):
                yield item

    async def _fetch_group(self, group: list[int], group_bytes: int, parts: str) -> AsyncIterator[FetchItem]:
        items = await self._fetch(group, parts, expected_bytes=group_bytes)
        members = set(group)
        for item in sorted((i for i in items if i.uid in members and i.body is not None), key=_uid_key):
            yield item

    async def add_flags(self, uids: str, flags: Sequence[str]) -> None:
        """UID STORE +FLAGS.SILENT: add flags (e.g. \\Seen when a team turns set_seen on) without echoes."""
        if not re.fullmatch(r"[0-9*:,]+", uids) or not all(re.fullmatch(r"\\?[A-Za-z$_-]+", f) for f in flags):
            raise ImapError(f"bad UID set or flag for STORE: {uids!r} {list(flags)!r}")
        proto = self._require_selected()
        command = Command(
            "STORE", proto.new_tag(), uids, "+FLAGS.SILENT", f"({' '.join(flags)})", prefix="UID", loop=proto.loop
        )
        await self._command("UID STORE", command)

    async def fetch_changed_since(self, modseq: int, uids: str = "1:*") -> list[FetchItem]:
        """UID, FLAGS and MODSEQ of messages changed after `modseq` (CONDSTORE CHANGEDSINCE)."""
        if "CONDSTORE" not in self._capabilities:
            raise ImapError(f"{self.host} has no CONDSTORE: use UID SEARCH to find changes")
        proto = self._require_selected()
        command = UidFetchCommand(
            proto.new_tag(), uids, "(UID FLAGS MODSEQ)", f"(CHANGEDSINCE {int(modseq)})", loop=proto.loop
        )
        response = await self._command("UID FETCH CHANGEDSINCE", command)
        items = self._parse("UID FETCH", parse_fetch, response.lines[:-1])
        return sorted((item for item in items if item.uid is not None), key=_uid_key)

    async def idle(self, timeout: float) -> IdleResult:
        """Wait up to `timeout` seconds for EXISTS/EXPUNGE pushes; returns on the first one (empty on timeout).

        Re-issues IDLE every 29 minutes (RFC 2177). Dovecot batches pushes: expect ~0.5 s of delay.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(0.0, timeout)
        while True:
            remaining = deadline - loop.time()
            result = await self._idle_once(min(remaining, IDLE_MAX_SECONDS))
            if result.changed or deadline - loop.time() <= 0:
                return result

    async def _idle_once(self, timeout: float) -> IdleResult:
        """One IDLE ... DONE exchange lasting at most `timeout` seconds."""
        proto = self._require_selected()
        if "IDLE" not in self._capabilities:
            raise ImapError(f"{self.host} has no IDLE; poll with noop() instead")
        await self._acquire("IDLE")
        idle_task: asyncio.Future[Any] | None = None
        try:
            while not proto.idle_queue.empty():  # pushes left from an earlier IDLE were already synced
                proto.idle_queue.get_nowait()
            idle_task = asyncio.ensure_future(proto.idle())
            # Upstream's idle_start waits for the "+ idling" continuation without noticing a closed socket (#110).
            ack = asyncio.ensure_future(proto.wait_for_idle_response())
            try:
                await self._race(
                    "IDLE", asyncio.wait({idle_task, ack}, return_when=asyncio.FIRST_COMPLETED), self.timeouts.command
                )
            finally:
                ack.cancel()
            if idle_task.done():
                raise ImapCommandError(f"IDLE refused by {self.host}: {_status_text(idle_task.result())}")
            seen: list[bytes] = []
            deadline = proto.loop.time() + timeout
            while not _is_change(seen):
                remaining = deadline - proto.loop.time()
                if remaining <= 0:
                    break
                try:
                    seen.extend(
                        await self._race("IDLE wait", proto.idle_queue.get(), remaining, timeout_is_error=False)
                    )
                except _Expired:
                    break
            if any(bytes(line[:3]).upper() == b"BYE" for line in seen):
                self._abort()
                raise ImapConnectionLost(f"{self.host} closed the connection during IDLE (BYE)")
            proto.idle_done()
            response = await self._race("IDLE DONE", idle_task, self.timeouts.command)
            seen.extend(line for line in response.lines[:-1] if isinstance(line, bytes))
            return _idle_result(seen)
        finally:
            if idle_task is not None and not idle_task.done():
                idle_task.cancel()
            self._lock.release()

    async def noop(self) -> IdleResult:
        """NOOP: keeps the connection alive and collects pending EXISTS/EXPUNGE notices."""
        proto = self._require()
        response = await self._command("NOOP", Command("NOOP", proto.new_tag(), loop=proto.loop))
        return _idle_result([line for line in response.lines[:-1] if isinstance(line, bytes)])

    async def append(
        self, mailbox: str, raw: bytes, flags: Iterable[str] = (), date: datetime | None = None
    ) -> int | None:
        """APPEND a message; returns its UID from APPENDUID (UIDPLUS), or None when the server gives none."""
        proto = self._require()
        flag_list = " ".join(flags)
        args = [encode_mailbox(mailbox)]
        if flag_list:
            args.append(f"({flag_list})")
        if date is not None:
            args.append(time2internaldate(date))
        args.append(f"{{{len(raw)}}}")
        command = Command("APPEND", proto.new_tag(), *args, loop=proto.loop)

        async def send() -> aioimaplib.Response:
            proto.literal_data = bytes(raw)  # written by aioimaplib when the server sends its "+" continuation
            return await proto.execute(command)

        response = await self._command("APPEND", send(), extra_seconds=len(raw) / self.timeouts.fetch_min_rate)
        found = parse_appenduid(response.lines[-1:])
        return found[1] if found else None

    async def create(self, mailbox: str, exist_ok: bool = True) -> None:
        """CREATE a mailbox; an existing one is fine unless exist_ok is False."""
        proto = self._require()
        command = Command("CREATE", proto.new_tag(), encode_mailbox(mailbox), loop=proto.loop)
        response = await self._run("CREATE", proto.execute(command), self.timeouts.command)
        if response.result != "OK" and not (exist_ok and b"ALREADYEXISTS" in bytes(response.lines[-1]).upper()):
            raise ImapCommandError(f"CREATE {mailbox!r} refused by {self.host}: {_status_text(response)}")

    async def list_mailboxes(self, pattern: str = "*") -> list[ListEntry]:
        """LIST "" pattern: every mailbox with its flags and delimiter."""
        proto = self._require()
        command = Command("LIST", proto.new_tag(), '""', encode_mailbox(pattern), loop=proto.loop)
        response = await self._command("LIST", command)
        return self._parse("LIST", parse_list, _untagged(response, b"LIST"))

    # -- plumbing

    def _opened(self) -> ImapProtocol:
        """The protocol of a connection opened by connect() (which may have been lost since)."""
        if self._proto is None:
            raise ImapError("not connected: call connect() first")
        return self._proto

    def _require(self) -> ImapProtocol:
        if self._proto is None:
            raise ImapError("not connected: call connect() first")
        if self._proto.lost.done():
            raise ImapConnectionLost(f"connection to {self.host}:{self.port} is closed")
        return self._proto

    def _require_selected(self) -> ImapProtocol:
        proto = self._require()
        if self._selected is None:
            raise ImapError("no mailbox selected: call select() first")
        return proto

    async def _resolve_uids(self, uids: Sequence[int] | str) -> list[int]:
        if isinstance(uids, str):
            if not re.fullmatch(r"[0-9*:,]+", uids):
                raise ImapError(f"not a UID set: {uids!r}")
            found = await self.uid_search("UID", uids)
            # RFC 3501: "n:*" always matches the highest UID, even when it is below n; drop that one.
            low = re.fullmatch(r"(\d+):\*", uids)
            return [uid for uid in found if uid >= int(low.group(1))] if low else found
        return sorted({int(uid) for uid in uids})

    async def _fetch(self, uids: Sequence[int], parts: str, expected_bytes: int = 0) -> list[FetchItem]:
        proto = self._require_selected()
        command = UidFetchCommand(proto.new_tag(), _uid_set(uids), parts, loop=proto.loop)
        response = await self._command(
            "UID FETCH", command, extra_seconds=expected_bytes / self.timeouts.fetch_min_rate
        )
        return self._parse("UID FETCH", parse_fetch, response.lines[:-1])

    async def _command(self, what: str, command: Command | Awaitable[Any], extra_seconds: float = 0.0) -> Any:
        """Run one command alone on the connection and return its OK response (NO/BAD raise)."""
        proto = self._require()
        await self._acquire(what)
        try:
            awaitable = proto.execute(command) if isinstance(command, Command) else command
            response = await self._race(what, awaitable, self.timeouts.command + extra_seconds)
        finally:
            self._lock.release()
        if response.result != "OK":
            raise ImapCommandError(f"{what} refused by {self.host}: {_status_text(response)}")
        return response

    async def _acquire(self, what: str) -> None:
        # aioimaplib mixes up answers of two FETCHes in flight, so every command runs alone.
        try:
            await asyncio.wait_for(self._lock.acquire(), self.timeouts.busy)
        except TimeoutError:
            raise ImapError(f"{what}: connection busy for {self.timeouts.busy:g}s with another command") from None

    async def _run(self, what: str, awaitable: Awaitable[T], timeout: float) -> T:
        """Run one exchange alone on the connection (no OK check)."""
        await self._acquire(what)
        try:
            return await self._race(what, awaitable, timeout)
        finally:
            self._lock.release()

    async def _race(self, what: str, awaitable: Awaitable[T], timeout: float, timeout_is_error: bool = True) -> T:
        """Await `awaitable` under asyncio.wait_for, failing fast when the connection drops."""
        proto = self._proto
        task = asyncio.ensure_future(awaitable)
        if proto is None or proto.lost.done():
            task.cancel()
            raise ImapConnectionLost(f"{what}: connection to {self.host}:{self.port} is closed")
        try:
            racing: set[asyncio.Future[Any]] = {task, proto.lost}
            await asyncio.wait_for(asyncio.wait(racing, return_when=asyncio.FIRST_COMPLETED), max(timeout, 0.0))
        except TimeoutError:
            task.cancel()
            if not timeout_is_error:
                raise _Expired() from None
            self._abort()
            raise ImapTimeout(f"{what}: no answer from {self.host} within {timeout:g}s; connection closed") from None
        except BaseException:
            task.cancel()
            self._abort()  # cancelled mid-command: the stream is out of step, drop it
            raise
        if not task.done():
            task.cancel()
            raise ImapConnectionLost(f"{what}: connection to {self.host}:{self.port} lost")
        try:
            return task.result()
        except ImapError:
            raise
        except aioimaplib.CommandTimeout:
            self._abort()
            raise ImapTimeout(f"{what}: no answer from {self.host}; connection closed") from None
        except aioimaplib.AioImapException as error:
            self._abort()
            raise ImapConnectionLost(f"{what}: protocol error with {self.host}: {error}") from None
        except (OSError, EOFError) as error:
            self._abort()
            raise ImapConnectionLost(f"{what}: connection to {self.host} failed: {error}") from None

    def _parse(
        self, what: str, parser: Callable[[Sequence[bytes | bytearray]], T], lines: Sequence[bytes | bytearray]
    ) -> T:
        try:
            return parser(lines)
        except ImapParseError as error:
            self._abort()
            raise ImapConnectionLost(f"{what}: unreadable answer from {self.host}: {error}") from None


class _Expired(Exception):
    """An expected timeout (IDLE wait ended without push)."""


def _untagged(response: aioimaplib.Response, name: bytes) -> list[bytes | bytearray]:
    """Put back the response name aioimaplib strips from untagged lines of async commands ("1 2" -> "SEARCH 1 2").

    Drops the final tagged status text; lines continuing a literal are kept as they are.
    """
    restored: list[bytes | bytearray] = []
    after_literal = False
    for line in response.lines[:-1]:
        if isinstance(line, bytearray):
            restored.append(line)
            after_literal = True
            continue
        if after_literal and line.startswith((b" ", b")", b"]")):
            restored.append(line)
        else:
            restored.append(name + b" " + line)
        after_literal = False
    return restored


def _status_text(response: aioimaplib.Response) -> str:
    last = response.lines[-1] if response.lines else b""
    text = bytes(last).decode("utf-8", "replace").strip()
    return f"{response.result} {text}"[:300]


def _is_change(lines: Sequence[bytes]) -> bool:
    return any(_PUSH.match(bytes(line)) for line in lines)


def _idle_result(lines: Sequence[bytes]) -> IdleResult:
    exists = None
    expunged = []
    for line in lines:
        match = _PUSH.match(bytes(line))
        if match and match.group(2):
            if match.group(2).upper() == b"EXISTS":
                exists = int(match.group(1))
            else:
                expunged.append(int(match.group(1)))
    return IdleResult(tuple(bytes(line) for line in lines), exists, tuple(expunged))


def _uid_key(item: FetchItem) -> int:
    return item.uid or 0


def _chunks(values: Sequence[int], size: int) -> Iterable[Sequence[int]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _uid_set(uids: Sequence[int]) -> str:
    """Compress sorted UIDs into an IMAP set: [1,2,3,7] -> "1:3,7"."""
    ordered = sorted(set(uids))
    if not ordered:
        raise ValueError("empty UID set")
    parts = []
    start = prev = ordered[0]
    for uid in ordered[1:]:
        if uid == prev + 1:
            prev = uid
            continue
        parts.append(f"{start}:{prev}" if start != prev else str(start))
        start = prev = uid
    parts.append(f"{start}:{prev}" if start != prev else str(start))
    return ",".join(parts)
