"""The outbox: queued replies and acknowledgements go out over SMTP at most once, then into the Sent folder.

Never twice: an item goes queued -> sending (committed, with its raw bytes) before the SMTP
transaction. Failures before DATA (no connection, 4xx at MAIL or RCPT) are safe and retry with
capped backoff; a 5xx marks the item failed with the server's answer. Once DATA has begun, a lost
connection or a missing final answer leaves the outcome unknown: the server may have delivered it,
so the item becomes failed, its author is alerted, and only `comptoir resend` sends it again. An
item found in "sending" when the syncer starts is looked up in the Sent folder by Message-ID first.
Some recipients refused while others accepted: the item is sent to those, and the author is told
which were refused.
"""

from __future__ import annotations

import asyncio
import logging
import re
import ssl
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr
from typing import Any

import aiosmtplib
from sqlalchemy import Row, text

from core.errors import ComptoirError
from core.mail import backoff
from core.mail.imap_account import connect_and_login, make_client
from core.mail.imap_client import ImapClient, ImapError, is_loopback, make_ssl_context
from core.store.models import rows_changed
from core.store.rawsql import RawSql, column_when
from core.textsafe import strip_controls
from core.work.journal import raise_alerts, record_change, record_event
from core.work.views import DeliveryCheck
from core.workspace.config import AccountConfig
from core.workspace.credentials import get_password
from core.workspace.folder import Workspace
from routing.wording import counted

log = logging.getLogger("comptoir.outbox")

DEMO_ANSWER = "demo: not sent"
SMTP_TIMEOUT = 60.0


UNCERTAIN_ANSWER = (
    "interrupted while sending (the syncer stopped); it is not in the Sent folder, so it may not "
    "have gone out: check with the recipient if needed, then resend it (comptoir resend)"
)


UNKNOWN_OUTCOME = (
    "unknown outcome: the connection ended after the message was handed to the server and before "
    "its final answer ({cause}); the server may have delivered it, so it is not resent by itself: "
    "check with the recipient or the Sent folder, then `comptoir resend {message}` if it did not arrive"
)

MAX_MESSAGE_ID = 900
"""Longest Message-ID copied into In-Reply-To/References: a header line may not pass 998 bytes
(RFC 5322 2.1.1), and encoding a longer one would break threading in the customer's mail client."""

_MESSAGE_ID = re.compile(r"<[!-;=?-~]+>")
"""An angle-bracketed id of printable ASCII without spaces or brackets, copied out unencoded."""


class OutboxRefused(ComptoirError):
    """The item cannot become a valid mail (a header value with CR or LF, no recipient)."""


class UnknownOutcome(Exception):
    """The SMTP session failed after DATA began: the server may or may not have taken the message."""


@dataclass(frozen=True)
class _Delivery:
    """The server's final answer, and the recipients it refused (address -> "code text")."""

    answer: str
    refused: dict[str, str]


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
    bcc_addrs: list[str] = ()  # type: ignore[assignment] # an immutable empty default for a list field
    """Given to the SMTP server as recipients, never written in a header."""

    @property
    def recipients(self) -> list[str]:
        """Everyone the SMTP server is asked to deliver to: To, Cc and Bcc."""
        return [*self.to_addrs, *self.cc_addrs, *self.bcc_addrs]


_COLUMNS = (
    "id, kind, conversation_id, message_row_id, author, account, from_addr, to_addrs, cc_addrs, subject, "
    'body, in_reply_to, "references", our_message_id, raw, attempts, state, appended, bcc_addrs'
)


def _check(name: str, value: str) -> str:
    """A header value without control characters; a CR or LF in it is refused (header injection)."""
    if "\r" in value or "\n" in value:
        raise OutboxRefused(f"the {name} header contains a line break, which is not allowed in a mail header")
    return " ".join(strip_controls(value.replace("\t", " ")).split("\n"))


def threading_ids(values: list[str], outbox_id: int | None = None) -> list[str]:
    """The Message-IDs fit to copy verbatim into In-Reply-To/References; others are dropped with a warning."""
    kept = []
    for value in values:
        value = value.strip()
        if len(value) > MAX_MESSAGE_ID:
            log.warning(
                "outbox %s: dropped a %d-character Message-ID from the threading headers (limit %d)",
                outbox_id,
                len(value),
                MAX_MESSAGE_ID,
            )
        elif not _MESSAGE_ID.fullmatch(value):
            log.warning("outbox %s: dropped a malformed Message-ID from the threading headers", outbox_id)
        else:
            kept.append(value)
    return kept


