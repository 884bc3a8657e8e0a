"""One escalation pass: gathers due conversations, asks routing.escalate what is due, applies it.

A pass reads only the conversations whose `next_step_at` (indexed) has come; after looking at one it
stores routing.next_step_at of its new state, so its cost follows what is due, not what is open.
Each batch of conversations is one transaction: state change, audit event and alerts together.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from core.instants import NO_DEADLINE
from core.store.rawsql import RawSql
from core.work.alerting import NewAlert, alert_recipients
from core.work.journal import JournalBatch
from core.work.policy import build_policy
from core.work.webhook import enqueue as enqueue_webhook
from core.workspace.folder import Workspace
from routing import ConversationState, Policy, escalate, next_step_at
from routing.escalate import SUPERVISORS_ALERTED, Step

if TYPE_CHECKING:
    from sqlmodel import Session

log = logging.getLogger("comptoir.escalation")
BATCH = 200
_COLUMNS = (
    "id, team, owner, exclusive_agent, visibility, exclusive_until, team_until, state, snoozed_until, "
    "pending_count, warned, confidential, automated"
)


@dataclass
class _Row:
    """The conversation columns escalation reads and writes, read with driver SQL (no ORM on this path)."""

    id: int
    team: str | None
    owner: str | None
    exclusive_agent: str | None
    visibility: str
    exclusive_until: datetime | None
    team_until: datetime | None
    state: str
    snoozed_until: datetime | None
    pending_count: int
    warned: list[str]
    confidential: bool
    automated: bool

    @classmethod
    def read(cls, r: tuple[Any, ...]) -> _Row:
        when = RawSql.read_when
        return cls(
            r[0],
            r[1],
            r[2],
            r[3],
            r[4],
            when(r[5]),
            when(r[6]),
            r[7],
            when(r[8]),
            int(r[9]),
            list(RawSql.read_json(r[10]) or []),
            bool(r[11]),
            bool(r[12]),
        )

    def state_for_routing(self) -> ConversationState:
        owner = self.owner or (self.exclusive_agent if self.visibility == "personal" else None)
        return ConversationState(
            id=str(self.id),
            team=self.team,
            owner=owner,
            visibility=self.visibility,
            exclusive_until=self.exclusive_until,
            team_until=self.team_until,
            state=self.state,
            snoozed_until=self.snoozed_until,
            has_pending_inbound=self.pending_count > 0,
            warnings_sent=frozenset(self.warned),
            confidential=self.confidential,
            automated=self.automated,
        )


def next_deadline(
    visibility: str, exclusive_until: datetime | None, team_until: datetime | None, pending: bool, now: datetime
) -> datetime:
    """When something next happens to an open conversation; past moments keep overdue ones on top."""
    if not pending:
        return NO_DEADLINE
    candidates = [m for m in ((exclusive_until if visibility == "personal" else None), team_until) if m is not None]
    future = [m for m in candidates if m > now]
    if future:
        return min(future)
    return max(candidates) if candidates else NO_DEADLINE


def run_escalation(ws: Workspace, now: datetime) -> list[dict[str, Any]]:
    """Apply every escalation step due at `now`; returns what was done."""
    with ws.db.raw(write=False) as raw:
        due_ids = [
            r[0]
            for r in raw.all(
                "SELECT id FROM conversation WHERE next_step_at <= :now ORDER BY next_step_at", {"now": raw.when(now)}
            )
        ]
    applied: list[dict[str, Any]] = []
    hooks: list[tuple[str, str, dict[str, Any]]] = []
    for start in range(0, len(due_ids), BATCH):
        with ws.db.write() as s:
            sql = RawSql(s)
            policy = build_policy(ws, s, with_loads=False)
            # Rows are locked (PostgreSQL) so a claim cannot slip between reading and updating them.
            lock = "" if sql.sqlite else " FOR UPDATE"
            rows = [
                _Row.read(r)
                for r in sql.all_in(
                    f"SELECT {_COLUMNS} FROM conversation WHERE id IN ({{}}) ORDER BY id{lock}",
                    due_ids[start : start + BATCH],
                )
            ]
            writes = _Writes(ws, sql, now)
            for row in rows:
                steps = escalate(row.state_for_routing(), policy, now)
                if steps:
                    _apply(ws, policy, row, steps, now, writes, applied, hooks)
                else:
                    writes.later.append(
                        {"id": row.id, "n": sql.when(next_step_at(row.state_for_routing(), policy, now))}
                    )
            writes.journal.changed(writes.touched)
            writes.flush(s)
            # Queued in this transaction; the server posts them with retries (core.work.webhook).
            for url, text, payload in hooks:
                enqueue_webhook(s, url, text, payload, now)
            hooks.clear()
    # Reminders ride on the same pass: the server's duty loop runs it every 30 s (every second in a demo).
    from core.work.reminders import fire_due

    applied.extend(fire_due(ws, now))
    return applied


class _Writes:
    """The rows one batch writes, sent with executemany at its end."""

    def __init__(self, ws: Workspace, sql: RawSql, now: datetime) -> None:
        self.sql, self.at = sql, sql.when(now)
        self.updates: list[dict[str, Any]] = []
        self.later: list[dict[str, Any]] = []
        self.journal = JournalBatch(ws, sql.sqlite)
        """The steps' events and alerts, and the change-log rows."""
        self.touched: list[int] = []

    def flush(self, s: Session) -> None:
        sql = self.sql
        sql.many(
            "UPDATE conversation SET visibility = :visibility, owner = :owner, exclusive_agent = :exclusive, "
            "state = :state, warned = :warned, snoozed_until = :snoozed, deadline = :deadline, "
            "updated_at = :at, next_step_at = :next WHERE id = :id",
            self.updates,
        )
        sql.many("UPDATE conversation SET next_step_at = :n WHERE id = :id", self.later)
        self.journal.flush(sql, s)


