"""`comptoir demo` as two people would use it: the second joins the running demo instead of rebuilding
it, two started at once end with one demo and one server, and $COMPTOIR_WORKSPACE is honoured."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.server.server import server_pid
from tests.conftest import _made_workspaces

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def shared_data(tmp_path_factory) -> Path:
    """One data dir for the module, so the demo template is built once."""
    return tmp_path_factory.mktemp("demo-data")


@pytest.fixture(autouse=True)
def _use_shared_data(shared_data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(shared_data))


def _demo(path: Path, *args: str, env: dict | None = None, workspace: bool = True) -> subprocess.Popen:
    command = [sys.executable, "-m", "tui.launch", "demo", "--no-app", "--no-trickle", "--conversations", "40", *args]
    if workspace:
        command += ["--workspace", str(path)]
    return subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COMPTOIR_SERVER_IDLE_EXIT": "300", **(env or {})},
    )


def _conversations(path: Path) -> int:
    import sqlite3

    connection = sqlite3.connect(f"file:{path / 'comptoir.db'}?mode=ro", uri=True)
    try:
        return connection.execute("SELECT count(*) FROM conversation").fetchone()[0]
    finally:
        connection.close()


def test_a_second_demo_joins_the_running_one(tmp_path: Path) -> None:
    path = tmp_path / "demo"
    _made_workspaces.append(path)
    first = _demo(path)
    out, err = first.communicate(timeout=300)
    assert first.returncode == 0, err
    assert f"Demo workspace: {path}" in err and "comptoir demo --as paul" in err
    pid = server_pid(path)
    count = _conversations(path)
    assert pid is not None and count > 0
    second = _demo(path, "--as", "paul")
    out, err = second.communicate(timeout=120)
    assert second.returncode == 0, err
    assert "Joining the running demo" in err
    assert server_pid(path) == pid and _conversations(path) == count


def test_two_demos_started_at_once_make_one_demo_and_one_server(tmp_path: Path) -> None:
    path = tmp_path / "demo"
    _made_workspaces.append(path)
    runs = [_demo(path), _demo(path)]
    results = [run.communicate(timeout=300) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], results
    errs = [err for _out, err in results]
    assert sum("Joining the running demo" in err for err in errs) == 1, errs
    assert server_pid(path) is not None and _conversations(path) > 0


def test_the_demo_honours_comptoir_workspace(tmp_path: Path) -> None:
    path = tmp_path / "elsewhere"
    _made_workspaces.append(path)
    run = _demo(path, env={"COMPTOIR_WORKSPACE": str(path)}, workspace=False)
    _out, err = run.communicate(timeout=300)
    assert run.returncode == 0, err
    assert (path / "comptoir.toml").exists() and f"Demo workspace: {path}" in err
