"""Small pure helpers that turn view values into short display strings and styles."""

from __future__ import annotations

from collections.abc import Mapping

from datetime import datetime, timedelta, timezone, tzinfo

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
    zone = zone or timezone.utc
    local = moment.astimezone(zone)
    if local.date() == now.astimezone(zone).date():
        return local.strftime("%H:%M")
    if abs((now - moment).days) < 6:
        return local.strftime("%a %H:%M")
    return local.strftime("%Y-%m-%d")


def full_time(moment: datetime | None, zone: tzinfo | None = None) -> str:
    """'2024-03-01 14:05 CET' for dialogs and headers, in the workspace's time zone."""
    if moment is None:
        return "—"
    return moment.astimezone(zone or timezone.utc).strftime("%Y-%m-%d %H:%M %Z")


def presence_mark(presence: str) -> tuple[str, str]:
    """The symbol and style of an agent's presence."""
    return PRESENCE_MARKS.get(presence, "?"), PRESENCE_STYLES.get(presence, "")


def short_name(login: str, names: Mapping[str, str]) -> str:
    """How a marker names an agent: the first word of their configured name ("Ana"), else the login."""
    name = (names.get(login) or "").strip()
    return name.split()[0] if name else login


def plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")
