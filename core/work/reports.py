"""Reports: the figures a team lead needs, computed from the event log and the messages.

Each figure is defined in one line in docs/reports.md. The figures add up per-day parts
(core.work.report_parts): finished days come from the rollup (core.work.report_rollup), the first
and the running day from the rows; business time comes from prefix sums over the teams' open spans,
so it costs a bisect per value.

Conversation attributes (team, owner, address written to, customer) are their current values: a
report filtered on a team covers the conversations that team holds now.
"""

from __future__ import annotations

import math
import statistics
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.errors import ComptoirError
from core.store.rawsql import RawSql
from core.work.daily import day_end_loads
from core.work.policy import team_hours
from core.work.report_parts import COUNTED_KINDS, ESCALATION_RUNGS, MET, MISSED, Conv, DayPart, collect
from core.work.report_rollup import midnight, missing_days, rollup_days
from core.work.views import AgentCount, DayLoad, ReportGroup, ReportQuery, ReportView, Share, Spread
from core.workspace.folder import Workspace
from routing import BusinessHours
from routing.hours import open_spans

DEFAULT_DAYS = 30
GROUPINGS = ("day", "week", "agent", "team", "address")
AGE_BUCKETS = ((3600, "under 1 h"), (4 * 3600, "1-4 h"), (24 * 3600, "4-24 h"), (None, "over 1 day"))


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