def _threading_lines(in_reply_to: str | None, references: list[str], outbox_id: int | None) -> bytes:
    """In-Reply-To and References as raw header lines: ids never encoded, folded only between ids."""
    lines = []
    parent = threading_ids([in_reply_to], outbox_id) if in_reply_to else []
    if parent:
        lines.append(f"In-Reply-To: {parent[0]}")
    ids = threading_ids(references, outbox_id)
    if ids:
        line = "References:"
        for ref in ids:
            if len(line) + 1 + len(ref) > 78 and line != "References:":
                lines.append(line)
                line = ""
            line += f" {ref}"
        lines.append(line)
    return "".join(f"{line}\r\n" for line in lines).encode("ascii")


def sender_name(ws: Workspace, address: str) -> str:
    """The display name for a team address: the team's title (or name), else the workspace's name."""
    for team in ws.config.teams:
        if address.lower() in (a.lower() for a in team.addresses):
            return team.title or team.name
    return ws.config.workspace.name


def build_message(ws: Workspace, item: _Item, now: datetime) -> bytes:
    """The MIME bytes of an outbox item, with the files stored with its message; refuses CR/LF in every header
    value. Bcc recipients are not written in it (the SMTP envelope carries them)."""
    recipients = item.recipients
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
    if item.kind == "autoack":
        msg["Auto-Submitted"] = "auto-replied"  # RFC 3834: other robots must not answer it
    msg.set_content(item.body)
    if item.message_row_id is not None:
        from core.mail.outgoing import attach
        from core.work.outbound import outgoing_files

        with ws.db.read() as s:
            files = outgoing_files(s, item.message_row_id)
        attach(msg, files)
    head, blank, body = msg.as_bytes().partition(b"\r\n\r\n")
    # The email package would fold a long Message-ID into RFC 2047 encoded-words; these go in as bytes.
    return head + b"\r\n" + _threading_lines(item.in_reply_to, item.references, item.id) + blank[2:] + body


