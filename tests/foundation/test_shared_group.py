"""Two real Unix users in one group share a --group workspace; a third user outside it cannot read it.

Runs only as root (it creates the users and the group, and removes them afterwards).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(os.getuid() != 0, reason="creating Unix users needs root (CI runs as root)")


def _traversable_by_others(path: Path) -> bool:
    for part in [path, *path.parents]:
        if part.exists() and not (part.stat().st_mode & 0o001):
            return False
    return True


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


def _as(user: str, runtime: tuple[str, str], workspace: Path, *args: str) -> subprocess.CompletedProcess:
    interpreter, pythonpath = runtime
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": pythonpath, "HOME": "/tmp", "COMPTOIR_KEYRING": "memory",
           "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run([shutil.which("runuser") or "/usr/sbin/runuser", "-u", user, "--", interpreter, "-m", "tui.launch", "--workspace", str(workspace), *args],
                          capture_output=True, text=True, env=env, timeout=120)


def test_group_members_share_and_outsider_is_refused(unix_users, shared_runtime) -> None:
    group, (alice, bob, carol) = unix_users
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
"""
    from core.workspace import init_workspace

    try:
        init_workspace(workspace, group=group, config_text=config)
        # Alice writes (an alert for Bob), Bob reads it and writes back (acknowledges), Alice sees the result.
        made = _as(alice, shared_runtime, workspace, "alert", "--to", bob, "parcel arrived")
        assert made.returncode == 0, made.stderr
        seen = _as(bob, shared_runtime, workspace, "alerts", "--json")
        assert seen.returncode == 0, seen.stderr
        assert [a["text"] for a in json.loads(seen.stdout)] == ["parcel arrived"]
        acked = _as(bob, shared_runtime, workspace, "alerts", "--all")
        assert acked.returncode == 0, acked.stderr
        again = _as(alice, shared_runtime, workspace, "alert", "--to", bob, "second")
        assert again.returncode == 0, again.stderr
        # SQLite removes -wal/-shm when the last connection closes; any that remain must be group files.
        for name in ("comptoir.db", "comptoir.db-wal", "comptoir.db-shm", "comptoir.db-writers"):
            if not (workspace / name).exists():
                continue
            st = (workspace / name).stat()
            assert st.st_mode & 0o777 == 0o660 and st.st_gid == __import__("grp").getgrnam(group).gr_gid, name
        # Carol is outside the group: she can neither read the config nor the database.
        denied = _as(carol, shared_runtime, workspace, "alerts", "--json")
        assert denied.returncode != 0
        assert "Traceback" not in denied.stderr
        peek = subprocess.run(["runuser", "-u", carol, "--", "cat", str(workspace / "comptoir.db")], capture_output=True)
        assert peek.returncode != 0 and b"Permission denied" in peek.stderr
    finally:
        shutil.rmtree(parent, ignore_errors=True)
