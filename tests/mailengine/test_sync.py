"""Mailbox sync against the real private Dovecot: initial sync, IDLE, cuts, UIDVALIDITY, identity rules."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from core.mail.mailbox_sync import POOL_THRESHOLD, MailboxSync, ParsePool
from tests.mailengine.helpers import Running, count, mail, rows, sync_once, wait_for

pytestmark = [pytest.mark.servers]


async def test_initial_sync_stores_every_mail_once(synced_ws, dovecot, imap_account):
    dovecot.deliver_many(imap_account.name, [mail(i) for i in range(30)])
    assert await sync_once(synced_ws)
    assert count(synced_ws, "SELECT COUNT(*) FROM message WHERE direction = 'inbound'") == 30
    assert count(synced_ws, "SELECT COUNT(*) FROM message_source") == 30
    state = rows(synced_ws, "SELECT uidvalidity, uidnext, last_uid, highestmodseq FROM mailbox_state")
    assert len(state) == 1 and state[0][1] == 31 and state[0][2] == 30 and state[0][3]
    # A second pass changes nothing.
    assert await sync_once(synced_ws)
    assert count(synced_ws, "SELECT COUNT(*) FROM message") == 30


async def test_new_mail_arrives_through_idle(synced_ws, dovecot, imap_account):
    async with Running(synced_ws):
        await wait_for(lambda: count(synced_ws, "SELECT COUNT(*) FROM mailbox_state WHERE uidnext IS NOT NULL"))
        dovecot.deliver(imap_account.name, mail(1))
        # Dovecot delays IDLE pushes by about half a second; poll rather than sleep.
        await wait_for(lambda: count(synced_ws, "SELECT COUNT(*) FROM message") == 1, timeout=20)
        dovecot.deliver(imap_account.name, mail(2))
        await wait_for(lambda: count(synced_ws, "SELECT COUNT(*) FROM message") == 2, timeout=20)


async def test_mail_pushed_during_idle_is_fetched_without_a_new_select(synced_ws, dovecot, imap_account, monkeypatch):
    from core.mail.imap_client import ImapClient

    selects: list[str] = []
    select = ImapClient.select

    async def counted(self, mailbox="INBOX", readonly=True):
        selects.append(mailbox)
        return await select(self, mailbox, readonly)

    monkeypatch.setattr(ImapClient, "select", counted)
    async with Running(synced_ws) as syncer:
        await wait_for(lambda: count(synced_ws, "SELECT COUNT(*) FROM mailbox_state WHERE uidnext IS NOT NULL"))
        for n in range(1, 4):
            dovecot.deliver(imap_account.name, mail(n))
            await wait_for(lambda n=n: count(synced_ws, "SELECT COUNT(*) FROM message") == n, timeout=20)
        assert all(m.failures == 0 for m in syncer.mailboxes)
        # One SELECT when the connection opened; each push was fetched in the mailbox still selected
        # (a re-SELECT made Dovecot rescan the whole Maildir).
        assert selects.count("INBOX") == 1
        # A UIDVALIDITY the server announces on the connection (an untagged OK [UIDVALIDITY]) brings SELECT back.
        inbox = next(m for m in syncer.mailboxes if m.mailbox == "INBOX")
        held = inbox._selected_on
        assert held is not None
        held[0]._proto.uidvalidity_notices += 1
        dovecot.deliver(imap_account.name, mail(4))
        await wait_for(lambda: count(synced_ws, "SELECT COUNT(*) FROM message") == 4, timeout=20)
        assert selects.count("INBOX") == 2
    assert count(synced_ws, "SELECT COUNT(*) FROM message_source") == 4
    [(last_uid, uidnext)] = rows(synced_ws, "SELECT last_uid, uidnext FROM mailbox_state")
    assert (last_uid, uidnext) == (4, 5)


async def test_a_push_into_a_big_mailbox_does_not_start_the_parse_workers(
    synced_ws, dovecot, imap_account, monkeypatch
):
    # Without SELECT the pass has no UIDNEXT; counting the whole mailbox as "expected" spawned the workers
    # (seconds) for every pushed mail.
    acquired: list[int] = []
    acquire = ParsePool.acquire
    monkeypatch.setattr(ParsePool, "acquire", lambda self: (acquired.append(1), acquire(self))[1])
    dovecot.deliver_many(imap_account.name, [mail(i) for i in range(POOL_THRESHOLD + 20)])
    async with Running(synced_ws):
        await wait_for(lambda: count(synced_ws, "SELECT COUNT(*) FROM message") == POOL_THRESHOLD + 20, timeout=60)
        assert len(acquired) == 1  # the first pass, a big one
        dovecot.deliver(imap_account.name, mail(1000))
        await wait_for(lambda: count(synced_ws, "SELECT COUNT(*) FROM message") == POOL_THRESHOLD + 21, timeout=20)
    assert len(acquired) == 1


async def test_connection_cut_mid_fetch_resumes_without_loss_or_duplicates(tmp_path, dovecot, imap_account):
    from tests.mailengine.helpers import account_block, make_ws, store_password
    from tests.servers.proxy import TcpProxy

    total = 1200
    dovecot.deliver_many(imap_account.name, [mail(i, body="x" * 4000 + "\n") for i in range(total)])
    async with TcpProxy(dovecot.host, dovecot.port) as proxy:
        store_password("support", imap_account)
        ws = make_ws(
            tmp_path, account_block("support", "support@shop.test", imap_account, dovecot, imap_port=proxy.port)
        )
        proxy.cut_after_bytes = 3_500_000  # inside the second 500-UID FETCH
        async with Running(ws) as syncer:
            await wait_for(lambda: proxy.cuts >= 1, timeout=30, interval=0.01)
            proxy.cut_after_bytes = None
            # What arrived before the cut is stored before the retry (which waits at least half a second).
            await wait_for(lambda: syncer.mailboxes[0].failures >= 1, timeout=10, interval=0.01)
            stored_at_cut = count(ws, "SELECT COUNT(*) FROM message")
            await wait_for(lambda: count(ws, "SELECT COUNT(*) FROM message") == total, timeout=60)
        assert 0 < stored_at_cut < total
        assert count(ws, "SELECT COUNT(DISTINCT message_id) FROM message") == total
        assert count(ws, "SELECT COUNT(*) FROM message_source") == total
        ws.close()


async def test_uidvalidity_change_reconciles_by_content(synced_ws, dovecot, imap_account):
    first = [mail(i) for i in range(5)]
    dovecot.deliver_many(imap_account.name, first)
    assert await sync_once(synced_ws)
    [(old_validity,)] = rows(synced_ws, "SELECT uidvalidity FROM mailbox_state")
    dovecot.recreate_mailbox(imap_account.name, "INBOX")
    dovecot.deliver_many(imap_account.name, first + [mail(99)])
    assert await sync_once(synced_ws)
    [(new_validity,)] = rows(synced_ws, "SELECT uidvalidity FROM mailbox_state")
    assert new_validity != old_validity
    assert count(synced_ws, "SELECT COUNT(*) FROM message") == 6
    # Every copy is remembered as a source under both UIDVALIDITYs; nothing was dropped.
    assert count(synced_ws, "SELECT COUNT(*) FROM message_source WHERE uidvalidity = :v", v=new_validity) == 6
    assert count(synced_ws, "SELECT COUNT(*) FROM message_source WHERE uidvalidity = :v", v=old_validity) == 5


async def test_reused_message_id_with_other_content_is_a_second_message(synced_ws, dovecot, imap_account):
    dovecot.deliver_many(
        imap_account.name,
        [
            mail(1, message_id="<same@example.com>", body="First question.\n"),
            mail(2, message_id="<same@example.com>", body="A different question.\n"),
        ],
    )
    assert await sync_once(synced_ws)
    assert count(synced_ws, "SELECT COUNT(*) FROM message WHERE message_id = '<same@example.com>'") == 2


async def test_one_mail_to_two_team_addresses_is_one_message_with_both(tmp_path, dovecot, smtp_server):
    from tests.mailengine.helpers import account_block, make_ws, store_password

    support, sales = dovecot.add_user("sup-two", "pw1"), dovecot.add_user("sal-two", "pw2")
    store_password("support", support)
    store_password("sales", sales)
    ws = make_ws(
        tmp_path,
        account_block("support", "support@shop.test", support, dovecot)
        + account_block("sales", "sales@shop.test", sales, dovecot),
    )
    raw = mail(7, to="support@shop.test, sales@shop.test")
    # Each server copy gets its own trace header, as real deliveries do.
    dovecot.deliver(support.name, b"Delivered-To: support@shop.test\r\n" + raw)
    dovecot.deliver(sales.name, b"Delivered-To: sales@shop.test\r\n" + raw)
    assert await sync_once(ws)
    assert count(ws, "SELECT COUNT(*) FROM message") == 1
    [(delivered,)] = rows(ws, "SELECT delivered_to FROM message")
    assert sorted(__import__("json").loads(delivered)) == ["sales@shop.test", "support@shop.test"]
    assert count(ws, "SELECT COUNT(*) FROM message_source") == 2
    ws.close()


async def test_sync_never_sets_seen_on_the_server(synced_ws, dovecot, imap_account):
    dovecot.deliver_many(imap_account.name, [mail(i) for i in range(3)])
    assert await sync_once(synced_ws)
    conn = dovecot.imap(imap_account.name)
    try:
        conn.select("INBOX", readonly=True)
        typ, data = conn.fetch("1:*", "(FLAGS)")
    finally:
        conn.logout()
    assert typ == "OK" and len(data) == 3
    assert not any(b"\\Seen" in line for line in data)


async def test_mail_deleted_on_the_server_stays_in_history(synced_ws, dovecot, imap_account):
    dovecot.deliver_many(imap_account.name, [mail(i) for i in range(3)])
    assert await sync_once(synced_ws)
    conn = dovecot.imap(imap_account.name)
    try:
        conn.select("INBOX")
        conn.store("1:*", "+FLAGS", "\\Deleted")
        conn.expunge()
    finally:
        conn.logout()
    dovecot.deliver(imap_account.name, mail(50))
    assert await sync_once(synced_ws)
    assert count(synced_ws, "SELECT COUNT(*) FROM message") == 4


async def test_starttls_with_a_self_signed_certificate(tmp_path, dovecot, imap_account):
    from tests.mailengine.helpers import account_block, make_ws, store_password

    dovecot.deliver(imap_account.name, mail(1))
    store_password("support", imap_account)
    ws = make_ws(
        tmp_path,
        account_block(
            "support", "support@shop.test", imap_account, dovecot, tls="starttls", cafile=str(dovecot.cert_path)
        ),
    )
    assert await sync_once(ws)
    assert count(ws, "SELECT COUNT(*) FROM message") == 1
    ws.close()


async def test_an_unreachable_server_is_reported_and_retried(tmp_path, dovecot, imap_account):
    from tests.mailengine.helpers import account_block, make_ws, store_password
    from tests.servers.dovecot import free_port

    store_password("support", imap_account)
    ws = make_ws(tmp_path, account_block("support", "support@shop.test", imap_account, dovecot, imap_port=free_port()))
    sync = MailboxSync(ws, ws.config.accounts[0], "INBOX", ParsePool())
    sync._retry_delay = lambda error: 0.01  # no waiting in the test
    assert not await sync.run(asyncio.Event(), once=True)
    assert sync.failures == 3 and "cannot connect" in sync.last_error
    ws.close()


async def test_set_seen_marks_fetched_mail_seen_only_when_the_team_asks(tmp_path, dovecot, imap_account):
    from tests.mailengine.helpers import account_block, make_ws, store_password

    dovecot.deliver_many(imap_account.name, [mail(i) for i in range(2)])
    store_password("support", imap_account)
    ws = make_ws(
        tmp_path, account_block("support", "support@shop.test", imap_account, dovecot, extra="set_seen = true\n")
    )
    assert await sync_once(ws)
    conn = dovecot.imap(imap_account.name)
    try:
        conn.select("INBOX", readonly=True)
        _typ, data = conn.fetch("1:*", "(FLAGS)")
    finally:
        conn.logout()
    assert len(data) == 2 and all(b"\\Seen" in line for line in data)
    ws.close()


def test_embedded_syncer_in_a_thread_syncs_and_stops(synced_ws, dovecot, imap_account):
    from core.mail.syncer import Syncer
    from core.workspace.lock import WorkspaceLock

    dovecot.deliver(imap_account.name, mail(1))
    stop = threading.Event()
    outcome: list[bool] = []
    thread = threading.Thread(target=lambda: outcome.append(Syncer(synced_ws).run_in_thread(stop)))
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while count(synced_ws, "SELECT COUNT(*) FROM message") == 0:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert not WorkspaceLock(synced_ws).acquire()  # the embedded syncer holds the lock
    finally:
        stop.set()
        thread.join(20)
    assert outcome == [True]
    assert WorkspaceLock(synced_ws).acquire()
