"""Reads behind the main screen: queues with counts, queue ids, list rows, alerts and agents.

Written as driver-level SQL over `Database.raw()`, so the app paints its first screen without
importing SQLAlchemy or the models (0.6 s of start-up); the same SQL serves SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from core.errors import ActionRefused
from core.instants import NO_DEADLINE
from core.store.rawsql import RawSql
from core.work.access import Guard, Reader, hidden_subject
from core.work.search_filter import parse_for, search_where
from core.work.views import AgentView, AlertView, ConversationRow, QueueInfo
from core.workspace.folder import Workspace

PRESENCE_TTL = timedelta(seconds=60)
AUTOMATED_NO_TEAM = "automated:"
"""The automated lane of mail no team owns (supervisors see it)."""

ROW_FIELDS = (
    "id",
    "subject",
    "customer_name",
    "customer_address",
    "team",
    "owner",
    "exclusive_agent",
    "state",
    "visibility",
    "priority",
    "confidential",
    "automated",
    "deadline",
    "pending_count",
    "message_count",
    "last_message_at",
    "shared_reply",
    "version",
    "exclusive_until",
)
"""The conversation columns a list row shows (and `core.work.access` looks at), in the order `_row` unpacks them."""
ROW_COLUMNS = ", ".join(ROW_FIELDS)


def queue_where(ws: Workspace, agent: str, queue: str, prefix: str = "q") -> tuple[str, dict[str, Any]]:
    """The WHERE condition of a queue over `conversation`, with its parameters (names start with `prefix`)."""
    me = {f"{prefix}me": agent}
    if queue == "mine":
        return f"(owner = :{prefix}me AND state = 'open')", me
    if queue == "exclusive":
        return (f"(exclusive_agent = :{prefix}me AND visibility = 'personal' AND state = 'open' AND owner IS NULL)"), me
    # Automated mail has its own low lane per team: it never shows in the team's queue or in everyone's.
    if queue.startswith("team:"):
        return (
            f"(team = :{prefix}team AND state = 'open' AND visibility IN ('team', 'everyone') "
            f"AND NOT (automated = :{prefix}yes AND owner IS NULL))",
            {f"{prefix}team": queue.removeprefix("team:"), f"{prefix}yes": True},
        )
    if queue == AUTOMATED_NO_TEAM:
        return (
            f"(team IS NULL AND automated = :{prefix}yes AND state = 'open' AND owner IS NULL "
            "AND visibility IN ('team', 'everyone'))",
            {f"{prefix}yes": True},
        )
    if queue.startswith("automated:"):
        return (
            f"(team = :{prefix}team AND automated = :{prefix}yes AND state = 'open' AND owner IS NULL "
            "AND visibility IN ('team', 'everyone'))",
            {f"{prefix}team": queue.removeprefix("automated:"), f"{prefix}yes": True},
        )
    if queue == "everyone":
        return f"(visibility = 'everyone' AND state = 'open' AND owner IS NULL AND automated != :{prefix}yes)", {
            f"{prefix}yes": True
        }
    if queue in ("waiting", "snoozed", "done"):
        # Supervisors see every team's; agents their own and their teams'.
        params = {f"{prefix}state": queue}
        if ws.config.is_supervisor(agent):
            return f"(state = :{prefix}state)", params
        teams = {f"{prefix}t{i}": team for i, team in enumerate(ws.config.teams_of(agent))}
        params |= me | teams
        in_teams = f" OR team IN ({', '.join(':' + name for name in teams)})" if teams else ""
        return f"(state = :{prefix}state AND (owner = :{prefix}me{in_teams}))", params
    if queue in ("search", "all"):
        return "(1 = 1)", {}
    raise ActionRefused(f"unknown queue {queue!r}")


def _flags(raw: RawSql, params: dict[str, Any]) -> dict[str, Any]:
    """Boolean parameters as the database stores them (queue_where writes Python booleans)."""
    return {k: raw.flag(v) if isinstance(v, bool) else v for k, v in params.items()}


def queue_titles(ws: Workspace, agent: str) -> list[tuple[str, str]]:
    titles = [("mine", "My work"), ("exclusive", "Exclusive to me")]
    teams = list(ws.config.teams_of(agent))
    if ws.config.is_supervisor(agent):
        teams += [team.name for team in ws.config.teams if team.name not in teams]
    for team in teams:
        found = ws.config.team(team)
        titles.append((f"team:{team}", f"Team {found.title or team}" if found else team))
    titles += [
        ("everyone", "Everyone (unclaimed)"),
        ("waiting", "Waiting on customer"),
        ("snoozed", "Snoozed"),
        ("done", "Done"),
    ]
    # The low lanes come last: nothing in them is urgent.
    for team in teams:
        found = ws.config.team(team)
        titles.append((f"automated:{team}", f"Automated: {found.title or team}" if found else team))
    if ws.config.is_supervisor(agent):
        titles.append((AUTOMATED_NO_TEAM, "Automated: no team"))
    return titles


def queue_list(ws: Workspace, agent: str) -> list[QueueInfo]:
    """Every queue's title, not yet counted: from the config alone, without touching the database."""
    return [QueueInfo(key, title, None) for key, title in queue_titles(ws, agent)] + [
        QueueInfo("search", "Search", None)
    ]


