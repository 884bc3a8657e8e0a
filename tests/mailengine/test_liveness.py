"""A server that stops answering in IDLE (its imap process frozen with SIGSTOP) is found and replaced."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest

from core.mail.imap_client import ImapClient, ImapTimeouts
from core.mail.mailbox_sync import MailboxSync, ParsePool
from tests.mailengine.helpers import count, mail, wait_for

pytestmark = [pytest.mark.servers]


def quick_client(account) -> ImapClient:
    """Short command timeouts, so the probe's answer is awaited for 2 s instead of 30."""
    return ImapClient(
        account.imap.host, account.imap.port, mode=account.imap.tls, timeouts=ImapTimeouts(connect=5.0, command=2.0)
    )


async def test_a_frozen_imap_process_is_replaced_and_new_mail_arrives(synced_ws, dovecot, imap_account):
    account = synced_ws.config.accounts[0]
    parser, stop = ParsePool(), asyncio.Event()
    sync = MailboxSync(synced_ws, account, "INBOX", parser, client_factory=quick_client, probe_seconds=1.0)
    task = asyncio.ensure_future(sync.run(stop))
    frozen: list[int] = []
    try:
        dovecot.deliver(imap_account.name, mail(1))
        await wait_for(lambda: count(synced_ws, "SELECT COUNT(*) FROM message") == 1, timeout=30)
        await asyncio.sleep(0.5)  # in IDLE now
        frozen = dovecot.imap_processes(imap_account.name)
        assert frozen, "no imap process found for the test user"
        for pid in frozen:
            os.kill(pid, signal.SIGSTOP)
        dovecot.deliver(imap_account.name, mail(2))  # a new connection: a new, running imap process
        await wait_for(lambda: count(synced_ws, "SELECT COUNT(*) FROM message") == 2, timeout=60)
    finally:
        for pid in frozen:
            try:
                os.kill(pid, signal.SIGCONT)
            except ProcessLookupError:
                pass
        stop.set()
        await asyncio.wait_for(task, 30)
        parser.close()
