"""A small SMTP server in the running event loop that misbehaves on purpose, and counts what it received.

`after_dot` says what it does once the whole message (up to the final dot) has arrived:
"accept" (250), "close" (drops the connection before any answer), "silent" (never answers) or
"451" (a definite temporary refusal). `refuse` lists recipients answered `rcpt_code` at RCPT.
Every message whose final dot arrived is a delivery: the server has it, whatever it answers.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass


@dataclass(frozen=True)
class Delivery:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    content: bytes


class MisbehavingSmtp:
    def __init__(self, after_dot: str = "accept", refuse: tuple[str, ...] = (), rcpt_code: int = 550) -> None:
        if after_dot not in ("accept", "close", "silent", "451"):
            raise ValueError(f"unknown after_dot {after_dot!r}")
        self.after_dot = after_dot
        self.refuse = {address.lower() for address in refuse}
        self.rcpt_code = rcpt_code
        self.deliveries: list[Delivery] = []
        self.accepted: list[Delivery] = []
        self.port = 0
        self._server: asyncio.base_events.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> MisbehavingSmtp:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        for writer in list(self._writers):
            writer.transport.abort()
        if self._server is not None:
            self._server.close()
            await asyncio.wait_for(self._server.wait_closed(), 5)
            self._server = None

    async def __aenter__(self) -> MisbehavingSmtp:
        return await self.start()

    async def __aexit__(self, *exc_info) -> None:
        await self.stop()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            await self._session(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._writers.discard(writer)
            writer.transport.abort()

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        def say(line: str) -> None:
            writer.write(line.encode("ascii") + b"\r\n")

        say("220 misbehaving.test ESMTP")
        mail_from, rcpts = "", []
        while True:
            line = await reader.readline()
            if not line:
                return
            command = line.decode("ascii", "replace").strip()
            verb = command.split(" ", 1)[0].upper()
            argument = command.partition(":")[2].strip()
            address = argument.partition("<")[2].partition(">")[0] or argument
            if verb == "EHLO":
                say("250-misbehaving.test")
                say("250 8BITMIME")
            elif verb == "HELO":
                say("250 misbehaving.test")
            elif verb == "MAIL":
                mail_from, rcpts = address, []
                say("250 OK")
            elif verb == "RCPT":
                if address.lower() in self.refuse:
                    say(f"{self.rcpt_code} {'5.1.1' if self.rcpt_code >= 500 else '4.2.1'} <{address}>: refused")
                else:
                    rcpts.append(address)
                    say("250 OK")
            elif verb == "DATA":
                say("354 End data with <CR><LF>.<CR><LF>")
                await writer.drain()
                content = await self._read_data(reader)
                delivery = Delivery(mail_from, tuple(rcpts), content)
                self.deliveries.append(delivery)
                if self.after_dot == "close":
                    return
                if self.after_dot == "silent":
                    await reader.read()  # no answer, until the client gives up and hangs up
                    return
                if self.after_dot == "451":
                    say("451 4.3.0 Try again later")
                else:
                    self.accepted.append(delivery)
                    say("250 2.0.0 Queued")
            elif verb == "RSET":
                mail_from, rcpts = "", []
                say("250 OK")
            elif verb == "NOOP":
                say("250 OK")
            elif verb == "QUIT":
                say("221 Bye")
                await writer.drain()
                return
            else:
                say("502 5.5.2 Command not implemented")
            await writer.drain()

    @staticmethod
    async def _read_data(reader: asyncio.StreamReader) -> bytes:
        lines = []
        while True:
            line = await reader.readline()
            if not line:
                raise ConnectionError("connection lost inside DATA")
            if line == b".\r\n":
                return b"".join(lines)
            lines.append(line[1:] if line.startswith(b"..") else line)
