"""The outbox: queued replies and acknowledgements go out over SMTP exactly once, then into the Sent folder.

Never twice: an item goes queued -> sending (committed, with its raw bytes) before the SMTP
transaction. An item found in "sending" when the syncer starts may have gone out just before a
crash, so the account's Sent folder is searched for its Message-ID before it is retried.
Temporary failures (4xx, lost connections) retry with capped backoff; a permanent one (5xx) marks
the item failed with the server's answer and alerts its author.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr

import aiosmtplib
from sqlalchemy import text

from core import backoff
from core.actions import raise_alerts, record_event
from core.config import AccountConfig
from core.credentials import get_password
from core.errors import ComptoirError
from core.imap_client import ImapClient, ImapError, is_loopback, make_ssl_context
from core.mailbox_sync import make_client
from core.rawsql import column_when
from core.workspace import Workspace

log = logging.getLogger("comptoir.outbox")

DEMO_ANSWER = "demo: not sent"
SMTP_TIMEOUT = 60.0


UNCERTAIN_ANSWER = (
    "interrupted while sending (the syncer stopped); it is not in the Sent folder, so it may not "
    "have gone out: check with the recipient if needed, then resend it (comptoir resend)"
)


class OutboxRefused(ComptoirError):
    """The item cannot become a valid mail (a header value with CR or LF, no recipient)."""


@dataclass(frozen=True)
class _Item:
    id: int
    kind: str
    conversation_id: int | None
    message_row_id: int | None
    author: str
    account: str
    from_addr: str
    to_addrs: list[str]
    cc_addrs: list[str]
    subject: str
    body: str
    in_reply_to: str | None
    references: list[str]
    our_message_id: str
    raw: bytes | None
    attempts: int
    state: str
    appended: bool


_COLUMNS = ("id, kind, conversation_id, message_row_id, author, account, from_addr, to_addrs, cc_addrs, subject, "
            'body, in_reply_to, "references", our_message_id, raw, attempts, state, appended')


def _check(name: str, value: str) -> str:
    if "\r" in value or "\n" in value:
        raise OutboxRefused(f"the {name} header contains a line break, which is not allowed in a mail header")
    return value


def sender_name(ws: Workspace, address: str) -> str:
    """The display name for a team address: the team's title (or name), else the workspace's name."""
    for team in ws.config.teams:
        if address.lower() in (a.lower() for a in team.addresses):
            return team.title or team.name
    return ws.config.workspace.name


def build_message(ws: Workspace, item: _Item, now: datetime) -> bytes:
    """The MIME bytes of an outbox item; refuses CR/LF in every header value."""
    recipients = [*item.to_addrs, *item.cc_addrs]
    if not recipients:
        raise OutboxRefused("the mail has no recipient")
    msg = EmailMessage(policy=SMTP)
    name = _check("From", sender_name(ws, item.from_addr))
    msg["From"] = formataddr((name, _check("From", item.from_addr)))
    msg["To"] = ", ".join(_check("To", a) for a in item.to_addrs)
    if item.cc_addrs:
        msg["Cc"] = ", ".join(_check("Cc", a) for a in item.cc_addrs)
    msg["Subject"] = _check("Subject", item.subject)
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = _check("Message-ID", item.our_message_id)
    if item.in_reply_to:
        msg["In-Reply-To"] = _check("In-Reply-To", item.in_reply_to)
    if item.references:
        msg["References"] = " ".join(_check("References", r) for r in item.references)
    if item.kind == "autoack":
        msg["Auto-Submitted"] = "auto-replied"  # RFC 3834: other robots must not answer it
    msg.set_content(item.body)
    return msg.as_bytes()


class Outbox:
    """Sends due outbox items; one instance per syncer (it assumes it holds the workspace lock)."""

    def __init__(self, ws: Workspace, retry_base: float = 30.0, retry_cap: float = 3600.0) -> None:
        self.ws = ws
        self.retry_base = retry_base
        self.retry_cap = retry_cap

    def _when(self, moment: datetime) -> object:
        """A datetime as the models store it (naive UTC; text with microseconds on SQLite)."""
        return column_when(moment, self.ws.db.is_sqlite)

    def _account(self, name: str) -> AccountConfig | None:
        return next((a for a in self.ws.config.accounts if a.name == name), None)

    # -- database steps (run in a thread)

    def _load(self, where: str, params: dict) -> list[_Item]:
        with self.ws.db.read() as s:
            rows = s.execute(text(f"SELECT {_COLUMNS} FROM outbox WHERE {where} ORDER BY id"), params).all()
        return [_item(row) for row in rows]

    def due(self, now: datetime) -> list[_Item]:
        return self._load("state = 'queued' AND (next_attempt_at IS NULL OR next_attempt_at <= :now)",
                          {"now": self._when(now)})

    def _claim(self, item: _Item, raw: bytes) -> bool:
        """queued -> sending with the raw bytes, committed before any byte goes to the SMTP server."""
        with self.ws.db.write() as s:
            changed = s.execute(
                text("UPDATE outbox SET state = 'sending', raw = :raw, attempts = attempts + 1 "
                     "WHERE id = :id AND state = 'queued'"), {"raw": raw, "id": item.id}).rowcount
        return changed == 1

    def _mark_sent(self, item: _Item, answer: str, now: datetime, appended: bool = False) -> None:
        with self.ws.db.write() as s:
            s.execute(text("UPDATE outbox SET state = 'sent', sent_at = :now, last_answer = :a, "
                           "appended = :ap WHERE id = :id"),
                      {"now": self._when(now), "a": answer[:500], "ap": appended, "id": item.id})
            if item.message_row_id is not None:
                s.execute(text("UPDATE message SET sent_at = :now WHERE id = :id"),
                          {"now": self._when(now), "id": item.message_row_id})
            self.ws.db.changed(s, [item.conversation_id])

    def _retry_later(self, item: _Item, answer: str, now: datetime) -> None:
        wait = backoff.delay(max(item.attempts, 0), base=self.retry_base, cap=self.retry_cap)
        with self.ws.db.write() as s:
            s.execute(text("UPDATE outbox SET state = 'queued', next_attempt_at = :at, last_answer = :a "
                           "WHERE id = :id"),
                      {"at": self._when(now + timedelta(seconds=wait)), "a": answer[:500], "id": item.id})
            self.ws.db.changed(s, [item.conversation_id])

    def _mark_failed(self, item: _Item, answer: str, now: datetime) -> None:
        with self.ws.db.write() as s:
            s.execute(text("UPDATE outbox SET state = 'failed', last_answer = :a WHERE id = :id"),
                      {"a": answer[:500], "id": item.id})
            what = "acknowledgement" if item.kind == "autoack" else "reply"
            text_ = f"Your {what} to {', '.join(item.to_addrs)} could not be sent: {answer[:200]}"
            raise_alerts(s, self.ws, now, "send_failed", text_, item.conversation_id, agents=[item.author])
            record_event(s, item.conversation_id, "outbox", "send_failed", text_, now, outbox_id=item.id)
            self.ws.db.changed(s, [item.conversation_id])

    def _mark_appended(self, item: _Item) -> None:
        with self.ws.db.write() as s:
            s.execute(text("UPDATE outbox SET appended = :t WHERE id = :id"), {"t": True, "id": item.id})

    # -- the passes

    async def recover(self) -> int:
        """Items left in "sending" by a crash: sent if their Message-ID is in Sent. Otherwise nobody can
        tell whether the server accepted them just before the crash, so rather than risk sending twice
        they become failed, visibly, and the author is alerted to check and resend."""
        stuck = await asyncio.to_thread(self._load, "state = 'sending'", {})
        done = 0
        for item in stuck:
            now = self.ws.clock.now()
            account = self._account(item.account)
            if account is None:
                await asyncio.to_thread(self._retry_later, item, "left in sending; no account to check", now)
                continue
            try:
                found = await self._in_sent(account, item.our_message_id)
            except (ImapError, ComptoirError, OSError) as error:
                log.warning("outbox %d: cannot check the Sent folder yet: %s", item.id, error)
                continue
            if found:
                await asyncio.to_thread(self._mark_sent, item, "found in the Sent folder after a restart", now, True)
                done += 1
            else:
                await asyncio.to_thread(self._mark_failed, item, UNCERTAIN_ANSWER, now)
        return done

    async def _in_sent(self, account: AccountConfig, message_id: str) -> bool:
        client = make_client(account)
        try:
            await client.connect()
            await client.login(account.username, get_password(account.name))
            await client.create(account.sent_folder, exist_ok=True)
            await client.select(account.sent_folder, readonly=True)
            return bool(await client.search_message_id(message_id))
        finally:
            await client.logout()

    async def send_due(self) -> int:
        """Send every due item; returns how many went out."""
        items = await asyncio.to_thread(self.due, self.ws.clock.now())
        sent = 0
        for item in items:
            sent += await self.send_one(item)
        await self.append_pending()
        return sent

    async def send_one(self, item: _Item) -> bool:
        now = self.ws.clock.now()
        try:
            raw = build_message(self.ws, item, now)
        except OutboxRefused as error:
            await asyncio.to_thread(self._mark_failed, item, f"refused: {error}", now)
            return False
        if not self.ws.config.accounts:
            # Demo workspaces have no accounts: replies are recorded as sent so the demo works offline.
            if await asyncio.to_thread(self._claim, item, raw):
                await asyncio.to_thread(self._mark_sent, item, DEMO_ANSWER, now, True)
            return False
        account = self._account(item.account)
        if account is None:
            await asyncio.to_thread(self._mark_failed, item, f"no account named {item.account!r} in the config", now)
            return False
        if not await asyncio.to_thread(self._claim, item, raw):
            return False  # someone else changed it meanwhile
        try:
            answer = await self._smtp_send(account, item, raw)
        except aiosmtplib.SMTPResponseException as error:
            answer = f"{error.code} {error.message}".strip()
            if 500 <= error.code < 600:
                log.warning("outbox %d refused for good: %s", item.id, answer)
                await asyncio.to_thread(self._mark_failed, item, answer, now)
            else:
                log.info("outbox %d: temporary failure: %s", item.id, answer)
                await asyncio.to_thread(self._retry_later, item, answer, now)
            return False
        except (aiosmtplib.SMTPException, OSError, asyncio.TimeoutError, ComptoirError, ssl.SSLError) as error:
            answer = f"{type(error).__name__}: {error}"
            log.info("outbox %d: cannot send yet: %s", item.id, answer)
            await asyncio.to_thread(self._retry_later, item, answer, now)
            return False
        await asyncio.to_thread(self._mark_sent, item, answer, now)
        log.info("outbox %d sent (%s)", item.id, answer)
        return True

    async def _smtp_send(self, account: AccountConfig, item: _Item, raw: bytes) -> str:
        endpoint = account.smtp
        if endpoint.tls == "plain" and not is_loopback(endpoint.host):
            raise ComptoirError(f"refusing unencrypted SMTP to {endpoint.host}: plain is only for loopback")
        context = make_ssl_context(endpoint.cafile) if endpoint.tls != "plain" else None
        smtp = aiosmtplib.SMTP(hostname=endpoint.host, port=endpoint.port, use_tls=endpoint.tls == "tls",
                               start_tls=True if endpoint.tls == "starttls" else False, tls_context=context,
                               timeout=SMTP_TIMEOUT)
        await smtp.connect()
        try:
            if smtp.supports_extension("auth"):
                await smtp.login(account.username, get_password(account.name))
            recipients = [*item.to_addrs, *item.cc_addrs]
            errors, message = await smtp.sendmail(item.from_addr, recipients, raw)
        finally:
            try:
                await smtp.quit()
            except (aiosmtplib.SMTPException, OSError, asyncio.TimeoutError):
                smtp.close()
        refused = "; ".join(f"{rcpt}: {resp.code} {resp.message}" for rcpt, resp in errors.items())
        return message + (f" (refused: {refused})" if refused else "")

    async def append_pending(self) -> int:
        """APPEND sent items to their account's Sent folder (retried on the next pass when it fails)."""
        items = await asyncio.to_thread(self._load, "state = 'sent' AND appended = :f AND raw IS NOT NULL",
                                        {"f": False})
        done = 0
        for item in items:
            account = self._account(item.account)
            if account is None:
                continue
            client: ImapClient = make_client(account)
            try:
                await client.connect()
                await client.login(account.username, get_password(account.name))
                await client.create(account.sent_folder, exist_ok=True)
                await client.append(account.sent_folder, item.raw, flags=("\\Seen",))
            except (ImapError, ComptoirError, OSError) as error:
                log.info("outbox %d: APPEND to %s failed, will retry: %s", item.id, account.sent_folder, error)
                continue
            finally:
                await client.logout()
            await asyncio.to_thread(self._mark_appended, item)
            done += 1
        return done


def _item(row) -> _Item:
    from core.rawsql import RawSql

    values = list(row)
    for index in (7, 8, 12):
        values[index] = RawSql.read_json(values[index]) or []
    values[14] = bytes(values[14]) if values[14] is not None else None
    values[17] = bool(values[17])
    return _Item(*values)

