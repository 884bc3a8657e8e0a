"""The reports' per-day rollup: the parts (core.work.report_parts) of each finished local day of the
workspace's time zone, kept in `report_day`, so a long period reads one row a day instead of every
message and event.

Staying right when late events arrive: every write the journal makes about a conversation (an event, a
message ingested or moved, an alert raised or acknowledged, a hand-over) touches the conversation in
`report_touch`, in the writer's own transaction; raising an alert again in place also notes when it was
raised before. Before reading the rollup a report takes the touched conversations and deletes every day
they count in (their creation, messages, events and alerts, and those earlier raises); missing days,
days computed as of a later clock than the report's, and days whose figures hang on a moment now passed
(a window still open, see report_parts) are collected again from the raw rows and stored. The day still
running is never stored. A change of time zone or business hours drops the whole rollup.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from core.store.rawsql import RawSql
from core.work.policy import team_hours
from core.work.report_parts import PARTS_VERSION, Business, DayOf, DayPart, collect
from core.workspace.folder import Workspace

STATE_KEY = "report_rollup"
"""Meta row: {"fingerprint": what the stored days were computed with, "generation": bumped on each invalidation}."""


def fingerprint(ws: Workspace) -> str:
    """What stored days depend on besides the rows: their form, the time zone and every team's business hours."""
    teams = []
    for team in ws.config.teams:
        hours = team_hours(team)
        # Holidays sorted: a frozenset's order changes from one process to the next (hash randomization).
        teams.append((team.name, hours.timezone, repr(hours.week), sorted(d.isoformat() for d in hours.holidays)))
    teams.sort()
    text = json.dumps([PARTS_VERSION, ws.config.workspace.timezone, teams])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def midnight(day: date, zone: ZoneInfo) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=zone).timestamp())


def _read_state(raw: RawSql) -> dict[str, object]:
    row = raw.one("SELECT value FROM meta WHERE key = :k", {"k": STATE_KEY})
    value = row[0] if row else None
    try:
        state = json.loads(value) if value else {}
    except ValueError:
        state = {}
    return state if isinstance(state, dict) else {}


def _write_state(raw: RawSql, state: dict[str, object]) -> None:
    raw.run("DELETE FROM meta WHERE key = :k", {"k": STATE_KEY})
    raw.run("INSERT INTO meta (key, value) VALUES (:k, :v)", {"k": STATE_KEY, "v": json.dumps(state)})


def invalidate(ws: Workspace, day_of: DayOf) -> int:
    """Take the touched conversations and delete the stored days they count in; returns the generation
    the stored days now belong to (a report stores what it computed only if it has not moved since)."""
    print_ = fingerprint(ws)
    with ws.db.raw(write=False) as r:  # most passes find nothing to do: no write lock then
        state = _read_state(r)
        if state.get("fingerprint") == print_ and r.one("SELECT 1 FROM report_touch LIMIT 1") is None:
            return int(str(state.get("generation") or 0))
    with ws.db.raw(write=True) as w:
        state = _read_state(w)
        generation = int(str(state.get("generation") or 0))
        touched = w.all("DELETE FROM report_touch RETURNING conversation_id, since")
        if state.get("fingerprint") != print_:
            w.run("DELETE FROM report_day")
        elif touched:
            days = _days_of(w, touched, day_of)
            w.run_in("DELETE FROM report_day WHERE day IN ({})", sorted(days))
        else:
            return generation
        # Last in the transaction: a concurrent report that stores days waits on this row (PostgreSQL).
        _write_state(w, {"fingerprint": print_, "generation": generation + 1})
        return generation + 1


def _days_of(w: RawSql, touched: list[tuple[int, int | None]], day_of: DayOf) -> set[str]:
    ids = [cid for cid, _since in touched]
    moments = [since for _cid, since in touched if since is not None]
    e = w.epoch
    for sql in (
        f"SELECT {e('created_at')} FROM conversation WHERE id IN ({{}})",
        f"SELECT {e('received_at')} FROM message WHERE conversation_id IN ({{}})",
        f"SELECT {e('at')} FROM event WHERE conversation_id IN ({{}})",
        f"SELECT {e('created_at')} FROM alert WHERE conversation_id IN ({{}})",
    ):
        moments.extend(r[0] for r in w.all_in(sql, ids) if r[0] is not None)
    return {day_of(t)[0] for t in moments}


