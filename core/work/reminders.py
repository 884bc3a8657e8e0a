"""Reminders: an agent asks to be alerted about a conversation at a time (`comptoir remind`, m in the app).

The reminder is a row; the escalation pass (core.work.escalation, run by the server's duty loop every
30 s, every second in a demo) raises the due ones as alerts, each once, in one transaction with its event.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import col, select

from core.errors import ActionRefused
from core.store.models import Reminder, id_of, rows_changed
from core.work.journal import raise_alerts, record_change, record_event
from core.work.queries import get_conversation
from core.work.verb_support import agent_name as _name
from core.work.verb_support import conversation_label as _label
from core.work.verb_support import unreadable as _unreadable
from core.work.views import ActionResult, ReminderView
from core.workspace.folder import Workspace

MAX_TEXT = 500


def remind(ws: Workspace, agent: str, conversation_id: int, at: datetime, text: str, now: datetime) -> ActionResult:
    """Set a reminder for `agent` on a conversation at `at` (in the future)."""
    ws.config.require_agent(agent)
    text = " ".join(text.split())[:MAX_TEXT]
    if at <= now:
        raise ActionRefused(f"remind at a time in the future (it is {now:%a %d %b %H:%M} UTC now)")
    with ws.db.write() as s:
        conv = get_conversation(s, conversation_id)
        if (refused := _unreadable(ws, agent, conv, now)) is not None:
            return refused
        reminder = Reminder(conversation_id=conversation_id, agent=agent, due_at=at, text=text, created_at=now)
        s.add(reminder)
        s.flush()
        about = f": {text}" if text else ""
        record_event(
            s,
            conversation_id,
            agent,
            "remind",
            f"{_name(ws, agent)} set a reminder for {at:%a %d %b %H:%M} UTC{about}",
            now,
            reminder=reminder.id,
            due=at.isoformat(),
        )
        record_change(s, [conversation_id])
        reminder_id = reminder.id
    return ActionResult(True, f"reminder {reminder_id}: {_label(conv)} at {at:%a %d %b %H:%M} UTC", conversation_id)


def reminders(ws: Workspace, agent: str, include_fired: bool = False) -> list[ReminderView]:
    """This agent's reminders, soonest first."""
    with ws.db.read() as s:
        stmt = select(Reminder).where(Reminder.agent == agent).order_by(col(Reminder.due_at), col(Reminder.id))
        if not include_fired:
            stmt = stmt.where(col(Reminder.fired_at).is_(None))
        return [
            ReminderView(id_of(r), r.conversation_id, r.agent, r.due_at, r.text, r.fired_at is not None)
            for r in s.exec(stmt)
        ]


def cancel_reminder(ws: Workspace, agent: str, reminder_id: int, now: datetime) -> ActionResult:
    with ws.db.write() as s:
        reminder = s.get(Reminder, reminder_id)
        if reminder is None or reminder.agent != agent:
            raise ActionRefused(f"you have no reminder {reminder_id} (see `comptoir reminders`)")
        if reminder.fired_at is not None:
            return ActionResult(False, f"reminder {reminder_id} was raised already", reminder.conversation_id)
        s.delete(reminder)
        record_event(
            s,
            reminder.conversation_id,
            agent,
            "remind_cancel",
            f"{_name(ws, agent)} cancelled the reminder for {reminder.due_at:%a %d %b %H:%M} UTC",
            now,
        )
        record_change(s, [reminder.conversation_id])
    return ActionResult(True, f"reminder {reminder_id} cancelled", reminder.conversation_id)


def fire_due(ws: Workspace, now: datetime) -> list[dict[str, Any]]:
    """Raise every reminder whose time has come, once: an alert for its agent and an event on the conversation."""
    with ws.db.raw(write=False) as raw:
        due = raw.all(
            "SELECT id FROM reminder WHERE fired_at IS NULL AND due_at <= :now ORDER BY due_at", {"now": raw.when(now)}
        )
    if not due:
        return []
    fired: list[dict[str, Any]] = []
    with ws.db.write() as s:
        rows = list(
            s.exec(
                select(Reminder)
                .where(col(Reminder.id).in_([r[0] for r in due]), col(Reminder.fired_at).is_(None))
                .with_for_update()
            )
        )
        touched = []
        for r in rows:
            won = rows_changed(
                s.execute(
                    update(Reminder)
                    .where(col(Reminder.id) == r.id, col(Reminder.fired_at).is_(None))
                    .values(fired_at=now)
                )
            )
            if won != 1:
                continue  # another server raised it meanwhile
            conv = get_conversation(s, r.conversation_id)
            text = f"Reminder: {_label(conv)}" + (f" \u2014 {r.text}" if r.text else "")
            raise_alerts(s, ws, now, "reminder", text, r.conversation_id, agents=[r.agent])
            record_event(
                s,
                r.conversation_id,
                "reminder",
                "reminder",
                f"reminded {_name(ws, r.agent)}" + (f": {r.text}" if r.text else ""),
                now,
                reminder=r.id,
                agent=r.agent,
            )
            touched.append(r.conversation_id)
            fired.append(
                {"conversation": r.conversation_id, "kind": "reminder", "text": text, "agents": [r.agent], "teams": []}
            )
        record_change(s, touched)
    return fired
