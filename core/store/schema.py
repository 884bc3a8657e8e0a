"""Schema versions: alembic migrations run in place, so an older workspace upgrades and is never reset.

Opening a current workspace reads the version with one query and never imports alembic (0.4 s of start-up).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

from core.errors import WorkspaceError
from core.store.db import Database

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

MIGRATIONS = Path(__file__).with_name("migrations")
HEAD = "0014"
"""The newest revision in migrations/versions; a test checks it against alembic's own view."""


def _alembic_config() -> AlembicConfig:
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config()).get_current_head() or ""


def known_revisions() -> list[str]:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(_alembic_config())
    return [rev.revision for rev in script.walk_revisions()]


def current_revision(db: Database) -> str | None:
    """The stored revision, or None for a database without one."""
    if db.is_sqlite:
        try:
            with db.raw(write=False) as raw:
                row = raw.one("SELECT version_num FROM alembic_version")
        except sqlite3.OperationalError:  # no such table
            return None
        return row[0] if row else None
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    try:
        with db.read_engine.connect() as conn:
            row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
    except DBAPIError:
        return None
    return row[0] if row else None


def upgrade(db: Database, target: str = "head") -> None:
    """Bring the schema to `target`; refuses a database that is newer or not ours."""
    if target in ("head", HEAD) and is_current(db):
        return
    from alembic import command
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import inspect

    with db.write_engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
        tables = set(inspect(conn).get_table_names())
    if current is None and tables - {"alembic_version"}:
        raise WorkspaceError(
            f"database {db.safe_url} has tables but no Comptoir schema version; "
            "it was not made by Comptoir, so it is left untouched."
        )
    if current is not None and current not in known_revisions():
        raise WorkspaceError(
            f"database {db.safe_url} is at schema {current}, which this Comptoir does not know; "
            "it was upgraded by a newer version: upgrade comptoir here too."
        )
    with db.write_engine.begin() as conn:
        cfg = _alembic_config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, target)


def is_current(db: Database) -> bool:
    return current_revision(db) == HEAD
