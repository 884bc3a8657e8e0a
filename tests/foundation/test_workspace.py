"""Workspaces: creation, discovery, permission checks with fixes, schema upgrades in place."""

from __future__ import annotations

import grp
import os
import sqlite3
import stat
from pathlib import Path

import pytest

from core import schema
from core.db import Database, sqlite_url
from core.errors import WorkspaceError
from core.workspace import find_workspace_dir, init_workspace, open_workspace, permission_problems
from tests.conftest import BASIC_CONFIG


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_private_workspace_is_owner_only(tmp_path: Path) -> None:
    path = init_workspace(tmp_path / "ws", config_text=BASIC_CONFIG)
    assert _mode(path) == 0o700
    assert _mode(path / "comptoir.toml") == 0o600
    assert _mode(path / "comptoir.db") == 0o600
    assert permission_problems(path) == []


@pytest.mark.skipif(os.getuid() != 0, reason="chgrp to another group needs root")
def test_group_workspace_modes_and_wal_files(tmp_path: Path) -> None:
    group = grp.getgrgid(os.getgid()).gr_name if os.getuid() != 0 else "mail"
    path = init_workspace(tmp_path / "ws", group=group, config_text=BASIC_CONFIG)
    gid = grp.getgrnam(group).gr_gid
    assert _mode(path) == 0o2770 and path.stat().st_gid == gid
    ws = open_workspace(path)
    with ws.db.write() as s:  # creates -wal and -shm
        s.exec  # noqa: B018 - the transaction itself is the point
    with ws.db.raw(write=True):  # creates the writers' queue file
        pass
    for name in ("comptoir.toml", "comptoir.db", "comptoir.db-wal", "comptoir.db-shm", "comptoir.db-writers"):
        file = path / name
        assert file.exists(), name
        assert _mode(file) == 0o660, (name, oct(_mode(file)))
        assert file.stat().st_gid == gid, name
    ws.close()


def test_a_wal_file_left_0644_is_named_with_its_fix(tmp_path: Path) -> None:
    group = "mail" if os.getuid() == 0 else grp.getgrgid(os.getgid()).gr_name
    path = init_workspace(tmp_path / "ws", group=group, config_text=BASIC_CONFIG)
    wal = path / "comptoir.db-wal"
    wal.write_bytes(b"")
    os.chmod(wal, 0o644)
    problems = permission_problems(path)
    assert any(str(wal) in p and "0644" in p and f"chmod 0660 {wal}" in p for p in problems), problems
    with pytest.raises(WorkspaceError, match="chmod 0660"):
        open_workspace(path)


def test_discovery_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMPTOIR_WORKSPACE", str(tmp_path / "from-env"))
    assert find_workspace_dir(tmp_path / "explicit") == (tmp_path / "explicit").resolve()
    assert find_workspace_dir(None) == (tmp_path / "from-env").resolve()
    monkeypatch.delenv("COMPTOIR_WORKSPACE")
    assert find_workspace_dir(None).name == "workspace"


def test_missing_workspace_and_double_init(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError, match="comptoir init"):
        open_workspace(tmp_path / "nothing")
    init_workspace(tmp_path / "ws", config_text=BASIC_CONFIG)
    with pytest.raises(WorkspaceError, match="already holds a workspace"):
        init_workspace(tmp_path / "ws", config_text=BASIC_CONFIG)


def test_first_schema_version_upgrades_in_place_keeping_data(tmp_path: Path) -> None:
    """A database made at revision 0001 (before the search index existed) opens with today's code."""
    path = tmp_path / "ws"
    path.mkdir(mode=0o700)
    (path / "comptoir.toml").write_text(BASIC_CONFIG)
    os.chmod(path / "comptoir.toml", 0o600)
    db = Database(sqlite_url(path / "comptoir.db"))
    schema.upgrade(db, "0001")
    db.dispose()
    with sqlite3.connect(path / "comptoir.db") as conn:
        conn.execute("INSERT INTO contact (address, name, audiences, imported, created_at) "
                     "VALUES ('old@customer.test', 'Old', '[\"hi-fi\"]', 1, '2026-01-01 00:00:00')")
    for file in path.iterdir():
        os.chmod(file, 0o600)
    ws = open_workspace(path)
    assert schema.current_revision(ws.db) == schema.head_revision() != "0001"
    with sqlite3.connect(path / "comptoir.db") as conn:
        assert conn.execute("SELECT name, audiences FROM contact").fetchall() == [("Old", '["hi-fi"]')]
        assert conn.execute("SELECT count(*) FROM search_index").fetchone() == (0,)
    ws.close()


def test_foreign_or_newer_database_is_never_reset(tmp_path: Path) -> None:
    db_path = tmp_path / "other.db"
    with sqlite3.connect(db_path) as conn:
        conn.execute("CREATE TABLE precious (x)")
        conn.execute("INSERT INTO precious VALUES (1)")
    with pytest.raises(WorkspaceError, match="not made by Comptoir"):
        schema.upgrade(Database(sqlite_url(db_path)))
    newer = tmp_path / "newer.db"
    db = Database(sqlite_url(newer))
    schema.upgrade(db)
    with sqlite3.connect(newer) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    with pytest.raises(WorkspaceError, match="newer version"):
        schema.upgrade(db)
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT x FROM precious").fetchall() == [(1,)]


def test_schema_upgrades_on_postgresql(tmp_path: Path) -> None:
    from tests.conftest import fresh_pg_database

    db = Database(fresh_pg_database())
    schema.upgrade(db, "0001")
    schema.upgrade(db)
    assert schema.current_revision(db) == schema.head_revision()
    db.dispose()


def test_head_constant_matches_the_migrations() -> None:
    """schema.HEAD lets a current workspace open without importing alembic; it must name the newest migration."""
    assert schema.HEAD == schema.head_revision()
    assert schema.HEAD in schema.known_revisions()
