"""The outbox against a real SMTP server and Dovecot's Sent folder: exactly once, failures, auto-acks."""

from __future__ import annotations

import email
import email.policy

import pytest

from core.mail.ingest import IncomingMail, ingest_batch
from core.mail.outbox import Outbox, build_message
from core.store.models import OutboxItem
from core.work.actions import reply
from tests.mailengine.helpers import Running, count, mail, rows, sync_once, wait_for

pytestmark = [pytest.mark.servers]


def queue_reply(ws, body: str = "Thanks, we are on it.") -> int:
    """Ingest a customer's mail and queue Ann's reply; returns the outbox item id."""
    now = ws.clock.now()
    report = ingest_batch(ws, [IncomingMail(raw=mail(1), internaldate=now)], now)
    conversation = report.conversation_ids[0]
    result = reply(ws, "ann", conversation, body, ["customer1@example.com"], [], now)
    assert result.ok, result
    [(item_id,)] = rows(ws, "SELECT id FROM outbox WHERE kind = 'reply'")
    return item_id


def outbox_row(ws, item_id: int):
    [row] = rows(
        ws, "SELECT state, attempts, last_answer, appended, raw, our_message_id FROM outbox WHERE id = :i", i=item_id
    )
    return row


def sent_folder_ids(dovecot, user) -> list[bytes]:
    conn = dovecot.imap(user.name)
    try:
        typ, _ = conn.select('"Sent"', readonly=True)
        if typ != "OK":
            return []
        typ, data = conn.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
        return [part[1].strip() for part in data if isinstance(part, tuple)]
    finally:
        conn.logout()


async def test_reply_goes_out_once_with_threading_headers_and_lands_in_sent(
    synced_ws, smtp_server, dovecot, imap_account
):
    item_id = queue_reply(synced_ws)
    assert await sync_once(synced_ws)
    assert len(smtp_server.messages) == 1
    sent = email.message_from_bytes(smtp_server.messages[0].content, policy=email.policy.default)
    state, attempts, answer, appended, raw, our_id = outbox_row(synced_ws, item_id)
    assert state == "sent" and attempts == 1 and appended
    assert sent["Message-ID"] == our_id and sent["In-Reply-To"].startswith("<q1.")
    assert sent["From"].addresses[0].display_name == "Shop Support"
    assert sent["Auto-Submitted"] is None
    assert count(synced_ws, "SELECT COUNT(*) FROM message WHERE direction = 'outbound' AND sent_at IS NOT NULL") == 1
    assert [our_id.encode() in h for h in sent_folder_ids(dovecot, imap_account)] == [True]
    # Another pass sends nothing more.
    assert await sync_once(synced_ws)
    assert len(smtp_server.messages) == 1


async def test_smtp_down_then_up_sends_exactly_once(synced_ws, smtp_server):
    item_id = queue_reply(synced_ws)
    smtp_server.stop()
    async with Running(synced_ws, outbox_retry_base=0.2, outbox_seconds=0.1):
        await wait_for(lambda: outbox_row(synced_ws, item_id)[1] >= 2, timeout=20)
        state, _attempts, answer, *_ = outbox_row(synced_ws, item_id)
        assert state in ("queued", "sending") and answer
        smtp_server.start()
        await wait_for(lambda: outbox_row(synced_ws, item_id)[0] == "sent", timeout=20)
        await wait_for(lambda: outbox_row(synced_ws, item_id)[3], timeout=20)  # appended to Sent
    assert len(smtp_server.messages) == 1


async def test_temporary_451_is_retried(synced_ws, smtp_server):
    item_id = queue_reply(synced_ws)
    smtp_server.fail_temporarily()
    assert await sync_once(synced_ws)
    state, attempts, answer, *_ = outbox_row(synced_ws, item_id)
    assert (state, attempts) == ("queued", 1) and answer.startswith("451")
    smtp_server.accept()
    outbox = Outbox(synced_ws)
    [item] = outbox._load("id = :i", {"i": item_id})  # due or not, send it now
    assert await outbox.send_one(item)
    assert len(smtp_server.messages) == 1


async def test_permanent_550_fails_alerts_the_author_and_keeps_the_answer(synced_ws, smtp_server):
    item_id = queue_reply(synced_ws)
    smtp_server.fail_permanently()
    assert await sync_once(synced_ws)
    state, attempts, answer, *_ = outbox_row(synced_ws, item_id)
    assert state == "failed" and answer.startswith("550") and "Mailbox unavailable" in answer
    assert count(synced_ws, "SELECT COUNT(*) FROM alert WHERE kind = 'send_failed' AND agent = 'ann'") == 1
    # The failure is visible on the reply itself (the views read the outbox row by message row).
    assert (
        count(
            synced_ws,
            "SELECT COUNT(*) FROM outbox o JOIN message m ON m.id = o.message_row_id "
            "WHERE o.state = 'failed' AND m.sent_at IS NULL",
        )
        == 1
    )
    assert smtp_server.messages == []
    assert await sync_once(synced_ws)
    assert smtp_server.messages == [] and outbox_row(synced_ws, item_id)[0] == "failed"


async def test_crash_after_send_is_found_in_sent_and_not_resent(synced_ws, smtp_server, dovecot, imap_account):
    item_id = queue_reply(synced_ws)
    outbox = Outbox(synced_ws)
    [item] = outbox._load("id = :i", {"i": item_id})
    raw = build_message(synced_ws, item, synced_ws.clock.now())
    assert outbox._claim(item, raw)  # state "sending" committed, then: sent, appended, crash before recording
    dovecot.deliver(imap_account.name, raw, mailbox="Sent")
    assert await sync_once(synced_ws)
    state, *_ = outbox_row(synced_ws, item_id)
    assert state == "sent" and smtp_server.messages == []


