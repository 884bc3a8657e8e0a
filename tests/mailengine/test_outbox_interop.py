"""What other mail clients see of our replies, read back as the SMTP server received them.

Threading headers carry Message-IDs byte for byte (never RFC 2047 encoded-words); an over-long one
is dropped with a warning; no header carries a control character.
"""

from __future__ import annotations

import logging
from email import message_from_bytes
from email.policy import compat32, default

import pytest

from core.mail.ingest import IncomingMail, ingest_batch
from core.store.models import OutboxItem
from core.work.actions import reply
from tests.mailengine.helpers import mail, rows, sync_once

pytestmark = [pytest.mark.servers]

LONG_ID = "<" + "a" * 300 + "@long-ids.example.com>"
HUGE_ID = "<" + "h" * 100_000 + "@huge.example.com>"
PARENT = "<parent.1@customer.example.com>"


def header_block(content: bytes) -> bytes:
    return content.partition(b"\r\n\r\n")[0] + b"\r\n"


def raw_header(content: bytes, name: str) -> bytes:
    """One header's value exactly as sent, unfolded (CRLF + whitespace removed), or b"" if absent."""
    msg = message_from_bytes(content, policy=compat32)
    value = msg.get(name)
    return value.replace("\r\n", "").replace("\n", "").encode("latin-1") if value is not None else b""


def reply_to(ws, raw: bytes) -> int:
    now = ws.clock.now()
    report = ingest_batch(ws, [IncomingMail(raw=raw, internaldate=now)], now)
    result = reply(ws, "ann", report.conversation_ids[0], "Thanks.", ["customer1@example.com"], [], now)
    assert result.ok, result
    [(item_id,)] = rows(ws, "SELECT id FROM outbox WHERE kind = 'reply'")
    return item_id


async def test_a_long_message_id_goes_out_unencoded_byte_for_byte(synced_ws, smtp_server):
    reply_to(synced_ws, mail(1, message_id=LONG_ID, headers={"References": PARENT}))
    assert await sync_once(synced_ws)
    [sent] = smtp_server.messages
    head = header_block(sent.content)
    assert b"=?" not in head
    assert raw_header(sent.content, "In-Reply-To") == LONG_ID.encode()
    assert raw_header(sent.content, "References").split() == [PARENT.encode(), LONG_ID.encode()]
    # Python's own parser reads the same ids back.
    parsed = message_from_bytes(sent.content, policy=default)
    assert str(parsed["In-Reply-To"]) == LONG_ID
    assert all(len(line) <= 998 for line in head.split(b"\r\n"))


async def test_a_huge_message_id_is_dropped_with_a_warning(synced_ws, smtp_server, caplog):
    now = synced_ws.clock.now()
    with synced_ws.db.write() as s:
        s.add(
            OutboxItem(
                kind="reply",
                author="ann",
                account="support",
                from_addr="support@shop.test",
                to_addrs=["x@example.com"],
                subject="Re: huge",
                body="b",
                in_reply_to=HUGE_ID,
                references=[PARENT, HUGE_ID, "<q1@customer.example.com>"],
                our_message_id="<huge-reply@shop.test>",
                state="queued",
                next_attempt_at=now,
                created_at=now,
            )
        )
    with caplog.at_level(logging.WARNING, logger="comptoir.outbox"):
        assert await sync_once(synced_ws)
    [sent] = smtp_server.messages
    assert b"=?" not in header_block(sent.content)
    assert raw_header(sent.content, "In-Reply-To") == b""
    assert raw_header(sent.content, "References").split() == [PARENT.encode(), b"<q1@customer.example.com>"]
    assert caplog.text.count("dropped a 100019-character Message-ID") == 2
    assert rows(synced_ws, "SELECT state FROM outbox") == [("sent",)]


async def test_a_reply_to_a_mail_with_a_huge_reference_threads_on_the_rest(synced_ws, smtp_server):
    reply_to(synced_ws, mail(1, message_id="<q1@customer.example.com>", headers={"References": f"{PARENT} {HUGE_ID}"}))
    assert await sync_once(synced_ws)
    [sent] = smtp_server.messages
    assert b"=?" not in header_block(sent.content)
    assert raw_header(sent.content, "In-Reply-To") == b"<q1@customer.example.com>"
    references = raw_header(sent.content, "References").split()
    assert HUGE_ID.encode() not in references and references[-1] == b"<q1@customer.example.com>"


async def test_no_control_characters_in_outbound_headers(synced_ws, smtp_server):
    now = synced_ws.clock.now()
    with synced_ws.db.write() as s:
        s.add(
            OutboxItem(
                kind="reply",
                author="ann",
                account="support",
                from_addr="support@shop.test",
                to_addrs=["x@example.com"],
                subject="Re: order \x1b[31mred\x1b[0m \x07ding\x00 \x9cdone",
                body="b",
                in_reply_to="<p@example.com>",
                references=["<p@example.com>"],
                our_message_id="<ctl@shop.test>",
                state="queued",
                next_attempt_at=now,
                created_at=now,
            )
        )
    assert await sync_once(synced_ws)
    [sent] = smtp_server.messages
    head = header_block(sent.content)
    assert not any(b < 0x20 and b not in (0x09, 0x0A, 0x0D) or b == 0x7F for b in head)
    subject = str(message_from_bytes(sent.content, policy=default)["Subject"])
    assert subject == "Re: order red ding done"
    assert "\x9c" not in subject


async def test_a_customer_subject_with_escape_bytes_is_cleaned_in_the_reply(synced_ws, smtp_server):
    raw = mail(1).replace(b"Subject: Question 1", b"Subject: Help \x1b[5mnow\x1b[0m\x07 please")
    reply_to(synced_ws, raw)
    assert await sync_once(synced_ws)
    [sent] = smtp_server.messages
    head = header_block(sent.content)
    assert b"\x1b" not in head and b"\x07" not in head
    assert str(message_from_bytes(sent.content, policy=default)["Subject"]).startswith("Re: Help")
