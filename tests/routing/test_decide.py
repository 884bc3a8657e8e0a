"""Truth table for `decide`: every routing rule, their order, and the flags that combine."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import pytest
from routing_world import AGENTS, NOW, make_policy, paris

from routing import (
    AgentInfo,
    Condition,
    ContactHistory,
    Decision,
    EarlierConversation,
    MessageFacts,
    Policy,
    Rating,
    RoutingFacts,
    Rule,
    ThreadFacts,
    decide,
)

LAST_YEAR = datetime(2023, 6, 1, 10, tzinfo=UTC)
POLICY = make_policy()
DUO = AgentInfo("duo", "Duo Deux", ("duo@acme.test",), ("sales", "support"))
TWO_TEAM_POLICY = make_policy(agents=(*AGENTS, DUO))


def mail(to: str = "sales@acme.test", sender: str = "ada@client.test", **fields: object) -> MessageFacts:
    values: dict[str, object] = {
        "sender_name": "Ada Lovelace",
        "to": (to,),
        "subject": "Hello",
        "body_excerpt": "Could you help me?",
    }
    values.update(fields)
    return MessageFacts(sender, NOW, **values)  # type: ignore[arg-type]


def contact(
    audiences: tuple[str, ...] = (),
    handled: tuple[tuple[str, str], ...] = (),
    ratings: tuple[tuple[str, int], ...] = (),
) -> ContactHistory:
    """History of ada@client.test: (team, agent) pairs handled, newest first, and (agent, score) ratings."""
    conversations = tuple(
        EarlierConversation(team, agent, LAST_YEAR - timedelta(days=30 * n)) for n, (team, agent) in enumerate(handled)
    )
    return ContactHistory(
        "ada@client.test", audiences, conversations, tuple(Rating(agent, score, LAST_YEAR) for agent, score in ratings)
    )


@dataclass(frozen=True)
class Case:
    id: str
    facts: RoutingFacts
    expect: dict[str, object]
    codes: frozenset[str] = frozenset()
    policy: Policy = POLICY
    now: datetime = NOW
    mentions: tuple[str, ...] = field(default=())


CASES = [
    Case(
        "config-rule-beats-reply-and-personal-address",
        RoutingFacts(mail("invoices@acme.test", cc=("marie@acme.test",)), ThreadFacts("c1", "marie", "sales")),
        {
            "route": "config_rule",
            "target": "team",
            "team": "purchasing",
            "agent": None,
            "visibility": "team",
            "confidential": True,
            "exclusive_until": None,
        },
        frozenset({"config_rule", "confidential"}),
        mentions=("invoices", "purchasing"),
    ),
    Case(
        "config-rule-names-an-agent-at-work",
        RoutingFacts(mail(sender="ceo@bigco.test")),
        {
            "route": "config_rule",
            "target": "agent",
            "agent": "pierre",
            "team": "sales",
            "visibility": "personal",
            "exclusive_until": paris(2024, 3, 12, 12, 30),
        },
        frozenset({"config_rule"}),
        policy=make_policy(
            rules=(Rule("vip", all_of=(Condition("from", "equals", "CEO@bigco.test"),), agent="pierre"),)
        ),
    ),
    Case(
        "config-rule-agent-on-vacation-goes-to-team",
        RoutingFacts(mail(sender="ceo@bigco.test")),
        {"route": "config_rule", "target": "team", "team": "support", "agent": None},
        frozenset({"config_rule"}),
        mentions=("on vacation",),
        policy=make_policy(rules=(Rule("vip", all_of=(Condition("from", "equals", "ceo@bigco.test"),), agent="lea"),)),
    ),
    Case(
        "flag-only-rule-sets-priority-but-does-not-route",
        RoutingFacts(mail(subject="URGENT: order stuck")),
        {"route": "first_contact", "priority": "high", "target": "everyone"},
        frozenset({"priority", "first_contact"}),
    ),
    Case(
        "reply-stays-with-owner-at-work",
        RoutingFacts(mail(), ThreadFacts("c1", "marie", "sales")),
        {
            "route": "reply_owner",
            "target": "agent",
            "agent": "marie",
            "team": "sales",
            "visibility": "personal",
            "exclusive_until": paris(2024, 3, 12, 12, 30),
            "team_until": paris(2024, 3, 12, 16, 30),
        },
        frozenset({"reply_owner", "ladder"}),
        mentions=("Marie Curie", "c1"),
    ),
    Case(
        "reply-owner-on-vacation-goes-to-team",
        RoutingFacts(mail(), ThreadFacts("c2", "lea", "support")),
        {
            "route": "reply_team",
            "target": "team",
            "team": "support",
            "agent": None,
            "visibility": "team",
            "team_until": paris(2024, 3, 12, 14, 30),
        },
        frozenset({"reply_team"}),
        mentions=("on vacation", "Léa Martin"),
    ),
    Case(
        "reply-owner-outside-own-schedule-goes-to-team",
        RoutingFacts(mail(), ThreadFacts("c3", "night", "support")),
        {"route": "reply_team", "team": "support"},
        frozenset({"reply_team"}),
        mentions=("outside working hours",),
    ),
    Case(
        "reply-without-owner-goes-to-its-team",
        RoutingFacts(mail(), ThreadFacts("c4", None, "sales")),
        {"route": "reply_team", "team": "sales"},
        frozenset({"reply_team"}),
    ),
    Case(
        "reply-owner-presence-lapsed-is-back-at-work",
        RoutingFacts(mail(), ThreadFacts("c2", "lea", "support")),
        {"route": "reply_owner", "agent": "lea"},
        frozenset({"reply_owner"}),
        now=NOW + timedelta(days=8),
    ),
    Case(
        "personal-address",
        RoutingFacts(mail("Marie@ACME.test")),
        {
            "route": "personal",
            "target": "agent",
            "agent": "marie",
            "team": "sales",
            "visibility": "personal",
            "exclusive_until": paris(2024, 3, 12, 12, 30),
        },
        frozenset({"personal", "ladder"}),
        mentions=("Marie Curie", "marie@acme.test", "2 business hours"),
    ),
    Case(
        "personal-address-in-cc",
        RoutingFacts(mail("someone@client.test", cc=("pierre@acme.test",))),
        {"route": "personal", "agent": "pierre"},
        frozenset({"personal"}),
    ),
    Case(
        "plus-tag-on-team-address",
        RoutingFacts(mail("support+sam@acme.test")),
        {"route": "personal", "agent": "sam", "team": "support"},
        frozenset({"personal"}),
        mentions=("plus tag",),
    ),
    Case(
        "personal-late-afternoon-window-runs-into-next-morning",
        RoutingFacts(mail("marie@acme.test")),
        {"route": "personal", "exclusive_until": paris(2024, 3, 13, 10), "team_until": paris(2024, 3, 13, 14)},
        frozenset({"personal"}),
        now=paris(2024, 3, 12, 17),
    ),
    Case(
        "personal-but-agent-on-vacation-goes-to-their-team",
        RoutingFacts(mail("lea@acme.test")),
        {"route": "personal", "target": "team", "team": "support", "agent": None, "visibility": "team"},
        frozenset({"personal_absent"}),
        mentions=("on vacation", "their team support takes it"),
    ),
    Case(
        "personal-on-vacation-then-known-audience",
        RoutingFacts(mail("lea@acme.test"), contact=contact(("pro",))),
        {"route": "audience_team", "team": "support"},
        frozenset({"personal_absent", "audience", "audience_team"}),
    ),
    Case(
        "personal-address-outside-hours-goes-to-their-team",
        RoutingFacts(mail("marie@acme.test")),
        {"route": "personal", "target": "team", "team": "sales"},
        frozenset({"personal_absent"}),
        now=paris(2024, 3, 9, 11),
        mentions=("outside working hours",),
    ),
    Case(
        "personal-address-team-rung-is-the-audience-team",
        RoutingFacts(mail("marie@acme.test"), contact=contact(("pro",))),
        {"route": "personal", "target": "agent", "agent": "marie", "team": "support", "visibility": "personal"},
        frozenset({"personal", "audience", "personal_team"}),
        mentions=("served by team support",),
    ),
    Case(
        "personal-address-team-rung-follows-earlier-conversations",
        RoutingFacts(mail("marie@acme.test"), contact=contact(handled=(("support", "sam"),))),
        {"route": "personal", "agent": "marie", "team": "support"},
        frozenset({"personal", "personal_team"}),
    ),
    Case(
        "personal-address-two-teams-team-rung-is-the-audience-team-not-the-first",
        RoutingFacts(mail("duo@acme.test"), contact=contact(("pro",))),
        {"route": "personal", "agent": "duo", "team": "support"},
        frozenset({"personal", "personal_team"}),
        policy=TWO_TEAM_POLICY,
    ),
    Case(
        "personal-address-two-teams-no-audience-is-the-first-team",
        RoutingFacts(mail("duo@acme.test")),
        {"route": "personal", "agent": "duo", "team": "sales"},
        frozenset({"personal"}),
        policy=TWO_TEAM_POLICY,
    ),
    Case(
        "personal-two-teams-agent-on-vacation-goes-to-the-audience-team",
        RoutingFacts(mail("duo@acme.test"), contact=contact(("pro",))),
        {"route": "audience_team", "target": "team", "team": "support"},
        frozenset({"personal_absent", "audience", "audience_team"}),
        policy=make_policy(agents=(*AGENTS, replace(DUO, presence="vacation", presence_until=NOW + timedelta(days=7)))),
    ),
    Case(
        "plus-tag-keeps-the-team-of-the-address-over-the-audience",
        RoutingFacts(mail("support+sam@acme.test"), contact=contact(("retail",))),
        {"route": "personal", "agent": "sam", "team": "support"},
        frozenset({"personal"}),
    ),
    Case(
        "known-audience-previous-agent-well-rated",
        RoutingFacts(mail(), contact=contact(("retail",), (("sales", "pierre"),), (("pierre", 5),))),
        {
            "route": "audience_agent",
            "target": "agent",
            "agent": "pierre",
            "team": "sales",
            "exclusive_until": paris(2024, 3, 12, 12, 30),
        },
        frozenset({"audience", "previous_agent"}),
        mentions=("retail", "5/5"),
    ),
    Case(
        "known-audience-previous-agent-unrated-is-fine",
        RoutingFacts(mail(), contact=contact(("retail",), (("sales", "marie"),))),
        {"route": "audience_agent", "agent": "marie"},
        frozenset({"previous_agent"}),
        mentions=("never been rated",),
    ),
    Case(
        "badly-rated-pairing-is-never-repeated",
        RoutingFacts(mail(), contact=contact(("retail",), (("sales", "pierre"),), (("pierre", 2),))),
        {"route": "audience_team", "target": "team", "team": "sales", "agent": None},
        frozenset({"bad_rating", "audience_team"}),
        mentions=("never repeated", "2/5"),
    ),
    Case(
        "badly-rated-newest-agent-falls-back-to-earlier-good-one",
        RoutingFacts(
            mail(),
            contact=contact(("retail",), (("sales", "pierre"), ("sales", "marie")), (("pierre", 1), ("marie", 4))),
        ),
        {"route": "audience_agent", "agent": "marie"},
        frozenset({"bad_rating", "previous_agent"}),
    ),
    Case(
        "rating-threshold-is-configurable",
        RoutingFacts(mail(), contact=contact(("retail",), (("sales", "pierre"),), (("pierre", 3),))),
        {"route": "audience_team", "agent": None},
        frozenset({"bad_rating"}),
        policy=make_policy(rating_threshold=4),
    ),
    Case(
        "previous-agent-on-vacation-whole-team",
        RoutingFacts(mail(), contact=contact(("pro",), (("support", "lea"),))),
        {"route": "audience_team", "team": "support"},
        frozenset({"previous_agent_absent", "audience_team"}),
    ),
    Case(
        "audience-from-earlier-conversation",
        RoutingFacts(mail(), contact=contact((), (("support", "sam"),))),
        {"route": "audience_agent", "agent": "sam", "team": "support"},
        frozenset({"audience", "previous_agent"}),
    ),
    Case(
        "keyword-audience",
        RoutingFacts(mail(subject="Need a Quote for 40 chairs")),
        {"route": "audience_team", "target": "team", "team": "sales"},
        frozenset({"audience", "audience_team"}),
        mentions=("Quote",),
    ),
    Case(
        "keyword-in-body",
        RoutingFacts(mail(body_excerpt="The pump is broken again.")),
        {"route": "audience_team", "team": "support"},
        frozenset({"audience"}),
    ),
    Case(
        "keyword-is-a-whole-word",
        RoutingFacts(mail(subject="Unbroken streak")),
        {"route": "first_contact"},
        frozenset({"first_contact"}),
    ),
    Case(
        "first-contact-everyone",
        RoutingFacts(mail()),
        {
            "route": "first_contact",
            "target": "everyone",
            "visibility": "everyone",
            "team": None,
            "agent": None,
            "exclusive_until": None,
            "team_until": NOW + timedelta(hours=4),
            "auto_ack_allowed": True,
            "priority": "normal",
            "automated": False,
        },
        frozenset({"first_contact"}),
        mentions=("ada@client.test",),
    ),
    Case(
        "first-contact-front-pool-team",
        RoutingFacts(mail()),
        {"route": "first_contact", "target": "team", "team": "support", "visibility": "team"},
        frozenset({"first_contact"}),
        policy=make_policy(front_pool="support"),
    ),
    Case(
        "automated-auto-submitted-low-lane-no-ack",
        RoutingFacts(mail(headers={"Auto-Submitted": "auto-replied"})),
        {"route": "first_contact", "priority": "low", "automated": True, "auto_ack_allowed": False},
        frozenset({"automated_header", "automated"}),
        mentions=("auto-replied",),
    ),
    Case(
        "automated-still-routed-personally",
        RoutingFacts(mail("marie@acme.test", headers={"Precedence": "bulk"})),
        {"route": "personal", "agent": "marie", "priority": "low", "automated": True, "auto_ack_allowed": False},
        frozenset({"bulk_precedence", "personal"}),
    ),
    Case(
        "automated-list-id",
        RoutingFacts(mail(headers={"List-Id": "<news.vendor.test>"})),
        {"automated": True},
        frozenset({"mailing_list"}),
    ),
    Case(
        "automated-noreply-sender",
        RoutingFacts(mail(sender="no-reply@shop.test")),
        {"automated": True, "auto_ack_allowed": False},
        frozenset({"robot_sender"}),
    ),
    Case(
        "automated-mailer-daemon",
        RoutingFacts(mail(sender="MAILER-DAEMON@mx.client.test")),
        {"automated": True},
        frozenset({"robot_sender"}),
    ),
    Case(
        "auto-submitted-no-is-a-person",
        RoutingFacts(mail(headers={"Auto-Submitted": "no"})),
        {"automated": False, "auto_ack_allowed": True, "priority": "normal"},
    ),
    Case(
        "rule-priority-beats-automated-low",
        RoutingFacts(mail(subject="urgent: disk full", headers={"Auto-Submitted": "auto-generated"})),
        {"priority": "high", "automated": True, "auto_ack_allowed": False},
        frozenset({"priority", "automated"}),
    ),
    Case(
        "header-rule-in-op",
        RoutingFacts(mail(headers={"X-Priority": "1"})),
        {"priority": "high"},
        frozenset({"priority"}),
    ),
    Case(
        "own-team-address-sender-no-auto-ack",
        RoutingFacts(mail(sender="support@acme.test")),
        {"automated": False, "auto_ack_allowed": False},
        frozenset({"own_sender"}),
        mentions=("team support",),
    ),
    Case(
        "own-personal-address-sender-no-auto-ack",
        RoutingFacts(mail("sales@acme.test", sender="pierre+test@acme.test")),
        {"auto_ack_allowed": False},
        frozenset({"own_sender"}),
        mentions=("Pierre Curie",),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_decide(case: Case) -> None:
    decision = decide(case.facts, case.policy, case.now)
    actual = {name: getattr(decision, name) for name in case.expect}
    assert actual == case.expect, _explain(decision)
    codes = {reason.code for reason in decision.reasons}
    assert case.codes <= codes, _explain(decision)
    text = " ".join(reason.text for reason in decision.reasons)
    for needle in case.mentions:
        assert needle in text, _explain(decision)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_reasons_are_sentences_naming_their_inputs(case: Case) -> None:
    decision = decide(case.facts, case.policy, case.now)
    assert decision.reasons
    for reason in decision.reasons:
        assert reason.text[0].isupper() and reason.text.endswith("."), reason.text
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in reason.inputs.items())
        named = [v for k, v in reason.inputs.items() if v and k not in ("until", "earlier")]
        assert not named or any(v in reason.text for v in named), reason


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_times_are_utc_and_ladder_is_ordered(case: Case) -> None:
    decision = decide(case.facts, case.policy, case.now)
    for moment in (decision.exclusive_until, decision.team_until, *(rung.at for rung in decision.ladder)):
        assert moment is None or moment.utcoffset() == timedelta(0)
    assert decision.ladder[0].at == case.now
    assert decision.ladder[0].visibility == decision.visibility
    assert [r.at for r in decision.ladder] == sorted(r.at for r in decision.ladder)
    if decision.automated:
        # The low lane: nobody alerted on any rung, and never everyone while a team owns it.
        assert all(not r.alert_agents and not r.alert_teams for r in decision.ladder)
        assert decision.team is None or all(r.visibility != "everyone" for r in decision.ladder)
    else:
        assert decision.ladder[-1].at == decision.team_until
        assert decision.ladder[-1].alert_agents == case.policy.supervisors(decision.team)


def test_agent_ladder_is_personal_then_team_then_everyone_with_supervisors() -> None:
    decision = decide(RoutingFacts(mail("marie@acme.test")), POLICY, NOW)
    assert [(r.at, r.visibility, r.alert_agents, r.alert_teams) for r in decision.ladder] == [
        (NOW, "personal", ("marie",), ()),
        (paris(2024, 3, 12, 12, 30), "team", (), ("sales",)),
        (paris(2024, 3, 12, 16, 30), "everyone", ("sue",), ()),
    ]


def test_confidential_ladder_never_reaches_everyone() -> None:
    decision = decide(RoutingFacts(mail("invoices@acme.test")), POLICY, NOW)
    assert [(r.visibility, r.alert_agents, r.alert_teams) for r in decision.ladder] == [
        ("team", (), ("purchasing",)),
        ("team", ("olga",), ()),
    ]


def test_team_windows_come_from_team_policy() -> None:
    teams = tuple(
        replace(t, exclusive_window=timedelta(minutes=30), team_window=timedelta(hours=1)) if t.name == "sales" else t
        for t in POLICY.teams
    )
    decision = decide(RoutingFacts(mail("marie@acme.test")), make_policy(teams=teams), NOW)
    assert decision.exclusive_until == NOW + timedelta(minutes=30)
    assert decision.team_until == NOW + timedelta(minutes=90)
    assert "30 business minutes" in decision.reasons[0].text


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        decide(RoutingFacts(mail()), POLICY, datetime(2024, 3, 12, 10))


def _explain(decision: Decision) -> str:
    return "\n".join(f"{r.code}: {r.text}" for r in decision.reasons)


def test_an_earlier_conversation_nobody_owned_is_not_called_no_history() -> None:
    decision = decide(
        RoutingFacts(mail("someone@client.test"), contact=contact(handled=(("sales", None),))), POLICY, NOW
    )
    text = " ".join(reason.text for reason in decision.reasons)
    assert "had a conversation with team sales" in text
    assert "nobody in the team handled this sender before" not in text
    assert "nobody owned the sender's earlier conversations with it" in text
    assert all(not rung.text.startswith("Now:") for rung in decision.ladder)
