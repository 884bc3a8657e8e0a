"""History import against the real Dovecot: Maildir files whose mtimes (the IMAP arrival dates) lie in the past.

Mail older than the account's cut-over is stored closed and worked out, raises no alert and never
escalates; replies in the Sent folder mark what they answer as replied and say who handled the customer;
mail inside the grace period is live work. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime

import pytest

from core.mail.ingest import IncomingMail, ingest_batch
from core.work.escalation import run_escalation
from core.workspace.folder import init_workspace, open_workspace
from tests.conftest import fresh_pg_database, require_pg
from tests.mailengine.helpers import BASE, account_block, count, rows, store_password, sync_once
from tests.support.search import search_conversation_ids

pytestmark = [pytest.mark.servers]

DAY = 86400.0


def mail(
    sender: str,
    subject: str,
    message_id: str,
    arrived: float,
    to: str = "support@shop.test",
    in_reply_to: str | None = None,
    body: str = "Hello.",
) -> tuple[bytes, float]:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = message_id
    msg["Date"] = format_datetime(datetime.fromtimestamp(arrived, UTC))
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = in_reply_to
    msg.set_content(body)
    return msg.as_bytes().replace(b"\n", b"\r\n"), arrived


@pytest.fixture(params=["sqlite", "pg"])
def history_ws(request, tmp_path, dovecot, imap_account, smtp_server):
    """A workspace whose account `support` was added now (so the cut-over is 3 days ago)."""
    store_password("support", imap_account)
    added = datetime.now(UTC).replace(microsecond=0)
    config = BASE + account_block(
        "support", "support@shop.test", imap_account, dovecot, smtp_server.port, extra=f"added = {added.isoformat()}\n"
    )
    if request.param == "pg":
        require_pg()
        config = config.replace("[workspace]\n", f'[workspace]\ndatabase_url = "{fresh_pg_database()}"\n', 1)
    init_workspace(tmp_path / "ws", config_text=config)
    ws = open_workspace(tmp_path / "ws")
    yield ws
    ws.close()


def conversation_of(ws, message_id: str) -> tuple:
    (row,) = rows(
        ws,
        "SELECT c.id, c.state, c.owner, c.next_step_at, m.disposition, m.disposed_by FROM message m "
        "JOIN conversation c ON c.id = m.conversation_id WHERE m.message_id = :m",
        m=message_id,
    )
    return tuple(row)


async def test_old_mail_is_history_sent_replies_say_who_answered_and_recent_mail_is_live(
    history_ws, dovecot, imap_account
):
    ws, now = history_ws, time.time()
    inbox = [
        mail("Alice <alice@customer.test>", "Old question", "<old@customer.test>", now - 400 * DAY),
        mail("Victor <victor@customer.test>", "Order 12", "<order12@customer.test>", now - 200 * DAY),
        mail("Carol <carol@customer.test>", "Brand new question", "<new@customer.test>", now - 1 * DAY),
        mail("Dan <dan@customer.test>", "Answered already", "<answered@customer.test>", now - 2 * DAY),
    ]
    sent = [
        mail(
            "Bob Agent <support@shop.test>",
            "Re: Order 12",
            "<r1@shop.test>",
            now - 199 * DAY,
            to="victor@customer.test",
            in_reply_to="<order12@customer.test>",
        ),
        mail(
            "Bob Agent <support@shop.test>",
            "Re: Answered already",
            "<r2@shop.test>",
            now - 1.5 * DAY,
            to="dan@customer.test",
            in_reply_to="<answered@customer.test>",
        ),
    ]
    dovecot.write_maildir(imap_account.name, inbox)
    dovecot.write_maildir(imap_account.name, sent, mailbox="Sent")
    assert await sync_once(ws)

    old_id, old_state, old_owner, old_next, old_disp, _ = conversation_of(ws, "<old@customer.test>")
    assert (old_state, old_owner, old_next, old_disp) == ("done", None, None, "history")
    order_id, order_state, order_owner, _n, order_disp, order_by = conversation_of(ws, "<order12@customer.test>")
    assert (order_state, order_owner, order_disp, order_by) == ("done", "bob", "replied", "bob")
    assert (
        count(
            ws,
            "SELECT COUNT(*) FROM message WHERE conversation_id = :c AND direction = 'outbound' AND author = 'bob'",
            c=order_id,
        )
        == 1
    )
    new_id, new_state, _o, new_next, new_disp, _ = conversation_of(ws, "<new@customer.test>")
    assert (new_state, new_disp) == ("open", "pending")  # live work (its windows already ran out: escalated)
    _a, _s, answered_owner, answered_next, answered_disp, _b = conversation_of(ws, "<answered@customer.test>")
    assert (answered_disp, answered_next) == ("replied", None)

    # History raises no alert; only the live conversation does: it is past its team window already, so
    # the supervisor hears that team support has overdue conversations (one alert for the team).
    assert {r[0] for r in rows(ws, "SELECT DISTINCT conversation_id FROM alert")} <= {new_id, None}
    (overdue,) = rows(ws, "SELECT agent, kind, text FROM alert")
    assert tuple(overdue[:2]) == ("ann", "overdue") and f"Conversation {new_id}" in overdue[2]
    # Nothing of the history ever escalates, however late; no acknowledgement was queued for it.
    later = datetime.now(UTC) + timedelta(days=30)
    assert {s["conversation"] for s in run_escalation(ws, later)} <= {new_id}
    assert count(ws, "SELECT COUNT(*) FROM alert WHERE conversation_id IN (:a, :b)", a=old_id, b=order_id) == 0
    assert count(ws, "SELECT COUNT(*) FROM outbox") == 0
    # Searchable.
    with ws.db.read() as s:
        assert old_id in search_conversation_ids(s, "Old question")

    # A second pass stores nothing twice.
    assert await sync_once(ws)
    assert count(ws, "SELECT COUNT(*) FROM message") == 6

    # Routing's customer history: Victor writes again, and Bob, who answered him before, gets it.
    again, _ = mail("Victor <victor@customer.test>", "Another order", "<order13@customer.test>", now)
    report = ingest_batch(ws, [IncomingMail(raw=again)], datetime.now(UTC))
    (reasons,) = rows(
        ws,
        "SELECT routing_reasons, exclusive_agent, owner FROM conversation WHERE id = :c",
        c=report.conversation_ids[0],
    )
    assert "Bob Agent handled victor@customer.test before" in str(reasons[0])


async def test_inbox_mail_synced_after_its_reply_in_sent_is_replied(history_ws, dovecot, imap_account):
    """The Sent folder may be read first: the inbox mail then finds the reply through its In-Reply-To."""
    ws, now = history_ws, time.time()
    dovecot.write_maildir(
        imap_account.name,
        [
            mail(
                "Bob Agent <support@shop.test>",
                "Re: Late",
                "<r3@shop.test>",
                now - 9 * DAY,
                to="erin@customer.test",
                in_reply_to="<late@customer.test>",
            )
        ],
        mailbox="Sent",
    )
    from core.mail.mailbox_sync import MailboxSync, ParsePool
    from tests.mailengine.helpers import make_ws  # noqa: F401 - the syncer's own pieces, one mailbox at a time

    parser = ParsePool()
    try:
        account = ws.config.accounts[0]
        assert await MailboxSync(ws, account, "Sent", parser).run(__import__("asyncio").Event(), once=True)
        dovecot.write_maildir(
            imap_account.name, [mail("Erin <erin@customer.test>", "Late", "<late@customer.test>", now - 10 * DAY)]
        )
        assert await MailboxSync(ws, account, "INBOX", parser).run(__import__("asyncio").Event(), once=True)
    finally:
        parser.close()
    cid, state, owner, next_step, disposition, by = conversation_of(ws, "<late@customer.test>")
    assert (state, owner, next_step, disposition, by) == ("done", "bob", None, "replied", "bob")
    assert count(ws, "SELECT COUNT(*) FROM conversation") == 1
    assert count(ws, "SELECT COUNT(*) FROM alert") == 0


def test_account_add_says_what_it_will_import(tmp_path, dovecot, imap_account):
    """`comptoir account add` counts, on the server, the history and the live mail, and writes `added`."""
    import os
    import subprocess
    import sys

    now = time.time()
    dovecot.write_maildir(
        imap_account.name,
        [
            *(
                mail("Old <old@customer.test>", f"Old {n}", f"<old{n}@customer.test>", now - (30 + n) * DAY)
                for n in range(7)
            ),
            *(
                mail("New <new@customer.test>", f"New {n}", f"<new{n}@customer.test>", now - 3600 * (n + 1))
                for n in range(2)
            ),
        ],
    )
    init_workspace(tmp_path / "ws", config_text=BASE)
    keyring = tmp_path / "keyring.cfg"
    added = subprocess.run(
        [
            sys.executable,
            "-m",
            "tui.launch",
            "--workspace",
            str(tmp_path / "ws"),
            "account",
            "add",
            "support",
            "--address",
            "support@shop.test",
            "--username",
            imap_account.name,
            "--imap-host",
            "127.0.0.1",
            "--imap-port",
            str(dovecot.port),
            "--imap-tls",
            "plain",
            "--smtp-host",
            "127.0.0.1",
            "--smtp-port",
            "1",
            "--smtp-tls",
            "plain",
            "--password-stdin",
        ],
        input=imap_account.password + "\n",
        capture_output=True,
        text=True,
        timeout=60,
        env=dict(os.environ, COMPTOIR_KEYRING=f"file:{keyring}"),
    )
    assert added.returncode == 0, added.stderr
    assert "INBOX: 9 mails: about 7 older than the cut-over become closed history" in added.stdout, added.stdout
    assert "about 2 become live work" in added.stdout
    assert "Sent: could not be counted now" in added.stdout  # no Sent folder yet: said, not fatal
    assert "\nadded = " in (tmp_path / "ws" / "comptoir.toml").read_text()


async def test_first_sync_raises_at_most_one_alert_per_live_conversation_and_person(history_ws, dovecot, imap_account):
    """Issue 10's target: a first sync of a mailbox with history raises no alert for history and at most one
    per live conversation and person, however many rungs of its ladder already ran out while it waited;
    later escalation raises that same alert again in place instead of adding rows."""
    ws, now = history_ws, time.time()
    hours = (0.2, 0.9, 1.5, 2.5, 3.5, 3.9, 5, 9, 20, 30, 47, 70)  # inside the 3-day grace period: live work
    live = [
        mail(f"C{n} <c{n}@customer.test>", f"Question {n}", f"<live{n}@customer.test>", now - h * 3600)
        for n, h in enumerate(hours)
    ]
    old = [
        mail(f"H{n} <h{n}@customer.test>", f"Old {n}", f"<old{n}@customer.test>", now - (100 + n) * DAY)
        for n in range(5)
    ]
    dovecot.write_maildir(imap_account.name, live + old)
    assert await sync_once(ws)

    per_pair = "SELECT conversation_id, agent, COUNT(*) FROM alert GROUP BY conversation_id, agent HAVING COUNT(*) > 1"
    assert rows(ws, per_pair) == []
    live_ids = {r[0] for r in rows(ws, "SELECT id FROM conversation WHERE state != 'done'")}
    assert len(live_ids) == len(hours)
    agents = {r[0] for r in rows(ws, "SELECT DISTINCT agent FROM alert")}
    for conversation_id in live_ids:
        assert count(ws, "SELECT COUNT(*) FROM alert WHERE conversation_id = :c", c=conversation_id) <= len(agents)
    assert (
        count(ws, "SELECT COUNT(*) FROM alert a JOIN conversation c ON c.id = a.conversation_id WHERE c.state = 'done'")
        == 0
    )
    # Ann (supervisor) is told once that team support has overdue conversations; Bob, a plain member, is
    # told nothing (new team mail alerts nobody, and an unclaimed window closing warns nobody).
    assert count(ws, "SELECT COUNT(*) FROM conversation WHERE state != 'done' AND visibility = 'everyone'") > 1
    assert [tuple(r) for r in rows(ws, "SELECT agent, kind, team, conversation_id FROM alert")] == [
        ("ann", "overdue", "support", None)
    ]

    # Time passes: every window runs out, and the rows stay one per conversation and person.
    for later in (1, 5, 30):
        run_escalation(ws, datetime.now(UTC) + timedelta(hours=later))
        assert rows(ws, per_pair) == []
    assert count(ws, "SELECT COUNT(*) FROM alert") == 1
