"""A team workspace with real Unix users: a service account runs the server, agents in the group use it,
a user outside the group cannot; the kernel, not flags or environment, says who acts.

Runs only as root (it creates the users and the group, and removes them afterwards).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(os.getuid() != 0, reason="creating Unix users needs root (CI runs as root)")


def _traversable_by_others(path: Path) -> bool:
    return all(not (part.exists() and not part.stat().st_mode & 1) for part in [path, *path.parents])


@pytest.fixture
def unix_users():
    tag = secrets.token_hex(3)
    group, users = f"cmpg{tag}", [f"cmpa{tag}", f"cmpb{tag}", f"cmpc{tag}"]
    subprocess.run(["groupadd", group], check=True)
    try:
        for user in users:
            subprocess.run(["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", user], check=True)
        subprocess.run(["usermod", "-aG", group, users[0]], check=True)
        subprocess.run(["usermod", "-aG", group, users[1]], check=True)
        yield group, users
    finally:
        for user in users:
            subprocess.run(["userdel", user], capture_output=True)
        subprocess.run(["groupdel", group], capture_output=True)


@pytest.fixture
def shared_runtime():
    """A copy of the code (and, if needed, the dependencies) that other users can read and run."""
    runtime = Path(tempfile.mkdtemp(prefix="comptoir-runtime-", dir="/tmp"))
    os.chmod(runtime, 0o755)
    for package in ("core", "routing", "tui"):
        shutil.copytree(ROOT / package, runtime / package, ignore=shutil.ignore_patterns("__pycache__"))
    site = Path(next(p for p in sys.path if p.endswith("site-packages")))
    if not _traversable_by_others(site):
        shutil.copytree(site, runtime / "site-packages", symlinks=True)
        site = runtime / "site-packages"
    subprocess.run(["chmod", "-R", "a+rX", str(runtime)], check=True)
    interpreter = shutil.which("python3.11", path="/usr/bin:/usr/local/bin") or "/usr/bin/python3"
    yield interpreter, f"{runtime}:{site}"
    shutil.rmtree(runtime, ignore_errors=True)


def _as(
    user: str,
    runtime: tuple[str, str],
    workspace: Path,
    *args: str,
    env: dict | None = None,
    module: str = "tui.launch",
) -> subprocess.CompletedProcess:
    interpreter, pythonpath = runtime
    environment = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": pythonpath,
        "HOME": "/tmp",
        "COMPTOIR_KEYRING": "memory",
        "PYTHONDONTWRITEBYTECODE": "1",
        **(env or {}),
    }
    return subprocess.run(
        [
            shutil.which("runuser") or "/usr/sbin/runuser",
            "-u",
            user,
            "--",
            interpreter,
            "-m",
            module,
            "--workspace",
            str(workspace),
            *args,
        ],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
    )


@pytest.fixture
def team_workspace(unix_users, shared_runtime):
    """A workspace set up as docs/server.md says: owned by a service account that runs the server,
    shared with the agents' group; alice is an agent, bob a supervisor, carol outside the group."""
    group, (alice, bob, carol) = unix_users
    service = f"cmps{group[4:]}"
    subprocess.run(["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", service], check=True)
    parent = Path(tempfile.mkdtemp(prefix="comptoir-shared-", dir="/tmp"))
    os.chmod(parent, 0o755)
    workspace = parent / "ws"
    config = f"""
[workspace]
name = "Shared"
[[teams]]
name = "support"
addresses = ["support@shop.test"]
hours = "always"
[[agents]]
login = "{alice}"
name = "Alice"
teams = ["support"]
[[agents]]
login = "{bob}"
name = "Bob"
teams = ["support"]
role = "supervisor"
"""
    from core.workspace.folder import init_workspace, open_workspace
    from tests.conftest import NOW
    from tests.core.helpers import deliver

    old_umask = os.umask(0o002)  # a careless umask: the modes must not depend on it
    try:
        init_workspace(workspace, group=group, config_text=config)
        ws = open_workspace(workspace)
        ids = [
            deliver(ws, NOW, "support@shop.test", sender=f"c{n}@client.test", subject=f"question {n}")[0]
            for n in range(3)
        ]
        ws.close()
        subprocess.run(["chown", "-R", service, str(workspace)], check=True)
        started = _as(service, shared_runtime, workspace, "--detach", "--no-sync", module="core.server")
        assert started.stdout.strip() == "ready", started.stdout + started.stderr
        yield workspace, group, (alice, bob, carol), ids
    finally:
        os.umask(old_umask)
        subprocess.run(["pkill", "-TERM", "-u", service], capture_output=True)
        for _ in range(50):
            if subprocess.run(["pgrep", "-u", service], capture_output=True).returncode != 0:
                break
            __import__("time").sleep(0.1)
        subprocess.run(["userdel", service], capture_output=True)
        shutil.rmtree(parent, ignore_errors=True)


