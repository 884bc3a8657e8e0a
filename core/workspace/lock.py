"""The workspace lock: exactly one process syncs and escalates a workspace.

SQLite workspaces use flock(2) on `<workspace>/sync.lock` (released by the kernel when the holder dies,
even by SIGKILL); PostgreSQL workspaces use a session advisory lock held on a dedicated connection.
The holder writes who it is (pid, user, host, since) so a second syncer can say who to ask.
"""

from __future__ import annotations

import fcntl
import getpass
import os
import socket
from datetime import UTC, datetime

from sqlalchemy import Connection, text

from core.workspace.folder import Workspace

LOCK_NAME = "sync.lock"
PG_LOCK_KEY = 0x636F6D70  # "comp": one advisory lock id per database
HOLDER_KEY = "sync_lock_holder"


def holder_text() -> str:
    """Who we are, in a line: pid, user, host and since when."""
    try:
        user = getpass.getuser()
    except Exception:
        user = str(os.getuid())
    since = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return f"pid {os.getpid()} (user {user} on {socket.gethostname()}) since {since}"


class WorkspaceLock:
    """Non-blocking, process-wide lock on a workspace's sync duties."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self.path = ws.path / LOCK_NAME
        self._fd: int | None = None
        self._pg_conn: Connection | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None or self._pg_conn is not None

    def acquire(self) -> bool:
        """Take the lock if free; False (at once) when another process holds it."""
        if self.held:
            return True
        if self.ws.db.is_sqlite:
            return self._acquire_file()
        return self._acquire_pg()

    def _acquire_file(self) -> bool:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.fchmod(fd, 0o600)  # the server's own state: the umask must not decide who reads it
        os.ftruncate(fd, 0)
        os.pwrite(fd, (holder_text() + "\n").encode(), 0)
        self._fd = fd
        return True

    def _acquire_pg(self) -> bool:
        conn = self.ws.db.write_engine.connect()
        got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": PG_LOCK_KEY}).scalar())
        conn.commit()
        if not got:
            conn.close()
            return False
        conn.execute(text("DELETE FROM meta WHERE key = :k"), {"k": HOLDER_KEY})
        conn.execute(text("INSERT INTO meta (key, value) VALUES (:k, :v)"), {"k": HOLDER_KEY, "v": holder_text()})
        conn.commit()
        self._pg_conn = conn
        return True

    def still_held(self) -> bool:
        """False once a PostgreSQL lock's connection is gone (the server then forgot the lock, and
        another process may take it): the holder must stop syncing and acquire again."""
        if self._pg_conn is None:
            return self._fd is not None
        try:
            self._pg_conn.execute(text("SELECT 1")).scalar()
            self._pg_conn.commit()
            return True
        except Exception:
            try:
                self._pg_conn.close()
            except Exception:
                pass
            self._pg_conn = None
            return False

    def holder(self) -> str:
        """Who holds the lock, as written by the holder ("unknown" when it said nothing)."""
        if self.ws.db.is_sqlite:
            try:
                written = self.path.read_text(errors="replace").strip()
            except OSError:
                written = ""
        else:
            with self.ws.db.read_engine.connect() as conn:
                written = conn.execute(text("SELECT value FROM meta WHERE key = :k"), {"k": HOLDER_KEY}).scalar() or ""
        return written or "an unknown process"

    def release(self) -> None:
        """Give the lock back (also done by the kernel or the server when the process dies)."""
        if self._fd is not None:
            try:
                os.ftruncate(self._fd, 0)
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            finally:
                os.close(self._fd)
                self._fd = None
        if self._pg_conn is not None:
            try:
                self._pg_conn.execute(text("DELETE FROM meta WHERE key = :k"), {"k": HOLDER_KEY})
                self._pg_conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": PG_LOCK_KEY})
                self._pg_conn.commit()
            except Exception:
                pass
            finally:
                self._pg_conn.close()
                self._pg_conn = None

    def __enter__(self) -> WorkspaceLock:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()
