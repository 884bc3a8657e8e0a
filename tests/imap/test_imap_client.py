"""ImapClient against a real private Dovecot (see tests/servers/fixtures.py)."""

from __future__ import annotations

import asyncio
import time

import pytest

from core.mail.imap_client import (
    ImapAuthError,
    ImapClient,
    ImapConnectionLost,
    ImapError,
    ImapTimeout,
    ImapTimeouts,
    ImapTlsError,
)
from tests.imap.mails import TRICKY_BODIES, make_mail
from tests.servers.proxy import TcpProxy

pytestmark = [pytest.mark.servers, pytest.mark.asyncio]


def plain_client(dovecot, **kwargs) -> ImapClient:
    return ImapClient(dovecot.host, dovecot.port, mode="plain", **kwargs)


async def logged_in(dovecot, account, **kwargs) -> ImapClient:
    client = plain_client(dovecot, **kwargs)
    await client.connect()
    await client.login(account.name, account.password)
    return client


async def test_login_reports_server_capabilities(dovecot, imap_account):
    async with plain_client(dovecot) as client:
        await client.login(imap_account.name, imap_account.password)
        assert {"IDLE", "CONDSTORE", "UIDPLUS"} <= client.capabilities


async def test_wrong_password_is_an_auth_error_that_never_shows_the_password(dovecot, imap_account):
    async with plain_client(dovecot) as client:
        with pytest.raises(ImapAuthError) as raised:
            await client.login(imap_account.name, "Secret-Wrong-Pw")
    assert "Secret-Wrong-Pw" not in str(raised.value)
    assert raised.value.__cause__ is None and raised.value.__context__ is None


async def test_select_reports_uidvalidity_uidnext_modseq_and_count(dovecot, imap_account):
    dovecot.deliver_many(imap_account.name, [make_mail(i) for i in range(3)])
    async with plain_client(dovecot) as client:
        await client.login(imap_account.name, imap_account.password)
        status = await client.select("INBOX")
    assert status.exists == 3
    assert status.uidnext == 4
    assert status.uidvalidity > 0
    assert status.highestmodseq is not None and status.highestmodseq > 0


async def test_fetch_returns_each_message_byte_exact(dovecot, imap_account):
    mails = [make_mail(i, body_size=200 * i, extra_body=extra) for i, extra in enumerate(TRICKY_BODIES)]
    uids = dovecot.deliver_many(imap_account.name, mails)
    async with plain_client(dovecot) as client:
        await client.login(imap_account.name, imap_account.password)
        await client.select("INBOX")
        items = [item async for item in client.fetch_uids(uids)]
    assert [item.uid for item in items] == uids
    assert [item.body for item in items] == mails
    assert all(item.size == len(mail) for item, mail in zip(items, mails, strict=False))
    assert all(item.internaldate is not None and item.modseq for item in items)


async def test_fetch_over_500_mails_runs_in_batches_of_at_most_500(dovecot, imap_account):
    mails = [make_mail(i) for i in range(1200)]
    dovecot.deliver_many(imap_account.name, mails)
    async with plain_client(dovecot) as client:
        await client.login(imap_account.name, imap_account.password)
        await client.select("INBOX")
        batch_sizes = []
        original_fetch = client._fetch

        async def counting_fetch(uids, parts, expected_bytes=0):
            batch_sizes.append(len(uids))
            return await original_fetch(uids, parts, expected_bytes)

        client._fetch = counting_fetch
        items = [item async for item in client.fetch_uids("1:*")]
    assert [item.body for item in items] == mails
    assert [item.uid for item in items] == list(range(1, 1201))
    assert max(batch_sizes) <= 500
    assert len(batch_sizes) == 6  # three size lookups, three body batches


async def test_fetch_splits_batches_by_size(dovecot, imap_account):
    mails = [make_mail(i, body_size=20_000) for i in range(10)]
    dovecot.deliver_many(imap_account.name, mails)
    async with plain_client(dovecot) as client:
        await client.login(imap_account.name, imap_account.password)
        await client.select("INBOX")
        items = [item async for item in client.fetch_uids("1:*", max_batch_bytes=45_000)]
    assert [item.body for item in items] == mails


async def test_fetch_leaves_seen_flag_unset_even_read_write(dovecot, imap_account):
    dovecot.deliver(imap_account.name, make_mail(1))
    async with plain_client(dovecot) as client:
        await client.login(imap_account.name, imap_account.password)
        await client.select("INBOX", readonly=False)
        items = [item async for item in client.fetch_uids([1])]
        assert "\\Seen" not in items[0].flags
        again = [item async for item in client.fetch_uids([1])]
    assert "\\Seen" not in again[0].flags


