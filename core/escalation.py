"""One escalation pass: gathers due conversations, asks routing.escalate what is due, applies it.

A pass reads only the conversations whose `next_step_at` (indexed) has come; after looking at one it
stores routing.next_step_at of its new state, so its cost follows what is due, not what is open.
Each batch of conversations is one transaction: state change, audit event and alerts together.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import update
from sqlmodel import col, select

from core.actions import raise_alerts, record_event
from core.models import NO_DEADLINE, Conversation
from core.policy import build_policy
from core.webhook import post as post_webhook
from core.workspace import Workspace
from routing import ConversationState, escalate, next_step_at

log = logging.getLogger("comptoir.escalation")
BATCH = 200


def _state(c: Conversation) -> ConversationState:
    owner = c.owner or (c.exclusive_agent if c.visibility == "personal" else None)
    return ConversationState(
        id=str(c.id), team=c.team, owner=owner, visibility=c.visibility, exclusive_until=c.exclusive_until,
        team_until=c.team_until, state=c.state, snoozed_until=c.snoozed_until,
        has_pending_inbound=c.pending_count > 0, warnings_sent=frozenset(c.warned), confidential=c.confidential,
    )


def next_deadline(visibility: str, exclusive_until: datetime | None, team_until: datetime | None,
                  pending: bool, now: datetime) -> datetime:
    """When something next happens to an open conversation; past moments keep overdue ones on top."""
    if not pending:
        return NO_DEADLINE
    candidates = [m for m in ((exclusive_until if visibility == "personal" else None), team_until) if m is not None]
    future = [m for m in candidates if m > now]
    if future:
        return min(future)
    return max(candidates) if candidates else NO_DEADLINE


def run_escalation(ws: Workspace, now: datetime) -> list[dict]:
    """Apply every escalation step due at `now`; returns what was done."""
    with ws.db.read() as s:
        due_ids = list(s.exec(
            select(Conversation.id).where(col(Conversation.next_step_at) <= now).order_by(col(Conversation.next_step_at))
        ))
    applied: list[dict] = []
    hooks: list[tuple[str, str, dict]] = []
    for start in range(0, len(due_ids), BATCH):
        with ws.db.write() as s:
            policy = build_policy(ws, s)
            touched = []
            # Rows are locked (PostgreSQL) so a claim cannot slip between reading and updating them.
            batch = select(Conversation).where(col(Conversation.id).in_(due_ids[start:start + BATCH]))
            for conv in s.exec(batch.order_by(col(Conversation.id)).with_for_update()):
                steps = escalate(_state(conv), policy, now)
                if steps:
                    _apply(ws, s, policy, conv, steps, now, applied, hooks)
                    touched.append(conv.id)
                else:
                    s.execute(update(Conversation).where(col(Conversation.id) == conv.id).values(
                        next_step_at=next_step_at(_state(conv), policy, now)))
            ws.db.changed(s, touched)
    for url, text, payload in hooks:
        post_webhook(url, text, payload)
    return applied


def _apply(ws: Workspace, s, policy, conv: Conversation, steps, now: datetime, applied: list, hooks: list) -> None:
    visibility, owner, exclusive, state = conv.visibility, conv.owner, conv.exclusive_agent, conv.state
    warned = list(conv.warned)
    snoozed_until = conv.snoozed_until
    for step in steps:
        if step.visibility:
            visibility = step.visibility
        if step.release_owner:
            owner, exclusive = None, None
        if step.state:
            state = step.state
            if state == "open":
                snoozed_until = None
        if step.warning_key and step.warning_key not in warned:
            warned.append(step.warning_key)
        record_event(s, conv.id, "escalation", step.kind, step.reason.text, now, code=step.reason.code)
        kind = {"warn": "window_closing", "unsnooze": "snooze_over"}.get(step.kind, "escalation")
        raise_alerts(s, ws, now, kind, step.reason.text, conv.id, agents=step.alert_agents, teams=step.alert_teams)
        for team_name in step.alert_teams:
            team = ws.config.team(team_name)
            if team and team.webhook and step.kind != "warn":
                hooks.append((team.webhook, step.reason.text, {"conversation": conv.id, "kind": step.kind}))
        applied.append({"conversation": conv.id, "kind": step.kind, "text": step.reason.text,
                        "agents": list(step.alert_agents), "teams": list(step.alert_teams)})
    if state == "open":
        deadline = next_deadline(visibility, conv.exclusive_until, conv.team_until, conv.pending_count > 0, now)
    else:
        deadline = snoozed_until or NO_DEADLINE
    after = ConversationState(
        id=str(conv.id), team=conv.team, owner=owner or (exclusive if visibility == "personal" else None),
        visibility=visibility, exclusive_until=conv.exclusive_until, team_until=conv.team_until, state=state,
        snoozed_until=snoozed_until, has_pending_inbound=conv.pending_count > 0, warnings_sent=frozenset(warned),
        confidential=conv.confidential,
    )
    s.execute(
        update(Conversation).where(col(Conversation.id) == conv.id).values(
            visibility=visibility, owner=owner, exclusive_agent=exclusive, state=state, warned=warned,
            snoozed_until=snoozed_until, deadline=deadline, updated_at=now,
            next_step_at=next_step_at(after, policy, now),
        )
    )
