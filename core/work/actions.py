"""The verbs: each action is one transaction writing the state change, an audit event, the alerts
for exactly the people concerned, and a change-log entry other processes pick up.

Ownership changes are guarded updates (`UPDATE ... WHERE owner IS NULL`) whose row count decides
who won, so two agents claiming at once can never both succeed, on SQLite or PostgreSQL.
Replies (core.work.replies) and presence (core.work.presence) live in their own modules; every verb is
reachable here as `actions.<verb>`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, insert, update
from sqlmodel import Session, col, select

from core.errors import ActionRefused, UnknownName
from core.store.models import NO_DEADLINE, Conversation, ConversationTag, Message, id_of, rows_changed
from core.store.search import index_message
from core.work import drafts
from core.work.access import Guard, Reader
from core.work.alerting import PICK_UP_KINDS
from core.work.claiming import claim
from core.work.journal import (
    acknowledge_alerts,
    acknowledge_conversation_alerts,
    raise_alerts,
    record_change,
    record_event,
    settle,
    settle_claimed,
)
from core.work.journal import (
    mark_alerts_seen as _mark_seen,
)
from core.work.presence import heartbeat, set_presence, vacation_preview
from core.work.queries import get_conversation
from core.work.replies import reply, resend
from core.work.undo_data import undo_data
from core.work.verb_support import agent_name as _name
from core.work.verb_support import conversation_label as _label
from core.work.verb_support import refused as _refused
from core.work.verb_support import require_agent as _require_agent
from core.work.verb_support import unreadable as _unreadable
from core.work.views import ActionResult
from core.workspace.folder import Workspace
from routing.wording import counted, when

__all__ = [
    "acknowledge",
    "assign",
    "claim",
    "dispose",
    "done",
    "external_alert",
    "heartbeat",
    "note",
    "pending_messages",
    "release",
    "reopen",
    "reply",
    "resend",
    "set_confidential",
    "set_presence",
    "snooze",
    "take_back",
    "acknowledge_conversation",
    "mark_alerts_seen",
    "vacation_preview",
    "set_tags",
    "dispose_pending",
]

MENTION = re.compile(r"(?<![\w.])@([a-z_][a-z0-9_.-]*)", re.IGNORECASE)


# -- ownership ------------------------------------------------------------------------------
def release(ws: Workspace, agent: str, conversation_id: int, now: datetime) -> ActionResult:
    """Give a conversation back to its team (owner or supervisor only)."""
    with ws.db.write() as s:
        conv = get_conversation(s, conversation_id)
        if conv.owner is None:
            return _refused(f"{_label(conv)} has no owner", conversation_id)
        if conv.owner != agent and not ws.config.is_supervisor(agent):
            return _refused(
                f"{_label(conv)} is {_name(ws, conv.owner)}'s; only they or a supervisor can release it",
                conversation_id,
            )
        previous = conv.owner
        # Read before the UPDATE: a bulk update also refreshes `conv` in the session.
        before = {"owner": previous, "exclusive_agent": conv.exclusive_agent, "visibility": conv.visibility}
        result = s.execute(
            update(Conversation)
            .where(col(Conversation.id) == conversation_id, col(Conversation.owner) == previous)
            .values(
                owner=None,
                exclusive_agent=None,
                visibility="team" if conv.team else "everyone",
                updated_at=now,
                next_step_at=now,
            )
        )
        if rows_changed(result) != 1:
            return _refused(f"{_label(conv)} changed hands meanwhile; look again", conversation_id)
        visibility = "team" if conv.team else "everyone"
        event_id = record_event(
            s,
            conversation_id,
            agent,
            "release",
            f"{_name(ws, agent)} released it to {conv.team or 'everyone'}",
            now,
            undo=undo_data(before, {"owner": None, "visibility": visibility}),
        )
        teams = [conv.team] if conv.team else []
        settle(s, conversation_id, now, agent=agent)
        raise_alerts(
            s,
            ws,
            now,
            "released",
            f"{_name(ws, agent)} released {_label(conv)} to the team",
            conversation_id,
            teams=teams,
            agents=[previous] if previous != agent else [],
            exclude=[agent],
        )
        record_change(s, [conversation_id])
    return ActionResult(True, f"{_label(conv)} released to {conv.team or 'everyone'}", conversation_id, undo=event_id)


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
        before = {
            "owner": previous,
            "exclusive_agent": conv.exclusive_agent,
            "team": conv.team,
            "visibility": conv.visibility,
            "state": conv.state,
        }
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
            .where(
                col(Conversation.id) == conversation_id,
                col(Conversation.version) == conv.version,
                col(Conversation.owner).is_(None) if previous is None else col(Conversation.owner) == previous,
            )
            .values(**values)
        )
        if rows_changed(result) != 1:
            return _refused(f"{_label(conv)} changed meanwhile; look again", conversation_id)
        took = (
            f"{_name(ws, agent)} took it from {_name(ws, previous)} and "
            if previous and previous != agent
            else f"{_name(ws, agent)} "
        )
        text = f"{took}handed it to {target}" if (to_team or to_agent != agent) else f"{took}took it"
        if note:
            text += f": {note}"
        after = {"owner": values.get("owner"), "team": values.get("team", before["team"])}
        event_id = record_event(
            s,
            conversation_id,
            agent,
            "assign",
            text,
            now,
            to_agent=to_agent,
            to_team=to_team,
            previous=previous,
            note=note,
            undo=undo_data(before, after),
        )
        if note:
            _add_note(s, ws, conv, agent, note, now)
        alert_text = f"{_name(ws, agent)}: {_label(conv)} " + (
            "is yours now" if to_agent else f"goes to team {to_team}"
        )
        if note:
            alert_text += f" \u2014 {note}"
        # Whoever acts has dealt with it; handed to one agent, nobody else is asked to pick it up any more.
        settle(s, conversation_id, now, agent=agent)
        if to_agent:
            settle(s, conversation_id, now, others_than=to_agent, kinds=PICK_UP_KINDS)
        # The previous owner gets the "taken" alert below, not a second one as a member of the new team.
        losing = previous if previous and previous not in (agent, to_agent) else None
        raise_alerts(
            s,
            ws,
            now,
            "assigned",
            alert_text,
            conversation_id,
            agents=[to_agent] if to_agent else [],
            teams=[to_team] if to_team else [],
            exclude=[agent, losing] if losing else [agent],
        )
        if losing:
            raise_alerts(
                s,
                ws,
                now,
                "taken",
                f"{_name(ws, agent)} took {_label(conv)} from you",
                conversation_id,
                agents=[losing],
            )
        record_change(s, [conversation_id])
    return ActionResult(True, f"{_label(conv)} \u2192 {target}", conversation_id, to_agent, undo=event_id)


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
        before = {"pending_count": conv.pending_count, "deadline": conv.deadline}
        result = s.execute(
            update(Message)
            .where(col(Message.id) == message_id, col(Message.disposition) == "pending")
            .values(disposition="no_action", disposition_reason=reason, disposed_by=agent, disposed_at=now)
        )
        if rows_changed(result) != 1:
            return _refused(
                f"message {message_id} was already worked out ({msg.disposition.replace('_', ' ')})", conv.id
            )
        pending = max(conv.pending_count - 1, 0)
        values: dict[str, object] = {"pending_count": pending, "updated_at": now}
        if pending == 0 and conv.state == "open":
            values["deadline"] = NO_DEADLINE
            values["next_step_at"] = None
        s.execute(update(Conversation).where(col(Conversation.id) == conv.id).values(**values))
        # Nothing left to work out: nobody needs an alert about it; else the agent has seen to their part.
        settle(s, id_of(conv), now, **({} if pending == 0 else {"agent": agent}))
        event_id = record_event(
            s,
            conv.id,
            agent,
            "no_action",
            f"{_name(ws, agent)}: no action needed for message {message_id} ({reason})",
            now,
            message_id=message_id,
            reason=reason,
            undo=undo_data(before, {"pending_count": pending}, message_id=message_id),
        )
        record_change(s, [conv.id])
    return ActionResult(True, f"message {message_id}: no action needed", conv.id, undo=event_id)


def pending_messages(s: Session, conversation_id: int) -> list[Message]:
    return list(
        s.exec(
            select(Message)
            .where(
                Message.conversation_id == conversation_id,
                Message.direction == "inbound",
                Message.disposition == "pending",
            )
            .order_by(col(Message.id))
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
        before = {
            "state": conv.state,
            "deadline": conv.deadline,
            "snoozed_until": conv.snoozed_until,
            "owner": conv.owner,
        }
        s.execute(
            update(Conversation)
            .where(col(Conversation.id) == conversation_id)
            .values(
                state="done",
                deadline=NO_DEADLINE,
                snoozed_until=None,
                updated_at=now,
                owner=conv.owner or agent,
                next_step_at=None,
                **(
                    {"request_state": "done"}
                    if conv.kind == "request" and conv.request_state not in ("done", "declined")
                    else {}
                ),
            )
        )
        event_id = record_event(
            s,
            conversation_id,
            agent,
            "done",
            f"{_name(ws, agent)} closed it",
            now,
            undo=undo_data(before, {"state": "done"}),
        )
        settle(s, conversation_id, now)
        if conv.kind == "request" and conv.request_of is not None:
            record_event(
                s,
                conv.request_of,
                agent,
                "request_state",
                f"request #{conversation_id} to team {conv.team}: done",
                now,
                request=conversation_id,
                state="done",
            )
            record_change(s, [conv.request_of])
        record_change(s, [conversation_id])
    return ActionResult(True, f"{_label(conv)} is done", conversation_id, undo=event_id)


def reopen(ws: Workspace, agent: str, conversation_id: int, now: datetime) -> ActionResult:
    with ws.db.write() as s:
        conv = get_conversation(s, conversation_id, lock=True)
        if (refused := _unreadable(ws, agent, conv, now)) is not None:
            return refused
        if conv.state == "open":
            return ActionResult(True, f"{_label(conv)} is already open", conversation_id)
        before = {"state": conv.state, "deadline": conv.deadline, "snoozed_until": conv.snoozed_until}
        s.execute(
            update(Conversation)
            .where(col(Conversation.id) == conversation_id)
            .values(
                state="open", snoozed_until=None, updated_at=now, deadline=_open_deadline(conv, now), next_step_at=now
            )
        )
        event_id = record_event(
            s,
            conversation_id,
            agent,
            "reopen",
            f"{_name(ws, agent)} reopened it",
            now,
            undo=undo_data(before, {"state": "open"}),
        )
        record_change(s, [conversation_id])
    return ActionResult(True, f"{_label(conv)} is open again", conversation_id, undo=event_id)


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
        before = {
            "state": conv.state,
            "deadline": conv.deadline,
            "snoozed_until": conv.snoozed_until,
            "owner": conv.owner,
        }
        s.execute(
            update(Conversation)
            .where(col(Conversation.id) == conversation_id)
            .values(
                state="snoozed",
                snoozed_until=until,
                deadline=until,
                updated_at=now,
                owner=conv.owner or agent,
                next_step_at=until,
            )
        )
        settle_claimed(s, conversation_id, agent, now)
        event_id = record_event(
            s,
            conversation_id,
            agent,
            "snooze",
            f"{_name(ws, agent)} snoozed it until {when(until, None)}",
            now,
            until=until.isoformat(),
            undo=undo_data(before, {"state": "snoozed", "snoozed_until": until}),
        )
        record_change(s, [conversation_id])
    # Instants in texts are written by routing.wording.when; front ends show them in the reader's zone.
    return ActionResult(True, f"{_label(conv)} snoozed until {when(until, None)}", conversation_id, undo=event_id)


def _add_note(s: Session, ws: Workspace, conv: Conversation, agent: str, text: str, now: datetime) -> Message:
    note = Message(
        conversation_id=id_of(conv),
        direction="note",
        from_addr="",
        from_name=_name(ws, agent),
        subject="",
        text=text,
        received_at=now,
        sent_at=now,
        disposition="none",
        author=agent,
    )
    s.add(note)
    s.flush()
    index_message(s, id_of(note), id_of(conv), "", text, _name(ws, agent), "")
    s.execute(
        update(Conversation).where(col(Conversation.id) == conv.id).values(message_count=Conversation.message_count + 1)
    )
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
        drafts.remove(s, agent, conversation_id, "note")
        # Someone who may not read the conversation is told they were mentioned, not what the note says.
        guard = Guard.of(conv)
        readers = [m for m in mentioned if Reader.of(ws.config, m).may_read(guard, now)]
        raise_alerts(
            s,
            ws,
            now,
            "mention",
            f"{_name(ws, agent)} mentioned you on {_label(conv)}: {text[:80]}",
            conversation_id,
            agents=readers,
            exclude=[agent],
        )
        raise_alerts(
            s,
            ws,
            now,
            "mention",
            f"{_name(ws, agent)} mentioned you on #{conversation_id}, which you cannot read; ask them or a supervisor",
            conversation_id,
            agents=[m for m in mentioned if m not in readers],
            exclude=[agent],
        )
        record_change(s, [conversation_id])
    who = f" ({', '.join('@' + m for m in dict.fromkeys(mentioned))} alerted)" if mentioned else ""
    return ActionResult(True, f"note added to {_label(conv)}{who}", conversation_id)


def set_confidential(
    ws: Workspace, agent: str, conversation_id: int, confidential: bool, now: datetime
) -> ActionResult:
    with ws.db.write() as s:
        conv = get_conversation(s, conversation_id, lock=True)
        if (refused := _unreadable(ws, agent, conv, now)) is not None:
            return refused
        if agent not in (conv.owner, conv.exclusive_agent) and not ws.config.is_supervisor(agent):
            return _refused("only the owner or a supervisor can change confidentiality", conversation_id)
        before = {"confidential": conv.confidential}
        s.execute(
            update(Conversation)
            .where(col(Conversation.id) == conversation_id)
            .values(confidential=confidential, updated_at=now)
        )
        event_id = record_event(
            s,
            conversation_id,
            agent,
            "confidential",
            f"{_name(ws, agent)} marked it {'confidential' if confidential else 'not confidential'}",
            now,
            undo=undo_data(before, {"confidential": confidential}),
        )
        record_change(s, [conversation_id])
    return ActionResult(
        True,
        f"#{conversation_id} is {'confidential' if confidential else 'no longer confidential'}",
        conversation_id,
        undo=event_id,
    )


# -- alerts ---------------------------------------------------------------------------------------
def acknowledge(ws: Workspace, agent: str, alert_id: int | None, now: datetime) -> int:
    with ws.db.write() as s:
        return acknowledge_alerts(s, now, agent=agent, alert_id=alert_id)


def acknowledge_conversation(ws: Workspace, agent: str, conversation_id: int, now: datetime) -> int:
    """The agent opened the conversation: every alert of theirs about it is acknowledged."""
    with ws.db.write() as s:
        return acknowledge_conversation_alerts(s, agent, conversation_id, now)


def mark_alerts_seen(ws: Workspace, agent: str, alert_ids: Sequence[int], up_to: datetime, now: datetime) -> int:
    """The agent's alert list showed these alerts, raised up to `up_to`: they stop the bar blinking."""
    with ws.db.write() as s:
        return _mark_seen(s, agent, alert_ids, up_to, now)


