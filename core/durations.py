"""Human durations in config ("2h", "90m", "1h30m", "45s", "2d") to timedelta and back."""

import re
from datetime import timedelta

_PART = re.compile(r"(\d+)\s*([dhms])")
_UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


def parse_duration(text: str) -> timedelta:
    """Parse '1h30m'-style text; raises ValueError naming the accepted forms."""
    cleaned = text.strip().lower().replace(" ", "")
    if not cleaned or _PART.sub("", cleaned):
        raise ValueError(f"{text!r} is not a duration (use forms like 2h, 90m, 1h30m, 2d)")
    seconds = sum(int(n) * _UNITS[u] for n, u in _PART.findall(cleaned))
    return timedelta(seconds=seconds)


def format_duration(delta: timedelta, seconds: bool = False) -> str:
    """The one compact duration: '1h30m', '2d4h', '-15m' (its two largest units); with `seconds`, a
    duration under a minute is '45s' instead of '0m' (reports measure replies that fast)."""
    total = int(delta.total_seconds())
    sign = "-" if total < 0 else ""
    total = abs(total)
    if seconds and total < 60:
        return f"{sign}{total}s"
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = []
    if days:
        parts.append(f"{days}d")
    if hours:
        parts.append(f"{hours}h")
    if minutes or not parts:
        parts.append(f"{minutes}m")
    return sign + "".join(parts[:2])


def format_seconds(seconds: float | None) -> str:
    """A report's duration given in seconds, in format_duration's form; '-' when there is none."""
    if seconds is None:
        return "-"
    return format_duration(timedelta(seconds=round(seconds)), seconds=True)
