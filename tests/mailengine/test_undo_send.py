"""Undo send against the real SMTP server: a reply waits `send_delay` seconds in the outbox, a cancelled one
never reaches the SMTP server and its text goes back into the draft, a held one goes out once the wait is
over, and `send_now` (the CLI's --now) skips the wait. Replies and cancels go through the workspace server."""

from __future__ import annotations

import asyncio
import time

import pytest

from core.mail.ingest import IncomingMail, ingest_batch
from core.server.client import RemoteComptoir
from core.workspace.folder import init_workspace, open_workspace
from tests.mailengine.helpers import BASE, account_block, count, mail, rows, store_password, sync_once

pytestmark = [pytest.mark.servers]

HOLD = 2


@pytest.fixture
def held_ws(tmp_path, dovecot, imap_account, smtp_server):
    store_password("support", imap_account)
    config = BASE.replace('name = "Test shop"\n', f'name = "Test shop"\nsend_delay = {HOLD}\n', 1)
    path = tmp_path / "held"
    init_workspace(
        path,
        config_text=config + account_block("support", "support@shop.test", imap_account, dovecot, smtp_server.port),
    )
    ws = open_workspace(path)
    yield ws
    ws.close()


@pytest.fixture
def ann(held_ws, serve_ws):
    serve_ws(held_ws.path)
    client = RemoteComptoir(held_ws.path, "ann", autostart=False)
    yield client
    client.close()


def _conversation(ws) -> int:
    now = ws.clock.now()
    return ingest_batch(ws, [IncomingMail(raw=mail(1), internaldate=now)], now).conversation_ids[0]


async def test_a_cancelled_reply_is_never_sent_and_comes_back_as_the_draft(held_ws, ann, smtp_server) -> None:
    conversation = _conversation(held_ws)
    result = ann.reply(conversation, "Thanks, we are on it.\nAnn", ["customer1@example.com"])
    assert result.ok and result.undo is not None
    assert f"goes out in {HOLD} s" in result.message
    assert await sync_once(held_ws)
    assert smtp_server.messages == []  # held: the outbox does not take it yet
    cancelled = ann.undo(result.undo)
    assert cancelled.ok, cancelled.message
    assert "not sent" in cancelled.message
    draft = ann.draft(conversation)
    assert draft is not None and draft.body == "Thanks, we are on it.\nAnn" and draft.to == ("customer1@example.com",)
    await asyncio.sleep(HOLD + 0.5)
    assert await sync_once(held_ws)
    assert smtp_server.messages == []
    assert count(held_ws, "SELECT COUNT(*) FROM outbox") == 0
    assert count(held_ws, "SELECT COUNT(*) FROM message WHERE direction = 'outbound'") == 0
    # The customer's message waits for an answer again, and the history says what happened.
    detail = ann.detail(conversation)
    assert detail.row.state == "open" and [m.disposition for m in detail.messages] == ["pending"]
    assert [
        k for (k,) in rows(held_ws, "SELECT kind FROM event WHERE conversation_id = :c ORDER BY id", c=conversation)
    ][-2:] == ["reply", "undo"]
    # Cancelling twice is refused with a reason.
    again = ann.undo(result.undo)
    assert not again.ok and "already undone" in again.message


async def test_a_held_reply_goes_out_after_the_wait_and_then_cannot_be_cancelled(held_ws, ann, smtp_server) -> None:
    conversation = _conversation(held_ws)
    started = time.monotonic()
    result = ann.reply(conversation, "On its way.", ["customer1@example.com"])
    assert ann.draft(conversation) is None
    assert await sync_once(held_ws)
    assert smtp_server.messages == []
    while time.monotonic() - started < HOLD + 0.2:
        await asyncio.sleep(0.1)
    assert await sync_once(held_ws)
    assert len(smtp_server.messages) == 1
    assert b"On its way." in smtp_server.messages[0].content
    late = ann.undo(result.undo)
    assert not late.ok and "already gone out" in late.message
    assert ann.detail(conversation).row.state == "waiting"


async def test_send_now_skips_the_wait(held_ws, ann, smtp_server) -> None:
    conversation = _conversation(held_ws)
    result = ann.reply(conversation, "Right away.", ["customer1@example.com"], send_now=True)
    assert result.ok and "goes out in" not in result.message
    assert await sync_once(held_ws)
    assert len(smtp_server.messages) == 1