def _apply(
    ws: Workspace,
    policy: Policy,
    row: _Row,
    steps: Sequence[Step],
    now: datetime,
    writes: _Writes,
    applied: list[dict[str, Any]],
    hooks: list[tuple[str, str, dict[str, Any]]],
) -> None:
    visibility, owner, exclusive, state = row.visibility, row.owner, row.exclusive_agent, row.state
    warned = list(row.warned)
    snoozed_until = row.snoozed_until
    sql = writes.sql
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
        writes.journal.event(row.id, "escalation", step.kind, step.reason.text, now, code=step.reason.code)
        kind = {"warn": "window_closing", "unsnooze": "snooze_over"}.get(step.kind, "escalation")
        if step.warning_key == SUPERVISORS_ALERTED:
            # The last rung: supervisors get one alert per team that stands for all its overdue conversations
            # (core.work.alerting.DIGEST_KINDS), not one per conversation: a backlog is one thing to act on.
            writes.journal.add_alerts(
                (
                    NewAlert(
                        agent,
                        "overdue",
                        (f"Team {row.team} has conversations" if row.team else "Conversations without a team are")
                        + f" past their team window; the latest: {step.reason.text}",
                        None,
                        row.team,
                    )
                    for agent in alert_recipients(ws, step.alert_agents, step.alert_teams)
                ),
                now,
            )
        else:
            # One alert per agent and conversation: a later rung of this pass replaces an earlier one.
            writes.journal.alert(now, kind, step.reason.text, row.id, step.alert_agents, step.alert_teams)
        for team_name in step.alert_teams:
            team = ws.config.team(team_name)
            if team and team.webhook and step.kind != "warn":
                hooks.append((team.webhook, step.reason.text, {"conversation": row.id, "kind": step.kind}))
        applied.append(
            {
                "conversation": row.id,
                "kind": step.kind,
                "text": step.reason.text,
                "agents": list(step.alert_agents),
                "teams": list(step.alert_teams),
            }
        )
    if state == "open":
        deadline = next_deadline(visibility, row.exclusive_until, row.team_until, row.pending_count > 0, now)
    else:
        deadline = snoozed_until or NO_DEADLINE
    after = ConversationState(
        id=str(row.id),
        team=row.team,
        owner=owner or (exclusive if visibility == "personal" else None),
        visibility=visibility,
        exclusive_until=row.exclusive_until,
        team_until=row.team_until,
        state=state,
        snoozed_until=snoozed_until,
        has_pending_inbound=row.pending_count > 0,
        warnings_sent=frozenset(warned),
        confidential=row.confidential,
        automated=row.automated,
    )
    writes.updates.append(
        {
            "id": row.id,
            "visibility": visibility,
            "owner": owner,
            "exclusive": exclusive,
            "state": state,
            "warned": sql.json(warned),
            "snoozed": sql.when(snoozed_until),
            "deadline": sql.when(deadline),
            "at": writes.at,
            "next": sql.when(next_step_at(after, policy, now)),
        }
    )
    writes.touched.append(row.id)
