"""`escalate`: the next steps for a conversation nobody has answered yet, as time passes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from routing.hours import BusinessHours
from routing.outcome import EVERYONE, PERSONAL, TEAM, Reason
from routing.policy import AVAILABLE, VACATION, AgentInfo, Policy
from routing.wording import when

OPEN, WAITING, SNOOZED, DONE = "open", "waiting", "snoozed", "done"
# Keys of ConversationState.warnings_sent, so each warning or alert is given once.
EXCLUSIVE_WARNING, TEAM_WARNING, SUPERVISORS_ALERTED = "exclusive", "team", "supervisors"

WARN, TO_TEAM, TO_EVERYONE, ALERT_SUPERVISORS, UNSNOOZE, RETURN_TO_TEAM = (
    "warn",
    "to_team",
    "to_everyone",
    "alert_supervisors",
    "unsnooze",
    "return_to_team",
)


@dataclass(frozen=True)
class ConversationState:
    """What escalation needs to know about one conversation."""

    id: str
    team: str | None
    owner: str | None
    visibility: str
    exclusive_until: datetime | None = None
    team_until: datetime | None = None
    state: str = OPEN
    snoozed_until: datetime | None = None
    has_pending_inbound: bool = True
    """An inbound message is not yet worked out (replied to or marked "no action needed")."""
    warnings_sent: frozenset[str] = frozenset()
    """Warning keys already given: "exclusive", "team", "supervisors"."""
    confidential: bool = False
    automated: bool = False
    """Automated mail (routing.automation): the low lane, which never escalates past its team and alerts nobody."""

    def __post_init__(self) -> None:
        if self.state not in (OPEN, WAITING, SNOOZED, DONE):
            raise ValueError(f"conversation {self.id}: unknown state {self.state!r}")
        if self.visibility not in (PERSONAL, TEAM, EVERYONE):
            raise ValueError(f"conversation {self.id}: unknown visibility {self.visibility!r}")
        object.__setattr__(self, "warnings_sent", frozenset(self.warnings_sent))


@dataclass(frozen=True)
class Step:
    """One change for core to apply: new visibility/state, owner released or not, and who to alert."""

    kind: str
    conversation_id: str
    reason: Reason
    visibility: str | None = None
    """New visibility, or None to keep it."""
    release_owner: bool = False
    """Clear the owner so anyone who now sees the conversation can claim it."""
    state: str | None = None
    alert_agents: tuple[str, ...] = ()
    alert_teams: tuple[str, ...] = ()
    warning_key: str | None = None
    """Key to add to warnings_sent so this step is not repeated."""


def escalate(conversation: ConversationState, policy: Policy, now: datetime) -> tuple[Step, ...]:
    """Steps due at `now`, in the order core should apply them; empty when nothing is due."""
    if now.tzinfo is None:
        raise ValueError("escalate needs a timezone-aware `now`")
    if conversation.state == DONE:
        return ()
    if conversation.state == SNOOZED:
        return _unsnooze(conversation, policy, now)
    if not conversation.has_pending_inbound:
        return ()
    if conversation.automated:
        return _automated_lane(conversation, policy, now)
    steps: list[Step] = []
    visibility = conversation.visibility
    if visibility == PERSONAL:
        step = _end_exclusive(conversation, policy, now)
        if step is None:
            return _warn(conversation, policy, now, EXCLUSIVE_WARNING)
        steps.append(step)
        visibility = step.visibility or visibility
    alerted = any(step.warning_key == SUPERVISORS_ALERTED for step in steps)
    if conversation.team_until is not None and now >= conversation.team_until and not alerted:
        step = _end_team(conversation, policy, visibility)
        if step is not None:
            steps.append(step)
    elif visibility == TEAM and not steps:
        return _warn(conversation, policy, now, TEAM_WARNING)
    return tuple(steps)


def next_step_at(conversation: ConversationState, policy: Policy, now: datetime) -> datetime | None:
    """The first moment from `now` on at which `escalate` may return a step; None: never, unless the state changes.

    Core stores it in an indexed column, so an escalation pass reads only the conversations that are due.
    Before this moment `escalate` returns nothing; at it, it may still return nothing (the pass then
    asks again), so an early answer costs one look and a late one never happens.
    """
    if now.tzinfo is None:
        raise ValueError("next_step_at needs a timezone-aware `now`")
    if conversation.state == DONE:
        return None
    if conversation.state == SNOOZED:
        return conversation.snoozed_until
    if not conversation.has_pending_inbound:
        return None
    if conversation.automated and (conversation.visibility != PERSONAL or conversation.team is None):
        return None
    sent = conversation.warnings_sent
    if conversation.visibility == PERSONAL:
        owner = policy.agent(conversation.owner)
        if owner is None or owner.presence_at(now) != AVAILABLE:
            return now
        until = conversation.exclusive_until
        if until is None:
            return None
        # Automated mail gets no warning: its next moment is the window's end.
        return until - policy.warn_before if EXCLUSIVE_WARNING not in sent and not conversation.automated else until
    until = conversation.team_until
    if until is None or SUPERVISORS_ALERTED in sent:
        return None
    if conversation.visibility == TEAM and TEAM_WARNING not in sent:
        return until - policy.warn_before
    return until


def on_vacation(
    agent: AgentInfo, conversations: tuple[ConversationState, ...], policy: Policy, now: datetime
) -> tuple[Step, ...]:
    """Return each unfinished conversation the agent owns to its team, alerting the team."""
    absence = policy.absence(agent, now) or "on vacation"
    steps = []
    for conversation in conversations:
        if conversation.owner != agent.login or conversation.state == DONE:
            continue
        team = conversation.team
        visibility = conversation.visibility if conversation.visibility != PERSONAL else (TEAM if team else EVERYONE)
        alert_teams, alert_agents = ((team,), ()) if team else ((), policy.logins())
        where = f"team {team}" if team else "every agent"
        steps.append(
            Step(
                RETURN_TO_TEAM,
                conversation.id,
                Reason(
                    "owner_on_vacation",
                    f"{agent.label} is {absence}: conversation {conversation.id} goes back to {where}, "
                    "which is alerted and can claim it.",
                    {"conversation": conversation.id, "agent": agent.login, "team": team or ""},
                ),
                visibility=visibility,
                release_owner=True,
                alert_agents=alert_agents,
                alert_teams=alert_teams,
            )
        )
    return tuple(steps)


def _automated_lane(conversation: ConversationState, policy: Policy, now: datetime) -> tuple[Step, ...]:
    """Automated mail leaves a personal window for its team's Automated queue and goes no further:
    no warning, no alert, never everyone, never supervisors."""
    if conversation.visibility != PERSONAL or conversation.team is None:
        return ()
    if _end_exclusive(conversation, policy, now) is None:
        return ()
    team = conversation.team
    return (
        Step(
            TO_TEAM,
            conversation.id,
            Reason(
                "automated_lane",
                f"Conversation {conversation.id} is automated mail and its exclusive window is over: "
                f"it waits in the Automated queue of team {team}. Nobody is alerted; it never goes to everyone or "
                "to supervisors.",
                {"conversation": conversation.id, "team": team},
            ),
            visibility=TEAM,
            release_owner=True,
        ),
    )


def _end_exclusive(conversation: ConversationState, policy: Policy, now: datetime) -> Step | None:
    """The personal rung ends when its window passes or its agent is away or on vacation."""
    owner = policy.agent(conversation.owner)
    presence = owner.presence_at(now) if owner else AVAILABLE
    until = conversation.exclusive_until
    team = conversation.team
    inputs = {"conversation": conversation.id, "owner": conversation.owner or "", "team": team or ""}
    label = owner.label if owner else (conversation.owner or "nobody")
    if presence != AVAILABLE:
        why = f"{label} is {'on vacation' if presence == VACATION else 'away'}, so the exclusive window is skipped"
    elif until is not None and now >= until:
        why = f"{label} did not answer within the exclusive window, which closed at {when(until, _hours(policy, team))}"
    elif owner is None:
        why = f"the exclusive agent {label} is unknown"
    else:
        return None
    if team is None:
        return Step(
            TO_EVERYONE,
            conversation.id,
            Reason(
                "exclusive_over",
                f"Conversation {conversation.id}: {why}; it has no team, so every agent sees it "
                f"and supervisors are alerted.",
                inputs,
            ),
            visibility=EVERYONE,
            release_owner=True,
            alert_agents=policy.supervisors(None),
            warning_key=SUPERVISORS_ALERTED,
        )
    return Step(
        TO_TEAM,
        conversation.id,
        Reason(
            "exclusive_over",
            f"Conversation {conversation.id}: {why}; team {team} now sees it, is alerted, "
            "and anyone in it can claim it.",
            inputs,
        ),
        visibility=TEAM,
        release_owner=True,
        alert_teams=(team,),
    )


def _end_team(conversation: ConversationState, policy: Policy, visibility: str) -> Step | None:
    """When the team window passes: everyone sees it (team only if confidential) and supervisors hear."""
    if SUPERVISORS_ALERTED in conversation.warnings_sent:
        return None
    team = conversation.team
    supervisors = policy.supervisors(team)
    until = when(conversation.team_until, _hours(policy, team))  # type: ignore[arg-type] # the team rung exists only with a team window
    inputs = {"conversation": conversation.id, "team": team or "", "supervisors": ", ".join(supervisors)}
    keep = conversation.confidential and team is not None
    if visibility == EVERYONE or keep:
        seen = "it is confidential, so it stays with team " + team if keep else "every agent already sees it"  # type: ignore[operator] # keep implies a team
        return Step(
            ALERT_SUPERVISORS,
            conversation.id,
            Reason(
                "team_over",
                f"Conversation {conversation.id} is still unanswered at {until}; {seen}; supervisors are alerted.",
                inputs,
            ),
            alert_agents=supervisors,
            warning_key=SUPERVISORS_ALERTED,
        )
    where = f"team {team}" if team else "its team"
    return Step(
        TO_EVERYONE,
        conversation.id,
        Reason(
            "team_over",
            f"Conversation {conversation.id}: {where} did not answer by {until}; every agent now "
            "sees it and supervisors are alerted.",
            inputs,
        ),
        visibility=EVERYONE,
        alert_agents=supervisors,
        warning_key=SUPERVISORS_ALERTED,
    )


def _warn(conversation: ConversationState, policy: Policy, now: datetime, key: str) -> tuple[Step, ...]:
    """Warn once, `policy.warn_before` ahead of the current window's end."""
    until = conversation.exclusive_until if key == EXCLUSIVE_WARNING else conversation.team_until
    if until is None or key in conversation.warnings_sent or now < until - policy.warn_before:
        return ()
    team = conversation.team
    owner = conversation.owner
    # Only the agent holding the conversation is warned: a whole team told about every window that
    # closes learns to ignore its alerts, and the escalation that follows alerts the right people.
    agents: tuple[str, ...] = (owner,) if owner else ()
    if key == EXCLUSIVE_WARNING:
        who, after = owner or "the exclusive agent", f"team {team} sees it" if team else "every agent sees it"
    else:
        who = f"team {team}"
        after = (
            "supervisors are alerted"
            if conversation.confidential
            else "every agent sees it and supervisors are alerted"
        )
    deadline = when(until, _hours(policy, team))
    text = f"Conversation {conversation.id} is still unanswered: {who} has until {deadline}; then {after}."
    return (
        Step(
            WARN,
            conversation.id,
            Reason(f"{key}_closing", text, {"conversation": conversation.id, "until": deadline}),
            alert_agents=agents,
            warning_key=key,
        ),
    )


def _unsnooze(conversation: ConversationState, policy: Policy, now: datetime) -> tuple[Step, ...]:
    until = conversation.snoozed_until
    if until is None or now < until:
        return ()
    owner, team = conversation.owner, conversation.team
    agents, teams = ((owner,), ()) if owner else ((), ((team,) if team else ()))
    who = owner or (f"team {team}" if team else "its readers")
    text = f"Conversation {conversation.id} was snoozed until {when(until, _hours(policy, team))}: it is open again and {who} is alerted."
    return (
        Step(
            UNSNOOZE,
            conversation.id,
            Reason("snooze_over", text, {"conversation": conversation.id, "owner": owner or "", "team": team or ""}),
            state=OPEN,
            alert_agents=agents,
            alert_teams=teams,
        ),
    )


def _hours(policy: Policy, team: str | None) -> BusinessHours | None:
    found = policy.team(team)
    return found.hours if found else policy.hours
