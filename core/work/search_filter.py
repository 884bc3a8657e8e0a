"""A parsed search (core.work.search_syntax) as a condition over `conversation`, the same SQL on SQLite and
PostgreSQL; names it mentions (teams, agents, tags) are checked against the config first.

Every search also keeps only what the searcher may read (core.work.access): a hit on a sender, a tag or a
word must not reveal a confidential conversation or someone's personal mail.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from core.errors import UnknownName
from core.store.fts_query import match_sql
from core.store.rawsql import RawSql
from core.work.access import Reader
from core.work.search_syntax import SearchQuery, parse_search
from core.workspace.config import Config

NO_OWNER = ("none", "nobody")


def agent_zone(config: Config, agent: str) -> ZoneInfo:
    """The zone an agent's days are counted in: their own, their first team's, else the workspace's."""
    found = config.agent(agent)
    if found and found.timezone:
        return ZoneInfo(found.timezone)
    teams = config.teams_of(agent)
    team = config.team(teams[0]) if teams else None
    return ZoneInfo(team.timezone if team and team.timezone != "UTC" else config.workspace.timezone)


def parse_for(config: Config, agent: str, text: str, now: datetime) -> SearchQuery:
    """Parse a search as `agent` types it (days in their zone) and check the names it uses."""
    query = parse_search(text, now.astimezone(agent_zone(config, agent)).date())
    check_names(config, agent, query)
    return query


def check_names(config: Config, agent: str, query: SearchQuery) -> None:
    for team in query.teams:
        if config.team(team) is None:
            known = ", ".join(t.name for t in config.teams) or "none"
            raise UnknownName(f"team:{team} — there is no team {team!r} (teams: {known})")
    for owner in query.owners:
        if owner.lower() not in (*NO_OWNER, "me") and config.agent(owner) is None:
            known = ", ".join(a.login for a in config.agents)
            raise UnknownName(
                f"owner:{owner} — there is no agent {owner!r} (use owner:me, owner:none or one of {known})"
            )
    for tag in query.tags:
        if config.tag(tag) is None:
            known = ", ".join(t.name for t in config.tags) or "none are configured in comptoir.toml [[tags]]"
            raise UnknownName(f"tag:{tag} — there is no tag {tag!r} (tags: {known})")


def search_where(
    raw: RawSql, config: Config, agent: str, query: SearchQuery, now: datetime
) -> tuple[str, dict[str, Any]] | None:
    """The condition selecting conversations that match `query` and that `agent` may read, with its parameters;
    None when the query can match nothing (free words that are all punctuation)."""
    parts: list[str] = []
    params: dict[str, Any] = {}

    def bind(value: Any) -> str:
        name = f"s{len(params)}"
        params[name] = value
        return f":{name}"

    if query.words:
        found = match_sql(" ".join(query.words), raw.sqlite)
        if found is None:
            return None
        sql, word_params = found
        parts.append(f"id IN ({sql})")
        params |= word_params
    for sender in query.senders:
        like = bind(f"%{sender.lower()}%")
        parts.append(
            f"(lower(customer_address) LIKE {like} OR lower(customer_name) LIKE {like} OR id IN "
            "(SELECT conversation_id FROM message WHERE direction = 'inbound' AND "
            f"(lower(from_addr) LIKE {like} OR lower(from_name) LIKE {like})))"
        )
    for recipient in query.recipients:
        like = bind(f"%{recipient.lower()}%")
        parts.append(
            f"(lower(via_address) LIKE {like} OR id IN (SELECT conversation_id FROM message WHERE "
            f"lower(CAST(to_addrs AS TEXT)) LIKE {like} OR lower(CAST(cc_addrs AS TEXT)) LIKE {like}))"
        )
    for team in query.teams:
        parts.append(f"team = {bind(team)}")
    for owner in query.owners:
        lowered = owner.lower()
        if lowered in NO_OWNER:
            parts.append("owner IS NULL")
        else:
            parts.append(f"owner = {bind(agent if lowered == 'me' else owner)}")
    for tag in query.tags:
        parts.append(f"id IN (SELECT conversation_id FROM conversation_tag WHERE tag = {bind(tag)})")
    flags = query.flags
    if "unclaimed" in flags:
        parts.append("(owner IS NULL AND state = 'open')")
    if "mine" in flags:
        parts.append(f"owner = {bind(agent)}")
    if "overdue" in flags:
        parts.append(f"(state = 'open' AND deadline <= {bind(raw.when(now))} AND pending_count > 0)")
    if "confidential" in flags:
        parts.append(f"confidential = {bind(raw.flag(True))}")
    if "automated" in flags:
        parts.append(f"automated = {bind(raw.flag(True))}")
    if "pending" in flags:
        parts.append("pending_count > 0")
    zone = agent_zone(config, agent)
    if query.after is not None:
        parts.append(f"last_message_at >= {bind(raw.when(_day_start(query.after, zone)))}")
    if query.before is not None:
        parts.append(f"last_message_at < {bind(raw.when(_day_start(query.before, zone)))}")
    readable, readable_params = Reader.of(config, agent).readable_sql(raw.when(now), raw.flag(False))
    parts.append(readable)
    params |= readable_params
    return " AND ".join(parts), params


def _day_start(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)
