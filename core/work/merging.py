"""Merge two conversations of one customer, split a message out into its own, and undo either from the
history.

A merge moves every message (notes included), its attachments, search entries and history events into the
target; the source is left closed and empty, its event pointing at the target. The merge event keeps what
moved and how the source was, so "undo merge" moves exactly those back. A split moves one message (and
nothing else) into a new conversation of the same customer, team and owner; "undo split" merges it back.
Counters (pending, messages, last message, deadline) are recomputed from the messages after each move.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from core.errors import ActionRefused
from core.store.models import NO_DEADLINE, Conversation, Event, Message, OutboxItem, id_of, stored_ids
from core.work.journal import move_events, record_change, record_event
from core.work.queries import get_conversation
from core.work.verb_support import agent_name as _name
from core.work.verb_support import conversation_label as _label
from core.work.verb_support import refused as _refused
from core.work.verb_support import unreadable as _unreadable
from core.work.views import ActionResult
from core.workspace.folder import Workspace
from routing.wording import counted

UNDO_LABELS = {"merge": "undo merge", "split": "undo split"}


def _may_change(ws: Workspace, agent: str, conv: Conversation) -> str | None:
    """Moving messages is for whoever may work the conversation: its owner, anyone while nobody owns it,
    or a supervisor."""
    if conv.owner not in (None, agent) and not ws.config.is_supervisor(agent):
        return f"{_label(conv)} is {_name(ws, conv.owner)}'s; take it back first (t)"
    return None


def _move(s: Session, ws: Workspace, message_ids: list[int], event_ids: list[int], to_id: int) -> None:
    """Messages (with their attachments, which hang off them), search entries and events to another conversation."""
    if message_ids:
        s.execute(update(Message).where(col(Message.id).in_(message_ids)).values(conversation_id=to_id))
        # A reply still in the outbox reports its sending on the conversation its message is in now.
        s.execute(
            update(OutboxItem).where(col(OutboxItem.message_row_id).in_(message_ids)).values(conversation_id=to_id)
        )
        if not ws.db.is_sqlite:
            # PostgreSQL's search rows keep the conversation too; SQLite's contentless index has none (a match
            # reads it from the message, core.store.fts_query).
            from sqlalchemy import bindparam, text

            s.execute(
                text("UPDATE search_doc SET conversation_id = :c WHERE message_id IN :ids").bindparams(
                    bindparam("ids", expanding=True)
                ),
                {"c": to_id, "ids": message_ids},
            )
    move_events(s, event_ids, to_id)


def _recount(s: Session, conv_id: int, now: datetime, state: str | None = None) -> None:
    """Counters from the messages the conversation holds now; an open one with pending mail is due at once."""
    count, last = s.execute(
        select(func.count(col(Message.id)), func.max(Message.received_at)).where(Message.conversation_id == conv_id)
    ).one()
    pending = s.execute(
        select(func.count(col(Message.id))).where(
            Message.conversation_id == conv_id, Message.direction == "inbound", Message.disposition == "pending"
        )
    ).scalar()
    values: dict[str, object] = {
        "message_count": count,
        "pending_count": pending,
        "last_message_at": last,
        "updated_at": now,
        "version": Conversation.version + 1,
    }
    if state is not None:
        values["state"] = state
    if state == "done":
        values.update(deadline=NO_DEADLINE, next_step_at=None, snoozed_until=None)
    elif pending:
        # The deadline its windows give (overdue ones keep their past moment); routing.escalate decides the
        # rest at the next pass.
        from core.work.escalation import next_deadline

        conv = s.get(Conversation, conv_id)
        if conv is None:
            raise LookupError(f"conversation #{conv_id} to recount is not stored")
        s.refresh(conv)
        deadline = next_deadline(conv.visibility, conv.exclusive_until, conv.team_until, True, now)
        values.update(next_step_at=now, deadline=now if deadline == NO_DEADLINE else deadline)
        if state is None:
            values["state"] = "open"
    else:
        values.update(deadline=NO_DEADLINE)
    s.execute(update(Conversation).where(col(Conversation.id) == conv_id).values(**values))


def merge(ws: Workspace, agent: str, source_id: int, target_id: int, now: datetime) -> ActionResult:
    """Move everything of `source_id` into `target_id` (same customer); the source closes, empty."""
    if source_id == target_id:
        raise ActionRefused("a conversation cannot be merged into itself")
    with ws.db.write() as s:
        source = get_conversation(s, source_id, lock=True)
        target = get_conversation(s, target_id, lock=True)
        for conv in (source, target):
            if (refused := _unreadable(ws, agent, conv, now)) is not None:
                return refused
            if (why := _may_change(ws, agent, conv)) is not None:
                return _refused(why, conv.id)
        if source.visibility == "personal" and source.exclusive_agent not in (None, agent):
            return _refused(
                f"#{source_id} is personal mail for {_name(ws, source.exclusive_agent)} inside its exclusive "
                "window: only they can merge it (its content would reach the target's readers)",
                source_id,
            )
        if source.customer_address.lower() != target.customer_address.lower():
            return _refused(
                f"#{source_id} is with {source.customer_address} and #{target_id} with "
                f"{target.customer_address}: only conversations of the same customer merge",
                source_id,
            )
        message_ids = stored_ids(s.exec(select(col(Message.id)).where(Message.conversation_id == source_id)))
        if not message_ids:
            return _refused(f"{_label(source)} has no messages to merge (merged already?)", source_id)
        event_ids = stored_ids(s.exec(select(col(Event.id)).where(Event.conversation_id == source_id)))
        before = {
            "state": source.state,
            "owner": source.owner,
            "team": source.team,
            "visibility": source.visibility,
            "exclusive_agent": source.exclusive_agent,
            "target_confidential": target.confidential,
        }
        _move(s, ws, message_ids, event_ids, target_id)
        _recount(s, source_id, now, state="done")
        _recount(s, target_id, now, state="open" if target.state == "done" and source.pending_count else None)
        s.execute(
            update(Conversation)
            .where(col(Conversation.id) == source_id)
            .values(owner=source.owner or agent, exclusive_agent=None)
        )
        if source.confidential and not target.confidential:
            # What was confidential stays so: the target's readers narrow to the confidential rule's.
            s.execute(update(Conversation).where(col(Conversation.id) == target_id).values(confidential=True))
        what = f"{counted(len(message_ids), 'message')} and {counted(len(event_ids), 'event')}"
        record_event(
            s,
            target_id,
            agent,
            "merge",
            f"{_name(ws, agent)} merged #{source_id} \u201c{source.subject[:60]}\u201d into this one ({what})",
            now,
            source=source_id,
            target=target_id,
            messages=message_ids,
            events=event_ids,
            before=before,
        )
        record_event(
            s,
            source_id,
            agent,
            "merged_away",
            f"{_name(ws, agent)} merged this conversation into #{target_id}",
            now,
            target=target_id,
        )
        record_change(s, [source_id, target_id])
    return ActionResult(True, f"#{source_id} merged into #{target_id} ({what})", target_id)


def split(ws: Workspace, agent: str, message_id: int, now: datetime) -> ActionResult:
    """Move one message out into a new conversation of the same customer, team and owner."""
    with ws.db.write() as s:
        msg = s.get(Message, message_id)
        if msg is None:
            raise ActionRefused(f"there is no message {message_id}")
        conv = get_conversation(s, msg.conversation_id, lock=True)
        if (refused := _unreadable(ws, agent, conv, now)) is not None:
            return refused
        if (why := _may_change(ws, agent, conv)) is not None:
            return _refused(why, conv.id)
        if msg.direction == "note":
            return _refused(
                f"message {message_id} is a note: split a mail out, notes stay with their conversation", conv.id
            )
        total = s.execute(select(func.count(col(Message.id))).where(Message.conversation_id == conv.id)).scalar_one()
        if total <= 1:
            return _refused(f"message {message_id} is all of {_label(conv)}: nothing to split it from", conv.id)
        new = Conversation(
            subject=msg.subject or conv.subject,
            contact_id=conv.contact_id,
            customer_address=conv.customer_address,
            customer_name=conv.customer_name,
            via_address=conv.via_address,
            team=conv.team,
            # Personal mail stays personal, and confidential stays confidential, in its own conversation.
            owner=conv.owner or agent,
            visibility=conv.visibility,
            exclusive_agent=conv.exclusive_agent,
            exclusive_until=conv.exclusive_until,
            state="open",
            priority=conv.priority,
            confidential=conv.confidential,
            automated=conv.automated,
            created_at=now,
            updated_at=now,
            deadline=NO_DEADLINE,
            shared_reply=conv.shared_reply,
            team_until=conv.team_until,
            thread_key=None,
            routing_reasons=[{"code": "split", "text": f"split out of #{conv.id} by {_name(ws, agent)}"}],
        )
        s.add(new)
        s.flush()
        _move(s, ws, [message_id], [], id_of(new))
        pending_state = "open" if msg.direction == "inbound" and msg.disposition == "pending" else "waiting"
        _recount(s, id_of(new), now, state=pending_state)
        _recount(s, id_of(conv), now)
        record_event(
            s,
            new.id,
            agent,
            "split",
            f"{_name(ws, agent)} split message {message_id} out of #{conv.id} into this conversation",
            now,
            source=conv.id,
            target=new.id,
            messages=[message_id],
        )
        record_event(
            s,
            conv.id,
            agent,
            "split_away",
            f"{_name(ws, agent)} split message {message_id} out into #{new.id}",
            now,
            target=new.id,
            messages=[message_id],
        )
        record_change(s, [conv.id, new.id])
        new_id = new.id
    return ActionResult(True, f"message {message_id} is conversation #{new_id} now", new_id)


def undo(ws: Workspace, agent: str, event_id: int, now: datetime) -> ActionResult:
    """Undo a merge (its messages and events go back, the source is as it was) or a split (the message goes
    back, the split-out conversation closes); refused when what it moved has moved on since."""
    with ws.db.read() as s:
        event = s.get(Event, event_id)
        if event is None or event.kind not in UNDO_LABELS:
            raise ActionRefused(f"event {event_id} is not a merge or a split: only those can be undone here")
        details = dict(event.details)
    source_id, target_id = int(details["source"]), int(details["target"])
    message_ids = [int(i) for i in details.get("messages", [])]
    with ws.db.write() as s:
        source = get_conversation(s, source_id, lock=True)
        target = get_conversation(s, target_id, lock=True)
        for conv in (source, target):
            if (refused := _unreadable(ws, agent, conv, now)) is not None:
                return refused
            if (why := _may_change(ws, agent, conv)) is not None and conv.id == target_id:
                return _refused(why, conv.id)
        here = set(
            s.exec(select(Message.id).where(col(Message.id).in_(message_ids), Message.conversation_id == target_id))
        )
        if here != set(message_ids):
            return _refused(f"event {event_id} was undone already, or its messages moved on since", target_id)
        if event.kind == "merge":
            event_ids = [int(i) for i in details.get("events", [])]
            _move(s, ws, message_ids, event_ids, source_id)
            before = details.get("before", {})
            _recount(s, source_id, now, state=before.get("state", "open"))
            s.execute(
                update(Conversation)
                .where(col(Conversation.id) == source_id)
                .values(
                    owner=before.get("owner"),
                    team=before.get("team"),
                    visibility=before.get("visibility", "team"),
                    exclusive_agent=before.get("exclusive_agent"),
                )
            )
            if "target_confidential" in before:
                s.execute(
                    update(Conversation)
                    .where(col(Conversation.id) == target_id)
                    .values(confidential=bool(before["target_confidential"]))
                )
            _recount(s, target_id, now)
            text = (
                f"{_name(ws, agent)} undid the merge of #{source_id}: {counted(len(message_ids), 'message')} went back"
            )
            record_event(s, target_id, agent, "unmerge", text, now, undoes=event_id, source=source_id)
            record_event(s, source_id, agent, "unmerge", text, now, undoes=event_id, target=target_id)
            result = ActionResult(
                True, f"merge undone: #{source_id} is back with {counted(len(message_ids), 'message')}", source_id
            )
        else:
            _move(s, ws, message_ids, [], source_id)
            _recount(s, source_id, now)
            _recount(s, target_id, now, state="done")
            text = f"{_name(ws, agent)} undid the split: message {', '.join(map(str, message_ids))} went back to #{source_id}"
            record_event(s, source_id, agent, "unsplit", text, now, undoes=event_id, target=target_id)
            record_event(s, target_id, agent, "unsplit", text, now, undoes=event_id, source=source_id)
            result = ActionResult(
                True, f"split undone: message {', '.join(map(str, message_ids))} is back in #{source_id}", source_id
            )
        record_change(s, [source_id, target_id])
    return result


def undo_label(s: Session, event: Event) -> str | None:
    """'undo merge' / 'undo split' while the event's messages are still where it put them."""
    label = UNDO_LABELS.get(event.kind)
    if label is None:
        return None
    ids = [int(i) for i in (event.details or {}).get("messages", [])]
    target = (event.details or {}).get("target")
    if not ids or target is None:
        return None
    here = s.execute(
        select(func.count(col(Message.id))).where(col(Message.id).in_(ids), Message.conversation_id == int(target))
    ).scalar()
    return label if here == len(ids) else None
