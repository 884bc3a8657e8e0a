"""`comptoir server`: the one process that opens a workspace's database.

It answers the app and the CLI over a Unix socket (core.server.wire), learns who each client is
from the kernel (SO_PEERCRED), runs each request in a thread pool so a slow one never holds the
others (claims, by the thousand in a race, take their own batched path: core.server.claim_lane),
pushes change notifications to subscribed clients, and supervises the background duties
(mail sync, outbox, escalation, or a demo's simulated mail): a duty that fails is logged, shown by
`doctor` and the app, alerted to supervisors, and restarted with backoff.
"""

from __future__ import annotations

import asyncio
import contextvars
import fcntl
import functools
import logging
import os
import signal
import stat
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from core.errors import ComptoirError, IdentityError
from core.server import wire
from core.server.api import READ_METHODS, REMOTE_METHODS
from core.server.claim_lane import ClaimLane
from core.server.health import Health
from core.server.sockets import bind_unix, connect_unix, peer_credentials, socket_path
from core.work.acting import ACTING_LOGIN
from core.work.service import Comptoir
from core.work.views import ActionResult, ClientSettings
from core.workspace.folder import Workspace
from core.workspace.identity import PeerIdentity, resolve_peer

if TYPE_CHECKING:
    from core.store.changefeed import ChangeFeed

log = logging.getLogger("comptoir.server")

SERVER_LOCK_NAME = "server.lock"
HANDSHAKE_SECONDS = 10.0
OTHER_WRITERS_POLL = 0.5
"""How often the server looks for commits made by other processes (admin tools); its own wake it at once."""
FEED_GATHER_SECONDS = 0.005
"""After reading a batch of changes, the change watcher waits this long before reading again."""
PUSH_BACKLOG_BYTES = 1 << 20
"""A client whose unread output passes this stops getting pushes until it catches up, then gets
one 'resync' (so a stuck client costs the server memory for one megabyte, not a growing queue)."""
DROP_BACKLOG_BYTES = 64 << 20
"""A client this far behind on replies is disconnected."""
AGENTLESS_METHODS = frozenset({"escalate", "raise_alert", "ingest"})
"""What the server's own account may ask without --as (cron jobs, other tools)."""


WARM_UP_AFTER_SECONDS = 1.0
IDLE_CHECK_SECONDS = 5.0
"""With clients connected, how often the server looks whether the last one has gone (for its idle exit)."""


def _warm_up() -> None:
    from core.work.service import import_orm_modules

    try:
        import_orm_modules()
    except Exception as error:
        log.warning("warm-up failed: %s: %s", type(error).__name__, error)


class ServerRunning(ComptoirError):
    """Another server already serves this workspace."""


@dataclass(eq=False)
class ClientSession:
    identity: PeerIdentity
    pid: int
    transport: asyncio.WriteTransport
    service: Comptoir
    subscribed: bool = False
    missed_push: bool = False
    pending: set[Future[Any]] = field(default_factory=set)

    @property
    def gone(self) -> bool:
        return self.transport.is_closing()

    def backlog(self) -> int:
        return self.transport.get_write_buffer_size() if not self.transport.is_closing() else 0

    def send(self, message: msgspec.Struct) -> None:
        self.send_frame(wire.frame(message))

    def send_frame(self, data: bytes) -> None:
        if self.transport.is_closing():
            return
        self.transport.write(data)
        if self.transport.get_write_buffer_size() > DROP_BACKLOG_BYTES:
            log.warning("client %s (pid %d) reads nothing: disconnected", self.identity.label, self.pid)
            self.transport.abort()