async def test_concurrent_fetches_on_one_connection_do_not_mix_answers(dovecot, imap_account):
    mails = [make_mail(i, body_size=3000) for i in range(40)]
    dovecot.deliver_many(imap_account.name, mails)
    async with plain_client(dovecot) as client:
        await client.login(imap_account.name, imap_account.password)
        await client.select("INBOX")

        async def collect(uids):
            return [item.body async for item in client.fetch_uids(uids, batch=7)]

        first, second = await asyncio.gather(collect(range(1, 21)), collect(range(21, 41)))
    assert first == mails[:20] and second == mails[20:]


async def test_idle_returns_soon_after_an_append_from_another_connection(dovecot, imap_account):
    watcher = await logged_in(dovecot, imap_account)
    writer = await logged_in(dovecot, imap_account)
    try:
        await watcher.select("INBOX")
        started = time.monotonic()
        idle = asyncio.create_task(watcher.idle(timeout=20))
        await asyncio.sleep(0.1)  # let IDLE reach the server; the push itself is awaited below
        await writer.append("INBOX", make_mail(1))
        result = await asyncio.wait_for(idle, 10)
        elapsed = time.monotonic() - started
    finally:
        await watcher.logout()
        await writer.logout()
    assert result.changed and result.exists == 1
    assert elapsed < 5  # Dovecot delays IDLE pushes by about 0.5 s


async def test_idle_without_change_returns_empty_at_timeout(dovecot, imap_account):
    async with plain_client(dovecot) as client:
        await client.login(imap_account.name, imap_account.password)
        await client.select("INBOX")
        started = time.monotonic()
        result = await client.idle(timeout=0.3)
        assert not result.changed
        assert time.monotonic() - started < 3
        assert (await client.noop()).changed is False  # the connection is still usable after DONE


async def test_starttls_refuses_a_self_signed_certificate_by_default(dovecot):
    client = ImapClient(dovecot.host, dovecot.port, mode="starttls")
    with pytest.raises(ImapTlsError, match="certificate"):
        await client.connect()
    assert not client.connected


async def test_starttls_works_with_the_servers_cafile(dovecot, imap_account):
    async with ImapClient(dovecot.host, dovecot.port, mode="starttls", cafile=str(dovecot.cert_path)) as client:
        assert "STARTTLS" not in client.capabilities  # capabilities were re-read over TLS
        await client.login(imap_account.name, imap_account.password)
        assert (await client.select()).exists == 0


async def test_starttls_with_verification_off_accepts_any_certificate(dovecot, imap_account):
    async with ImapClient(dovecot.host, dovecot.port, mode="starttls", verify=False) as client:
        await client.login(imap_account.name, imap_account.password)


async def test_implicit_tls_checks_the_certificate(dovecot, imap_account):
    with pytest.raises(ImapTlsError):
        await ImapClient(dovecot.host, dovecot.tls_port, mode="tls").connect()
    async with ImapClient(dovecot.host, dovecot.tls_port, mode="tls", cafile=str(dovecot.cert_path)) as client:
        await client.login(imap_account.name, imap_account.password)
        assert (await client.select()).exists == 0


@pytest.mark.parametrize("host", ["imap.example.com", "10.1.2.3", "192.168.0.10"])
async def test_plain_connection_to_a_non_loopback_host_is_refused(host):
    with pytest.raises(ImapError, match="plain is only for loopback"):
        ImapClient(host, 143, mode="plain")


async def test_connection_cut_mid_fetch_raises_connection_lost(dovecot, imap_account):
    dovecot.deliver_many(imap_account.name, [make_mail(i, body_size=5000) for i in range(300)])
    async with TcpProxy(dovecot.host, dovecot.port) as proxy:
        client = ImapClient("127.0.0.1", proxy.port, mode="plain")
        await client.connect()
        await client.login(imap_account.name, imap_account.password)
        await client.select("INBOX")
        proxy.cut_after_bytes = proxy.bytes_down + 400_000  # inside the first body batch
        received = []
        with pytest.raises(ImapConnectionLost):
            async with asyncio.timeout(20):  # a hang fails the test instead of blocking it
                async for item in client.fetch_uids("1:*"):
                    received.append(item)
        assert proxy.cuts == 1 and not client.connected
        with pytest.raises(ImapConnectionLost):
            await client.noop()


