"""Undo: the agent's last action reversed, through the server like any action, recorded as an "undo" event.

An undoable action stores in its audit event what it replaced and what it set (core.work.undo_data).
Undoing is one transaction that restores those values only where the action's own values are still in
place, so it never overwrites what someone did since: then it is refused, naming who changed what.

    claim, release, assign / take back, no action, done, reopen, snooze, confidential:
        for UNDO_SECONDS after the action.
    presence: the same; going back from vacation brings back the conversations nobody took meanwhile.
    reply: while the reply is held (workspace.send_delay) and the outbox has not taken it: the send is
        cancelled, the answered messages are pending again and the text goes back into the draft.
    note: cannot be undone (its mentions have alerted people); say so and add another note.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, text, update
from sqlmodel import Session, col, select

from core.errors import ActionRefused
from core.store.models import NO_DEADLINE, Conversation, Event, Message, Presence, rows_changed
from core.store.search import unindex_message
from core.work import drafts
from core.work.journal import acknowledge_alerts_raised_at, record_change, record_event
from core.work.queries import get_conversation
from core.work.undo_data import values
from core.work.verb_support import agent_name as _name
from core.work.verb_support import conversation_label as _label
from core.work.views import ActionResult
from core.workspace.folder import Workspace
from routing.wording import counted

UNDO_SECONDS = 10
"""How long an action can be undone, in the agent's own seconds (a demo's clock runs faster)."""
GRACE_SECONDS = 5
"""The server accepts an undo this much later than the app offers it, for a slow round trip."""

CANNOT_UNDO = {
    "note": "a note cannot be undone: its mentions have already alerted people; add another note to correct it",
    "undo": "an undo cannot itself be undone: do the action again",
    "resend": "a resend cannot be undone once queued",
}
WHAT = {
    "claim": "your claim",
    "release": "the release",
    "assign": "the transfer",
    "no_action": "'no action needed'",
    "done": "done",
    "reopen": "the reopening",
    "snooze": "the snooze",
    "confidential": "the confidentiality change",
    "presence": "the presence change",
    "reply": "the reply",
}
ALERT_KINDS = ("claimed", "released", "assigned", "taken", "returned")
"""Alerts an undone action raised; still unread, they are acknowledged with it (they are no longer true)."""


class _Changed(Exception):
    """Someone changed it since: roll the undo back and say so."""


def undo(ws: Workspace, agent: str, event_id: int, now: datetime) -> ActionResult:
    try:
        with ws.db.write() as s:
            event = s.get(Event, event_id)
            if event is None or event.actor != agent:
                # Another agent's event is not named: ids are guessable and its text may be confidential.
                raise ActionRefused(f"you have no action {event_id} to undo")
            data = (event.details or {}).get("undo")
            if data is None:
                return ActionResult(
                    False,
                    CANNOT_UNDO.get(event.kind, f"a {event.kind.replace('_', ' ')} cannot be undone"),
                    event.conversation_id,
                )
            if _already_undone(s, event):
                return ActionResult(False, f"{WHAT.get(event.kind, 'that')} was already undone", event.conversation_id)
            if event.kind == "reply":
                return _cancel_reply(s, ws, agent, event, data, now)
            age = (now - event.at).total_seconds() / max(ws.clock.speed, 1e-9)
            if age > UNDO_SECONDS + GRACE_SECONDS:
                return ActionResult(
                    False,
                    f"too late to undo {WHAT.get(event.kind, 'it')}: an action can be undone for "
                    f"{UNDO_SECONDS} s; do the opposite instead",
                    event.conversation_id,
                )
            if event.kind == "presence":
                return _undo_presence(s, ws, agent, event, data, now)
            return _undo_conversation(s, ws, agent, event, data, now)
    except _Changed as changed:
        return ActionResult(False, str(changed), None)


def _already_undone(s: Session, event: Event) -> bool:
    later = s.exec(
        select(Event).where(col(Event.id) > event.id, col(Event.kind) == "undo", col(Event.actor) == event.actor)
    ).all()
    return any((e.details or {}).get("undoes") == event.id for e in later)


def _changed_since(
    s: Session, ws: Workspace, event: Event, conversation_id: int, ignore: tuple[str, ...] = ()
) -> str | None:
    """What happened to the conversation after the event, as a refusal; None when nothing did."""
    later = s.exec(
        select(Event)
        .where(
            col(Event.conversation_id) == conversation_id,
            col(Event.id) > event.id,
            col(Event.kind).not_in(ignore or ("",)),
        )
        .order_by(col(Event.id))
    ).first()
    if later is None:
        return None
    who = (
        "you" if later.actor == event.actor else _name(ws, later.actor) if ws.config.agent(later.actor) else "Comptoir"
    )
    what = (later.details or {}).get("text", later.kind)
    return f"{who} changed #{conversation_id} since ({what}); nothing was undone"


def _guarded_restore(s: Session, conversation_id: int, data: dict[str, Any], now: datetime, **extra: Any) -> bool:
    """Put back the values the action replaced, only where the values it set are still there."""
    conditions = [col(Conversation.id) == conversation_id]
    for field, value in values(data["guard"]).items():
        column = col(getattr(Conversation, field))
        conditions.append(column.is_(None) if value is None else column == value)
    restored = {**values(data["before"]), **extra}
    if restored.get("deadline", NO_DEADLINE) is None:
        restored["deadline"] = NO_DEADLINE
    result = s.execute(update(Conversation).where(*conditions).values(**restored, updated_at=now, next_step_at=now))
    return rows_changed(result) == 1


def _acknowledge_alerts(s: Session, conversation_ids: list[int], at: datetime, now: datetime) -> None:
    acknowledge_alerts_raised_at(s, conversation_ids, at, ALERT_KINDS, now)


def _conversation_of(event: Event) -> int:
    """The conversation an undoable conversation action was on (only presence events have none)."""
    if event.conversation_id is None:
        raise ActionRefused(f"event {event.id} ({event.kind}) is on no conversation: there is nothing to undo there")
    return event.conversation_id


def _undo_conversation(
    s: Session, ws: Workspace, agent: str, event: Event, data: dict[str, Any], now: datetime
) -> ActionResult:
    conversation_id = _conversation_of(event)
    conv = get_conversation(s, conversation_id, lock=True)
    if (changed := _changed_since(s, ws, event, conversation_id)) is not None:
        raise _Changed(changed)
    if event.kind == "no_action":
        back = s.execute(
            update(Message)
            .where(col(Message.id) == data["message_id"], col(Message.disposition) == "no_action")
            .values(disposition="pending", disposition_reason=None, disposed_by=None, disposed_at=None)
        )
        if rows_changed(back) != 1:
            raise _Changed(f"message {data['message_id']} was worked out again since; nothing was undone")
    if not _guarded_restore(s, conversation_id, data, now):
        raise _Changed(f"{_label(conv)} changed since; nothing was undone")
    _acknowledge_alerts(s, [conversation_id], event.at, now)
    what = WHAT.get(event.kind, event.kind)
    details = event.details or {}
    if event.kind == "assign" and details.get("to_agent") == agent and details.get("previous") not in (None, agent):
        what = f"taking it back from {_name(ws, details['previous'])}"
    record_event(s, conversation_id, agent, "undo", f"{_name(ws, agent)} undid {what}", now, undoes=event.id)
    record_change(s, [conversation_id])
    return ActionResult(True, f"undone: {what} on {_label(conv)}", conversation_id)


def _undo_presence(
    s: Session, ws: Workspace, agent: str, event: Event, data: dict[str, Any], now: datetime
) -> ActionResult:
    presence = s.get(Presence, agent)
    if presence is None or presence.status != data["guard"]["status"]:
        raise _Changed("your presence changed since; nothing was undone")
    before = values(data["before"])
    presence.status, presence.until = before["status"], before["until"]
    s.add(presence)
    back: list[int] = []
    kept: list[str] = []
    for entry in data.get("returned", []):
        cid = entry["id"]
        # The per-conversation "went back" events of the same action are not a change by someone else.
        taken = _changed_since(s, ws, event, cid, ignore=("vacation",))
        restored = (
            taken is None
            and rows_changed(
                s.execute(
                    update(Conversation)
                    .where(
                        col(Conversation.id) == cid,
                        col(Conversation.owner).is_(None),
                        col(Conversation.state) != "done",
                    )
                    .values(
                        owner=entry["owner"],
                        exclusive_agent=entry["exclusive_agent"],
                        visibility=entry["visibility"],
                        updated_at=now,
                        next_step_at=now,
                    )
                )
            )
            == 1
        )
        if restored:
            back.append(cid)
            record_event(
                s, cid, agent, "undo", f"{_name(ws, agent)} came back at once: back to them", now, undoes=event.id
            )
        else:
            kept.append(f"#{cid}")
    _acknowledge_alerts(s, back, event.at, now)
    text_ = f"{_name(ws, agent)} is {presence.status} again (undo)"
    record_event(s, None, agent, "undo", text_, now, undoes=event.id, back=back)
    s.execute(
        update(Conversation)
        .where(
            col(Conversation.visibility) == "personal",
            col(Conversation.state) != "done",
            (col(Conversation.owner) == agent) | (col(Conversation.exclusive_agent) == agent),
        )
        .values(next_step_at=now)
    )
    record_change(s, [None, *back], kind="presence")
    message = f"undone: you are {presence.status} again"
    if back:
        message += f"; {counted(len(back), 'conversation')} came back to you"
    if kept:
        message += (
            f"; {len(kept)} stayed where {'it' if len(kept) == 1 else 'they'} went, someone worked on "
            f"{'it' if len(kept) == 1 else 'them'} meanwhile: {', '.join(kept[:10])}"
            + (" and more" if len(kept) > 10 else "")
        )
    return ActionResult(True, message)


def _cancel_reply(
    s: Session, ws: Workspace, agent: str, event: Event, data: dict[str, Any], now: datetime
) -> ActionResult:
    """Take a held reply out of the outbox before it is sent; its text goes back into the draft."""
    conversation_id = _conversation_of(event)
    message_id = data["message_id"]
    # The outbox claims an item with UPDATE ... WHERE state = 'queued'; whichever statement runs first wins.
    cancelled = rows_changed(
        s.execute(
            text("DELETE FROM outbox WHERE message_row_id = :m AND state = 'queued' AND attempts = 0"),
            {"m": message_id},
        )
    )
    if cancelled != 1:
        row = s.execute(text("SELECT state FROM outbox WHERE message_row_id = :m"), {"m": message_id}).first()
        state = row[0] if row else "gone"
        why = {
            "sending": "it is being sent right now",
            "sent": "it has already gone out",
            "failed": "it was already tried (see the alert)",
            "queued": "it was already tried once",
        }.get(state, state)
        return ActionResult(False, f"too late to cancel the reply: {why}", conversation_id)
    conv = get_conversation(s, conversation_id, lock=True)
    answered = data.get("answered", [])
    pending_again = 0
    if answered:
        pending_again = rows_changed(
            s.execute(
                update(Message)
                .where(
                    col(Message.id).in_(answered),
                    col(Message.disposition) == "replied",
                    col(Message.disposed_by) == agent,
                )
                .values(disposition="pending", disposed_by=None, disposed_at=None)
            )
        )
    cancelled_message = s.get(Message, message_id)
    if cancelled_message is not None:
        # The values it was indexed with (core.work.replies): the reply's subject, text, author and recipients.
        unindex_message(
            s,
            message_id,
            cancelled_message.subject,
            cancelled_message.text,
            cancelled_message.from_name,
            " ".join((*cancelled_message.to_addrs, *cancelled_message.cc_addrs, *cancelled_message.bcc_addrs)),
        )
    s.execute(delete(Message).where(col(Message.id) == message_id))
    counts = {"message_count": Conversation.message_count - 1, "version": Conversation.version + 1}
    if not _guarded_restore(s, conversation_id, data, now, **counts):
        # A new message arrived meanwhile: the send is still cancelled, and what it answered is pending again.
        before = values(data["before"])
        s.execute(
            update(Conversation)
            .where(col(Conversation.id) == conversation_id)
            .values(
                pending_count=Conversation.pending_count + pending_again,
                state="open" if pending_again and conv.state == "waiting" else conv.state,
                deadline=before["deadline"] if pending_again and conv.deadline == NO_DEADLINE else conv.deadline,
                updated_at=now,
                next_step_at=now,
                **counts,
            )
        )
    draft = data.get("draft") or {}
    drafts.write(
        s, agent, conversation_id, "reply", draft.get("body", ""), draft.get("to", []), draft.get("cc", []), now
    )
    record_event(
        s,
        conversation_id,
        agent,
        "undo",
        f"{_name(ws, agent)} cancelled the reply before it was sent",
        now,
        undoes=event.id,
    )
    record_change(s, [conversation_id])
    return ActionResult(
        True, f"reply to {_label(conv)} cancelled: it was not sent; the text is back in your draft", conversation_id
    )
