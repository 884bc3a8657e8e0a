"""Workspaces whose accounts point at the test Dovecot and SMTP server, and small polling helpers."""

from __future__ import annotations

import asyncio
import itertools
import os
import time
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from sqlalchemy import text

from core.mail.syncer import Syncer
from core.workspace import credentials
from core.workspace.folder import Workspace, init_workspace, open_workspace

_numbers = itertools.count(1)


def account_block(
    name: str,
    address: str,
    user,
    dovecot,
    smtp_port: int = 1,
    imap_port: int | None = None,
    tls: str = "plain",
    cafile: str | None = None,
    extra: str = "",
) -> str:
    ca = f', cafile = "{cafile}"' if cafile else ""
    return f"""
[[accounts]]
name = "{name}"
address = "{address}"
username = "{user.name}"
imap = {{ host = "127.0.0.1", port = {imap_port or dovecot.port}, tls = "{tls}"{ca} }}
smtp = {{ host = "127.0.0.1", port = {smtp_port}, tls = "plain" }}
{extra}"""


BASE = """
[workspace]
name = "Test shop"

[[teams]]
name = "support"
title = "Shop Support"
addresses = ["support@shop.test", "sales@shop.test"]
hours = "always"

[[agents]]
login = "ann"
name = "Ann Admin"
teams = ["support"]
role = "supervisor"

[[agents]]
login = "bob"
name = "Bob Agent"
teams = ["support"]

[routing]
front_pool = "support"
"""


def make_ws(tmp_path: Path, accounts: str, extra: str = "") -> Workspace:
    """A workspace in tmp_path with the given [[accounts]] blocks; passwords go in the pinned keyring."""
    path = tmp_path / f"ws{next(_numbers)}"
    init_workspace(path, config_text=BASE + extra + accounts)
    return open_workspace(path)


def store_password(name: str, user) -> None:
    credentials.set_password(name, user.password)


def mail(
    number: int,
    to: str = "support@shop.test",
    sender: str | None = None,
    subject: str | None = None,
    body: str | None = None,
    message_id: str | None = "auto",
    headers: dict[str, str] | None = None,
) -> bytes:
    """A small plain-text mail with CRLF line ends."""
    msg = EmailMessage()
    msg["From"] = sender or f"Customer {number} <customer{number}@example.com>"
    msg["To"] = to
    msg["Subject"] = subject or f"Question {number}"
    if message_id == "auto":
        message_id = f"<q{number}.{os.getpid()}@example.com>"
    if message_id:
        msg["Message-ID"] = message_id
    msg["Date"] = format_datetime(datetime(2026, 1, 5, 10, number % 60, tzinfo=UTC))
    for key, value in (headers or {}).items():
        msg[key] = value
    msg.set_content(body or f"Hello, this is question {number}.\n")
    return msg.as_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def count(ws: Workspace, sql: str, **params) -> int:
    with ws.db.read() as s:
        return int(s.execute(text(sql), params).scalar() or 0)


def rows(ws: Workspace, sql: str, **params) -> list:
    with ws.db.read() as s:
        return list(s.execute(text(sql), params).all())


async def wait_for(predicate, timeout: float = 10.0, interval: float = 0.05):
    """Poll `predicate` (sync) until it returns a truthy value; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(interval)


async def sync_once(ws: Workspace, **kwargs) -> bool:
    return await Syncer(ws, **kwargs).run(asyncio.Event(), once=True)


class Running:
    """A continuous Syncer in the test's event loop: `async with Running(ws) as syncer:`."""

    def __init__(self, ws: Workspace, **kwargs) -> None:
        self.syncer = Syncer(ws, **kwargs)
        self.stop = asyncio.Event()
        self.task: asyncio.Task | None = None

    async def __aenter__(self) -> Syncer:
        self.task = asyncio.ensure_future(self.syncer.run(self.stop))
        return self.syncer

    async def __aexit__(self, *exc_info) -> None:
        self.stop.set()
        await asyncio.wait_for(self.task, 20)
