"""Ingestion: fetched mail becomes messages in conversations, routed, one transaction per batch.

Identity: the server position (account, mailbox, UIDVALIDITY, UID) makes a second run of the
same batch a no-op; a content key (Message-ID, sender, date, subject and body bytes, without the
trace headers a server adds) makes one mail delivered to two team addresses one message with
both addresses recorded, while a reused Message-ID with other content stays a separate message.
After a UIDVALIDITY change the same content key finds every mail already stored: nothing doubles.

Speed: what can be is read once per batch (known sources, content keys, thread ids, contacts) and
written with executemany at the end (raw bytes, sources, attachments, events, search index);
statements go through the DBAPI cursor (core.store.rawsql), about 1 ms of CPU per mail in all.

Routing's facts are gathered by core.work.routing_facts; mail that is not routed (history, the sent
folder) is stored by core.mail.ingest_history; events, alerts and the change log go through core.work.journal.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from core.instants import NO_DEADLINE
from core.mail.autoack import queue_autoack
from core.mail.ingest_history import HistoryAndSentMail, first_ours
from core.mail.mime import ParsedMail, parse_mail
from core.mail.parse_worker import content_key
from core.mail.threading_keys import normalize_subject, subject_fallback_key, thread_lookup_ids
from core.store.rawmail import pack
from core.store.rawsql import RawSql
from core.store.search import BODY_LIMIT, PG_INDEX_SQL, SQLITE_INDEX_SQL, pg_index_row
from core.work.journal import JournalBatch
from core.work.policy import build_policy
from core.work.queries import our_addresses
from core.work.routing_facts import ContactRef, ConvRef, routing_facts
from core.work.routing_snapshot import snapshot
from core.workspace.folder import Workspace
from routing import (
    ConversationState,
    Decision,
    Policy,
    decide,
    next_step_at,
)
from routing.wording import when as phrase_instant

log = logging.getLogger("comptoir.ingest")

SUBJECT_THREAD_WINDOW = timedelta(days=30)
INFORMATIONAL = "no action needed: informational"
"""The disposition reason of mail to an informational address."""
BODY_EXCERPT = 4000
HISTORY_LIMIT = 20


@dataclass(frozen=True)
class IncomingMail:
    """A mail as fetched: the raw bytes and where it was seen (all None for a local import)."""

    raw: bytes
    delivered_to: str = ""
    """The team address of the mailbox it came from."""
    account: str | None = None
    mailbox: str | None = None
    uidvalidity: int | None = None
    uid: int | None = None
    internaldate: datetime | None = None
    parsed: ParsedMail | None = None
    """Parsed already (in a worker process); parsed here when None."""
    key: str | None = None
    """content_key(raw, parsed), when the worker computed it already."""
    packed: bytes | None = None
    """core.store.rawpack.pack(raw), when the worker packed it already (else the batch does)."""
    history_before: datetime | None = None
    """The account's cut-over: mail that arrived before it is stored as closed, worked-out history."""
    sent: bool = False
    """From the account's sent folder: an earlier reply of the team, stored as an outbound message."""
    channel: str = "mail"
    """Where the customer wrote from: mail, or the channel `comptoir ingest --channel` named (web)."""
    url: str | None = None
    """The page a channel message was sent from, kept in its "channel" event."""

    @property
    def prepared(self) -> ParsedMail:
        """The parsed mail, which prepare_mail sets: a batch holds only prepared mail."""
        if self.parsed is None:
            raise ValueError("an incoming mail reached a batch unparsed: pass it through prepare_mail first")
        return self.parsed

    @property
    def content_key(self) -> str:
        """content_key(raw, parsed), which prepare_mail sets."""
        if self.key is None:
            raise ValueError("an incoming mail reached a batch without its content key: pass it through prepare_mail")
        return self.key


@dataclass(frozen=True)
class MailboxPosition:
    """Sync state to store with a batch, in its transaction: a crash keeps both or neither."""

    account: str
    mailbox: str
    uidvalidity: int
    last_uid: int
    uidnext: int | None = None
    """Only once every UID below it is stored (the end of a pass); None keeps the stored value."""
    highestmodseq: int | None = None
    """Same rule as uidnext."""
    reset: bool = False
    """A new UIDVALIDITY: forget the stored UIDNEXT and HIGHESTMODSEQ."""
    address: str = ""
    """The account's address, for the account row made on the first pass."""