def build_report(ws: Workspace, query: ReportQuery, now: datetime, use_rollup: bool = True) -> ReportView:
    """Every figure of docs/reports.md for `query`, as of `now`.

    The period's figures add up per-day parts (core.work.report_parts): finished days of the workspace's
    zone come from the rollup (core.work.report_rollup), the rest from the raw rows. A report in another
    zone, about a client, or with `use_rollup` False reads only raw rows (the same numbers, slower).
    """
    check_query(ws, query)
    until = min(query.until, now)
    zone_name = query.timezone or ws.config.workspace.timezone
    zone = ZoneInfo(zone_name)
    local = LocalTime(zone)
    since_s, until_s, now_s = int(query.since.timestamp()), int(until.timestamp()), int(now.timestamp())
    business = _business(ws, query.since, now)
    keep = _keeper(query)
    rolled = use_rollup and query.client is None and zone_name == ws.config.workspace.timezone
    where, fparams = _conversation_filter(query)
    figures: list[tuple[str, DayPart]] = []
    """The parts of [since, until)."""
    backlog_parts: list[tuple[str, DayPart]] = []
    """The parts of [since, now] and beyond, for the backlog walked back from now."""
    with ws.db.raw(write=False) as raw:
        only = None
        if query.client:  # a client's conversations are few: read their rows rather than every row of the period
            only = [r[0] for r in raw.all(f"SELECT c.id FROM conversation c WHERE 1 = 1{where}", fparams)]

        def collect_raw(a: int, b: int | None, in_period: bool) -> None:
            found = sorted(collect(raw, a, b, now_s, local.of, business, keep, only).items())
            backlog_parts.extend(found)
            if in_period:
                figures.extend(found)

        if rolled:
            pieces = _pieces(query.since, until, now, zone)
            stored = rollup_days(ws, [d for d, kind in pieces if kind != "raw"], now_s, local.of, business)
            for d, kind in pieces:
                a, b = midnight(d, zone), midnight(d + timedelta(days=1), zone)
                if kind == "raw":  # the first and the running day: from rows
                    a = max(a, since_s)
                    if a < until_s:
                        collect_raw(a, min(b, until_s), True)
                        if b > until_s:
                            collect_raw(until_s, None if b > now_s else b, False)
                    else:
                        collect_raw(a, None if b > now_s else b, False)
                    continue
                part = stored[d.isoformat()]
                backlog_parts.append((d.isoformat(), part))
                if kind == "within":
                    figures.append((d.isoformat(), part))
                elif kind == "split":  # the period ends inside this finished day
                    figures.extend(sorted(collect(raw, a, until_s, now_s, local.of, business, keep).items()))
        else:
            collect_raw(since_s, until_s, True)
            collect_raw(until_s, None, False)

        p = {"since": raw.when(query.since), "until": raw.when(until), **fparams}
        open_now = raw.scalar(f"SELECT COUNT(*) FROM conversation c WHERE c.state != 'done'{where}", p)
        pending = _pending(raw, where, p, until < now)
        loose_events = raw.all(
            "SELECT kind, actor, details FROM event WHERE at >= :since AND at < :until "
            f"AND kind IN ({_kinds(COUNTED_KINDS)}) AND conversation_id IS NULL",
            p,
        )
        load = raw.all(
            f"SELECT c.owner, COUNT(*) FROM conversation c WHERE c.state != 'done' "
            f"AND c.owner IS NOT NULL{where} GROUP BY c.owner ORDER BY COUNT(*) DESC, c.owner",
            p,
        )
        ratings = _ratings(raw, query, zone, until)
        recorded_loads = day_end_loads(raw, query.since.astimezone(zone).date(), until.astimezone(zone).date())
        # Alerts not about a conversation are never "idle" (that needs a conversation to act on).
        loose_alerts = raw.all(
            "SELECT kind, agent, COUNT(*) FROM alert WHERE created_at >= :since AND created_at < :until "
            "AND conversation_id IS NULL GROUP BY kind, agent",
            p,
        )
        read_json = raw.read_json

    total = _Acc()
    groups: dict[str, _Acc] = defaultdict(_Acc)
    by = query.group_by
    volume_in = [[0] * 24 for _ in range(7)]
    volume_out = [[0] * 24 for _ in range(7)]
    worked_business: list[float] = []
    not_worked_out = 0
    within = {"exclusive": [0, 0], "team": [0, 0], "promise": [0, 0]}
    response_days: dict[str, list[float]] = defaultdict(list)
    last_close: dict[int, tuple[int, int, int, tuple[_Acc, ...]]] = {}
    """conversation -> (last close in the period, created, replies held, where it counts)."""
    escalations: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    moves: Counter[str] = Counter()
    take_backs_by: Counter[str] = Counter()
    alerts_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    alerts_agent: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    members = set(ws.config.members_of(query.team)) if query.team else None

    def count_alert(kind: str, agent: str, raised: int, idle: int) -> None:
        if (members is not None and agent not in members) or (query.agent and agent != query.agent):
            return
        for table, name in ((alerts_kind, kind), (alerts_agent, agent)):
            table[name][0] += raised
            table[name][1] += idle

    weeks: dict[str, tuple[str, int]] = {}
    for day_name, dp in figures:
        if day_name not in weeks:
            iso = date.fromisoformat(day_name).isocalendar()
            weeks[day_name] = (f"{iso[0]}-W{iso[1]:02d}", date.fromisoformat(day_name).weekday())
        week, weekday = weeks[day_name]
        for key, kp in dp.keys.items():
            if not keep(key):
                continue
            if by is None:
                targets: tuple[_Acc, ...] = (total,)
            else:
                group = {
                    "day": day_name,
                    "week": week,
                    "agent": key[1] or "(nobody)",
                    "team": key[0] or "(no team)",
                }.get(by, key[2] or "(none)")
                targets = (total, groups[group])
            row_in, row_out = volume_in[weekday], volume_out[weekday]
            for hour in range(24):
                row_in[hour] += kp.volume_in[hour]
                row_out[hour] += kp.volume_out[hour]
            for acc in targets:
                acc.messages_in += kp.messages_in
                acc.replies_out += kp.replies_out
                acc.worked_out.extend(kp.worked_out)
            worked_business.extend(kp.worked_out_business)
            not_worked_out += kp.not_worked_out
            if kp.first_wall:
                for acc in targets:
                    acc.first_response.extend(kp.first_wall)
                    acc.first_response_business.extend(kp.first_business)
                response_days[day_name].extend(kp.first_wall)
            for i, name_ in enumerate(("exclusive", "team", "promise")):
                within[name_][0] += kp.first_within[2 * i]
                within[name_][1] += kp.first_within[2 * i + 1]
            for created, wall, open_time, *codes in kp.first:
                if created < since_s:
                    continue
                if created < until_s:
                    for name_, code in zip(("exclusive", "team", "promise"), codes, strict=True):
                        if code == MET:
                            within[name_][0] += 1
                            within[name_][1] += 1
                        elif code == MISSED:
                            within[name_][1] += 1
                if wall < 0:
                    continue
                for acc in targets:
                    acc.first_response.append(wall)
                    acc.first_response_business.append(open_time)
                response_days[day_name].append(wall)
            for cid, done_at, created, held in kp.closes:
                if cid not in last_close or done_at > last_close[cid][0]:
                    last_close[cid] = (done_at, created, held, targets)
            escalations.update(kp.escalations)
            reasons.update(kp.reasons)
            for actor, (moved, took) in kp.moves.items():
                moves[actor] += moved
                take_backs_by[actor] += took
        for (kind, agent), (raised, idle) in dp.alerts.items():
            count_alert(kind, agent, raised, idle)
    for kind, agent, raised in loose_alerts:
        count_alert(kind, agent, raised, 0)
    for kind, actor, details in loose_events:
        details = read_json(details) or {}
        if kind in ESCALATION_RUNGS:
            escalations[kind] += 1
        elif kind == "no_action":
            reasons[str(details.get("reason") or "(no reason)")] += 1
        else:
            moves[actor] += 1
            previous = details.get("previous")
            if previous and previous != actor:
                take_backs_by[actor] += 1

    replies_total = 0
    for done_at, created, held, targets in last_close.values():
        for acc in targets:
            acc.resolution.append(done_at - created)
        replies_total += held

    # The backlog, walked back from the current count through what happened after each day's end.
    net: Counter[str] = Counter()
    first_second: Counter[str] = Counter()
    for day_name, dp in backlog_parts:
        for key, kp in dp.keys.items():
            if keep(key):
                net[day_name] += kp.created - kp.done + kp.reopened
                first_second[day_name] += kp.at_midnight
    backlog = []
    for day_name, end in _day_ends(query.since, until, zone):
        later = 0
        if end.timestamp() <= now_s:
            following = (date.fromisoformat(day_name) + timedelta(days=1)).isoformat()
            later = sum(n for d, n in net.items() if d > day_name) - first_second[following]
        backlog.append(AgentCount(day_name, open_now - later))

    ages = Counter(age_bucket(until_s - received) for received in pending)
    pending_by_age = tuple(AgentCount(label, ages.get(label, 0)) for _limit, label in AGE_BUCKETS)

    def counted(table: dict[str, list[int]]) -> tuple[AgentCount, ...]:
        """Most first, then by name."""
        return tuple(
            AgentCount(name, v[0], v[1]) for name, v in sorted(table.items(), key=lambda item: (-item[1][0], item[0]))
        )

    agent_scores: dict[str, list[int]] = defaultdict(list)
    team_scores: dict[str, list[int]] = defaultdict(list)
    for agent, score in ratings:
        if (members is not None and agent not in members) or (query.agent and agent != query.agent):
            continue
        agent_scores[agent].append(score)
        for team_name in ws.config.teams_of(agent):
            if query.team is None or team_name == query.team:
                team_scores[team_name].append(score)

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


