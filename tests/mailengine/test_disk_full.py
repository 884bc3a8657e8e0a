"""Disk full under the workspace (a small tmpfs): a clear error naming the path and the free space, exit code 4
for a one-shot sync, and a running syncer that resumes by itself once space returns, losing nothing."""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import subprocess

import pytest

from core.mail.mailbox_sync import MailboxSync, ParsePool
from core.mail.syncer import EXIT_STORAGE, run_syncer
from core.workspace.folder import init_workspace, open_workspace
from tests.mailengine.helpers import BASE, account_block, count, mail, store_password, wait_for

pytestmark = [pytest.mark.servers]
MAILS = 12


@pytest.fixture
def small_disk(tmp_path):
    """A 6 MB tmpfs (root only: mount)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    disk = tmp_path / "disk"
    disk.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(disk)]).returncode != 0:
        pytest.skip("could not mount a tmpfs here")
    yield disk
    subprocess.run(["umount", "-l", str(disk)])


@pytest.fixture
def full_ws(small_disk, dovecot, imap_account, smtp_server):
    """A workspace on the small disk, a filler leaving ~200 KB free, and 12 mails of ~80 KB waiting on the server."""
    store_password("support", imap_account)
    init_workspace(
        small_disk / "ws",
        config_text=BASE
        + account_block(
            "support", "support@shop.test", imap_account, dovecot, smtp_server.port, extra="sync_sent = false\n"
        ),
    )
    ws = open_workspace(small_disk / "ws")
    rng = random.Random(7)
    dovecot.deliver_many(
        imap_account.name,
        [mail(n, body="".join(rng.choice("abcdefghij klmnop\n") for _ in range(80_000))) for n in range(MAILS)],
    )
    filler = small_disk / "filler"
    filler.write_bytes(b"\0" * max(0, shutil.disk_usage(small_disk).free - 200_000))
    yield ws, filler
    ws.close()


def test_one_shot_sync_on_a_full_disk_names_the_path_and_exits_4(full_ws, capsys):
    ws, _filler = full_ws
    assert run_syncer(ws, once=True) == EXIT_STORAGE
    err = capsys.readouterr().err
    assert "the disk is full" in err and str(ws.path) in err and "free of" in err, err
    assert "Traceback" not in err and "internal error" not in err


async def test_a_running_syncer_resumes_when_space_returns_and_loses_nothing(full_ws):
    ws, filler = full_ws
    parser, stop = ParsePool(), asyncio.Event()
    sync = MailboxSync(ws, ws.config.accounts[0], "INBOX", parser)
    task = asyncio.ensure_future(sync.run(stop))
    try:
        await wait_for(lambda: sync.storage_failed, timeout=60)
        assert "the disk is full" in sync.last_error and str(ws.path) in sync.last_error
        assert "free of" in sync.last_error
        filler.unlink()  # space returns
        await wait_for(lambda: count(ws, "SELECT COUNT(*) FROM message") == MAILS, timeout=120)
        assert count(ws, "SELECT COUNT(*) FROM message_source") == MAILS
        assert not task.done()  # it never stopped
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
        parser.close()
