"""The verbs: each action is one transaction writing the state change, an audit event, the alerts
for exactly the people concerned, and a change-log entry other processes pick up.

Ownership changes are guarded updates (`UPDATE ... WHERE owner IS NULL`) whose row count decides
who won, so two agents claiming at once can never both succeed, on SQLite or PostgreSQL.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import make_msgid

from sqlalchemy import insert, update
from sqlmodel import Session, col, select

from core.work.access import Guard, Reader
from core.store.db import CHANGE_INSERT_SQL, NOTIFY_CHANNEL
from core.work.acting import acting_login_details
from core.errors import ActionRefused
from core.store.models import NO_DEADLINE, Alert, Conversation, Event, Message, OutboxItem, Presence
from core.store.models import utcnow
from routing.wording import counted
from core.work.queries import get_conversation, our_addresses, signature_for
from core.store.search import index_message
from core.store.rawsql import RawSql, column_when
from core.work.views import ActionResult
from core.workspace.folder import Workspace

MENTION = re.compile(r"(?<![\w.])@([a-z_][a-z0-9_.-]*)", re.IGNORECASE)
HEADER_BREAK = re.compile(r"[\r\n]")
PRESENCE_STATES = ("available", "away", "vacation")


# -- shared helpers ---------------------------------------------------------------------------
def record_event(
    s: Session, conversation_id: int | None, actor: str, kind: str, text: str, now: datetime, **details: object
) -> None:
    s.execute(
        insert(Event.__table__),
        [{"conversation_id": conversation_id, "message_id": None, "actor": actor, "at": now, "kind": kind,
          "details": {"text": text, **details, **acting_login_details()}}],
    )


def raise_alerts(
    s: Session,
    ws: Workspace,
    now: datetime,
    kind: str,
    text: str,
    conversation_id: int | None = None,
    agents: Iterable[str] = (),
    teams: Iterable[str] = (),
    exclude: Iterable[str] = (),
    source: str = "comptoir",
) -> list[str]:
    """Write one alert per concerned agent (team alerts go to every member); returns who got one."""
    rows = [
        {"agent": agent, "team": team, "kind": kind, "text": text, "conversation_id": conversation_id,
         "source": source, "created_at": now, "acknowledged_at": None}
        for agent, team in alert_recipients(ws, agents, teams, exclude).items()
    ]
    if rows:
        s.execute(insert(Alert.__table__), rows)
        ws.db.changed(s, [None], kind="alert")
    return [r["agent"] for r in rows]


def alert_recipients(
    ws: Workspace, agents: Iterable[str] = (), teams: Iterable[str] = (), exclude: Iterable[str] = ()
) -> dict[str, str | None]:
    """Known agents to alert, each with the team it is alerted for (None when named personally)."""
    excluded = set(exclude)
    recipients: dict[str, str | None] = {}
    for team in teams:
        for member in ws.config.members_of(team):
            recipients.setdefault(member, team)
    for agent in agents:
        recipients[agent] = None
    known = {a.login for a in ws.config.agents}
    return {agent: team for agent, team in recipients.items() if agent in known and agent not in excluded}


def _name(ws: Workspace, login: str | None) -> str:
    if not login:
        return "nobody"
    agent = ws.config.agent(login)
    return agent.name if agent else login


def _label(conv: Conversation) -> str:
    subject = conv.subject if not conv.confidential else "confidential"
    return f"#{conv.id} \u201c{subject[:60]}\u201d"


def _require_agent(ws: Workspace, login: str) -> None:
    ws.config.require_agent(login)


def _refused(message: str, conversation_id: int | None = None, winner: str | None = None) -> ActionResult:
    return ActionResult(False, message, conversation_id, winner)


def _unreadable(ws: Workspace, agent: str, conv, now: datetime) -> ActionResult | None:
    """The refusal for an agent who may not read the conversation (core.work.access), naming none of its
    content; None when they may. Nobody acts on what they may not read."""
    reader = Reader.of(ws.config, agent)
    guard = Guard.of(conv)
    if reader.may_read(guard, now):
        return None
    if guard.in_exclusive_window(now):
        until = f" until {guard.exclusive_until:%H:%M} UTC" if guard.exclusive_until else ""
        return _refused(f"#{conv.id} is personal mail for {_name(ws, guard.exclusive_agent)} alone{until}: "
                        "only they and supervisors can open it or act on it; ask them or a supervisor", conv.id)
    return _refused(f"#{conv.id}: {reader.why_not(guard, now)}", conv.id)


# -- ownership ------------------------------------------------------------------------------
@dataclass(frozen=True)
class _ClaimRow:
    id: int
    subject: str
    confidential: bool
    state: str
    visibility: str
    owner: str | None
    exclusive_agent: str | None
    exclusive_until: datetime | None
    team: str | None


_CLAIM_READ = (
    "SELECT id, subject, confidential, state, visibility, owner, exclusive_agent, exclusive_until, team "
    "FROM conversation WHERE id = :id"
)


def _claim_row(raw: RawSql, conversation_id: int) -> _ClaimRow | None:
    row = raw.one(_CLAIM_READ, {"id": conversation_id})
    if row is None:
        return None
    return _ClaimRow(row[0], row[1], bool(row[2]), row[3], row[4], row[5], row[6], raw.read_when(row[7]), row[8])


def claim(ws: Workspace, agent: str, conversation_id: int, now: datetime) -> ActionResult:
    """Take an unclaimed conversation; of two agents claiming at once, one wins, the other is told who.

    The hot path of a claim race, so it runs driver-level SQL on pooled connections: one plain read
    answers most attempts (already owned, done, someone's exclusive window) without queueing for the
    write lock; otherwise the guarded `UPDATE ... WHERE owner IS NULL` alone decides, in one
    transaction with the audit event, any alert and the change-log row.
    """
    with ws.db.raw(write=False) as raw:
        conv = _claim_row(raw, conversation_id)
    if conv is None:
        raise ActionRefused(f"there is no conversation #{conversation_id}")
    if (refused := _unreadable(ws, agent, conv, now)) is not None:
        return refused
    if conv.state == "done":
        return _refused(f"{_label(conv)} is done; reopen it first", conversation_id)
    if conv.owner is not None:
        return _lost(ws, agent, conv, conv.owner)
    if conv.visibility == "personal" and conv.exclusive_agent not in (None, agent) and not ws.config.is_supervisor(agent):
        until = conv.exclusive_until.strftime("%H:%M") if conv.exclusive_until else "later"
        return _refused(
            f"{_label(conv)} is {_name(ws, conv.exclusive_agent)}'s alone until {until}; "
            "ask them, or take it back with a note (t / assign)",
            conversation_id,
        )
    # Every value is worked out before the write lock, so other writers wait only for the statements.
    sqlite = ws.db.is_sqlite
    at = column_when(now, sqlite)
    claimed = {"agent": agent, "now": at, "id": conversation_id}
    event = {"c": conversation_id, "actor": agent, "at": at,
             "details": json.dumps({"text": f"{_name(ws, agent)} claimed it", **acting_login_details()})}
    alert = None
    changes = [{"c": conversation_id, "k": "conversation", "at": column_when(utcnow(), sqlite)}]
    if conv.exclusive_agent and conv.exclusive_agent != agent:
        alert = {"agent": conv.exclusive_agent, "c": conversation_id, "at": at,
                 "text": f"{_name(ws, agent)} claimed {_label(conv)}, which was yours alone"}
        changes.append({"c": None, "k": "alert", "at": changes[0]["at"]})
    with ws.db.raw(write=True) as raw:
        won = raw.run(
            "UPDATE conversation SET owner = :agent, updated_at = :now, "
            # A personal rung now follows the new owner's presence: the next pass looks at it again.
            "next_step_at = CASE WHEN visibility = 'personal' THEN :now ELSE next_step_at END, "
            # A request someone claims is being worked on.
            "request_state = CASE WHEN request_state = 'new' THEN 'in_progress' ELSE request_state END "
            "WHERE id = :id AND owner IS NULL AND state != 'done'",
            claimed,
        ).rowcount
        if won != 1:
            latest = _claim_row(raw, conversation_id)
            if latest.state == "done":
                return _refused(f"{_label(conv)} was closed meanwhile", conversation_id)
            return _lost(ws, agent, conv, latest.owner)
        raw.run(
            "INSERT INTO event (conversation_id, message_id, actor, at, kind, details) "
            "VALUES (:c, NULL, :actor, :at, 'claim', :details)",
            event,
        )
        if alert is not None:
            raw.run(
                "INSERT INTO alert (agent, team, kind, text, conversation_id, source, created_at, acknowledged_at) "
                "VALUES (:agent, NULL, 'claimed', :text, :c, 'comptoir', :at, NULL)",
                alert,
            )
        raw.many(CHANGE_INSERT_SQL, changes)
        if not raw.sqlite:
            raw.run(f"SELECT pg_notify('{NOTIFY_CHANNEL}', :p)", {"p": str(conversation_id)})
    return ActionResult(True, f"{_label(conv)} is yours now", conversation_id, agent)


def _lost(ws: Workspace, agent: str, conv, owner: str | None) -> ActionResult:
    if owner == agent:
        return ActionResult(True, f"{_label(conv)} is already yours", conv.id, agent)
    return _refused(f"{_name(ws, owner)} claimed {_label(conv)} first", conv.id, owner)


def release(ws: Workspace, agent: str, conversation_id: int, now: datetime) -> ActionResult:
    """Give a conversation back to its team (owner or supervisor only)."""
    with ws.db.write() as s:
        conv = get_conversation(s, conversation_id)
        if conv.owner is None:
            return _refused(f"{_label(conv)} has no owner", conversation_id)
        if conv.owner != agent and not ws.config.is_supervisor(agent):
            return _refused(f"{_label(conv)} is {_name(ws, conv.owner)}'s; only they or a supervisor can release it", conversation_id)
        previous = conv.owner
        result = s.execute(
            update(Conversation)
            .where(col(Conversation.id) == conversation_id, col(Conversation.owner) == previous)
            .values(owner=None, exclusive_agent=None, visibility="team" if conv.team else "everyone", updated_at=now,
                    next_step_at=now)
        )
        if result.rowcount != 1:
            return _refused(f"{_label(conv)} changed hands meanwhile; look again", conversation_id)
        record_event(s, conversation_id, agent, "release", f"{_name(ws, agent)} released it to {conv.team or 'everyone'}", now)
        teams = [conv.team] if conv.team else []
        raise_alerts(s, ws, now, "released", f"{_name(ws, agent)} released {_label(conv)} to the team", conversation_id,
                     teams=teams, agents=[previous] if previous != agent else [], exclude=[agent])
        ws.db.changed(s, [conversation_id])
    return ActionResult(True, f"{_label(conv)} released to {conv.team or 'everyone'}", conversation_id)


def assign(
    ws: Workspace,
    agent: str,
    conversation_id: int,
    now: datetime,
    to_agent: str | None = None,
    to_team: str | None = None,
    note: str = "",
) -> ActionResult:
    """Take a conversation back from anyone and hand it to an agent or a team, with an optional note."""
    if bool(to_agent) == bool(to_team):
        raise ActionRefused("assign to exactly one of an agent or a team")
    if to_agent:
        _require_agent(ws, to_agent)
    if to_team:
        ws.config.require_team(to_team)
    with ws.db.write() as s:
        conv = get_conversation(s, conversation_id)
        if (refused := _unreadable(ws, agent, conv, now)) is not None:
            return refused
        previous = conv.owner
        if to_agent and previous == to_agent:
            return ActionResult(True, f"{_label(conv)} is already {_name(ws, to_agent)}'s", conversation_id, to_agent)
        values: dict[str, object] = {"updated_at": now, "next_step_at": now}
        if to_agent:
            values.update(owner=to_agent, exclusive_agent=None)
            if conv.state == "done":
                values["state"] = "open"
            if not conv.team or conv.team not in ws.config.teams_of(to_agent):
                first = ws.config.teams_of(to_agent)
                values["team"] = first[0] if first else conv.team
            target = _name(ws, to_agent)
        else:
            values.update(owner=None, exclusive_agent=None, team=to_team, visibility="team")
            if conv.state == "done":
                values["state"] = "open"
            target = f"team {to_team}"
        result = s.execute(
            update(Conversation)
            .where(col(Conversation.id) == conversation_id, col(Conversation.version) == conv.version,
                   col(Conversation.owner).is_(None) if previous is None else col(Conversation.owner) == previous)
            .values(**values)
        )
        if result.rowcount != 1:
            return _refused(f"{_label(conv)} changed meanwhile; look again", conversation_id)
        took = f"{_name(ws, agent)} took it from {_name(ws, previous)} and " if previous and previous != agent else f"{_name(ws, agent)} "
        text = f"{took}handed it to {target}" if (to_team or to_agent != agent) else f"{took}took it"
        if note:
            text += f": {note}"
        record_event(s, conversation_id, agent, "assign", text, now, to_agent=to_agent, to_team=to_team, previous=previous, note=note)
        if note:
            _add_note(s, ws, conv, agent, note, now)
        alert_text = f"{_name(ws, agent)}: {_label(conv)} " + (f"is yours now" if to_agent else f"goes to team {to_team}")
        if note:
            alert_text += f" \u2014 {note}"
        # The previous owner gets the "taken" alert below, not a second one as a member of the new team.
        losing = previous if previous and previous not in (agent, to_agent) else None
        raise_alerts(s, ws, now, "assigned", alert_text, conversation_id,
                     agents=[to_agent] if to_agent else [], teams=[to_team] if to_team else [],
                     exclude=[agent, losing] if losing else [agent])
        if losing:
            raise_alerts(s, ws, now, "taken", f"{_name(ws, agent)} took {_label(conv)} from you", conversation_id, agents=[previous])
        ws.db.changed(s, [conversation_id])
    return ActionResult(True, f"{_label(conv)} \u2192 {target}", conversation_id, to_agent)


# -- working messages out -----------------------------------------------------------------------
def take_back(ws: Workspace, agent: str, conversation_id: int, now: datetime) -> ActionResult:
    """Take a conversation from its owner for yourself; one nobody owns is claimed, not taken back."""
    with ws.db.read() as s:
        conv = get_conversation(s, conversation_id)
    if (refused := _unreadable(ws, agent, conv, now)) is not None:
        return refused
    if conv.owner is None:
        return _refused(f"nobody owns {_label(conv)}: claim it instead", conversation_id)
    if conv.owner == agent:
        return _refused(f"{_label(conv)} is yours already", conversation_id)
    return assign(ws, agent, conversation_id, now, to_agent=agent)


def dispose(ws: Workspace, agent: str, message_id: int, reason: str, now: datetime) -> ActionResult:
    """Mark an inbound message 'no action needed' with a reason (a thank-you, say)."""
    reason = reason.strip()
    if not reason:
        raise ActionRefused("say why no action is needed (a reason is required)")
    with ws.db.write() as s:
        msg = s.get(Message, message_id)
        if msg is None:
            raise ActionRefused(f"there is no message {message_id}")
        conv = get_conversation(s, msg.conversation_id)
        if (refused := _unreadable(ws, agent, conv, now)) is not None:
            return refused
        if msg.direction != "inbound":
            return _refused(f"message {message_id} is not an inbound message", conv.id)
        result = s.execute(
            update(Message)
            .where(col(Message.id) == message_id, col(Message.disposition) == "pending")
            .values(disposition="no_action", disposition_reason=reason, disposed_by=agent, disposed_at=now)
        )
        if result.rowcount != 1:
            return _refused(f"message {message_id} was already worked out ({msg.disposition.replace('_', ' ')})", conv.id)
        pending = max(conv.pending_count - 1, 0)
        values: dict[str, object] = {"pending_count": pending, "updated_at": now}
        if pending == 0 and conv.state == "open":
            values["deadline"] = NO_DEADLINE
            values["next_step_at"] = None
        s.execute(update(Conversation).where(col(Conversation.id) == conv.id).values(**values))
        record_event(s, conv.id, agent, "no_action", f"{_name(ws, agent)}: no action needed for message {message_id} ({reason})", now,
                     message_id=message_id, reason=reason)
        ws.db.changed(s, [conv.id])
    return ActionResult(True, f"message {message_id}: no action needed", conv.id)


def pending_messages(s: Session, conversation_id: int) -> list[Message]:
    return list(
        s.exec(
            select(Message).where(
                Message.conversation_id == conversation_id, Message.direction == "inbound", Message.disposition == "pending"
            ).order_by(col(Message.id))
        )
    )


def done(ws: Workspace, agent: str, conversation_id: int, now: datetime) -> ActionResult:
    """Close a conversation; refused while an inbound message is not worked out, naming it."""
    with ws.db.write() as s:
        conv = get_conversation(s, conversation_id, lock=True)
        if (refused := _unreadable(ws, agent, conv, now)) is not None:
            return refused
        if conv.state == "done":
            return ActionResult(True, f"{_label(conv)} is already done", conversation_id)
        pending = pending_messages(s, conversation_id)
        if pending:
            names = ", ".join(f"message {m.id} from {m.from_addr} ({m.received_at:%d %b %H:%M})" for m in pending[:5])
            more = f" and {len(pending) - 5} more" if len(pending) > 5 else ""
            return _refused(
                f"{_label(conv)} still has {counted(len(pending), 'message')} to work out: {names}{more}. "
                "Reply, or mark them 'no action needed' (n).",
                conversation_id,
            )
        s.execute(
            update(Conversation).where(col(Conversation.id) == conversation_id)
            .values(state="done", deadline=NO_DEADLINE, snoozed_until=None, updated_at=now, owner=conv.owner or agent,
                    next_step_at=None, **({"request_state": "done"} if conv.kind == "request"
                                          and conv.request_state not in ("done", "declined") else {}))
        )
        record_event(s, conversation_id, agent, "done", f"{_name(ws, agent)} closed it", now)
        if conv.kind == "request" and conv.request_of is not None:
            record_event(s, conv.request_of, agent, "request_state",
                         f"request #{conversation_id} to team {conv.team}: done", now, request=conversation_id,
                         state="done")
            ws.db.changed(s, [conv.request_of])
        ws.db.changed(s, [conversation_id])
    return ActionResult(True, f"{_label(conv)} is done", conversation_id)


def reopen(ws: Workspace, agent: str, conversation_id: int, now: datetime) -> ActionResult:
    with ws.db.write() as s:
        conv = get_conversation(s, conversation_id, lock=True)
        if (refused := _unreadable(ws, agent, conv, now)) is not None:
            return refused
        if conv.state == "open":
            return ActionResult(True, f"{_label(conv)} is already open", conversation_id)
        s.execute(
            update(Conversation).where(col(Conversation.id) == conversation_id)
            .values(state="open", snoozed_until=None, updated_at=now, deadline=_open_deadline(conv, now), next_step_at=now)
        )
        record_event(s, conversation_id, agent, "reopen", f"{_name(ws, agent)} reopened it", now)
        ws.db.changed(s, [conversation_id])
    return ActionResult(True, f"{_label(conv)} is open again", conversation_id)


def _open_deadline(conv: Conversation, now: datetime) -> datetime:
    if conv.pending_count == 0:
        return NO_DEADLINE
    for moment in (conv.exclusive_until, conv.team_until):
        if moment is not None and moment > now:
            return moment
    return now


def snooze(ws: Workspace, agent: str, conversation_id: int, until: datetime, now: datetime) -> ActionResult:
    if until <= now:
        raise ActionRefused("snooze until a time in the future")
    with ws.db.write() as s:
        conv = get_conversation(s, conversation_id, lock=True)
        if (refused := _unreadable(ws, agent, conv, now)) is not None:
            return refused
        if conv.state == "done":
            return _refused(f"{_label(conv)} is done", conversation_id)
        s.execute(
            update(Conversation).where(col(Conversation.id) == conversation_id)
            .values(state="snoozed", snoozed_until=until, deadline=until, updated_at=now, owner=conv.owner or agent,
                    next_step_at=until)
        )
        record_event(s, conversation_id, agent, "snooze", f"{_name(ws, agent)} snoozed it until {until:%a %d %b %H:%M} UTC", now,
                     until=until.isoformat())
        ws.db.changed(s, [conversation_id])
    return ActionResult(True, f"{_label(conv)} snoozed until {until:%a %d %b %H:%M} UTC", conversation_id)


def _add_note(s: Session, ws: Workspace, conv: Conversation, agent: str, text: str, now: datetime) -> Message:
    note = Message(
        conversation_id=conv.id, direction="note", from_addr="", from_name=_name(ws, agent), subject="", text=text,
        received_at=now, sent_at=now, disposition="none", author=agent,
    )
    s.add(note)
    s.flush()
    index_message(s, note.id, conv.id, "", text, _name(ws, agent), "")
    s.execute(update(Conversation).where(col(Conversation.id) == conv.id).values(message_count=Conversation.message_count + 1))
    return note


def note(ws: Workspace, agent: str, conversation_id: int, text: str, now: datetime) -> ActionResult:
    """An internal note; each @login mentioned gets an alert."""
    text = text.strip()
    if not text:
        raise ActionRefused("the note is empty")
    mentioned = [m.lower() for m in MENTION.findall(text)]
    unknown = [m for m in mentioned if ws.config.agent(m) is None]
    if unknown:
        raise ActionRefused(f"@{unknown[0]} is not an agent; nothing was saved")
    with ws.db.write() as s:
        conv = get_conversation(s, conversation_id, lock=True)
        if (refused := _unreadable(ws, agent, conv, now)) is not None:
            return refused
        _add_note(s, ws, conv, agent, text, now)
        s.execute(update(Conversation).where(col(Conversation.id) == conversation_id).values(updated_at=now))
        record_event(s, conversation_id, agent, "note", f"{_name(ws, agent)} wrote a note", now, mentions=mentioned)
        # Someone who may not read the conversation is told they were mentioned, not what the note says.
        guard = Guard.of(conv)
        readers = [m for m in mentioned if Reader.of(ws.config, m).may_read(guard, now)]
        raise_alerts(s, ws, now, "mention", f"{_name(ws, agent)} mentioned you on {_label(conv)}: {text[:80]}", conversation_id,
                     agents=readers, exclude=[agent])
        raise_alerts(s, ws, now, "mention", f"{_name(ws, agent)} mentioned you on #{conversation_id}, which you cannot read; "
                     "ask them or a supervisor", conversation_id, agents=[m for m in mentioned if m not in readers], exclude=[agent])
        ws.db.changed(s, [conversation_id])
    who = f" ({', '.join('@' + m for m in dict.fromkeys(mentioned))} alerted)" if mentioned else ""
    return ActionResult(True, f"note added to {_label(conv)}{who}", conversation_id)


def set_confidential(ws: Workspace, agent: str, conversation_id: int, confidential: bool, now: datetime) -> ActionResult:
    with ws.db.write() as s:
        conv = get_conversation(s, conversation_id, lock=True)
        if (refused := _unreadable(ws, agent, conv, now)) is not None:
            return refused
        if agent not in (conv.owner, conv.exclusive_agent) and not ws.config.is_supervisor(agent):
            return _refused("only the owner or a supervisor can change confidentiality", conversation_id)
        s.execute(update(Conversation).where(col(Conversation.id) == conversation_id).values(confidential=confidential, updated_at=now))
        record_event(s, conversation_id, agent, "confidential",
                     f"{_name(ws, agent)} marked it {'confidential' if confidential else 'not confidential'}", now)
        ws.db.changed(s, [conversation_id])
    return ActionResult(True, f"#{conversation_id} is {'confidential' if confidential else 'no longer confidential'}", conversation_id)


# -- replies ----------------------------------------------------------------------------------
def check_header_value(name: str, value: str) -> None:
    """Refuse CR or LF in any header value: they would let a value inject headers."""
    if HEADER_BREAK.search(value):
        raise ActionRefused(f"the {name} contains a line break, which is not allowed in a mail header")


def reply(
    ws: Workspace,
    agent: str,
    conversation_id: int,
    body: str,
    to: Sequence[str],
    cc: Sequence[str],
    now: datetime,
    seen_version: int | None = None,
    confirmed_recipients: bool = False,
    subject: str | None = None,
) -> ActionResult:
    """Store a reply and queue it in the outbox (the syncer sends it); every pending message counts as replied."""
    to = tuple(a.strip() for a in to if a.strip())
    cc = tuple(a.strip() for a in cc if a.strip())
    if not to:
        raise ActionRefused("a reply needs at least one recipient")
    if not body.strip():
        raise ActionRefused("the reply is empty")
    for address in (*to, *cc):
        check_header_value("recipient", address)
        if "@" not in address or " " in address:
            raise ActionRefused(f"{address!r} is not a mail address")
    limit = ws.config.routing.recipient_limit
    if len(to) + len(cc) > limit and not confirmed_recipients:
        return _refused(
            f"this reply goes to {len(to) + len(cc)} recipients (more than {limit}): confirm to send it to all of them",
            conversation_id,
        )
    with ws.db.write() as s:
        conv = get_conversation(s, conversation_id, lock=True)
        if (refused := _unreadable(ws, agent, conv, now)) is not None:
            return refused
        if conv.owner not in (None, agent) and not ws.config.is_supervisor(agent):
            return _refused(f"{_label(conv)} is {_name(ws, conv.owner)}'s; take it back first (t) to reply", conversation_id)
        if conv.kind == "request":
            return _refused(f"{_label(conv)} is a request between teams, not mail: answer it with "
                            f"`comptoir request-state {conversation_id} answered TEXT` (or the request key, Q)", conversation_id)
        if seen_version is not None and conv.version != seen_version:
            newer = list(
                s.exec(
                    select(Message).where(Message.conversation_id == conversation_id, Message.direction != "note")
                    .order_by(col(Message.id).desc()).limit(max(conv.version - seen_version, 1))
                )
            )
            what = "; ".join(
                f"a new message from {m.from_addr}" if m.direction == "inbound" else f"a reply by {_name(ws, m.author)}"
                for m in reversed(newer)
            )
            return _refused(f"{_label(conv)} changed since you opened it ({what}); read it, then send again", conversation_id)
        subject = subject if subject is not None else _reply_subject(conv.subject)
        check_header_value("subject", subject)
        from_addr = conv.via_address or _default_from(ws)
        check_header_value("sender", from_addr)
        account = _account_for(ws, from_addr)
        last_in = s.exec(
            select(Message).where(Message.conversation_id == conversation_id, Message.direction == "inbound")
            .order_by(col(Message.id).desc()).limit(1)
        ).first()
        references = list(last_in.references) if last_in else []
        if last_in and last_in.message_id:
            references = [*references, last_in.message_id][-20:]
        domain = from_addr.rpartition("@")[2] or "comptoir.invalid"
        our_id = make_msgid(domain=domain)
        signature = signature_for(ws, from_addr, conv.team)
        full_body = body.rstrip() + (f"\n\n-- \n{signature}" if signature else "") + "\n"
        msg = Message(
            conversation_id=conversation_id, direction="outbound", message_id=our_id,
            in_reply_to=last_in.message_id if last_in else None, references=references, from_addr=from_addr,
            from_name=_name(ws, agent), to_addrs=list(to), cc_addrs=list(cc), subject=subject, sent_at=None,
            received_at=now, text=full_body, disposition="none", author=agent,
        )
        s.add(msg)
        s.flush()
        s.add(
            OutboxItem(
                kind="reply", conversation_id=conversation_id, message_row_id=msg.id, author=agent, account=account,
                from_addr=from_addr, to_addrs=list(to), cc_addrs=list(cc), subject=subject, body=full_body,
                in_reply_to=msg.in_reply_to, references=references, our_message_id=our_id, state="queued",
                next_attempt_at=now, created_at=now,
            )
        )
        index_message(s, msg.id, conversation_id, subject, full_body, _name(ws, agent), " ".join((*to, *cc)))
        replied = s.execute(
            update(Message)
            .where(col(Message.conversation_id) == conversation_id, col(Message.direction) == "inbound",
                   col(Message.disposition) == "pending")
            .values(disposition="replied", disposed_by=agent, disposed_at=now)
        ).rowcount
        s.execute(
            update(Conversation).where(col(Conversation.id) == conversation_id).values(
                owner=conv.owner or agent, pending_count=0, state="waiting", deadline=NO_DEADLINE, snoozed_until=None,
                next_step_at=None,
                updated_at=now, last_message_at=now, message_count=Conversation.message_count + 1,
                version=Conversation.version + 1,
            )
        )
        record_event(s, conversation_id, agent, "reply",
                     f"{_name(ws, agent)} replied to {', '.join((*to, *cc))} ({counted(replied, 'message')} answered)", now,
                     message_id=msg.id, our_message_id=our_id)
        ws.db.changed(s, [conversation_id])
    return ActionResult(True, f"reply to {_label(conv)} queued for sending", conversation_id)


def resend(ws: Workspace, agent: str, message_id: int, now: datetime) -> ActionResult:
    """Queue a failed reply again (after a permanent refusal was fixed, or an interrupted send was checked)."""
    with ws.db.write() as s:
        item = s.exec(select(OutboxItem).where(OutboxItem.message_row_id == message_id)).first()
        if item is None:
            return _refused(f"message {message_id} is not a reply of ours")
        if (refused := _unreadable(ws, agent, get_conversation(s, item.conversation_id), now)) is not None:
            return refused
        if item.state != "failed":
            return _refused(f"message {message_id} is {item.state}, not failed; nothing to resend", item.conversation_id)
        s.execute(update(OutboxItem).where(col(OutboxItem.id) == item.id, col(OutboxItem.state) == "failed")
                  .values(state="queued", attempts=0, next_attempt_at=now, last_answer=f"resent by {agent}"))
        record_event(s, item.conversation_id, agent, "resend", f"{_name(ws, agent)} queued message {message_id} again", now,
                     message_id=message_id)
        ws.db.changed(s, [item.conversation_id])
    return ActionResult(True, f"message {message_id} queued for sending again", item.conversation_id)


def _reply_subject(subject: str) -> str:
    subject = HEADER_BREAK.sub(" ", subject).strip()
    return subject if subject.lower().startswith("re:") else f"Re: {subject}"


def _default_from(ws: Workspace) -> str:
    if ws.config.accounts:
        return ws.config.accounts[0].address
    for team in ws.config.teams:
        if team.addresses:
            return team.addresses[0]
    raise ActionRefused("no team address to send from: add an account to comptoir.toml")


def _account_for(ws: Workspace, from_addr: str) -> str:
    for account in ws.config.accounts:
        if account.address.lower() == from_addr.lower():
            return account.name
    return ws.config.accounts[0].name if ws.config.accounts else ""


# -- presence and alerts ------------------------------------------------------------------------
def set_presence(ws: Workspace, agent: str, status: str, until: datetime | None, now: datetime) -> ActionResult:
    """available / away / vacation (until a date); vacation returns open conversations to their teams."""
    if status not in PRESENCE_STATES:
        raise ActionRefused(f"presence is one of {', '.join(PRESENCE_STATES)}")
    if until is not None and until <= now:
        raise ActionRefused("'until' must be in the future")
    _require_agent(ws, agent)
    returned: list[int] = []
    with ws.db.write() as s:
        p = s.get(Presence, agent) or Presence(agent=agent)
        p.status, p.until = status, (until if status != "available" else None)
        p.heartbeat_at = p.heartbeat_at or now
        s.add(p)
        text = f"{_name(ws, agent)} is {status}" + (f" until {until:%a %d %b}" if until and status != "available" else "")
        record_event(s, None, agent, "presence", text, now, status=status, until=until.isoformat() if until else None)
        if status == "vacation":
            returned = _return_to_teams(s, ws, agent, now)
        # A personal rung depends on its agent's presence: the next escalation pass looks at those again.
        s.execute(update(Conversation).where(
            col(Conversation.visibility) == "personal", col(Conversation.state) != "done",
            (col(Conversation.owner) == agent) | (col(Conversation.exclusive_agent) == agent),
        ).values(next_step_at=now))
        ws.db.changed(s, [None, *returned], kind="presence")
    extra = (f"; {counted(len(returned), 'open conversation')} went back to {'its team' if len(returned) == 1 else 'their teams'}"
             if returned else "")
    return ActionResult(True, text + extra)


def _return_to_teams(s: Session, ws: Workspace, agent: str, now: datetime) -> list[int]:
    convs = list(
        s.exec(
            select(Conversation).where(
                col(Conversation.state).in_(("open", "waiting", "snoozed")),
                (col(Conversation.owner) == agent) | (col(Conversation.exclusive_agent) == agent),
            ).with_for_update()
        )
    )
    for conv in convs:
        s.execute(
            update(Conversation).where(col(Conversation.id) == conv.id)
            .values(owner=None, exclusive_agent=None, visibility="team" if conv.team else "everyone", updated_at=now,
                    next_step_at=now)
        )
        record_event(s, conv.id, "system", "vacation", f"{_name(ws, agent)} went on vacation: back to {conv.team or 'everyone'}", now)
        raise_alerts(s, ws, now, "returned", f"{_name(ws, agent)} is on vacation: {_label(conv)} is back with the team",
                     conv.id, teams=[conv.team] if conv.team else [], exclude=[agent])
    return [c.id for c in convs]


def heartbeat(ws: Workspace, agent: str, viewing: int | None, replying: int | None, now: datetime) -> None:
    with ws.db.write() as s:
        p = s.get(Presence, agent)
        changed = p is None or (p.viewing_id, p.replying_id) != (viewing, replying)
        p = p or Presence(agent=agent)
        p.heartbeat_at, p.viewing_id, p.replying_id = now, viewing, replying
        s.add(p)
        if changed:
            ws.db.changed(s, [c for c in (viewing, replying) if c is not None] or [None], kind="presence")


def acknowledge(ws: Workspace, agent: str, alert_id: int | None, now: datetime) -> int:
    with ws.db.write() as s:
        stmt = update(Alert).where(col(Alert.agent) == agent, col(Alert.acknowledged_at).is_(None))
        if alert_id is not None:
            stmt = stmt.where(col(Alert.id) == alert_id)
        count = s.execute(stmt.values(acknowledged_at=now)).rowcount
        if count:
            ws.db.changed(s, [None], kind="alert")
    return count


def external_alert(
    ws: Workspace, text: str, now: datetime, to_agent: str | None = None, to_team: str | None = None,
    source: str = "cli", conversation_id: int | None = None,
) -> list[str]:
    """An alert raised by another tool (`comptoir alert`)."""
    if bool(to_agent) == bool(to_team):
        raise ActionRefused("alert exactly one of --to AGENT or --team TEAM")
    if to_agent:
        _require_agent(ws, to_agent)
    if to_team:
        ws.config.require_team(to_team)
    if not text.strip():
        raise ActionRefused("the alert text is empty")
    with ws.db.write() as s:
        got = raise_alerts(s, ws, now, "external", text.strip(), conversation_id,
                           agents=[to_agent] if to_agent else [], teams=[to_team] if to_team else [], source=source)
        record_event(s, conversation_id, source, "alert", f"alert from {source}: {text.strip()[:100]}", now, to=got)
    return got


