"""Database engines and transactions for SQLite (the default) and PostgreSQL.

Writes go through `Database.write()`, which on SQLite starts with BEGIN IMMEDIATE so a
read-then-write cannot interleave with another process; reads use plain deferred
transactions. Every write also records the conversations it touched in the change log (core.work.journal).
SQLAlchemy is imported when an engine is first needed: on SQLite, `raw()` needs only sqlite3,
so the app paints its first screen without it.
"""

from __future__ import annotations

import os
import random
import sqlite3
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.errors import WorkspaceError

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlmodel import Session

    from core.store.rawsql import RawSql

SQLITE_NAME = "comptoir.db"
BUSY_TIMEOUT_MS = 30_000
NOTIFY_CHANNEL = "comptoir_changes"
"""The PostgreSQL channel the change log's writer (core.work.journal) NOTIFYs and the change feeds LISTEN on."""


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


class Database:
    """One workspace database: a write engine, a read engine and driver-level connections."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite:")
        self.dialect = "sqlite" if self.is_sqlite else _backend_name(url)
        self._local = threading.local()
        self._raw_lock = threading.Lock()
        self._write_turn = threading.RLock()
        self.on_commit: threading.Event | None = None
        """Set after every write this process commits (the server's change feed waits on it)."""
        """SQLite writers of this process queue here (the server is the only process that writes)."""
        # Weak, so a finished thread's connection closes with its thread-local slot.
        self._raw_connections: weakref.WeakSet[_RawConnection] = weakref.WeakSet()
        self.path = Path(url.removeprefix("sqlite:///")) if self.is_sqlite else None

    @cached_property
    def write_engine(self) -> Engine:
        if self.is_sqlite:
            return self._sqlite_engine(immediate=True)
        from sqlalchemy import create_engine

        return create_engine(self.url, pool_pre_ping=True, pool_size=2, max_overflow=4)

    @cached_property
    def read_engine(self) -> Engine:
        return self._sqlite_engine(immediate=False) if self.is_sqlite else self.write_engine

    def _sqlite_engine(self, immediate: bool) -> Engine:
        from sqlalchemy import create_engine, event
        from sqlalchemy.pool import NullPool

        engine = create_engine(
            self.url,
            connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "isolation_level": None, "check_same_thread": False},
            poolclass=NullPool if os.environ.get("COMPTOIR_SQLITE_NULLPOOL") else None,
        )

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
            # Only writers get the large page cache (a first sync inserts through them); the server's many
            # reading threads each hold a connection, and 32 MB each added up to 227 MB on 100k conversations.
            _configure_sqlite(dbapi_conn, WRITER_CACHE_KIB if immediate else None)

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Any) -> None:
            if immediate:
                _begin_immediate_spinning(conn.connection.driver_connection)
            else:
                conn.exec_driver_sql("BEGIN")

        return engine

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One write transaction; commits on success, rolls back on any exception."""
        from sqlmodel import Session

        with (
            self._write_turn if self.is_sqlite else nullcontext(),
            Session(self.write_engine, expire_on_commit=False) as session,
        ):
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise
        self._committed()

    @contextmanager
    def read(self) -> Iterator[Session]:
        from sqlmodel import Session

        # close() (not rollback) ends the read transaction without expiring the objects read.
        with Session(self.read_engine, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def raw(self, write: bool) -> Iterator[RawSql]:
        """A driver connection without a Session, for the hottest paths (claims).

        On SQLite each thread keeps one long-lived connection (a pool checkout costs more than the
        statements of a lost claim); writes start with BEGIN IMMEDIATE like `write()`. On PostgreSQL
        it is a pooled connection. Everything commits on success and rolls back on any exception.
        """
        from core.store.rawsql import RawSql

        if self.is_sqlite:
            conn = self._thread_sqlite()
            raw = RawSql.for_driver(conn, True)
            if not write:
                # Autocommit: each statement reads its own consistent snapshot, with no BEGIN/COMMIT
                # round trips (a lost claim is one SELECT).
                yield raw
                return
            # One process (the server) writes: its threads take turns on a lock with a queue, instead
            # of spinning on SQLite's, which has none.
            with self._write_turn:
                _begin_immediate_spinning(conn)
                try:
                    yield raw
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
            self._committed()
            return
        pooled = self.write_engine.raw_connection()
        raw = RawSql.for_driver(pooled.driver_connection, False)
        try:
            yield raw
            pooled.commit()
            self._committed()
        except BaseException:
            pooled.rollback()
            raise
        finally:
            pooled.close()

    def _thread_sqlite(self) -> sqlite3.Connection:
        """This thread's own SQLite connection for `raw()`, opened with the engines' settings."""
        conn = getattr(self._local, "conn", None)
        if conn is None or self._local.pid != os.getpid():
            assert self.path is not None, "raw() on SQLite needs the database's path"
            conn = sqlite3.connect(
                self.path,
                timeout=BUSY_TIMEOUT_MS / 1000,
                isolation_level=None,
                check_same_thread=False,
                factory=_RawConnection,
            )
            _configure_sqlite(conn)
            self._local.conn, self._local.pid = conn, os.getpid()
            with self._raw_lock:
                self._raw_connections.add(conn)
        return conn

    def sqlite_reader(self) -> sqlite3.Connection:
        """A read-only SQLite connection of its own that never waits for a lock: a busy database
        raises sqlite3.OperationalError at once (for the server's event loop, which must not block;
        in WAL mode a reader is almost never busy). The caller uses it from one thread."""
        assert self.path is not None, "sqlite_reader() is for SQLite"
        conn = sqlite3.connect(
            self.path, timeout=0, isolation_level=None, check_same_thread=False, factory=_RawConnection
        )
        _configure_sqlite(conn)
        conn.execute("PRAGMA busy_timeout=0")
        conn.execute("PRAGMA query_only=1")
        with self._raw_lock:
            self._raw_connections.add(conn)
        return conn

    def _committed(self) -> None:
        if self.on_commit is not None:
            self.on_commit.set()

    def check_reachable(self) -> None:
        if self.is_sqlite:
            try:
                with self.raw(write=False) as raw:
                    raw.one("SELECT 1")
            except sqlite3.Error as exc:
                raise WorkspaceError(f"database {self.safe_url} is not reachable: {_first_line(exc)}") from None
            return
        from sqlalchemy.exc import OperationalError

        try:
            with self.read_engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
        except OperationalError as exc:
            raise WorkspaceError(f"database {self.safe_url} is not reachable: {_first_line(exc)}") from None

    @property
    def safe_url(self) -> str:
        if self.is_sqlite:
            return self.url
        from sqlalchemy.engine import make_url

        return make_url(self.url).render_as_string(hide_password=True)

    def dispose(self) -> None:
        with self._raw_lock:
            connections, self._raw_connections = list(self._raw_connections), weakref.WeakSet()
        for conn in connections:
            conn.close()
        # Only engines that were made (cached_property keeps them in the instance dict).
        for name in ("write_engine", "read_engine"):
            engine = self.__dict__.get(name)
            if engine is not None:
                engine.dispose()


class OwnConnection:
    """One driver connection kept by one thread for its whole life (the server's claim lane), so a
    use costs no pool checkout, ping or reset: `raw()` as `Database.raw` has it.

    SQLite: the thread's own connection already is (Database.raw). PostgreSQL: a connection checked
    out of the pool once and put in autocommit, so a read is one round trip and `raw(write=True)` one
    transaction; one that broke is dropped, and the next use opens another.
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        self._pooled: Any = None

    @contextmanager
    def raw(self, write: bool) -> Iterator[RawSql]:
        if self.db.is_sqlite:
            with self.db.raw(write) as raw:
                yield raw
            return
        from core.store.rawsql import RawSql

        if self._pooled is None:
            pooled = self.db.write_engine.raw_connection()
            assert pooled.driver_connection is not None, "a pool checkout has its driver connection"
            pooled.driver_connection.autocommit = True
            self._pooled = pooled
        conn = self._pooled.driver_connection
        try:
            if write:
                with conn.transaction():
                    yield RawSql.for_driver(conn, False)
            else:
                yield RawSql.for_driver(conn, False)
        except BaseException:
            if conn.broken or conn.closed:
                self.close()
            raise
        if write:
            self.db._committed()

    def close(self) -> None:
        """Let go of the connection (it is not handed back to the pool: it is in autocommit)."""
        pooled, self._pooled = self._pooled, None
        if pooled is not None:
            pooled.invalidate()


WRITER_CACHE_KIB = 32 * 1024
"""SQLite's page cache, at most, on a connection of the writing engine; other connections keep SQLite's 2 MB."""


class _RawConnection(sqlite3.Connection):
    """A plain sqlite3 connection that a WeakSet can hold (the base class takes no weak references)."""


def _configure_sqlite(conn: sqlite3.Connection, cache_kib: int | None = None) -> None:
    # SQLite gives -wal and -shm files the mode of the database file, so 0600 carries over.
    cursor = conn.cursor()
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # SQLite's default page cache (2 MB) is smaller than the indexes a first sync inserts into at random
    # places (content keys, SHA-256 keys, Message-IDs: ~2 MB each at 20,000 mails): every insert re-read
    # pages through the kernel. The cache grows only as far as it is used.
    if cache_kib is not None:
        cursor.execute(f"PRAGMA cache_size=-{cache_kib}")
    cursor.close()


def _begin_immediate_spinning(conn: sqlite3.Connection, patience: float = BUSY_TIMEOUT_MS / 1000) -> None:
    """BEGIN IMMEDIATE, retrying after sub-millisecond naps instead of SQLite's busy handler,
    whose 1-2-5-10 ms sleeps dominate short contended transactions (a claim race)."""
    conn.execute("PRAGMA busy_timeout=0")
    deadline = time.monotonic() + patience
    nap = 0.0001
    try:
        while True:
            try:
                conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(nap * (0.5 + random.random()))
                nap = min(nap * 1.5, 0.002)
    finally:
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")


def _backend_name(url: str) -> str:
    """ "postgresql+psycopg://..." -> "postgresql"."""
    return url.partition(":")[0].partition("+")[0]


def _first_line(exc: BaseException) -> str:
    message = str(getattr(exc, "orig", exc)) or type(exc).__name__
    return message.strip().splitlines()[0]