def queues(ws: Workspace, agent: str, now: datetime) -> list[QueueInfo]:
    """Every queue's count and urgent count: one pass over the unfinished conversations, one count of done."""
    titles = queue_titles(ws, agent)
    live_keys = [key for key, _title in titles if key != "done"]
    sums: list[str] = []
    params: dict[str, Any] = {}
    for n, key in enumerate(live_keys):
        where, own = queue_where(ws, agent, key, prefix=f"q{n}_")
        params |= own
        sums.append(f"SUM(CASE WHEN {where} THEN 1 ELSE 0 END)")
        sums.append(f"SUM(CASE WHEN {where} AND deadline <= :soon THEN 1 ELSE 0 END)")
    done_where, done_params = queue_where(ws, agent, "done")
    with ws.db.raw(write=False) as raw:
        params["soon"] = raw.when(now + ws.config.routing.warn_before)
        live = raw.one(f"SELECT {', '.join(sums)} FROM conversation WHERE state != 'done'", _flags(raw, params)) or ()
        done = raw.scalar(f"SELECT count(*) FROM conversation WHERE {done_where}", _flags(raw, done_params))
    counts = {key: (int(live[2 * i] or 0), int(live[2 * i + 1] or 0)) for i, key in enumerate(live_keys)}
    counts["done"] = (int(done or 0), 0)
    counts["snoozed"] = (counts["snoozed"][0], 0)  # a snoozed conversation is not urgent
    out = [QueueInfo(key, title, *counts[key]) for key, title in titles]
    out.append(QueueInfo("search", "Search", 0))
    return out


def _with_search(
    raw: RawSql, ws: Workspace, agent: str, where: str, params: dict[str, Any], search: str | None, now: datetime
) -> tuple[str, dict[str, Any]] | None:
    """The queue's condition narrowed to a search (words and operators, core.work.search_syntax); None when
    the search can match nothing. Conversations the searcher may not read are no hits: a hit would reveal them."""
    params = _flags(raw, params)
    if not search or not search.strip():
        return where, params
    query = parse_for(ws.config, agent, search, now)
    narrowed = search_where(raw, ws.config, agent, query, now)
    if narrowed is None:
        return None
    sql, search_params = narrowed
    return f"{where} AND {sql}", {**params, **search_params}


def _order(queue: str) -> str:
    """Display order: by deadline then id; the done queue newest first (its index read backwards)."""
    return "deadline DESC, id DESC" if queue == "done" else "deadline, id"


def queue_ids(ws: Workspace, agent: str, queue: str, search: str | None, now: datetime) -> list[int]:
    """Every id of a queue in display order: by deadline then id (the done queue newest first)."""
    where, params = queue_where(ws, agent, queue)
    with ws.db.raw(write=False) as raw:
        narrowed = _with_search(raw, ws, agent, where, params, search, now)
        if narrowed is None:
            return []
        where, params = narrowed
        return [
            int(r[0]) for r in raw.all(f"SELECT id FROM conversation WHERE {where} ORDER BY {_order(queue)}", params)
        ]


def rows(ws: Workspace, agent: str, ids: Sequence[int], now: datetime) -> list[ConversationRow]:
    """Rows for these ids, in the same order (missing ids are left out)."""
    if not ids:
        return []
    with ws.db.raw(write=False) as raw:
        found = {r[0]: r for r in raw.all_in(f"SELECT {ROW_COLUMNS} FROM conversation WHERE id IN ({{}})", ids)}
        return _to_rows(raw, Reader.of(ws.config, agent), [found[i] for i in ids if i in found], now)


def _to_rows(raw: RawSql, reader: Reader, found: list[tuple[Any, ...]], now: datetime) -> list[ConversationRow]:
    """Rows with who else is viewing or replying (fresh heartbeats of other agents; a handful of rows),
    their content withheld where the reader may not read it (core.work.access)."""
    viewers: dict[int, list[str]] = {}
    repliers: dict[int, list[str]] = {}
    if found:
        for other, viewing, replying in raw.all(
            "SELECT agent, viewing_id, replying_id FROM presence WHERE heartbeat_at >= :fresh AND agent != :me",
            {"fresh": raw.when(now - PRESENCE_TTL), "me": reader.login},
        ):
            if replying is not None:
                repliers.setdefault(replying, []).append(other)
            if viewing is not None and viewing != replying:
                viewers.setdefault(viewing, []).append(other)
    tags: dict[int, list[str]] = {}
    if found:
        for conversation_id, tag in raw.all_in(
            "SELECT conversation_id, tag FROM conversation_tag WHERE conversation_id IN ({}) ORDER BY tag",
            [r[0] for r in found],
        ):
            tags.setdefault(int(conversation_id), []).append(tag)
    return [_row(r, reader, now, viewers.get(r[0], ()), repliers.get(r[0], ()), tags.get(int(r[0]), ())) for r in found]