class Outbox:
    """Sends due outbox items; one instance per syncer (it assumes it holds the workspace lock)."""

    def __init__(
        self, ws: Workspace, retry_base: float = 30.0, retry_cap: float = 3600.0, smtp_timeout: float = SMTP_TIMEOUT
    ) -> None:
        self.ws = ws
        self.retry_base = retry_base
        self.retry_cap = retry_cap
        self.smtp_timeout = smtp_timeout
        self._sent_folders: dict[str, ImapClient] = {}
        """One logged-in IMAP connection per account for APPEND to Sent, kept across passes."""

    def _when(self, moment: datetime) -> object:
        """A datetime as the models store it (naive UTC; text with microseconds on SQLite)."""
        return column_when(moment, self.ws.db.is_sqlite)

    def _account(self, name: str) -> AccountConfig | None:
        return next((a for a in self.ws.config.accounts if a.name == name), None)

    # -- database steps (run in a thread)

    def _load(self, where: str, params: dict[str, Any]) -> list[_Item]:
        with self.ws.db.read() as s:
            rows = s.execute(text(f"SELECT {_COLUMNS} FROM outbox WHERE {where} ORDER BY id"), params).all()
        return [_item(row) for row in rows]

    def due(self, now: datetime) -> list[_Item]:
        return self._load(
            "state = 'queued' AND (next_attempt_at IS NULL OR next_attempt_at <= :now)", {"now": self._when(now)}
        )

    def _claim(self, item: _Item, raw: bytes) -> bool:
        """queued -> sending with the raw bytes, committed before any byte goes to the SMTP server."""
        with self.ws.db.write() as s:
            changed = rows_changed(
                s.execute(
                    text(
                        "UPDATE outbox SET state = 'sending', raw = :raw, attempts = attempts + 1 "
                        "WHERE id = :id AND state = 'queued'"
                    ),
                    {"raw": raw, "id": item.id},
                )
            )
        return changed == 1

    def _mark_sent(self, item: _Item, answer: str, now: datetime, appended: bool = False) -> None:
        with self.ws.db.write() as s:
            s.execute(
                text(
                    "UPDATE outbox SET state = 'sent', sent_at = :now, last_answer = :a, appended = :ap WHERE id = :id"
                ),
                {"now": self._when(now), "a": answer[:500], "ap": appended, "id": item.id},
            )
            if item.message_row_id is not None:
                s.execute(
                    text("UPDATE message SET sent_at = :now WHERE id = :id"),
                    {"now": self._when(now), "id": item.message_row_id},
                )
            record_change(s, [item.conversation_id])

    def _retry_later(self, item: _Item, answer: str, now: datetime) -> None:
        wait = backoff.delay(max(item.attempts, 0), base=self.retry_base, cap=self.retry_cap)
        with self.ws.db.write() as s:
            s.execute(
                text("UPDATE outbox SET state = 'queued', next_attempt_at = :at, last_answer = :a WHERE id = :id"),
                {"at": self._when(now + timedelta(seconds=wait)), "a": answer[:500], "id": item.id},
            )
            record_change(s, [item.conversation_id])

    def _mark_partly_refused(self, item: _Item, delivery: _Delivery, now: datetime) -> None:
        """Sent to the recipients the server accepted; the author is told which ones it refused."""
        refused = "; ".join(f"{address} ({reason})" for address, reason in delivery.refused.items())
        answer = f"{delivery.answer}; refused: {refused}"
        self._mark_sent(item, answer, now)
        with self.ws.db.write() as s:
            what = "acknowledgement" if item.kind == "autoack" else "reply"
            accepted = len(item.recipients) - len(delivery.refused)
            text_ = (
                f"Your {what} went out to {counted(accepted, 'recipient')}, but the server refused it for "
                f"{', '.join(delivery.refused)}: {refused[:300]}"
            )
            raise_alerts(s, self.ws, now, "send_partial", text_, item.conversation_id, agents=[item.author])
            record_event(s, item.conversation_id, "outbox", "send_partial", text_, now, outbox_id=item.id)
            record_change(s, [item.conversation_id])

    def _mark_failed(self, item: _Item, answer: str, now: datetime) -> None:
        with self.ws.db.write() as s:
            s.execute(
                text("UPDATE outbox SET state = 'failed', last_answer = :a WHERE id = :id"),
                {"a": answer[:500], "id": item.id},
            )
            what = "acknowledgement" if item.kind == "autoack" else "reply"
            text_ = f"Your {what} to {', '.join(item.to_addrs)} could not be sent: {answer[:300]}"
            raise_alerts(s, self.ws, now, "send_failed", text_, item.conversation_id, agents=[item.author])
            record_event(s, item.conversation_id, "outbox", "send_failed", text_, now, outbox_id=item.id)
            record_change(s, [item.conversation_id])

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
        return await in_sent_folder(account, message_id)

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
            raw = await asyncio.to_thread(build_message, self.ws, item, now)
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
            delivery = await self._smtp_send(account, item, raw)
        except UnknownOutcome as error:
            log.warning("outbox %d: outcome unknown, not resent by itself: %s", item.id, error)
            message = item.message_row_id if item.message_row_id is not None else "MESSAGE"
            await asyncio.to_thread(self._mark_failed, item, UNKNOWN_OUTCOME.format(cause=error, message=message), now)
            return False
        except aiosmtplib.SMTPRecipientsRefused as error:
            answer = "every recipient refused: " + "; ".join(
                f"{e.recipient} ({e.code} {e.message})" for e in error.recipients
            )
            if all(500 <= e.code < 600 for e in error.recipients):
                await asyncio.to_thread(self._mark_failed, item, answer, now)
            else:
                await asyncio.to_thread(self._retry_later, item, answer, now)
            return False
        except aiosmtplib.SMTPResponseException as error:
            answer = f"{error.code} {error.message}".strip()
            if 500 <= error.code < 600:
                log.warning("outbox %d refused for good: %s", item.id, answer)
                await asyncio.to_thread(self._mark_failed, item, answer, now)
            else:
                log.info("outbox %d: temporary failure: %s", item.id, answer)
                await asyncio.to_thread(self._retry_later, item, answer, now)
            return False
        except (TimeoutError, aiosmtplib.SMTPException, OSError, ComptoirError, ssl.SSLError) as error:
            answer = f"{type(error).__name__}: {error}"
            log.info("outbox %d: cannot send yet: %s", item.id, answer)
            await asyncio.to_thread(self._retry_later, item, answer, now)
            return False
        if delivery.refused:
            log.warning("outbox %d sent, but refused for %s", item.id, ", ".join(delivery.refused))
            await asyncio.to_thread(self._mark_partly_refused, item, delivery, now)
        else:
            await asyncio.to_thread(self._mark_sent, item, delivery.answer, now)
            log.info("outbox %d sent (%s)", item.id, delivery.answer)
        return True

    async def _smtp_send(self, account: AccountConfig, item: _Item, raw: bytes) -> _Delivery:
        """One SMTP transaction. Raises UnknownOutcome when it breaks after DATA began; any error
        before that (or a definite answer to DATA) is raised as it is, and is safe to retry."""
        endpoint = account.smtp
        if endpoint.tls == "plain" and not is_loopback(endpoint.host):
            raise ComptoirError(f"refusing unencrypted SMTP to {endpoint.host}: plain is only for loopback")
        context = make_ssl_context(endpoint.cafile) if endpoint.tls != "plain" else None
        smtp = aiosmtplib.SMTP(
            hostname=endpoint.host,
            port=endpoint.port,
            use_tls=endpoint.tls == "tls",
            start_tls=endpoint.tls == "starttls",
            tls_context=context,
            timeout=self.smtp_timeout,
        )
        await smtp.connect()
        data_began = False
        try:
            if smtp.supports_extension("auth"):
                await smtp.login(account.username, get_password(account.name))
            options = ["BODY=8BITMIME"] if not raw.isascii() and smtp.supports_extension("8bitmime") else []
            await smtp.mail(item.from_addr, options=options)
            recipients = item.recipients
            refused: dict[str, aiosmtplib.SMTPRecipientRefused] = {}
            for recipient in recipients:
                try:
                    await smtp.rcpt(recipient)
                except aiosmtplib.SMTPRecipientRefused as error:
                    refused[recipient] = error
            if len(refused) == len(recipients):
                raise aiosmtplib.SMTPRecipientsRefused(list(refused.values()))
            data_began = True
            response = await smtp.data(raw)
        except (aiosmtplib.SMTPResponseException, aiosmtplib.SMTPRecipientsRefused):
            raise  # a definite answer: the server said what it did
        except (TimeoutError, aiosmtplib.SMTPException, OSError, ssl.SSLError) as error:
            if data_began:
                raise UnknownOutcome(f"{type(error).__name__}: {error}") from error
            raise
        finally:
            try:
                if smtp.is_connected:
                    await smtp.quit()
            except (TimeoutError, aiosmtplib.SMTPException, OSError):
                smtp.close()
        return _Delivery(
            f"{response.code} {response.message}".strip(),
            {r: f"{e.code} {e.message}".strip() for r, e in refused.items()},
        )

    async def append_pending(self) -> int:
        """APPEND sent items to their account's Sent folder over one kept connection per account
        (re-opened once when it dropped; an item still failing is retried on the next pass)."""
        items = await asyncio.to_thread(
            self._load, "state = 'sent' AND appended = :f AND raw IS NOT NULL", {"f": False}
        )
        done = 0
        for item in items:
            account = self._account(item.account)
            if account is None:
                continue
            if item.raw is None:  # not loaded: the query asks for raw IS NOT NULL
                raise ValueError(f"outbox item {item.id} has no raw bytes to append to the Sent folder")
            try:
                await self._append(account, item.raw)
            except (TimeoutError, ImapError, ComptoirError, OSError) as error:
                log.info("outbox %d: APPEND to %s failed, will retry: %s", item.id, account.sent_folder, error)
                continue
            await asyncio.to_thread(self._mark_appended, item)
            done += 1
        return done

    async def _append(self, account: AccountConfig, raw: bytes) -> None:
        for attempt in (1, 2):
            client = self._sent_folders.get(account.name)
            fresh = client is None
            try:
                if client is None:
                    client = make_client(account)
                    self._sent_folders[account.name] = client
                    await connect_and_login(client, account)
                    await client.create(account.sent_folder, exist_ok=True)
                await client.append(account.sent_folder, raw, flags=("\\Seen",))
                return
            except (TimeoutError, ImapError, ComptoirError, OSError):
                await self._drop_sent_connection(account.name)
                if fresh or attempt == 2:
                    raise
                # A kept connection the server closed meanwhile: open a new one and try once more.

    async def _drop_sent_connection(self, account_name: str) -> None:
        client = self._sent_folders.pop(account_name, None)
        if client is not None:
            try:
                await client.logout()
            except (TimeoutError, ImapError, OSError):
                pass

    async def close(self) -> None:
        """Log out of the kept Sent-folder connections."""
        for name in list(self._sent_folders):
            await self._drop_sent_connection(name)


