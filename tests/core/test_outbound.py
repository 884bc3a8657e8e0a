"""New mail, forwards, merge/split with undo, and reminders, on SQLite and PostgreSQL (mail going out over
SMTP is tested in tests/mailengine/test_outbound_mail.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from core.errors import ActionRefused
from core.mail.ingest import IncomingMail, ingest_batch
from core.store.models import Attachment, Event, Message, OutboxItem
from core.work import actions, queries
from core.work.escalation import run_escalation
from core.work.merging import merge, split, undo
from core.work.outbound import compose, forward
from core.work.reminders import cancel_reminder, remind, reminders
from core.work.views import OutgoingFile
from tests.conftest import NOW
from tests.core.helpers import alerts_since, conversation, deliver, mark, raw_mail


def _events(ws, cid: int) -> list[Event]:
    with ws.db.read() as s:
        return list(s.exec(select(Event).where(Event.conversation_id == cid).order_by(Event.id)))


def _messages(ws, cid: int) -> list[int]:
    with ws.db.read() as s:
        return list(s.exec(select(Message.id).where(Message.conversation_id == cid).order_by(Message.id)))


# -- new mail -------------------------------------------------------------------------------------
def test_new_mail_is_a_conversation_owned_by_its_author_from_a_team_address(ws) -> None:
    result = compose(
        ws,
        "marie",
        ["New.Customer@client.test"],
        "Your quote",
        "Here is the quote.",
        NOW,
        attachments=[OutgoingFile("quote.pdf", b"%PDF-1.4 quote")],
    )
    assert result.ok, result
    conv = conversation(ws, result.conversation_id)
    assert (conv.owner, conv.team, conv.via_address, conv.state) == ("marie", "hifi", "hifi@shop.test", "waiting")
    assert conv.customer_address == "new.customer@client.test" and conv.pending_count == 0
    with ws.db.read() as s:
        [item] = s.exec(select(OutboxItem).where(OutboxItem.conversation_id == conv.id)).all()
        assert item.from_addr == "hifi@shop.test" and item.to_addrs == ["New.Customer@client.test"]
        [att] = s.exec(select(Attachment)).all()
        assert (att.filename, att.content_type) == ("quote.pdf", "application/pdf")
    assert queries.attachment(ws, "marie", att.id, NOW)[2] == b"%PDF-1.4 quote"
    [event] = _events(ws, conv.id)
    assert (
        event.kind == "compose"
        and "Marie Curie wrote to New.Customer@client.test from hifi@shop.test" in event.details["text"]
    )
    # The customer's answer threads into it, back to its owner.
    raw, _ = raw_mail(
        "hifi@shop.test",
        sender="new.customer@client.test",
        subject="Re: Your quote",
        in_reply_to=_message_id(ws, conv.id),
    )
    report = ingest_batch(ws, [IncomingMail(raw=raw, internaldate=NOW)], NOW + timedelta(minutes=5))
    assert report.conversation_ids == [conv.id]
    assert conversation(ws, conv.id).owner == "marie"


def _message_id(ws, cid: int) -> str:
    with ws.db.read() as s:
        return s.exec(select(Message.message_id).where(Message.conversation_id == cid)).first()


def test_new_mail_refusals_name_the_cause(ws) -> None:
    with pytest.raises(ActionRefused, match="needs a subject"):
        compose(ws, "marie", ["a@client.test"], " ", "text", NOW)
    with pytest.raises(ActionRefused, match="not a team address"):
        compose(ws, "marie", ["a@client.test"], "Hi", "text", NOW, from_addr="marie@gmail.test")
    with pytest.raises(ActionRefused, match="line break"):
        compose(ws, "marie", ["a@client.test"], "Hi\r\nBcc: x@y.test", "text", NOW)
    with pytest.raises(ActionRefused, match="over the workspace's limit of 20 MB"):
        compose(
            ws,
            "marie",
            ["a@client.test"],
            "Hi",
            "text",
            NOW,
            attachments=[OutgoingFile("big.bin", b"x" * (20 * 1024 * 1024 + 1))],
        )
    refused = compose(ws, "marie", ["a@client.test"], "Hi", "text", NOW, bcc=["b@client.test", "c@client.test"])
    assert not refused.ok and "3 recipients (more than 2)" in refused.message
    with ws.db.read() as s:
        assert s.exec(select(OutboxItem)).all() == []
    assert compose(ws, "marie", ["a@client.test"], "Hi", "text", NOW, from_addr="support@shop.test").ok


# -- forward --------------------------------------------------------------------------------------
def test_a_forward_carries_the_attachments_and_is_recorded(ws) -> None:
    from email.message import EmailMessage

    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"], msg["Message-ID"] = (
        "bob@client.test",
        "hifi@shop.test",
        "Broken amplifier",
        "<f1@client.test>",
    )
    msg.set_content("See the photo.")
    msg.add_attachment(b"\x89PNG photo", maintype="image", subtype="png", filename="photo.png")
    report = ingest_batch(ws, [IncomingMail(raw=msg.as_bytes(), internaldate=NOW)], NOW)
    cid, mid = report.conversation_ids[0], report.message_ids[0]
    before = conversation(ws, cid)
    result = forward(ws, "marie", mid, ["repairs@vendor.test"], NOW, body="Can you fix this?")
    assert result.ok, result
    with ws.db.read() as s:
        item = s.exec(select(OutboxItem)).one()
        sent = s.get(Message, item.message_row_id)
        names = list(s.exec(select(Attachment.filename).where(Attachment.message_id == sent.id)))
    assert item.subject == "Fwd: Broken amplifier" and item.to_addrs == ["repairs@vendor.test"]
    assert "Can you fix this?" in sent.text and "---------- Forwarded message ----------" in sent.text
    assert names == ["photo.png"]
    after = conversation(ws, cid)
    # A forward is not an answer to the customer: the message stays pending, the deadline runs on.
    assert after.pending_count == before.pending_count == 1 and after.state == "open"
    [event] = [e for e in _events(ws, cid) if e.kind == "forward"]
    assert event.details["text"] == f"Marie Curie forwarded message {mid} with 1 attachment to repairs@vendor.test"
    assert event.details["forwarded"] == mid and event.actor == "marie"
    too_many = forward(ws, "marie", mid, ["a@x.test", "b@x.test"], NOW, cc=["c@x.test"])
    assert not too_many.ok and "confirm" in too_many.message
    assert forward(ws, "marie", mid, ["a@x.test", "b@x.test"], NOW, cc=["c@x.test"], confirmed_recipients=True).ok


# -- merge and split ------------------------------------------------------------------------------
def test_merge_moves_messages_notes_and_history_and_undo_puts_them_back(ws) -> None:
    a, a_msg, _ = deliver(ws, NOW, "hifi@shop.test", sender="bob@client.test", subject="Amplifier hums")
    b, b_msg, _ = deliver(
        ws, NOW + timedelta(minutes=1), "hifi@shop.test", sender="bob@client.test", subject="Also the turntable"
    )
    actions.note(ws, "marie", a, "Checked the serial", NOW + timedelta(minutes=2))
    a_events = [e.id for e in _events(ws, a)]
    result = merge(ws, "marie", a, b, NOW + timedelta(minutes=3))
    assert result.ok, result
    assert _messages(ws, a) == [] and len(_messages(ws, b)) == 3
    assert set(a_events) <= {e.id for e in _events(ws, b)}
    src, dst = conversation(ws, a), conversation(ws, b)
    assert src.state == "done" and src.pending_count == 0 and dst.pending_count == 2 and dst.message_count == 3
    merge_event = [e for e in _events(ws, b) if e.kind == "merge"][0]
    assert merge_event.actor == "marie"
    assert merge_event.details["text"].startswith(f"Marie Curie merged #{a} \u201cAmplifier hums\u201d into this one")
    # Search follows the messages.
    assert b in queries_search(ws, "serial")
    detail = queries.detail(ws, "marie", b, NOW + timedelta(minutes=4))
    [shown] = [e for e in detail.events if e.kind == "merge"]
    assert shown.undo == "undo merge" and shown.id == merge_event.id
    undone = undo(ws, "marie", merge_event.id, NOW + timedelta(minutes=5))
    assert undone.ok, undone
    assert len(_messages(ws, a)) == 2 and _messages(ws, b) == [b_msg]
    assert conversation(ws, a).state == "open" and conversation(ws, a).pending_count == 1
    assert set(a_events) <= {e.id for e in _events(ws, a)}
    assert a in queries_search(ws, "serial")
    again = undo(ws, "marie", merge_event.id, NOW + timedelta(minutes=6))
    assert not again.ok and "undone already" in again.message
    detail = queries.detail(ws, "marie", b, NOW + timedelta(minutes=6))
    assert [e.undo for e in detail.events if e.kind == "merge"] == [None]


def queries_search(ws, words: str) -> list[int]:
    from tests.support.search import search_conversation_ids

    with ws.db.read() as s:
        return search_conversation_ids(s, words)


def test_merge_refuses_another_customer_and_someone_elses_conversation(ws) -> None:
    a, _, _ = deliver(ws, NOW, "hifi@shop.test", sender="bob@client.test", subject="Amplifier")
    b, _, _ = deliver(ws, NOW, "hifi@shop.test", sender="eve@client.test", subject="Amplifier too")
    refused = merge(ws, "marie", a, b, NOW)
    assert not refused.ok and "same customer" in refused.message
    c, _, _ = deliver(ws, NOW, "hifi@shop.test", sender="bob@client.test", subject="Amplifier three")
    assert actions.claim(ws, "paul", c, NOW).ok
    refused = merge(ws, "marie", a, c, NOW)
    assert not refused.ok and "Paul Martin's" in refused.message
    with pytest.raises(ActionRefused, match="into itself"):
        merge(ws, "marie", a, a, NOW)


def test_split_moves_one_message_out_and_undo_merges_it_back(ws) -> None:
    cid, first, msgid = deliver(ws, NOW, "hifi@shop.test", sender="bob@client.test", subject="Amplifier hums")
    _, second, _ = deliver(
        ws,
        NOW + timedelta(minutes=1),
        "hifi@shop.test",
        sender="bob@client.test",
        subject="Re: Amplifier hums",
        in_reply_to=msgid,
        body="Different: my invoice is wrong",
    )
    assert _messages(ws, cid) == [first, second]
    result = split(ws, "marie", second, NOW + timedelta(minutes=2))
    assert result.ok, result
    new = result.conversation_id
    assert _messages(ws, cid) == [first] and _messages(ws, new) == [second]
    made = conversation(ws, new)
    assert (made.customer_address, made.team, made.state, made.pending_count) == ("bob@client.test", "hifi", "open", 1)
    assert made.owner == "marie" and conversation(ws, cid).pending_count == 1
    [event] = [e for e in _events(ws, new) if e.kind == "split"]
    assert event.details["text"] == f"Marie Curie split message {second} out of #{cid} into this conversation"
    refused = split(ws, "marie", second, NOW + timedelta(minutes=3))
    assert not refused.ok and "nothing to split it from" in refused.message
    assert undo(ws, "marie", event.id, NOW + timedelta(minutes=4)).ok
    assert _messages(ws, cid) == [first, second] and _messages(ws, new) == []
    assert conversation(ws, new).state == "done" and conversation(ws, cid).pending_count == 2
    with pytest.raises(ActionRefused, match="only those can be undone"):
        undo(ws, "marie", _events(ws, cid)[0].id, NOW)


# -- reminders ------------------------------------------------------------------------------------
def test_a_reminder_alerts_its_agent_once_at_its_time(ws) -> None:
    cid, _, _ = deliver(ws, NOW, "hifi@shop.test", sender="bob@client.test", subject="Amplifier hums")
    at = NOW + timedelta(hours=2)
    assert remind(ws, "marie", cid, at, "call the customer back", NOW).ok
    other = remind(ws, "marie", cid, at, "second", NOW)
    assert [r.text for r in reminders(ws, "marie")] == ["call the customer back", "second"]
    assert cancel_reminder(ws, "marie", int(other.message.split(":")[0].split()[1]), NOW).ok
    m = mark(ws)
    run_escalation(ws, at - timedelta(minutes=1))
    assert [a for a in alerts_since(ws, m) if a.kind == "reminder"] == []
    run_escalation(ws, at)
    [alert] = [a for a in alerts_since(ws, m) if a.kind == "reminder"]
    assert alert.agent == "marie" and alert.conversation_id == cid
    assert alert.text == f"Reminder: #{cid} \u201cAmplifier hums\u201d \u2014 call the customer back"
    run_escalation(ws, at + timedelta(minutes=1))
    assert len([a for a in alerts_since(ws, m) if a.kind == "reminder"]) == 1
    assert reminders(ws, "marie") == [] and len(reminders(ws, "marie", include_fired=True)) == 1
    with pytest.raises(ActionRefused, match="in the future"):
        remind(ws, "marie", cid, NOW - timedelta(minutes=1), "", NOW)


def test_merging_confidential_mail_keeps_it_confidential_and_undo_restores(ws) -> None:
    a, _, _ = deliver(ws, NOW, "invoices@shop.test", sender="bob@client.test", subject="Invoice 12")
    b, _, _ = deliver(ws, NOW, "hifi@shop.test", sender="bob@client.test", subject="Amplifier hums")
    assert conversation(ws, a).confidential and not conversation(ws, b).confidential
    assert merge(ws, "sophie", a, b, NOW).ok
    assert conversation(ws, b).confidential
    [event] = [e for e in _events(ws, b) if e.kind == "merge"]
    assert undo(ws, "sophie", event.id, NOW).ok
    assert not conversation(ws, b).confidential and conversation(ws, a).confidential


def test_the_attachment_limit_must_fit_a_request_of_the_socket_protocol() -> None:
    from pydantic import ValidationError

    from core.server import wire
    from core.workspace.config import parse_config

    assert parse_config("[workspace]\nattachment_limit_mb = 48\n").workspace.attachment_limit_mb == 48
    # A reply carrying the most the config allows still fits one frame of the server's protocol.
    files = [OutgoingFile(f"part{n}.bin", bytes(12 * 1024 * 1024)) for n in range(4)]
    call = wire.Call(1, "reply", {"conversation_id": 1, "body": "x" * 10_000, "to": ["a@b.test"], "attachments": files})
    assert len(wire.frame(call)) <= wire.MAX_FRAME
    with pytest.raises((ValidationError, Exception), match="attachment_limit_mb|less than or equal"):
        parse_config("[workspace]\nattachment_limit_mb = 49\n")
