"""`decide`: who must answer an inbound message, until when, and why."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from routing.automation import automation_signs
from routing.clients import ClientInfo
from routing.facts import MessageFacts, Rating, RoutingFacts, base_address
from routing.hours import BusinessHours, add_business_time
from routing.outcome import (
    EVERYONE,
    LOW,
    NORMAL,
    PERSONAL,
    TEAM,
    Decision,
    Reason,
    Rung,
)
from routing.policy import DEFAULT_EXCLUSIVE_WINDOW, AgentInfo, Policy
from routing.roster import on_duty
from routing.rules import Rule
from routing.wording import day, span, when

AGENT_TARGET, TEAM_TARGET, EVERYONE_TARGET = "agent", "team", "everyone"
_VISIBILITY = {AGENT_TARGET: PERSONAL, TEAM_TARGET: TEAM, EVERYONE_TARGET: EVERYONE}


class _Route(NamedTuple):
    route: str
    target: str
    agent: str | None = None
    team: str | None = None
    exclusive_until: datetime | None = None
    team_until: datetime | None = None


def decide(facts: RoutingFacts, policy: Policy, now: datetime) -> Decision:
    """Apply config rules, then reply/personal/audience/first-contact routing; flags combine."""
    if now.tzinfo is None:
        raise ValueError("decide needs a timezone-aware `now`")
    message = facts.message
    reasons: list[Reason] = []
    matched = tuple([rule for rule in policy.rules if rule.matches(message)])
    client, client_address = _client_of(message.recipients, policy)
    route = (
        _by_rule(matched, facts, policy, now, reasons)
        or _by_thread(facts, policy, now, reasons)
        or _by_client(client, client_address, policy, now, reasons)
        or _by_personal_address(facts, policy, now, reasons)
        or _by_audience(facts, policy, now, reasons)
        or _first_contact(facts, policy, reasons)
    )
    route = _on_duty(route, facts, policy, now, reasons)
    route = _with_team_until(route, policy, now)
    confidential, rule_priority = _rule_flags(matched, message, reasons)
    informational = _informational(message.recipients, policy, reasons)
    signs = automation_signs(message)
    if signs:
        reasons.extend(signs)
        route = _automated_route(route, facts, policy, reasons)
    own_team = policy.team_for_address(message.sender)
    own_agent = policy.agent_for_address(message.sender)
    own_client = policy.client_for_address(message.sender)
    if own_team or own_agent or own_client:
        owner = (
            f"team {own_team.name}"
            if own_team
            else own_agent.label
            if own_agent
            else f"client {own_client.name}"
            if own_client
            else ""
        )
        reasons.append(
            Reason(
                "own_sender",
                f"The sender {message.sender} is one of our own addresses ({owner}): "
                "no auto-acknowledgement, so we never answer ourselves in a loop.",
                {"sender": message.sender},
            )
        )
    ladder = (
        ()
        if informational
        else _automated_ladder(route, policy, now, reasons)
        if signs
        else _ladder(route, policy, now, confidential, reasons)
    )
    return Decision(
        route=route.route,
        target=route.target,
        agent=route.agent,
        team=route.team,
        visibility=_VISIBILITY[route.target],
        exclusive_until=route.exclusive_until,
        team_until=route.team_until,
        ladder=ladder,
        priority=rule_priority or (LOW if signs else NORMAL),
        confidential=confidential,
        automated=bool(signs),
        auto_ack_allowed=not signs and own_team is None and own_agent is None and own_client is None,
        reasons=tuple(reasons),
        client=client.name if client else None,
        informational=informational,
    )


def _client_of(recipients: tuple[str, ...], policy: Policy) -> tuple[ClientInfo | None, str]:
    """The first client whose address the message was written to, with that address."""
    for address in recipients:
        client = policy.client_for_address(address)
        if client is not None:
            return client, address
    return None, ""


def _by_client(
    client: ClientInfo | None, address: str, policy: Policy, now: datetime, reasons: list[Reason]
) -> _Route | None:
    """Mail to a client's address goes to the client's team, first to its owner while they are at work."""
    if client is None:
        return None
    said = f"Written to {address}, the address of client {client.name}, served by team {client.team}"
    inputs = {"client": client.name, "address": address, "team": client.team}
    owner = policy.agent(client.owner)
    if owner is not None:
        absence = policy.absence(owner, now, client.team)
        if absence is None:
            exclusive_until, team_until, alone = _agent_windows(policy, owner, client.team, now)
            reasons.append(
                Reason(
                    "client", f"{said}; its owner {owner.label} is at work: {alone}.", {**inputs, "owner": owner.login}
                )
            )
            return _Route("client", AGENT_TARGET, owner.login, client.team, exclusive_until, team_until)
        reasons.append(
            Reason(
                "client",
                f"{said}; its owner {owner.label} is {absence}, so the team takes it.",
                {**inputs, "owner": owner.login, "absence": absence},
            )
        )
        return _Route("client", TEAM_TARGET, team=client.team)
    reasons.append(Reason("client", f"{said}: the team takes it.", inputs))
    return _Route("client", TEAM_TARGET, team=client.team)


def _informational(recipients: tuple[str, ...], policy: Policy, reasons: list[Reason]) -> bool:
    """Mail to an informational address needs no reply: it is worked out at once and never escalates."""
    for address in recipients:
        client = policy.client_for_address(address)
        if client is not None and (address in client.informational or base_address(address)[0] in client.informational):
            reasons.append(
                Reason(
                    "informational",
                    f"{address} is an informational address of {client.name}: no reply is expected, so the message is "
                    "recorded \u201cno action needed: informational\u201d at once and never escalates.",
                    {"address": address, "client": client.name},
                )
            )
            return True
    return False


def _on_duty(route: _Route, facts: RoutingFacts, policy: Policy, now: datetime, reasons: list[Reason]) -> _Route:
    """Team-wide mail (a first contact of a front-pool team too) goes first to the agent on duty, if the team
    has a roster and that agent is at work; then the usual ladder."""
    team = policy.team(route.team)
    if route.target != TEAM_TARGET or team is None or team.roster is None:
        return route
    members = policy.members(team.name)

    def absence(login: str) -> str | None:
        agent = policy.agent(login)
        return "not an agent" if agent is None else policy.absence(agent, now, team.name)

    def label(login: str) -> str:
        agent = policy.agent(login)
        return agent.label if agent else login

    duty = on_duty(team.name, team.roster, members, now, team.hours, facts.last_on_duty.get(team.name), absence, label)
    inputs = {"team": team.name, "roster": team.roster.kind}
    if duty.agent is None:
        reasons.append(Reason("on_duty_nobody", duty.text, inputs))
        return route
    agent: AgentInfo = policy.agent(duty.agent)  # type: ignore[assignment] # the roster names members only (config checks it)
    exclusive_until, team_until, alone = _agent_windows(policy, agent, team.name, now)
    reasons.append(Reason("on_duty", f"{duty.text}: {alone}; then the usual ladder.", {**inputs, "agent": agent.login}))
    return _Route("on_duty", AGENT_TARGET, agent.login, team.name, exclusive_until, team_until)


def _by_rule(
    matched: tuple[Rule, ...], facts: RoutingFacts, policy: Policy, now: datetime, reasons: list[Reason]
) -> _Route | None:
    """The first matching config rule that names a team or an agent decides."""
    for rule in matched:
        if not rule.routes:
            continue
        inputs = {"rule": rule.name, "conditions": rule.describe_match(facts.message)}
        said = f"Config rule \u201c{rule.name}\u201d matched ({inputs['conditions']})"
        if rule.agent is None:
            reasons.append(
                Reason("config_rule", f"{said}: it goes to team {rule.team}.", {**inputs, "team": rule.team or ""})
            )
            return _Route("config_rule", TEAM_TARGET, team=rule.team)
        agent = policy.agent(rule.agent)
        assert agent is not None  # Policy checks rule agents exist.
        team = rule.team or (agent.teams[0] if agent.teams else None)
        inputs["agent"] = agent.login
        absence = policy.absence(agent, now, team)
        if absence is None:
            exclusive_until, team_until, alone = _agent_windows(policy, agent, team, now)
            reasons.append(Reason("config_rule", f"{said}: it goes to {agent.label}, who is at work: {alone}.", inputs))
            return _Route("config_rule", AGENT_TARGET, agent.login, team, exclusive_until, team_until)
        if team is not None:
            reasons.append(
                Reason(
                    "config_rule",
                    f"{said}: it names {agent.label}, who is {absence}, so it goes to team {team}.",
                    {**inputs, "team": team, "absence": absence},
                )
            )
            return _Route("config_rule", TEAM_TARGET, team=team)
        reasons.append(
            Reason(
                "config_rule_skipped",
                f"{said}: it names {agent.label}, who is {absence} and in no team, so normal routing applies.",
                {**inputs, "absence": absence},
            )
        )
    return None


def _by_thread(facts: RoutingFacts, policy: Policy, now: datetime, reasons: list[Reason]) -> _Route | None:
    """A reply stays with the conversation's owner while they are at work, else with its team."""
    thread = facts.thread
    if thread.conversation_id is None:
        return None
    owner = policy.agent(thread.owner)
    team = thread.team or (owner.teams[0] if owner and owner.teams else None)
    inputs = {"conversation": thread.conversation_id, "owner": thread.owner or "", "team": team or ""}
    said = f"Reply in conversation {thread.conversation_id}"
    if owner is not None:
        absence = policy.absence(owner, now, team)
        if absence is None:
            exclusive_until, team_until, alone = _agent_windows(policy, owner, team, now)
            reasons.append(
                Reason(
                    "reply_owner",
                    f"{said}, owned by {owner.label}, who is at work: it stays with them; {alone}.",
                    inputs,
                )
            )
            return _Route("reply_owner", AGENT_TARGET, owner.login, team, exclusive_until, team_until)
        if team is not None:
            reasons.append(
                Reason(
                    "reply_team",
                    f"{said}, but its owner {owner.label} is {absence}: the conversation's team {team} takes it.",
                    {**inputs, "absence": absence},
                )
            )
            return _Route("reply_team", TEAM_TARGET, team=team)
        reasons.append(
            Reason(
                "reply_unrouted",
                f"{said}, but its owner {owner.label} is {absence} and it has no team: routed like a new message.",
                {**inputs, "absence": absence},
            )
        )
        return None
    if team is not None:
        nobody = f"whose owner {thread.owner} is unknown" if thread.owner else "which nobody owns"
        reasons.append(Reason("reply_team", f"{said}, {nobody}: its team {team} takes it.", inputs))
        return _Route("reply_team", TEAM_TARGET, team=team)
    reasons.append(
        Reason("reply_unrouted", f"{said}, which has neither owner nor team: routed like a new message.", inputs)
    )
    return None


