"""Alerts that scale: one per conversation and person, raised again in place; settled when nobody needs
them any more; acknowledged by opening the conversation (through the server); an older workspace's
duplicates merged by migration 0012. On SQLite and PostgreSQL."""

from __future__ import annotations

import os
import sqlite3
from datetime import timedelta
from pathlib import Path

from sqlmodel import select

from core.server.client import RemoteComptoir
from core.store import schema
from core.store.db import Database, sqlite_url
from core.store.models import Alert, Conversation
from core.work import actions, listing
from core.work.escalation import run_escalation
from core.workspace.folder import open_workspace
from tests.conftest import BASIC_CONFIG, NOW
from tests.core.helpers import deliver


def alert_rows(ws, conversation_id: int) -> dict[str, Alert]:
    with ws.db.read() as s:
        rows = list(s.exec(select(Alert).where(Alert.conversation_id == conversation_id)))
    by_agent: dict[str, Alert] = {}
    for row in rows:
        assert row.agent not in by_agent, f"two alerts for {row.agent} on #{conversation_id}"
        by_agent[row.agent] = row
    return by_agent


def open_ones(ws, conversation_id: int) -> dict[str, str]:
    return {agent: row.kind for agent, row in alert_rows(ws, conversation_id).items() if row.acknowledged_at is None}


def test_an_alert_is_raised_again_in_place_as_the_conversation_escalates(ws):
    cid, _, _ = deliver(ws, NOW, "marie@shop.test", sender="alice@customer.test", subject="For Marie")
    first = alert_rows(ws, cid)["marie"]
    assert first.kind == "exclusive"
    assert actions.acknowledge(ws, "marie", first.id, NOW) == 1
    run_escalation(ws, NOW + timedelta(hours=3))  # her window, then the team's, ran out while nobody answered
    again = alert_rows(ws, cid)["marie"]
    assert again.id == first.id and again.kind == "escalation"
    assert again.acknowledged_at is None and again.seen_at is None
    assert again.created_at == NOW + timedelta(hours=3)
    # the same rung raised twice in one call keeps one row, the last one winning
    with ws.db.write() as s:
        actions.raise_alerts(s, ws, NOW, "mention", "one", cid, agents=["marie", "marie"])
        actions.raise_alerts(s, ws, NOW, "mention", "two", cid, agents=["marie"])
    assert alert_rows(ws, cid)["marie"].text == "two"


def test_window_closing_goes_only_to_the_agent_holding_it_and_once(ws):
    cid, _, _ = deliver(ws, NOW, "marie@shop.test", sender="alice@customer.test", subject="For Marie")
    with ws.db.read() as s:
        until = s.get(Conversation, cid).exclusive_until
    for minutes in (14, 10, 5):
        run_escalation(ws, until - timedelta(minutes=minutes))
    assert open_ones(ws, cid) == {"marie": "window_closing"}
    with ws.db.read() as s:
        kinds = [a.kind for a in s.exec(select(Alert))]
    assert kinds.count("window_closing") == 1


def test_claiming_settles_the_others_calls_to_pick_it_up(ws):
    cid, mid, _ = deliver(ws, NOW, "hifi@shop.test", sender="bob@client.test", subject="My amplifier hums")
    assert alert_rows(ws, cid) == {}  # new team mail is in the team's queue; it alerts nobody
    run_escalation(ws, NOW + timedelta(hours=5))  # the team window ran out: supervisors are told
    with ws.db.write() as s:
        actions.raise_alerts(s, ws, NOW, "escalation", "back to team hifi", cid, teams=["hifi"])
        actions.raise_alerts(s, ws, NOW, "mention", "@marie look", cid, agents=["marie"])
    assert set(open_ones(ws, cid)) == {"marie", "paul", "sophie"}
    assert actions.claim(ws, "paul", cid, NOW).ok
    # paul acts; sophie no longer needs to; marie's mention stays until she reads it
    assert open_ones(ws, cid) == {"marie": "mention"}
    assert actions.dispose(ws, "paul", mid, "thank-you note", NOW).ok
    assert actions.done(ws, "paul", cid, NOW).ok
    assert open_ones(ws, cid) == {"marie": "mention"}


def test_opening_a_conversation_through_the_server_acknowledges_only_the_openers_alerts(ws, serve_ws):
    cid, _, _ = deliver(ws, NOW, "hifi@shop.test", sender="bob@client.test", subject="My amplifier hums")
    other, _, _ = deliver(ws, NOW, "marie@shop.test", sender="alice@customer.test", subject="For Marie")
    with ws.db.write() as s:
        actions.raise_alerts(s, ws, NOW, "escalation", "team hifi now sees it", cid, teams=["hifi"])
    serve_ws(ws.path)
    marie, paul = RemoteComptoir(ws.path, "marie", autostart=False), RemoteComptoir(ws.path, "paul", autostart=False)
    try:
        assert {a.conversation_id for a in marie.alerts()} == {cid, other}
        assert marie.acknowledge_conversation(cid) == 1
        assert [a.conversation_id for a in marie.alerts()] == [other]
        assert [a.conversation_id for a in paul.alerts()] == [cid]  # paul's own alert stays
        assert marie.acknowledge_conversation(cid) == 0
        # the alert list showed marie's last one: it stops the bar blinking, for every session of hers
        (left,) = marie.alerts()
        assert not left.seen
        assert marie.mark_alerts_seen([left.id], left.created_at) == 1
        assert marie.alerts()[0].seen
        # someone else's alert cannot be marked seen
        assert marie.mark_alerts_seen([paul.alerts()[0].id], NOW + timedelta(days=1)) == 0
    finally:
        marie.close()
        paul.close()