def _row(
    r: tuple[Any, ...],
    reader: Reader,
    now: datetime,
    viewers: Sequence[str] = (),
    repliers: Sequence[str] = (),
    tags: Sequence[str] = (),
) -> ConversationRow:
    (
        cid,
        subject,
        customer_name,
        customer_address,
        team,
        owner,
        exclusive_agent,
        state,
        visibility,
        priority,
        confidential,
        automated,
        deadline,
        pending_count,
        message_count,
        last_message_at,
        shared_reply,
        version,
        exclusive_until,
    ) = r
    hidden = False
    if confidential or exclusive_agent is not None:
        guard = Guard(bool(confidential), owner, team, exclusive_agent, visibility, RawSql.read_when(exclusive_until))
        if not reader.may_read(guard, now):
            hidden = True
            subject, customer_name, customer_address, shared_reply = hidden_subject(guard, now), "", "", False
            tags = ()
    window = None
    if state == "open" and owner is None:
        if visibility == "personal":
            window = "personal"
        elif visibility == "team":
            window = "team"
    deadline = RawSql.read_when(deadline)
    if deadline is not None and deadline >= NO_DEADLINE:
        deadline = None
    return ConversationRow(
        id=int(cid),
        subject=subject,
        customer_name=customer_name,
        customer_address=customer_address,
        team=team,
        owner=owner,
        exclusive_agent=exclusive_agent,
        state=state,
        visibility=visibility,
        priority=priority,
        confidential=bool(confidential),
        automated=bool(automated),
        deadline=deadline,
        window=window,
        pending_count=pending_count,
        message_count=message_count,
        last_message_at=RawSql.read_when(last_message_at),
        shared_reply=bool(shared_reply),
        viewers=tuple(sorted(viewers)),
        repliers=tuple(sorted(repliers)),
        version=version,
        hidden=hidden,
        tags=tuple(tags),
    )


def alerts(ws: Workspace, agent: str, include_acknowledged: bool, limit: int) -> list[AlertView]:
    """This agent's alerts, the most recently raised first."""
    unacknowledged = "" if include_acknowledged else " AND acknowledged_at IS NULL"
    with ws.db.raw(write=False) as raw:
        found = raw.all(
            "SELECT id, kind, text, conversation_id, created_at, acknowledged_at, source, seen_at FROM alert "
            f"WHERE agent = :me{unacknowledged} ORDER BY created_at DESC, id DESC LIMIT :limit",
            {"me": agent, "limit": limit},
        )
    return [
        AlertView(
            int(i),
            kind,
            text,
            conversation_id,
            RawSql.read_instant(created),
            acknowledged is not None,
            source,
            seen is not None,
        )
        for i, kind, text, conversation_id, created, acknowledged, source, seen in found
    ]


def alert_count(ws: Workspace, agent: str) -> int:
    with ws.db.raw(write=False) as raw:
        return int(
            raw.scalar("SELECT count(*) FROM alert WHERE agent = :me AND acknowledged_at IS NULL", {"me": agent})
        )


def agent_view(ws: Workspace, login: str, now: datetime) -> AgentView:
    return next(a for a in agents(ws, now) if a.login == login)


def open_loads(raw: RawSql) -> dict[str, int]:
    """Open conversations per owner."""
    return {
        owner: int(n)
        for owner, n in raw.all(
            "SELECT owner, count(*) FROM conversation WHERE state = 'open' AND owner IS NOT NULL GROUP BY owner"
        )
    }


def presence_statuses(raw: RawSql) -> dict[str, tuple[str, datetime | None]]:
    """Each agent's stored presence status and its end."""
    return {
        agent: (status, RawSql.read_when(until))
        for agent, status, until in raw.all("SELECT agent, status, until FROM presence")
    }


def agents(ws: Workspace, now: datetime) -> list[AgentView]:
    """Every configured agent with presence (lapsed away/vacation read as available), load and whether at work."""
    from core.work.policy import agent_at_work  # here, not at the top: core.work.policy imports this module

    with ws.db.raw(write=False) as raw:
        loads = open_loads(raw)
        stored = presence_statuses(raw)
    out = []
    for a in ws.config.agents:
        status, until = stored.get(a.login, ("available", None))
        if status != "available" and until is not None and until <= now:
            status, until = "available", None
        out.append(
            AgentView(
                login=a.login,
                name=a.name,
                teams=ws.config.teams_of(a.login),
                role=a.role,
                presence=status,
                until=until,
                open_load=loads.get(a.login, 0),
                at_work=agent_at_work(ws, a.login, status, now),
            )
        )
    return out
