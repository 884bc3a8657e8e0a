"""What routing answers: a decision with its escalation ladder, and the reasons behind it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

PERSONAL, TEAM, EVERYONE = "personal", "team", "everyone"
HIGH, NORMAL, LOW = "high", "normal", "low"


@dataclass(frozen=True, slots=True)
class Reason:
    """One sentence a new staff member understands, with a stable code and the inputs it names."""

    code: str
    text: str
    inputs: Mapping[str, str] = field(default_factory=dict, hash=False)


@dataclass(frozen=True, slots=True)
class Rung:
    """From `at` on, the conversation has `visibility` and these agents and teams are alerted."""

    at: datetime
    visibility: str
    alert_agents: tuple[str, ...]
    alert_teams: tuple[str, ...]
    text: str


@dataclass(frozen=True, slots=True)
class Decision:
    """Who must answer an inbound message, until when, and why."""

    route: str
    """Which rule decided: config_rule, reply_owner, reply_team, personal, audience_agent, audience_team or first_contact."""
    target: str
    """"agent", "team" or "everyone"."""
    agent: str | None
    team: str | None
    visibility: str
    exclusive_until: datetime | None
    team_until: datetime | None
    """When the team's turn ends: everyone sees it and supervisors are alerted."""
    ladder: tuple[Rung, ...]
    priority: str
    confidential: bool
    automated: bool
    auto_ack_allowed: bool
    reasons: tuple[Reason, ...]
    client: str | None = None
    """The client whose address the message was written to."""
    informational: bool = False
    """Written to an informational address: no reply expected, worked out at once, never escalates."""