def test_the_alert_list_shows_the_most_recently_raised_first(ws):
    a, _, _ = deliver(ws, NOW, "marie@shop.test", sender="alice@customer.test", subject="First")
    b, _, _ = deliver(ws, NOW + timedelta(minutes=5), "marie@shop.test", sender="carol@customer.test", subject="Second")
    assert [x.conversation_id for x in listing.alerts(ws, "marie", False, 10)] == [b, a]
    with ws.db.write() as s:
        actions.raise_alerts(s, ws, NOW + timedelta(minutes=9), "mention", "again", a, agents=["marie"])
    assert [x.conversation_id for x in listing.alerts(ws, "marie", False, 10)] == [a, b]


def test_migration_0012_merges_an_older_workspaces_duplicates(tmp_path: Path):
    """Several rows per agent and conversation become one: the newest rung, unacknowledged when any
    of them was; alerts without a conversation are kept as they are; nothing old starts blinking."""
    path = tmp_path / "ws"
    path.mkdir(mode=0o700)
    (path / "comptoir.toml").write_text(BASIC_CONFIG)
    os.chmod(path / "comptoir.toml", 0o600)
    db = Database(sqlite_url(path / "comptoir.db"))
    schema.upgrade(db, "0007")
    db.dispose()
    rows = [  # agent, kind, conversation, created, acknowledged
        ("marie", "exclusive", 1, "2026-01-01 09:00:00", None),
        ("marie", "window_closing", 1, "2026-01-01 10:45:00", "2026-01-01 10:50:00"),
        ("marie", "escalation", 1, "2026-01-01 11:00:00", "2026-01-01 11:05:00"),
        ("paul", "team", 1, "2026-01-01 09:00:00", "2026-01-01 09:10:00"),
        ("paul", "escalation", 1, "2026-01-01 11:00:00", "2026-01-01 11:30:00"),
        ("sophie", "sync_trouble", None, "2026-01-01 08:00:00", None),
        ("sophie", "sync_trouble", None, "2026-01-01 08:30:00", None),
    ]
    with sqlite3.connect(path / "comptoir.db") as conn:
        conn.executemany(
            "INSERT INTO alert (agent, team, kind, text, conversation_id, source, created_at, "
            "acknowledged_at) VALUES (?, NULL, ?, 'x', ?, 'comptoir', ?, ?)",
            rows,
        )
    for file in path.iterdir():
        os.chmod(file, 0o600)
    ws = open_workspace(path)
    try:
        assert schema.current_revision(ws.db) == schema.HEAD  # 0012 and every migration after it ran
        with ws.db.read() as s:
            after = sorted(s.exec(select(Alert)), key=lambda a: a.id)
        merged = {(a.agent, a.conversation_id): a for a in after if a.conversation_id is not None}
        assert {k: (a.kind, a.acknowledged_at is None) for k, a in merged.items()} == {
            ("marie", 1): ("escalation", True),  # one of hers was still waiting: the merged one waits
            ("paul", 1): ("escalation", False),  # all of his were acknowledged
        }
        assert [a.kind for a in after if a.conversation_id is None] == ["sync_trouble", "sync_trouble"]
        assert all(a.seen_at is not None for a in after)
        # and from now on the database itself refuses a second row for the same agent and conversation
        with sqlite3.connect(path / "comptoir.db") as conn:
            try:
                conn.execute(
                    "INSERT INTO alert (agent, kind, text, conversation_id, source, created_at) "
                    "VALUES ('marie', 'mention', 'x', 1, 'comptoir', '2026-01-02 00:00:00')"
                )
            except sqlite3.IntegrityError:
                pass
            else:
                raise AssertionError("a duplicate alert was accepted")
    finally:
        ws.close()


def test_supervisors_hear_once_per_team_that_conversations_are_overdue(ws):
    """The last rung tells supervisors once per team, whatever the backlog: the alert's text follows the
    latest conversation; acknowledged, it stays quiet for an hour, then a newly overdue one raises it again."""
    first, _, _ = deliver(ws, NOW, "hifi@shop.test", sender="a@client.test", subject="amplifier one")
    second, _, _ = deliver(
        ws, NOW + timedelta(minutes=30), "hifi@shop.test", sender="b@client.test", subject="amplifier two"
    )
    third, _, _ = deliver(
        ws, NOW + timedelta(hours=3), "hifi@shop.test", sender="c@client.test", subject="amplifier three"
    )

    def overdue() -> list[Alert]:
        with ws.db.read() as s:
            return list(s.exec(select(Alert).where(Alert.kind == "overdue")))

    with ws.db.read() as s:
        windows = [s.get(Conversation, c).team_until for c in (first, second, third)]
    run_escalation(ws, windows[0] + timedelta(minutes=1))
    (alert,) = overdue()
    assert (alert.agent, alert.team, alert.conversation_id) == ("sophie", "hifi", None)
    assert f"Conversation {first}:" in alert.text and alert.created_at == windows[0] + timedelta(minutes=1)
    assert actions.acknowledge(ws, "sophie", alert.id, windows[0] + timedelta(minutes=2)) == 1

    run_escalation(ws, windows[1] + timedelta(minutes=1))  # half an hour later: quiet, the text follows
    (alert,) = overdue()
    assert f"Conversation {second}:" in alert.text and alert.acknowledged_at is not None

    assert windows[2] - windows[0] > timedelta(hours=1)
    run_escalation(ws, windows[2] + timedelta(minutes=1))  # hours later: raised again, in place
    (again,) = overdue()
    assert again.id == alert.id and again.acknowledged_at is None and again.seen_at is None
    assert f"Conversation {third}:" in again.text and again.created_at == windows[2] + timedelta(minutes=1)
    # no alert about each of these conversations went to the supervisor
    assert all("sophie" not in alert_rows(ws, c) for c in (first, second, third))
