"""Issue 14 against the real Dovecot and SMTP server: a web-channel message answered by mail, and a client's
addresses acknowledged from themselves with what the customer can expect (none for an informational one)."""

from __future__ import annotations

import email
import email.policy
import json

import pytest

from core.work.actions import reply
from core.work.service import Comptoir
from tests.mailengine.helpers import account_block, mail, make_ws, rows, store_password, sync_once

pytestmark = [pytest.mark.servers]

CLIENTS = """
[[clients]]
name = "Joe LLC"
addresses = ["joe-llc@shop.test", "joe-tips@shop.test"]
team = "support"
informational = ["joe-tips@shop.test"]

[[autoack]]
address = "joe-llc@shop.test"
body = "Hello {name}, this is the {client} desk. {expect}"

[[autoack]]
address = "joe-tips@shop.test"
body = "Thanks for the tip! {expect}"
"""


@pytest.fixture
def clients_ws(tmp_path, dovecot, imap_account, smtp_server):
    store_password("support", imap_account)
    ws = make_ws(
        tmp_path, account_block("support", "support@shop.test", imap_account, dovecot, smtp_server.port), extra=CLIENTS
    )
    yield ws
    ws.close()


def sent(smtp_server) -> list[email.message.EmailMessage]:
    return [email.message_from_bytes(m.content, policy=email.policy.default) for m in smtp_server.messages]


async def test_web_channel_message_is_answered_by_mail_to_the_given_address(clients_ws, smtp_server):
    data = json.dumps(
        {
            "name": "Ada Web",
            "address": "ada@web.example",
            "subject": "Does it fit?",
            "text": "Will the X2 fit my shelf?",
            "url": "https://shop.test/x2",
        }
    ).encode()
    result = Comptoir(clients_ws, "").ingest("web", data, "support@shop.test")
    assert result.ok, result.message
    cid = result.conversation_id
    assert rows(clients_ws, "SELECT channel, customer_address FROM conversation WHERE id = :i", i=cid) == [
        ("web", "ada@web.example")
    ]
    now = clients_ws.clock.now()
    assert reply(clients_ws, "bob", cid, "Yes, it fits.", ["ada@web.example"], [], now).ok
    assert await sync_once(clients_ws)
    [out] = sent(smtp_server)
    assert out["To"] == "ada@web.example" and out["From"].addresses[0].addr_spec == "support@shop.test"
    assert "Yes, it fits." in out.get_content()
    assert [m.rcpt_tos for m in smtp_server.messages] == [("ada@web.example",)]


async def test_client_addresses_are_acknowledged_from_themselves_with_an_expectation(
    clients_ws, smtp_server, dovecot, imap_account
):
    dovecot.deliver_many(
        imap_account.name,
        [
            mail(1, to="joe-llc@shop.test", sender="Joe <joe@joe.example>", subject="Order 7"),
            mail(2, to="joe-tips@shop.test", sender="Fan <fan@joe.example>", subject="A lead for you"),
        ],
    )
    assert await sync_once(clients_ws)
    acks = {m["To"]: m for m in sent(smtp_server)}
    assert set(acks) == {"joe@joe.example", "fan@joe.example"}
    order, tip = acks["joe@joe.example"], acks["fan@joe.example"]
    assert order["From"].addresses[0].addr_spec == "joe-llc@shop.test"
    assert "the Joe LLC desk" in order.get_content() and "We answer by" in order.get_content()
    assert tip["From"].addresses[0].addr_spec == "joe-tips@shop.test"
    assert "usually cannot answer" in tip.get_content()
    assert rows(clients_ws, "SELECT client, pending_count, via_address FROM conversation ORDER BY id") == [
        ("Joe LLC", 1, "joe-llc@shop.test"),
        ("Joe LLC", 0, "joe-tips@shop.test"),
    ]