@dataclass
class IngestReport:
    new_messages: int = 0
    already_seen: int = 0
    merged: int = 0
    """Copies of a mail already stored (another team address): recorded as another source."""
    history: int = 0
    """New messages stored as history (older than the cut-over, or already answered from the sent folder)."""
    conversation_ids: list[int] = field(default_factory=list)
    message_ids: list[int] = field(default_factory=list)


def prepare_mail(mail: IncomingMail) -> IncomingMail:
    """Parse and key a mail (runs in a worker process for big syncs)."""
    parsed = mail.parsed or parse_mail(mail.raw)
    key = mail.key or content_key(mail.raw, parsed)
    if parsed is mail.parsed and key is mail.key:
        return mail
    return dataclasses.replace(mail, parsed=parsed, key=key)


def ingest_batch(
    ws: Workspace,
    mails: Sequence[IncomingMail],
    now: datetime,
    position: MailboxPosition | None = None,
    defer_checkpoint: bool = False,
) -> IngestReport:
    """Store a batch (and the mailbox position, if given) in one transaction; running it twice changes nothing.

    Each mail is routed as of its arrival (its INTERNALDATE, else `now`), so mail that waited
    through an outage already has its windows running from when the customer wrote.
    defer_checkpoint: this SQLite connection stops checkpointing the WAL at commit (copying the raw
    bytes a second time on the critical path); the caller must checkpoint (core.mail.syncer does, every second).
    """
    report = IngestReport()
    if not mails and position is None:
        return report
    ours = our_addresses(ws)
    with ws.db.write() as s:
        sql = RawSql(s)
        if defer_checkpoint and sql.sqlite:
            sql.run("PRAGMA wal_autocheckpoint=0")
        batch = _Batch(ws, s, sql, build_policy(ws, s) if mails else None, ours, now)
        batch.run([prepare_mail(m) for m in mails], report)
        if position is not None:
            save_position(sql, position, now)
        batch.journal.changed(report.conversation_ids)
        batch.journal.flush(sql, s)
    return report


def save_position(sql: RawSql, p: MailboxPosition, now: datetime) -> None:
    """Upsert a mailbox's sync state (see MailboxPosition for which fields change when)."""
    row = sql.one("SELECT id FROM mailbox_state WHERE account = :a AND mailbox = :m", {"a": p.account, "m": p.mailbox})
    values = {
        "a": p.account,
        "m": p.mailbox,
        "v": p.uidvalidity,
        "l": p.last_uid,
        "n": p.uidnext,
        "h": p.highestmodseq,
        "t": sql.when(now),
    }
    if row is None:
        # The account table mirrors the config; a mailbox's first pass adds its account row.
        if sql.one("SELECT 1 FROM account WHERE name = :a", {"a": p.account}) is None:
            sql.run(
                "INSERT INTO account (name, address, created_at) VALUES (:a, :addr, :t)",
                {"a": p.account, "addr": p.address, "t": sql.when(now)},
            )
        sql.run(
            "INSERT INTO mailbox_state (account, mailbox, uidvalidity, uidnext, last_uid, highestmodseq, "
            "last_sync_at, last_error) VALUES (:a, :m, :v, :n, :l, :h, :t, NULL)",
            values,
        )
        return
    # The choice is made here rather than with COALESCE(:n, NULL): PostgreSQL types that expression
    # as text and refuses it for an integer column.
    uidnext = ":n" if p.reset or p.uidnext is not None else "uidnext"
    modseq = ":h" if p.reset or p.highestmodseq is not None else "highestmodseq"
    sql.run(
        f"UPDATE mailbox_state SET uidvalidity = :v, last_uid = :l, uidnext = {uidnext}, "
        f"highestmodseq = {modseq}, last_sync_at = :t, last_error = NULL WHERE id = :id",
        {**values, "id": row[0]},
    )


