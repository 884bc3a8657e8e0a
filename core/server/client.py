"""The client side of the workspace server: `RemoteComptoir` implements the service interface
(core.server.api) over the socket, for the app and the CLI.

One connection per client, one reader thread: calls from any thread are sent under a lock and
matched to their replies by id; pushed changes queue up for `subscribe().poll()`. When the server
goes away, calls fail at once with a clear error (an action in flight is never resent: it may have
been applied), the feed says "disconnected", and a client made with `reconnect=True` (the app)
keeps trying and says "reconnected" when the server is back.
"""

from __future__ import annotations

import itertools
import logging
import os
import queue
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from core import errors
from core.clock import Clock
from core.errors import ComptoirError, WorkspaceError
from core.server import wire
from core.server.api import READ_METHODS, REMOTE_METHODS
from core.server.sockets import connect_unix, socket_path
from core.store.change_batch import ChangeBatch
from core.work.views import ClientSettings, DutyView
from core.workspace.files import save_new_file

if TYPE_CHECKING:
    from core.work.views import OutgoingFile
    from core.workspace.config import Config

log = logging.getLogger("comptoir.client")

START_SECONDS = 30.0
"""How long a client waits for a server it started to answer (a first start upgrades the schema)."""
RECONNECT_SECONDS = (0.2, 2.0)
"""First and longest wait between reconnection attempts."""
AUTOSTART_AFTER_SECONDS = 3.0
"""A client that lost its server starts a new one (when it may) only after this long without one."""


class ServerUnavailable(WorkspaceError):
    """The workspace server cannot be reached (not running, stopping, or the connection broke)."""


class UnknownOutcome(ComptoirError):
    """The server went away while an action was in flight: it may or may not have been applied."""


_DECODERS: dict[str, msgspec.msgpack.Decoder[Any]] = {}
_INTERNAL_RESULTS = {"_config": str, "_health": list[DutyView]}
"""What the server's own requests (not in the service interface) answer."""


def _decoder(method: str) -> msgspec.msgpack.Decoder[Any]:
    decoder = _DECODERS.get(method)
    if decoder is None:
        result = REMOTE_METHODS[method].result if method in REMOTE_METHODS else _INTERNAL_RESULTS[method]
        decoder = _DECODERS[method] = msgspec.msgpack.Decoder(Any if result is type(None) else result)
    return decoder


