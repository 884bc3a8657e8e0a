"""Workspaces: creation, discovery, permission checks with fixes, schema upgrades in place."""

from __future__ import annotations

import grp
import os
import sqlite3
import stat
from pathlib import Path

import pytest

from core.errors import WorkspaceError
from core.store import schema
from core.store.db import Database, sqlite_url
from core.workspace.folder import find_workspace_dir, init_workspace, open_workspace, permission_problems
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
def test_group_workspace_lets_members_read_the_config_and_nothing_else(tmp_path: Path) -> None:
    os.umask(0o002)  # a permissive umask must not decide the modes
    try:
        path = init_workspace(tmp_path / "ws", group="mail", config_text=BASIC_CONFIG)
        gid = grp.getgrnam("mail").gr_gid
        assert _mode(path) == 0o2750 and path.stat().st_gid == gid
        assert _mode(path / "comptoir.toml") == 0o640 and (path / "comptoir.toml").stat().st_gid == gid
        ws = open_workspace(path)
        with ws.db.write() as s:  # creates -wal and -shm
            s.exec  # noqa: B018 - the transaction itself is the point
        for name in ("comptoir.db", "comptoir.db-wal", "comptoir.db-shm"):
            assert _mode(path / name) == 0o600, (name, oct(_mode(path / name)))
        ws.close()
        assert permission_problems(path) == []
    finally:
        os.umask(0o022)


def test_a_database_file_left_readable_is_named_with_its_fix(tmp_path: Path) -> None:
    group = "mail" if os.getuid() == 0 else grp.getgrgid(os.getgid()).gr_name
    path = init_workspace(tmp_path / "ws", group=group, config_text=BASIC_CONFIG)
    os.chmod(path / "comptoir.db", 0o640)
    os.chmod(path / "comptoir.toml", 0o660)
    problems = permission_problems(path)
    assert any("comptoir.db is 0640" in p and f"chmod 0600 {path / 'comptoir.db'}" in p for p in problems), problems
    assert any("comptoir.toml is 0660" in p and "chmod 0640" in p for p in problems), problems
    with pytest.raises(WorkspaceError, match="chmod 0600"):
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
        conn.execute(
            "INSERT INTO contact (address, name, audiences, imported, created_at) "
            "VALUES ('old@customer.test', 'Old', '[\"hi-fi\"]', 1, '2026-01-01 00:00:00')"
        )
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
    assert schema.head_revision() == schema.HEAD
    assert schema.HEAD in schema.known_revisions()