class _Batch(HistoryAndSentMail):
    """One transaction's worth of mail: the per-batch lookups and the rows written at the end."""

    def __init__(
        self, ws: Workspace, s: Session, sql: RawSql, policy: Policy | None, ours: set[str], now: datetime
    ) -> None:
        self.ws, self.s, self.sql, self.policy, self.ours, self.now = ws, s, sql, policy, ours, now
        self.sources: list[dict[str, Any]] = []
        self.attachments: list[dict[str, Any]] = []
        self.journal = JournalBatch(ws, sql.sqlite)
        """The batch's events and alerts, and its change-log rows, written at the end."""
        self.search: list[dict[str, Any]] = []
        self.thread_ids: dict[str, int] = {}
        self.contacts: dict[str, ContactRef | None] = {}
        self.by_key: dict[str, tuple[int, int, list[str]]] = {}
        """content key -> (message id, conversation id, delivered_to) of inbound messages."""
        self.known_names: set[str] = set()
        self.ratings: dict[int, list[tuple[Any, ...]]] = {}
        """contact id -> (agent, score, rated_on) rows, for the senders known when the batch started."""
        self.answers: dict[str, tuple[int, str | None, datetime]] = {}
        """Message-ID -> (conversation id, agent, when) of a reply already stored from the sent folder."""
        self.outbound_ids: set[str] = set()
        """Message-IDs of outbound messages already stored (our own replies, appended to Sent)."""
        self.conv_rows: dict[int, tuple[Any, ...]] = {}
        """conversation id -> (id, owner, confidential, subject, team) as this batch last wrote it."""
        self._whens: dict[datetime | None, object] = {}
        self._keys: dict[tuple[str, str], str | None] = {}
        self.on_duty: dict[str, str] = {}
        """team -> the member its round-robin roster last gave a message to (kept in the meta table)."""
        self.on_duty_changed: set[str] = set()

    def _routing_policy(self) -> Policy:
        """The policy, which ingest_batch builds whenever the batch holds mail."""
        if self.policy is None:
            raise RuntimeError("a batch with mail has no routing policy: ingest_batch builds one for any mail")
        return self.policy

    def _thread_key(self, subject: str, customer: str) -> str | None:
        """subject_fallback_key, remembered for the batch (a new conversation's is looked up first)."""
        try:
            return self._keys[subject, customer]
        except KeyError:
            key = self._keys[subject, customer] = subject_fallback_key(subject, customer)
            return key

    def when(self, moment: datetime | None) -> object:
        """sql.when, remembered for the batch: each mail's arrival time is written about ten times."""
        try:
            return self._whens[moment]
        except KeyError:
            value = self._whens[moment] = self.sql.when(moment)
            return value

    def run(self, mails: list[IncomingMail], report: IngestReport) -> None:
        sql = self.sql
        seen = self._known_sources(mails)
        fresh = [
            m
            for m in mails
            if not (
                m.uid is not None
                and m.account is not None
                and (m.account, m.mailbox or "INBOX", m.uidvalidity or 0, m.uid) in seen
            )
        ]
        report.already_seen += len(mails) - len(fresh)
        for key, mid, cid, delivered in sql.all_in(
            "SELECT content_hash, id, conversation_id, delivered_to FROM message "
            "WHERE direction = 'inbound' AND content_hash IN ({})",
            [m.content_key for m in fresh],
        ):
            self.by_key.setdefault(key, (mid, cid, list(sql.read_json(delivered) or [])))
        wanted = {i for m in fresh for i in thread_lookup_ids(m.prepared)}
        for mid, cid in sql.all_in(
            "SELECT message_id, conversation_id FROM message WHERE message_id IN ({}) ORDER BY id", wanted
        ):
            self.thread_ids.setdefault(mid, cid)
        inbound_ids = [m.prepared.message_id for m in fresh if not m.sent and m.prepared.message_id]
        for irt, cid, author, at in sql.all_in(
            "SELECT in_reply_to, conversation_id, author, received_at FROM message "
            "WHERE direction = 'outbound' AND in_reply_to IN ({}) ORDER BY id",
            inbound_ids,
        ):
            self.answers.setdefault(irt, (cid, author, sql.read_instant(at)))
        sent_ids = [m.prepared.message_id for m in fresh if m.sent and m.prepared.message_id]
        self.outbound_ids = {
            mid
            for (mid,) in sql.all_in(
                "SELECT message_id FROM message WHERE direction = 'outbound' AND message_id IN ({})", sent_ids
            )
        }
        senders = {(m.prepared.from_addr or "unknown@invalid") for m in fresh if not m.sent}
        senders |= {self._customer_of_sent(m.prepared) for m in fresh if m.sent}
        for cid, address, name, audiences in sql.all_in(
            "SELECT id, address, name, audiences FROM contact WHERE address IN ({})", senders
        ):
            self.contacts[address] = ContactRef(cid, address, list(sql.read_json(audiences) or []))
            if name:
                self.known_names.add(address)
        # Ingestion writes no ratings: each sender's are read once per batch (contacts made here have none).
        for contact_id, agent, score, rated_on in sql.all_in(
            "SELECT contact_id, agent, score, rated_on FROM rating WHERE contact_id IN ({}) ORDER BY id",
            [c.id for c in self.contacts.values() if c is not None],
        ):
            self.ratings.setdefault(contact_id, []).append((agent, score, rated_on))
        raws: dict[str, IncomingMail] = {}
        for m in fresh:
            if m.content_key not in self.by_key:
                raws.setdefault(m.prepared.content_hash, m)
        if raws:
            conflict = "OR IGNORE " if sql.sqlite else ""
            tail = "" if sql.sqlite else " ON CONFLICT (sha256) DO NOTHING"
            sql.many(
                f"INSERT {conflict}INTO raw_mail (sha256, data, packed) VALUES (:h, :d, :p){tail}",
                [{"h": h, "d": m.packed or pack(m.raw), "p": sql.flag(True)} for h, m in raws.items()],
            )
        if self.policy is not None and any(t.roster is not None for t in self.policy.teams):
            for key, value in sql.all("SELECT key, value FROM meta WHERE key LIKE :p", {"p": "on_duty:%"}):
                self.on_duty[key.removeprefix("on_duty:")] = value
        for mail in fresh:
            self._one(mail, min(mail.internaldate or self.now, self.now), report)
        self._flush()

    def _known_sources(self, mails: list[IncomingMail]) -> set[tuple[Any, ...]]:
        positioned = [m for m in mails if m.uid is not None and m.account is not None]
        found: set[tuple[Any, ...]] = set()
        groups = {(m.account, m.mailbox or "INBOX", m.uidvalidity or 0) for m in positioned}
        for account, mailbox, validity in groups:
            uids = [
                m.uid
                for m in positioned
                if (m.account, m.mailbox or "INBOX", m.uidvalidity or 0) == (account, mailbox, validity)
            ]
            for (uid,) in self.sql.all_in(
                "SELECT uid FROM message_source WHERE account = :a AND mailbox = :m AND uidvalidity = :v "
                "AND uid IN ({})",
                uids,
                {"a": account, "m": mailbox, "v": validity},
            ):
                found.add((account, mailbox, validity, uid))
        return found

    def _source(self, message_id: int, mail: IncomingMail, now: datetime) -> None:
        if mail.uid is None or mail.account is None:
            return
        self.sources.append(
            {
                "m": message_id,
                "a": mail.account,
                "b": mail.mailbox or "INBOX",
                "v": mail.uidvalidity or 0,
                "u": mail.uid,
                "t": self.when(now),
            }
        )

    def _one(self, mail: IncomingMail, now: datetime, report: IngestReport) -> None:
        sql, parsed = self.sql, mail.prepared
        if mail.sent:
            self._one_sent(mail, now, report)
            return
        same = self.by_key.get(mail.content_key)
        if same is not None:
            self._merge(mail, same, now, report)
            return
        answered = self.answers.get(parsed.message_id) if parsed.message_id else None
        if answered is not None or (mail.history_before is not None and now < mail.history_before):
            self._one_history(mail, now, report, answered)
            return
        customer = parsed.from_addr or "unknown@invalid"
        contact = self._contact(customer, parsed.from_name, now)
        conv = self._find_thread(parsed, customer, now)
        facts = routing_facts(sql, parsed, now, contact, conv, self.ratings.get(contact.id, ()))
        if self.on_duty:
            facts = dataclasses.replace(facts, last_on_duty=dict(self.on_duty))
        policy = self._routing_policy()
        decision = decide(facts, policy, now)
        self._remember_on_duty(decision)
        is_new = conv is None
        # Mail to a client's address is answered from that address, and acknowledged with its template.
        delivered = (
            (_client_address(parsed, policy) if decision.client else "")
            or mail.delivered_to
            or first_ours(parsed, self.ours)
        )
        subject = parsed.subject or "(no subject)"
        if conv is None:
            # A new conversation is written once, already routed (what an INSERT then _apply_decision's UPDATE
            # would leave: counts 1, version 1).
            conv = ConvRef(0, None, False, subject)
            values = self._routed_values(conv, decision, customer, parsed, now, True)
            conv.id = sql.insert(
                "INSERT INTO conversation (subject, contact_id, customer_address, customer_name, via_address, "
                "team, owner, exclusive_agent, visibility, state, priority, confidential, automated, created_at, "
                "updated_at, last_message_at, exclusive_until, team_until, deadline, next_step_at, snoozed_until, "
                "pending_count, message_count, warned, thread_key, shared_reply, routing_reasons, ladder, version, "
                "client, channel, kind) "
                "VALUES (:subject, :contact, :customer, :name, :via, :team, :owner, :exclusive, :visibility, 'open', "
                ":priority, :confidential, :automated, :now, :now, :now, :exclusive_until, :team_until, :deadline, "
                ":next_step, NULL, :pending, 1, '[]', :thread_key, :shared, :reasons, :ladder, 1, :client, :channel, "
                "'mail')",
                {
                    **values,
                    "subject": subject,
                    "contact": contact.id,
                    "customer": customer,
                    "name": parsed.from_name,
                    "via": delivered,
                    "thread_key": self._thread_key(parsed.subject, customer),
                    "channel": mail.channel,
                },
            )
        else:
            values = self._routed_values(conv, decision, customer, parsed, now, False)
        if mail.channel != "mail":
            self.journal.event(
                conv.id,
                "ingest",
                "channel",
                f"received through the {mail.channel} channel" + (f" from {mail.url}" if mail.url else ""),
                now,
                channel=mail.channel,
                url=mail.url,
            )
        if decision.informational:
            msg_id = self._message(
                conv.id,
                mail,
                customer,
                delivered,
                now,
                disposition="no_action",
                reason=INFORMATIONAL,
                disposed_by="routing",
                disposed_at=now,
            )
            self.journal.event(
                conv.id,
                "routing",
                "no_action",
                f"no action needed for message {msg_id} ({INFORMATIONAL})",
                now,
                message_id=msg_id,
                reason=INFORMATIONAL,
            )
        else:
            msg_id = self._message(conv.id, mail, customer, delivered, now)
        self._apply_decision(conv, decision, values, msg_id, parsed, now, is_new, snapshot(facts, policy))
        if is_new and decision.auto_ack_allowed and delivered and self.ws.config.autoack:
            queue_autoack(self.s, self.ws, conv.id, conv.team_after, parsed, customer, delivered, now, decision)
        report.new_messages += 1
        report.conversation_ids.append(conv.id)
        report.message_ids.append(msg_id)

    def _remember_on_duty(self, d: Decision) -> None:
        """A round-robin roster's choice is where its next turn starts."""
        team = self._routing_policy().team(d.team) if d.route == "on_duty" else None
        if team is not None and team.roster is not None and team.roster.kind == "round-robin" and d.agent:
            self.on_duty[team.name] = d.agent
            self.on_duty_changed.add(team.name)

    def _message(
        self,
        conv_id: int,
        mail: IncomingMail,
        customer: str,
        delivered: str,
        now: datetime,
        direction: str = "inbound",
        disposition: str = "pending",
        author: str | None = None,
        disposed_at: datetime | None = None,
        reason: str | None = None,
        disposed_by: str | None = None,
    ) -> int:
        """Insert one message with its source, attachments and search row; returns its id."""
        sql, parsed = self.sql, mail.prepared
        to_addrs = [a for _n, a in parsed.to]
        cc_addrs = [a for _n, a in parsed.cc]
        msg_id = sql.insert(
            'INSERT INTO message (conversation_id, direction, message_id, in_reply_to, "references", from_addr, '
            "from_name, to_addrs, cc_addrs, delivered_to, subject, sent_at, received_at, text, html, headers, "
            "raw_sha256, content_hash, size, defects, disposition, author, disposed_by, disposed_at, "
            "disposition_reason) "
            "VALUES (:conv, :direction, :mid, :irt, :refs, "
            ":from_addr, :from_name, :to, :cc, :delivered, :subject, :sent, :received, :text, :html, :headers, "
            ":raw, :key, :size, :defects, :disposition, :author, :author_by, :disposed_at, :reason)",
            {
                "conv": conv_id,
                "mid": parsed.message_id,
                "irt": parsed.in_reply_to,
                "refs": _json_list(parsed.references),
                "from_addr": customer,
                "from_name": parsed.from_name,
                "to": _json_list(to_addrs),
                "cc": _json_list(cc_addrs),
                "delivered": _json_list([delivered] if delivered else ()),
                "subject": parsed.subject,
                "sent": sql.when(parsed.date),
                "received": self.when(now),
                "text": parsed.text,
                "html": parsed.html,
                "headers": sql.json(dict(parsed.headers)),
                "raw": parsed.content_hash,
                "key": mail.content_key,
                "size": parsed.size,
                "defects": _json_list(parsed.defects),
                "direction": direction,
                "disposition": disposition,
                "author": author if direction == "outbound" else None,
                "author_by": author if disposition == "replied" else disposed_by,
                "disposed_at": self.when(disposed_at),
                "reason": reason,
            },
        )
        if direction == "inbound":
            self.by_key[mail.content_key] = (msg_id, conv_id, [delivered] if delivered else [])
        if parsed.message_id:
            self.thread_ids.setdefault(parsed.message_id, conv_id)
        self._source(msg_id, mail, now)
        for a in parsed.attachments:
            self.attachments.append(
                {
                    "m": msg_id,
                    "p": a.part_path,
                    "f": a.filename,
                    "c": a.content_type,
                    "s": a.size,
                    "i": a.content_id,
                    "n": sql.flag(a.inline),
                }
            )
        self.search.append(
            {
                "id": msg_id,
                "s": parsed.subject,
                "b": parsed.text[:BODY_LIMIT],
                "n": parsed.from_name,
                "a": " ".join([customer, *to_addrs, *cc_addrs]),
                "c": conv_id,
            }
        )
        return msg_id

    def _merge(self, mail: IncomingMail, same: tuple[int, int, list[str]], now: datetime, report: IngestReport) -> None:
        """The same content again: another team address (or a new UIDVALIDITY): one more source only."""
        msg_id, conv_id, delivered = same
        self._source(msg_id, mail, now)
        if mail.delivered_to and mail.delivered_to.lower() not in [d.lower() for d in delivered]:
            delivered.append(mail.delivered_to)
            self.sql.run(
                "UPDATE message SET delivered_to = :d WHERE id = :id", {"d": self.sql.json(delivered), "id": msg_id}
            )
            self.journal.event(
                conv_id, "sync", "also_delivered", f"the same mail also reached {mail.delivered_to}", now
            )
            report.conversation_ids.append(conv_id)
        report.merged += 1

    def _contact(self, address: str, name: str, now: datetime) -> ContactRef:
        found = self.contacts.get(address)
        if found is None:
            values = {"a": address, "n": name, "no": self.sql.flag(False), "t": self.when(now)}
            if self.sql.sqlite:
                # SQLite batches hold the write lock from their first read: nobody else can add this contact.
                found = ContactRef(
                    self.sql.insert(
                        "INSERT INTO contact (address, name, audiences, imported, created_at) "
                        "VALUES (:a, :n, '[]', :no, :t)",
                        values,
                    ),
                    address,
                    [],
                )
            else:
                # Another mailbox's batch (the sent folder, another team address) may add the same sender at once.
                row = self.sql.one(
                    "INSERT INTO contact (address, name, audiences, imported, created_at) VALUES (:a, :n, '[]', :no, "
                    ":t) ON CONFLICT (address) DO NOTHING RETURNING id",
                    values,
                )
                if row is not None:
                    found = ContactRef(int(row[0]), address, [])
                else:
                    existing = self.sql.one("SELECT id, audiences FROM contact WHERE address = :a", values)
                    if existing is None:
                        raise LookupError(f"contact {address!r} neither inserted nor found (was it deleted meanwhile?)")
                    cid, audiences = existing
                    found = ContactRef(int(cid), address, list(self.sql.read_json(audiences) or []))
            self.contacts[address] = found
            if name:
                self.known_names.add(address)
        elif name and address not in self.known_names:
            self.sql.run("UPDATE contact SET name = :n WHERE id = :id", {"n": name, "id": found.id})
            self.known_names.add(address)
        return found

    def _find_thread(self, parsed: ParsedMail, customer: str, now: datetime) -> ConvRef | None:
        """By In-Reply-To and References first; then subject within the same customer only."""
        conv_id = next((self.thread_ids[i] for i in thread_lookup_ids(parsed) if i in self.thread_ids), None)
        if conv_id is None:
            key = self._thread_key(parsed.subject, customer)
            # Only a reply-looking subject ("Re: ...") joins a thread without headers, and only the same customer's.
            if key is None or parsed.subject.strip() == normalize_subject(parsed.subject):
                return None
            found = self.sql.one(
                "SELECT id FROM conversation WHERE thread_key = :k AND updated_at >= :since ORDER BY id DESC LIMIT 1",
                {"k": key, "since": self.sql.when(now - SUBJECT_THREAD_WINDOW)},
            )
            if found is None:
                return None
            conv_id = found[0]
        row = self.conv_rows.get(conv_id)
        if row is None:
            row = self.sql.one(
                "SELECT id, owner, confidential, subject, team FROM conversation WHERE id = :id", {"id": conv_id}
            )
        return ConvRef(row[0], row[1], bool(row[2]), row[3], row[4]) if row else None

    def _routed_values(
        self, conv: ConvRef, d: Decision, customer: str, parsed: ParsedMail, now: datetime, is_new: bool
    ) -> dict[str, Any]:
        """The conversation columns a routing decision sets (parameters of the INSERT or UPDATE)."""
        sql = self.sql
        owner = conv.owner
        if d.route == "reply_owner":
            owner = d.agent
        elif d.target == "agent":
            owner = None if is_new or conv.owner != d.agent else conv.owner
        elif not is_new and d.route == "reply_team":
            owner = None
        exclusive = d.agent if d.target == "agent" and d.visibility == "personal" else None
        deadline = (
            next((r.at for r in d.ladder if r.at > now), None) or d.exclusive_until or d.team_until or NO_DEADLINE
        )
        others = [a for _n, a in (*parsed.to, *parsed.cc) if a and a.lower() not in self.ours and a.lower() != customer]
        confidential = conv.confidential or d.confidential
        # The row as written: open, one message pending, no warning given yet.
        ladder_state = ConversationState(
            id=str(conv.id),
            team=d.team,
            owner=owner or (exclusive if d.visibility == "personal" else None),
            visibility=d.visibility,
            exclusive_until=d.exclusive_until,
            team_until=d.team_until,
            confidential=confidential,
            automated=d.automated,
        )
        conv.next_step = None if d.informational else next_step_at(ladder_state, self._routing_policy(), now)
        if d.informational:
            deadline = NO_DEADLINE
        return {
            "next_step": self.when(conv.next_step),
            "client": d.client,
            "pending": 0 if d.informational else 1,
            "team": d.team,
            "owner": owner,
            "exclusive": exclusive,
            "visibility": d.visibility,
            "priority": d.priority,
            "confidential": sql.flag(confidential),
            "automated": sql.flag(d.automated),
            "exclusive_until": self.when(d.exclusive_until),
            "team_until": self.when(d.team_until),
            "deadline": self.when(deadline),
            "now": self.when(now),
            # Shared when a reply-all reaches someone besides the customer (core.work.queries.reply_recipients);
            # a List-Id alone is not that: the list is not among the recipients unless it is in To or Cc.
            "shared": sql.flag(bool(others)),
            "reasons": sql.json([{"code": r.code, "text": r.text, "inputs": dict(r.inputs)} for r in d.reasons]),
            "ladder": sql.json(
                [
                    {
                        "at": r.at.isoformat(),
                        "visibility": r.visibility,
                        "text": r.text,
                        "agents": list(r.alert_agents),
                        "teams": list(r.alert_teams),
                    }
                    for r in d.ladder
                ]
            ),
        }

    def _apply_decision(
        self,
        conv: ConvRef,
        d: Decision,
        values: dict[str, Any],
        msg_id: int,
        parsed: ParsedMail,
        now: datetime,
        is_new: bool,
        facts: dict[str, Any],
    ) -> None:
        """Route an existing conversation (a new one was inserted routed), then its event and alerts."""
        if not is_new:
            self.sql.run(
                "UPDATE conversation SET team = :team, owner = :owner, exclusive_agent = :exclusive, "
                "visibility = :visibility, state = 'open', priority = :priority, confidential = :confidential, "
                "automated = :automated, exclusive_until = :exclusive_until, team_until = :team_until, "
                "deadline = :deadline, next_step_at = :next_step, snoozed_until = NULL, pending_count = pending_count + :pending, "
                "client = COALESCE(:client, client), "
                "message_count = message_count + 1, version = version + 1, updated_at = :now, "
                "last_message_at = :now, warned = '[]', shared_reply = :shared, routing_reasons = :reasons, "
                "ladder = :ladder WHERE id = :id",
                {**values, "id": conv.id},
            )
        owner, exclusive = values["owner"], values["exclusive"]
        confidential = conv.confidential or d.confidential
        # What a re-read of the row would give, for later mail of this batch in the same conversation.
        self.conv_rows[conv.id] = (conv.id, owner, confidential, conv.subject, d.team)
        reasons = " ".join(r.text for r in d.reasons)
        conv.team_after = d.team
        self.journal.event(
            conv.id,
            "routing",
            "routed",
            reasons or d.route,
            now,
            route=d.route,
            message_id=msg_id,
            target=d.target,
            agent=d.agent,
            team=d.team,
            visibility=d.visibility,
            facts=facts,
            exclusive_until=_iso(d.exclusive_until),
            team_until=_iso(d.team_until),
        )
        if d.informational:
            return  # nothing to answer: nobody is alerted
        if conv.next_step is not None and conv.next_step <= self.now:
            # Mail that waited (an outage, the grace period of a new account) whose next rung is due already:
            # the escalation pass right after alerts the people of that rung, once, instead of this alert too.
            return
        if d.automated:
            return  # the low lane alerts nobody (routing.decide._automated_route says so in Why)
        label = f"#{conv.id} \u201c{(conv.subject if not confidential else 'confidential')[:60]}\u201d"
        who = parsed.from_name or parsed.from_addr
        if d.visibility == "personal" and exclusive:
            until = f" (yours alone until {phrase_instant(d.exclusive_until, None)})" if d.exclusive_until else ""
            self.journal.alert(
                now, "exclusive", f"New message for you from {who}: {label}{until}", conv.id, agents=[exclusive]
            )
        elif owner and not is_new:
            self.journal.alert(now, "reply", f"{who} answered on {label}", conv.id, agents=[owner])
        # New mail for a team alerts nobody: it is in the team's queue, whose count says so, and an alert
        # for every member about every mail is the flood that hides what one person must do.

    def _flush(self) -> None:
        sql = self.sql
        sql.many(
            "INSERT INTO message_source (message_id, account, mailbox, uidvalidity, uid, seen_at) "
            "VALUES (:m, :a, :b, :v, :u, :t)",
            self.sources,
        )
        sql.many(
            "INSERT INTO attachment (message_id, part_path, filename, content_type, size, content_id, inline) "
            "VALUES (:m, :p, :f, :c, :s, :i, :n)",
            self.attachments,
        )
        for team in self.on_duty_changed:
            key = f"on_duty:{team}"
            if sql.run("UPDATE meta SET value = :v WHERE key = :k", {"k": key, "v": self.on_duty[team]}).rowcount == 0:
                sql.run("INSERT INTO meta (key, value) VALUES (:k, :v)", {"k": key, "v": self.on_duty[team]})
        if sql.sqlite:
            sql.many(SQLITE_INDEX_SQL, self.search)
        elif self.search:
            sql.many(PG_INDEX_SQL, [pg_index_row(r) for r in self.search])


def _iso(moment: datetime | None) -> str | None:
    """The windows a routing promised, kept in its event so reports can hold later replies to them."""
    return moment.isoformat() if moment is not None else None


def _json_list(values: Sequence[Any]) -> str:
    """json.dumps(list(values)), without the encoder for the common empty list."""
    return json.dumps(list(values)) if values else "[]"


def _client_address(parsed: ParsedMail, policy: Policy) -> str:
    for _name, addr in (*parsed.to, *parsed.cc):
        if addr and policy.client_for_address(addr.lower()) is not None:
            return addr.lower()
    return ""
