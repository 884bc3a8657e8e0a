"""Who works here: teams, agents and their presence, and the workspace's routing settings."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from routing.clients import ClientInfo
from routing.facts import base_address, normalize_address
from routing.hours import BusinessHours, is_open
from routing.outcome import EVERYONE
from routing.roster import Roster
from routing.rules import Rule
from routing.wording import when

AGENT, SUPERVISOR = "agent", "supervisor"
AVAILABLE, AWAY, VACATION = "available", "away", "vacation"
DEFAULT_EXCLUSIVE_WINDOW = timedelta(hours=2)
DEFAULT_TEAM_WINDOW = timedelta(hours=4)


@dataclass(frozen=True)
class AgentInfo:
    """A staff member as routing sees them."""

    login: str
    name: str = ""
    addresses: tuple[str, ...] = ()
    """Personal addresses customers may write to."""
    teams: tuple[str, ...] = ()
    role: str = AGENT
    presence: str = AVAILABLE
    presence_until: datetime | None = None
    """When an away or vacation presence ends by itself; None means until changed."""
    schedule: BusinessHours | None = None
    """The agent's own working hours; None means their team's hours."""
    open_load: int = 0

    def __post_init__(self) -> None:
        if self.role not in (AGENT, SUPERVISOR):
            raise ValueError(f"agent {self.login!r}: role must be agent or supervisor, not {self.role!r}")
        if self.presence not in (AVAILABLE, AWAY, VACATION):
            raise ValueError(f"agent {self.login!r}: unknown presence {self.presence!r}")
        object.__setattr__(self, "addresses", tuple(normalize_address(a) for a in self.addresses))
        object.__setattr__(self, "teams", tuple(self.teams))

    @property
    def label(self) -> str:
        return self.name or self.login

    def presence_at(self, now: datetime) -> str:
        """The presence in force at `now`: away or vacation lapse at `presence_until`."""
        if self.presence != AVAILABLE and self.presence_until is not None and now >= self.presence_until:
            return AVAILABLE
        return self.presence


@dataclass(frozen=True)
class TeamPolicy:
    """A team: the addresses it owns, the audiences and keywords it serves, its windows and hours."""

    name: str
    addresses: tuple[str, ...] = ()
    audiences: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    members: tuple[str, ...] = ()
    exclusive_window: timedelta = DEFAULT_EXCLUSIVE_WINDOW
    team_window: timedelta = DEFAULT_TEAM_WINDOW
    hours: BusinessHours | None = None
    webhook: str | None = None
    """Where core posts the team's alerts; routing ignores it."""
    roster: Roster | None = None
    """Who is on duty: team-wide mail goes to them first, for the exclusive window."""

    def __post_init__(self) -> None:
        if self.name == EVERYONE:
            raise ValueError(f"{EVERYONE!r} is reserved and cannot name a team")
        object.__setattr__(self, "addresses", tuple(normalize_address(a) for a in self.addresses))
        for name in ("audiences", "keywords", "members"):
            object.__setattr__(self, name, tuple(getattr(self, name)))


def _index() -> Any:
    return field(init=False, repr=False, compare=False, default=None)


