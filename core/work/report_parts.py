"""A report's figures in parts that add up: per local day, and per conversation key (team, owner, address
written to), what that day contributed. A report adds the parts of its days and derives the figures
(core.work.reports); finished days are kept in the rollup (core.work.report_rollup), the others are
collected from the raw rows here.

Every contribution sits on the day of the moment it is about: a message on its arrival, a first
response on the conversation's first inbound message, a close on its `done` event, a reopening on the
event that reopened. Durations are kept exactly (lists of whole seconds), so medians and p90 over any
set of days are exact; the few things that hang on the moment the report is made (a promised window
not over yet, a disposal time ahead of the report's clock) make the day stale at that moment.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from core.store.rawsql import RawSql

PARTS_VERSION = 1
"""The stored form of a part (KeyPart.to_json): change it with the form, and the stored days are dropped."""
ESCALATION_RUNGS = ("warn", "to_team", "to_everyone", "alert_supervisors")
REOPENING_KINDS = ("reopen", "routed", "assign", "reply")
"""Events that leave a done conversation not done (a new mail, a hand-over, a reply, a reopen)."""
COUNTED_KINDS = (*ESCALATION_RUNGS, "no_action", "assign")
"""Events counted as they are: escalations, no-action reasons, hand-overs."""
HISTORY = "history"
"""Disposition of mail imported from before an account's cut-over; it is not work done in Comptoir."""
WORKED_OUT = ("replied", "no_action")
NO_WINDOW, MET, MISSED, NOT_YET = 0, 1, 2, 3
"""How a first response did against one promised window: not promised, met, missed (counted), or not
answered while the window is still open (not counted yet)."""

Key = tuple[str | None, str | None, str]
"""(team, owner, address written to) of a conversation, as they are now."""
Business = Callable[[str | None, int, int], int]
"""Open seconds of a team between two moments (wall seconds for no team)."""
DayOf = Callable[[int], tuple[str, str, int, int]]
"""(local day, ISO week, weekday, hour) of a moment."""


@dataclass
class KeyPart:
    """What one day contributed for one conversation key."""

    messages_in: int = 0
    replies_out: int = 0
    volume_in: list[int] = field(default_factory=lambda: [0] * 24)
    volume_out: list[int] = field(default_factory=lambda: [0] * 24)
    worked_out: list[int] = field(default_factory=list)
    worked_out_business: list[int] = field(default_factory=list)
    not_worked_out: int = 0
    first: list[list[int]] = field(default_factory=list)
    """[created, wall (-1: no reply), business, exclusive, team, promise] of conversations first written here."""
    closes: list[list[int]] = field(default_factory=list)
    """[conversation, done at, created, replies it holds] of each close."""
    created: int = 0
    """Conversations created that count in the backlog (not done, or closed by an event)."""
    done: int = 0
    reopened: int = 0
    escalations: dict[str, int] = field(default_factory=dict)
    reasons: dict[str, int] = field(default_factory=dict)
    moves: dict[str, list[int]] = field(default_factory=dict)
    """actor -> [hand-overs, take-backs]."""
    at_midnight: int = 0
    """Of created - done + reopened, what happened in the day's first second (local midnight): the backlog
    at midnight counts what happened after it, so these count on the day before."""
    first_wall: list[int] = field(default_factory=list)
    first_business: list[int] = field(default_factory=list)
    first_within: list[int] = field(default_factory=lambda: [0] * 6)
    """First responses of conversations created on the day itself, added up (`compact`): a stored day is
    wholly inside any period it is used for, so they need no check against the period's start."""

    def to_json(self) -> list[Any]:
        return [
            self.messages_in,
            self.replies_out,
            self.volume_in,
            self.volume_out,
            self.worked_out,
            self.worked_out_business,
            self.not_worked_out,
            self.first,
            self.closes,
            self.created,
            self.done,
            self.reopened,
            self.escalations,
            self.reasons,
            self.moves,
            self.at_midnight,
            self.first_wall,
            self.first_business,
            self.first_within,
        ]

    @classmethod
    def from_json(cls, v: list[Any]) -> KeyPart:
        return cls(*v)

    def compact(self, day_start: int) -> None:
        """Add up the first responses of conversations created since `day_start` (see first_wall)."""
        kept = []
        for record in self.first:
            created, wall, open_time, *codes = record
            if created < day_start:
                kept.append(record)
                continue
            for i, code in enumerate(codes):
                if code == MET:
                    self.first_within[2 * i] += 1
                if code in (MET, MISSED):
                    self.first_within[2 * i + 1] += 1
            if wall >= 0:
                self.first_wall.append(wall)
                self.first_business.append(open_time)
        self.first = kept


