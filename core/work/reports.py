"""Reports: the figures a team lead needs, computed from the event log and the messages.

Each figure is defined in one line in docs/reports.md. The work is a handful of indexed SQL reads
that return whole seconds (epochs) rather than datetimes, then one pass in Python per record kind;
business time comes from prefix sums over the teams' open spans, so it costs a bisect per value.

Conversation attributes (team, owner, address written to, customer) are their current values: a
report filtered on a team covers the conversations that team holds now.
"""

from __future__ import annotations

import math
import statistics
from bisect import bisect_right
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.errors import ComptoirError
from core.store.rawsql import RawSql
from core.work.daily import day_end_loads
from core.work.policy import team_hours
from core.work.views import AgentCount, DayLoad, ReportGroup, ReportQuery, ReportView, Share, Spread
from core.workspace.folder import Workspace
from routing import BusinessHours
from routing.hours import open_spans

DEFAULT_DAYS = 30
GROUPINGS = ("day", "week", "agent", "team", "address")
ESCALATION_RUNGS = ("warn", "to_team", "to_everyone", "alert_supervisors")
REOPENING_KINDS = ("reopen", "routed", "assign", "reply")
"""Events that leave a done conversation not done (a new mail, a hand-over, a reply, a reopen)."""
AGE_BUCKETS = ((3600, "under 1 h"), (4 * 3600, "1-4 h"), (24 * 3600, "4-24 h"), (None, "over 1 day"))
HISTORY = "history"
"""Disposition of mail imported from before an account's cut-over; it is not work done in Comptoir."""
WORKED_OUT = ("replied", "no_action")


# -- small pure helpers ------------------------------------------------------------------------
def spread(values: list[float]) -> Spread:
    """Count, median (mean of the two middle values when even) and nearest-rank 90th percentile."""
    if not values:
        return Spread(0, None, None)
    ordered = sorted(values)
    return Spread(len(ordered), float(statistics.median(ordered)), float(ordered[math.ceil(0.9 * len(ordered)) - 1]))


def age_bucket(seconds: float) -> str:
    for limit, label in AGE_BUCKETS:
        if limit is None or seconds < limit:
            return label
    return AGE_BUCKETS[-1][1]


class OpenClock:
    """Open seconds elapsed before any instant, from prefix sums over one set of business hours."""

    def __init__(self, hours: BusinessHours, start: datetime, end: datetime) -> None:
        spans = open_spans(start, end, hours)
        self.starts = [int(a.timestamp()) for a, _b in spans]
        self.ends = [int(b.timestamp()) for _a, b in spans]
        self.before: list[int] = []
        total = 0
        for a, b in zip(self.starts, self.ends, strict=False):
            self.before.append(total)
            total += b - a

    def open_before(self, t: float) -> float:
        i = bisect_right(self.starts, t) - 1
        if i < 0:
            return 0
        return self.before[i] + min(t, self.ends[i]) - self.starts[i]

    def between(self, a: float, b: float) -> float:
        return self.open_before(b) - self.open_before(a)


