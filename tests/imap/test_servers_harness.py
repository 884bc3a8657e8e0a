"""The test SMTP server: records mail, answers 451/550 on demand, survives stop/restart, can deliver to Dovecot."""

from __future__ import annotations

import aiosmtplib
import pytest

from tests.imap.mails import make_mail
from tests.servers.smtp import SmtpServer

pytestmark = [pytest.mark.servers, pytest.mark.asyncio]


async def send(server: SmtpServer, raw: bytes) -> None:
    await aiosmtplib.send(
        raw,
        sender="agent@example.com",
        recipients=["customer@example.com"],
        hostname=server.host,
        port=server.port,
        timeout=10,
    )


async def test_smtp_server_records_failures_and_restarts(smtp_server):
    await send(smtp_server, make_mail(1))
    assert smtp_server.messages[0].rcpt_tos == ("customer@example.com",)
    assert smtp_server.messages[0].content == make_mail(1)

    smtp_server.fail_temporarily()
    with pytest.raises(aiosmtplib.SMTPResponseException) as temporary:
        await send(smtp_server, make_mail(2))
    assert temporary.value.code == 451
    smtp_server.fail_permanently(at="RCPT")
    with pytest.raises(aiosmtplib.SMTPRecipientsRefused):
        await send(smtp_server, make_mail(3))

    smtp_server.accept()
    smtp_server.stop()
    with pytest.raises((aiosmtplib.SMTPConnectError, ConnectionError, OSError)):
        await send(smtp_server, make_mail(4))
    smtp_server.start()
    await send(smtp_server, make_mail(5))
    assert len(smtp_server.messages) == 2


async def test_smtp_server_can_deliver_into_dovecot(dovecot, imap_account):
    server = SmtpServer(on_message=lambda message: dovecot.deliver(imap_account.name, message.content)).start()
    try:
        await send(server, make_mail(1))
    finally:
        server.stop()
    conn = dovecot.imap(imap_account.name)
    try:
        typ, data = conn.select("INBOX")
        assert data == [b"1"]
    finally:
        conn.logout()
