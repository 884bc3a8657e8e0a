"""The outbox against SMTP servers that misbehave on purpose: what happened at the server is counted there.

The failure matrix: after DATA began, an unknown outcome is never resent by itself (failed, author
alerted); before it, a failure is retried; a partial refusal alerts the author with the refused
recipients. `comptoir resend` looks in the Sent folder first, then asks.
"""

from __future__ import annotations

import asyncio

import pytest

from core.mail.ingest import IncomingMail, ingest_batch
from core.mail.syncer import Syncer
from core.work.actions import reply
from core.workspace.folder import init_workspace, open_workspace
from core.workspace.identity import unix_login
from tests.conftest import fresh_pg_database
from tests.mailengine.helpers import BASE, account_block, mail, make_ws, rows, store_password
from tests.servers.misbehaving_smtp import MisbehavingSmtp
from tui.launch import main as comptoir_main

pytestmark = [pytest.mark.servers]

ME = unix_login()
RUNNER = f"""
[[agents]]
login = "{ME}"
name = "Test Runner"
teams = ["support"]
role = "supervisor"
"""


@pytest.fixture
def new_ws(tmp_path, dovecot, imap_account, backend):
    """Makes the runner's workspace (SQLite, then PostgreSQL) with its SMTP account on a given server."""
    store_password("support", imap_account)

    def make(smtp: MisbehavingSmtp):
        accounts = account_block("support", "support@shop.test", imap_account, dovecot, smtp.port)
        if backend == "sqlite":
            return make_ws(tmp_path, accounts, extra=RUNNER)
        url = fresh_pg_database()
        config = BASE.replace("[workspace]\n", f'[workspace]\ndatabase_url = "{url}"\n', 1) + RUNNER + accounts
        init_workspace(tmp_path / "pgws", config_text=config)
        return open_workspace(tmp_path / "pgws")

    return make


def queue_reply(ws, to=("customer1@example.com",)) -> tuple[int, int]:
    """Ingest a customer's mail and queue the runner's reply; returns (outbox id, message number)."""
    now = ws.clock.now()
    report = ingest_batch(ws, [IncomingMail(raw=mail(1), internaldate=now)], now)
    result = reply(ws, ME, report.conversation_ids[0], "Thanks, we are on it.", list(to), [], now)
    assert result.ok, result
    [(item_id, message_id)] = rows(ws, "SELECT id, message_row_id FROM outbox WHERE kind = 'reply'")
    return item_id, message_id


def state(ws, item_id: int) -> tuple[str, str]:
    [(item_state, answer)] = rows(ws, "SELECT state, last_answer FROM outbox WHERE id = :i", i=item_id)
    return item_state, answer


def alerts(ws) -> list[tuple[str, str, str]]:
    return [tuple(r) for r in rows(ws, "SELECT agent, kind, text FROM alert WHERE kind LIKE 'send_%' ORDER BY id")]


async def sync_passes(ws, passes: int = 3, smtp_timeout: float = 60.0) -> None:
    """Several one-shot syncer runs, each with a fresh outbox: nothing due may go out again."""
    for _ in range(passes):
        syncer = Syncer(ws, outbox_retry_base=0.0)
        syncer.outbox.smtp_timeout = smtp_timeout
        assert await syncer.run(asyncio.Event(), once=True)


@pytest.mark.parametrize("after_dot", ["close", "silent"])
async def test_unknown_outcome_after_the_final_dot_is_never_resent(new_ws, dovecot, imap_account, after_dot):
    """The server has the whole message, then drops the connection (or never answers): failed, alerted, once."""
    async with MisbehavingSmtp(after_dot=after_dot) as smtp:
        ws = new_ws(smtp)
        item_id, message_id = queue_reply(ws)
        await sync_passes(ws, smtp_timeout=1.0)
        assert len(smtp.deliveries) == 1
        item_state, answer = state(ws, item_id)
        assert item_state == "failed" and answer.startswith("unknown outcome")
        assert f"comptoir resend {message_id}" in answer
        [(agent, kind, text)] = alerts(ws)
        assert (agent, kind) == (ME, "send_failed") and "unknown outcome" in text
        ws.close()