@dataclass
class DayPart:
    """One local day: its parts per conversation key, and its alerts about conversations per (kind, agent)."""

    keys: dict[Key, KeyPart] = field(default_factory=dict)
    alerts: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    """(kind, agent) -> [raised, acknowledged without action]."""
    stale_at: int | None = None

    def key(self, conv: Conv) -> KeyPart:
        part = self.keys.get(conv.key)
        if part is None:
            part = self.keys[conv.key] = KeyPart()
        return part

    def compact(self, day_start: int) -> DayPart:
        for part in self.keys.values():
            part.compact(day_start)
        return self

    def stale(self, at: int) -> None:
        if self.stale_at is None or at < self.stale_at:
            self.stale_at = at

    def to_json(self) -> dict[str, Any]:
        return {
            "k": [[t, o, a, p.to_json()] for (t, o, a), p in self.keys.items()],
            "a": [[k, agent, n[0], n[1]] for (k, agent), n in self.alerts.items()],
        }

    @classmethod
    def from_json(cls, v: dict[str, Any], stale_at: int | None) -> DayPart:
        return cls(
            {(t, o, a): KeyPart.from_json(p) for t, o, a, p in v["k"]},
            {(k, agent): [raised, idle] for k, agent, raised, idle in v["a"]},
            stale_at,
        )


@dataclass
class Conv:
    team: str | None
    owner: str | None
    address: str
    customer: str | None
    created: int
    state: str

    @property
    def key(self) -> Key:
        return (self.team, self.owner, self.address)


Keep = Callable[[Conv], bool]


def _kinds(kinds: Iterable[str]) -> str:
    return ", ".join(f"'{k}'" for k in kinds)


