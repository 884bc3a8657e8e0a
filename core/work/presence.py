"""Presence: available, away or on vacation (which gives the agent's open conversations back to their
teams), and the heartbeat that says what each agent is looking at."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from core.errors import ActionRefused
from core.store.models import Conversation, Presence
from core.work.acting import acting_login_details
from core.work.journal import amend_event_details, raise_alerts, record_change, record_event
from core.work.undo_data import undo_data
from core.work.verb_support import agent_name as _name
from core.work.verb_support import conversation_label as _label
from core.work.verb_support import require_agent as _require_agent
from core.work.views import ActionResult
from core.workspace.folder import Workspace
from routing.wording import counted

PRESENCE_STATES = ("available", "away", "vacation")


def set_presence(ws: Workspace, agent: str, status: str, until: datetime | None, now: datetime) -> ActionResult:
    """available / away / vacation (until a date); vacation returns open conversations to their teams."""
    if status not in PRESENCE_STATES:
        raise ActionRefused(f"presence is one of {', '.join(PRESENCE_STATES)}")
    if until is not None and until <= now:
        raise ActionRefused("'until' must be in the future")
    _require_agent(ws, agent)
    returned: list[dict[str, Any]] = []
    with ws.db.write() as s:
        p = s.get(Presence, agent) or Presence(agent=agent)
        before = {"status": p.status, "until": p.until}
        p.status, p.until = status, (until if status != "available" else None)
        p.heartbeat_at = p.heartbeat_at or now
        s.add(p)
        text = f"{_name(ws, agent)} is {status}" + (
            f" until {until:%a %d %b}" if until and status != "available" else ""
        )
        event_id = record_event(
            s, None, agent, "presence", text, now, status=status, until=until.isoformat() if until else None
        )
        if status == "vacation":
            returned = _return_to_teams(s, ws, agent, now)
        # The details name every conversation sent back, so an undo can bring back those nobody took.
        amend_event_details(
            s,
            event_id,
            {
                "text": text,
                "status": status,
                "until": until.isoformat() if until else None,
                **acting_login_details(),
                "undo": undo_data(before, {"status": status}, returned=returned),
            },
        )
        # A personal rung depends on its agent's presence: the next escalation pass looks at those again.
        s.execute(
            update(Conversation)
            .where(
                col(Conversation.visibility) == "personal",
                col(Conversation.state) != "done",
                (col(Conversation.owner) == agent) | (col(Conversation.exclusive_agent) == agent),
            )
            .values(next_step_at=now)
        )
        record_change(s, [None, *(int(r["id"]) for r in returned)], kind="presence")
    extra = (
        f"; {counted(len(returned), 'open conversation')} went back to {'its team' if len(returned) == 1 else 'their teams'}"
        if returned
        else ""
    )
    return ActionResult(True, text + extra, undo=event_id)


def _returning(agent: str) -> tuple[Any, Any]:
    """The conversations a vacation sends back to their teams: open, waiting or snoozed, owned or personal."""
    return (
        col(Conversation.state).in_(("open", "waiting", "snoozed")),
        (col(Conversation.owner) == agent) | (col(Conversation.exclusive_agent) == agent),
    )


def vacation_preview(ws: Workspace, agent: str) -> int:
    """How many conversations going on vacation now would send back to their teams (asked before it)."""
    from sqlalchemy import func

    with ws.db.read() as s:
        return int(s.exec(select(func.count()).select_from(Conversation).where(*_returning(agent))).one())


def _return_to_teams(s: Session, ws: Workspace, agent: str, now: datetime) -> list[dict[str, Any]]:
    """Send the agent's open conversations back to their teams; returns what each was before."""
    convs = list(s.exec(select(Conversation).where(*_returning(agent)).with_for_update()))
    # Read before the UPDATEs: a bulk update also refreshes the objects in the session.
    returned: list[dict[str, Any]] = [
        {"id": c.id, "owner": c.owner, "exclusive_agent": c.exclusive_agent, "visibility": c.visibility} for c in convs
    ]
    for conv in convs:
        s.execute(
            update(Conversation)
            .where(col(Conversation.id) == conv.id)
            .values(
                owner=None,
                exclusive_agent=None,
                visibility="team" if conv.team else "everyone",
                updated_at=now,
                next_step_at=now,
            )
        )
        record_event(
            s,
            conv.id,
            "system",
            "vacation",
            f"{_name(ws, agent)} went on vacation: back to {conv.team or 'everyone'}",
            now,
        )
        raise_alerts(
            s,
            ws,
            now,
            "returned",
            f"{_name(ws, agent)} is on vacation: {_label(conv)} is back with the team",
            conv.id,
            teams=[conv.team] if conv.team else [],
            exclude=[agent],
        )
    return returned


def heartbeat(ws: Workspace, agent: str, viewing: int | None, replying: int | None, now: datetime) -> None:
    with ws.db.write() as s:
        p = s.get(Presence, agent)
        changed = p is None or (p.viewing_id, p.replying_id) != (viewing, replying)
        p = p or Presence(agent=agent)
        p.heartbeat_at, p.viewing_id, p.replying_id = now, viewing, replying
        s.add(p)
        if changed:
            record_change(s, [c for c in (viewing, replying) if c is not None] or [None], kind="presence")