async def test_a_partly_refused_reply_alerts_its_author_naming_the_refused(new_ws, dovecot, imap_account):
    async with MisbehavingSmtp(refuse=("gone@example.com",)) as smtp:
        ws = new_ws(smtp)
        item_id, _ = queue_reply(ws, to=("customer1@example.com", "gone@example.com"))
        await sync_passes(ws)
        assert [d.rcpt_tos for d in smtp.accepted] == [("customer1@example.com",)]
        assert len(smtp.deliveries) == 1
        item_state, answer = state(ws, item_id)
        assert item_state == "sent" and "refused: gone@example.com (550" in answer
        [(agent, kind, text)] = alerts(ws)
        assert (agent, kind) == (ME, "send_partial") and "gone@example.com" in text
        assert "customer1@example.com" not in text.split("refused it for", 1)[1]
        ws.close()


async def test_every_recipient_refused_for_now_is_retried_and_sent_once(new_ws, dovecot, imap_account):
    """451 at RCPT: nothing was handed over, so retrying is safe."""
    async with MisbehavingSmtp(refuse=("customer1@example.com",), rcpt_code=451) as smtp:
        ws = new_ws(smtp)
        item_id, _ = queue_reply(ws)
        await sync_passes(ws, passes=1)
        assert state(ws, item_id)[0] == "queued" and smtp.deliveries == []
        smtp.refuse = set()
        await sync_passes(ws)
        assert state(ws, item_id)[0] == "sent" and len(smtp.deliveries) == 1
        assert alerts(ws) == []
        ws.close()


async def test_connection_refused_before_data_is_retried_and_sent_once(new_ws, dovecot, imap_account):
    smtp = await MisbehavingSmtp().start()
    ws = new_ws(smtp)
    await smtp.stop()
    item_id, _ = queue_reply(ws)
    await sync_passes(ws, passes=1)
    item_state, answer = state(ws, item_id)
    assert item_state == "queued" and answer
    await smtp.start()  # same port
    try:
        await sync_passes(ws)
        assert state(ws, item_id)[0] == "sent" and len(smtp.deliveries) == 1
        assert alerts(ws) == []
    finally:
        await smtp.stop()
        ws.close()


def resend(ws, capsys, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = comptoir_main(["resend", *args, "--workspace", str(ws.path)])
    out, err = capsys.readouterr()
    return code, out, err


async def test_resend_finds_a_delivered_reply_in_sent_and_does_not_send_it(
    new_ws, dovecot, imap_account, capsys, serve_ws
):
    async with MisbehavingSmtp(after_dot="close") as smtp:
        ws = new_ws(smtp)
        serve_ws(ws.path)  # in this process, so it reads the test's in-memory keyring
        item_id, message_id = queue_reply(ws)
        await sync_passes(ws, passes=1)
        assert state(ws, item_id)[0] == "failed"
        # The server did deliver it and kept a copy in Sent (as Gmail and others do).
        dovecot.deliver(imap_account.name, smtp.deliveries[0].content, mailbox="Sent")
        code, out, err = await asyncio.to_thread(resend, ws, capsys, str(message_id), "--yes")
        assert code == 0, err
        assert "already delivered" in out and "not resent" in out
        assert state(ws, item_id)[0] == "sent"
        await sync_passes(ws)
        assert len(smtp.deliveries) == 1
        ws.close()


async def test_resend_not_found_in_sent_asks_then_sends_once(new_ws, dovecot, imap_account, capsys, serve_ws):
    async with MisbehavingSmtp(after_dot="close") as smtp:
        ws = new_ws(smtp)
        serve_ws(ws.path)  # in this process, so it reads the test's in-memory keyring
        item_id, message_id = queue_reply(ws)
        await sync_passes(ws, passes=1)
        code, out, err = await asyncio.to_thread(resend, ws, capsys, str(message_id))
        assert code == 1 and "--yes" in err and "not in the Sent folder" in err
        assert state(ws, item_id)[0] == "failed"
        smtp.after_dot = "accept"
        code, out, err = await asyncio.to_thread(resend, ws, capsys, str(message_id), "--yes")
        assert code == 0, err
        await sync_passes(ws)
        assert state(ws, item_id)[0] == "sent"
        assert len(smtp.deliveries) == 2 and len(smtp.accepted) == 1  # the second copy only on request
        ws.close()


async def test_a_reply_whose_delivery_is_unknown_is_not_resent_after_a_restart(new_ws, dovecot, imap_account):
    """The recovery pass at start-up leaves failed items alone."""
    async with MisbehavingSmtp(after_dot="close") as smtp:
        ws = new_ws(smtp)
        item_id, _ = queue_reply(ws)
        await sync_passes(ws, passes=1)
        smtp.after_dot = "accept"
        await sync_passes(ws, passes=3)
        assert len(smtp.deliveries) == 1 and state(ws, item_id)[0] == "failed"
        ws.close()