async def in_sent_folder(account: AccountConfig, message_id: str) -> bool:
    """Whether a mail with this Message-ID is in the account's Sent folder (one short IMAP session)."""
    client = make_client(account)
    try:
        await connect_and_login(client, account)
        await client.create(account.sent_folder, exist_ok=True)
        await client.select(account.sent_folder, readonly=True)
        return bool(await client.search_message_id(message_id))
    finally:
        await client.logout()


def _item(row: Row[Any]) -> _Item:
    from core.store.rawsql import RawSql

    values = list(row)
    for index in (7, 8, 12, 18):
        values[index] = RawSql.read_json(values[index]) or []
    values[14] = bytes(values[14]) if values[14] is not None else None
    values[17] = bool(values[17])
    return _Item(*values)


def verify_delivery(ws: Workspace, agent: str, message_id: int, now: datetime) -> DeliveryCheck:
    """Look for a failed reply in its account's Sent folder; found, mark it sent (it went out)."""
    with ws.db.read() as s:
        row = s.execute(
            text(
                "SELECT id, state, account, our_message_id, to_addrs, cc_addrs, conversation_id "
                "FROM outbox WHERE message_row_id = :m"
            ),
            {"m": message_id},
        ).first()
    if row is None:
        return DeliveryCheck(message_id, "", False, False, f"message #{message_id} is not a reply of ours")
    outbox_id, state, account_name, our_id, to_addrs, cc_addrs, conversation_id = row
    recipients = (*(RawSql.read_json(to_addrs) or []), *(RawSql.read_json(cc_addrs) or []))
    if state != "failed":
        return DeliveryCheck(
            message_id, state, False, False, f"message #{message_id} is {state}, not failed", recipients
        )
    account = next((a for a in ws.config.accounts if a.name == account_name), None)
    if account is None:
        return DeliveryCheck(message_id, state, False, False, f"no account named {account_name!r} to check", recipients)
    try:
        # A thread of its own: the caller may already run an event loop (the app's workers do not, tests may).
        with ThreadPoolExecutor(1) as pool:
            found = pool.submit(asyncio.run, in_sent_folder(account, our_id)).result()
    except (ImapError, ComptoirError, OSError) as error:
        return DeliveryCheck(
            message_id,
            state,
            False,
            False,
            f"could not read the Sent folder {account.sent_folder!r}: {error}",
            recipients,
        )
    if not found:
        return DeliveryCheck(
            message_id,
            state,
            False,
            True,
            f"not in the Sent folder {account.sent_folder!r} of {account.name}",
            recipients,
        )
    with ws.db.write() as s:
        changed = rows_changed(
            s.execute(
                text(
                    "UPDATE outbox SET state = 'sent', appended = :t, sent_at = :now, last_answer = :a "
                    "WHERE id = :id AND state = 'failed'"
                ),
                {
                    "t": True,
                    "now": column_when(now, ws.db.is_sqlite),
                    "id": outbox_id,
                    "a": "already delivered: found in the Sent folder before a resend",
                },
            )
        )
        if changed:
            s.execute(
                text("UPDATE message SET sent_at = :now WHERE id = :id"),
                {"now": column_when(now, ws.db.is_sqlite), "id": message_id},
            )
            record_event(
                s,
                conversation_id,
                agent,
                "delivery_found",
                f"message #{message_id} found in the Sent folder: already delivered, not resent",
                now,
                message_id=message_id,
            )
            record_change(s, [conversation_id])
    return DeliveryCheck(
        message_id,
        "sent",
        True,
        True,
        f"found in the Sent folder {account.sent_folder!r} of {account.name}",
        recipients,
    )
