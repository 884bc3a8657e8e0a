"""Learn which conversations other processes changed, within a fraction of a second.

SQLite: `PRAGMA data_version` on one long-lived connection tells, in microseconds, that
another connection committed; the change-log table then says what changed.
PostgreSQL: LISTEN on the channel every write NOTIFYs, then the same change-log read.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from typing import Any

from core.store.change_batch import ChangeBatch as ChangeBatch  # its home before; callers import it here
from core.store.db import BUSY_TIMEOUT_MS, NOTIFY_CHANNEL, Database

POLL_INTERVAL = 0.05


class ChangeFeed:
    """A subscription to the workspace's changes; poll() blocks up to a timeout and returns a ChangeBatch."""

    def __init__(self, db: Database, kick: threading.Event | None = None, interval: float = POLL_INTERVAL) -> None:
        self.db = db
        self.interval = interval
        self.kick = kick
        """Set by whoever just committed in this process (the server): the poll looks at once."""
        self._woken = threading.Event()
        # A sqlite3 or psycopg connection: both have execute(); only psycopg has notifies().
        self._conn: Any
        if db.is_sqlite:
            self._conn = sqlite3.connect(
                str(db.path), isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000
            )
            self._version = self._data_version()
        else:
            import psycopg
            from sqlalchemy.engine import make_url

            url = make_url(db.url).set(drivername="postgresql")
            self._conn = psycopg.connect(url.render_as_string(hide_password=False), autocommit=True)
            self._conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
        self.last_id = self._max_id()

    def _data_version(self) -> int:
        return int(self._conn.execute("PRAGMA data_version").fetchone()[0])

    def _max_id(self) -> int:
        row = self._conn.execute("SELECT COALESCE(MAX(id), 0) FROM change").fetchone()
        return int(row[0])

    def poll(self, timeout: float = 0.5) -> ChangeBatch:
        """Wait up to `timeout` seconds for other processes' commits (or a `wake()`); return what they changed."""
        deadline = time.monotonic() + timeout
        if self.db.is_sqlite:
            while True:
                version = self._data_version()
                if version != self._version:
                    self._version = version
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._woken.is_set():
                    break
                if self.kick is None:
                    self._woken.wait(min(self.interval, remaining))
                elif self.kick.wait(min(self.interval, remaining)):
                    self.kick.clear()
        else:
            # In slices, so that a wake() is heard within a second.
            while not self._woken.is_set() and (remaining := deadline - time.monotonic()) > 0:
                if any(True for _ in self._conn.notifies(timeout=min(remaining, 1.0), stop_after=1)):
                    break
        self._woken.clear()
        return self._read_changes()

    def wake(self) -> None:
        """End a poll now, from any thread (its owner is stopping)."""
        self._woken.set()
        if self.kick is not None:
            self.kick.set()

    def _read_changes(self) -> ChangeBatch:
        rows = self._conn.execute(
            "SELECT id, conversation_id, kind FROM change WHERE id > ? ORDER BY id"
            if self.db.is_sqlite
            else "SELECT id, conversation_id, kind FROM change WHERE id > %s ORDER BY id",
            (self.last_id,),
        ).fetchall()
        if not rows:
            return ChangeBatch(frozenset(), frozenset(), self.last_id)
        self.last_id = int(rows[-1][0])
        return ChangeBatch(
            conversation_ids=frozenset(int(r[1]) for r in rows if r[1] is not None),
            kinds=frozenset(str(r[2]) for r in rows),
            last_id=self.last_id,
        )

    def close(self) -> None:
        try:
            self._conn.close()
        except Exception:
            pass
