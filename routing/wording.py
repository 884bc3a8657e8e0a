"""Shared phrasing for reason sentences: instants, durations and people."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from routing.hours import BusinessHours

_UTC = ZoneInfo("UTC")
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def when(moment: datetime, hours: BusinessHours | None) -> str:
    """ "Tue 12 Mar 11:30 Europe/Paris": the instant in the zone whose hours apply."""
    return _when(moment, hours.zone if hours is not None else _UTC)


@lru_cache(maxsize=4096)
def _when(moment: datetime, zone: ZoneInfo) -> str:
    local = moment.astimezone(zone)
    return (
        f"{_DAYS[local.weekday()]} {local.day:02d} {_MONTHS[local.month - 1]} "
        f"{local.hour:02d}:{local.minute:02d} {zone.key}"
    )


def day(moment: datetime) -> str:
    """ "01 Jun 2023"."""
    return f"{moment.day:02d} {_MONTHS[moment.month - 1]} {moment.year}"


def span(delta: timedelta) -> str:
    """ "2 business hours", "1 h 30 min of business time", "45 business minutes"."""
    minutes = int(delta.total_seconds() // 60)
    hours, rest = divmod(minutes, 60)
    if rest == 0:
        return f"{hours} business hour{'s' if hours != 1 else ''}"
    if hours == 0:
        return f"{rest} business minute{'s' if rest != 1 else ''}"
    return f"{hours} h {rest} min of business time"


def counted(count: int, word: str, many: str | None = None) -> str:
    """ "1 message", "2 messages", "0 messages": a count with its noun in the right number."""
    return f"{count} {word if count == 1 else (many or word + 's')}"
