"""conversation.next_step_at: kept right by ingest, actions and escalation, so a pass reads only what is due."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import col, select

from core.store.models import Conversation
from core.work import actions
from core.work.escalation import run_escalation
from tests.core.helpers import conversation, deliver

TUESDAY = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # 11:00 in Paris
WARN = timedelta(minutes=15)


def due_ids(ws, now: datetime) -> list[int]:
    with ws.db.read() as s:
        return list(s.exec(select(Conversation.id).where(col(Conversation.next_step_at) <= now)))


def test_next_step_at_follows_the_ladder_and_ends_once_supervisors_know(ws):
    cid, _, _ = deliver(ws, TUESDAY, "marie@shop.test", subject="Question for Marie")
    conv = conversation(ws, cid)
    assert conv.visibility == "personal"
    assert conv.next_step_at == conv.exclusive_until - WARN
    assert run_escalation(ws, conv.next_step_at - timedelta(seconds=1)) == []
    assert [s["kind"] for s in run_escalation(ws, conv.exclusive_until - WARN)] == ["warn"]
    assert conversation(ws, cid).next_step_at == conv.exclusive_until
    assert [s["kind"] for s in run_escalation(ws, conv.exclusive_until)] == ["to_team"]
    assert conversation(ws, cid).next_step_at == conv.team_until - WARN
    assert [s["kind"] for s in run_escalation(ws, conv.team_until + timedelta(hours=1))] == ["to_everyone"]
    # Supervisors know: nothing more will happen, so no later pass reads it again.
    assert conversation(ws, cid).next_step_at is None
    assert due_ids(ws, TUESDAY + timedelta(days=365)) == []


def test_actions_keep_next_step_at_right(ws):
    cid, mid, _ = deliver(ws, TUESDAY, "hifi@shop.test", subject="For the team")
    conv = conversation(ws, cid)
    first = conv.team_until - WARN if conv.visibility == "team" else conv.team_until  # a first contact: everyone
    assert conv.next_step_at == first
    later = TUESDAY + timedelta(minutes=5)
    until = TUESDAY + timedelta(days=2)
    assert actions.snooze(ws, "paul", cid, until, later).ok
    assert conversation(ws, cid).next_step_at == until
    assert actions.reopen(ws, "paul", cid, later).ok
    assert conversation(ws, cid).next_step_at == later
    run_escalation(ws, later)  # looks again and stores the exact moment
    assert conversation(ws, cid).next_step_at == first
    assert actions.reply(ws, "paul", cid, "Here is the answer.", [conv.customer_address], [], later).ok
    assert conversation(ws, cid).next_step_at is None
    assert due_ids(ws, TUESDAY + timedelta(days=365)) == []


def test_an_agent_going_away_makes_their_personal_conversations_due(ws):
    cid, _, _ = deliver(ws, TUESDAY, "marie@shop.test", subject="Question for Marie")
    later = TUESDAY + timedelta(minutes=10)
    assert cid not in due_ids(ws, later)
    assert actions.set_presence(ws, "marie", "away", None, later).ok
    assert cid in due_ids(ws, later)
    assert [s["kind"] for s in run_escalation(ws, later)] == ["to_team"]
    assert conversation(ws, cid).visibility == "team"