async def test_interrupted_send_not_in_sent_is_never_resent_by_itself(synced_ws, smtp_server):
    """A crash left it in "sending" and Sent does not have it: it may or may not have gone out, so it
    becomes failed and the author is alerted; only an explicit resend sends it, exactly once."""
    item_id = queue_reply(synced_ws)
    outbox = Outbox(synced_ws)
    [item] = outbox._load("id = :i", {"i": item_id})
    assert outbox._claim(item, build_message(synced_ws, item, synced_ws.clock.now()))
    assert await sync_once(synced_ws)
    state, *rest = outbox_row(synced_ws, item_id)
    assert state == "failed" and smtp_server.messages == []
    alerts = rows(synced_ws, "SELECT agent, kind, text FROM alert WHERE kind = 'send_failed'")
    assert [(a, k) for a, k, _t in alerts] == [(item.author, "send_failed")] and "resend" in alerts[0][2]
    [(message_id,)] = rows(synced_ws, "SELECT message_row_id FROM outbox WHERE id = :i", i=item_id)
    from core.work import actions

    assert actions.resend(synced_ws, item.author, message_id, synced_ws.clock.now()).ok
    assert await sync_once(synced_ws)
    assert outbox_row(synced_ws, item_id)[0] == "sent" and len(smtp_server.messages) == 1
    assert await sync_once(synced_ws)
    assert len(smtp_server.messages) == 1


async def test_line_breaks_in_a_header_are_refused(synced_ws, smtp_server):
    now = synced_ws.clock.now()
    with synced_ws.db.write() as s:
        s.add(
            OutboxItem(
                kind="reply",
                author="ann",
                account="support",
                from_addr="support@shop.test",
                to_addrs=["x@example.com"],
                subject="Hi\r\nBcc: victim@example.com",
                body="b",
                our_message_id="<crlf@shop.test>",
                state="queued",
                next_attempt_at=now,
                created_at=now,
            )
        )
    assert await sync_once(synced_ws)
    [(state, answer)] = rows(synced_ws, "SELECT state, last_answer FROM outbox")
    assert state == "failed" and "line break" in answer
    assert smtp_server.messages == []


AUTOACK = """
[[autoack]]
address = "support@shop.test"
subject = "Re: {subject}"
body = "Hello {name}, we got your mail about {subject}; ticket {ticket}."
"""


@pytest.fixture
def autoack_ws(tmp_path, dovecot, imap_account, smtp_server):
    from tests.mailengine.helpers import account_block, make_ws, store_password

    store_password("support", imap_account)
    ws = make_ws(
        tmp_path, account_block("support", "support@shop.test", imap_account, dovecot, smtp_server.port), extra=AUTOACK
    )
    yield ws
    ws.close()


async def test_autoack_once_per_new_conversation_with_auto_submitted(autoack_ws, smtp_server, dovecot, imap_account):
    dovecot.deliver_many(
        imap_account.name,
        [
            mail(1, sender="Zoe <zoe@example.com>", subject="Broken laptop"),
            mail(2, sender="News <news@example.com>", subject="Newsletter", headers={"List-Id": "<news.example.com>"}),
            mail(
                3,
                sender="Robot <robot@example.com>",
                subject="Out of office",
                headers={"Auto-Submitted": "auto-replied"},
            ),
            mail(4, sender="no-reply@example.com", subject="Your order"),
        ],
    )
    assert await sync_once(autoack_ws)
    assert [m.rcpt_tos for m in smtp_server.messages] == [("zoe@example.com",)]
    ack = email.message_from_bytes(smtp_server.messages[0].content, policy=email.policy.default)
    assert ack["Auto-Submitted"] == "auto-replied" and ack["Subject"] == "Re: Broken laptop"
    assert "Zoe" in ack.get_content()
    assert await sync_once(autoack_ws)
    assert len(smtp_server.messages) == 1


async def test_autoack_at_most_three_a_day_per_sender(autoack_ws, smtp_server, dovecot, imap_account):
    dovecot.deliver_many(
        imap_account.name, [mail(i, sender="Zoe <zoe@example.com>", subject=f"Topic number {i}") for i in range(5)]
    )
    assert await sync_once(autoack_ws)
    assert count(autoack_ws, "SELECT COUNT(*) FROM conversation") == 5
    assert len(smtp_server.messages) == 3


async def test_one_imap_connection_appends_every_sent_item_and_reconnects_after_a_drop(
    tmp_path, dovecot, imap_account, smtp_server
):
    from tests.mailengine.helpers import account_block, make_ws, store_password
    from tests.servers.proxy import TcpProxy

    async with TcpProxy(dovecot.host, dovecot.port) as proxy:
        store_password("support", imap_account)
        ws = make_ws(
            tmp_path,
            account_block(
                "support", "support@shop.test", imap_account, dovecot, smtp_server.port, imap_port=proxy.port
            ),
        )
        outbox = Outbox(ws)
        now = ws.clock.now()
        report = ingest_batch(ws, [IncomingMail(raw=mail(i), internaldate=now) for i in range(4)], now)
        try:
            for number, conversation in enumerate(report.conversation_ids):
                if number == 3:
                    proxy.cut_all()  # the kept connection drops between two items
                assert reply(ws, "ann", conversation, f"Answer {number}", [f"customer{number}@example.com"], [], now).ok
                assert await outbox.send_due() == 1
                assert proxy.connections == (1 if number < 3 else 2)
        finally:
            await outbox.close()
        assert count(ws, "SELECT COUNT(*) FROM outbox WHERE state = 'sent' AND appended = :t", t=True) == 4
        assert len(sent_folder_ids(dovecot, imap_account)) == 4
        ws.close()
