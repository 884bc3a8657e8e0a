"""Unix socket plumbing shared by the server and its clients: where the socket is, long paths, and
who is on the other end (SO_PEERCRED)."""

from __future__ import annotations

import os
import socket
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from core.server.wire import SOCKET_NAME

SUN_PATH_MAX = 107
"""sockaddr_un holds 108 bytes with the final NUL; a longer path is reached through /proc/self/fd."""
_CRED = struct.Struct("3i")


def socket_path(workspace_dir: Path) -> Path:
    return workspace_dir / SOCKET_NAME


@contextmanager
def short_address(path: Path) -> Iterator[str]:
    """An address bind() and connect() accept for `path`, however deep the workspace is: a path
    too long for sockaddr_un goes through an O_PATH handle on its folder (Linux)."""
    if len(os.fsencode(str(path))) <= SUN_PATH_MAX:
        yield str(path)
        return
    fd = os.open(path.parent, os.O_PATH | os.O_CLOEXEC)
    try:
        yield f"/proc/self/fd/{fd}/{path.name}"
    finally:
        os.close(fd)


def connect_unix(path: Path, timeout: float | None = 5.0) -> socket.socket:
    sock = _unix_socket(path, "connect", timeout)
    sock.settimeout(None)
    return sock


def bind_unix(path: Path) -> socket.socket:
    return _unix_socket(path, "bind", None)


def _unix_socket(path: Path, verb: str, timeout: float | None) -> socket.socket:
    """A stream socket connected or bound (`verb`) to `path`; closed again if that fails."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
    sock.settimeout(timeout)
    try:
        with short_address(path) as address:
            getattr(sock, verb)(address)
    except BaseException:
        sock.close()
        raise
    return sock


def peer_credentials(sock: socket.socket) -> tuple[int, int, int]:
    """(pid, uid, gid) of the process at the other end, as the kernel recorded them at connect()."""
    pid, uid, gid = _CRED.unpack(sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _CRED.size))
    return pid, uid, gid