class LocalTime:
    """Local day, ISO week, weekday and hour of epochs, cached per quarter hour (every zone offset is one)."""

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        self.cache: dict[int, tuple[str, str, int, int]] = {}
        """Quarter hour since 1970 -> (day, week, weekday, hour)."""

    def of(self, t: float) -> tuple[str, str, int, int]:
        key = int(t // 900)
        found = self.cache.get(key)
        if found is None:
            local = datetime.fromtimestamp(key * 900, self.zone)
            iso = local.isocalendar()
            found = self.cache[key] = (local.date().isoformat(), f"{iso[0]}-W{iso[1]:02d}", local.weekday(), local.hour)
        return found


@dataclass
class _Conv:
    team: str | None
    owner: str | None
    address: str
    created: int
    state: str
    first_in: int | None = None
    replies: list[int] = field(default_factory=list)


@dataclass
class _Acc:
    """Running figures of one group."""

    messages_in: int = 0
    replies_out: int = 0
    first_response: list[float] = field(default_factory=list)
    first_response_business: list[float] = field(default_factory=list)
    worked_out: list[float] = field(default_factory=list)
    resolution: list[float] = field(default_factory=list)

    def view(self, key: str) -> ReportGroup:
        return ReportGroup(
            key,
            self.messages_in,
            self.replies_out,
            spread(self.first_response),
            spread(self.first_response_business),
            spread(self.worked_out),
            len(self.resolution),
            spread(self.resolution),
        )


# -- SQL pieces -----------------------------------------------------------------------------
def _epoch(raw: RawSql, column: str) -> str:
    """Whole seconds since 1970 of a stored UTC time, the same on both backends (truncated)."""
    if raw.sqlite:
        return f"CAST(strftime('%s', {column}) AS INTEGER)"
    return f"CAST(FLOOR(EXTRACT(EPOCH FROM {column})) AS BIGINT)"


def _conversation_filter(query: ReportQuery) -> tuple[str, dict[str, Any]]:
    """SQL conditions on the conversation alias `c` for the query's filters."""
    conditions, params = [], {}
    if query.team:
        conditions.append("c.team = :f_team")
        params["f_team"] = query.team
    if query.agent:
        conditions.append("c.owner = :f_agent")
        params["f_agent"] = query.agent
    if query.address:
        conditions.append("lower(c.via_address) = :f_address")
        params["f_address"] = query.address.strip().lower()
    if query.client:
        client = query.client.strip().lower()
        if "@" in client.lstrip("@"):
            conditions.append("lower(c.customer_address) = :f_client")
            params["f_client"] = client
        else:
            conditions.append("lower(c.customer_address) LIKE :f_client")
            params["f_client"] = "%@" + client.lstrip("@")
    return "".join(f" AND {c}" for c in conditions), params


def _parse_iso(value: object) -> int | None:
    if not value:
        return None
    moment = datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def _when_epoch(raw: RawSql, value: object) -> int | None:
    moment = raw.read_when(value)
    return int(moment.timestamp()) if moment is not None else None


# -- the report ----------------------------------------------------------------------------------
def check_query(ws: Workspace, query: ReportQuery) -> None:
    """Refuse a query that cannot mean anything, naming the fix."""
    if query.until <= query.since:
        raise ComptoirError(
            f"the report period is empty: --since {query.since:%Y-%m-%d %H:%M} is not before "
            f"--until {query.until:%Y-%m-%d %H:%M}"
        )
    if query.group_by is not None and query.group_by not in GROUPINGS:
        raise ComptoirError(f"cannot group by {query.group_by!r}: use one of {', '.join(GROUPINGS)}")
    if query.team and ws.config.team(query.team) is None:
        known = ", ".join(t.name for t in ws.config.teams) or "none"
        raise ComptoirError(f"there is no team {query.team!r} (teams: {known})")
    if query.agent and ws.config.agent(query.agent) is None:
        raise ComptoirError(f"{query.agent!r} is not an agent of this workspace")
    if query.timezone:
        try:
            ZoneInfo(query.timezone)
        except (ValueError, ZoneInfoNotFoundError):
            raise ComptoirError(
                f"unknown time zone {query.timezone!r}: use a name such as Europe/Paris or UTC"
            ) from None


def build_report(ws: Workspace, query: ReportQuery, now: datetime) -> ReportView:
    """Every figure of docs/reports.md for `query`, as of `now`."""
    check_query(ws, query)
    until = min(query.until, now)
    zone_name = query.timezone or ws.config.workspace.timezone
    zone = ZoneInfo(zone_name)
    local = LocalTime(zone)
    since_s, until_s, now_s = int(query.since.timestamp()), int(until.timestamp()), int(now.timestamp())
    clocks: dict[str | None, OpenClock | None] = {None: None}
    for team in ws.config.teams:
        clocks[team.name] = OpenClock(team_hours(team), query.since - timedelta(days=1), now + timedelta(days=1))

    def business(team: str | None, a: float, b: float) -> float:
        clock = clocks.get(team)
        return b - a if clock is None else clock.between(a, b)

    where, fparams = _conversation_filter(query)
    with ws.db.raw(write=False) as raw:
        p = {"since": raw.when(query.since), "until": raw.when(until), **fparams}
        convs = _conversations(raw, where, p)
        messages = raw.all(
            f"SELECT conversation_id, direction, {_epoch(raw, 'received_at')}, disposition, "
            f"{_epoch(raw, 'disposed_at')} FROM message WHERE received_at >= :since "
            "AND direction IN ('inbound', 'outbound')",
            p,
        )
        windows = _first_windows(raw, where, p)
        # Recent conversations first, then their events: the done events of the whole history are many.
        closings = raw.all(
            f"SELECT d.conversation_id, {_epoch(raw, 'd.at')}, (SELECT {_epoch(raw, 'n.at')} FROM event n "
            "WHERE n.conversation_id = d.conversation_id AND n.id > d.id "
            f"AND n.kind IN ({_kinds(REOPENING_KINDS)}) ORDER BY n.id LIMIT 1) "
            f"FROM conversation c {_ordered_join(raw)} event d ON d.conversation_id = c.id "
            f"WHERE d.kind = 'done' AND c.updated_at >= :since{where}",
            p,
        )
        open_now = raw.scalar(f"SELECT COUNT(*) FROM conversation c WHERE c.state != 'done'{where}", p)
        replies_of_resolved = dict(
            raw.all(
                "SELECT conversation_id, COUNT(*) FROM message WHERE direction = 'outbound' AND conversation_id IN "
                "(SELECT conversation_id FROM event WHERE kind = 'done' AND at >= :since AND at < :until) "
                "GROUP BY conversation_id",
                p,
            )
        )
        pending = _pending(raw, where, p, until < now)
        period_events = raw.all(
            "SELECT conversation_id, kind, actor, details FROM event WHERE at >= :since AND at < :until "
            f"AND kind IN ({_kinds((*ESCALATION_RUNGS, 'no_action', 'assign'))})",
            p,
        )
        load = raw.all(
            f"SELECT c.owner, COUNT(*) FROM conversation c WHERE c.state != 'done' "
            f"AND c.owner IS NOT NULL{where} GROUP BY c.owner ORDER BY COUNT(*) DESC, c.owner",
            p,
        )
        ratings = _ratings(raw, query, zone, until)
        recorded_loads = day_end_loads(raw, query.since.astimezone(zone).date(), until.astimezone(zone).date())
        alerts = raw.all(
            "SELECT a.kind, a.agent, COUNT(*), SUM(CASE WHEN a.acknowledged_at IS NOT NULL "
            "AND a.conversation_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM event e "
            "WHERE e.conversation_id = a.conversation_id AND e.actor = a.agent AND e.at >= a.created_at) "
            "THEN 1 ELSE 0 END) FROM alert a WHERE a.created_at >= :since AND a.created_at < :until "
            "GROUP BY a.kind, a.agent",
            p,
        )

    total = _Acc()
    groups: dict[str, _Acc] = defaultdict(_Acc)
    by = query.group_by

    def key_of(conv: _Conv, t: float) -> str | None:
        if by is None:
            return None
        if by == "day":
            return local.of(t)[0]
        if by == "week":
            return local.of(t)[1]
        if by == "agent":
            return conv.owner or "(nobody)"
        if by == "team":
            return conv.team or "(no team)"
        return conv.address or "(none)"

    def accs(conv: _Conv, t: float) -> tuple[_Acc, ...]:
        key = key_of(conv, t)
        return (total,) if key is None else (total, groups[key])

    # The hottest loop of a report (one turn per message): lookups are bound to locals.
    volume_in = [[0] * 24 for _ in range(7)]
    volume_out = [[0] * 24 for _ in range(7)]
    worked_business: list[float] = []
    worked_all = total.worked_out
    not_worked_out = 0
    local_cache, local_of, convs_get = local.cache, local.of, convs.get
    for cid, direction, received, disposition, disposed in messages:
        conv = convs_get(cid)
        if conv is None:
            continue
        inbound = direction == "inbound"
        if disposition != HISTORY and conv.created >= since_s:
            if not inbound:
                conv.replies.append(received)
            elif conv.first_in is None or received < conv.first_in:
                conv.first_in = received
        if received >= until_s:
            continue
        info = local_cache.get(received // 900) or local_of(received)
        targets = (total,) if by is None else accs(conv, received)
        if not inbound:
            volume_out[info[2]][info[3]] += 1
            for acc in targets:
                acc.replies_out += 1
            continue
        volume_in[info[2]][info[3]] += 1
        for acc in targets:
            acc.messages_in += 1
        if disposition == HISTORY:
            continue
        if disposed is not None and disposed <= now_s and disposition in WORKED_OUT:
            waited = disposed - received
            if by is None:
                worked_all.append(waited)
            else:
                for acc in targets:
                    acc.worked_out.append(waited)
            clock = clocks.get(conv.team)
            worked_business.append(waited if clock is None else clock.between(received, disposed))
        else:
            not_worked_out += 1

    # First responses, and the share of them inside the windows routing promised.
    within = {"exclusive": [0, 0], "team": [0, 0], "promise": [0, 0]}
    response_days: dict[str, list[float]] = defaultdict(list)
    for cid, conv in convs.items():
        if conv.first_in is None or conv.first_in >= until_s:
            continue
        reply = min((r for r in conv.replies if r >= conv.first_in), default=None)
        promised = windows.get(cid, (None, None))
        for name, deadline in (
            ("exclusive", promised[0]),
            ("team", promised[1]),
            ("promise", max((w for w in promised if w is not None), default=None)),
        ):
            if deadline is None:
                continue
            if reply is not None and reply <= deadline:
                within[name][0] += 1
                within[name][1] += 1
            elif reply is not None or deadline <= now_s:
                within[name][1] += 1
        if reply is None:
            continue
        wall, open_time = reply - conv.first_in, business(conv.team, conv.first_in, reply)
        for acc in accs(conv, conv.first_in):
            acc.first_response.append(wall)
            acc.first_response_business.append(open_time)
        response_days[local.of(conv.first_in)[0]].append(wall)

    # Resolutions (the last close in the period of each conversation) and the backlog walked back from now.
    last_close: dict[int, int] = {}
    done_times: list[int] = []
    reopen_times: list[int] = []
    for cid, done_at, reopened_at in closings:
        if cid not in convs:
            continue
        if done_at >= since_s:
            done_times.append(done_at)
        if reopened_at is not None and reopened_at >= since_s:
            reopen_times.append(reopened_at)
        if since_s <= done_at < until_s and done_at > last_close.get(cid, -1):
            last_close[cid] = done_at
    replies_total = 0
    for cid, done_at in last_close.items():
        conv = convs[cid]
        for acc in accs(conv, done_at):
            acc.resolution.append(done_at - conv.created)
        replies_total += replies_of_resolved.get(cid, 0)
    # A conversation done without ever being closed (history) was never open work: it is not in the backlog.
    closed_by_event = {cid for cid, _done, _reopened in closings}
    created_times = sorted(
        c.created for cid, c in convs.items() if c.created >= since_s and (c.state != "done" or cid in closed_by_event)
    )
    done_times.sort()
    reopen_times.sort()
    backlog = []
    for day, end in _day_ends(query.since, until, zone):
        t = min(int(end.timestamp()), now_s)
        backlog.append(
            AgentCount(day, open_now - _after(created_times, t) + _after(done_times, t) - _after(reopen_times, t))
        )

    ages = Counter(age_bucket(until_s - received) for received in pending)
    pending_by_age = tuple(AgentCount(label, ages.get(label, 0)) for _limit, label in AGE_BUCKETS)

    escalations: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    moves: Counter[str] = Counter()
    take_backs_by: Counter[str] = Counter()
    for cid, kind, actor, details in period_events:
        if cid is not None and cid not in convs:
            continue
        details = raw.read_json(details) or {}
        if kind in ESCALATION_RUNGS:
            escalations[kind] += 1
        elif kind == "no_action":
            reasons[str(details.get("reason") or "(no reason)")] += 1
        else:
            moves[actor] += 1
            previous = details.get("previous")
            if previous and previous != actor:
                take_backs_by[actor] += 1

    alerts_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    alerts_agent: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    members = set(ws.config.members_of(query.team)) if query.team else None
    for kind, agent, raised, idle in alerts:
        if (members is not None and agent not in members) or (query.agent and agent != query.agent):
            continue
        for table, name in ((alerts_kind, kind), (alerts_agent, agent)):
            table[name][0] += raised
            table[name][1] += idle or 0

    agent_scores: dict[str, list[int]] = defaultdict(list)
    team_scores: dict[str, list[int]] = defaultdict(list)
    for agent, score in ratings:
        if (members is not None and agent not in members) or (query.agent and agent != query.agent):
            continue
        agent_scores[agent].append(score)
        for team_name in ws.config.teams_of(agent):
            if query.team is None or team_name == query.team:
                team_scores[team_name].append(score)

    def counted(table: dict[str, list[int]]) -> tuple[AgentCount, ...]:
        """Most first, then by name."""
        return tuple(
            AgentCount(name, v[0], v[1]) for name, v in sorted(table.items(), key=lambda item: (-item[1][0], item[0]))
        )

    return ReportView(
        query=query,
        now=now,
        timezone=zone_name,
        total=total.view("all"),
        groups=tuple(groups[k].view(k) for k in sorted(groups)),
        within_exclusive=Share(*within["exclusive"]),
        within_team=Share(*within["team"]),
        within_promise=Share(*within["promise"]),
        worked_out_business=spread(worked_business),
        not_worked_out=not_worked_out,
        pending_by_age=pending_by_age,
        replies_per_resolved=replies_total / len(last_close) if last_close else None,
        volume_in=tuple(tuple(row) for row in volume_in),
        volume_out=tuple(tuple(row) for row in volume_out),
        backlog=tuple(backlog),
        response_by_day=tuple(AgentCount(day, len(v), spread(v).median) for day, v in sorted(response_days.items())),
        escalations=tuple(AgentCount(k, escalations[k]) for k in ESCALATION_RUNGS),
        no_action_reasons=tuple(AgentCount(k, n) for k, n in sorted(reasons.items(), key=lambda i: (-i[1], i[0]))),
        reassignments=sum(moves.values()),
        take_backs=sum(take_backs_by.values()),
        reassignments_by_agent=tuple(
            AgentCount(a, n, float(take_backs_by[a])) for a, n in sorted(moves.items(), key=lambda i: (-i[1], i[0]))
        ),
        satisfaction_agents=tuple(AgentCount(a, len(s), sum(s) / len(s)) for a, s in sorted(agent_scores.items())),
        satisfaction_teams=tuple(AgentCount(t, len(s), sum(s) / len(s)) for t, s in sorted(team_scores.items())),
        alerts_by_kind=counted(alerts_kind),
        alerts_by_agent=counted(alerts_agent),
        load_now=tuple(AgentCount(owner, n) for owner, n in load),
        load_at_day_end=_loads_by_day(recorded_loads, query, until, zone, members),
    )


def _loads_by_day(
    recorded: dict[str, dict[str, int]], query: ReportQuery, until: datetime, zone: ZoneInfo, members: set[str] | None
) -> tuple[DayLoad, ...]:
    """Every day that ended inside the period, with the agents the query is about."""
    out = []
    for day, end in _day_ends(query.since, until, zone):
        if end > until:
            break
        loads = recorded.get(day)
        if loads is None:
            out.append(DayLoad(day, (), recorded=False))
            continue
        chosen = {
            a: n
            for a, n in loads.items()
            if (members is None or a in members) and (query.agent is None or a == query.agent)
        }
        out.append(
            DayLoad(day, tuple(AgentCount(a, n) for a, n in sorted(chosen.items(), key=lambda i: (-i[1], i[0]))))
        )
    return tuple(out)


def _after(times: list[int], t: int) -> int:
    """How many of the sorted `times` are later than `t`."""
    return len(times) - bisect_right(times, t)


def _kinds(kinds: tuple[str, ...]) -> str:
    return ", ".join(f"'{k}'" for k in kinds)


def _conversations(raw: RawSql, where: str, p: dict[str, Any]) -> dict[int, _Conv]:
    """Every conversation that changed in the period (a message, a close, a hand-over all touch it)."""
    rows = raw.all(
        f"SELECT c.id, c.team, c.owner, c.via_address, {_epoch(raw, 'c.created_at')}, c.state FROM conversation c "
        f"WHERE c.updated_at >= :since{where}",
        p,
    )
    return {
        cid: _Conv(team, owner, address or "", created, state) for cid, team, owner, address, created, state in rows
    }


def _first_windows(raw: RawSql, where: str, p: dict[str, Any]) -> dict[int, tuple[int | None, int | None]]:
    """The exclusive and team window ends the first routing of each new conversation promised."""
    if raw.sqlite:
        exclusive, team = "json_extract(e.details, '$.exclusive_until')", "json_extract(e.details, '$.team_until')"
        recorded = "json_type(e.details, '$.team_until')"
    else:
        exclusive, team = "e.details->>'exclusive_until'", "e.details->>'team_until'"
        recorded = "json_typeof(e.details->'team_until')"
    rows = raw.all(
        f"SELECT e.conversation_id, e.id, {exclusive}, {team}, c.exclusive_until, c.team_until, {recorded} "
        f"FROM conversation c {_ordered_join(raw)} event e ON e.conversation_id = c.id AND e.at = c.created_at "
        "WHERE c.updated_at >= :since AND c.created_at >= :since AND c.created_at < :until "
        f"AND e.kind = 'routed'{where} ORDER BY e.id",
        p,
    )
    windows: dict[int, tuple[int | None, int | None]] = {}
    for cid, _eid, ex, tm, conv_ex, conv_tm, recorded in rows:
        if cid in windows:
            continue
        if recorded is None:
            # Routed before events kept their windows: the conversation's own (its latest routing's).
            windows[cid] = (_when_epoch(raw, conv_ex), _when_epoch(raw, conv_tm))
        else:
            windows[cid] = (_parse_iso(ex), _parse_iso(tm))
    return windows


def _ordered_join(raw: RawSql) -> str:
    """A join SQLite must run left to right (its planner would start from the event index otherwise)."""
    return "CROSS JOIN" if raw.sqlite else "JOIN"


def _pending(raw: RawSql, where: str, p: dict[str, Any], past: bool) -> list[int]:
    """Arrival times of inbound messages not worked out at the period's end."""
    join = " JOIN conversation c ON c.id = m.conversation_id" if where else ""
    rows = raw.all(
        f"SELECT {_epoch(raw, 'm.received_at')} FROM message m{join} "
        f"WHERE m.disposition = 'pending' AND m.received_at < :until AND m.direction = 'inbound'{where}",
        p,
    )
    if past:
        rows += raw.all(
            f"SELECT {_epoch(raw, 'm.received_at')} FROM message m JOIN conversation c ON c.id = m.conversation_id "
            "WHERE m.direction = 'inbound' AND m.disposition IN ('replied', 'no_action') "
            f"AND m.received_at < :until AND m.disposed_at > :until{where}",
            p,
        )
    return [r[0] for r in rows]


def _ratings(raw: RawSql, query: ReportQuery, zone: ZoneInfo, until: datetime) -> list[tuple[str, int]]:
    """(agent, score) of ratings given on the period's local days."""
    first, last = query.since.astimezone(zone).date(), until.astimezone(zone).date()
    params: dict[str, Any] = {
        "d0": first.isoformat() if raw.sqlite else first,
        "d1": last.isoformat() if raw.sqlite else last,
    }
    client = ""
    if query.client:
        text = query.client.strip().lower()
        if "@" in text.lstrip("@"):
            client, params["client"] = " AND lower(ct.address) = :client", text
        else:
            client, params["client"] = " AND lower(ct.address) LIKE :client", "%@" + text.lstrip("@")
    return [
        (agent, int(score))
        for agent, score in raw.all(
            "SELECT r.agent, r.score FROM rating r JOIN contact ct ON ct.id = r.contact_id "
            f"WHERE r.rated_on >= :d0 AND r.rated_on <= :d1{client}",
            params,
        )
    ]


def _day_ends(since: datetime, until: datetime, zone: ZoneInfo) -> list[tuple[str, datetime]]:
    """(local day, the local midnight ending it) for every day the period touches."""
    day = since.astimezone(zone).date()
    last = until.astimezone(zone).date()
    ends = []
    while day <= last:
        following = day + timedelta(days=1)
        ends.append((day.isoformat(), datetime(following.year, following.month, following.day, tzinfo=zone)))
        day = following
    return ends
