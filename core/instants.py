"""Instants every layer shares, kept free of the ORM so light modules can import them."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


NO_DEADLINE = datetime(9999, 1, 1, tzinfo=UTC)
"""Stored instead of NULL so every queue sorts by (deadline, id) on an index, alike on SQLite and PostgreSQL."""
