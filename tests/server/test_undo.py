"""Undo through the workspace server: each reversible action comes back as it was, the undo is recorded in
the history, it is refused (changing nothing) when someone else changed the conversation since, going back
from vacation brings back only the conversations nobody took, and drafts are kept per agent and conversation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from core.errors import ComptoirError
from core.server.client import RemoteComptoir
from tests.conftest import NOW
from tests.core.helpers import deliver


@pytest.fixture
def clients(ws, serve_ws):
    serve_ws(ws.path)
    opened = {login: RemoteComptoir(ws.path, login, autostart=False) for login in ("marie", "paul", "sophie")}
    yield opened
    for client in opened.values():
        client.close()


def _conversation(ws, n: int = 0) -> int:
    return deliver(ws, NOW, "hifi@shop.test", sender=f"c{n}@client.test", subject=f"question {n}")[0]


def _events(ws, conversation_id: int) -> list[tuple[str, str]]:
    with ws.db.read() as s:
        return [
            (kind, actor)
            for kind, actor in s.execute(
                text("SELECT kind, actor FROM event WHERE conversation_id = :c ORDER BY id"), {"c": conversation_id}
            )
        ]


def test_claim_undone_leaves_it_unclaimed_and_says_so_in_the_history(ws, clients) -> None:
    marie = clients["marie"]
    cid = _conversation(ws)
    claimed = marie.claim(cid)
    assert claimed.ok and claimed.undo
    undone = marie.undo(claimed.undo)
    assert undone.ok and "undone" in undone.message
    assert marie.detail(cid).row.owner is None
    assert _events(ws, cid)[-2:] == [("claim", "marie"), ("undo", "marie")]


def test_taking_back_from_a_named_owner_is_undone_back_to_them(ws, clients) -> None:
    marie, sophie = clients["marie"], clients["sophie"]
    cid = _conversation(ws)
    assert marie.claim(cid).ok
    taken = sophie.take_back(cid)
    assert taken.ok and taken.undo
    undone = sophie.undo(taken.undo)
    assert undone.ok and "taking it back from Marie Curie" in undone.message
    assert marie.detail(cid).row.owner == "marie"


def test_an_undo_is_refused_when_someone_else_changed_it_since(ws, clients) -> None:
    marie, paul = clients["marie"], clients["paul"]
    cid = _conversation(ws)
    claimed = marie.claim(cid)
    assert paul.assign(cid, to_agent="paul").ok
    refused = marie.undo(claimed.undo)
    assert not refused.ok
    assert "Paul Martin changed" in refused.message and "nothing was undone" in refused.message
    assert marie.detail(cid).row.owner == "paul"
    assert _events(ws, cid)[-1][0] == "assign"


def test_only_the_agent_who_acted_can_undo_it(ws, clients) -> None:
    cid = _conversation(ws)
    claimed = clients["marie"].claim(cid)
    with pytest.raises(ComptoirError, match="you have no action"):
        clients["paul"].undo(claimed.undo)
    assert clients["marie"].detail(cid).row.owner == "marie"


@pytest.mark.parametrize("action", ["done", "snooze", "confidential", "release", "assign_team", "dispose"])
def test_each_reversible_action_comes_back_as_it_was(ws, clients, action) -> None:
    marie = clients["marie"]
    cid = _conversation(ws)
    assert marie.claim(cid).ok
    if action == "done":
        message = marie.detail(cid).messages[0].id
        assert marie.dispose(message, "thanks").ok
    before = marie.detail(cid).row
    result = {
        "done": lambda: marie.done(cid),
        "snooze": lambda: marie.snooze(cid, marie.now() + timedelta(hours=2)),
        "confidential": lambda: marie.set_confidential(cid, True),
        "release": lambda: marie.release(cid),
        "assign_team": lambda: marie.assign(cid, to_team="computers"),
        "dispose": lambda: marie.dispose(marie.detail(cid).messages[0].id, "spam"),
    }[action]()
    assert result.ok and result.undo, result
    assert marie.detail(cid).row != before
    undone = marie.undo(result.undo)
    assert undone.ok, undone.message
    after = marie.detail(cid)
    for field in ("owner", "state", "team", "confidential", "pending_count", "visibility", "deadline"):
        if hasattr(before, field):
            assert getattr(after.row, field) == getattr(before, field), field
    if action == "dispose":
        assert after.messages[0].disposition == "pending"


def test_a_note_cannot_be_undone_and_says_why(ws, clients) -> None:
    marie = clients["marie"]
    cid = _conversation(ws)
    result = marie.note(cid, "call him back")
    assert result.ok and result.undo is None


def test_coming_back_from_vacation_at_once_brings_back_what_nobody_took(ws, clients) -> None:
    marie, paul = clients["marie"], clients["paul"]
    ids = [_conversation(ws, n) for n in range(4)]
    for cid in ids:
        assert marie.claim(cid).ok
    assert marie.vacation_preview() == 4
    away = marie.set_presence("vacation", marie.now() + timedelta(days=7))
    assert away.ok and "4 open conversations went back" in away.message
    assert all(marie.detail(cid).row.owner is None for cid in ids)
    assert paul.claim(ids[0]).ok  # a colleague took one meanwhile
    back = marie.undo(away.undo)
    assert back.ok, back.message
    assert "3 conversations came back to you" in back.message and f"#{ids[0]}" in back.message
    assert marie.me().presence == "available"
    assert [marie.detail(cid).row.owner for cid in ids] == ["paul", "marie", "marie", "marie"]
    assert _events(ws, ids[1])[-1] == ("undo", "marie")


def test_too_late_to_undo(ws, clients) -> None:
    marie = clients["marie"]
    cid = _conversation(ws)
    claimed = marie.claim(cid)
    with ws.db.write() as s:  # the claim happened a minute ago
        s.execute(
            text("UPDATE event SET at = :at WHERE id = :id"),
            {
                "at": (marie.now() - timedelta(minutes=1)).replace(tzinfo=None).isoformat(" ")
                if ws.db.is_sqlite
                else (marie.now() - timedelta(minutes=1)).replace(tzinfo=None),
                "id": claimed.undo,
            },
        )
    late = marie.undo(claimed.undo)
    assert not late.ok and "too late" in late.message
    assert marie.detail(cid).row.owner == "marie"


def test_drafts_are_per_agent_and_conversation(ws, clients) -> None:
    marie, paul = clients["marie"], clients["paul"]
    first, second = _conversation(ws, 1), _conversation(ws, 2)
    marie.save_draft(first, "reply", "Dear customer,", ["c1@client.test"], [])
    marie.save_draft(first, "note", "@paul look")
    assert marie.draft(first).body == "Dear customer,"
    assert marie.draft(first, "note").body == "@paul look"
    assert marie.draft(second) is None and paul.draft(first) is None
    marie.save_draft(first, "reply", "Dear customer, here it is")
    assert marie.draft(first).body == "Dear customer, here it is"
    assert marie.reply(first, "Dear customer, here it is", ["c1@client.test"]).ok
    assert marie.draft(first) is None  # sent: gone
    marie.discard_draft(first, "note")
    assert marie.draft(first, "note") is None
    with pytest.raises(ComptoirError, match="reply or a note"):
        marie.save_draft(first, "letter", "x")


def test_the_demo_outbox_also_waits_for_the_send_delay(ws, clients) -> None:
    from core.demo.live import send_offline

    marie = clients["marie"]
    cid = _conversation(ws)
    assert marie.claim(cid).ok
    result = marie.reply(cid, "On its way.", ["c0@client.test"])
    now = marie.now()
    assert send_offline(ws, now) == 0
    assert marie.undo(result.undo).ok
    again = marie.reply(cid, "On its way, really.", ["c0@client.test"])
    assert again.ok
    assert send_offline(ws, marie.now() + timedelta(seconds=11)) == 1
    assert not marie.undo(again.undo).ok