class _Frames:
    """Frames read off a socket through one buffer: a small reply costs one recv, not two."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self._data = b""

    def next(self) -> Any:
        """The next message, or None when the peer closed the connection."""
        data = self._data
        while True:
            if len(data) >= wire.HEADER.size:
                end = wire.HEADER.size + wire.frame_length(data[: wire.HEADER.size])
                if len(data) >= end:
                    self._data = data[end:]
                    return wire.server_decoder.decode(data[wire.HEADER.size : end])
                if end - len(data) > 1 << 16:  # a big frame (an attachment): gathered in place, once
                    whole = _recv_exactly(self.sock, end - len(data))
                    if whole is None:
                        return None
                    self._data = b""
                    return wire.server_decoder.decode(data[wire.HEADER.size :] + whole)
            chunk = self.sock.recv(1 << 16)
            if not chunk:
                self._data = data
                return None
            data += chunk


class _Call:
    """One call in flight: its reply (or the error that ended it) once known. A thread waits on an
    Event only when a reader thread answers for it; a caller that reads its own reply needs none."""

    __slots__ = ("method", "reply", "error", "event")

    def __init__(self, method: str) -> None:
        self.method = method
        self.reply: wire.Reply | None = None
        self.error: ComptoirError | None = None
        self.event: threading.Event | None = None

    @property
    def done(self) -> bool:
        return self.reply is not None or self.error is not None


class _Connection:
    """One socket to the server.

    Replies are matched to calls by id. Who reads them: a client that takes pushes (`subscribe`) or
    reconnects by itself (the app) has a reader thread, which also notices at once when the server
    goes away; any other (the CLI, scripts, a bench) reads its reply in the calling thread, which
    saves two thread switches a request. Threads calling at once take turns reading, each handing
    out whatever replies it reads.
    """

    def __init__(
        self,
        frames: _Frames,
        welcome: wire.Welcome,
        on_push: Callable[[Any], None],
        on_lost: Callable[[str], None],
        reader_thread: bool,
    ) -> None:
        self.sock = frames.sock
        self._frames = frames
        self.welcome = welcome
        self._send_lock = threading.Lock()
        self._read_lock = threading.Lock()
        self._done_lock = threading.Lock()
        """Between a reply handed out and a thread starting to wait for it."""
        self._pending: dict[int, _Call] = {}
        self._ids = itertools.count(1)
        self._on_push = on_push
        self._on_lost = on_lost
        self.alive = True
        self._over = False
        self._reader: threading.Thread | None = None
        if reader_thread:
            self.start_reader()

    def start_reader(self) -> None:
        # A reader thread already started holds _read_lock while it waits for the next frame: asking
        # for the lock again would wait for the server's next message (forever at exit, with the
        # app's change-feed thread stuck in subscribe() and its shutdown waiting on it).
        if self._reader is not None:
            return
        with self._read_lock:
            if self._reader is None and self.alive:
                self._reader = threading.Thread(target=self._read_forever, name="comptoir-client", daemon=True)
                self._reader.start()

    def call_async(self, method: str, args: dict[str, Any]) -> _Call:
        call = _Call(method)
        call_id = next(self._ids)
        self._pending[call_id] = call
        data = wire.frame(wire.Call(call_id, method, args))
        try:
            with self._send_lock:
                if not self.alive:
                    raise OSError("connection closed")
                self.sock.sendall(data)
        except OSError:
            self._pending.pop(call_id, None)
            raise ServerUnavailable("the workspace server connection is closed (reconnecting)") from None
        return call

    def wait(self, call: _Call) -> wire.Reply:
        """The reply to a call made on this connection: read here until it comes, unless a reader
        thread does that. (A client that replaces its connection, `reconnect=True`, has a reader
        thread on each, so a call never waits on a connection that is not its own.)"""
        while call.reply is None and call.error is None:
            if self._reader is not None:
                with self._done_lock:
                    if call.done:
                        break
                    event = call.event = threading.Event()
                event.wait()
                break
            with self._read_lock:
                if call.done or self._reader is not None:
                    continue
                if not self.alive or not self._read_one():
                    self._lost(self._lost_reason)  # fails every call in flight, this one too
        if call.reply is None:
            assert call.error is not None
            raise call.error
        return call.reply

    def send(self, message: msgspec.Struct) -> None:
        data = wire.frame(message)
        with self._send_lock:
            if not self.alive:
                raise OSError("connection closed")
            self.sock.sendall(data)

    def close(self) -> None:
        self.alive = False
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()

    _lost_reason = "the workspace server closed the connection"

    def _read_one(self) -> bool:
        """Read one message and hand it out; False when the connection is over (`_lost_reason` says why)."""
        try:
            message = self._frames.next()
        except (OSError, wire.FrameError, msgspec.DecodeError) as error:
            self._lost_reason = f"the connection to the workspace server broke ({error})"
            return False
        if message is None:
            return False
        if type(message) is wire.Reply:
            call = self._pending.pop(message.id, None)
            if call is not None:
                with self._done_lock:
                    call.reply = message
                    event = call.event
                if event is not None:
                    event.set()
        elif isinstance(message, wire.Changes):
            self._on_push(ChangeBatch(frozenset(message.conversation_ids), frozenset(message.kinds), 0))
        elif isinstance(message, wire.Bye):
            self._lost_reason = message.reason or self._lost_reason
            return False
        return True

    def _read_forever(self) -> None:
        while True:
            with self._read_lock:
                if not self._read_one():
                    break
        self._lost(self._lost_reason)

    def _lost(self, reason: str) -> None:
        if self._over:
            return
        self._over = True
        self.alive = False
        for call in list(self._pending.values()):
            if call.method in REMOTE_METHODS and call.method not in READ_METHODS:
                error: ComptoirError = UnknownOutcome(
                    f"{reason} while doing {call.method}: it may or may not have been applied. "
                    "Look at the conversation before trying again."
                )
            else:
                error = ServerUnavailable(f"{reason}; try again in a moment")
            with self._done_lock:
                call.error = error
                event = call.event
            if event is not None:
                event.set()
        self._pending.clear()
        try:
            self.sock.close()
        except OSError:
            pass
        self._on_lost(reason)


def _recv_exactly(sock: socket.socket, size: int) -> bytes | None:
    chunks = bytearray()
    while len(chunks) < size:
        chunk = sock.recv(min(size - len(chunks), 1 << 20))
        if not chunk:
            return None
        chunks += chunk
    return bytes(chunks)


def handshake(frames: _Frames, as_agent: str | None, client: str) -> wire.Welcome:
    sock = frames.sock
    sock.settimeout(30)
    sock.sendall(wire.frame(wire.Hello(wire.PROTOCOL_VERSION, as_agent, client)))
    answer = frames.next()
    sock.settimeout(None)
    if isinstance(answer, wire.Refused):
        kind = getattr(errors, answer.kind, ComptoirError)
        raise (kind if isinstance(kind, type) and issubclass(kind, ComptoirError) else ComptoirError)(answer.message)
    if not isinstance(answer, wire.Welcome):
        raise ServerUnavailable("the workspace server did not answer the handshake")
    if answer.version[0] != wire.PROTOCOL_VERSION[0]:
        raise WorkspaceError(
            f"the workspace server speaks protocol {answer.version[0]}.x, this comptoir {wire.PROTOCOL_VERSION[0]}.x: "
            "run the same Comptoir version on both sides (restart the server after an upgrade)"
        )
    return answer


class RemoteFeed:
    """`subscribe()`'s answer: what the server pushed, merged into one batch a poll."""

    def __init__(self, changes: queue.Queue[Any]) -> None:
        self._changes = changes

    def poll(self, timeout: float = 0.5) -> ChangeBatch:
        try:
            first = self._changes.get(timeout=timeout)
        except queue.Empty:
            return ChangeBatch(frozenset(), frozenset(), 0)
        ids, kinds = set(first.conversation_ids), set(first.kinds)
        while True:
            try:
                more = self._changes.get_nowait()
            except queue.Empty:
                break
            ids |= more.conversation_ids
            kinds |= more.kinds
        return ChangeBatch(frozenset(ids), frozenset(kinds), 0)

    def wake(self) -> None:
        """An empty batch: a poll waiting now returns it at once."""
        self._changes.put(ChangeBatch(frozenset(), frozenset(), 0))

    def close(self) -> None:
        pass