@dataclass(frozen=True)
class Policy:
    """The whole routing configuration of a workspace, with lookups built once."""

    teams: tuple[TeamPolicy, ...] = ()
    agents: tuple[AgentInfo, ...] = ()
    front_pool: str = EVERYONE
    """Team whose members see first contacts, or "everyone"."""
    rating_threshold: int = 3
    """Scores below this are bad: that agent is never routed to that contact again."""
    recipient_limit: int = 2
    """Replies to more recipients need a confirmation (read by core)."""
    warn_before: timedelta = timedelta(minutes=15)
    rules: tuple[Rule, ...] = ()
    hours: BusinessHours | None = None
    """Workspace hours, used when no team applies (first contacts seen by everyone)."""
    unclaimed_window: timedelta = DEFAULT_TEAM_WINDOW
    """How long a message seen by everyone may stay unclaimed before supervisors are alerted."""
    clients: tuple[ClientInfo, ...] = ()
    """Clients with their own addresses, each served by one team."""

    _agents: dict[str, AgentInfo] = _index()
    _teams: dict[str, TeamPolicy] = _index()
    _agent_by_address: dict[str, AgentInfo] = _index()
    _team_by_address: dict[str, TeamPolicy] = _index()
    _members: dict[str, tuple[str, ...]] = _index()
    _supervisors: dict[str | None, tuple[str, ...]] = _index()
    _keywords: tuple[tuple[TeamPolicy, re.Pattern[str]], ...] = _index()
    _team_by_audience: dict[str, TeamPolicy] = _index()
    _logins: tuple[str, ...] = _index()
    _supervisor_phrases: dict[str | None, tuple[str, str]] = _index()
    _client_by_address: dict[str, ClientInfo] = _index()

    def __post_init__(self) -> None:
        for name in ("teams", "agents", "rules", "clients"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        teams = {team.name: team for team in self.teams}
        agents = {agent.login: agent for agent in self.agents}
        self._check(teams, agents)
        members = {
            name: tuple(dict.fromkeys([*team.members, *(a.login for a in self.agents if name in a.teams)]))
            for name, team in teams.items()
        }
        supervisors: dict[str | None, tuple[str, ...]] = {
            None: tuple(a.login for a in self.agents if a.role == SUPERVISOR)
        }
        for name, logins in members.items():
            supervisors[name] = (
                tuple(login for login in logins if agents[login].role == SUPERVISOR) or supervisors[None]
            )
        keywords = tuple(
            (team, re.compile(r"\b(" + "|".join(re.escape(k) for k in team.keywords) + r")\b", re.IGNORECASE))
            for team in self.teams
            if team.keywords
        )
        values = {
            "_agents": agents,
            "_logins": tuple(agents),
            "_teams": teams,
            "_agent_by_address": {addr: a for a in self.agents for addr in a.addresses},
            "_team_by_address": {addr: t for t in self.teams for addr in t.addresses},
            "_members": members,
            "_supervisors": supervisors,
            "_keywords": keywords,
            "_team_by_audience": {aud.lower(): t for t in reversed(self.teams) for aud in t.audiences},
            "_supervisor_phrases": {},
            "_client_by_address": {addr: c for c in reversed(self.clients) for addr in c.addresses},
        }
        for name, value in values.items():
            object.__setattr__(self, name, value)

    def _check(self, teams: dict[str, TeamPolicy], agents: dict[str, AgentInfo]) -> None:
        if len(teams) != len(self.teams) or len(agents) != len(self.agents):
            raise ValueError("team names and agent logins must be unique")
        if self.front_pool != EVERYONE and self.front_pool not in teams:
            raise ValueError(f"front_pool {self.front_pool!r} is neither 'everyone' nor a team")
        for team in self.teams:
            for login in team.members:
                if login not in agents:
                    raise ValueError(f"team {team.name!r} lists unknown member {login!r}")
        for agent in self.agents:
            for name in agent.teams:
                if name not in teams:
                    raise ValueError(f"agent {agent.login!r} is in unknown team {name!r}")
        for client in self.clients:
            if client.team not in teams:
                raise ValueError(f"client {client.name!r} names unknown team {client.team!r}")
            if client.owner is not None and client.owner not in agents:
                raise ValueError(f"client {client.name!r} names unknown owner {client.owner!r}")
        for team in self.teams:
            for login in team.roster.logins() if team.roster else ():
                if login not in agents:
                    raise ValueError(f"team {team.name!r}'s roster names unknown agent {login!r}")
        for rule in self.rules:
            if rule.team is not None and rule.team not in teams:
                raise ValueError(f"rule {rule.name!r} names unknown team {rule.team!r}")
            if rule.agent is not None and rule.agent not in agents:
                raise ValueError(f"rule {rule.name!r} names unknown agent {rule.agent!r}")

    def agent(self, login: str | None) -> AgentInfo | None:
        return self._agents.get(login) if login else None

    def team(self, name: str | None) -> TeamPolicy | None:
        return self._teams.get(name) if name else None

    def agent_for_address(self, address: str) -> AgentInfo | None:
        """The agent a personal address (plus tag ignored) belongs to."""
        found = self._agent_by_address.get(address)
        if found is None and "+" in address:
            found = self._agent_by_address.get(base_address(address)[0])
        return found

    def team_for_address(self, address: str) -> TeamPolicy | None:
        """The team owning an address (plus tag ignored)."""
        found = self._team_by_address.get(address)
        if found is None and "+" in address:
            found = self._team_by_address.get(base_address(address)[0])
        return found

    def client_for_address(self, address: str) -> ClientInfo | None:
        """The client an address (plus tag ignored) belongs to."""
        found = self._client_by_address.get(address)
        if found is None and "+" in address:
            found = self._client_by_address.get(base_address(address)[0])
        return found

    def is_our_address(self, address: str) -> bool:
        return (
            self.agent_for_address(address) is not None
            or self.team_for_address(address) is not None
            or self.client_for_address(address) is not None
        )

    def team_for_audience(self, audience: str) -> TeamPolicy | None:
        """The first team serving `audience` (case-insensitive)."""
        return self._team_by_audience.get(audience.lower())

    def members(self, team: str | None) -> tuple[str, ...]:
        return self._members.get(team, ()) if team else ()

    def supervisors(self, team: str | None = None) -> tuple[str, ...]:
        """The team's supervisors, or every supervisor when the team has none."""
        return self._supervisors.get(team, self._supervisors[None])

    def supervisor_phrase(self, team: str | None = None) -> tuple[str, str]:
        """("Ann Lee (ann) and bob", "supervisors Ann Lee (ann) and bob are") for the team's supervisors."""
        phrase = self._supervisor_phrases.get(team)
        if phrase is None:
            labels = [self._label_with_login(login) for login in self.supervisors(team)]
            who = labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} and {labels[-1]}" if labels else ""
            if not labels:
                names = "no supervisor (none is configured) is"
            elif len(labels) == 1:
                names = f"supervisor {who} is"
            else:
                names = f"supervisors {who} are"
            # Policies are immutable, so the phrase is worked out once per team.
            phrase = self._supervisor_phrases[team] = (who, names)
        return phrase

    def _label_with_login(self, login: str) -> str:
        agent = self._agents.get(login)
        return f"{agent.label} ({login})" if agent and agent.label != login else login

    def logins(self) -> tuple[str, ...]:
        """Every agent's login, in configuration order."""
        return self._logins

    def teams_by_keyword(self, *texts: str) -> tuple[tuple[TeamPolicy, str], ...]:
        """Teams whose keywords occur in `texts`, each with the first keyword found."""
        found = []
        for team, pattern in self._keywords:
            for text in texts:
                hit = pattern.search(text)
                if hit:
                    found.append((team, hit.group(1)))
                    break
        return tuple(found)

    def agent_hours(self, agent: AgentInfo, team: str | None = None) -> BusinessHours | None:
        """The agent's schedule, else the hours of `team` (or of their first team)."""
        if agent.schedule is not None:
            return agent.schedule
        chosen = self.team(team) or self.team(agent.teams[0] if agent.teams else None)
        return chosen.hours if chosen else self.hours

    def absence(self, agent: AgentInfo, now: datetime, team: str | None = None) -> str | None:
        """Why the agent is not at work at `now` ("on vacation until ..."), or None if they are."""
        presence = agent.presence_at(now)
        if presence != AVAILABLE:
            hours = self.agent_hours(agent, team)
            until = f" until {when(agent.presence_until, hours)}" if agent.presence_until else ""
            return f"{'on vacation' if presence == VACATION else 'away'}{until}"
        hours = self.agent_hours(agent, team)
        if not is_open(now, hours):
            return f"outside working hours ({when(now, hours)})"
        return None
