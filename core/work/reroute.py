"""The reroute preview: today's rules replayed over past inbound mail, to show what would route differently."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select

from core.mail.mime import parse_mail
from core.store.models import Contact, Conversation, Event, Message, id_of
from core.store.rawmail import read_raw
from core.store.rawsql import RawSql
from core.work.access import Guard, Reader, hidden_subject
from core.work.policy import build_policy
from core.work.routing_facts import ContactRef, ConvRef, message_facts, routing_facts
from core.work.routing_snapshot import replay_facts, replay_policy
from core.workspace.folder import Workspace
from routing import decide


def _routed_target(data: dict[str, Any]) -> tuple[str | None, str | None]:
    """The team, and the agent when it went to one personally, of a decision or a stored "routed" event."""
    return data.get("team"), data.get("agent") if data.get("visibility") == "personal" else None


def reroute_preview(
    ws: Workspace, since: datetime | None, now: datetime, limit: int = 10_000, reader: Reader | None = None
) -> list[dict[str, Any]]:
    """Replay the current rules over past inbound messages: what would route differently (nothing is written).

    Each message is compared with how it was routed when it arrived (its "routed" event), replayed with the
    facts of that moment (core.work.routing_snapshot): what happened since (claims, escalation, later mail,
    ratings, vacations) changes no route, so with unchanged rules nothing differs.
    With a `reader`, conversations they may not read (core.work.access) show no subject and no reasons."""
    changes: list[dict[str, Any]] = []
    with ws.db.read() as s:
        sql = RawSql(s)
        policy = build_policy(ws, s)
        stmt = select(Message).where(Message.direction == "inbound").order_by(col(Message.id)).limit(limit)
        if since is not None:
            stmt = stmt.where(col(Message.received_at) >= since)
        routed: dict[int, dict[str, Any]] = {}
        for data in s.exec(select(Event.details).where(Event.kind == "routed")):
            if isinstance(data, dict) and data.get("message_id") is not None:
                routed[data["message_id"]] = data
        # A conversation's first message was routed as a new thread, every later one as a reply in it.
        first_of = dict(
            s.exec(select(Message.conversation_id, func.min(Message.id)).group_by(col(Message.conversation_id))).all()
        )
        for msg in s.exec(stmt):
            conv = s.get(Conversation, msg.conversation_id)
            if conv is None:
                raise LookupError(f"message {msg.id} names conversation #{msg.conversation_id}, which is not stored")
            contact_row = s.get(Contact, conv.contact_id) if conv.contact_id else None
            if contact_row is None:
                continue
            raw = read_raw(s, msg.raw_sha256)
            parsed = parse_mail(raw) if raw is not None else None
            if parsed is None:
                continue
            event = routed.get(id_of(msg))
            if event is not None and event.get("facts"):
                facts = replay_facts(message_facts(parsed, msg.received_at), event["facts"])
                d = decide(facts, replay_policy(policy, event["facts"]), msg.received_at)
                as_of = None
            else:
                # Routed before decisions kept their facts: today's history stands in for that moment's.
                contact = ContactRef(id_of(contact_row), contact_row.address, list(contact_row.audiences))
                thread = (
                    None
                    if first_of.get(id_of(conv)) == msg.id
                    else ConvRef(id_of(conv), conv.owner, conv.confidential, conv.subject, conv.team)
                )
                d = decide(routing_facts(sql, parsed, msg.received_at, contact, thread), policy, msg.received_at)
                as_of = "Replayed with today's history: this message was routed before routes kept their facts."
            stored = next((e for e in conv.routing_reasons), None)
            before = (
                _routed_target(event)
                if event is not None
                else (conv.team, conv.exclusive_agent if conv.visibility == "personal" else None)
            )
            after = _routed_target({"team": d.team, "agent": d.agent, "visibility": d.visibility})
            if before != after:
                guard = Guard.of(conv)
                shown = reader is None or reader.may_read(guard, now)
                changes.append(
                    {
                        "conversation": conv.id,
                        "message": msg.id,
                        "subject": conv.subject if shown else hidden_subject(guard, now),
                        "now": {"team": before[0], "agent": before[1]},
                        "would": {"team": after[0], "agent": after[1]},
                        "route": d.route,
                        "reasons": ([r.text for r in d.reasons] if shown else []) + ([as_of] if as_of else []),
                        "stored_reason": stored.get("text") if stored and shown else None,
                    }
                )
    return changes
