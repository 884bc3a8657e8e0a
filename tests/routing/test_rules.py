"""Config rules as data, automated-mail detection, policy checks and import purity."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from routing_world import AGENTS, NOW, TEAMS, make_policy

from routing import AgentInfo, Condition, MessageFacts, Rule, TeamPolicy, automation_signs, rule_from_mapping

MESSAGE = MessageFacts(
    "Bob@Vendor.test",
    NOW,
    "Bob",
    to=("Invoices@acme.test",),
    cc=("marie@acme.test", "ext@other.test"),
    subject="Invoice #42 overdue",
    body_excerpt="Please pay the attached invoice.",
    headers={"X-Mailer": "Billing 3000"},
)


@pytest.mark.parametrize(
    ("condition", "holds"),
    [
        pytest.param(Condition("to", "equals", "invoices@acme.test"), True, id="to-equals-case-insensitive"),
        pytest.param(Condition("cc", "contains", "@other."), True, id="cc-any-address"),
        pytest.param(Condition("recipients", "equals", "marie@acme.test"), True, id="recipients-covers-cc"),
        pytest.param(Condition("from", "in", ("bob@vendor.test", "x@y.test")), True, id="from-in"),
        pytest.param(Condition("subject", "matches", r"invoice #\d+"), True, id="subject-regex"),
        pytest.param(Condition("body", "contains", "PAY"), True, id="body-contains"),
        pytest.param(Condition("header:x-mailer", "contains", "billing"), True, id="header"),
        pytest.param(Condition("header:list-id", "contains", ""), False, id="missing-header-never-holds"),
        pytest.param(Condition("to", "equals", "sales@acme.test"), False, id="to-mismatch"),
        pytest.param(Condition("subject", "matches", r"^overdue"), False, id="regex-anchored"),
    ],
)
def test_condition(condition: Condition, holds: bool) -> None:
    assert condition.holds(MESSAGE) is holds


@pytest.mark.parametrize(
    ("rule", "matches"),
    [
        pytest.param(
            Rule(
                "r",
                all_of=(Condition("to", "contains", "invoices@"), Condition("subject", "contains", "invoice")),
                team="purchasing",
            ),
            True,
            id="all-hold",
        ),
        pytest.param(
            Rule(
                "r",
                all_of=(Condition("to", "contains", "invoices@"), Condition("subject", "contains", "quote")),
                team="purchasing",
            ),
            False,
            id="one-of-all-fails",
        ),
        pytest.param(
            Rule(
                "r",
                any_of=(Condition("subject", "contains", "quote"), Condition("body", "contains", "pay")),
                priority="high",
            ),
            True,
            id="any-one-holds",
        ),
        pytest.param(
            Rule(
                "r",
                all_of=(Condition("to", "contains", "invoices@"),),
                any_of=(Condition("subject", "contains", "quote"),),
                confidential=True,
            ),
            False,
            id="all-and-any",
        ),
    ],
)
def test_rule_matches(rule: Rule, matches: bool) -> None:
    assert rule.matches(MESSAGE) is matches


def test_rule_from_config_mapping() -> None:
    rule = rule_from_mapping(
        {
            "name": "invoices",
            "team": "purchasing",
            "confidential": True,
            "all": [{"field": "to", "op": "equals", "value": "invoices@acme.test"}],
            "any": [{"field": "header:X-Mailer", "op": "in", "value": ["Billing 3000", "SAP"]}],
        }
    )
    assert rule.matches(MESSAGE)
    assert rule.any_of[0].field == "header:x-mailer"
    assert "to equals \u201cinvoices@acme.test\u201d" in rule.describe_match(MESSAGE)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        pytest.param(lambda: Condition("size", "equals", "1"), "unknown condition field", id="bad-field"),
        pytest.param(lambda: Condition("to", "like", "x"), "unknown condition op", id="bad-op"),
        pytest.param(lambda: Condition("to", "in", "x"), "needs a list", id="in-needs-list"),
        pytest.param(lambda: Condition("subject", "matches", "("), "invalid regular expression", id="bad-regex"),
        pytest.param(lambda: Rule("r", team="sales"), "no condition", id="no-condition"),
        pytest.param(lambda: Rule("r", all_of=(Condition("to", "equals", "x"),)), "no action", id="no-action"),
        pytest.param(
            lambda: Rule("r", all_of=(Condition("to", "equals", "x"),), priority="urgent"),
            "priority",
            id="bad-priority",
        ),
        pytest.param(lambda: make_policy(front_pool="nobody"), "front_pool", id="unknown-front-pool"),
        pytest.param(
            lambda: make_policy(rules=(Rule("r", all_of=(Condition("to", "equals", "x"),), team="hr"),)),
            "unknown team",
            id="rule-unknown-team",
        ),
        pytest.param(
            lambda: make_policy(agents=(*AGENTS, AgentInfo("x", teams=("hr",)))),
            "unknown team",
            id="agent-unknown-team",
        ),
        pytest.param(
            lambda: make_policy(teams=(*TEAMS, TeamPolicy("hr", members=("ghost",)))),
            "unknown member",
            id="team-unknown-member",
        ),
        pytest.param(lambda: make_policy(agents=(*AGENTS, AGENTS[0])), "unique", id="duplicate-login"),
        pytest.param(lambda: AgentInfo("x", presence="busy"), "presence", id="bad-presence"),
    ],
)
def test_bad_configuration_is_refused(build: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build()  # type: ignore[operator]


@pytest.mark.parametrize(
    ("sender", "headers", "codes"),
    [
        pytest.param("ada@client.test", {}, [], id="person"),
        pytest.param("ada@client.test", {"Auto-Submitted": "auto-replied"}, ["automated_header"], id="auto-replied"),
        pytest.param("ada@client.test", {"auto-submitted": "No"}, [], id="auto-submitted-no"),
        pytest.param("ada@client.test", {"Precedence": "junk"}, ["bulk_precedence"], id="precedence-junk"),
        pytest.param("ada@client.test", {"Precedence": "first-class"}, [], id="precedence-other"),
        pytest.param(
            "news@vendor.test",
            {"List-Id": "News <news.vendor.test>", "Precedence": "list"},
            ["bulk_precedence", "mailing_list"],
            id="list",
        ),
        pytest.param("postmaster@client.test", {}, ["robot_sender"], id="postmaster"),
        pytest.param("noreply-alerts@bank.test", {}, ["robot_sender"], id="noreply-prefix"),
        pytest.param("do-not-reply+123@shop.test", {}, ["robot_sender"], id="do-not-reply-plus-tag"),
        pytest.param("replyno@shop.test", {}, [], id="not-a-robot-name"),
    ],
)
def test_automation_signs(sender: str, headers: dict[str, str], codes: list[str]) -> None:
    signs = automation_signs(MessageFacts(sender, NOW, headers=headers))
    assert [s.code for s in signs] == codes


def test_presence_lapses_at_presence_until() -> None:
    agent = AgentInfo("x", presence="away", presence_until=NOW + timedelta(hours=1))
    assert agent.presence_at(NOW) == "away"
    assert agent.presence_at(NOW + timedelta(hours=1)) == "available"


def test_policy_lookups() -> None:
    policy = make_policy()
    assert policy.members("sales") == ("marie", "pierre", "sue")
    assert policy.supervisors("support") == ("sue", "olga")
    assert policy.team_for_address("sales+x@acme.test").name == "sales"  # type: ignore[union-attr]
    assert policy.is_our_address("invoices@acme.test")
    assert not policy.is_our_address("ada@client.test")


def test_routing_imports_only_the_standard_library() -> None:
    root = Path(__file__).resolve().parents[2]
    script = (
        "import sys, sysconfig; before = set(sys.modules); import routing; "
        "stdlib = sysconfig.get_paths()['stdlib']; "
        "files = [getattr(sys.modules[m], '__file__', None) or '' for m in set(sys.modules) - before]; "
        "print(sorted(f for f in files if f and 'site-packages' in f or f and not f.startswith(stdlib) "
        "and '/routing/' not in f))"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_now_must_be_aware() -> None:
    from routing import ConversationState, escalate

    with pytest.raises(ValueError):
        escalate(ConversationState("c", None, None, "team"), make_policy(), datetime(2024, 1, 1))
