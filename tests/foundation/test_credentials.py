"""Passwords live only in the keyring: never in comptoir.toml, the database, output or error text."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from core.errors import ComptoirError
from core.workspace import credentials
from core.workspace.folder import Workspace

SECRET = "s3cr3t-Pa55 word"


def _comptoir(ws: Workspace, keyring_file: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    env = dict(os.environ, COMPTOIR_KEYRING=f"file:{keyring_file}")
    return subprocess.run(
        [sys.executable, "-m", "tui.launch", "--workspace", str(ws.path), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def test_account_add_stores_the_password_in_the_keyring_only(sqlite_ws: Workspace, tmp_path: Path) -> None:
    keyring_file = tmp_path / "keyring" / "keyring.cfg"
    added = _comptoir(
        sqlite_ws,
        keyring_file,
        "account",
        "add",
        "support",
        "--address",
        "support@shop.test",
        "--imap-host",
        "127.0.0.1",
        "--imap-port",
        "1",
        "--imap-tls",
        "plain",
        "--smtp-host",
        "127.0.0.1",
        "--smtp-port",
        "1",
        "--smtp-tls",
        "plain",
        "--password-stdin",
        stdin=SECRET + "\n",
    )
    assert added.returncode == 0, added.stderr
    config = (sqlite_ws.path / "comptoir.toml").read_text()
    assert "[[accounts]]" in config and 'name = "support"' in config and SECRET not in config
    assert stat.S_IMODE((sqlite_ws.path / "comptoir.toml").stat().st_mode) == 0o600
    assert stat.S_IMODE(keyring_file.stat().st_mode) == 0o600
    assert "support" in keyring_file.read_text()
    for file in sqlite_ws.path.iterdir():
        assert SECRET.encode() not in file.read_bytes(), file
    doctor = _comptoir(sqlite_ws, keyring_file, "doctor", "--json")
    assert SECRET not in doctor.stdout + doctor.stderr
    assert '"account support password"' in doctor.stdout and "stored in the keyring" in doctor.stdout
    assert "account support imap" in doctor.stdout  # unreachable port 1: reported, not crashed
    assert doctor.returncode == 1


def test_a_missing_password_names_the_account_and_the_fix() -> None:
    with pytest.raises(ComptoirError) as caught:
        credentials.get_password("nobody-here")
    assert "comptoir account add nobody-here" in str(caught.value)


def test_memory_backend_round_trip_and_empty_password_refused() -> None:
    credentials.set_password("acct", SECRET)
    assert credentials.get_password("acct") == SECRET
    with pytest.raises(ComptoirError, match="empty"):
        credentials.set_password("acct", "")
    credentials.delete_password("acct")
    with pytest.raises(ComptoirError):
        credentials.get_password("acct")


def test_doctor_warns_that_a_plaintext_keyring_file_is_protected_only_by_its_mode(
    sqlite_ws: Workspace, tmp_path: Path
) -> None:
    keyring_file = tmp_path / "keyring" / "keyring.cfg"
    added = _comptoir(
        sqlite_ws,
        keyring_file,
        "account",
        "add",
        "support",
        "--address",
        "support@shop.test",
        "--imap-host",
        "127.0.0.1",
        "--imap-port",
        "1",
        "--imap-tls",
        "plain",
        "--smtp-host",
        "127.0.0.1",
        "--smtp-port",
        "1",
        "--smtp-tls",
        "plain",
        "--password-stdin",
        stdin=SECRET + "\n",
    )
    assert added.returncode == 0, added.stderr
    doctor = _comptoir(sqlite_ws, keyring_file, "doctor", "--offline")
    keyring_line = next(line for line in doctor.stdout.splitlines() if "] keyring:" in line)
    assert keyring_line.startswith("[warn] keyring:"), keyring_line
    assert "plain text" in keyring_line and "protected only by its file mode 0600" in keyring_line
    assert doctor.returncode == 0, doctor.stdout  # a warning, not a failure
