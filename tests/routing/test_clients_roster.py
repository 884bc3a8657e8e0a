"""Clients' own addresses, informational addresses and on-duty rosters, as `decide` applies them."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from routing_world import AGENTS, NOW, TEAMS, make_policy, paris

from routing import (
    ClientInfo,
    MessageFacts,
    Roster,
    RoutingFacts,
    ThreadFacts,
    decide,
    parse_day_keys,
)

JOE = ClientInfo(
    "Joe LLC", ("joe-llc@acme.test", "leads@acme.test"), "support", owner="sam", informational=("leads@acme.test",)
)


def mail(to: str, sender: str = "boss@joe-llc.test") -> MessageFacts:
    return MessageFacts(sender, NOW, "Joe", (to,), (), "Order 12", "Where is it?")


def teams_with(roster: Roster | None, name: str = "support"):
    return tuple(replace(t, roster=roster) if t.name == name else t for t in TEAMS)


def codes(decision) -> list[str]:
    return [r.code for r in decision.reasons]


def test_client_address_goes_to_its_owner_first_then_its_team():
    d = decide(RoutingFacts(mail("joe-llc@acme.test")), make_policy(clients=(JOE,)), NOW)
    assert (d.route, d.target, d.agent, d.team, d.client) == ("client", "agent", "sam", "support", "Joe LLC")
    assert d.exclusive_until == paris(2024, 3, 12, 12, 30)
    assert "client Joe LLC" in d.reasons[0].text and not d.informational


def test_client_without_owner_at_work_goes_to_the_team():
    away = tuple(replace(a, presence="away") if a.login == "sam" else a for a in AGENTS)
    d = decide(RoutingFacts(mail("joe-llc@acme.test")), make_policy(clients=(JOE,), agents=away), NOW)
    assert (d.route, d.target, d.team, d.client) == ("client", "team", "support", "Joe LLC")
    assert "away" in d.reasons[0].text


def test_plus_tag_on_a_client_address_still_finds_the_client():
    d = decide(RoutingFacts(mail("Joe-LLC+orders@acme.test")), make_policy(clients=(JOE,)), NOW)
    assert d.client == "Joe LLC"


def test_a_reply_in_a_thread_stays_with_its_owner_but_is_still_the_clients():
    d = decide(
        RoutingFacts(mail("joe-llc@acme.test"), ThreadFacts("7", "marie", "sales")), make_policy(clients=(JOE,)), NOW
    )
    assert (d.route, d.agent, d.client) == ("reply_owner", "marie", "Joe LLC")


def test_informational_address_has_no_ladder_and_says_why():
    d = decide(RoutingFacts(mail("leads@acme.test")), make_policy(clients=(JOE,)), NOW)
    assert d.informational and d.ladder == ()
    assert "informational" in codes(d) and "no action needed" in " ".join(r.text for r in d.reasons)


def test_clients_are_our_addresses_so_no_acknowledgement_loops():
    assert make_policy(clients=(JOE,)).is_our_address("joe-llc@acme.test")
    assert not make_policy().is_our_address("joe-llc@acme.test")
    d = decide(RoutingFacts(mail("support@acme.test", sender="joe-llc@acme.test")), make_policy(clients=(JOE,)), NOW)
    assert not d.auto_ack_allowed and "client Joe LLC" in next(r.text for r in d.reasons if r.code == "own_sender")


def test_unknown_team_or_owner_is_refused():
    with pytest.raises(ValueError, match="unknown team"):
        make_policy(clients=(ClientInfo("X", ("x@acme.test",), "nope"),))
    with pytest.raises(ValueError, match="unknown owner"):
        make_policy(clients=(ClientInfo("X", ("x@acme.test",), "sales", owner="nobody"),))
    with pytest.raises(ValueError, match="not one of its addresses"):
        ClientInfo("X", ("x@acme.test",), "sales", informational=("y@acme.test",))


WEEK = Roster("weekly", ("marie", "pierre", "marie", "pierre", "marie", None, None))


def test_weekly_roster_puts_the_agent_of_the_day_first_and_why_names_it():
    # NOW is a Tuesday: pierre's day.
    d = decide(
        RoutingFacts(MessageFacts("new@x.test", NOW, "", ("sales@acme.test",), (), "pricing", "quote")),
        make_policy(teams=teams_with(WEEK, "sales")),
        NOW,
    )
    assert (d.route, d.target, d.agent, d.team, d.visibility) == ("on_duty", "agent", "pierre", "sales", "personal")
    text = next(r.text for r in d.reasons if r.code == "on_duty")
    assert "weekly roster" in text and "Pierre Curie" in text and "Tuesdays" in text
    assert [r.visibility for r in d.ladder] == ["personal", "team", "everyone"]


def test_weekly_roster_agent_away_falls_back_to_the_usual_ladder():
    away = tuple(replace(a, presence="vacation") if a.login == "pierre" else a for a in AGENTS)
    d = decide(
        RoutingFacts(MessageFacts("new@x.test", NOW, "", ("sales@acme.test",), (), "pricing", "quote")),
        make_policy(teams=teams_with(WEEK, "sales"), agents=away),
        NOW,
    )
    assert (d.target, d.team) == ("team", "sales")
    assert "on_duty_nobody" in codes(d)


def test_round_robin_skips_absent_members_and_follows_the_last_one():
    robin = make_policy(teams=teams_with(Roster("round-robin")), clients=(replace(JOE, owner=None),))
    facts = RoutingFacts(mail("joe-llc@acme.test"))
    # support: lea (vacation), sam, night (outside hours): only sam is at work.
    assert decide(facts, robin, NOW).agent == "sam"
    assert decide(replace(facts, last_on_duty={"support": "sam"}), robin, NOW).agent == "sam"
    late = NOW + timedelta(hours=11)  # 21:30 Paris: night works, sam does not
    assert decide(facts, robin, late).agent == "night"


def test_first_contact_to_a_front_pool_with_a_roster_goes_on_duty():
    d = decide(
        RoutingFacts(MessageFacts("new@x.test", NOW, "", ("hello@acme.test",), (), "hi", "hello")),
        make_policy(teams=teams_with(WEEK, "sales"), front_pool="sales"),
        NOW,
    )
    assert (d.route, d.agent) == ("on_duty", "pierre")


def test_everyone_first_contact_is_not_rostered():
    d = decide(
        RoutingFacts(MessageFacts("new@x.test", NOW, "", ("hello@acme.test",), (), "hi", "hello")),
        make_policy(teams=teams_with(WEEK, "sales")),
        NOW,
    )
    assert d.route == "first_contact"


def test_roster_with_unknown_agent_is_refused_and_day_keys_parse():
    with pytest.raises(ValueError, match="roster names unknown agent"):
        make_policy(teams=teams_with(Roster("weekly", ("ghost",) + (None,) * 6)))
    assert parse_day_keys("mon-wed") == [0, 1, 2]
    assert parse_day_keys("sat,sun") == [5, 6]
    assert parse_day_keys("fri-mon") == [4, 5, 6, 0]
    with pytest.raises(ValueError):
        parse_day_keys("funday")