class RemoteComptoir:
    """One agent's handle on a workspace, through its server."""

    def __init__(
        self,
        workspace_dir: Path,
        as_agent: str | None = None,
        *,
        client: str = "cli",
        autostart: bool = True,
        reconnect: bool = False,
    ) -> None:
        self.workspace_dir = workspace_dir
        self.as_agent = as_agent
        self.client = client
        self.autostart = autostart
        self.reconnect = reconnect
        self._changes: queue.Queue[Any] = queue.Queue[Any]()
        self._subscribed = False
        self._early: tuple[str, int, _Call] | None = None
        self._closed = False
        self._conn = self._connect(autostart)
        self._apply_welcome(self._conn.welcome)

    # -- connection -------------------------------------------------------------------------------
    def _connect(self, autostart: bool) -> _Connection:
        sock = connect_server(self.workspace_dir, autostart=autostart)
        frames = _Frames(sock)
        try:
            welcome = handshake(frames, self.as_agent, self.client)
        except BaseException:
            sock.close()
            raise
        return _Connection(frames, welcome, self._changes.put, self._lost, self.reconnect or self._subscribed)

    def _apply_welcome(self, welcome: wire.Welcome) -> None:
        self.agent = welcome.agent
        self.login = welcome.login
        self.demo = welcome.demo
        self.server_pid = welcome.server_pid
        self._config_toml = welcome.config_toml
        self._settings = welcome.settings
        self.__dict__.pop("config", None)
        state = welcome.clock
        self.clock = Clock(
            state.real_origin, datetime.fromisoformat(state.sim_origin) if state.sim_origin else None, state.speed
        )

    def _lost(self, reason: str) -> None:
        if self._closed:
            return
        self._changes.put(ChangeBatch(frozenset(), frozenset({"disconnected"}), 0))
        if self.reconnect:
            threading.Thread(target=self._reconnect_forever, name="comptoir-reconnect", daemon=True).start()

    def _reconnect_forever(self) -> None:
        wait = RECONNECT_SECONDS[0]
        lost_at = time.monotonic()
        while not self._closed:
            time.sleep(wait)
            # A restarting server (systemd, an admin) gets a moment to come back before we start one.
            autostart = self.autostart and time.monotonic() - lost_at > AUTOSTART_AFTER_SECONDS
            try:
                conn = self._connect(autostart=autostart)
            except ComptoirError:
                wait = min(wait * 1.5, RECONNECT_SECONDS[1])
                continue
            self._conn = conn
            self._apply_welcome(conn.welcome)
            if self._subscribed:
                try:
                    conn.send(wire.Subscribe())
                except OSError:
                    continue
            self._changes.put(ChangeBatch(frozenset(), frozenset({"reconnected"}), 0))
            return

    @property
    def connected(self) -> bool:
        return self._conn.alive

    def close(self) -> None:
        self._closed = True
        self._conn.close()

    def call(self, method: str, **args: Any) -> Any:
        return self._collect(method, self._send(method, args))

    def _send(self, method: str, args: dict[str, Any]) -> _Call:
        if not self._conn.alive:
            raise ServerUnavailable(f"the workspace server of {self.workspace_dir} is not reachable (reconnecting)")
        return self._conn.call_async(method, args)

    def _collect(self, method: str, call: _Call) -> Any:
        reply = self._conn.wait(call)
        if not reply.ok:
            kind = getattr(errors, reply.error_kind, None)
            if not (isinstance(kind, type) and issubclass(kind, ComptoirError)):
                kind = ComptoirError
            raise kind(reply.error)
        return _decoder(method).decode(reply.result)

    # -- what the client answers itself ---------------------------------------------------------
    @cached_property
    def config(self) -> Config:
        from core.workspace.config import parse_config

        return parse_config(self._config_toml, self.workspace_dir / "comptoir.toml")

    @property
    def settings(self) -> ClientSettings:
        """From the server's welcome: no need to parse the config (and load its models) for the first screen."""
        return self._settings if self._settings is not None else ClientSettings.of(self.config, self.agent)

    @property
    def workspace(self) -> Path:
        return self.workspace_dir

    def now(self) -> datetime:
        return self.clock.now()

    @property
    def clock_simulated(self) -> bool:
        return self.clock.simulated

    @property
    def clock_speed(self) -> float:
        """Workspace seconds per real second (a demo runs faster)."""
        return self.clock.speed

    def subscribe(self) -> RemoteFeed:
        if not self._subscribed:
            self._subscribed = True
            self._conn.start_reader()
            self._conn.send(wire.Subscribe())
        return RemoteFeed(self._changes)

    def warm_up(self) -> None:
        """Parse the config now, in the caller's background thread, so the first action that needs it
        (a reply's recipient limit, the tags) does not wait for its models to load. (The ORM stays on the server.)"""
        _ = self.config

    def start_first_page(self, queue: str, limit: int) -> None:
        """Ask for the first page now; `first_page` collects the answer (the request travels while
        the front end is still loading)."""
        try:
            self._early = (queue, limit, self._send("first_page", {"queue": queue, "limit": limit}))
        except ComptoirError:
            self._early = None

    def first_page(self, queue: str, limit: int) -> tuple[list[int], list[Any]]:
        early, self._early = self._early, None
        if early is not None and early[:2] == (queue, limit):
            page: tuple[list[int], list[Any]] = self._collect("first_page", early[2])
        else:
            page = self.call("first_page", queue=queue, limit=limit)
        return page

    def save_attachment(self, attachment_id: int, path: Path) -> Path:
        """Fetch the attachment from the server and write it here, as the user running this client."""
        name, _content_type, data = self.call("attachment", attachment_id=attachment_id)
        return save_new_file(name, data, path)

    def read_attachments(self, paths: Sequence[str]) -> list[OutgoingFile]:
        """Read files to attach here, as the user running this client (the server may not read them, and
        must not decide what they may read); their bytes travel in the request."""
        from core.workspace.files import read_files

        return read_files(paths, self.config.workspace.attachment_limit_mb)

    def reload_config(self) -> None:
        self._config_toml = self.call("_config")
        self._settings = None  # the welcome's are the old config's: from the new one from now on
        self.__dict__.pop("config", None)

    def health(self) -> list[DutyView]:
        """The server's duties and whether each works (for the status line and `doctor`)."""
        duties: list[DutyView] = self.call("_health")
        return duties


