"""The verbs of core.work.actions on SQLite and PostgreSQL: each writes one audit event of its kind and
alerts exactly the people concerned."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.errors import ActionRefused
from core.store.models import Message
from core.work import actions, listing, queries
from core.work.escalation import run_escalation
from tests.conftest import NOW
from tests.core.helpers import (
    alerted,
    alerts_since,
    conversation,
    deliver,
    event_kinds,
    events_since,
    mark,
    message,
    outbox,
)


def team_conv(ws, sender="bob@client.test", subject="My amplifier hums"):
    """A conversation routed to team hifi (keyword 'amplifier'): members marie, paul, sophie."""
    cid, mid, msgid = deliver(ws, NOW, "hifi@shop.test", sender=sender, subject=subject)
    assert conversation(ws, cid).team == "hifi"
    assert conversation(ws, cid).visibility == "team"
    return cid, mid, msgid


def personal_conv(ws):
    """Addressed personally to marie while she is at work: hers alone for 2 business hours."""
    cid, mid, msgid = deliver(ws, NOW, "marie@shop.test", sender="alice@customer.test", subject="For Marie")
    conv = conversation(ws, cid)
    assert (conv.visibility, conv.exclusive_agent, conv.owner) == ("personal", "marie", None)
    return cid, mid, msgid


# -- claim ----------------------------------------------------------------------------------
def test_claim_winner_and_loser_told_who_won(ws):
    cid, _, _ = team_conv(ws)
    m = mark(ws)
    won = actions.claim(ws, "paul", cid, NOW)
    assert won.ok and won.winner == "paul"
    assert conversation(ws, cid).owner == "paul"
    assert event_kinds(ws, m) == ["claim"]
    assert alerted(ws, m) == []

    m = mark(ws)
    lost = actions.claim(ws, "marie", cid, NOW)
    assert not lost.ok
    assert lost.winner == "paul"
    assert "Paul Martin" in lost.message
    assert conversation(ws, cid).owner == "paul"
    assert event_kinds(ws, m) == []

    again = actions.claim(ws, "paul", cid, NOW)
    assert again.ok and "already yours" in again.message


def test_claim_refused_in_another_agents_exclusive_window(ws):
    cid, _, _ = personal_conv(ws)
    m = mark(ws)
    refused = actions.claim(ws, "paul", cid, NOW)
    assert not refused.ok
    assert "Marie Curie" in refused.message
    assert conversation(ws, cid).owner is None
    assert event_kinds(ws, m) == [] and alerted(ws, m) == []


def test_claim_in_exclusive_window_allowed_for_the_agent_and_supervisors(ws):
    cid, _, _ = personal_conv(ws)
    m = mark(ws)
    result = actions.claim(ws, "sophie", cid, NOW)
    assert result.ok and conversation(ws, cid).owner == "sophie"
    assert event_kinds(ws, m) == ["claim"]
    # marie, whose window it was, is told
    assert alerted(ws, m) == ["marie"]

    cid2, _, _ = deliver(ws, NOW, "marie@shop.test", sender="carol@customer.test", subject="Also for Marie")
    m = mark(ws)
    assert actions.claim(ws, "marie", cid2, NOW).ok
    assert event_kinds(ws, m) == ["claim"]
    assert alerted(ws, m) == []


def test_claim_done_conversation_refused(ws):
    cid, mid, _ = team_conv(ws)
    actions.dispose(ws, "paul", mid, "thank-you note", NOW)
    assert actions.done(ws, "paul", cid, NOW).ok
    assert not actions.claim(ws, "marie", cid, NOW).ok


# -- release --------------------------------------------------------------------------------
def test_release_by_owner_only(ws):
    cid, _, _ = team_conv(ws)
    actions.claim(ws, "paul", cid, NOW)
    m = mark(ws)
    refused = actions.release(ws, "marie", cid, NOW)
    assert not refused.ok and "Paul Martin" in refused.message
    assert conversation(ws, cid).owner == "paul"
    assert event_kinds(ws, m) == [] and alerted(ws, m) == []

    result = actions.release(ws, "paul", cid, NOW)
    assert result.ok
    conv = conversation(ws, cid)
    assert (conv.owner, conv.visibility) == (None, "team")
    assert event_kinds(ws, m) == ["release"]
    # the team is alerted, except the one who released it
    assert alerted(ws, m) == ["marie", "sophie"]


def test_release_by_supervisor_alerts_previous_owner(ws):
    cid, _, _ = team_conv(ws)
    actions.claim(ws, "marie", cid, NOW)
    m = mark(ws)
    assert actions.release(ws, "sophie", cid, NOW).ok
    assert conversation(ws, cid).owner is None
    assert event_kinds(ws, m) == ["release"]
    assert alerted(ws, m) == ["marie", "paul"]


def test_release_unowned_refused(ws):
    cid, _, _ = team_conv(ws)
    assert not actions.release(ws, "paul", cid, NOW).ok


# -- take back and transfer -----------------------------------------------------------------
def test_take_back_for_oneself(ws):
    cid, _, _ = team_conv(ws)
    actions.claim(ws, "paul", cid, NOW)
    m = mark(ws)
    result = actions.assign(ws, "marie", cid, NOW, to_agent="marie")
    assert result.ok
    assert conversation(ws, cid).owner == "marie"
    assert event_kinds(ws, m) == ["assign"]
    alerts = alerts_since(ws, m)
    assert [(a.agent, a.kind) for a in alerts] == [("paul", "taken")]
    assert "Marie Curie" in alerts[0].text


def test_transfer_to_agent_with_note(ws):
    cid, _, _ = team_conv(ws)
    actions.claim(ws, "paul", cid, NOW)
    m = mark(ws)
    result = actions.assign(ws, "marie", cid, NOW, to_agent="lea", note="Lea knows this amplifier")
    assert result.ok
    conv = conversation(ws, cid)
    assert conv.owner == "lea"
    # lea is not in hifi: the conversation follows her to her team
    assert conv.team == "computers"
    events = events_since(ws, m)
    assert [e.kind for e in events] == ["assign"]
    assert events[0].details["previous"] == "paul" and events[0].details["to_agent"] == "lea"
    assert "Lea knows this amplifier" in events[0].details["text"]
    alerts = {(a.agent, a.kind) for a in alerts_since(ws, m)}
    assert alerts == {("lea", "assigned"), ("paul", "taken")}
    assert alerted(ws, m) == ["lea", "paul"]
    # the note is stored as an internal note in the conversation
    d = queries.detail(ws, "lea", cid, NOW)
    notes = [x for x in d.messages if x.direction == "note"]
    assert [n.text for n in notes] == ["Lea knows this amplifier"]


def test_transfer_to_team_with_note(ws):
    cid, _, _ = team_conv(ws)
    actions.claim(ws, "marie", cid, NOW)
    m = mark(ws)
    result = actions.assign(ws, "sophie", cid, NOW, to_team="computers", note="laptop question really")
    assert result.ok
    conv = conversation(ws, cid)
    assert (conv.owner, conv.team, conv.visibility) == (None, "computers", "team")
    assert event_kinds(ws, m) == ["assign"]
    # the new team (paul, lea) and the previous owner; not the supervisor who did it
    assert {(a.agent, a.kind) for a in alerts_since(ws, m)} == {
        ("paul", "assigned"),
        ("lea", "assigned"),
        ("marie", "taken"),
    }
    assert alerted(ws, m) == ["lea", "marie", "paul"]


def test_transfer_to_team_previous_owner_in_that_team_alerted_once(ws):
    cid, _, _ = team_conv(ws)
    actions.claim(ws, "lea", cid, NOW)
    m = mark(ws)
    assert actions.assign(ws, "marie", cid, NOW, to_team="computers").ok
    # lea lost it and is in the target team: one alert, not two
    assert alerted(ws, m) == ["lea", "paul"]
    assert event_kinds(ws, m) == ["assign"]


def test_assign_needs_exactly_one_target_and_known_names(ws):
    cid, _, _ = team_conv(ws)
    m = mark(ws)
    with pytest.raises(ActionRefused):
        actions.assign(ws, "marie", cid, NOW)
    with pytest.raises(ActionRefused):
        actions.assign(ws, "marie", cid, NOW, to_agent="paul", to_team="hifi")
    with pytest.raises(ActionRefused):
        actions.assign(ws, "marie", cid, NOW, to_agent="nobody")
    with pytest.raises(ActionRefused):
        actions.assign(ws, "marie", cid, NOW, to_team="nowhere")
    assert event_kinds(ws, m) == [] and alerted(ws, m) == []


# -- working messages out -------------------------------------------------------------------
def test_dispose_no_action_needs_a_reason(ws):
    cid, mid, _ = team_conv(ws)
    m = mark(ws)
    for blank in ("", "   "):
        with pytest.raises(ActionRefused):
            actions.dispose(ws, "marie", mid, blank, NOW)
    assert message(ws, mid).disposition == "pending"
    result = actions.dispose(ws, "marie", mid, "just a thank-you", NOW)
    assert result.ok
    msg = message(ws, mid)
    assert (msg.disposition, msg.disposition_reason, msg.disposed_by) == ("no_action", "just a thank-you", "marie")
    assert conversation(ws, cid).pending_count == 0
    events = events_since(ws, m)
    assert [e.kind for e in events] == ["no_action"]
    assert events[0].details["reason"] == "just a thank-you"
    assert alerted(ws, m) == []
    assert not actions.dispose(ws, "marie", mid, "twice", NOW).ok


def test_done_refused_while_inbound_pending_then_accepted(ws):
    cid, mid1, msgid = team_conv(ws)
    cid2, mid2, _ = deliver(
        ws,
        NOW + timedelta(minutes=5),
        "hifi@shop.test",
        sender="bob@client.test",
        subject="Re: My amplifier hums",
        in_reply_to=msgid,
    )
    assert cid2 == cid
    m = mark(ws)
    refused = actions.done(ws, "marie", cid, NOW + timedelta(minutes=6))
    assert not refused.ok
    assert "2 messages to work out" in refused.message
    assert (
        f"message {mid1} from bob@client.test" in refused.message
        and f"message {mid2} from bob@client.test" in refused.message
    )
    assert conversation(ws, cid).state == "open"
    assert event_kinds(ws, m) == []

    actions.dispose(ws, "marie", mid1, "answered by phone", NOW)
    refused = actions.done(ws, "marie", cid, NOW + timedelta(minutes=6))
    assert not refused.ok and "1 message to work out" in refused.message
    assert f"message {mid2} from" in refused.message and f"message {mid1} from" not in refused.message

    actions.dispose(ws, "marie", mid2, "answered by phone", NOW)
    m = mark(ws)
    assert actions.done(ws, "marie", cid, NOW + timedelta(minutes=7)).ok
    assert conversation(ws, cid).state == "done"
    assert event_kinds(ws, m) == ["done"]
    assert alerted(ws, m) == []


# -- snooze ---------------------------------------------------------------------------------
def test_snooze_then_escalation_unsnoozes_and_alerts_owner(ws):
    cid, _, _ = team_conv(ws)
    actions.claim(ws, "paul", cid, NOW)
    m = mark(ws)
    with pytest.raises(ActionRefused):
        actions.snooze(ws, "paul", cid, NOW - timedelta(minutes=1), NOW)
    assert actions.snooze(ws, "paul", cid, NOW + timedelta(hours=2), NOW).ok
    conv = conversation(ws, cid)
    assert (conv.state, conv.snoozed_until) == ("snoozed", NOW + timedelta(hours=2))
    assert event_kinds(ws, m) == ["snooze"]
    assert alerted(ws, m) == []

    m = mark(ws)
    assert run_escalation(ws, NOW + timedelta(hours=1)) == []
    assert conversation(ws, cid).state == "snoozed"
    applied = run_escalation(ws, NOW + timedelta(hours=2, minutes=1))
    assert [(a["conversation"], a["kind"]) for a in applied] == [(cid, "unsnooze")]
    conv = conversation(ws, cid)
    assert (conv.state, conv.snoozed_until, conv.owner) == ("open", None, "paul")
    assert event_kinds(ws, m) == ["unsnooze"]
    assert [(a.agent, a.kind) for a in alerts_since(ws, m)] == [("paul", "snooze_over")]


# -- notes and mentions ---------------------------------------------------------------------
def test_note_mentions_alert_exactly_the_mentioned(ws):
    cid, _, _ = team_conv(ws)
    m = mark(ws)
    result = actions.note(ws, "marie", cid, "@lea and @Paul: have a look; write to bob@lea.test; I (@marie) wait", NOW)
    assert result.ok
    assert event_kinds(ws, m) == ["note"]
    # marie mentioned herself: no alert for her; an address is not a mention
    assert [(a.agent, a.kind) for a in sorted(alerts_since(ws, m), key=lambda a: a.agent)] == [
        ("lea", "mention"),
        ("paul", "mention"),
    ]
    notes = [x for x in queries.detail(ws, "marie", cid, NOW).messages if x.direction == "note"]
    assert len(notes) == 1 and notes[0].author == "marie"


def test_note_without_mentions_alerts_nobody(ws):
    cid, _, _ = team_conv(ws)
    m = mark(ws)
    assert actions.note(ws, "paul", cid, "customer called, waiting for the serial number", NOW).ok
    assert event_kinds(ws, m) == ["note"]
    assert alerted(ws, m) == []


def test_note_with_unknown_mention_refused_and_nothing_saved(ws):
    cid, _, _ = team_conv(ws)
    before = conversation(ws, cid).message_count
    m = mark(ws)
    with pytest.raises(ActionRefused, match="@ghost"):
        actions.note(ws, "marie", cid, "ask @lea or @ghost", NOW)
    assert conversation(ws, cid).message_count == before
    assert event_kinds(ws, m) == [] and alerted(ws, m) == []


# -- confidentiality ------------------------------------------------------------------------
def test_confidential_content_hidden_from_others(ws):
    # the invoices rule sends to team computers (paul, lea) and marks it confidential
    cid, _, _ = deliver(
        ws,
        NOW,
        "invoices@shop.test",
        sender="dan@client.test",
        subject="Invoice 1234 overdue",
        body="Our bank details are secret.",
    )
    conv = conversation(ws, cid)
    assert conv.confidential and conv.team == "computers"
    assert not actions.claim(ws, "marie", cid, NOW).ok, "marie is not in team computers"
    assert actions.claim(ws, "paul", cid, NOW).ok
    for viewer, hidden in (("paul", False), ("sophie", False), ("lea", False), ("marie", True)):
        d = queries.detail(ws, viewer, cid, NOW)
        assert d.hidden is hidden, viewer
        texts = " ".join(x.text for x in d.messages)
        assert ("bank details" in texts) is (not hidden), viewer
    assert queries.why(ws, "marie", cid, NOW).subject == "(confidential)"
    # others cannot write into it either
    assert not actions.note(ws, "marie", cid, "peek", NOW).ok


def test_set_confidential_owner_or_supervisor_only(ws):
    cid, _, _ = team_conv(ws)
    actions.claim(ws, "paul", cid, NOW)
    m = mark(ws)
    assert not actions.set_confidential(ws, "marie", cid, True, NOW).ok
    assert event_kinds(ws, m) == []
    assert actions.set_confidential(ws, "paul", cid, True, NOW).ok
    assert event_kinds(ws, m) == ["confidential"]
    assert alerted(ws, m) == []
    assert queries.detail(ws, "lea", cid, NOW).hidden, "lea is not in team hifi"
    assert not queries.detail(ws, "marie", cid, NOW).hidden, "marie is in team hifi"
    assert not queries.detail(ws, "paul", cid, NOW).hidden
    assert not queries.detail(ws, "sophie", cid, NOW).hidden
    m = mark(ws)
    assert actions.set_confidential(ws, "sophie", cid, False, NOW).ok
    assert event_kinds(ws, m) == ["confidential"]
    assert not queries.detail(ws, "lea", cid, NOW).hidden


# -- presence -------------------------------------------------------------------------------
def test_vacation_returns_open_conversations_to_their_teams(ws):
    hifi, _, _ = team_conv(ws)
    comp, _, _ = deliver(ws, NOW, "computers@shop.test", sender="eve@client.test", subject="laptop will not boot")
    other, _, _ = team_conv(ws, sender="frank@client.test", subject="turntable speed")
    actions.claim(ws, "paul", hifi, NOW)
    actions.claim(ws, "paul", comp, NOW)
    actions.claim(ws, "marie", other, NOW)
    m = mark(ws)
    result = actions.set_presence(ws, "paul", "vacation", NOW + timedelta(days=7), NOW)
    assert result.ok and "2 open conversations went back to their teams" in result.message
    for cid, team in ((hifi, "hifi"), (comp, "computers")):
        conv = conversation(ws, cid)
        assert (conv.owner, conv.team, conv.visibility) == (None, team, "team")
    assert conversation(ws, other).owner == "marie"
    kinds = event_kinds(ws, m)
    assert kinds.count("presence") == 1 and kinds.count("vacation") == 2 and len(kinds) == 3
    by_conv = {}
    for a in alerts_since(ws, m):
        assert a.kind == "returned"
        by_conv.setdefault(a.conversation_id, []).append(a.agent)
    assert {k: sorted(v) for k, v in by_conv.items()} == {hifi: ["marie", "sophie"], comp: ["lea"]}
    me = listing.agent_view(ws, "paul", NOW)
    assert me.presence == "vacation" and not me.at_work


def test_presence_validation(ws):
    with pytest.raises(ActionRefused):
        actions.set_presence(ws, "paul", "asleep", None, NOW)
    with pytest.raises(ActionRefused):
        actions.set_presence(ws, "paul", "vacation", NOW - timedelta(days=1), NOW)
    with pytest.raises(ActionRefused):
        actions.set_presence(ws, "ghost", "away", None, NOW)
    m = mark(ws)
    assert actions.set_presence(ws, "paul", "away", None, NOW).ok
    assert event_kinds(ws, m) == ["presence"] and alerted(ws, m) == []


# -- alerts ---------------------------------------------------------------------------------
def test_acknowledge_one_then_all(ws):
    personal_conv(ws)
    deliver(ws, NOW, "marie@shop.test", sender="carol@customer.test", subject="Also for Marie")
    actions.external_alert(ws, "Stock tool: turntables back", NOW, to_agent="paul", source="stock")
    mine = listing.alerts(ws, "marie", False, 50)
    assert len(mine) == 2
    paul_alert = listing.alerts(ws, "paul", False, 50)[0]
    # someone else's alert cannot be acknowledged
    assert actions.acknowledge(ws, "marie", paul_alert.id, NOW) == 0
    assert actions.acknowledge(ws, "marie", mine[0].id, NOW) == 1
    left = listing.alerts(ws, "marie", False, 50)
    assert [a.id for a in left] == [mine[1].id]
    assert actions.acknowledge(ws, "marie", None, NOW) == 1
    assert listing.alerts(ws, "marie", False, 50) == []
    assert len(listing.alerts(ws, "marie", True, 50)) == 2
    assert len(listing.alerts(ws, "paul", False, 50)) == 1


def test_external_alert_to_agent_and_team(ws):
    m = mark(ws)
    assert actions.external_alert(ws, "Stock tool: turntables back", NOW, to_agent="lea", source="stock") == ["lea"]
    rows = alerts_since(ws, m)
    assert [(a.agent, a.kind, a.source) for a in rows] == [("lea", "external", "stock")]
    assert event_kinds(ws, m) == ["alert"]
    m = mark(ws)
    got = actions.external_alert(ws, "Printer on fire", NOW, to_team="hifi", source="facility")
    assert sorted(got) == ["marie", "paul", "sophie"]
    assert alerted(ws, m) == ["marie", "paul", "sophie"]
    assert event_kinds(ws, m) == ["alert"]
    m = mark(ws)
    for kwargs in ({"to_agent": "ghost"}, {"to_team": "nowhere"}, {}, {"to_agent": "lea", "to_team": "hifi"}):
        with pytest.raises(ActionRefused):
            actions.external_alert(ws, "x", NOW, **kwargs)
    with pytest.raises(ActionRefused):
        actions.external_alert(ws, "   ", NOW, to_agent="lea")
    assert alerted(ws, m) == [] and event_kinds(ws, m) == []


# -- replies --------------------------------------------------------------------------------
def test_reply_stored_queued_and_pending_replied(ws):
    cid, mid, _ = team_conv(ws)
    actions.claim(ws, "paul", cid, NOW)
    seen = conversation(ws, cid).version
    m = mark(ws)
    result = actions.reply(ws, "paul", cid, "Please send a photo.", ["bob@client.test"], [], NOW, seen_version=seen)
    assert result.ok, result.message
    conv = conversation(ws, cid)
    assert (conv.state, conv.pending_count, conv.owner) == ("waiting", 0, "paul")
    assert conv.version == seen + 1
    assert message(ws, mid).disposition == "replied"
    items = outbox(ws)
    assert len(items) == 1
    item = items[0]
    assert (item.state, item.to_addrs, item.author, item.conversation_id) == (
        "queued",
        ["bob@client.test"],
        "paul",
        cid,
    )
    assert item.subject == "Re: My amplifier hums"
    out = message(ws, item.message_row_id)
    assert out.direction == "outbound" and "Please send a photo." in out.text
    assert out.in_reply_to is not None
    assert event_kinds(ws, m) == ["reply"]
    assert alerted(ws, m) == []
    # the conversation now waits on the customer
    assert cid in listing.queue_ids(ws, "paul", "waiting", None, NOW)


def test_reply_to_more_recipients_than_the_limit_needs_confirmation(ws):
    cid, _, _ = team_conv(ws)
    actions.claim(ws, "paul", cid, NOW)
    to = ["bob@client.test", "boss@client.test", "accounting@client.test"]
    m = mark(ws)
    refused = actions.reply(ws, "paul", cid, "Hello all", to, [], NOW)
    assert not refused.ok and "3 recipients" in refused.message
    assert outbox(ws) == [] and event_kinds(ws, m) == []
    assert actions.reply(ws, "paul", cid, "Hello all", to, [], NOW, confirmed_recipients=True).ok
    assert len(outbox(ws)) == 1
    assert outbox(ws)[0].to_addrs == to


def test_reply_refused_when_a_new_message_arrived_since_seen(ws):
    cid, _, msgid = team_conv(ws)
    actions.claim(ws, "paul", cid, NOW)
    seen = conversation(ws, cid).version
    later = NOW + timedelta(minutes=3)
    cid2, mid2, _ = deliver(
        ws,
        later,
        "hifi@shop.test",
        sender="bob@client.test",
        subject="Re: My amplifier hums",
        body="Also the left channel is dead.",
        in_reply_to=msgid,
    )
    assert cid2 == cid
    m = mark(ws)
    refused = actions.reply(ws, "paul", cid, "Please send a photo.", ["bob@client.test"], [], later, seen_version=seen)
    assert not refused.ok
    assert "changed since you opened it" in refused.message and "bob@client.test" in refused.message
    assert outbox(ws) == [] and event_kinds(ws, m) == []
    assert message(ws, mid2).disposition == "pending"
    fresh = conversation(ws, cid).version
    assert actions.reply(ws, "paul", cid, "Please send a photo.", ["bob@client.test"], [], later, seen_version=fresh).ok


def test_reply_refuses_line_breaks_in_headers(ws):
    cid, _, _ = team_conv(ws)
    actions.claim(ws, "paul", cid, NOW)
    with pytest.raises(ActionRefused, match="line break"):
        actions.reply(ws, "paul", cid, "x", ["bob@client.test\r\nBcc: evil@attacker.test"], [], NOW)
    with pytest.raises(ActionRefused, match="line break"):
        actions.reply(ws, "paul", cid, "x", ["bob@client.test"], ["a@b.test\nBcc: evil@attacker.test"], NOW)
    with pytest.raises(ActionRefused, match="line break"):
        actions.reply(ws, "paul", cid, "x", ["bob@client.test"], [], NOW, subject="Hi\r\nBcc: evil@attacker.test")
    with pytest.raises(ActionRefused):
        actions.reply(ws, "paul", cid, "x", ["not an address"], [], NOW)
    assert outbox(ws) == []


def test_reply_on_someone_elses_conversation_refused(ws):
    cid, _, _ = team_conv(ws)
    actions.claim(ws, "paul", cid, NOW)
    m = mark(ws)
    assert not actions.reply(ws, "marie", cid, "Hi", ["bob@client.test"], [], NOW).ok
    assert outbox(ws) == [] and event_kinds(ws, m) == []


def test_every_inbound_message_is_counted_pending(ws):
    cid, mid, _ = team_conv(ws)
    with ws.db.read() as s:
        pending = actions.pending_messages(s, cid)
    assert [p.id for p in pending] == [mid] and isinstance(pending[0], Message)