def _by_personal_address(facts: RoutingFacts, policy: Policy, now: datetime, reasons: list[Reason]) -> _Route | None:
    """Mail to an agent's own address, or to team+LOGIN@, goes to that agent while at work.

    Its team rung is the team serving the sender's audience when one is known, else the agent's team;
    while the agent is away, that team takes it at once."""
    seen: set[str] = set()
    for address in facts.message.recipients:
        found = _personal_target(address, policy)
        if found is None or found[0].login in seen:
            continue
        agent, team, how = found
        seen.add(agent.login)
        audience = _audience_team(facts, policy) if how == "personally" else None
        if audience is not None:
            team = audience[0]
        inputs = {"agent": agent.login, "address": address, "team": team or ""}
        absence = policy.absence(agent, now, team)
        if absence is None:
            exclusive_until, team_until, alone = _agent_windows(policy, agent, team, now)
            reasons.append(
                Reason(
                    "personal",
                    f"Addressed {how} to {agent.label} ({address}), who is at work: {alone}.",
                    inputs,
                )
            )
            if audience is not None:
                reasons.append(Reason("audience", audience[1], audience[2]))
                reasons.append(
                    Reason(
                        "personal_team",
                        f"After that, team {team} sees it: it serves this sender.",
                        {"team": team or ""},
                    )
                )
            return _Route("personal", AGENT_TARGET, agent.login, team, exclusive_until, team_until)
        if audience is not None:
            reasons.append(
                Reason(
                    "personal_absent",
                    f"Addressed {how} to {agent.label} ({address}), but they are {absence}: "
                    "routed as if written to the team serving this sender.",
                    {**inputs, "absence": absence},
                )
            )
            return None  # the audience routing below finds that team, and the sender's earlier agent
        if team is not None:
            reasons.append(
                Reason(
                    "personal_absent",
                    f"Addressed {how} to {agent.label} ({address}), but they are {absence}: their team {team} takes it.",
                    {**inputs, "absence": absence},
                )
            )
            return _Route("personal", TEAM_TARGET, team=team)
        reasons.append(
            Reason(
                "personal_absent",
                f"Addressed {how} to {agent.label} ({address}), but they are {absence} and in no team: "
                "routed like any new message.",
                {**inputs, "absence": absence},
            )
        )
    return None