def _remote(name: str) -> Callable[..., Any]:
    method = REMOTE_METHODS[name]
    names = list(method.parameters)

    def call(self: RemoteComptoir, *args: Any, **kwargs: Any) -> Any:
        values = dict(zip(names, args, strict=False))
        values.update(kwargs)
        return self.call(name, **values)

    call.__name__ = name
    return call


for _name in REMOTE_METHODS:
    setattr(RemoteComptoir, _name, _remote(_name))


# -- finding, or starting, the server -------------------------------------------------------------
def connect_server(workspace_dir: Path, autostart: bool = True) -> socket.socket:
    """A socket to the workspace's server; starts one first (as tmux does) when none answers and
    this user owns the workspace."""
    path = socket_path(workspace_dir)
    try:
        return connect_unix(path)
    except (FileNotFoundError, ConnectionRefusedError):
        pass
    except PermissionError:
        raise ServerUnavailable(
            f"you may not connect to {path}: ask an admin to add you to the workspace's group "
            f"(`usermod -aG GROUP {_me()}`, then log in again)"
        ) from None
    if not (workspace_dir / "comptoir.toml").exists():
        if not workspace_dir.is_dir():
            raise WorkspaceError(
                f"no workspace at {workspace_dir}. Create one with `comptoir init {workspace_dir}` "
                "(or `comptoir demo` to try Comptoir on a demo workspace)."
            )
        if os.access(workspace_dir, os.R_OK | os.X_OK):
            raise WorkspaceError(
                f"no workspace at {workspace_dir} (no comptoir.toml). Create one with `comptoir init {workspace_dir}`."
            )
    if not autostart or os.stat(workspace_dir).st_uid != os.getuid():
        raise ServerUnavailable(
            f"the workspace server of {workspace_dir} is not running. Ask an admin to start it "
            f"(`systemctl start comptoir-server`, see docs/server.md), or run `comptoir server` as the "
            "workspace's owner."
        )
    start_server(workspace_dir)
    return connect_unix(path)


