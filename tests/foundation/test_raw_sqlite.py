"""`Database.raw()` on SQLite: per-thread connections, the writers' queue file, checkpoints off the lock."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from core.db import RAW_CHECKPOINT_FRAMES, Database, _wal_backlog


@pytest.fixture
def db(tmp_path: Path):
    (tmp_path / "comptoir.db").touch(mode=0o640)
    os.chmod(tmp_path / "comptoir.db", 0o640)
    database = Database(f"sqlite:///{tmp_path / 'comptoir.db'}")
    with database.raw(write=True) as raw:
        raw.run("CREATE TABLE t (x BLOB)")
    yield database
    database.dispose()


def test_a_failed_write_rolls_back_and_a_good_one_commits(db: Database) -> None:
    with pytest.raises(RuntimeError):
        with db.raw(write=True) as raw:
            raw.run("INSERT INTO t VALUES (1)")
            raise RuntimeError("boom")
    with db.raw(write=True) as raw:
        raw.run("INSERT INTO t VALUES (2)")
    with db.raw(write=False) as raw:
        assert raw.all("SELECT x FROM t") == [(2,)]


def test_the_queue_file_takes_the_database_mode(db: Database, tmp_path: Path) -> None:
    queue = tmp_path / "comptoir.db-writers"
    assert queue.exists()
    assert stat.S_IMODE(queue.stat().st_mode) == 0o640


def test_each_thread_writes_on_its_own_connection_and_nothing_is_lost(db: Database) -> None:
    def writer(n: int) -> None:
        for i in range(200):
            with db.raw(write=True) as raw:
                raw.run("INSERT INTO t VALUES (:x)", {"x": n * 1000 + i})

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with db.raw(write=False) as raw:
        assert raw.one("SELECT count(*), count(DISTINCT x) FROM t") == (800, 800)


def test_raw_writers_checkpoint_the_wal_themselves(db: Database) -> None:
    page = b"x" * 3000  # about one page a row, so the WAL grows one frame per commit or more
    for _ in range(3 * RAW_CHECKPOINT_FRAMES):
        with db.raw(write=True) as raw:
            raw.run("INSERT INTO t VALUES (:x)", {"x": page})
    backlog = _wal_backlog(db._local.wal_index)
    # SQLite's own checkpoint is off on this connection, so only ours keeps the WAL short.
    assert 0 <= backlog <= RAW_CHECKPOINT_FRAMES + 10, backlog
    with db.raw(write=False) as raw:
        assert raw.one("SELECT count(*) FROM t") == (3 * RAW_CHECKPOINT_FRAMES,)