def _personal_target(address: str, policy: Policy) -> tuple[AgentInfo, str | None, str] | None:
    agent = policy.agent_for_address(address)
    if agent is not None:
        return agent, (agent.teams[0] if agent.teams else None), "personally"
    base, tag = base_address(address)
    if tag is None:
        return None
    team = policy.team_for_address(base)
    agent = policy.agent(tag)
    if team is None or agent is None:
        return None
    return agent, team.name, f"with a plus tag on the address of team {team.name}"


def _by_audience(facts: RoutingFacts, policy: Policy, now: datetime, reasons: list[Reason]) -> _Route | None:
    """A known audience goes to its team, preferring the contact's previous, well-rated agent."""
    found = _audience_team(facts, policy)
    if found is None:
        return None
    team, why, inputs = found
    reasons.append(Reason("audience", why, inputs))
    contact = facts.contact
    if contact is None:
        reasons.append(
            Reason(
                "audience_team",
                f"No earlier conversation with this sender: the whole team {team} sees it.",
                {"team": team},
            )
        )
        return _Route("audience_team", TEAM_TARGET, team=team)
    bad = {r.agent: r for r in sorted(contact.ratings, key=lambda r: r.score) if r.score < policy.rating_threshold}
    members = policy.members(team)
    handlers = dict.fromkeys(
        c.handled_by for c in contact.conversations if c.handled_by and (c.team == team or c.handled_by in members)
    )
    for login in handlers:
        agent = policy.agent(login)
        if agent is None:
            continue
        rating = bad.get(login)
        if rating is not None:
            reasons.append(
                Reason(
                    "bad_rating",
                    f"{agent.label} handled {contact.address} before, but was rated {rating.score}/5 on "
                    f"{day(rating.at)} (below {policy.rating_threshold}): a badly rated pairing is never repeated.",
                    {"agent": login, "score": str(rating.score), "threshold": str(policy.rating_threshold)},
                )
            )
            continue
        absence = policy.absence(agent, now, team)
        if absence is not None:
            reasons.append(
                Reason(
                    "previous_agent_absent",
                    f"{agent.label} handled {contact.address} before, but is {absence}.",
                    {"agent": login, "absence": absence},
                )
            )
            continue
        exclusive_until, team_until, alone = _agent_windows(policy, agent, team, now)
        reasons.append(
            Reason(
                "previous_agent",
                f"{agent.label} handled {contact.address} before, {_rating_phrase(contact.ratings, login)}, "
                f"and is at work: {alone}.",
                {"agent": login, "contact": contact.address},
            )
        )
        return _Route("audience_agent", AGENT_TARGET, login, team, exclusive_until, team_until)
    if handlers:
        previous = "no earlier agent can take it"
    elif any(c.team == team for c in contact.conversations):
        previous = "nobody owned the sender's earlier conversations with it"
    else:
        previous = "nobody in the team handled this sender before"
    reasons.append(Reason("audience_team", f"The whole team {team} sees it: {previous}.", {"team": team}))
    return _Route("audience_team", TEAM_TARGET, team=team)


