"""What happens once a day: each agent's load is recorded at the end of the day, and teams that asked
for it get yesterday's summary on their webhook and/or as an alert to their supervisors.

The syncer calls `run_daily` on every escalation pass (every 30 s); each step is due at most once a
day and is claimed in the same transaction that does it (a meta row per day), so a restarted server,
or two passes racing, never record or post twice.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlmodel import Session

from core.durations import format_seconds
from core.store.rawsql import RawSql
from core.work.views import ReportQuery, ReportView
from core.workspace.config import TeamConfig
from core.workspace.folder import Workspace

LOAD_KEY = "load_at_day_end:"
"""Meta key prefix of a day's recorded load: JSON {"taken_at": ISO, "load": {agent: open owned}}."""
SUMMARY_KEY = "daily_summary:"
LOAD_RECORD_WINDOW = timedelta(hours=2)
"""How long after midnight a day's load may still be recorded: a server down at midnight that comes back
later leaves the day unrecorded (a later count would be passed off as the day's end)."""


@dataclass(frozen=True)
class DailyDone:
    load_days: tuple[str, ...] = ()
    summaries: tuple[str, ...] = ()
    """'team day' for each summary sent."""


def run_daily(ws: Workspace, now: datetime) -> DailyDone:
    """Record yesterday's end-of-day load if not yet recorded, and send the daily summaries that are due."""
    loads = (yesterday,) if (yesterday := record_day_end_load(ws, now)) else ()
    sent = tuple(f"{team.name} {day}" for team in ws.config.teams if (day := send_summary_if_due(ws, team, now)))
    return DailyDone(loads, sent)


def _claim(s: Session, key: str, value: str) -> bool:
    """Insert the meta row `key` unless it exists: True when this transaction is the one doing the work."""
    exists = s.execute(text("SELECT 1 FROM meta WHERE key = :k"), {"k": key}).first()
    if exists is not None:
        return False
    s.execute(text("INSERT INTO meta (key, value) VALUES (:k, :v)"), {"k": key, "v": value})
    return True


# -- load at each day's end ---------------------------------------------------------------------
def record_day_end_load(ws: Workspace, now: datetime) -> str | None:
    """Once the workspace's local day has turned, store how many open conversations each agent owned.

    Taken on the first pass after midnight (within a minute while the server runs). A server down at
    midnight records the day if it is back within LOAD_RECORD_WINDOW; otherwise the day shows as not
    recorded in reports rather than guessed."""
    zone = ZoneInfo(ws.config.workspace.timezone)
    local = now.astimezone(zone)
    if local - local.replace(hour=0, minute=0, second=0, microsecond=0) > LOAD_RECORD_WINDOW:
        return None
    day = (local.date() - timedelta(days=1)).isoformat()
    key = LOAD_KEY + day
    with ws.db.write() as s:
        if s.execute(text("SELECT 1 FROM meta WHERE key = :k"), {"k": key}).first() is not None:
            return None
        rows = s.execute(
            text("SELECT owner, COUNT(*) FROM conversation WHERE state != 'done' AND owner IS NOT NULL GROUP BY owner")
        ).all()
        load = {str(owner): int(count) for owner, count in rows}
        for agent in ws.config.agents:
            load.setdefault(agent.login, 0)
        if not _claim(s, key, json.dumps({"taken_at": now.isoformat(), "load": load}, sort_keys=True)):
            return None
    return day


def day_end_loads(raw: RawSql, first: date, last: date) -> dict[str, dict[str, int]]:
    """{day: {agent: open owned}} for the recorded days from `first` to `last`."""
    rows = raw.all(
        "SELECT key, value FROM meta WHERE key >= :a AND key <= :b",
        {"a": LOAD_KEY + first.isoformat(), "b": LOAD_KEY + last.isoformat()},
    )
    out: dict[str, dict[str, int]] = {}
    for key, value in rows:
        try:
            out[key[len(LOAD_KEY) :]] = {str(a): int(n) for a, n in json.loads(value)["load"].items()}
        except (ValueError, KeyError, TypeError, AttributeError):
            continue  # a damaged record reads as a missing day, never as a wrong figure
    return out


