"""Claims decided in batches (core.work.claiming.ClaimDesk), as the workspace server hands them over:
two claims of one conversation in a batch, a batch whose transaction fails, and the read that answers
without writing."""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel import select

from core.errors import ActionRefused
from core.store.models import Event
from core.work.claiming import ClaimAsk, ClaimDesk
from core.work.views import ActionResult
from tests.conftest import NOW, make_workspace
from tests.core.racer import race_config, seed_conversations


def _claim_events(ws) -> list[tuple[int, str, str | None]]:
    with ws.db.read() as s:
        return sorted(
            (e.conversation_id, e.actor, e.details.get("login"))
            for e in s.exec(select(Event).where(Event.kind == "claim"))
        )


def test_two_claims_of_one_conversation_in_a_batch_one_wins_the_other_is_told(tmp_path, backend):
    ws = make_workspace(tmp_path / "ws", backend, race_config())
    try:
        a, b = seed_conversations(ws, 2, NOW)
        desk = ClaimDesk(ws)
        outcomes = desk.claim_many(
            [ClaimAsk("agent1", a, "sam"), ClaimAsk("agent2", a, "kim"), ClaimAsk("agent2", b, "kim")], NOW
        )
        assert all(isinstance(o, ActionResult) for o in outcomes)
        first, second, third = outcomes
        assert first.ok and first.winner == "agent1" and first.undo
        assert not second.ok and second.winner == "agent1" and "Agent 1 claimed" in second.message
        assert third.ok and third.winner == "agent2"
        # one event each won conversation, with the login that really asked
        assert _claim_events(ws) == sorted([(a, "agent1", "sam"), (b, "agent2", "kim")])
        # asked again: the read answers (already yours / lost), nothing more is written
        again = desk.claim_many([ClaimAsk("agent1", a, "sam"), ClaimAsk("agent1", b, "sam")], NOW)
        assert [(o.ok, o.winner) for o in again if isinstance(o, ActionResult)] == [(True, "agent1"), (False, "agent2")]
        assert "already yours" in again[0].message
        assert len(_claim_events(ws)) == 2
    finally:
        ws.close()


def test_a_failing_claim_in_a_batch_does_not_take_the_others_down(tmp_path, backend):
    """A conversation deleted between the read and the write: the batch's transaction fails and rolls
    back, then each claim is written alone: the others win, that one is refused."""
    ws = make_workspace(tmp_path / "ws", backend, race_config())
    try:
        a, b, c = seed_conversations(ws, 3, NOW)
        desk = ClaimDesk(ws)
        asks = [ClaimAsk("agent1", a), ClaimAsk("agent2", b), ClaimAsk("agent3", c)]
        with ws.db.raw(write=False) as raw:
            looked, pending = desk.look(raw, asks, NOW)
        assert looked == [None, None, None] and sorted(pending) == [0, 1, 2]
        with ws.db.write() as s:
            s.execute(text("DELETE FROM conversation WHERE id = :i"), {"i": b})
        outcomes = desk.write([(asks[n], pending[n]) for n in range(3)], NOW)
        assert isinstance(outcomes[0], ActionResult) and outcomes[0].ok
        assert isinstance(outcomes[1], ActionRefused) and "deleted" in str(outcomes[1])
        assert isinstance(outcomes[2], ActionResult) and outcomes[2].ok
        assert [cid for cid, *_ in _claim_events(ws)] == [a, c]
    finally:
        ws.close()


def test_a_missing_conversation_is_refused_without_failing_the_batch(tmp_path, backend):
    ws = make_workspace(tmp_path / "ws", backend, race_config())
    try:
        (a,) = seed_conversations(ws, 1, NOW)
        missing, won = ClaimDesk(ws).claim_many([ClaimAsk("agent1", a + 1000), ClaimAsk("agent1", a)], NOW)
        assert isinstance(missing, ActionRefused) and f"#{a + 1000}" in str(missing)
        assert isinstance(won, ActionResult) and won.ok
    finally:
        ws.close()