def _audience_team(facts: RoutingFacts, policy: Policy) -> tuple[str, str, dict[str, str]] | None:
    """The team of the sender's audience: imported audiences, then earlier conversations, then keywords."""
    message, contact = facts.message, facts.contact
    if contact is not None:
        for audience in contact.audiences:
            team = policy.team_for_audience(audience)
            if team is not None:
                return (
                    team.name,
                    (
                        f"The sender {contact.address} belongs to audience \u201c{audience}\u201d, served by team {team.name}."
                    ),
                    {"audience": audience, "team": team.name, "contact": contact.address},
                )
        for earlier in contact.conversations:
            team = policy.team(earlier.team)
            if team is not None:
                return (
                    team.name,
                    (f"The sender {contact.address} had a conversation with team {team.name} on {day(earlier.at)}."),
                    {"team": team.name, "contact": contact.address, "earlier": day(earlier.at)},
                )
    hits = policy.teams_by_keyword(message.subject, message.body_excerpt)
    if hits:
        team, keyword = hits[0]
        return (
            team.name,
            (f"The subject or body mentions \u201c{keyword}\u201d, a keyword of team {team.name}."),
            {"keyword": keyword, "team": team.name},
        )
    return None


def _first_contact(facts: RoutingFacts, policy: Policy, reasons: list[Reason]) -> _Route:
    pool = policy.front_pool
    sender = facts.message.sender
    seen_by = "every agent" if pool == EVERYONE else f"every member of the front pool, team {pool}"
    reasons.append(
        Reason(
            "first_contact",
            f"First contact from {sender}: no known audience, earlier conversation or team keyword, "
            f"so {seen_by} sees it until someone claims it.",
            {"sender": sender, "front_pool": pool},
        )
    )
    if pool == EVERYONE:
        return _Route("first_contact", EVERYONE_TARGET)
    return _Route("first_contact", TEAM_TARGET, team=pool)


