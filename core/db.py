"""Database engines and transactions for SQLite (the default) and PostgreSQL.

Writes go through `Database.write()`, which on SQLite starts with BEGIN IMMEDIATE so a
read-then-write cannot interleave with another process; reads use plain deferred
transactions. Every write also records the conversations it touched in the change log.
"""

from __future__ import annotations

import os
import random
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool
from sqlmodel import Session

from core.errors import WorkspaceError
from core.models import utcnow

SQLITE_NAME = "comptoir.db"
BUSY_TIMEOUT_MS = 30_000
NOTIFY_CHANNEL = "comptoir_changes"


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


class Database:
    """One workspace database: a write engine, a read engine and the change-log helpers."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.dialect = make_url(url).get_backend_name()
        self.is_sqlite = self.dialect == "sqlite"
        if self.is_sqlite:
            self.path = Path(make_url(url).database or "")
            self.write_engine = self._sqlite_engine(immediate=True)
            self.read_engine = self._sqlite_engine(immediate=False)
        else:
            self.path = None
            engine = create_engine(url, pool_pre_ping=True, pool_size=2, max_overflow=4)
            self.write_engine = engine
            self.read_engine = engine

    def _sqlite_engine(self, immediate: bool) -> Engine:
        engine = create_engine(
            self.url,
            connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "isolation_level": None, "check_same_thread": False},
            poolclass=NullPool if os.environ.get("COMPTOIR_SQLITE_NULLPOOL") else None,
        )
        begin = "BEGIN IMMEDIATE" if immediate else "BEGIN"

        # SQLite gives -wal and -shm files the mode of the database file, so 0660 carries over.
        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Any) -> None:
            if immediate:
                _begin_immediate_spinning(conn.connection.driver_connection)
            else:
                conn.exec_driver_sql(begin)

        return engine

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One write transaction; commits on success, rolls back on any exception."""
        with Session(self.write_engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    @contextmanager
    def read(self) -> Iterator[Session]:
        # close() (not rollback) ends the read transaction without expiring the objects read.
        with Session(self.read_engine, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def raw(self, write: bool) -> Iterator["RawSql"]:
        """A pooled driver connection without a Session, for the hottest paths (claims).

        Writes on SQLite start with BEGIN IMMEDIATE like `write()`; everything commits on success.
        """
        from core.rawsql import RawSql

        conn = (self.write_engine if write else self.read_engine).raw_connection()
        raw = RawSql.for_driver(conn.driver_connection, self.is_sqlite)
        try:
            if self.is_sqlite:
                if write:
                    _begin_immediate_spinning(conn.driver_connection)
                else:
                    raw.run("BEGIN")
            yield raw
            if self.is_sqlite:
                raw.run("COMMIT")
            else:
                conn.commit()
        except BaseException:
            try:
                if self.is_sqlite:
                    if conn.driver_connection.in_transaction:
                        raw.run("ROLLBACK")
                else:
                    conn.rollback()
            finally:
                conn.close()
            raise
        conn.close()

    def changed(self, session: Session, conversation_ids: Iterable[int | None], kind: str = "conversation") -> None:
        """Record in the change log (and, on PostgreSQL, NOTIFY) that these conversations changed."""
        now = utcnow()
        rows = [{"c": cid, "k": kind, "at": now.replace(tzinfo=None)} for cid in dict.fromkeys(conversation_ids)]
        if not rows:
            return
        session.execute(text("INSERT INTO change (conversation_id, kind, at) VALUES (:c, :k, :at)"), rows)
        if not self.is_sqlite:
            payload = ",".join("" if r["c"] is None else str(r["c"]) for r in rows)[:7000]
            session.execute(text("SELECT pg_notify(:ch, :p)"), {"ch": NOTIFY_CHANNEL, "p": payload})

    def check_reachable(self) -> None:
        try:
            with self.read_engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
        except OperationalError as exc:
            raise WorkspaceError(f"database {self.safe_url} is not reachable: {_first_line(exc)}") from None

    @property
    def safe_url(self) -> str:
        return make_url(self.url).render_as_string(hide_password=True)

    def dispose(self) -> None:
        self.write_engine.dispose()
        self.read_engine.dispose()


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


def _first_line(exc: BaseException) -> str:
    message = str(getattr(exc, "orig", exc)) or type(exc).__name__
    return message.strip().splitlines()[0]
