"""Driver-level SQL inside a Session's transaction, for hot paths where SQLAlchemy's per-statement cost dominates.

Ingestion runs a dozen statements per mail; building and caching Core statements cost ~0.5 ms each,
the DBAPI cursor ~20 us. Statements are written once with `:name` parameters and converted for
psycopg; values are converted here the way the models' column types would (UTC naive datetimes,
JSON text), so rows written either way read back alike.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlmodel import Session

_NAMED = re.compile(r"(?<!:):([a-z_][a-z0-9_]*)")
IN_CHUNK = 400
"""Values per IN (...) list, well below SQLite's parameter limit."""


@lru_cache(maxsize=512)
def _pyformat(sql: str) -> str:
    return _NAMED.sub(r"%(\1)s", sql.replace("%", "%%"))


def column_when(moment: datetime | None, sqlite: bool) -> Any:
    """An aware datetime as UTCDateTime stores it (naive UTC; text on SQLite)."""
    if moment is None:
        return None
    naive = moment.astimezone(UTC).replace(tzinfo=None)
    return naive.isoformat(" ", "microseconds") if sqlite else naive


class RawSql:
    """The DBAPI cursor of a Session's connection (same transaction), with dialect-neutral helpers."""

    def __init__(self, session: Session | None) -> None:
        if session is None:
            return
        connection = session.connection()
        self.sqlite = connection.dialect.name == "sqlite"
        self._dbapi: Any = connection.connection.dbapi_connection
        self._cur: Any = self._dbapi.cursor()  # type: ignore[union-attr] # a live Session always has its DBAPI connection

    @classmethod
    def for_driver(cls, dbapi_connection: Any, sqlite: bool) -> RawSql:
        """Over a bare driver connection (Database.raw), outside any Session."""
        raw = cls(None)
        raw.sqlite, raw._dbapi = sqlite, dbapi_connection
        raw._cur = dbapi_connection.cursor()
        return raw

    def _sql(self, sql: str) -> str:
        return sql if self.sqlite else _pyformat(sql)

    def run(self, sql: str, params: dict[str, Any] | None = None) -> Any:
        self._cur.execute(self._sql(sql), params or {})
        return self._cur

    def one(self, sql: str, params: dict[str, Any] | None = None) -> tuple[Any, ...] | None:
        row: tuple[Any, ...] | None = self.run(sql, params).fetchone()
        return row

    def all(self, sql: str, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        rows: list[tuple[Any, ...]] = self.run(sql, params).fetchall()
        return rows

    def scalar(self, sql: str, params: dict[str, Any] | None = None) -> Any:
        """The first column of the first row of an aggregate query (which always returns one row)."""
        row = self.one(sql, params)
        if row is None:
            raise LookupError(f"no row from {sql!r}")
        return row[0]

    def many(self, sql: str, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            self._cur.executemany(self._sql(sql), rows)

    def insert(self, sql: str, params: dict[str, Any]) -> int:
        """INSERT one row and return its id."""
        if self.sqlite:
            self._cur.execute(sql, params)
            return int(self._cur.lastrowid)
        self._cur.execute(_pyformat(sql + " RETURNING id"), params)
        return int(self._cur.fetchone()[0])

    def all_in(self, sql: str, values: Iterable[Any], extra: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        """Run `sql` whose `IN ({in})` takes `values`, in chunks; returns every row."""
        values = list(dict.fromkeys(values))
        rows: list[tuple[Any, ...]] = []
        for start in range(0, len(values), IN_CHUNK):
            chunk = values[start : start + IN_CHUNK]
            names = {f"v{i}": v for i, v in enumerate(chunk)}
            placeholders = ", ".join(f":{n}" for n in names)
            rows.extend(self.all(sql.format(placeholders), {**names, **(extra or {})}))
        return rows

    def run_in(self, sql: str, values: Iterable[Any], extra: dict[str, Any] | None = None) -> int:
        """Run a write `sql` whose `IN ({})` takes `values`, in chunks as all_in does; returns the rows changed.
        (`str.format` fills the IN list, so literal braces in `sql` must be doubled.)"""
        values = list(dict.fromkeys(values))
        changed = 0
        for start in range(0, len(values), IN_CHUNK):
            names = {f"v{i}": v for i, v in enumerate(values[start : start + IN_CHUNK])}
            placeholders = ", ".join(f":{n}" for n in names)
            changed += self.run(sql.format(placeholders), {**names, **(extra or {})}).rowcount or 0
        return changed

    def epoch(self, column: str) -> str:
        """SQL for whole seconds since 1970 of a stored UTC time, the same on both backends (truncated)."""
        if self.sqlite:
            return f"CAST(strftime('%s', {column}) AS INTEGER)"
        return f"CAST(FLOOR(EXTRACT(EPOCH FROM {column})) AS BIGINT)"

    # -- values as the models' column types store them

    def when(self, moment: datetime | None) -> Any:
        """An aware datetime as UTCDateTime stores it (naive UTC; text on SQLite)."""
        return column_when(moment, self.sqlite)

    @staticmethod
    def read_when(value: Any) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        moment: datetime = value.replace(tzinfo=UTC)
        return moment

    @staticmethod
    def read_instant(value: Any) -> datetime:
        """A NOT NULL time column."""
        moment = RawSql.read_when(value)
        if moment is None:
            raise ValueError("a NOT NULL time column held NULL")
        return moment

    @staticmethod
    def json(value: Any) -> str:
        return json.dumps(value)

    @staticmethod
    def read_json(value: Any) -> Any:
        return json.loads(value) if isinstance(value, (str, bytes)) else value

    def flag(self, value: bool) -> Any:
        return int(value) if self.sqlite else bool(value)
