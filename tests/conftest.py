"""Shared fixtures: workspaces on SQLite and, when COMPTOIR_TEST_PG is set, on PostgreSQL too."""

from __future__ import annotations

import itertools
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from core.workspace import credentials
from core.workspace.folder import Workspace, init_workspace, open_workspace

pytest_plugins = ["tests.servers.fixtures", "tests.support.thread_server"]

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
"""A Tuesday, 11:00 in Paris: inside business hours."""

_db_numbers = itertools.count(1)

BASIC_CONFIG = """
[workspace]
name = "Test shop"
timezone = "Europe/Paris"

[[teams]]
name = "hifi"
addresses = ["hifi@shop.test"]
audiences = ["hi-fi"]
keywords = ["amplifier", "turntable"]
hours = "mon-fri 09:00-18:00"
timezone = "Europe/Paris"
holidays = ["2026-12-25"]

[[teams]]
name = "computers"
addresses = ["computers@shop.test", "support@shop.test"]
audiences = ["computers"]
keywords = ["laptop"]
hours = "mon-fri 09:00-18:00"
timezone = "Europe/Paris"

[[agents]]
login = "marie"
name = "Marie Curie"
addresses = ["marie@shop.test"]
teams = ["hifi"]

[[agents]]
login = "paul"
name = "Paul Martin"
addresses = ["paul@shop.test"]
teams = ["hifi", "computers"]

[[agents]]
login = "lea"
name = "Lea Dubois"
teams = ["computers"]

[[agents]]
login = "sophie"
name = "Sophie Laurent"
teams = ["hifi"]
role = "supervisor"

[routing]
front_pool = "everyone"

[[routing.rules]]
name = "invoices"
any = [{ field = "to", contains = "invoices@" }]
team = "computers"
confidential = true
"""


def pg_admin_url() -> str | None:
    return os.environ.get("COMPTOIR_TEST_PG") or None


def require_pg() -> str:
    url = pg_admin_url()
    if url is None:
        if os.environ.get("COMPTOIR_REQUIRE_SERVERS"):
            pytest.fail("COMPTOIR_TEST_PG is not set: `make test` starts a private PostgreSQL and sets it")
        pytest.skip("PostgreSQL tests need COMPTOIR_TEST_PG (make test sets it)")
    return url


def fresh_pg_database() -> str:
    """A new empty database on the test cluster; returns its SQLAlchemy URL."""
    admin = require_pg()
    name = f"comptoir_t{os.getpid()}_{next(_db_numbers)}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return make_url(admin).set(database=name).render_as_string(hide_password=False)


def make_workspace(path: Path, backend: str, config: str = BASIC_CONFIG) -> Workspace:
    if backend == "pg":
        url = fresh_pg_database()
        config = config.replace("[workspace]\n", f'[workspace]\ndatabase_url = "{url}"\n', 1)
    init_workspace(path, config_text=config)
    _made_workspaces.append(path)
    return open_workspace(path)


_made_workspaces: list[Path] = []


@pytest.fixture(autouse=True)
def quiet_servers(monkeypatch: pytest.MonkeyPatch):
    """A server a test's CLI call starts answers requests only (no sync or escalation of its own,
    which would change what the test checks) and stops soon after; any still running at the end
    of the test is stopped, so none outlives its workspace."""
    monkeypatch.setenv("COMPTOIR_SERVER_NO_SYNC", "1")
    monkeypatch.setenv("COMPTOIR_SERVER_IDLE_EXIT", "5")
    yield
    stop_servers(_made_workspaces)
    _made_workspaces.clear()


def stop_servers(paths) -> None:
    import signal
    import time

    from core.server.server import server_pid

    for path in paths:
        pid = server_pid(path)
        if pid is None:
            continue
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            continue
        deadline = time.monotonic() + 10
        while server_pid(path) is not None and time.monotonic() < deadline:
            time.sleep(0.05)


@pytest.fixture(params=["sqlite", "pg"])
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "pg":
        require_pg()
    return request.param


@pytest.fixture
def ws(tmp_path: Path, backend: str):
    """A workspace with two teams and four agents, on SQLite and on PostgreSQL."""
    workspace = make_workspace(tmp_path / "ws", backend)
    yield workspace
    workspace.close()


@pytest.fixture
def sqlite_ws(tmp_path: Path):
    workspace = make_workspace(tmp_path / "ws", "sqlite")
    yield workspace
    workspace.close()


@pytest.fixture(autouse=True)
def memory_keyring(monkeypatch: pytest.MonkeyPatch):
    """No test ever touches a real keyring."""
    monkeypatch.setenv("COMPTOIR_KEYRING", "memory")
    credentials.use_backend(credentials.MemoryKeyring())
    yield
    credentials.use_backend(None)


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """platformdirs points into a temp dir, so no test reads or writes the real data dir."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.delenv("COMPTOIR_WORKSPACE", raising=False)
    yield home