def external_alert(
    ws: Workspace,
    text: str,
    now: datetime,
    to_agent: str | None = None,
    to_team: str | None = None,
    source: str = "cli",
    conversation_id: int | None = None,
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
        got = raise_alerts(
            s,
            ws,
            now,
            "external",
            text.strip(),
            conversation_id,
            agents=[to_agent] if to_agent else [],
            teams=[to_team] if to_team else [],
            source=source,
        )
        record_event(s, conversation_id, source, "alert", f"alert from {source}: {text.strip()[:100]}", now, to=got)
    return got


# -- tags -------------------------------------------------------------------------------------
def set_tags(
    ws: Workspace, agent: str, conversation_id: int, add: Sequence[str], remove: Sequence[str], now: datetime
) -> ActionResult:
    """Put shared tags on a conversation and take others off, in one transaction recorded in its history."""
    add, remove = tuple(dict.fromkeys(add)), tuple(dict.fromkeys(remove))
    if not add and not remove:
        raise ActionRefused("name a tag to add (+NAME) or remove (-NAME)")
    if both := set(add) & set(remove):
        raise ActionRefused(f"tag {sorted(both)[0]!r} is both added and removed; name it once")
    for name in (*add, *remove):
        if ws.config.tag(name) is None:
            known = ", ".join(t.name for t in ws.config.tags) or "none: an admin adds them to comptoir.toml as [[tags]]"
            raise UnknownName(f"there is no tag {name!r} (tags: {known})")
    with ws.db.write() as s:
        conv = get_conversation(s, conversation_id, lock=True)
        if (refused := _unreadable(ws, agent, conv, now)) is not None:
            return refused
        present = set(s.exec(select(ConversationTag.tag).where(ConversationTag.conversation_id == conversation_id)))
        added = [name for name in add if name not in present]
        removed = [name for name in remove if name in present]
        if not added and not removed:
            return ActionResult(True, f"{_label(conv)} has those tags already", conversation_id)
        if added:
            s.execute(
                insert(ConversationTag.__table__),  # type: ignore[attr-defined] # SQLModel adds __table__ at class creation; its typing omits it
                [
                    {"conversation_id": conversation_id, "tag": name, "added_by": agent, "added_at": now}
                    for name in added
                ],
            )
        if removed:
            s.execute(
                delete(ConversationTag).where(
                    col(ConversationTag.conversation_id) == conversation_id, col(ConversationTag.tag).in_(removed)
                )
            )
        s.execute(update(Conversation).where(col(Conversation.id) == conversation_id).values(updated_at=now))
        said = "; ".join(
            part
            for part in (
                f"added {', '.join(added)}" if added else "",
                f"removed {', '.join(removed)}" if removed else "",
            )
            if part
        )
        record_event(s, conversation_id, agent, "tag", f"{_name(ws, agent)} {said}", now, added=added, removed=removed)
        record_change(s, [conversation_id])
    return ActionResult(True, f"{_label(conv)}: tags {said}", conversation_id)


def dispose_pending(
    ws: Workspace, agent: str, conversation_id: int, reason: str, now: datetime, close: bool = False
) -> ActionResult:
    """Every pending inbound message of a conversation 'no action needed' with one reason, and with `close`
    the conversation done too: one transaction per conversation, so a bulk disposal fails one by one."""
    reason = reason.strip()
    if not reason:
        raise ActionRefused("say why no action is needed (a reason is required)")
    with ws.db.write() as s:
        conv = get_conversation(s, conversation_id, lock=True)
        if (refused := _unreadable(ws, agent, conv, now)) is not None:
            return refused
        if conv.state == "done":
            return _refused(f"{_label(conv)} is done already", conversation_id)
        pending = pending_messages(s, conversation_id)
        if not pending and not close:
            return _refused(f"{_label(conv)} has nothing pending to work out", conversation_id)
        if pending:
            s.execute(
                update(Message)
                .where(col(Message.id).in_([m.id for m in pending]), col(Message.disposition) == "pending")
                .values(disposition="no_action", disposition_reason=reason, disposed_by=agent, disposed_at=now)
            )
        values: dict[str, object] = {"pending_count": 0, "updated_at": now, "next_step_at": None}
        if conv.state == "open":
            values["deadline"] = NO_DEADLINE
        if close:
            values.update(state="done", deadline=NO_DEADLINE, snoozed_until=None, owner=conv.owner or agent)
        s.execute(update(Conversation).where(col(Conversation.id) == conversation_id).values(**values))
        said = f"no action needed for {counted(len(pending), 'message')} ({reason})"
        record_event(
            s,
            conversation_id,
            agent,
            "no_action",
            f"{_name(ws, agent)}: {said}",
            now,
            message_ids=[m.id for m in pending],
            reason=reason,
        )
        if close:
            record_event(s, conversation_id, agent, "done", f"{_name(ws, agent)} closed it", now)
        # Nothing left to work out: nobody needs an alert about it any more.
        settle(s, conversation_id, now)
        record_change(s, [conversation_id])
    return ActionResult(True, f"{_label(conv)}: {said}" + ("; done" if close else ""), conversation_id)
