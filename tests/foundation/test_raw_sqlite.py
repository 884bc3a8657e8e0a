"""`Database.raw()` on SQLite: per-thread connections, writers taking turns in the process, a bounded WAL."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from core.store.db import Database


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
    with pytest.raises(RuntimeError), db.raw(write=True) as raw:
        raw.run("INSERT INTO t VALUES (1)")
        raise RuntimeError("boom")
    with db.raw(write=True) as raw:
        raw.run("INSERT INTO t VALUES (2)")
    with db.raw(write=False) as raw:
        assert raw.all("SELECT x FROM t") == [(2,)]


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


def test_the_wal_stays_bounded_by_sqlites_own_checkpoint(db: Database) -> None:
    page = b"x" * 3000  # about one page a row, so the WAL grows one frame per commit or more
    for _ in range(3000):
        with db.raw(write=True) as raw:
            raw.run("INSERT INTO t VALUES (:x)", {"x": page})
    wal = Path(str(db.path) + "-wal")
    # SQLite's automatic checkpoint (1000 pages) resets the WAL; without it 3000 pages would pile up.
    assert wal.stat().st_size < 2000 * 4096, wal.stat().st_size
    with db.raw(write=False) as raw:
        assert raw.one("SELECT count(*) FROM t") == (3000,)


def test_no_code_opens_the_database_files_with_its_own_handles() -> None:
    """Closing any handle on -shm drops SQLite's POSIX locks on it (then another process resets the
    index under a live mapping: SIGBUS). Only the driver may open the database's files."""
    import re

    core = Path(__file__).resolve().parents[2] / "core"
    pattern = re.compile(r"""os\.open\(.*(-shm|-wal|SQLITE_NAME)|open\(.*(-shm|-wal)["']""")
    offenders = [
        f"{path}:{n}"
        for path in core.rglob("*.py")
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if pattern.search(line)
    ]
    assert offenders == []
