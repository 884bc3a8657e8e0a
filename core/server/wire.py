"""The socket protocol: length-prefixed MessagePack frames, one msgspec Struct per message kind.

A frame is a 4-byte big-endian length then that many bytes. The first frame each way is the
handshake (Hello, then Welcome or Refused); after it the client sends Call and Subscribe, the
server sends Reply (matched by id, in completion order) and Changes (pushed, never asked for).
"""

from __future__ import annotations

import struct
from typing import Any

import msgspec

from core.work.views import ClientSettings

PROTOCOL_VERSION = (1, 1)
"""(major, minor): a client refuses a server of another major version."""
MAX_FRAME = 64 * 1024 * 1024
"""An attachment travels in one frame; anything larger is a broken or hostile peer."""
HEADER = struct.Struct(">I")
SOCKET_NAME = "comptoir.sock"


class Hello(msgspec.Struct, tag=True):
    version: tuple[int, int]
    as_agent: str | None = None
    client: str = ""


class ClockState(msgspec.Struct):
    """The workspace clock, so a client tells the time without asking: see core.clock.Clock."""

    real_origin: float | None = None
    sim_origin: str | None = None
    speed: float = 1.0


class Welcome(msgspec.Struct, tag=True):
    version: tuple[int, int]
    agent: str
    login: str
    workspace: str
    config_toml: str
    clock: ClockState
    demo: bool = False
    server_pid: int = 0
    settings: ClientSettings | None = None
    """What the first screen needs from the config (since 1.1; a 1.0 server sends none: the client parses config_toml)."""


class Refused(msgspec.Struct, tag=True):
    """The handshake failed; `message` says why and what to do."""

    message: str
    kind: str = "IdentityError"


class Call(msgspec.Struct, tag=True):
    id: int
    method: str
    args: dict[str, Any] = {}


class Reply(msgspec.Struct, tag=True):
    id: int
    ok: bool
    result: msgspec.Raw = msgspec.Raw(b"\xc0")
    error_kind: str = ""
    error: str = ""


class Subscribe(msgspec.Struct, tag=True):
    """Ask for Changes pushes on this connection."""


class Changes(msgspec.Struct, tag=True):
    conversation_ids: list[int]
    kinds: list[str]


class Bye(msgspec.Struct, tag=True):
    """The server is stopping; the client should reconnect later."""

    reason: str = ""


ClientMessage = Hello | Call | Subscribe
ServerMessage = Welcome | Refused | Reply | Changes | Bye

_encoder = msgspec.msgpack.Encoder()
client_decoder = msgspec.msgpack.Decoder(ClientMessage)
server_decoder = msgspec.msgpack.Decoder(ServerMessage)


def encode(value: Any) -> bytes:
    return _encoder.encode(value)


def frame(message: msgspec.Struct) -> bytes:
    body = _encoder.encode(message)
    return HEADER.pack(len(body)) + body


class FrameError(Exception):
    """The peer sent something that is not a frame of this protocol."""


def frame_length(header: bytes) -> int:
    length: int = HEADER.unpack(header)[0]
    if length > MAX_FRAME:
        raise FrameError(f"a frame of {length} bytes is over the {MAX_FRAME}-byte limit")
    return length