def test_agents_share_through_the_server_and_outsiders_are_refused(team_workspace, shared_runtime) -> None:
    workspace, group, (alice, bob, carol), _ids = team_workspace
    made = _as(alice, shared_runtime, workspace, "alert", "--to", bob, "parcel arrived")
    assert made.returncode == 0, made.stderr
    seen = _as(bob, shared_runtime, workspace, "alerts", "--json")
    assert seen.returncode == 0, seen.stderr
    assert [a["text"] for a in json.loads(seen.stdout)] == ["parcel arrived"]
    assert _as(bob, shared_runtime, workspace, "alerts", "--all").returncode == 0
    # Carol is outside the group: she cannot even reach the socket, and is told why, without a traceback.
    denied = _as(carol, shared_runtime, workspace, "alerts", "--json")
    assert denied.returncode != 0 and "Traceback" not in denied.stderr
    assert denied.stderr.startswith("comptoir: "), denied.stderr


def test_agents_cannot_read_the_database_or_change_the_config(team_workspace, shared_runtime) -> None:
    workspace, group, (alice, bob, carol), _ids = team_workspace
    for name in ("comptoir.db", "comptoir.db-wal", "comptoir.db-shm", "comptoir.log", "sync.lock", "server.lock"):
        if (workspace / name).exists():
            assert stat.S_IMODE((workspace / name).stat().st_mode) == 0o600, name
            peek = subprocess.run(["runuser", "-u", alice, "--", "cat", str(workspace / name)], capture_output=True)
            assert peek.returncode != 0 and b"Permission denied" in peek.stderr, name
    assert stat.S_IMODE((workspace / "comptoir.sock").stat().st_mode) == 0o660
    read = subprocess.run(["runuser", "-u", alice, "--", "cat", str(workspace / "comptoir.toml")], capture_output=True)
    assert read.returncode == 0 and b"[[agents]]" in read.stdout
    forge = subprocess.run(
        ["runuser", "-u", alice, "--", "sh", "-c", f"echo 'role = \"supervisor\"' >> {workspace / 'comptoir.toml'}"],
        capture_output=True,
    )
    assert forge.returncode != 0 and b"Permission denied" in forge.stderr
    plant = subprocess.run(["runuser", "-u", alice, "--", "touch", str(workspace / "evil.db")], capture_output=True)
    assert plant.returncode != 0


def test_the_server_records_who_really_acts(team_workspace, shared_runtime) -> None:
    workspace, group, (alice, bob, carol), (first, second, third) = team_workspace
    # Alice pretends to be Bob through the environment: the kernel still says alice.
    fake_env = {"USER": bob, "LOGNAME": bob, "SUDO_USER": bob}
    claimed = _as(alice, shared_runtime, workspace, "claim", str(first), "--json", env=fake_env)
    assert claimed.returncode == 0, claimed.stderr
    assert json.loads(claimed.stdout)["winner"] == alice
    # A plain agent's --as is refused and nothing changes.
    refused = _as(alice, shared_runtime, workspace, "claim", str(second), "--as", bob)
    assert refused.returncode != 0 and "only for demo workspaces and supervisors" in refused.stderr
    # A supervisor's --as is honoured and recorded as "bob as alice".
    acted = _as(bob, shared_runtime, workspace, "claim", str(third), "--as", alice)
    assert acted.returncode == 0, acted.stderr
    why = json.loads(_as(bob, shared_runtime, workspace, "why", str(third), "--json").stdout)
    assert any(e["kind"] == "claim" and e["actor"] == f"{bob} as {alice}" for e in why["events"]), why["events"]
    why = json.loads(_as(bob, shared_runtime, workspace, "why", str(first), "--json").stdout)
    assert any(e["kind"] == "claim" and e["actor"] == alice for e in why["events"]), why["events"]
    second_row = json.loads(_as(bob, shared_runtime, workspace, "show", str(second), "--json").stdout)["row"]
    assert second_row["owner"] is None