def _with_team_until(route: _Route, policy: Policy, now: datetime) -> _Route:
    """Team and everyone targets end their turn after the team (or unclaimed) window."""
    if route.team_until is not None:
        return route
    team = policy.team(route.team)
    if team is not None:
        until = add_business_time(now, team.team_window, team.hours)
    else:
        until = add_business_time(now, policy.unclaimed_window, policy.hours)
    return _Route(route.route, route.target, route.agent, route.team, route.exclusive_until, until)


def _agent_windows(
    policy: Policy, agent: AgentInfo, team_name: str | None, now: datetime
) -> tuple[datetime, datetime, str]:
    """The exclusive window in the agent's hours, then the team window in the team's hours."""
    team = policy.team(team_name)
    window = team.exclusive_window if team else DEFAULT_EXCLUSIVE_WINDOW
    hours = policy.agent_hours(agent, team_name)
    exclusive_until = add_business_time(now, window, hours)
    team_until = add_business_time(exclusive_until, team.team_window, team.hours) if team else exclusive_until
    return exclusive_until, team_until, f"they have it alone until {when(exclusive_until, hours)} ({span(window)})"


def _ladder(
    route: _Route, policy: Policy, now: datetime, confidential: bool, reasons: list[Reason]
) -> tuple[Rung, ...]:
    """Rungs from now: personal, then team, then everyone with supervisors alerted."""
    team = policy.team(route.team)
    hours: BusinessHours | None = team.hours if team else policy.hours
    supervisors = policy.supervisors(route.team)
    who, names = policy.supervisor_phrase(route.team)
    end: datetime = route.team_until  # type: ignore[assignment] # every route that reaches a ladder has a team window
    end_text = when(end, hours)
    if confidential and team is not None:
        last = Rung(end, TEAM, supervisors, (), f"From {end_text}, it stays with team {team.name} and {names} alerted.")
    else:
        last = Rung(end, EVERYONE, supervisors, (), f"From {end_text}, everyone sees it and {names} alerted.")
    if route.target == AGENT_TARGET:
        agent: str = route.agent  # type: ignore[assignment] # an AGENT_TARGET route names its agent
        first = Rung(now, PERSONAL, (agent,), (), f"Only {agent} sees it and is alerted.")
        if team is not None:
            exclusive_until: datetime = route.exclusive_until  # type: ignore[assignment] # set for AGENT_TARGET routes
            middle = Rung(
                exclusive_until,
                TEAM,
                (),
                (team.name,),
                f"From {when(exclusive_until, hours)}, team {team.name} sees it and is alerted.",
            )
            rungs: tuple[Rung, ...] = (first, middle, last)
        else:
            rungs = (first, last)
    elif route.target == TEAM_TARGET:
        rungs = (Rung(now, TEAM, (), (team.name,), f"Team {team.name} sees it and is alerted."), last)  # type: ignore[union-attr] # a TEAM_TARGET route has its team
    else:
        rungs = (
            Rung(
                now, EVERYONE, (), (), "Every agent sees it and can claim it (nobody is alerted for a first contact)."
            ),
            last,
        )
    later = "; ".join(["f" + rung.text[1:-1] for rung in rungs[1:]])
    reasons.append(Reason("ladder", f"If nobody answers: {later}.", {"until": end_text, "supervisors": who}))
    return rungs


