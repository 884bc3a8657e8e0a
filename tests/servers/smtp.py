"""An aiosmtpd SMTP server on loopback that records messages and can be told to fail (451 or 550)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from aiosmtpd.controller import Controller

from tests.servers.dovecot import free_port

TEMPORARY_FAILURE = "451 4.3.0 Temporary failure, try again later"
PERMANENT_FAILURE = "550 5.1.1 Mailbox unavailable"


@dataclass(frozen=True)
class ReceivedMessage:
    """One accepted message with its envelope."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    content: bytes


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.server.rcpt_reply is not None:
            return self.server.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.server.data_reply is not None:
            return self.server.data_reply
        message = ReceivedMessage(envelope.mail_from, tuple(envelope.rcpt_tos), bytes(envelope.original_content))
        self.server.messages.append(message)
        if self.server.on_message is not None:
            self.server.on_message(message)
        return "250 Message accepted"


class SmtpServer:
    """Records messages in `messages`; fail_temporarily()/fail_permanently()/accept() switch its answers.

    It keeps its port across stop()/start(), so a client can see the server go away and come back.
    `on_message` runs in the server thread, e.g. `lambda m: dovecot.deliver("bob", m.content)`.
    """

    host = "127.0.0.1"

    def __init__(self, on_message: Callable[[ReceivedMessage], None] | None = None) -> None:
        self.port = free_port()
        self.messages: list[ReceivedMessage] = []
        self.data_reply: str | None = None
        self.rcpt_reply: str | None = None
        self.on_message = on_message
        self._controller: Controller | None = None

    def start(self) -> SmtpServer:
        self._controller = Controller(_Handler(self), hostname=self.host, port=self.port, ready_timeout=10)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def accept(self) -> None:
        self.data_reply = self.rcpt_reply = None

    def fail_temporarily(self, at: str = "DATA") -> None:
        """Answer 451 at DATA (or RCPT)."""
        self._fail(TEMPORARY_FAILURE, at)

    def fail_permanently(self, at: str = "DATA") -> None:
        """Answer 550 at DATA (or RCPT)."""
        self._fail(PERMANENT_FAILURE, at)

    def _fail(self, reply: str, at: str) -> None:
        if at.upper() not in ("DATA", "RCPT"):
            raise ValueError("fail at DATA or RCPT")
        self.accept()
        if at.upper() == "DATA":
            self.data_reply = reply
        else:
            self.rcpt_reply = reply

    def __enter__(self) -> SmtpServer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()
