"""Who may read a conversation's content: the one rule every read and every action asks.

- Supervisors and the conversation's owner may always read it.
- Personal mail inside its exclusive window (an exclusive agent, visibility 'personal', the window
  not yet over) is for the addressed agent alone.
- A confidential conversation is for the members of its team.
- Anything else is for every agent.

Whoever may not read a conversation sees only that it exists (id, team, owner, state, deadline and
the word "confidential"): no subject, sender, body, attachments, routing reasons, history or search
hit, and cannot act on it. The rule has two forms kept side by side here: `Reader.may_read` for rows
already read, `Reader.readable_sql` to filter in the database (search hits); a test checks they agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from core.workspace.config import Config

GUARD_FIELDS = ("confidential", "owner", "team", "exclusive_agent", "visibility", "exclusive_until")
"""The conversation columns the rule looks at, in `Guard`'s order."""

HIDDEN_SUBJECT = "(confidential)"
HIDDEN_PERSONAL_SUBJECT = "(personal)"


class Guarded(Protocol):
    """Anything carrying the facts the rule looks at: a `Guard`, or a row read with those columns
    (core.work.claiming reads them straight into its row, with no Guard to build on its hot path)."""

    @property
    def confidential(self) -> bool: ...
    @property
    def owner(self) -> str | None: ...
    @property
    def team(self) -> str | None: ...
    @property
    def exclusive_agent(self) -> str | None: ...
    @property
    def visibility(self) -> str: ...
    @property
    def exclusive_until(self) -> datetime | None: ...


def in_exclusive_window(guard: Guarded, now: datetime) -> bool:
    """Personal mail whose exclusive window is still open at `now`."""
    return (
        guard.exclusive_agent is not None
        and guard.visibility == "personal"
        and (guard.exclusive_until is None or guard.exclusive_until > now)
    )


@dataclass(frozen=True)
class Guard:
    """The facts about one conversation that decide who may read it."""

    confidential: bool
    owner: str | None
    team: str | None
    exclusive_agent: str | None
    visibility: str
    exclusive_until: datetime | None

    @classmethod
    def of(cls, conversation: Any) -> Guard:
        """From anything with the conversation's attributes (the ORM model, a claim row)."""
        return cls(*(getattr(conversation, name) for name in GUARD_FIELDS))

    def in_exclusive_window(self, now: datetime) -> bool:
        return in_exclusive_window(self, now)


@dataclass(frozen=True)
class Reader:
    """One agent as the rule sees them: login, supervisor or not, teams (worked out once per request)."""

    login: str
    supervisor: bool
    teams: frozenset[str]

    @classmethod
    def of(cls, config: Config, login: str) -> Reader:
        return cls(login, config.is_supervisor(login), frozenset(config.teams_of(login)))

    def may_read(self, guard: Guarded, now: datetime) -> bool:
        if self.supervisor or guard.owner == self.login:
            return True
        if in_exclusive_window(guard, now):
            return guard.exclusive_agent == self.login
        if guard.confidential:
            return guard.team is not None and guard.team in self.teams
        return True

    def readable_sql(self, now_value: Any, false_value: Any, prefix: str = "r") -> tuple[str, dict[str, Any]]:
        """The same rule as a condition over `conversation`'s columns, with its parameters.

        `now_value` and `false_value` are `now` and False as the database stores them (RawSql.when, RawSql.flag).
        """
        if self.supervisor:
            return "(1 = 1)", {}
        me, now, no = f"{prefix}me", f"{prefix}now", f"{prefix}no"
        params: dict[str, Any] = {me: self.login, now: now_value, no: false_value}
        teams = {f"{prefix}t{i}": team for i, team in enumerate(sorted(self.teams))}
        params |= teams
        window = (
            f"(exclusive_agent IS NOT NULL AND visibility = 'personal' "
            f"AND (exclusive_until IS NULL OR exclusive_until > :{now}))"
        )
        in_team = f"team IN ({', '.join(':' + name for name in teams)})" if teams else "1 = 0"
        sql = (
            f"(owner = :{me} OR ({window} AND exclusive_agent = :{me}) "
            f"OR (NOT {window} AND (confidential = :{no} OR {in_team})))"
        )
        return sql, params

    def why_not(self, guard: Guard, now: datetime) -> str:
        """Who may read it, for a refusal (says nothing about its content)."""
        if guard.in_exclusive_window(now):
            return (
                "it is personal mail inside its exclusive window: only the addressed agent and supervisors can open it"
            )
        team = f", team {guard.team}" if guard.team else ""
        return f"it is confidential: only its owner{team} and supervisors can open it"


def may_read(config: Config, login: str, guard: Guard, now: datetime) -> bool:
    """Whether `login` may read the content of the conversation described by `guard` at `now`."""
    return Reader.of(config, login).may_read(guard, now)


def hidden_subject(guard: Guard, now: datetime) -> str:
    """What a row shows instead of the subject to someone who may not read it."""
    return HIDDEN_SUBJECT if guard.confidential or not guard.in_exclusive_window(now) else HIDDEN_PERSONAL_SUBJECT
