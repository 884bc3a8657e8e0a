"""Business hours: when a team or an agent is open, and time counted only while open."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_MINUTES_PER_DAY = 24 * 60
# A week of closed days is impossible past this horizon unless the hours are misconfigured.
_SEARCH_DAYS = 3 * 366
_ONE_DAY = timedelta(days=1)
_CLAUSE = re.compile(
    r"^(?P<days>[a-z]{3}(?:-[a-z]{3})?(?:,[a-z]{3}(?:-[a-z]{3})?)*)\s+"
    r"(?P<ranges>\d{1,2}:\d{2}-\d{1,2}:\d{2}(?:,\d{1,2}:\d{2}-\d{1,2}:\d{2})*)$"
)
ALWAYS = ("always", "24/7")

OpenRange = tuple[int, int]
"""Opening range of one day as (start minute, end minute) in local wall-clock time; end may be 1440."""


@dataclass(frozen=True)
class BusinessHours:
    """Weekly opening ranges in a time zone, minus holidays; a week without ranges is open all day."""

    timezone: str = "UTC"
    week: tuple[tuple[OpenRange, ...], ...] = ((),) * 7
    holidays: frozenset[date] = frozenset()
    _zone: ZoneInfo = field(init=False, repr=False, compare=False, default=None)  # type: ignore[assignment] # set in __post_init__ before any use
    _hash: int = field(init=False, repr=False, compare=False, default=0)
    _all_day: bool = field(init=False, repr=False, compare=False, default=True)

    def __post_init__(self) -> None:
        if len(self.week) != 7:
            raise ValueError(f"business hours need 7 days (Mon..Sun), got {len(self.week)}")
        week = tuple(_merge(day) for day in self.week)
        object.__setattr__(self, "week", week)
        object.__setattr__(self, "holidays", frozenset(self.holidays))
        object.__setattr__(self, "_zone", ZoneInfo(self.timezone))
        object.__setattr__(self, "_hash", hash((self.timezone, week, self.holidays)))
        object.__setattr__(self, "_all_day", not any(week))

    def __hash__(self) -> int:
        # Hours key the span cache below, so their hash is computed once.
        return self._hash

    @classmethod
    def from_text(cls, timezone: str, text: str, holidays: Iterable[date] = ()) -> BusinessHours:
        """Hours written as in comptoir.toml: "mon-fri 09:00-12:00,14:00-18:00; sat 10:00-13:00" (see parse_week)."""
        return cls(timezone, parse_week(text), frozenset(holidays))

    @property
    def zone(self) -> ZoneInfo:
        return self._zone

    @property
    def all_day(self) -> bool:
        """True when no weekday has ranges, so every non-holiday day is open 24 hours."""
        return self._all_day


def is_open(at: datetime, hours: BusinessHours | None) -> bool:
    """Whether `at` falls inside the opening hours (None means 24/7)."""
    if hours is None:
        return True
    local = at.astimezone(hours.zone)
    if hours.holidays and local.date() in hours.holidays:
        return False
    if hours._all_day:
        return True
    # Range bounds are whole minutes, so the whole minute decides (seconds cannot cross a bound).
    minute = local.hour * 60 + local.minute
    return any(start <= minute < end for start, end in hours.week[local.weekday()])


def add_business_time(start: datetime, delta: timedelta, hours: BusinessHours | None) -> datetime:
    """The UTC instant reached after `delta` of open time counted from `start`."""
    start = _utc(start)
    if delta < timedelta(0):
        raise ValueError(f"cannot add a negative business time ({delta})")
    if delta == timedelta(0) or hours is None or _always_open(hours):
        return start + delta
    remaining = delta
    day = start.astimezone(hours.zone).date() - _ONE_DAY
    for _ in range(_SEARCH_DAYS):
        for opens, closes in _day_spans(hours, day):
            if closes > start:
                begin = opens if opens > start else start
                available = closes - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
        day += _ONE_DAY
    raise ValueError(f"no opening hours within {_SEARCH_DAYS} days of {start.isoformat()}")


def business_time_between(a: datetime, b: datetime, hours: BusinessHours | None) -> timedelta:
    """Open time elapsed from `a` to `b` (negative when `b` is before `a`)."""
    a, b = _utc(a), _utc(b)
    if b < a:
        return -business_time_between(b, a, hours)
    if hours is None or _always_open(hours):
        return b - a
    total = timedelta(0)
    for opens, closes in _open_spans(a, hours):
        if opens >= b:
            break
        total += min(closes, b) - max(opens, a)
    return total


def open_spans(start: datetime, end: datetime, hours: BusinessHours) -> list[tuple[datetime, datetime]]:
    """The open spans between `start` and `end` as UTC (opens, closes) pairs, clipped to them, in order."""
    start, end = _utc(start), _utc(end)
    spans: list[tuple[datetime, datetime]] = []
    if end <= start:
        return spans
    day = start.astimezone(hours.zone).date() - _ONE_DAY
    last = end.astimezone(hours.zone).date() + _ONE_DAY
    while day <= last:
        for opens, closes in _day_spans(hours, day):
            if closes > start and opens < end:
                spans.append((max(opens, start), min(closes, end)))
        day += _ONE_DAY
    return spans


def _always_open(hours: BusinessHours | None) -> bool:
    return hours is None or (hours._all_day and not hours.holidays)


def _open_spans(start: datetime, hours: BusinessHours) -> Iterator[tuple[datetime, datetime]]:
    """Open spans as UTC (opens, closes) pairs, in order, for every span closing after `start`."""
    day = start.astimezone(hours.zone).date() - timedelta(days=1)
    for _ in range(_SEARCH_DAYS):
        for opens, closes in _day_spans(hours, day):
            if closes > start:
                yield opens, closes
        day += timedelta(days=1)
    raise ValueError(f"no opening hours within {_SEARCH_DAYS} days of {start.isoformat()}")


@lru_cache(maxsize=16384)
def _day_spans(hours: BusinessHours, day: date) -> tuple[tuple[datetime, datetime], ...]:
    """The UTC open spans of one local day; cached because the same days recur all day long."""
    if day in hours.holidays:
        return ()
    ranges = ((0, _MINUTES_PER_DAY),) if hours.all_day else hours.week[day.weekday()]
    zone = hours.zone
    return tuple((_local_to_utc(day, first, zone), _local_to_utc(day, last, zone)) for first, last in ranges)


def _local_to_utc(day: date, minute: int, zone: ZoneInfo) -> datetime:
    """Wall-clock `minute` of `day` in `zone`, as UTC; a time skipped by DST maps past the gap."""
    if minute >= _MINUTES_PER_DAY:
        day += timedelta(days=1)
        minute -= _MINUTES_PER_DAY
    local = datetime(day.year, day.month, day.day, minute // 60, minute % 60, tzinfo=zone)
    return local.astimezone(UTC)


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is UTC:
        return moment
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment.isoformat()}: routing needs timezone-aware times")
    return moment.astimezone(UTC)


def _merge(ranges: Iterable[OpenRange]) -> tuple[OpenRange, ...]:
    """Sort and merge overlapping or touching ranges, rejecting empty or out-of-day ones."""
    merged: list[list[int]] = []
    for start, end in sorted(tuple(r) for r in ranges):
        if not 0 <= start < end <= _MINUTES_PER_DAY:
            raise ValueError(f"invalid opening range {start}-{end} (minutes of the day)")
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return tuple((start, end) for start, end in merged)


def parse_week(text: str) -> tuple[tuple[OpenRange, ...], ...]:
    """The one parser of opening hours: "mon-fri 09:00-12:00,14:00-18:00; sat 10:00-12:00" -> each weekday's
    ranges (Monday first). Days are mon..sun, alone, in lists (mon,wed) or ranges (fri-mon wraps the week);
    24:00 ends a day; "always" or "24/7" is every hour of every day. Raises ValueError naming the bad clause."""
    if text.strip().lower() in ALWAYS:
        return (((0, _MINUTES_PER_DAY),),) * 7
    week: list[list[OpenRange]] = [[] for _ in DAY_NAMES]
    for clause in filter(None, (c.strip().lower() for c in text.split(";"))):
        match = _CLAUSE.match(clause)
        if not match:
            raise ValueError(
                f"{clause!r} is not an opening-hours clause (write it like 'mon-fri 09:00-18:00; sat 10:00-12:00')"
            )
        days: list[int] = []
        for span in match["days"].split(","):
            first, _, last = span.partition("-")
            if first not in DAY_NAMES or (last and last not in DAY_NAMES):
                raise ValueError(f"{span!r} is not a day or a range of days (mon, tue, ... sun)")
            a = DAY_NAMES.index(first)
            b = DAY_NAMES.index(last) if last else a
            days.extend(range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)])
        for rng in match["ranges"].split(","):
            start_s, end_s = rng.split("-")
            start, end = _minute_of_day(start_s), _minute_of_day(end_s)
            if end <= start:
                raise ValueError(f"{rng!r}: the closing time must come after the opening time")
            for day in days:
                week[day].append((start, end))
    return tuple(tuple(sorted(day)) for day in week)


def _minute_of_day(text: str) -> int:
    hours, minutes = (int(p) for p in text.split(":"))
    if hours == 24 and minutes == 0:
        return _MINUTES_PER_DAY
    if not (0 <= hours < 24 and 0 <= minutes < 60):
        raise ValueError(f"{text!r} is not a time of day")
    return hours * 60 + minutes
