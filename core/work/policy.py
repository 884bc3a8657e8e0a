"""Builds routing's plain inputs (Policy, AgentInfo, BusinessHours) from the config and the database."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from core.store.rawsql import RawSql
from core.work.listing import open_loads, presence_statuses
from core.workspace.config import AgentConfig, Config, RuleCondition, TeamConfig, roster_week
from core.workspace.folder import Workspace
from routing import AgentInfo, BusinessHours, ClientInfo, Condition, Policy, Roster, Rule, TeamPolicy, is_open
from routing.hours import parse_week

if TYPE_CHECKING:
    from sqlmodel import Session


@lru_cache(maxsize=256)
def business_hours(spec: str, timezone: str, holidays: tuple[Any, ...] = ()) -> BusinessHours:
    week = parse_week(spec)
    if not any(week):
        raise ValueError(f"opening hours {spec!r} are never open")
    return BusinessHours(timezone, week, frozenset(holidays))


def team_hours(team: TeamConfig) -> BusinessHours:
    return business_hours(team.hours, team.timezone, tuple(team.holidays))


def agent_hours(config: Config, agent: AgentConfig) -> BusinessHours | None:
    if agent.hours is None and agent.timezone is None:
        return None
    teams = config.teams_of(agent.login)
    first = config.team(teams[0]) if teams else None
    spec = agent.hours or (first.hours if first else "mon-fri 09:00-18:00")
    zone = agent.timezone or (first.timezone if first else config.workspace.timezone)
    holidays = tuple(first.holidays) if first else ()
    return business_hours(spec, zone, holidays)


def _condition(c: RuleCondition) -> Condition:
    if c.equals is not None:
        return Condition(c.field, "equals", c.equals)
    if c.contains is not None:
        return Condition(c.field, "contains", c.contains)
    if c.matches is not None:
        return Condition(c.field, "matches", c.matches)
    return Condition(c.field, "in", tuple(c.any_of or ()))


def _rules(config: Config) -> tuple[Rule, ...]:
    return tuple(
        Rule(
            name=r.name,
            all_of=tuple(_condition(c) for c in r.all),
            any_of=tuple(_condition(c) for c in r.any),
            team=r.team,
            agent=r.agent,
            confidential=r.confidential,
            priority=r.priority,
        )
        for r in config.routing.rules
    )


def build_policy(ws: Workspace, s: Session | None = None, with_loads: bool = True) -> Policy:
    """The routing policy with every agent's current presence and open load read from the database.

    with_loads=False leaves every load at 0, for escalation, which never looks at loads (and whose cost
    must not grow with the number of open conversations).
    """
    config = ws.config
    if s is None:
        with ws.db.raw(write=False) as raw:
            loads, pres = open_loads(raw) if with_loads else {}, presence_statuses(raw)
    else:
        raw = RawSql(s)
        loads, pres = open_loads(raw) if with_loads else {}, presence_statuses(raw)
    agents = []
    for a in config.agents:
        status, until = pres.get(a.login, ("available", None))
        agents.append(
            AgentInfo(
                login=a.login,
                name=a.name,
                addresses=a.addresses,
                teams=config.teams_of(a.login),
                role=a.role,
                presence=status,
                presence_until=until,
                schedule=agent_hours(config, a),
                open_load=loads.get(a.login, 0),
            )
        )
    teams = tuple(
        TeamPolicy(
            name=t.name,
            addresses=t.addresses,
            audiences=t.audiences,
            keywords=t.keywords,
            members=config.members_of(t.name),
            exclusive_window=t.exclusive_window,
            team_window=t.team_window,
            hours=team_hours(t),
            webhook=t.webhook,
            roster=team_roster(t),
        )
        for t in config.teams
    )
    clients = tuple(ClientInfo(c.name, c.addresses, c.team, c.owner, c.informational) for c in config.clients)
    return Policy(
        teams=teams,
        agents=tuple(agents),
        front_pool=config.routing.front_pool,
        rating_threshold=config.routing.rating_threshold,
        recipient_limit=config.routing.recipient_limit,
        warn_before=config.routing.warn_before,
        rules=_rules(config),
        hours=business_hours("always", config.workspace.timezone),
        clients=clients,
    )


def team_roster(team: TeamConfig) -> Roster | None:
    if team.roster is None:
        return None
    if team.roster == "round-robin":
        return Roster("round-robin")
    return Roster("weekly", roster_week(team.roster))


def agent_at_work(ws: Workspace, login: str, status: str, now: datetime) -> bool:
    """Available, and within the agent's (or their first team's) hours."""
    if status != "available":
        return False
    agent = ws.config.agent(login)
    if agent is None:
        return False
    hours = agent_hours(ws.config, agent)
    if hours is None:
        teams = ws.config.teams_of(login)
        team = ws.config.team(teams[0]) if teams else None
        hours = team_hours(team) if team else None
    return is_open(now, hours)
