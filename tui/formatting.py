"""Small pure helpers that turn view values into short display strings and styles."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.durations import format_duration

SOON = timedelta(minutes=15)

PRESENCE_MARKS = {"available": "●", "away": "◐", "vacation": "○", "offline": "·"}
PRESENCE_STYLES = {"available": "green", "away": "yellow", "vacation": "magenta", "offline": "dim"}


def time_left(deadline: datetime | None, now: datetime) -> tuple[str, str]:
    """('-1h05m', 'bold red') when past, yellow within 15 minutes, plain otherwise; ('', '') without a deadline."""
    if deadline is None or deadline.year >= 9999:
        return "", ""
    left = deadline - now
    if left.total_seconds() < 0:
        return format_duration(left), "bold red"
    text = format_duration(left)
    if left <= SOON:
        return text, "bold yellow"
    return text, ""


def short_time(moment: datetime | None, now: datetime, zone: tzinfo | None = None) -> str:
    """'14:05' today, 'Mon 14:05' this week, '2024-03-01' before, in the workspace's time zone."""
    if moment is None:
        return ""
    zone = zone or UTC
    local = moment.astimezone(zone)
    if local.date() == now.astimezone(zone).date():
        return local.strftime("%H:%M")
    if abs((now - moment).days) < 6:
        return local.strftime("%a %H:%M")
    return local.strftime("%Y-%m-%d")


def full_time(moment: datetime | None, zone: tzinfo | None = None, now: datetime | None = None) -> str:
    """'Mon 02 Mar 14:05 CET': the one format of a moment, in the user's zone, named by its abbreviation;
    with the year ('Mon 02 Mar 2025 14:05 CET') when `now` is given and falls in another year."""
    if moment is None:
        return "—"
    zone = zone or UTC
    local = moment.astimezone(zone)
    year = f" {local.year}" if now is not None and now.astimezone(zone).year != local.year else ""
    return f"{_DAYS[local.weekday()]} {local.day:02d} {_MONTHS[local.month - 1]}{year} {local:%H:%M} {local.tzname()}"


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_WRITTEN_WITH_ZONE = re.compile(
    r"\b(?P<day>Mon|Tue|Wed|Thu|Fri|Sat|Sun) (?P<date>\d{1,2}) (?P<month>" + "|".join(_MONTHS) + r") "
    r"(?P<hour>\d{2}):(?P<minute>\d{2}) (?P<zone>UTC|[A-Z][A-Za-z_]+(?:/[A-Za-z0-9_+-]+)+)\b"
)
"""An instant as core writes it into texts (routing.wording.when): 'Tue 12 Mar 11:30 Europe/Paris'."""
_WRITTEN_WITH_YEAR = re.compile(
    r"\b(?:(?P<iso>\d{4}-\d{2}-\d{2})|(?P<date>\d{1,2}) (?P<month>" + "|".join(_MONTHS) + r") (?P<year>\d{4})) "
    r"(?P<hour>\d{2}):(?P<minute>\d{2}) UTC\b"
)
"""'2026-03-02 10:00 UTC' and '02 Mar 2026 10:00 UTC', as the admin texts write an instant."""
_WRITTEN_BARE = re.compile(r"(?<!(?:" + "|".join(_MONTHS) + r") )(?<!\d )\b(?P<hour>\d{2}):(?P<minute>\d{2}) UTC\b")
"""'until 01:21 UTC': a time of day that texts stored by earlier versions name without a day."""


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _with_zone(match: re.Match[str], zone: tzinfo, now: datetime) -> str:
    written_in = _zone(match["zone"])
    if written_in is None:
        return match[0]
    month = _MONTHS.index(match["month"]) + 1
    weekday = _DAYS.index(match["day"])
    candidates = []
    for year in (now.year - 1, now.year, now.year + 1):  # the text names no year: the nearest that fits
        try:
            moment = datetime(
                year, month, int(match["date"]), int(match["hour"]), int(match["minute"]), tzinfo=written_in
            )
        except ValueError:
            continue
        candidates.append((moment.weekday() != weekday, abs((moment - now).total_seconds()), moment))
    if not candidates:
        return match[0]
    return full_time(min(candidates)[2], zone)


def _with_year(match: re.Match[str], zone: tzinfo, now: datetime) -> str:
    try:
        if match["iso"]:
            day = datetime.strptime(match["iso"], "%Y-%m-%d")
        else:
            day = datetime(int(match["year"]), _MONTHS.index(match["month"]) + 1, int(match["date"]))
        moment = day.replace(hour=int(match["hour"]), minute=int(match["minute"]), tzinfo=UTC)
    except ValueError:
        return match[0]
    return full_time(moment, zone, now)


def _bare(match: re.Match[str], zone: tzinfo, now: datetime) -> str:
    try:
        today = now.astimezone(UTC).replace(
            hour=int(match["hour"]), minute=int(match["minute"]), second=0, microsecond=0
        )
    except ValueError:
        return match[0]
    nearest = min((today + timedelta(days=d) for d in (-1, 0, 1)), key=lambda m: abs((m - now).total_seconds()))
    return full_time(nearest, zone)


def localize(text: str, zone: tzinfo | None, now: datetime) -> str:
    """A text from core (a reason, an event, an alert, a result) with every instant it names shown in
    the user's zone and format: core writes instants in the zone of the hours that apply, or UTC."""
    if not text or zone is None or not any(ch.isdigit() for ch in text):
        return text
    text = _WRITTEN_WITH_ZONE.sub(lambda m: _with_zone(m, zone, now), text)
    text = _WRITTEN_WITH_YEAR.sub(lambda m: _with_year(m, zone, now), text)
    return _WRITTEN_BARE.sub(lambda m: _bare(m, zone, now), text)


def presence_mark(presence: str) -> tuple[str, str]:
    """The symbol and style of an agent's presence."""
    return PRESENCE_MARKS.get(presence, "?"), PRESENCE_STYLES.get(presence, "")


def short_name(login: str, names: Mapping[str, str]) -> str:
    """How a marker names an agent: the first word of their configured name ("Ana"), else the login."""
    name = (names.get(login) or "").strip()
    return name.split()[0] if name else login


def plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")
