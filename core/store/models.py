"""The nouns of Comptoir as SQLModel tables; they never leave core (front ends get dataclasses)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    CursorResult,
    DateTime,
    Index,
    LargeBinary,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

# Re-exported (the `as` form says so to mypy): models' users import them from here.
from core.instants import NO_DEADLINE as NO_DEADLINE
from core.instants import utcnow as utcnow


def rows_changed(result: Any) -> int:
    """How many rows an UPDATE or DELETE run through Session.execute changed (sqlmodel types its result a plain
    Result; for those statements it is a CursorResult, which has the rowcount)."""
    if not isinstance(result, CursorResult):
        raise TypeError(f"rows_changed takes the result of an UPDATE or DELETE, not {type(result).__name__}")
    return result.rowcount


def stored_ids(ids: Iterable[int | None]) -> list[int]:
    """Ids read back from the database (never NULL there; SQLModel types the column Optional, see id_of)."""
    found: list[int] = []
    for value in ids:
        if value is None:
            raise ValueError("a stored row came back without an id")
        found.append(value)
    return found


def id_of(row: Any) -> int:
    """A stored row's id (SQLModel types it Optional because a new, unflushed row has none yet)."""
    if row.id is None:
        raise ValueError(f"{type(row).__name__} has no id yet: flush it first")
    return int(row.id)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC, returns aware UTC, so SQLite and PostgreSQL compare alike."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use aware UTC datetimes")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def _when(nullable: bool = True, index: bool = False, **kw: Any) -> Any:
    return Field(default=kw.pop("default", None), sa_column=Column(UTCDateTime(), nullable=nullable, index=index), **kw)


def _json(default: Any) -> Any:
    return Field(default_factory=default, sa_column=Column(JSON, nullable=False))


class Meta(SQLModel, table=True):
    """Small workspace facts: the simulated clock offset, the demo flag, ..."""

    __tablename__ = "meta"
    key: str = Field(primary_key=True)
    value: str = ""


class Account(SQLModel, table=True):
    """A synced team mailbox account, mirrored from the config."""

    __tablename__ = "account"
    name: str = Field(primary_key=True)
    address: str
    created_at: datetime = _when(nullable=False, default=None)


class MailboxState(SQLModel, table=True):
    """Per-mailbox sync state as RFC 4549 describes it."""

    __tablename__ = "mailbox_state"
    __table_args__ = (UniqueConstraint("account", "mailbox"),)
    id: int | None = Field(default=None, primary_key=True)
    account: str = Field(foreign_key="account.name")
    mailbox: str
    uidvalidity: int | None = None
    uidnext: int | None = None
    last_uid: int = 0
    highestmodseq: int | None = None
    last_sync_at: datetime | None = _when()
    last_error: str | None = None


class Contact(SQLModel, table=True):
    """A customer address, with the audiences and history imported or learned for it."""

    __tablename__ = "contact"
    id: int | None = Field(default=None, primary_key=True)
    address: str = Field(unique=True, index=True)
    name: str = ""
    audiences: list[str] = _json(list)
    imported: bool = False
    created_at: datetime = _when(nullable=False, default=None)


