"""Config rules as data: all/any conditions over a message, then routing actions and flags."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from routing.facts import MessageFacts
from routing.outcome import HIGH, LOW, NORMAL

FIELDS = ("from", "to", "cc", "recipients", "subject", "body")
HEADER_PREFIX = "header:"
OPS = ("equals", "contains", "matches", "in")
PRIORITIES = (HIGH, NORMAL, LOW)


@dataclass(frozen=True)
class Condition:
    """`field` `op` `value`, case-insensitive; on to/cc/recipients it holds if any address does."""

    field: str
    """from, to, cc, recipients, subject, body, or header:NAME."""
    op: str
    """equals, contains, matches (regular expression, searched) or in (value is a tuple)."""
    value: str | tuple[str, ...]
    _pattern: re.Pattern[str] | None = dataclasses.field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        name = self.field.lower()
        if name not in FIELDS and not (name.startswith(HEADER_PREFIX) and len(name) > len(HEADER_PREFIX)):
            raise ValueError(f"unknown condition field {self.field!r}; use {', '.join(FIELDS)} or header:NAME")
        if self.op not in OPS:
            raise ValueError(f"unknown condition op {self.op!r}; use {', '.join(OPS)}")
        object.__setattr__(self, "field", name)
        if self.op == "in":
            if isinstance(self.value, str):
                raise ValueError(f"op 'in' needs a list of values, got {self.value!r}")
            object.__setattr__(self, "value", tuple(v.lower() for v in self.value))
        elif not isinstance(self.value, str):
            raise ValueError(f"op {self.op!r} needs one string value, got {self.value!r}")
        elif self.op == "matches":
            try:
                object.__setattr__(self, "_pattern", re.compile(self.value, re.IGNORECASE))
            except re.error as error:
                raise ValueError(f"invalid regular expression {self.value!r}: {error}") from None
        else:
            object.__setattr__(self, "value", self.value.lower())

    def holds(self, message: MessageFacts) -> bool:
        return any(self._holds_for(value) for value in _values(message, self.field))

    def _holds_for(self, value: str) -> bool:
        if self._pattern is not None:
            return self._pattern.search(value) is not None
        value = value.lower()
        if self.op == "equals":
            return value == self.value
        if self.op == "contains":
            return isinstance(self.value, str) and self.value in value
        # `in`: __post_init__ made the value a tuple of lowered strings.
        return value in self.value if isinstance(self.value, tuple) else value == self.value

    def describe(self) -> str:
        shown = ", ".join(self.value) if isinstance(self.value, tuple) else self.value
        return f"{self.field} {self.op} \u201c{shown}\u201d"


@dataclass(frozen=True)
class Rule:
    """A named rule: when all of `all_of` and (if given) one of `any_of` hold, apply the actions."""

    name: str
    all_of: tuple[Condition, ...] = ()
    any_of: tuple[Condition, ...] = ()
    team: str | None = None
    agent: str | None = None
    confidential: bool = False
    priority: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "all_of", tuple(self.all_of))
        object.__setattr__(self, "any_of", tuple(self.any_of))
        if not self.all_of and not self.any_of:
            raise ValueError(f"rule {self.name!r} has no condition")
        if not (self.team or self.agent or self.confidential or self.priority):
            raise ValueError(f"rule {self.name!r} has no action (team, agent, confidential, priority)")
        if self.priority is not None and self.priority not in PRIORITIES:
            raise ValueError(f"rule {self.name!r}: priority must be one of {', '.join(PRIORITIES)}")

    @property
    def routes(self) -> bool:
        """Whether the rule picks a target (team or agent), not just flags."""
        return bool(self.team or self.agent)

    def matches(self, message: MessageFacts) -> bool:
        for condition in self.all_of:
            if not condition.holds(message):
                return False
        if not self.any_of:
            return True
        return any(condition.holds(message) for condition in self.any_of)

    def describe_match(self, message: MessageFacts) -> str:
        """The conditions that held, joined for a reason sentence."""
        held = list(self.all_of) + [c for c in self.any_of if c.holds(message)][:1]
        return " and ".join(c.describe() for c in held)


def rule_from_mapping(data: Mapping[str, Any]) -> Rule:
    """Build a Rule from config data: {"name", "all": [{field, op, value}], "any": [...], actions}."""

    def conditions(key: str) -> tuple[Condition, ...]:
        return tuple(
            Condition(c["field"], c["op"], c["value"] if isinstance(c["value"], str) else tuple(c["value"]))
            for c in data.get(key, ())
        )

    return Rule(
        name=data["name"],
        all_of=conditions("all"),
        any_of=conditions("any"),
        team=data.get("team"),
        agent=data.get("agent"),
        confidential=bool(data.get("confidential", False)),
        priority=data.get("priority"),
    )


def _values(message: MessageFacts, name: str) -> tuple[str, ...]:
    if name == "from":
        return (message.sender,)
    if name == "to":
        return message.to
    if name == "cc":
        return message.cc
    if name == "recipients":
        return message.recipients
    if name == "subject":
        return (message.subject,)
    if name == "body":
        return (message.body_excerpt,)
    header = message.headers.get(name[len(HEADER_PREFIX) :])
    return () if header is None else (header,)
