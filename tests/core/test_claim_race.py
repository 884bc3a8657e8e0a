"""Eight real processes, eight agents, the same conversations: exactly one winner each, and every loser is
told who won; directly on the database and through the workspace server (whose batches of claims are
decided on its loop and written in one transaction, core.server.claim_lane)."""

from __future__ import annotations

import os
from collections import Counter

import pytest
from sqlmodel import select

from core.store.models import Conversation, Event
from core.workspace.identity import login_of
from tests.conftest import NOW, make_workspace
from tests.core.racer import RACE_AGENTS, race_config, run_race, seed_conversations
from tests.support.thread_server import serve_ws  # noqa: F401 - the fixture

CONVERSATIONS = 60


def _check(ws, ids, result) -> list[Event]:
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

    # and the database agrees, with exactly one claim event each, by the winner
    with ws.db.read() as s:
        owners = {c.id: c.owner for c in s.exec(select(Conversation))}
        events = list(s.exec(select(Event).where(Event.kind == "claim")))
    assert owners == {cid: w[0] for cid, w in winners.items()}
    assert Counter(e.conversation_id for e in events) == Counter(dict.fromkeys(ids, 1))
    assert all(e.actor == owners[e.conversation_id] for e in events)
    return events


def test_claim_race_one_winner_per_conversation(tmp_path, backend):
    ws = make_workspace(tmp_path / "ws", backend, race_config())
    try:
        ids = seed_conversations(ws, CONVERSATIONS, NOW)
        assert len(ids) == CONVERSATIONS
        _check(ws, ids, run_race(ws.path, ids, NOW))
    finally:
        ws.close()


@pytest.mark.parametrize("conversations", [CONVERSATIONS, 400])
def test_claim_race_through_the_server(tmp_path, backend, serve_ws, conversations):
    """The same race through the socket: batches, group commits, and every event records the real
    login of the process that asked (the kernel's word, not the agent acted as)."""
    ws = make_workspace(tmp_path / "ws", backend, race_config())
    try:
        ids = seed_conversations(ws, conversations, NOW)
        serve_ws(ws.path)
        events = _check(ws, ids, run_race(ws.path, ids, NOW, through_server=True))
        me = login_of(os.getuid())
        assert {e.details.get("login") for e in events} == {me}
    finally:
        ws.close()
