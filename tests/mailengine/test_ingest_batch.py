"""ingest_batch on SQLite and PostgreSQL, without servers: identity, merging, threading, routing, search."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from core.mail.ingest import IncomingMail, MailboxPosition, ingest_batch
from core.workspace.folder import Workspace
from tests.conftest import NOW
from tests.support.search import search_conversation_ids


def raw(
    n: int,
    sender: str = "alice@example.com",
    to: str = "hifi@shop.test",
    subject: str | None = None,
    reply_to: int | None = None,
    refs: tuple[int, ...] = (),
    body: str | None = None,
    mid: int | None = None,
) -> bytes:
    head = [
        f"From: Alice Client <{sender}>",
        f"To: {to}",
        f"Subject: {subject or f'Turntable question {n}'}",
        f"Date: Tue, 24 Nov 2026 09:{n % 60:02d}:00 +0000",
        f"Message-ID: <m{n if mid is None else mid}@example.com>",
    ]
    if reply_to is not None:
        head.append(f"In-Reply-To: <m{reply_to}@example.com>")
    if refs:
        head.append("References: " + " ".join(f"<m{r}@example.com>" for r in refs))
    return ("\r\n".join(head) + "\r\n\r\n" + (body or f"Hello, my amplifier number {n} hums.") + "\r\n").encode()


def incoming(data: bytes, uid: int, delivered: str = "hifi@shop.test", account: str = "hifi") -> IncomingMail:
    return IncomingMail(
        raw=data,
        delivered_to=delivered,
        account=account,
        mailbox="INBOX",
        uidvalidity=1,
        uid=uid,
        internaldate=NOW - timedelta(minutes=5),
    )


def snapshot(ws: Workspace) -> dict[str, list]:
    queries = {
        "conversation": "SELECT id, subject, contact_id, team, owner, visibility, state, pending_count, message_count, "
        "version, deadline, routing_reasons, thread_key FROM conversation ORDER BY id",
        "message": "SELECT id, conversation_id, message_id, delivered_to, content_hash FROM message ORDER BY id",
        "source": "SELECT message_id, account, uid FROM message_source ORDER BY account, uid",
        "event": "SELECT conversation_id, kind, details FROM event ORDER BY id",
        "alert": "SELECT agent, kind, text FROM alert ORDER BY id",
        "contact": "SELECT id, address, name FROM contact ORDER BY id",
    }
    with ws.db.read() as s:
        return {name: [tuple(r) for r in s.execute(text(sql))] for name, sql in queries.items()}


def test_a_batch_twice_changes_nothing_and_threads_within_it(ws: Workspace) -> None:
    batch = [
        incoming(raw(1), 1),
        incoming(raw(2, reply_to=1, subject="Re: Turntable question 1"), 2),
        incoming(raw(3, sender="bob@example.com"), 3),
        incoming(raw(4, refs=(1, 2), subject="Re: Turntable question 1"), 4),
    ]
    position = MailboxPosition("hifi", "INBOX", 1, 4, address="hifi@shop.test")
    first = ingest_batch(ws, batch, NOW, position)
    assert first.new_messages == 4
    before = snapshot(ws)
    conversations = {m[2]: m[1] for m in before["message"]}
    assert conversations["<m1@example.com>"] == conversations["<m2@example.com>"] == conversations["<m4@example.com>"]
    assert conversations["<m3@example.com>"] != conversations["<m1@example.com>"]
    [thread] = [c for c in before["conversation"] if c[0] == conversations["<m1@example.com>"]]
    assert (thread[7], thread[8], thread[9]) == (3, 3, 3)  # pending, messages, version: one per mail
    again = ingest_batch(ws, batch, NOW, position)
    assert (again.new_messages, again.already_seen) == (0, 4)
    assert snapshot(ws) == before


def test_a_new_conversation_is_stored_routed(ws: Workspace) -> None:
    ingest_batch(ws, [incoming(raw(1), 1)], NOW)
    [row] = snapshot(ws)["conversation"]
    _id, subject, contact, team, _owner, visibility, state, pending, count, version, deadline, reasons, key = row
    assert (subject, team, state, pending, count, version) == ("Turntable question 1", "hifi", "open", 1, 1, 1)
    assert contact is not None and key and reasons and visibility
    [event] = snapshot(ws)["event"]
    assert event[1] == "routed"


def test_reused_message_id_with_other_content_is_a_second_message(ws: Workspace) -> None:
    ingest_batch(ws, [incoming(raw(1), 1), incoming(raw(5, mid=1, body="Something else entirely."), 2)], NOW)
    assert len(snapshot(ws)["message"]) == 2


def test_one_mail_to_two_team_addresses_is_one_message_with_both(ws: Workspace) -> None:
    data = raw(1, to="hifi@shop.test, computers@shop.test")
    ingest_batch(ws, [incoming(data, 1)], NOW)
    report = ingest_batch(ws, [incoming(data, 1, delivered="computers@shop.test", account="computers")], NOW)
    assert report.merged == 1
    state = snapshot(ws)
    [message] = state["message"]
    assert "hifi@shop.test" in message[3] and "computers@shop.test" in message[3]
    assert len(state["source"]) == 2
    assert [e[1] for e in state["event"]] == ["routed", "also_delivered"]


def test_replies_in_later_batches_join_and_search_finds_every_message(ws: Workspace) -> None:
    ingest_batch(ws, [incoming(raw(1), 1)], NOW)
    ingest_batch(ws, [incoming(raw(2, reply_to=1, body="The turntable wobbles too."), 2)], NOW)
    ingest_batch(ws, [incoming(raw(3, subject="Re: Turntable question 1", body="Any news?"), 3)], NOW)
    state = snapshot(ws)
    assert len({m[1] for m in state["message"]}) == 1
    with ws.db.read() as s:
        assert search_conversation_ids(s, "wobbles") == [state["message"][0][1]]
        assert search_conversation_ids(s, "news") == [state["message"][0][1]]
        assert search_conversation_ids(s, "alice") == [state["message"][0][1]]
