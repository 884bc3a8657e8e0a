"""Shared plain-data world for routing tests: one workspace in Paris, three teams."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from routing import AgentInfo, BusinessHours, Condition, Policy, Rule, TeamPolicy

PARIS = BusinessHours.from_text("Europe/Paris", "mon-fri 09:00-18:00", holidays=(date(2024, 5, 1),))
# Tuesday 12 March 2024, 10:30 in Paris (UTC+1).
NOW = datetime(2024, 3, 12, 9, 30, tzinfo=UTC)


def paris(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A Paris wall-clock time as a UTC instant."""
    return datetime(year, month, day, hour, minute, tzinfo=PARIS.zone).astimezone(UTC)


AGENTS = (
    AgentInfo("marie", "Marie Curie", ("marie@acme.test",), ("sales",)),
    AgentInfo("pierre", "Pierre Curie", ("pierre@acme.test",), ("sales",)),
    AgentInfo(
        "lea",
        "Léa Martin",
        ("lea@acme.test",),
        ("support",),
        presence="vacation",
        presence_until=NOW + timedelta(days=7),
    ),
    AgentInfo("sam", "Sam Petit", ("sam@acme.test",), ("support",)),
    AgentInfo(
        "night",
        "Nora Night",
        ("nora@acme.test",),
        ("support",),
        schedule=BusinessHours.from_text("Europe/Paris", "mon-fri 20:00-23:59"),
    ),
    AgentInfo("sue", "Sue Boss", (), ("sales",), role="supervisor"),
    AgentInfo("olga", "Olga Chef", (), ("purchasing",), role="supervisor"),
)
TEAMS = (
    TeamPolicy("sales", ("sales@acme.test",), ("retail",), ("quote", "pricing"), hours=PARIS),
    TeamPolicy("support", ("support@acme.test",), ("pro",), ("broken", "refund"), hours=PARIS),
    TeamPolicy("purchasing", ("purchasing@acme.test", "invoices@acme.test"), hours=PARIS),
)
RULES = (
    Rule("invoices", all_of=(Condition("to", "equals", "invoices@acme.test"),), team="purchasing", confidential=True),
    Rule(
        "urgent",
        any_of=(Condition("subject", "matches", r"\burgent\b"), Condition("header:x-priority", "in", ("1", "2"))),
        priority="high",
    ),
)


def make_policy(**changes: object) -> Policy:
    values: dict[str, object] = {"teams": TEAMS, "agents": AGENTS, "rules": RULES}
    values.update(changes)
    return Policy(**values)  # type: ignore[arg-type]