class Conversation(SQLModel, table=True):
    """A thread with one customer: who owns it, who may see it, and its deadlines."""

    __tablename__ = "conversation"
    __table_args__ = (
        Index("ix_conversation_queue", "state", "deadline", "id"),
        Index("ix_conversation_owner", "owner", "state", "deadline", "id"),
        Index("ix_conversation_team", "team", "state", "deadline", "id"),
        Index("ix_conversation_visibility", "visibility", "state", "deadline", "id"),
        Index("ix_conversation_updated", "updated_at"),
        Index("ix_conversation_created", "created_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    subject: str = ""
    contact_id: int | None = Field(default=None, foreign_key="contact.id", index=True)
    customer_address: str = ""
    customer_name: str = ""
    via_address: str = ""
    """The team address the customer wrote to; replies go out from it."""
    team: str | None = None
    owner: str | None = None
    """Agent who claimed it (None: unclaimed)."""
    exclusive_agent: str | None = None
    """Agent who has it alone until exclusive_until."""
    visibility: str = "everyone"
    """personal | team | everyone"""
    state: str = "open"
    """open | waiting | snoozed | done"""
    priority: str = "normal"
    confidential: bool = False
    automated: bool = False
    created_at: datetime = _when(nullable=False, default=None)
    updated_at: datetime = _when(nullable=False, default=None)
    last_message_at: datetime | None = _when()
    exclusive_until: datetime | None = _when()
    team_until: datetime | None = _when()
    deadline: datetime = _when(nullable=False, default=None)
    """The next moment something happens to it (window end, snooze end; NO_DEADLINE when none); queues sort by it."""
    snoozed_until: datetime | None = _when()
    next_step_at: datetime | None = _when(index=True)
    """When routing.escalate may next have a step for it (routing.next_step_at); None: nothing until it changes.
    An escalation pass reads only the rows whose moment has come."""
    pending_count: int = 0
    """Inbound messages not yet worked out."""
    message_count: int = 0
    warned: list[str] = _json(list)
    """Window warnings already given (so each is given once)."""
    thread_key: str | None = Field(default=None, index=True)
    """Subject-and-customer fallback key for threading."""
    shared_reply: bool = False
    """Others than the customer (CC'd third parties, a list) will read a reply."""
    routing_reasons: list[dict[str, Any]] = _json(list)
    ladder: list[dict[str, Any]] = _json(list)
    version: int = 1
    """Bumped whenever an inbound message or a reply is added, so a composer can tell it is stale."""
    client: str | None = None
    """The configured client whose address the customer wrote to."""
    channel: str = Field(default="mail", sa_column_kwargs={"server_default": "mail"})
    """mail | web (or another channel `comptoir ingest --channel` named): where the customer wrote from."""
    kind: str = Field(default="mail", sa_column_kwargs={"server_default": "mail"})
    """mail (a customer's thread) | request (one team asking another, core.work.requests)."""
    request_of: int | None = Field(default=None, index=True)
    """For a request: the customer conversation it was opened from."""
    request_state: str | None = None
    """For a request: new | in_progress | answered | done | declined."""
    requester: str | None = None
    """For a request: the agent who opened it (alerted when it is answered or declined, or asked a question)."""


class ConversationTag(SQLModel, table=True):
    """One shared tag (named in the config's [[tags]]) on one conversation."""

    __tablename__ = "conversation_tag"
    __table_args__ = (Index("ix_conversation_tag_tag", "tag", "conversation_id"),)
    conversation_id: int = Field(foreign_key="conversation.id", primary_key=True)
    tag: str = Field(primary_key=True)
    added_by: str = ""
    added_at: datetime = _when(nullable=False, default=None)


class RawMail(SQLModel, table=True):
    """The bytes of a mail exactly as received, addressed by their SHA-256 (read them with core.store.rawmail)."""

    __tablename__ = "raw_mail"
    sha256: str = Field(primary_key=True)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    packed: bool = False
    """`data` is zlib-compressed (every row written since migration 0013)."""


class Message(SQLModel, table=True):
    """One inbound mail, outbound reply or internal note in a conversation."""

    __tablename__ = "message"
    __table_args__ = (
        Index("ix_message_conversation", "conversation_id", "id"),
        Index("ix_message_received", "received_at", "direction", "conversation_id", "disposition", "disposed_at"),
        Index("ix_message_disposition", "disposition", "received_at", "direction", "conversation_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversation.id")
    direction: str = "inbound"
    """inbound | outbound | note"""
    message_id: str | None = Field(default=None, index=True)
    """The Message-ID header (not unique: senders reuse them)."""
    in_reply_to: str | None = Field(default=None, index=True)
    """Indexed: a mail from the inbox finds the reply already stored from the sent folder."""
    references: list[str] = _json(list)
    from_addr: str = ""
    from_name: str = ""
    to_addrs: list[str] = _json(list)
    cc_addrs: list[str] = _json(list)
    bcc_addrs: list[str] = _json(list)
    """Blind copies of an outbound message (never in its headers)."""
    delivered_to: list[str] = _json(list)
    """Team addresses this mail reached (one mail to two team addresses is one message)."""
    subject: str = ""
    sent_at: datetime | None = _when()
    received_at: datetime = _when(nullable=False, default=None)
    text: str = Field(default="", sa_column=Column(Text, nullable=False))
    html: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    headers: dict[str, Any] = _json(dict)
    raw_sha256: str | None = Field(default=None, foreign_key="raw_mail.sha256")
    content_hash: str | None = Field(default=None, index=True)
    size: int = 0
    defects: list[str] = _json(list)
    disposition: str = "pending"
    """inbound: pending | replied | no_action; outbound and notes: none"""
    disposition_reason: str | None = None
    disposed_by: str | None = None
    disposed_at: datetime | None = _when()
    author: str | None = None
    """Agent who wrote an outbound reply or a note."""


class MessageSource(SQLModel, table=True):
    """Where a message was seen on a server: account, mailbox, UIDVALIDITY and UID."""

    __tablename__ = "message_source"
    __table_args__ = (UniqueConstraint("account", "mailbox", "uidvalidity", "uid"),)
    id: int | None = Field(default=None, primary_key=True)
    message_id: int = Field(foreign_key="message.id", index=True)
    account: str
    mailbox: str
    uidvalidity: int
    uid: int
    seen_at: datetime = _when(nullable=False, default=None)


class Attachment(SQLModel, table=True):
    """An attachment, decoded from its raw mail only when someone opens or saves it."""

    __tablename__ = "attachment"
    id: int | None = Field(default=None, primary_key=True)
    message_id: int = Field(foreign_key="message.id", index=True)
    part_path: str
    filename: str = ""
    content_type: str = "application/octet-stream"
    size: int = 0
    content_id: str | None = None
    inline: bool = False


class Event(SQLModel, table=True):
    """Append-only audit trail: who did what, when, and why."""

    __tablename__ = "event"
    __table_args__ = (
        Index("ix_event_kind_at", "kind", "at", "conversation_id"),
        Index("ix_event_conversation_actor", "conversation_id", "actor", "at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int | None = Field(default=None, foreign_key="conversation.id", index=True)
    message_id: int | None = Field(default=None, foreign_key="message.id")
    actor: str
    """Agent login, or 'system' / 'sync' / 'escalation' / 'cli'."""
    at: datetime = _when(nullable=False, default=None)
    kind: str
    details: dict[str, Any] = _json(dict)


class Alert(SQLModel, table=True):
    """Something one agent must act on; team alerts are written once per member, and there is at most
    one per agent and conversation, raised again in place as the conversation moves (core.work.alerting)."""

    __tablename__ = "alert"
    __table_args__ = (
        Index("ix_alert_agent_open", "agent", "acknowledged_at"),
        Index("ix_alert_created", "created_at", "kind", "agent", "acknowledged_at", "conversation_id"),
        Index("ux_alert_conversation_agent", "conversation_id", "agent", unique=True),
    )
    id: int | None = Field(default=None, primary_key=True)
    agent: str
    team: str | None = None
    kind: str
    text: str
    conversation_id: int | None = Field(default=None, foreign_key="conversation.id")
    source: str = "comptoir"
    created_at: datetime = _when(nullable=False, default=None)
    """When it was raised, or last raised again."""
    acknowledged_at: datetime | None = _when()
    seen_at: datetime | None = _when()
    """When its agent last looked at the alert list with it there; None makes the bar blink."""


class OutboxItem(SQLModel, table=True):
    """A reply (or acknowledgement) stored before it is sent, so no crash loses it."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_state", "state", "next_attempt_at"),)
    id: int | None = Field(default=None, primary_key=True)
    kind: str = "reply"
    """reply | autoack"""
    conversation_id: int | None = Field(default=None, foreign_key="conversation.id", index=True)
    message_row_id: int | None = Field(default=None, foreign_key="message.id")
    author: str
    account: str
    from_addr: str
    to_addrs: list[str] = _json(list)
    cc_addrs: list[str] = _json(list)
    bcc_addrs: list[str] = _json(list)
    """Recipients given to the SMTP server only, never written in a header."""
    subject: str
    body: str = Field(default="", sa_column=Column(Text, nullable=False))
    in_reply_to: str | None = Field(default=None, index=True)
    """Indexed: a mail from the inbox finds the reply already stored from the sent folder."""
    references: list[str] = _json(list)
    our_message_id: str = Field(unique=True)
    raw: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    state: str = "queued"
    """queued | sending | sent | failed"""
    attempts: int = 0
    next_attempt_at: datetime | None = _when()
    last_answer: str | None = None
    created_at: datetime = _when(nullable=False, default=None)
    sent_at: datetime | None = _when()
    appended: bool = False


class Draft(SQLModel, table=True):
    """What an agent is typing to a conversation, saved as they type so a crash or a lost SSH session
    loses nothing; one per agent, conversation and kind, removed when it is sent or dropped."""

    __tablename__ = "draft"
    agent: str = Field(primary_key=True)
    conversation_id: int = Field(primary_key=True, foreign_key="conversation.id")
    kind: str = Field(default="reply", primary_key=True)
    """reply | note"""
    body: str = Field(default="", sa_column=Column(Text, nullable=False))
    to_addrs: list[str] = _json(list)
    cc_addrs: list[str] = _json(list)
    updated_at: datetime = _when(nullable=False, default=None)


class Reminder(SQLModel, table=True):
    """An agent's reminder on a conversation: at `due_at` the escalation pass raises an alert for them."""

    __tablename__ = "reminder"
    __table_args__ = (Index("ix_reminder_due", "fired_at", "due_at"),)
    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversation.id", index=True)
    agent: str
    due_at: datetime = _when(nullable=False, default=None)
    text: str = Field(default="", sa_column=Column(Text, nullable=False))
    created_at: datetime = _when(nullable=False, default=None)
    fired_at: datetime | None = _when()


class WebhookPost(SQLModel, table=True):
    """A team webhook POST stored before it is made, so one-shot commands never lose one."""

    __tablename__ = "webhook_post"
    __table_args__ = (Index("ix_webhook_post_state", "state", "next_attempt_at"),)
    id: int | None = Field(default=None, primary_key=True)
    url: str
    body: str = Field(default="", sa_column=Column(Text, nullable=False))
    """The JSON document to POST."""
    state: str = "queued"
    """queued | sent"""
    attempts: int = 0
    next_attempt_at: datetime | None = _when()
    """None: due now."""
    last_error: str | None = None
    created_at: datetime = _when(nullable=False, default=None)
    sent_at: datetime | None = _when()


class Rating(SQLModel, table=True):
    """A score from 1 to 5 a customer gave an agent."""

    __tablename__ = "rating"
    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contact.id", index=True)
    agent: str
    score: int
    rated_on: date


class Presence(SQLModel, table=True):
    """Whether an agent is at work, and what their session is looking at."""

    __tablename__ = "presence"
    agent: str = Field(primary_key=True)
    status: str = "available"
    """available | away | vacation"""
    until: datetime | None = _when()
    heartbeat_at: datetime | None = _when()
    viewing_id: int | None = None
    replying_id: int | None = None


class Change(SQLModel, table=True):
    """The change log other processes read to learn what changed."""

    __tablename__ = "change"
    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int | None = None
    kind: str = "conversation"
    at: datetime = _when(nullable=False, default=None)


class ReportDay(SQLModel, table=True):
    """One finished local day's partial report figures (core.work.report_rollup); a missing row is computed again."""

    __tablename__ = "report_day"
    day: str = Field(primary_key=True)
    built_at: int = Field(sa_column=Column(BigInteger(), nullable=False))
    """The report's `now` (epoch seconds) the figures were computed as of."""
    stale_at: int | None = Field(default=None, sa_column=Column(BigInteger(), nullable=True))
    """From this moment on the figures would differ (a promised window or a disposal still ahead)."""
    payload: str = Field(sa_column=Column(Text(), nullable=False))


class ReportTouch(SQLModel, table=True):
    """A conversation written to since the report rollup last looked (the journal writes it)."""

    __tablename__ = "report_touch"
    conversation_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    since: int | None = Field(default=None, sa_column=Column(BigInteger(), nullable=True))
    """An earlier moment it counted at and no longer does (an alert raised again in place), epoch seconds."""
