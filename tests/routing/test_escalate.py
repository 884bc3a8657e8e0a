"""Truth table for `escalate` and `on_vacation`: windows, warnings, snoozes, vacations."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import pytest
from routing_world import NOW, make_policy, paris

from routing import AgentInfo, ConversationState, Policy, Step, escalate, next_step_at, on_vacation

POLICY = make_policy()
EXCLUSIVE_UNTIL = paris(2024, 3, 12, 12, 30)
TEAM_UNTIL = paris(2024, 3, 12, 16, 30)


def conversation(**changes: object) -> ConversationState:
    """Marie's exclusive conversation in sales, with an inbound message not yet worked out."""
    base = ConversationState("c1", "sales", "marie", "personal", EXCLUSIVE_UNTIL, TEAM_UNTIL)
    return replace(base, **changes)  # type: ignore[arg-type]


def summary(steps: tuple[Step, ...]) -> list[tuple[object, ...]]:
    return [
        (s.kind, s.visibility, s.release_owner, s.state, s.alert_agents, s.alert_teams, s.warning_key) for s in steps
    ]


@dataclass(frozen=True)
class Case:
    id: str
    state: ConversationState
    now: datetime
    expect: list[tuple[object, ...]]
    policy: Policy = POLICY


CASES = [
    Case("exclusive-window-running-nothing-to-do", conversation(), NOW, []),
    Case(
        "warn-owner-before-exclusive-window-closes",
        conversation(),
        EXCLUSIVE_UNTIL - timedelta(minutes=10),
        [("warn", None, False, None, ("marie",), (), "exclusive")],
    ),
    Case(
        "warning-is-given-once",
        conversation(warnings_sent=frozenset({"exclusive"})),
        EXCLUSIVE_UNTIL - timedelta(minutes=10),
        [],
    ),
    Case(
        "warn-before-is-configurable",
        conversation(),
        EXCLUSIVE_UNTIL - timedelta(minutes=25),
        [("warn", None, False, None, ("marie",), (), "exclusive")],
        policy=make_policy(warn_before=timedelta(minutes=30)),
    ),
    Case(
        "exclusive-over-goes-to-team-and-releases-owner",
        conversation(),
        EXCLUSIVE_UNTIL,
        [("to_team", "team", True, None, (), ("sales",), None)],
    ),
    # Window closing goes only to whoever holds the conversation: an unclaimed one warns nobody (the
    # step is still recorded, once), a claimed one warns its owner, never the whole team.
    Case(
        "warn-team-before-team-window-closes-alerts-nobody",
        conversation(visibility="team", owner=None),
        TEAM_UNTIL - timedelta(minutes=5),
        [("warn", None, False, None, (), (), "team")],
    ),
    Case(
        "warn-team-window-alerts-only-the-owner",
        conversation(visibility="team", owner="ann"),
        TEAM_UNTIL - timedelta(minutes=5),
        [("warn", None, False, None, ("ann",), (), "team")],
    ),
    Case(
        "team-warning-once",
        conversation(visibility="team", warnings_sent=frozenset({"team"})),
        TEAM_UNTIL - timedelta(minutes=5),
        [],
    ),
    Case(
        "team-over-goes-to-everyone-with-supervisors",
        conversation(visibility="team", owner=None),
        TEAM_UNTIL,
        [("to_everyone", "everyone", False, None, ("sue",), (), "supervisors")],
    ),
    Case(
        "both-windows-over-after-downtime",
        conversation(),
        TEAM_UNTIL + timedelta(hours=1),
        [
            ("to_team", "team", True, None, (), ("sales",), None),
            ("to_everyone", "everyone", False, None, ("sue",), (), "supervisors"),
        ],
    ),
    Case(
        "confidential-stays-with-team-supervisors-alerted",
        conversation(team="purchasing", visibility="team", owner=None, confidential=True),
        TEAM_UNTIL,
        [("alert_supervisors", None, False, None, ("olga",), (), "supervisors")],
    ),
    Case(
        "everyone-unclaimed-alerts-supervisors-once",
        conversation(team=None, owner=None, visibility="everyone", exclusive_until=None),
        TEAM_UNTIL,
        [("alert_supervisors", None, False, None, ("sue", "olga"), (), "supervisors")],
    ),
    Case(
        "supervisors-already-alerted",
        conversation(visibility="everyone", warnings_sent=frozenset({"supervisors"})),
        TEAM_UNTIL,
        [],
    ),
    Case(
        "owner-on-vacation-skips-to-team-at-once",
        conversation(owner="lea", team="support"),
        NOW,
        [("to_team", "team", True, None, (), ("support",), None)],
    ),
    Case(
        "owner-away-without-team-skips-to-everyone",
        conversation(owner="lea", team=None, team_until=EXCLUSIVE_UNTIL),
        NOW,
        [("to_everyone", "everyone", True, None, ("sue", "olga"), (), "supervisors")],
    ),
    Case(
        "snooze-passed-reopens-and-alerts-owner",
        conversation(state="snoozed", snoozed_until=NOW),
        NOW,
        [("unsnooze", None, False, "open", ("marie",), (), None)],
    ),
    Case(
        "snooze-passed-without-owner-alerts-team",
        conversation(state="snoozed", owner=None, snoozed_until=NOW - timedelta(hours=1)),
        NOW,
        [("unsnooze", None, False, "open", (), ("sales",), None)],
    ),
    Case(
        "snooze-not-yet-over",
        conversation(state="snoozed", snoozed_until=NOW + timedelta(hours=1)),
        TEAM_UNTIL - timedelta(days=1),
        [],
    ),
    Case(
        "snoozed-does-not-escalate",
        conversation(state="snoozed", snoozed_until=TEAM_UNTIL + timedelta(days=1)),
        TEAM_UNTIL,
        [],
    ),
    Case("done-does-nothing", conversation(state="done"), TEAM_UNTIL + timedelta(days=1), []),
    Case("nothing-pending-does-nothing", conversation(has_pending_inbound=False), TEAM_UNTIL + timedelta(days=1), []),
    Case(
        "waiting-with-new-inbound-escalates",
        conversation(state="waiting"),
        EXCLUSIVE_UNTIL,
        [("to_team", "team", True, None, (), ("sales",), None)],
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_escalate(case: Case) -> None:
    steps = escalate(case.state, case.policy, case.now)
    assert summary(steps) == case.expect, [s.reason.text for s in steps]
    for step in steps:
        assert step.conversation_id == case.state.id
        assert step.reason.text[0].isupper() and step.reason.text.endswith(".")
        assert case.state.id in step.reason.text


def test_vacation_skip_reason_says_why() -> None:
    (step,) = escalate(conversation(owner="lea", team="support"), POLICY, NOW)
    assert "Léa Martin is on vacation" in step.reason.text


def test_applying_steps_converges() -> None:
    """Feeding each tick's steps back in walks the whole ladder once, then stays quiet."""
    state = conversation()
    kinds = []
    for minute in range(0, 8 * 60, 5):
        now = NOW + timedelta(minutes=minute)
        for step in escalate(state, POLICY, now):
            kinds.append(step.kind)
            state = replace(
                state,
                visibility=step.visibility or state.visibility,
                owner=None if step.release_owner else state.owner,
                warnings_sent=state.warnings_sent | ({step.warning_key} if step.warning_key else set()),
            )
    assert kinds == ["warn", "to_team", "warn", "to_everyone"]


def test_on_vacation_returns_open_conversations_to_their_teams() -> None:
    lea = POLICY.agent("lea")
    assert lea is not None
    conversations = (
        conversation(id="a", owner="lea", team="support"),
        conversation(id="b", owner="lea", team="support", visibility="team", state="waiting"),
        conversation(id="c", owner="lea", team="support", state="done"),
        conversation(id="d", owner="marie", team="sales"),
        conversation(id="e", owner="lea", team=None),
    )
    steps = on_vacation(lea, conversations, POLICY, NOW)
    assert [(s.conversation_id, s.kind, s.visibility, s.release_owner, s.alert_teams) for s in steps] == [
        ("a", "return_to_team", "team", True, ("support",)),
        ("b", "return_to_team", "team", True, ("support",)),
        ("e", "return_to_team", "everyone", True, ()),
    ]
    assert steps[2].alert_agents == POLICY.logins()
    assert all("Léa Martin is on vacation" in s.reason.text for s in steps)


def test_on_vacation_for_an_agent_still_present_says_vacation() -> None:
    marie = AgentInfo("marie", "Marie Curie", teams=("sales",))
    (step,) = on_vacation(marie, (conversation(),), POLICY, NOW)
    assert "on vacation" in step.reason.text


MINUTE_GRID = [NOW - timedelta(days=1) + timedelta(minutes=5 * n) for n in range(12 * 24 * 3)]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_next_step_at_never_misses_a_step(case: Case) -> None:
    """Before next_step_at, escalate returns nothing at any moment; so a pass may skip the conversation until then."""
    asked_at = min(case.now, NOW)
    due = next_step_at(case.state, case.policy, asked_at)
    for moment in MINUTE_GRID:
        if moment >= asked_at and (due is None or moment < due):
            assert escalate(case.state, case.policy, moment) == (), (moment, due)


def test_walking_the_ladder_by_next_step_at_gives_every_step_at_its_moment() -> None:
    """Jumping from one next_step_at to the next gives the same steps as ticking every 5 minutes."""
    state, now, seen = conversation(), NOW, []
    while (due := next_step_at(state, POLICY, now)) is not None:
        assert escalate(state, POLICY, due - timedelta(seconds=1)) == () or due <= now
        now = max(due, now)
        for step in escalate(state, POLICY, now):
            seen.append((step.kind, now))
            state = replace(
                state,
                visibility=step.visibility or state.visibility,
                owner=None if step.release_owner else state.owner,
                warnings_sent=state.warnings_sent | ({step.warning_key} if step.warning_key else set()),
            )
    warn = POLICY.warn_before
    assert seen == [
        ("warn", EXCLUSIVE_UNTIL - warn),
        ("to_team", EXCLUSIVE_UNTIL),
        ("warn", TEAM_UNTIL - warn),
        ("to_everyone", TEAM_UNTIL),
    ]


def test_next_step_at_for_an_absent_owner_is_now_and_for_a_snooze_its_end() -> None:
    assert next_step_at(conversation(owner="lea", team="support"), POLICY, NOW) == NOW
    until = NOW + timedelta(hours=3)
    assert next_step_at(conversation(state="snoozed", snoozed_until=until), POLICY, NOW) == until
    assert next_step_at(conversation(has_pending_inbound=False), POLICY, NOW) is None
    assert next_step_at(conversation(state="done"), POLICY, NOW) is None


def test_window_closing_warnings_are_whole_sentences() -> None:
    (team_warning,) = escalate(conversation(visibility="team", owner=None), POLICY, TEAM_UNTIL - timedelta(minutes=5))
    assert team_warning.reason.text == (
        "Conversation c1 is still unanswered: team sales has until Tue 12 Mar 16:30 Europe/Paris; "
        "then every agent sees it and supervisors are alerted."
    )
    (exclusive_warning,) = escalate(conversation(), POLICY, EXCLUSIVE_UNTIL - timedelta(minutes=10))
    assert exclusive_warning.reason.text == (
        "Conversation c1 is still unanswered: marie has until Tue 12 Mar 12:30 Europe/Paris; then team sales sees it."
    )
    (confidential_warning,) = escalate(
        conversation(visibility="team", owner=None, confidential=True), POLICY, TEAM_UNTIL - timedelta(minutes=5)
    )
    assert confidential_warning.reason.text.endswith("; then supervisors are alerted.")
    for step in (team_warning, exclusive_warning, confidential_warning):
        assert "will see it" not in step.reason.text
