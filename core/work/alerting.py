"""Writing alerts: one row per conversation and person, raised again in place as the conversation moves.

Every part of core that alerts someone (actions, ingest, escalation, the outbox, the server's health)
goes through `write_alerts`, so the rule lives in one place: a new alert about a conversation the
agent already has an alert for replaces it (kind, text, time) and makes it unseen again, instead of
adding a row. Alerts that concern no conversation are kept apart, except the server's own trouble
reports, which also stay one per kind until acknowledged, and digests: supervisors hear once per team
that conversations went past their team window (the last rung), not once per conversation.

When a conversation no longer needs someone (a colleague claimed it, it is done, the agent opened it),
`settle_alerts` acknowledges their alerts about it: an alert exists only while someone must act.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from core.store.rawsql import RawSql
from core.workspace.folder import Workspace


@dataclass(frozen=True)
class NewAlert:
    """One alert to write for one agent."""

    agent: str
    kind: str
    text: str
    conversation_id: int | None
    team: str | None = None
    source: str = "comptoir"


PICK_UP_KINDS = ("team", "escalation", "returned", "released", "window_closing", "exclusive", "snooze_over")
"""Alerts asking someone to pick a conversation up: settled for the others once one agent claims it."""

KEPT_KINDS = ("send_failed", "send_partial", "mention", "external")
"""Alerts that stay until their agent acknowledges them, whatever happens to the conversation."""

SINGLE_KINDS = ("server_trouble", "sync_trouble")
"""Alerts without a conversation that are still one per agent and kind until acknowledged."""

DIGEST_KINDS = ("overdue",)
"""Alerts that stand for many conversations: one per agent, kind and team, whose text follows the latest
conversation. Raised again only once its agent acknowledged it and DIGEST_QUIET has passed since."""
DIGEST_QUIET = timedelta(hours=1)

_UPSERT = ("INSERT INTO alert (agent, team, kind, text, conversation_id, source, created_at, acknowledged_at, seen_at) "
           "VALUES (:a, :tm, :k, :x, :c, :src, :t, NULL, NULL) "
           "ON CONFLICT (conversation_id, agent) DO UPDATE SET team = excluded.team, kind = excluded.kind, "
           "text = excluded.text, source = excluded.source, created_at = excluded.created_at, "
           "acknowledged_at = NULL, seen_at = NULL")
_INSERT = ("INSERT INTO alert (agent, team, kind, text, conversation_id, source, created_at, acknowledged_at, seen_at) "
           "VALUES (:a, :tm, :k, :x, NULL, :src, :t, NULL, NULL)")
_DIGEST_KEY = "agent = :a AND kind = :k AND conversation_id IS NULL AND COALESCE(team, '') = COALESCE(:tm, '')"
_DIGEST_REFRESH = (f"UPDATE alert SET text = :x WHERE {_DIGEST_KEY} "
                   "AND (acknowledged_at IS NULL OR acknowledged_at > :quiet)")
_DIGEST_RAISE = (f"UPDATE alert SET text = :x, source = :src, created_at = :t, acknowledged_at = NULL, seen_at = NULL "
                 f"WHERE {_DIGEST_KEY}")
_RAISE_SINGLE = ("UPDATE alert SET text = :x, source = :src, created_at = :t, seen_at = NULL "
                 "WHERE agent = :a AND kind = :k AND conversation_id IS NULL AND acknowledged_at IS NULL")


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


def alerts_for(ws: Workspace, kind: str, text: str, conversation_id: int | None, agents: Iterable[str] = (),
               teams: Iterable[str] = (), exclude: Iterable[str] = (), source: str = "comptoir") -> list[NewAlert]:
    """The alerts one event raises: every member of `teams` and every one of `agents`, but `exclude`."""
    return [NewAlert(agent, kind, text, conversation_id, team, source)
            for agent, team in alert_recipients(ws, agents, teams, exclude).items()]


def write_alerts(sql: RawSql, alerts: Sequence[NewAlert], now: datetime) -> int:
    """Write alerts in the caller's transaction; returns how many rows were raised or raised again.

    Of several alerts for the same agent and conversation in one call, the last one wins.
    """
    at = sql.when(now)
    about: dict[tuple[int, str], dict] = {}
    single: dict[tuple[str, str], dict] = {}
    digest: dict[tuple[str, str, str | None], dict] = {}
    loose: list[dict] = []
    for alert in alerts:
        row = {"a": alert.agent, "tm": alert.team, "k": alert.kind, "x": alert.text, "c": alert.conversation_id,
               "src": alert.source, "t": at}
        if alert.conversation_id is not None:
            about[(alert.conversation_id, alert.agent)] = row
        elif alert.kind in SINGLE_KINDS:
            single[(alert.agent, alert.kind)] = row
        elif alert.kind in DIGEST_KINDS:
            digest[(alert.agent, alert.kind, alert.team)] = row
        else:
            loose.append(row)
    sql.many(_UPSERT, list(about.values()))
    raised = len(about)
    for row in single.values():
        if sql.run(_RAISE_SINGLE, row).rowcount == 0:
            loose.append(row)
        else:
            raised += 1
    quiet = sql.when(now - DIGEST_QUIET)
    for row in digest.values():
        if sql.run(_DIGEST_REFRESH, {**row, "quiet": quiet}).rowcount:
            continue  # still waiting, or acknowledged a moment ago: its text follows, nobody is called again
        if sql.run(_DIGEST_RAISE, row).rowcount == 0:
            loose.append(row)
        else:
            raised += 1
    sql.many(_INSERT, [{k: v for k, v in row.items() if k != "c"} for row in loose])
    return raised + len(loose)


def settle_alerts(sql: RawSql, conversation_id: int, now: datetime, *, agent: str | None = None,
                  others_than: str | None = None, kinds: Sequence[str] | None = None) -> int:
    """Acknowledge alerts about a conversation nobody needs any more; returns how many.

    `agent`: only that agent's; `others_than`: everyone's but that agent's; `kinds`: only those kinds
    (else every kind but KEPT_KINDS).
    """
    chosen = tuple(kinds) if kinds is not None else None
    where = ["conversation_id = :c", "acknowledged_at IS NULL"]
    params: dict = {"c": conversation_id, "t": sql.when(now)}
    if agent is not None:
        where.append("agent = :agent")
        params["agent"] = agent
    if others_than is not None:
        where.append("agent != :other")
        params["other"] = others_than
    names = chosen if chosen is not None else KEPT_KINDS
    marks = ", ".join(f":k{i}" for i in range(len(names)))
    where.append(f"kind IN ({marks})" if chosen is not None else f"kind NOT IN ({marks})")
    params.update({f"k{i}": name for i, name in enumerate(names)})
    return sql.run(f"UPDATE alert SET acknowledged_at = :t WHERE {' AND '.join(where)}", params).rowcount or 0


def settle_on_claim(sql: RawSql, conversation_id: int, agent: str, now: datetime) -> int:
    """`agent` claimed the conversation: their own alerts about it are done with, and so are the
    others' calls to pick it up (one statement: this runs on the claim's hot path)."""
    kept = ", ".join(f"'{k}'" for k in KEPT_KINDS)
    pick_up = ", ".join(f"'{k}'" for k in PICK_UP_KINDS)
    return sql.run(
        "UPDATE alert SET acknowledged_at = :t WHERE conversation_id = :c AND acknowledged_at IS NULL AND "
        f"((agent = :me AND kind NOT IN ({kept})) OR (agent != :me AND kind IN ({pick_up})))",
        {"t": sql.when(now), "c": conversation_id, "me": agent}).rowcount or 0