async def test_connection_cut_during_idle_raises_connection_lost(dovecot, imap_account):
    async with TcpProxy(dovecot.host, dovecot.port) as proxy:
        client = ImapClient("127.0.0.1", proxy.port, mode="plain")
        await client.connect()
        await client.login(imap_account.name, imap_account.password)
        await client.select("INBOX")
        idle = asyncio.create_task(client.idle(timeout=60))
        await asyncio.sleep(0.2)
        proxy.cut_all()
        with pytest.raises(ImapConnectionLost):
            await asyncio.wait_for(idle, 5)


async def test_silent_server_times_out_with_a_named_timeout():
    async def never_greet(reader, writer):
        await asyncio.sleep(30)

    server = await asyncio.start_server(never_greet, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        client = ImapClient("127.0.0.1", port, mode="plain", timeouts=ImapTimeouts(connect=0.3))
        with pytest.raises(ImapTimeout, match="greeting"):
            await client.connect()
    finally:
        server.close()


async def test_uidvalidity_changes_when_a_mailbox_is_recreated(dovecot, imap_account):
    for mailbox in ("Support", "INBOX"):
        dovecot.deliver(imap_account.name, make_mail(1), mailbox=mailbox)
        async with plain_client(dovecot) as client:
            await client.login(imap_account.name, imap_account.password)
            before = await client.select(mailbox)
        dovecot.recreate_mailbox(imap_account.name, mailbox)
        async with plain_client(dovecot) as client:
            await client.login(imap_account.name, imap_account.password)
            after = await client.select(mailbox)
        assert after.uidvalidity != before.uidvalidity, mailbox
        assert after.exists == 0


async def test_append_returns_the_new_uid(dovecot, imap_account):
    async with plain_client(dovecot) as client:
        await client.login(imap_account.name, imap_account.password)
        await client.create("Sent")
        first = await client.append("Sent", make_mail(1), flags=["\\Seen"])
        second = await client.append("Sent", make_mail(2))
        await client.select("Sent")
        items = [item async for item in client.fetch_uids([first, second])]
    assert (first, second) == (1, 2)
    assert items[0].body == make_mail(1) and "\\Seen" in items[0].flags
    assert "\\Seen" not in items[1].flags


async def test_search_finds_a_message_by_message_id(dovecot, imap_account):
    uids = dovecot.deliver_many(imap_account.name, [make_mail(i) for i in range(5)])
    async with plain_client(dovecot) as client:
        await client.login(imap_account.name, imap_account.password)
        await client.select("INBOX")
        assert await client.search_message_id("<msg-3@test.comptoir>") == [uids[3]]
        assert await client.search_message_id("<missing@test.comptoir>") == []
        assert await client.uid_search("UID", f"{uids[2]}:*") == uids[2:]


async def test_fetch_changed_since_lists_flag_changes(dovecot, imap_account):
    uids = dovecot.deliver_many(imap_account.name, [make_mail(i) for i in range(3)])
    async with plain_client(dovecot) as client:
        await client.login(imap_account.name, imap_account.password)
        status = await client.select("INBOX")
        other = dovecot.imap(imap_account.name)
        other.select("INBOX")
        other.uid("STORE", str(uids[1]), "+FLAGS", "(\\Flagged)")
        other.logout()
        changed = await client.fetch_changed_since(status.highestmodseq)
    assert [item.uid for item in changed] == [uids[1]]
    assert "\\Flagged" in changed[0].flags and changed[0].modseq > status.highestmodseq


async def test_create_and_list_mailboxes_with_non_ascii_names(dovecot, imap_account):
    async with plain_client(dovecot) as client:
        await client.login(imap_account.name, imap_account.password)
        await client.create("\u00c9quipe & co")
        await client.create("\u00c9quipe & co")  # already there: fine
        names = {entry.name for entry in await client.list_mailboxes()}
        assert {"INBOX", "\u00c9quipe & co"} <= names
        uid = await client.append("\u00c9quipe & co", make_mail(1))
        assert (await client.select("\u00c9quipe & co")).exists == 1 and uid == 1


async def test_fetching_new_mail_with_an_open_range_skips_the_last_known_uid(dovecot, imap_account):
    dovecot.deliver_many(imap_account.name, [make_mail(i) for i in range(3)])
    async with plain_client(dovecot) as client:
        await client.login(imap_account.name, imap_account.password)
        await client.select("INBOX")
        assert await client.uid_search("UID", "4:*") == [3]  # the RFC 3501 rule the client corrects
        assert [item async for item in client.fetch_uids("4:*")] == []
        assert [item.uid async for item in client.fetch_uids("2:*")] == [2, 3]
