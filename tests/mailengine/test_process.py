"""The syncer as a process: SIGKILL mid-batch then restart loses and doubles nothing; one syncer per workspace."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from core.workspace import credentials
from core.workspace.lock import WorkspaceLock
from tests.mailengine.helpers import account_block, count, mail, make_ws

pytestmark = [pytest.mark.servers]
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def comptoir(ws, *args: str, keyring: str) -> subprocess.Popen:
    env = dict(os.environ, COMPTOIR_KEYRING=f"file:{keyring}", PYTHONPATH=REPO)
    code = "import sys; from tui.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.Popen(
        [sys.executable, "-c", code, "--workspace", str(ws.path), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=REPO,
    )


@pytest.fixture
def process_ws(tmp_path, dovecot, imap_account, smtp_server):
    """A workspace whose password is in a file keyring, so a child process can read it."""
    keyring = tmp_path / "keyring.cfg"
    credentials.use_backend(credentials._file_backend(keyring))
    credentials.set_password("support", imap_account.password)
    ws = make_ws(tmp_path, account_block("support", "support@shop.test", imap_account, dovecot, smtp_server.port))
    yield ws, str(keyring)
    ws.close()


def test_sigkill_mid_batch_then_restart_stores_every_mail_exactly_once(process_ws, dovecot, imap_account):
    ws, keyring = process_ws
    total = 3000
    dovecot.deliver_many(imap_account.name, [mail(i, body=f"Body {i}\n" + "y" * 1500 + "\n") for i in range(total)])
    child = comptoir(ws, "sync", keyring=keyring)
    deadline = time.monotonic() + 60
    while count(ws, "SELECT COUNT(*) FROM message") == 0:
        assert child.poll() is None, child.stderr.read().decode()
        assert time.monotonic() < deadline, "the syncer stored nothing within 60 s"
        time.sleep(0.02)
    child.send_signal(signal.SIGKILL)
    child.wait(10)
    stored_at_kill = count(ws, "SELECT COUNT(*) FROM message")
    assert 0 < stored_at_kill < total
    # Every stored batch came with its mailbox position: the two always agree.
    assert count(ws, "SELECT MAX(uid) FROM message_source") == count(ws, "SELECT last_uid FROM mailbox_state")
    again = comptoir(ws, "sync", "--once", keyring=keyring)
    out, err = again.communicate(timeout=120)
    assert again.returncode == 0, err.decode()
    assert count(ws, "SELECT COUNT(*) FROM message") == total
    assert count(ws, "SELECT COUNT(DISTINCT message_id) FROM message") == total
    assert count(ws, "SELECT COUNT(*) FROM message_source") == total


def test_a_second_syncer_says_who_holds_the_lock_and_exits(process_ws):
    ws, keyring = process_ws
    lock = WorkspaceLock(ws)
    assert lock.acquire()
    try:
        other = WorkspaceLock(ws)
        assert not other.acquire() and f"pid {os.getpid()}" in other.holder()
        child = comptoir(ws, "sync", "--once", keyring=keyring)
        _out, err = child.communicate(timeout=60)
        assert child.returncode == 1
        assert f"pid {os.getpid()}" in err.decode() and "another syncer" in err.decode()
    finally:
        lock.release()
    assert WorkspaceLock(ws).acquire()


def test_sigterm_stops_the_syncer_cleanly(process_ws):
    ws, keyring = process_ws
    child = comptoir(ws, "sync", keyring=keyring)
    deadline = time.monotonic() + 30
    while count(ws, "SELECT COUNT(*) FROM mailbox_state WHERE uidnext IS NOT NULL") == 0:
        assert child.poll() is None and time.monotonic() < deadline, child.stderr.read().decode()
        time.sleep(0.05)
    child.send_signal(signal.SIGTERM)
    assert child.wait(20) == 0
    log_text = ws.log_path.read_text()
    assert "syncer stopped" in log_text
    assert "pa ss" not in log_text  # the password never reaches the log
