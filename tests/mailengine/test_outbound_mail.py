"""New mail, forwards and replies with files and blind copies, sent to the real SMTP test server and read
back with the email package: RFC 2231 file names, guessed content types, Bcc only in the envelope."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage

import pytest

from core.mail.ingest import IncomingMail, ingest_batch
from core.mail.outgoing import read_files
from core.work.actions import reply
from core.work.outbound import compose, forward
from core.work.views import OutgoingFile
from tests.mailengine.helpers import count, mail, rows, sync_once

pytestmark = [pytest.mark.servers]


def _parsed(smtp_server, index: int = -1):
    received = smtp_server.messages[index]
    return received, email.message_from_bytes(received.content, policy=email.policy.default)


def _files(message) -> list[tuple[str, str, bytes, str]]:
    """(decoded name, content type, bytes, raw Content-Disposition) of each attachment part."""
    return [
        (
            part.get_filename(),
            part.get_content_type(),
            part.get_payload(decode=True),
            str(part.get("Content-Disposition")),
        )
        for part in message.iter_attachments()
    ]


async def test_new_mail_goes_out_from_the_team_address_with_files_named_per_rfc_2231(synced_ws, smtp_server, tmp_path):
    ws = synced_ws
    (tmp_path / "Devis été.pdf").write_bytes(b"%PDF-1.4 devis")
    (tmp_path / "notes.txt").write_text("plain notes\n", encoding="utf-8")
    (tmp_path / "data.unknownext").write_bytes(b"\x00\x01binary")
    files = read_files(
        [tmp_path / "Devis été.pdf", tmp_path / "notes.txt", tmp_path / "data.unknownext"],
        ws.config.workspace.attachment_limit_mb,
    )
    now = ws.clock.now()
    result = compose(
        ws,
        "bob",
        ["prospect@example.com"],
        "Our offer",
        "Hello,\nplease find our offer.",
        now,
        bcc=["archive@example.com"],
        attachments=files,
    )
    assert result.ok, result
    assert await sync_once(ws)
    received, sent = _parsed(smtp_server)
    assert sorted(received.rcpt_tos) == ["archive@example.com", "prospect@example.com"]
    assert received.mail_from == "support@shop.test"
    assert sent["From"].addresses[0].addr_spec == "support@shop.test"
    assert sent["From"].addresses[0].display_name == "Shop Support"
    assert sent["Bcc"] is None and b"archive@example.com" not in received.content
    assert sent["Subject"] == "Our offer" and sent["In-Reply-To"] is None
    assert sent.get_content_type() == "multipart/mixed"
    assert "please find our offer." in sent.get_body(("plain",)).get_content()
    names = _files(sent)
    assert [(n, t, d) for n, t, d, _ in names] == [
        ("Devis été.pdf", "application/pdf", b"%PDF-1.4 devis"),
        ("notes.txt", "text/plain", b"plain notes\n"),
        ("data.unknownext", "application/octet-stream", b"\x00\x01binary"),
    ]
    # The non-ASCII name is encoded per RFC 2231 (filename*=), not as an RFC 2047 encoded-word.
    assert b"filename*=utf-8''Devis%20%C3%A9t%C3%A9.pdf" in received.content
    assert b"=?utf-8?" not in received.content.split(b"\r\n\r\n", 1)[1]
    assert count(ws, "SELECT COUNT(*) FROM outbox WHERE state = 'sent'") == 1
    [(owner, state)] = rows(ws, "SELECT owner, state FROM conversation WHERE id = :i", i=result.conversation_id)
    assert (owner, state) == ("bob", "waiting")


async def test_a_forward_sends_the_original_attachments_to_a_third_party(synced_ws, smtp_server):
    ws = synced_ws
    now = ws.clock.now()
    original = EmailMessage()
    original["From"], original["To"] = "Customer <customer9@example.com>", "support@shop.test"
    original["Subject"], original["Message-ID"] = "Invoice dispute", "<dispute9@example.com>"
    original.set_content("The attached invoice is wrong.")
    original.add_attachment(b"%PDF invoice 42", maintype="application", subtype="pdf", filename="facture n°42.pdf")
    report = ingest_batch(ws, [IncomingMail(raw=original.as_bytes(), internaldate=now)], now)
    message_id = report.message_ids[0]
    refused = forward(
        ws, "ann", message_id, ["accounting@example.com", "boss@example.com"], now, cc=["auditor@example.com"]
    )
    assert not refused.ok and "3 recipients (more than 2)" in refused.message
    result = forward(
        ws,
        "ann",
        message_id,
        ["accounting@example.com"],
        now,
        body="Please check this invoice.",
        bcc=["ann.archive@example.com"],
    )
    assert result.ok, result
    assert await sync_once(ws)
    received, sent = _parsed(smtp_server)
    assert sorted(received.rcpt_tos) == ["accounting@example.com", "ann.archive@example.com"]
    assert sent["To"] == "accounting@example.com" and sent["Bcc"] is None
    assert sent["Subject"] == "Fwd: Invoice dispute"
    body = sent.get_body(("plain",)).get_content()
    assert "Please check this invoice." in body and "From: Customer <customer9@example.com>" in body
    assert "The attached invoice is wrong." in body
    [(name, ctype, data, disposition)] = _files(sent)
    assert (name, ctype, data) == ("facture n°42.pdf", "application/pdf", b"%PDF invoice 42")
    assert disposition.startswith("attachment")
    assert b"filename*=utf-8''facture%20n%C2%B042.pdf" in received.content
    [(text,)] = rows(ws, "SELECT details FROM event WHERE kind = 'forward'")
    assert (
        f"forwarded message {message_id} with 1 attachment to accounting@example.com, ann.archive@example.com"
        in str(text)
    )


async def test_a_reply_with_a_file_an_edited_subject_and_a_blind_copy(synced_ws, smtp_server):
    ws = synced_ws
    now = ws.clock.now()
    report = ingest_batch(ws, [IncomingMail(raw=mail(7), internaldate=now)], now)
    cid = report.conversation_ids[0]
    files = [OutgoingFile("../../etc/passwd", b"not a path"), OutgoingFile("plan.png", b"\x89PNG plan")]
    result = reply(
        ws,
        "ann",
        cid,
        "Here is the plan.",
        ["customer7@example.com"],
        [],
        now,
        subject="Your plan (updated)",
        bcc=["manager@example.com"],
        attachments=files,
    )
    assert result.ok, result
    assert await sync_once(ws)
    received, sent = _parsed(smtp_server)
    assert sent["Subject"] == "Your plan (updated)" and sent["In-Reply-To"].startswith("<q7.")
    assert sorted(received.rcpt_tos) == ["customer7@example.com", "manager@example.com"]
    assert sent["Bcc"] is None and b"manager@example.com" not in received.content
    # A name with a path in it is sent as its last part only.
    assert [(n, t) for n, t, _d, _ in _files(sent)] == [
        ("passwd", "application/octet-stream"),
        ("plan.png", "image/png"),
    ]
    [(bcc,)] = rows(ws, "SELECT bcc_addrs FROM message WHERE direction = 'outbound'")
    assert "manager@example.com" in str(bcc)


def test_files_are_read_by_the_client_and_refused_with_the_cause(tmp_path):
    from core.errors import ActionRefused

    with pytest.raises(ActionRefused, match="there is no such file"):
        read_files([tmp_path / "missing.pdf"], 20)
    with pytest.raises(ActionRefused, match="it is not a file"):
        read_files([tmp_path], 20)
    big = tmp_path / "big.bin"
    big.write_bytes(b"x" * (1024 * 1024 + 1))
    with pytest.raises(ActionRefused, match="over the workspace's limit of 1 MB"):
        read_files([big], 1)
    secret = tmp_path / "secret.txt"
    secret.write_text("no")
    secret.chmod(0)
    import os

    if os.geteuid() != 0:
        with pytest.raises(ActionRefused, match="you may not read it"):
            read_files([secret], 20)