def start_server(workspace_dir: Path, idle_exit: float | None = None, trickle: bool = True) -> int:
    """Start a server for this workspace in the background and wait until it answers; its pid.
    A server that cannot start says why here (bad config, schema, permissions)."""
    command = [sys.executable, "-m", "core.server", "--workspace", str(workspace_dir), "--detach"]
    if idle_exit is not None:
        command += ["--idle-exit", str(idle_exit)]
    if not trickle:
        command.append("--no-trickle")
    process = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        close_fds=True,
    )
    assert process.stdout is not None
    deadline = time.monotonic() + START_SECONDS
    line = b""
    # The server prints one line, "ready" or why it could not start, then detaches from the pipe.
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if line or process.poll() is not None:
            break
    process.stdout.close()
    text = line.decode(errors="replace").strip()
    if text == "ready" or text.startswith("already running"):
        process.wait(5)
        from core.server.server import server_pid

        return server_pid(workspace_dir) or 0
    rest = ""
    if process.poll() is not None and process.stdout.closed is False:
        rest = process.stdout.read().decode(errors="replace")
    raise ServerUnavailable(f"the workspace server of {workspace_dir} did not start: {text or 'no answer'}{rest}")


def _me() -> str:
    from core.workspace.identity import login_of

    return login_of(os.getuid())