def _business(ws: Workspace, since: datetime, now: datetime) -> Callable[[str | None, int, int], int]:
    """Open seconds of a team between two moments from `since` on (wall seconds for no team or an unknown one)."""
    clocks: dict[str | None, OpenClock | None] = {None: None}
    for team in ws.config.teams:
        clocks[team.name] = OpenClock(team_hours(team), since - timedelta(days=1), now + timedelta(days=1))

    def business(team: str | None, a: int, b: int) -> int:
        clock = clocks.get(team)
        return b - a if clock is None else int(clock.between(a, b))

    return business


def warm_rollup(ws: Workspace, now: datetime, days: int = 366, budget: int = 31) -> int:
    """Store the rollup's missing days among the last `days` finished ones, at most `budget` of them (the
    most recent first), so reports find them ready; the server calls it on its escalation passes. Returns
    how many days it stored."""
    zone = ZoneInfo(ws.config.workspace.timezone)
    today = now.astimezone(zone).date()
    wanted = [today - timedelta(days=n) for n in range(days, 0, -1)]
    now_s = int(now.timestamp())
    chosen = missing_days(ws, wanted, now_s)[-budget:]
    if chosen:
        since = datetime(chosen[0].year, chosen[0].month, chosen[0].day, tzinfo=zone)
        rollup_days(ws, chosen, now_s, LocalTime(zone).of, _business(ws, since, now))
    return len(chosen)


def _pieces(since: datetime, until: datetime, now: datetime, zone: ZoneInfo) -> list[tuple[date, str]]:
    """Each local day from the period's first to today: 'raw' (the first, if it starts after midnight, and
    today), else a finished day 'within' the period, 'split' by its end, or 'after' it (backlog only)."""
    first, today = since.astimezone(zone).date(), now.astimezone(zone).date()
    out = []
    day = first
    while day <= today:
        start, end = midnight(day, zone), midnight(day + timedelta(days=1), zone)
        if day == today or start < since.timestamp():
            kind = "raw"
        elif end <= until.timestamp():
            kind = "within"
        elif start < until.timestamp():
            kind = "split"
        else:
            kind = "after"
        out.append((day, kind))
        day += timedelta(days=1)
    return out


def _keeper(query: ReportQuery) -> Callable[[Any], bool]:
    """The query's filters on a conversation (report_parts.Conv) or a part's key (team, owner, address)."""
    address = query.address.strip().lower() if query.address else None
    client = query.client.strip().lower() if query.client else None

    def keep(conv: Any) -> bool:
        team, owner, via = conv.key if isinstance(conv, Conv) else conv
        if query.team and team != query.team:
            return False
        if query.agent and owner != query.agent:
            return False
        if address is not None and via.lower() != address:
            return False
        if client is not None and isinstance(conv, Conv):
            customer = (conv.customer or "").lower()
            if "@" in client.lstrip("@"):
                return bool(conv.customer) and customer == client
            return bool(conv.customer) and customer.endswith("@" + client.lstrip("@"))
        return True

    return keep


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


def _kinds(kinds: tuple[str, ...]) -> str:
    return ", ".join(f"'{k}'" for k in kinds)


def _pending(raw: RawSql, where: str, p: dict[str, Any], past: bool) -> list[int]:
    """Arrival times of inbound messages not worked out at the period's end."""
    join = " JOIN conversation c ON c.id = m.conversation_id" if where else ""
    rows = raw.all(
        f"SELECT {raw.epoch('m.received_at')} FROM message m{join} "
        f"WHERE m.disposition = 'pending' AND m.received_at < :until AND m.direction = 'inbound'{where}",
        p,
    )
    if past:
        rows += raw.all(
            f"SELECT {raw.epoch('m.received_at')} FROM message m JOIN conversation c ON c.id = m.conversation_id "
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
