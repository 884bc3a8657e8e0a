"""On-duty rotation: which member of a team takes its team-wide mail first.

A weekly roster names the agent on duty for each day of the week (in the team's time zone); a
round-robin roster hands each new message to the next present member after the last one given one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from routing.hours import DAY_NAMES, BusinessHours

WEEKLY, ROUND_ROBIN = "weekly", "round-robin"
DAY_WORDS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class Roster:
    """A team's rotation: weekly (one login per weekday, None: nobody on duty that day) or round-robin."""

    kind: str
    week: tuple[str | None, ...] = (None,) * 7

    def __post_init__(self) -> None:
        if self.kind not in (WEEKLY, ROUND_ROBIN):
            raise ValueError(f"a roster is {WEEKLY} or {ROUND_ROBIN}, not {self.kind!r}")
        if len(self.week) != 7:
            raise ValueError("a weekly roster names 7 days (Mon..Sun)")
        object.__setattr__(self, "week", tuple(self.week))

    def logins(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(login for login in self.week if login))


@dataclass(frozen=True)
class OnDuty:
    """Who the roster puts on duty, or why nobody: `agent` is None when no one can take it."""

    agent: str | None
    text: str
    """Names the roster and the choice, for the routing reasons."""


def on_duty(
    team: str,
    roster: Roster,
    members: Sequence[str],
    now: datetime,
    hours: BusinessHours | None,
    last: str | None,
    absence: Callable[[str], str | None],
    label: Callable[[str], str],
) -> OnDuty:
    """The agent on duty for `team` at `now`. `absence(login)` says why an agent is not at work (None: at work);
    `last` is who the round-robin last gave a message to."""
    if roster.kind == WEEKLY:
        day = (now.astimezone(hours.zone) if hours is not None else now).weekday()
        login = roster.week[day]
        said = f"Team {team}'s weekly roster puts {label(login) if login else 'nobody'} on duty on {DAY_WORDS[day]}s"
        if login is None:
            return OnDuty(None, f"{said}: the usual ladder applies.")
        why_not = absence(login)
        if why_not is not None:
            return OnDuty(None, f"{said}, but they are {why_not}: the usual ladder applies.")
        return OnDuty(login, said)
    present = [m for m in members if absence(m) is None]
    if not present:
        return OnDuty(None, f"Team {team}'s round-robin roster finds no member at work: the usual ladder applies.")
    start = members.index(last) + 1 if last in members else 0
    ordered = [*members[start:], *members[:start]]
    login = next(m for m in ordered if m in present)
    after = f" after {label(last)}" if last is not None and last in members else ""
    return OnDuty(login, f"Team {team}'s round-robin roster gives it to {label(login)}, the next member at work{after}")


def parse_day_keys(key: str) -> list[int]:
    """'mon', 'mon-wed' or 'sat,sun' as weekday indexes (Monday 0)."""
    days: list[int] = []
    for part in key.lower().replace(" ", "").split(","):
        first, _, last = part.partition("-")
        if first not in DAY_NAMES or (last and last not in DAY_NAMES):
            raise ValueError(f"{part!r} is not a day or a range of days (mon, tue, ... sun)")
        a = DAY_NAMES.index(first)
        b = DAY_NAMES.index(last) if last else a
        days.extend(range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)])
    return days