def rollup_days(ws: Workspace, days: list[date], now_s: int, day_of: DayOf, business: Business) -> dict[str, DayPart]:
    """The parts of these finished days (in order, in the workspace's zone): stored, or collected and stored."""
    if not days:
        return {}
    zone = ZoneInfo(ws.config.workspace.timezone)
    generation = invalidate(ws, day_of)
    names = [d.isoformat() for d in days]
    out: dict[str, DayPart] = {}
    with ws.db.raw(write=False) as r:
        for name, built_at, stale_at, payload in r.all(
            "SELECT day, built_at, stale_at, payload FROM report_day WHERE day >= :a AND day <= :b",
            {"a": names[0], "b": names[-1]},
        ):
            if built_at <= now_s and (stale_at is None or now_s < stale_at):
                out[name] = DayPart.from_json(json.loads(payload), stale_at)
        missing = [d for d in days if d.isoformat() not in out]
        built: dict[str, DayPart] = {}
        for first, last in _runs(missing):
            found = collect(r, midnight(first, zone), midnight(last + timedelta(days=1), zone), now_s, day_of, business)
            for offset in range((last - first).days + 1):
                name = (first + timedelta(days=offset)).isoformat()
                built[name] = (found.get(name) or DayPart()).compact(midnight(first + timedelta(days=offset), zone))
    if built:
        _store(ws, built, now_s, generation)
        out.update(built)
    return out


def missing_days(ws: Workspace, days: list[date], now_s: int) -> list[date]:
    """Of these days (in order), those a report as of `now_s` would have to compute (touched ones included)."""
    if not days:
        return []
    zone = ZoneInfo(ws.config.workspace.timezone)
    local: dict[int, str] = {}

    def day_of(t: int) -> tuple[str, str, int, int]:
        name = local.get(t // 900)
        if name is None:
            name = local[t // 900] = datetime.fromtimestamp(t // 900 * 900, zone).date().isoformat()
        return (name, "", 0, 0)

    invalidate(ws, day_of)
    with ws.db.raw(write=False) as r:
        ready = {
            name
            for name, built_at, stale_at in r.all(
                "SELECT day, built_at, stale_at FROM report_day WHERE day >= :a AND day <= :b",
                {"a": days[0].isoformat(), "b": days[-1].isoformat()},
            )
            if built_at <= now_s and (stale_at is None or now_s < stale_at)
        }
    return [d for d in days if d.isoformat() not in ready]


def _runs(days: Iterable[date]) -> list[tuple[date, date]]:
    """Consecutive days as (first, last) runs: each is collected in one pass."""
    runs: list[tuple[date, date]] = []
    for d in days:
        if runs and runs[-1][1] + timedelta(days=1) == d:
            runs[-1] = (runs[-1][0], d)
        else:
            runs.append((d, d))
    return runs


def _store(ws: Workspace, built: dict[str, DayPart], now_s: int, generation: int) -> None:
    """Keep what was collected, unless a write was taken into account meanwhile (then it may be stale)."""
    with ws.db.raw(write=True) as w:
        lock = "" if w.sqlite else " FOR UPDATE"
        row = w.one(f"SELECT value FROM meta WHERE key = :k{lock}", {"k": STATE_KEY})
        state = json.loads(row[0]) if row and row[0] else {}
        if not isinstance(state, dict) or state.get("generation") != generation:
            return
        w.many(
            "INSERT INTO report_day (day, built_at, stale_at, payload) VALUES (:d, :b, :s, :p) "
            "ON CONFLICT (day) DO UPDATE SET built_at = excluded.built_at, stale_at = excluded.stale_at, "
            "payload = excluded.payload",
            [
                {"d": name, "b": now_s, "s": part.stale_at, "p": json.dumps(part.to_json(), separators=(",", ":"))}
                for name, part in sorted(built.items())
            ],
        )