def _automated_route(route: _Route, facts: RoutingFacts, policy: Policy, reasons: list[Reason]) -> _Route:
    """Automated mail takes the low lane: its team's Automated queue. Mail routed to everyone goes instead to
    the team owning the address it was sent to; with none, it waits in the lane of mail no team owns."""
    message = facts.message
    if route.target == EVERYONE_TARGET:
        team = next((t for t in map(policy.team_for_address, message.recipients) if t is not None), None)
        if team is not None:
            route = _Route(route.route, TEAM_TARGET, team=team.name, team_until=route.team_until)
    where = (
        f"the Automated queue of team {route.team}"
        if route.team
        else "the \u201cAutomated: no team\u201d queue that supervisors see"
    )
    first = f"{route.agent}'s exclusive window, then " if route.target == AGENT_TARGET else ""
    reasons.append(
        Reason(
            "automated",
            f"Mail from {message.sender} is automated: it goes to {first}{where}. It alerts nobody, gets no "
            "auto-acknowledgement, never becomes visible to everyone and never alerts supervisors; it must still be "
            "worked out (one key disposes of a whole Automated queue, with a reason).",
            {"sender": message.sender, "team": route.team or ""},
        )
    )
    return route


def _automated_ladder(route: _Route, policy: Policy, now: datetime, reasons: list[Reason]) -> tuple[Rung, ...]:
    """The low lane's rungs: at most personal then team, nobody alerted, never everyone, never supervisors."""
    team = policy.team(route.team)
    if route.target == AGENT_TARGET:
        first = Rung(now, PERSONAL, (), (), f"Only {route.agent} sees it (automated mail: nobody is alerted).")
        if team is None:
            rungs: tuple[Rung, ...] = (first,)
        else:
            hours = team.hours
            window_end = route.exclusive_until
            if window_end is None:
                raise ValueError("a route to one agent always has the end of its exclusive window")
            rungs = (
                first,
                Rung(
                    window_end,
                    TEAM,
                    (),
                    (),
                    f"From {when(window_end, hours)}, it waits in the Automated queue "
                    f"of team {team.name}; nobody is alerted.",
                ),
            )
    elif team is not None:
        rungs = (Rung(now, TEAM, (), (), f"Team {team.name} sees it in its Automated queue; nobody is alerted."),)
    else:
        rungs = (
            Rung(now, EVERYONE, (), (), "It waits in the \u201cAutomated: no team\u201d queue; nobody is alerted."),
        )
    reasons.append(
        Reason(
            "ladder",
            "If nobody answers: it stays in the Automated queue; it never escalates to "
            "everyone and never alerts supervisors.",
            {"until": "", "supervisors": ""},
        )
    )
    return rungs


def _rule_flags(matched: tuple[Rule, ...], message: MessageFacts, reasons: list[Reason]) -> tuple[bool, str | None]:
    """Confidential and priority flags of every matching rule combine; the first priority wins."""
    confidential = False
    priority: str | None = None
    for rule in matched:
        if rule.confidential and not confidential:
            confidential = True
            reasons.append(
                Reason(
                    "confidential",
                    f"Config rule \u201c{rule.name}\u201d marks it confidential: it never becomes visible to everyone.",
                    {"rule": rule.name},
                )
            )
        if rule.priority and priority is None:
            priority = rule.priority
            reasons.append(
                Reason(
                    "priority",
                    f"Config rule \u201c{rule.name}\u201d sets priority {rule.priority}.",
                    {"rule": rule.name, "priority": rule.priority},
                )
            )
    return confidential, priority


def _rating_phrase(ratings: tuple[Rating, ...], login: str) -> str:
    scores = [r for r in ratings if r.agent == login]
    if not scores:
        return "has never been rated by them (no rating counts as good)"
    latest = max(scores, key=lambda r: r.at)
    return f"was rated {latest.score}/5 by them on {day(latest.at)}"
