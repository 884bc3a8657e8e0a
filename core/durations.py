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


def format_duration(delta: timedelta) -> str:
    """Compact form such as '1h30m' or '-15m' for lists and reasons."""
    total = int(delta.total_seconds())
    sign = "-" if total < 0 else ""
    total = abs(total)
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
    """Compact report duration: 45s, 12m, 3h05, 2d04; '-' when there is none."""
    if seconds is None:
        return "-"
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 48:
        return f"{hours}h{minutes % 60:02d}"
    return f"{hours // 24}d{hours % 24:02d}"