class _ClientProtocol(asyncio.Protocol):
    """One client's connection: frames are cut and dispatched as bytes arrive, with no task, future
    or stream per request (a claim race is thousands of requests a second)."""

    def __init__(self, server: WorkspaceServer) -> None:
        self.server = server
        self.transport: asyncio.Transport | None = None
        self.session: ClientSession | None = None
        self._chunks: list[bytes] = []
        self._have = 0
        self._need = wire.HEADER.size
        """Bytes to hold before the next frame can be cut (a big frame is gathered once, not re-joined)."""
        self._pid = self._uid = 0
        self._handshake: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        try:
            self._pid, self._uid, _gid = peer_credentials(transport.get_extra_info("socket"))
        except OSError as error:
            log.debug("client dropped before its credentials were read: %s", error)
            transport.abort()
            return
        self._handshake = asyncio.get_running_loop().call_later(HANDSHAKE_SECONDS, self._too_slow)

    def _too_slow(self) -> None:
        log.debug("client pid %d sent no hello in %.0f s: dropped", self._pid, HANDSHAKE_SECONDS)
        if self.transport is not None:
            self.transport.abort()

    def data_received(self, data: bytes) -> None:
        self._chunks.append(data)
        self._have += len(data)
        if self._have < self._need:
            return
        buffer = data if len(self._chunks) == 1 else b"".join(self._chunks)
        view = memoryview(buffer)
        offset, size = 0, len(buffer)
        need = wire.HEADER.size
        try:
            while size - offset >= wire.HEADER.size:
                end = offset + wire.HEADER.size + wire.frame_length(buffer[offset : offset + wire.HEADER.size])
                if end > size:
                    need = end - offset
                    break
                message = wire.client_decoder.decode(view[offset + wire.HEADER.size : end])
                offset = end
                self._dispatch(message)
                if self.transport is None or self.transport.is_closing():
                    return
        except (wire.FrameError, msgspec.DecodeError) as error:
            log.debug("client pid %d dropped: %s", self._pid, error)
            self._drop()
            return
        except Exception as error:
            self.server.health.failed("client handler", error)
            self._drop()
            return
        rest = buffer[offset:] if offset else buffer
        self._chunks = [rest] if rest else []
        self._have = len(rest)
        self._need = need

    def _drop(self) -> None:
        self._chunks, self._have = [], 0
        if self.transport is not None:
            self.transport.abort()

    def _dispatch(self, message: Any) -> None:
        session = self.session
        if session is None:
            if self._handshake is not None:
                self._handshake.cancel()
            assert self.transport is not None
            if not isinstance(message, wire.Hello):
                self.transport.close()
                return
            self.session = self.server._welcome(message, self._pid, self._uid, self.transport)
            if self.session is None:
                self.transport.close()  # after the Refused already written
        elif isinstance(message, wire.Call):
            self.server._answer(session, message)
        elif isinstance(message, wire.Subscribe) and not session.subscribed:
            session.subscribed = True
            self.server.subscribers += 1

    def connection_lost(self, exc: Exception | None) -> None:
        if self._handshake is not None:
            self._handshake.cancel()
        self._chunks, self._have = [], 0
        if exc is not None:
            log.debug("client pid %d dropped: %s", self._pid, exc)
        session, self.session = self.session, None
        if session is not None:
            self.server._left(session)


