"""Eight real processes, eight agents, the same conversations: exactly one winner each, and every loser is told who won."""

from __future__ import annotations

from collections import Counter

from sqlmodel import select

from core.store.models import Conversation, Event
from tests.conftest import NOW, make_workspace
from tests.core.racer import RACE_AGENTS, race_config, run_race, seed_conversations

CONVERSATIONS = 60


def test_claim_race_one_winner_per_conversation(tmp_path, backend):
    ws = make_workspace(tmp_path / "ws", backend, race_config())
    try:
        ids = seed_conversations(ws, CONVERSATIONS, NOW)
        assert len(ids) == CONVERSATIONS
        result = run_race(ws.path, ids, NOW)
        assert sorted(result.outcomes) == sorted(RACE_AGENTS)

        winners: dict[int, list[str]] = {}
        for agent, outcomes in result.outcomes.items():
            assert sorted(cid for cid, *_ in outcomes) == ids, f"{agent} did not try every conversation"
            for cid, ok, winner, message in outcomes:  # noqa: B007 - the last one's message is reported below
                if ok:
                    assert winner == agent
                    winners.setdefault(cid, []).append(agent)
        # exactly one winner per conversation
        assert sorted(winners) == ids
        assert all(len(w) == 1 for w in winners.values()), {c: w for c, w in winners.items() if len(w) != 1}

        # every loser's result names the winner
        for agent, outcomes in result.outcomes.items():
            for cid, ok, winner, message in outcomes:
                if not ok:
                    assert winner == winners[cid][0], (agent, cid, winner, message)
                    assert f"Agent {winner[5:]} claimed" in message

        # and the database agrees, with exactly one claim event each
        with ws.db.read() as s:
            owners = {c.id: c.owner for c in s.exec(select(Conversation))}
            claim_events = Counter(e.conversation_id for e in s.exec(select(Event).where(Event.kind == "claim")))
        assert owners == {cid: w[0] for cid, w in winners.items()}
        assert claim_events == Counter(dict.fromkeys(ids, 1))
    finally:
        ws.close()
