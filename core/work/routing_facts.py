"""Gathering what routing.decide needs about one mail (core/routing's facts): the message itself, the thread
it joins and the sender's history (earlier conversations, ratings), read with driver-level SQL."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from core.mail.mime import ParsedMail
from core.store.rawsql import RawSql
from routing import (
    ContactHistory,
    EarlierConversation,
    MessageFacts,
    RoutingFacts,
    ThreadFacts,
)
from routing import (
    Rating as RoutingRating,
)

BODY_EXCERPT = 4000
HISTORY_LIMIT = 20


@dataclass
class ConvRef:
    """The few conversation fields ingestion reads, without loading an ORM object."""

    id: int
    owner: str | None
    confidential: bool
    subject: str
    team: str | None = None
    team_after: str | None = None
    next_step: datetime | None = None
    """routing.next_step_at of the row as this batch wrote it."""


@dataclass
class ContactRef:
    id: int
    address: str
    audiences: list[str]


def contact_history(
    sql: RawSql,
    contact: ContactRef,
    exclude_conversation: int | None = None,
    ratings: Sequence[tuple[Any, ...]] | None = None,
) -> ContactHistory:
    """ratings: the contact's (agent, score, rated_on) rows in id order, when the caller read them already."""
    earlier = sql.all(
        "SELECT team, owner, created_at FROM conversation WHERE contact_id = :c AND id != :x ORDER BY id DESC LIMIT :n",
        {"c": contact.id, "x": exclude_conversation or -1, "n": HISTORY_LIMIT},
    )
    if ratings is None:
        ratings = sql.all("SELECT agent, score, rated_on FROM rating WHERE contact_id = :c", {"c": contact.id})
    return ContactHistory(
        address=contact.address,
        audiences=tuple(contact.audiences),
        conversations=tuple(EarlierConversation(team, owner, sql.read_instant(at)) for team, owner, at in earlier),
        ratings=tuple(
            RoutingRating(agent, score, datetime.combine(_day(rated_on), time(12), tzinfo=UTC))
            for agent, score, rated_on in ratings
            if 1 <= score <= 5
        ),
    )


def _day(value: Any) -> date:
    """rated_on as a date (SQLite hands back its ISO text)."""
    return datetime.fromisoformat(value).date() if isinstance(value, str) else value


def routing_facts(
    sql: RawSql,
    parsed: ParsedMail,
    received_at: datetime,
    contact: ContactRef,
    conv: ConvRef | None,
    ratings: Sequence[tuple[Any, ...]] | None = None,
) -> RoutingFacts:
    return RoutingFacts(
        message=message_facts(parsed, received_at),
        thread=ThreadFacts(str(conv.id), conv.owner, conv.team) if conv is not None else ThreadFacts(),
        contact=contact_history(sql, contact, conv.id if conv is not None else None, ratings),
    )


def message_facts(parsed: ParsedMail, received_at: datetime) -> MessageFacts:
    return MessageFacts(
        sender=parsed.from_addr or "unknown@invalid",
        received_at=received_at,
        sender_name=parsed.from_name,
        to=tuple(a for _n, a in parsed.to if a),
        cc=tuple(a for _n, a in parsed.cc if a),
        subject=parsed.subject,
        body_excerpt=parsed.text[:BODY_EXCERPT],
        headers=dict(parsed.headers),
    )