def collect(
    raw: RawSql,
    a: int,
    b: int | None,
    now_s: int,
    day_of: DayOf,
    business: Business,
    keep: Keep | None = None,
    only: list[int] | None = None,
) -> dict[str, DayPart]:
    """The parts of the moments [a, b) (b None: no end), per local day, from the raw rows.

    `keep` chooses conversations (the report's filters); `only`, when given, are the only conversations
    that can be chosen (a client's few: their rows are read by conversation rather than by time). Alerts
    are everyone's (a report filters them by person). Alerts and events not about a conversation are not
    here (a report reads them directly).
    """
    e = raw.epoch
    p: dict[str, Any] = {"a": raw.when(datetime.fromtimestamp(a, UTC))}
    upper, upper_at, upper_created = "", "", ""
    if b is not None:
        p["b"] = raw.when(datetime.fromtimestamp(b, UTC))
        upper, upper_at, upper_created = " AND received_at < :b", " AND at < :b", " AND created_at < :b"

    def rows(sql: str, by_conversation: str) -> list[tuple[Any, ...]]:
        if only is None:
            return raw.all(sql, p)
        return raw.all_in(f"{sql} AND {by_conversation} IN ({{}})", only, p)

    messages = rows(
        f"SELECT conversation_id, direction, {e('received_at')}, disposition, {e('disposed_at')} FROM message "
        f"WHERE received_at >= :a{upper} AND direction IN ('inbound', 'outbound')",
        "conversation_id",
    )
    events = rows(
        f"SELECT id, conversation_id, kind, actor, CASE WHEN kind IN ('no_action', 'assign') THEN details END, "
        f"{e('at')} FROM event WHERE at >= :a{upper_at} AND conversation_id IS NOT NULL "
        f"AND kind IN ({_kinds({*COUNTED_KINDS, *REOPENING_KINDS, 'done'})})",
        "conversation_id",
    )
    created_ids = [r[0] for r in rows(f"SELECT id FROM conversation WHERE created_at >= :a{upper_created}", "id")]
    wanted = {m[0] for m in messages} | {ev[1] for ev in events} | set(created_ids)
    convs: dict[int, Conv] = {}
    for cid, team, owner, address, customer, created, state in raw.all_in(
        f"SELECT id, team, owner, via_address, customer_address, {e('created_at')}, state FROM conversation "
        "WHERE id IN ({})",
        wanted,
    ):
        conv = Conv(team, owner, address or "", customer, created, state)
        if keep is None or keep(conv):
            convs[cid] = conv

    days: dict[str, DayPart] = {}
    quarters: dict[int, tuple[DayPart, int]] = {}
    """Quarter hour since 1970 -> (its day's part, its local hour): every zone offset is whole quarter hours."""

    def place(t: int) -> tuple[DayPart, int]:
        found = quarters.get(t // 900)
        if found is None:
            name, _week, _weekday, hour = day_of(t)
            part = days.get(name)
            if part is None:
                part = days[name] = DayPart()
            found = quarters[t // 900] = (part, hour)
        return found

    def day(t: int) -> DayPart:
        return place(t)[0]

    def at_midnight(t: int) -> int:
        return 1 if day_of(t - 1)[0] != day_of(t)[0] else 0

    # Messages: volume, worked-out times; the first inbound and the replies each conversation had here.
    first_in: dict[int, int] = {}
    replies: dict[int, list[int]] = defaultdict(list)
    for cid, direction, received, disposition, disposed in messages:
        got = convs.get(cid)
        if got is None:
            continue
        conv = got
        dp, hour = place(received)
        kp = dp.key(conv)
        if direction != "inbound":
            kp.replies_out += 1
            kp.volume_out[hour] += 1
            if disposition != HISTORY:
                replies[cid].append(received)
            continue
        kp.messages_in += 1
        kp.volume_in[hour] += 1
        if disposition == HISTORY:
            continue
        if cid not in first_in or received < first_in[cid]:
            first_in[cid] = received
        if disposed is not None and disposition in WORKED_OUT and disposed <= now_s:
            kp.worked_out.append(disposed - received)
            kp.worked_out_business.append(business(conv.team, received, disposed))
        else:
            kp.not_worked_out += 1
            if disposed is not None and disposition in WORKED_OUT:
                dp.stale(disposed)

    _first_responses(raw, a, b, p, now_s, convs, first_in, replies, day, business)

    # Closes (resolution, backlog), reopenings and counted events.
    done_ids = {cid for _id, cid, kind, _actor, _d, _t in events if kind == "done" and cid in convs}
    replies_held = dict(
        raw.all_in(
            "SELECT conversation_id, COUNT(*) FROM message WHERE direction = 'outbound' "
            "AND conversation_id IN ({}) GROUP BY conversation_id",
            done_ids,
        )
    )
    for _id, cid, kind, actor, details, t in events:
        got = convs.get(cid)
        if got is None:
            continue
        conv = got
        if kind == "done":
            kp = day(t).key(conv)
            kp.done += 1
            kp.at_midnight -= at_midnight(t)
            kp.closes.append([cid, t, conv.created, replies_held.get(cid, 0)])
        if kind not in COUNTED_KINDS:
            continue
        kp = day(t).key(conv)
        if kind in ESCALATION_RUNGS:
            kp.escalations[kind] = kp.escalations.get(kind, 0) + 1
        elif kind == "no_action":
            reason = str((raw.read_json(details) or {}).get("reason") or "(no reason)")
            kp.reasons[reason] = kp.reasons.get(reason, 0) + 1
        else:
            previous = (raw.read_json(details) or {}).get("previous")
            moved = kp.moves.setdefault(actor, [0, 0])
            moved[0] += 1
            if previous and previous != actor:
                moved[1] += 1

    # Reopenings: each close is reopened by the first reopening event after it (by id). Only conversations
    # with a close before one of their reopening events here can have one: their events are read in full.
    last_reopening: dict[int, int] = {}
    first_done: dict[int, int] = {}
    for eid, cid, kind, _actor, _d, _t in events:
        if cid not in convs:
            continue
        if kind in REOPENING_KINDS:
            last_reopening[cid] = max(eid, last_reopening.get(cid, 0))
        elif kind == "done":
            first_done[cid] = min(eid, first_done.get(cid, eid))
    closed_before = {
        r[0]
        for r in raw.all_in(
            "SELECT DISTINCT conversation_id FROM event WHERE kind = 'done' AND at < :a AND conversation_id IN ({})",
            last_reopening,
            p,
        )
    }
    history: dict[int, list[tuple[int, str, int]]] = defaultdict(list)
    reopened = [cid for cid, eid in last_reopening.items() if cid in closed_before or first_done.get(cid, eid) < eid]
    for cid, eid, kind, t in raw.all_in(
        f"SELECT conversation_id, id, kind, {e('at')} FROM event WHERE conversation_id IN ({{}}) "
        f"AND kind IN ({_kinds(('done', *REOPENING_KINDS))})",
        reopened,
    ):
        history[cid].append((eid, kind, t))
    for cid in reopened:
        closes = 0
        for _eid, kind, t in sorted(history[cid]):
            if kind == "done":
                closes += 1
                continue
            if closes and t >= a and (b is None or t < b):
                kp = day(t).key(convs[cid])
                kp.reopened += closes
                kp.at_midnight += closes * at_midnight(t)
            closes = 0
    # Conversations created here: a done one counts in the backlog only if an event closed it (history mail
    # is stored done: it was never open work). Its closes all come after its creation, so after `a`.
    closed = {r[0] for r in raw.all("SELECT conversation_id FROM event WHERE kind = 'done' AND at >= :a", p)}
    for cid in created_ids:
        made = convs.get(cid)
        if made is not None and (made.state != "done" or cid in closed):
            kp = day(made.created).key(made)
            kp.created += 1
            kp.at_midnight += at_midnight(made.created)

    # Alerts about a conversation, everyone's: raised, and acknowledged without touching it afterwards.
    for kind, agent, t, idle in raw.all(
        f"SELECT a.kind, a.agent, {e('a.created_at')}, CASE WHEN a.acknowledged_at IS NOT NULL AND NOT EXISTS "
        "(SELECT 1 FROM event x WHERE x.conversation_id = a.conversation_id AND x.actor = a.agent "
        "AND x.at >= a.created_at) THEN 1 ELSE 0 END FROM alert a "
        f"WHERE a.created_at >= :a{upper_created.replace('created_at', 'a.created_at')} "
        "AND a.conversation_id IS NOT NULL",
        p,
    ):
        counts = day(t).alerts.setdefault((kind, agent), [0, 0])
        counts[0] += 1
        counts[1] += idle
    return days


def _first_responses(
    raw: RawSql,
    a: int,
    b: int | None,
    p: dict[str, Any],
    now_s: int,
    convs: dict[int, Conv],
    first_in: dict[int, int],
    replies: dict[int, list[int]],
    day: Callable[[int], DayPart],
    business: Business,
) -> None:
    """First responses of the conversations whose first inbound message (history aside) came here, and how
    they did against the windows their first routing promised."""
    if not first_in:
        return
    e = raw.epoch
    outside = " AND (received_at < :a OR received_at >= :b)" if b is not None else " AND received_at < :a"
    earlier = set()
    for cid, direction, received in raw.all_in(
        f"SELECT conversation_id, direction, {e('received_at')} FROM message WHERE conversation_id IN ({{}}){outside} "
        "AND disposition != 'history' AND direction IN ('inbound', 'outbound')",
        first_in,
        p,
    ):
        if direction == "inbound":
            if received < first_in[cid]:
                earlier.add(cid)
        else:
            replies[cid].append(received)
    chosen = [cid for cid in first_in if cid not in earlier]
    windows = _first_windows(raw, chosen)
    for cid in chosen:
        t, conv = first_in[cid], convs[cid]
        dp = day(t)
        reply = min((r for r in replies.get(cid, ()) if r >= t), default=None)
        exclusive, team = windows.get(cid, (None, None))
        codes = []
        for deadline in (exclusive, team, max((w for w in (exclusive, team) if w is not None), default=None)):
            if deadline is None:
                codes.append(NO_WINDOW)
            elif reply is not None and reply <= deadline:
                codes.append(MET)
            elif reply is not None or deadline <= now_s:
                codes.append(MISSED)
            else:
                codes.append(NOT_YET)
                dp.stale(deadline)
        wall, open_time = (-1, 0) if reply is None else (reply - t, business(conv.team, t, reply))
        dp.key(conv).first.append([conv.created, wall, open_time, *codes])


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


def _first_windows(raw: RawSql, ids: list[int]) -> dict[int, tuple[int | None, int | None]]:
    """The exclusive and team window ends the first routing of each conversation promised."""
    if raw.sqlite:
        exclusive, team = "json_extract(e.details, '$.exclusive_until')", "json_extract(e.details, '$.team_until')"
        recorded = "json_type(e.details, '$.team_until')"
    else:
        exclusive, team = "e.details->>'exclusive_until'", "e.details->>'team_until'"
        recorded = "json_typeof(e.details->'team_until')"
    rows = raw.all_in(
        f"SELECT e.conversation_id, e.id, {exclusive}, {team}, c.exclusive_until, c.team_until, {recorded} "
        # SQLite must start from the conversations (its planner would read every routing by kind otherwise).
        f"FROM conversation c {'CROSS JOIN' if raw.sqlite else 'JOIN'} event e ON e.conversation_id = c.id "
        "WHERE c.id IN ({}) AND e.kind = 'routed' AND e.at = c.created_at ORDER BY e.id",
        ids,
    )
    windows: dict[int, tuple[int | None, int | None]] = {}
    for cid, _eid, ex, tm, conv_ex, conv_tm, recorded_window in rows:
        if cid in windows:
            continue
        if recorded_window is None:
            # Routed before events kept their windows: the conversation's own (its latest routing's).
            windows[cid] = (_when_epoch(raw, conv_ex), _when_epoch(raw, conv_tm))
        else:
            windows[cid] = (_parse_iso(ex), _parse_iso(tm))
    return windows