class WorkspaceServer:
    """Serve one workspace until `stop` is set."""

    def __init__(
        self,
        ws: Workspace,
        *,
        background: bool = True,
        trickle: bool = True,
        idle_exit: float | None = None,
        threads: int = 8,
        escalation_seconds: float | None = None,
    ) -> None:
        self.ws = ws
        self.path = socket_path(ws.path)
        self.background = background
        self.trickle = trickle
        self.idle_exit = idle_exit
        self.escalation_seconds = escalation_seconds
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="comptoir-request")
        self.sessions: set[ClientSession] = set()
        self.health = Health(ws, on_change=self._health_changed)
        self._lock_fd: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._threads_stop = threading.Event()
        self._kick = threading.Event()
        self._last_client = time.monotonic()
        self.claims: ClaimLane | None = None
        self.subscribers = 0
        """How many sessions take pushes (kept by the loop; the change watcher reads it)."""

    # -- start and stop ------------------------------------------------------------------------
    def take_lock(self) -> None:
        """One server per workspace: an flock on server.lock, released by the kernel if we die."""
        lock_path = self.ws.path / SERVER_LOCK_NAME
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise ServerRunning(f"a server already serves {self.ws.path} (it holds {lock_path})") from None
        os.fchmod(fd, 0o600)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._lock_fd = fd

    def _bind(self) -> Any:
        if self.path.exists() or self.path.is_symlink():
            try:
                connect_unix(self.path, timeout=1).close()
            except OSError:
                self.path.unlink()  # a dead server's socket: we hold the server lock, so it is ours to clear
            else:
                raise ServerRunning(f"a server already answers on {self.path}")
        sock = bind_unix(self.path)
        info = self.ws.path.stat()
        shared = bool(info.st_mode & stat.S_IXGRP)
        # bind() follows the umask: say the mode explicitly, and give the socket the workspace's group.
        if shared:
            os.chown(self.path, -1, info.st_gid)
        os.chmod(self.path, 0o660 if shared else 0o600)
        return sock

    async def run(self, stop: asyncio.Event | None = None, ready: Any = None) -> None:
        """Serve until `stop` is set (or SIGTERM/SIGINT); `ready()` is called once clients can connect."""
        self._loop = asyncio.get_running_loop()
        self._stop = stop or asyncio.Event()
        if self._lock_fd is None:
            self.take_lock()
        from core.store.changefeed import ChangeFeed

        # The feed starts reading from here, before any client can act, so no action goes unpushed.
        # Every commit of this process wakes the feed at once; the slow poll only catches other processes
        # (an admin's one-shot tool) that write the database.
        self.ws.db.on_commit = self._kick
        feed = ChangeFeed(self.ws.db, kick=self._kick, interval=OTHER_WRITERS_POLL)
        self.health.ok("change feed")
        sock = self._bind()
        self.claims = ClaimLane(self.ws, self._loop, self.health)
        server = await self._loop.create_unix_server(lambda: _ClientProtocol(self), sock=sock)
        watcher = threading.Thread(target=self._watch_changes, args=(feed,), name="comptoir-changes", daemon=True)
        watcher.start()
        duties = self._start_duties() if self.background else []
        log.info("serving %s on %s (pid %d)", self.ws.path, self.path, os.getpid())
        if ready is not None:
            ready()
        # The first action would otherwise wait seconds for the ORM's import; done a moment after
        # start, so it does not compete with the first client's first page.
        warm_up = self._loop.call_later(WARM_UP_AFTER_SECONDS, self.pool.submit, _warm_up)
        try:
            while not self._stop.is_set():
                try:
                    await asyncio.wait_for(self._stop.wait(), self._idle_check_seconds())
                except TimeoutError:
                    pass
                if (
                    self.idle_exit is not None
                    and not self.sessions
                    and time.monotonic() - self._last_client > self.idle_exit
                ):
                    log.info("no client for %.0f s: stopping", self.idle_exit)
                    break
        finally:
            warm_up.cancel()
            server.close()
            for session in list(self.sessions):
                session.send(wire.Bye("the workspace server is stopping"))
                session.transport.close()
            try:
                self.path.unlink()
            except FileNotFoundError:
                pass
            self._threads_stop.set()
            self._kick.set()
            for stop_duty in duties:
                stop_duty()
            if self.claims is not None:
                self.claims.stop()
            watcher.join(5)
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.ws.close()
            if self._lock_fd is not None:
                os.close(self._lock_fd)
                self._lock_fd = None
            log.info("stopped")

    def _idle_check_seconds(self) -> float | None:
        """How long the main loop may sleep: until the idle exit is due (no client left), else a while
        (an idle server should not wake every second for nothing)."""
        if self.idle_exit is None:
            return None
        if self.sessions:
            return min(self.idle_exit, IDLE_CHECK_SECONDS)
        return min(max(self._last_client + self.idle_exit - time.monotonic(), 0.0) + 0.05, IDLE_CHECK_SECONDS)

    def reload_config(self) -> None:
        """SIGHUP: read comptoir.toml again; a bad file keeps the old config and says why."""
        from core.workspace.config import load_config

        try:
            self.ws.config = load_config(self.ws.config_path)
        except ComptoirError as error:
            log.error("config not reloaded, the old one stays: %s", error)
            return
        log.info("config reloaded from %s", self.ws.config_path)
        self._broadcast(frozenset(), frozenset({"config"}))

    # -- duties ----------------------------------------------------------------------------------
    def _start_duties(self) -> list[Callable[[], None]]:
        from core.server.duties import start_duties

        return start_duties(
            self.ws, self.health, self._threads_stop, trickle=self.trickle, escalation_seconds=self.escalation_seconds
        )

    def _watch_changes(self, first: ChangeFeed) -> None:
        """One change feed for the whole server; what it reads is pushed to subscribed clients."""
        from core.store.changefeed import ChangeFeed

        feed: ChangeFeed | None = first
        last_id = first.last_id
        while not self._threads_stop.is_set():
            try:
                if feed is None:
                    feed = ChangeFeed(self.ws.db, kick=self._kick, interval=OTHER_WRITERS_POLL)
                    feed.last_id = last_id  # carry on from where the broken feed stopped
                    self.health.ok("change feed")
                batch = feed.poll(0.5)
                last_id = feed.last_id
            except Exception as error:
                self.health.failed("change feed", error)
                if feed is not None:
                    feed.close()
                feed = None
                self._threads_stop.wait(self.health.backoff("change feed"))
                continue
            if not batch:
                continue
            if self.subscribers and self._loop is not None:
                self._loop.call_soon_threadsafe(self._broadcast, batch.conversation_ids, batch.kinds)
            # Commits come in bursts (a claim race, a mailbox catching up): what the next few
            # milliseconds bring is read and pushed in one go. A lone commit is still read at once.
            self._threads_stop.wait(FEED_GATHER_SECONDS)
        if feed is not None:
            feed.close()

    def _health_changed(self) -> None:
        """A duty failed or recovered: clients reload the server's health for their status line."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._broadcast, frozenset(), frozenset({"server"}))

    def _broadcast(self, conversation_ids: frozenset[int], kinds: frozenset[str]) -> None:
        message = wire.Changes(sorted(conversation_ids), sorted(kinds))
        for session in list(self.sessions):
            if not session.subscribed:
                continue
            if session.backlog() > PUSH_BACKLOG_BYTES:
                session.missed_push = True
                continue
            if session.missed_push:
                session.missed_push = False
                session.send(wire.Changes([], ["resync"]))
            session.send(message)

    # -- clients ---------------------------------------------------------------------------------
    def _left(self, session: ClientSession) -> None:
        """A client's connection ended (it closed, crashed or was dropped)."""
        self.sessions.discard(session)
        if session.subscribed:
            self.subscribers -= 1
        for future in list(session.pending):
            future.cancel()  # not started yet: never run for a client that left
        self._last_client = time.monotonic()

    def _welcome(
        self, hello: wire.Hello, pid: int, uid: int, transport: asyncio.WriteTransport
    ) -> ClientSession | None:
        if hello.version[0] != wire.PROTOCOL_VERSION[0]:
            transport.write(
                wire.frame(
                    wire.Refused(
                        f"this server speaks protocol {wire.PROTOCOL_VERSION[0]}.x and the client {hello.version[0]}.x: "
                        "run the same Comptoir version on both sides (restart the server after an upgrade)",
                        "WorkspaceError",
                    )
                )
            )
            return None
        try:
            identity = resolve_peer(self.ws, uid, hello.as_agent)
        except ComptoirError as error:
            log.info("refused uid %d (pid %d): %s", uid, pid, error)
            transport.write(wire.frame(wire.Refused(str(error), type(error).__name__)))
            return None
        session = ClientSession(identity, pid, transport, Comptoir(self.ws, identity.agent))
        clock = self.ws.clock
        session.send(
            wire.Welcome(
                version=wire.PROTOCOL_VERSION,
                agent=identity.agent,
                login=identity.login,
                workspace=str(self.ws.path),
                config_toml=self.ws.config_path.read_text(encoding="utf-8"),
                clock=wire.ClockState(
                    clock.real_origin, clock.sim_origin.isoformat() if clock.sim_origin else None, clock.speed
                ),
                demo=self.ws.is_demo,
                server_pid=os.getpid(),
                settings=ClientSettings.of(self.ws.config, identity.agent),
            )
        )
        self.sessions.add(session)
        log.debug("client %s (pid %d, %s)", identity.label, pid, hello.client)
        return session

    def _answer(self, session: ClientSession, call: wire.Call) -> None:
        """Check the call here, on the loop; run it and encode its reply in the pool; write it back
        on the loop. One thread hop each way and no asyncio task or future per request. Claims go
        to their own lane (core.server.claim_lane), which takes them in batches."""
        if call.method == "claim" and self.claims is not None and session.identity.agent:
            conversation_id = call.args.get("conversation_id")
            if type(conversation_id) is int and len(call.args) == 1:
                self.claims.add(session, call.id, conversation_id)
                return
        try:
            job = self._prepare(session, call)
        except ComptoirError as error:
            session.send(wire.Reply(call.id, False, error_kind=type(error).__name__, error=str(error)))
            return
        except Exception as error:
            self.health.failed("request " + call.method, error, alert=False)
            session.send(
                wire.Reply(
                    call.id,
                    False,
                    error_kind="InternalError",
                    error=f"the server failed on {call.method} ({type(error).__name__}: {error})",
                )
            )
            return
        if not callable(job):
            session.send(wire.Reply(call.id, True, msgspec.Raw(wire.encode(job))))
            return
        context = contextvars.copy_context()
        context.run(ACTING_LOGIN.set, session.identity.login)
        future = self.pool.submit(context.run, self._run, session, call, job)
        session.pending.add(future)
        future.add_done_callback(session.pending.discard)

    def _run(self, session: ClientSession, call: wire.Call, job: Any) -> None:
        """In a pool thread: the service call, then its reply, handed to the loop to write."""
        try:
            result = job()
            reply = wire.frame(wire.Reply(call.id, True, msgspec.Raw(wire.encode(result))))
        except ComptoirError as error:
            reply = wire.frame(wire.Reply(call.id, False, error_kind=type(error).__name__, error=str(error)))
        except Exception as error:
            self.health.failed("request " + call.method, error, alert=False)
            reply = wire.frame(
                wire.Reply(
                    call.id,
                    False,
                    error_kind="InternalError",
                    error=f"the server failed on {call.method} ({type(error).__name__}: {error}); "
                    f"details are in {self.ws.log_path}",
                )
            )
        else:
            if call.method not in READ_METHODS and not (isinstance(result, ActionResult) and not result.ok):
                # Our own commit: push it now rather than at the feed's next look. A refused action
                # wrote nothing, and most attempts in a claim race are refused: no wake-up for those.
                self._kick.set()
        loop = self._loop
        if loop is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(session.send_frame, reply)
            except RuntimeError:  # the loop closed meanwhile: the server is stopping
                pass

    def _prepare(self, session: ClientSession, call: wire.Call) -> Any:
        """What answers `call`: a value answered at once, or a function for the pool to run."""
        if call.method == "_config":
            return self.ws.config_path.read_text(encoding="utf-8")
        if call.method == "_health":
            return self.health.views()
        method = REMOTE_METHODS.get(call.method)
        if method is None:
            raise ComptoirError(f"the server has no request {call.method!r}: is the client newer than the server?")
        if not session.identity.agent and call.method not in AGENTLESS_METHODS:
            raise IdentityError(
                f"you ({session.identity.login}) are not an agent of this workspace (you run "
                f"its server: add --as AGENT to act as one, or add [[agents]] login = "
                f'"{session.identity.login}" to {self.ws.config_path})'
            )
        unknown = set(call.args) - set(method.parameters)
        if unknown:
            raise ComptoirError(f"{call.method} takes no argument {', '.join(sorted(unknown))}")
        try:
            args = {
                name: msgspec.convert(value, method.parameters[name], strict=False) for name, value in call.args.items()
            }
        except msgspec.ValidationError as error:
            raise ComptoirError(f"{call.method}: {error}") from None
        return functools.partial(getattr(session.service, call.method), **args)


def serve(
    ws: Workspace, *, background: bool = True, trickle: bool = True, idle_exit: float | None = None, ready: Any = None
) -> int:
    """Run a server in this process until SIGTERM or SIGINT; SIGHUP reloads the config."""
    server = WorkspaceServer(ws, background=background, trickle=trickle, idle_exit=idle_exit)
    server.take_lock()

    async def main() -> None:
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        loop.add_signal_handler(signal.SIGINT, stop.set)
        loop.add_signal_handler(signal.SIGHUP, server.reload_config)
        await server.run(stop, ready=ready)

    asyncio.run(main())
    return 0


def server_pid(workspace_dir: Path) -> int | None:
    """The pid written by the server holding this workspace's server lock, if one runs."""
    try:
        fd = os.open(workspace_dir / SERVER_LOCK_NAME, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            text = os.pread(fd, 32, 0).decode(errors="replace").strip()
            return int(text) if text.isdigit() else None
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)
