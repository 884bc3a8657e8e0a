"""The low lane for automated mail: its team's Automated queue, nobody alerted, never everyone, never supervisors."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from routing_world import NOW, make_policy, paris

from routing import ConversationState, MessageFacts, RoutingFacts, decide, escalate, next_step_at

POLICY = make_policy()
EXCLUSIVE_UNTIL = paris(2024, 3, 12, 12, 30)
TEAM_UNTIL = paris(2024, 3, 12, 16, 30)
BOUNCE = {"Auto-Submitted": "auto-replied"}


def mail(to: str, sender: str = "news@vendor.test", **headers: str) -> MessageFacts:
    return MessageFacts(sender, NOW, to=(to,), subject="Newsletter", headers=headers or BOUNCE)


def test_first_contact_newsletter_goes_to_the_team_of_its_address_not_everyone() -> None:
    decision = decide(RoutingFacts(mail("support@acme.test")), POLICY, NOW)
    assert (decision.automated, decision.target, decision.team, decision.visibility) == (
        True,
        "team",
        "support",
        "team",
    )
    assert [(r.visibility, r.alert_agents, r.alert_teams) for r in decision.ladder] == [("team", (), ())]
    why = " ".join(r.text for r in decision.reasons)
    assert "the Automated queue of team support" in why
    assert "never becomes visible to everyone and never alerts supervisors" in why


def test_automated_mail_to_no_team_address_waits_in_the_no_team_lane() -> None:
    decision = decide(RoutingFacts(mail("someone@elsewhere.test")), POLICY, NOW)
    assert decision.team is None and decision.automated
    assert all(not r.alert_agents and not r.alert_teams for r in decision.ladder)
    assert "Automated: no team" in " ".join(r.text for r in decision.reasons)


def test_a_person_writing_to_the_same_address_still_escalates_to_everyone_with_supervisors() -> None:
    person = MessageFacts("ada@client.test", NOW, to=("support@acme.test",), subject="Help")
    decision = decide(RoutingFacts(person), POLICY, NOW)
    assert not decision.automated
    assert decision.ladder[-1].visibility == "everyone" and decision.ladder[-1].alert_agents


def test_personal_automated_mail_keeps_the_exclusive_window_then_the_team_lane_silently() -> None:
    decision = decide(RoutingFacts(mail("marie@acme.test")), POLICY, NOW)
    assert (decision.target, decision.agent, decision.team) == ("agent", "marie", "sales")
    assert [(r.visibility, r.alert_agents, r.alert_teams) for r in decision.ladder] == [
        ("personal", (), ()),
        ("team", (), ()),
    ]


def automated(**changes: object) -> ConversationState:
    base = ConversationState("c9", "support", None, "team", None, TEAM_UNTIL, automated=True)
    return replace(base, **changes)  # type: ignore[arg-type]


def test_team_window_passing_does_nothing_to_automated_mail() -> None:
    conv = automated()
    for moment in (TEAM_UNTIL - timedelta(minutes=10), TEAM_UNTIL, TEAM_UNTIL + timedelta(days=3)):
        assert escalate(conv, POLICY, moment) == ()
    assert next_step_at(conv, POLICY, NOW) is None


def test_the_same_conversation_not_automated_warns_then_goes_to_everyone() -> None:
    conv = automated(automated=False)
    assert escalate(conv, POLICY, TEAM_UNTIL)[0].visibility == "everyone"


def test_personal_automated_mail_moves_to_the_team_lane_without_alerts_when_the_window_ends() -> None:
    conv = ConversationState("c8", "sales", "marie", "personal", EXCLUSIVE_UNTIL, TEAM_UNTIL, automated=True)
    assert escalate(conv, POLICY, EXCLUSIVE_UNTIL - timedelta(minutes=10)) == ()  # no warning
    assert next_step_at(conv, POLICY, NOW) == EXCLUSIVE_UNTIL
    (step,) = escalate(conv, POLICY, EXCLUSIVE_UNTIL)
    assert (step.visibility, step.release_owner, step.alert_agents, step.alert_teams, step.warning_key) == (
        "team",
        True,
        (),
        (),
        None,
    )
    assert "Automated queue" in step.reason.text and "Nobody is alerted" in step.reason.text
    after = replace(conv, visibility="team", owner=None)
    assert escalate(after, POLICY, TEAM_UNTIL + timedelta(days=1)) == ()
    assert next_step_at(after, POLICY, EXCLUSIVE_UNTIL) is None


@settings(max_examples=200, deadline=None)
@given(
    visibility=st.sampled_from(["personal", "team", "everyone"]),
    team=st.sampled_from(["sales", "support", None]),
    owner=st.sampled_from(["marie", "lea", None]),
    confidential=st.booleans(),
    warned=st.sets(st.sampled_from(["exclusive", "team", "supervisors"])),
    minutes=st.integers(min_value=-600, max_value=60 * 24 * 10),
)
def test_automated_mail_never_reaches_everyone_or_supervisors(
    visibility, team, owner, confidential, warned, minutes
) -> None:
    conv = ConversationState(
        "c7",
        team,
        owner,
        visibility,
        EXCLUSIVE_UNTIL,
        TEAM_UNTIL,
        confidential=confidential,
        warnings_sent=frozenset(warned),
        automated=True,
    )
    for step in escalate(conv, POLICY, NOW + timedelta(minutes=minutes)):
        assert step.visibility != "everyone"
        assert not step.alert_agents and not step.alert_teams


@pytest.mark.parametrize("headers", [{"Precedence": "bulk"}, {"List-Id": "<news.vendor.test>"}, BOUNCE])
def test_every_automation_sign_takes_the_lane(headers) -> None:
    decision = decide(RoutingFacts(mail("sales@acme.test", **headers)), POLICY, NOW)
    assert decision.automated and decision.team == "sales"
    assert all(not r.alert_agents and not r.alert_teams for r in decision.ladder)