# -- the team's daily summary -------------------------------------------------------------------
def send_summary_if_due(ws: Workspace, team: TeamConfig, now: datetime) -> str | None:
    """Post yesterday's summary for `team` once its local send time has passed today; the day sent, or None."""
    if not team.daily_summary:
        return None
    zone = ZoneInfo(team.timezone)
    local = now.astimezone(zone)
    hour, minute = (int(part) for part in team.daily_summary_at.split(":"))
    if local.time() < time(hour, minute):
        return None
    today = local.date()
    yesterday = today - timedelta(days=1)
    key = f"{SUMMARY_KEY}{team.name}:{yesterday.isoformat()}"
    with ws.db.read() as s:
        if s.execute(text("SELECT 1 FROM meta WHERE key = :k"), {"k": key}).first() is not None:
            return None
    from core.work.reports import build_report

    since = datetime.combine(yesterday, time(0), tzinfo=zone)
    until = datetime.combine(today, time(0), tzinfo=zone)
    view = build_report(ws, ReportQuery(since, until, team=team.name), now)
    message = summary_text(team, yesterday, view)
    from core.work.journal import raise_alerts
    from core.work.webhook import enqueue

    with ws.db.write() as s:
        if not _claim(s, key, now.isoformat()):
            return None
        if "webhook" in team.daily_summary and team.webhook:
            enqueue(
                s,
                team.webhook,
                message,
                {
                    "kind": "daily_summary",
                    "team": team.name,
                    "day": yesterday.isoformat(),
                    "figures": summary_figures(view),
                },
                now,
            )
        if "supervisors" in team.daily_summary:
            supervisors = [a.login for a in ws.config.agents if a.role == "supervisor"]
            raise_alerts(s, ws, now, "daily_summary", message, agents=supervisors)
    return yesterday.isoformat()


def summary_figures(view: ReportView) -> dict[str, Any]:
    """The summary's numbers as plain JSON, for a chat bot or a script."""
    total = view.total
    return {
        "messages_in": total.messages_in,
        "replies_out": total.replies_out,
        "first_response_median_seconds": total.first_response.median,
        "first_response_p90_seconds": total.first_response.p90,
        "within_promise": [view.within_promise.met, view.within_promise.total],
        "pending_by_age": {a.name: a.count for a in view.pending_by_age},
        "open_at_day_end": view.backlog[-1].count if view.backlog else None,
        "escalations": {e.name: e.count for e in view.escalations},
    }


def summary_text(team: TeamConfig, day: date, view: ReportView) -> str:
    """One short paragraph a team lead reads in a chat window."""
    total = view.total
    parts = [f"{total.messages_in} messages in, {total.replies_out} replies out"]
    if total.first_response.count:
        parts.append(
            f"first response median {format_seconds(total.first_response.median)}"
            f" (p90 {format_seconds(total.first_response.p90)})"
        )
    share = view.within_promise
    if share.total:
        parts.append(f"{round(100 * share.met / share.total)}% answered within the promised window")
    waiting = sum(a.count for a in view.pending_by_age)
    old = sum(a.count for a in view.pending_by_age if a.name == "over 1 day")
    parts.append(f"{waiting} messages waiting" + (f", {old} of them for over a day" if old else ""))
    if view.backlog:
        parts.append(f"{view.backlog[-1].count} conversations open at the day's end")
    escalated = sum(e.count for e in view.escalations if e.name != "warn")
    if escalated:
        parts.append(f"{escalated} escalations")
    title = team.title or team.name
    return f"Daily summary for {title}, {day:%a %d %b %Y}: " + "; ".join(parts) + "."
