"""The search language: free words plus operators (`from:ada tag:urgent is:overdue before:2026-11-01 refund`).

A pure parser: text in, a `SearchQuery` out, or a `SearchSyntaxError` whose message names the bad part and
how to write it; no database, no config (core.work.search_filter turns a query into SQL and checks names).

- `from:` `to:` `team:` `owner:` `tag:` take a value; `owner:me` and `owner:none` are understood later.
- `is:` takes one of IS_FLAGS.
- `before:` and `after:` take a day: 2026-11-24, today, yesterday, or a number of days back (7d);
  `after:D` keeps what is on or after D, `before:D` what is before D.
- A value may be quoted (`from:"Ada Lovelace"`); a quoted phrase without an operator is free words.
- Operators combine with AND; each repeated operator narrows further (two tags: both tags).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from core.errors import SearchSyntaxError

VALUE_OPERATORS = ("from", "to", "team", "owner", "tag")
DATE_OPERATORS = ("before", "after")
IS_FLAGS = ("unclaimed", "mine", "overdue", "confidential", "automated", "pending")
OPERATORS = (*VALUE_OPERATORS, "is", *DATE_OPERATORS)

_TOKEN = re.compile(r'\s*(?:([A-Za-z][A-Za-z_-]*):("(?:[^"]*)"?|\S*)|("(?:[^"]*)"?)|(\S+))')
_DAYS_BACK = re.compile(r"^(\d{1,4})d$")
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class SearchQuery:
    words: tuple[str, ...] = ()
    """Free words, matched by the full-text index (every word, as a prefix)."""
    senders: tuple[str, ...] = ()
    recipients: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()
    owners: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    flags: frozenset[str] = field(default_factory=frozenset)
    before: date | None = None
    after: date | None = None

    @property
    def empty(self) -> bool:
        return self == SearchQuery()

    def describe(self) -> str:
        """The query written back in canonical form (what a saved view shows)."""
        parts = [
            *(
                f"{op}:{_quote(v)}"
                for op, values in (
                    ("from", self.senders),
                    ("to", self.recipients),
                    ("team", self.teams),
                    ("owner", self.owners),
                    ("tag", self.tags),
                )
                for v in values
            )
        ]
        parts += [f"is:{flag}" for flag in IS_FLAGS if flag in self.flags]
        if self.after:
            parts.append(f"after:{self.after.isoformat()}")
        if self.before:
            parts.append(f"before:{self.before.isoformat()}")
        parts += [_quote(w) for w in self.words]
        return " ".join(parts)


def _quote(value: str) -> str:
    return f'"{value}"' if any(c.isspace() for c in value) or ":" in value else value


def parse_search(text: str, today: date) -> SearchQuery:
    """Read a search; `today` (in the user's zone) anchors `today`, `yesterday` and `7d`."""
    values: dict[str, list[str]] = {op: [] for op in VALUE_OPERATORS}
    words: list[str] = []
    flags: set[str] = set()
    dates: dict[str, date] = {}
    for match in _TOKEN.finditer(text):
        name, value, quoted, word = match.groups()
        if word is not None:
            words.append(word)
            continue
        if quoted is not None:
            words.extend(_unquote(quoted).split())
            continue
        if name is None:
            continue
        op = name.lower()
        value = _unquote(value or "")
        if op not in OPERATORS:
            raise SearchSyntaxError(
                f"unknown search operator {name}: — the operators are {', '.join(o + ':' for o in OPERATORS)}; "
                f'to search for the text itself, put it in quotes ("{name}:{value}")'
            )
        if not value.strip():
            raise SearchSyntaxError(f"{op}: needs a value, e.g. {_EXAMPLES[op]}")
        if op == "is":
            flag = value.lower()
            if flag not in IS_FLAGS:
                raise SearchSyntaxError(
                    f"is:{value} is not a state; use one of {', '.join('is:' + f for f in IS_FLAGS)}"
                )
            flags.add(flag)
        elif op in DATE_OPERATORS:
            day = parse_day(value, today, op)
            # A second before:/after: keeps the narrower bound.
            if op in dates:
                day = min(day, dates[op]) if op == "before" else max(day, dates[op])
            dates[op] = day
        else:
            values[op].append(value.strip())
    return SearchQuery(
        words=tuple(words),
        senders=tuple(values["from"]),
        recipients=tuple(values["to"]),
        teams=tuple(values["team"]),
        owners=tuple(values["owner"]),
        tags=tuple(values["tag"]),
        flags=frozenset(flags),
        before=dates.get("before"),
        after=dates.get("after"),
    )


_EXAMPLES = {
    "from": "from:ada@example.com",
    "to": "to:support@",
    "team": "team:support",
    "owner": "owner:me",
    "tag": "tag:billing",
    "is": "is:unclaimed",
    "before": "before:2026-11-24",
    "after": "after:7d",
}


def _unquote(value: str) -> str:
    if value.startswith('"'):
        value = value[1:]
        if value.endswith('"'):
            value = value[:-1]
    return value


def parse_day(value: str, today: date, op: str = "before") -> date:
    """A day as the date operators take it: ISO (2026-11-24), today, yesterday, or N days back (7d)."""
    lowered = value.strip().lower()
    if lowered == "today":
        return today
    if lowered == "yesterday":
        return today - timedelta(days=1)
    if (back := _DAYS_BACK.match(lowered)) is not None:
        return today - timedelta(days=int(back.group(1)))
    if _ISO_DAY.match(lowered):
        try:
            return date.fromisoformat(lowered)
        except ValueError:
            pass
    raise SearchSyntaxError(
        f"{op}:{value} is not a day; write {op}:2026-11-24 (year-month-day), {op}:today, {op}:yesterday "
        f"or {op}:7d (seven days back)"
    )
