"""The reports' per-day rollup (core.work.report_rollup) gives exactly the figures of the raw rows: on the
scripted week, on a randomized year, and after late writes (a reply to a mail of 20 days ago, history mail
imported afterwards, a close, a hand-over), on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.mail.ingest import IncomingMail, ingest_batch
from core.work import actions
from core.work.reports import build_report
from core.work.views import ReportQuery
from tests.conftest import BASIC_CONFIG, make_workspace
from tests.core.helpers import deliver, raw_mail
from tests.core.report_timeline import NOW, SINCE, at, build_timeline

QUERIES = (
    {},
    {"group_by": "day"},
    {"group_by": "week"},
    {"group_by": "agent"},
    {"group_by": "team"},
    {"group_by": "address"},
    {"team": "hifi"},
    {"agent": "marie"},
    {"address": "hifi@shop.test"},
)


def both(ws, query: ReportQuery, now: datetime) -> tuple[dict, dict]:
    """(the report through the rollup, the report from raw rows only)."""
    return asdict(build_report(ws, query, now)), asdict(build_report(ws, query, now, use_rollup=False))


def stored_days(ws) -> list[str]:
    with ws.db.raw(write=False) as raw:
        return [r[0] for r in raw.all("SELECT day FROM report_day ORDER BY day")]


def touched(ws) -> list[int]:
    with ws.db.raw(write=False) as raw:
        return [r[0] for r in raw.all("SELECT conversation_id FROM report_touch ORDER BY conversation_id")]


@pytest.fixture
def timeline(tmp_path, backend):
    ws = make_workspace(tmp_path / "ws", backend)
    ids = build_timeline(ws)
    yield ws, ids
    ws.close()


def test_rollup_equals_raw_rows_on_the_scripted_week(timeline):
    ws, _ids = timeline
    assert stored_days(ws) == []
    for kw in QUERIES:
        for since, until in ((SINCE, NOW), (SINCE + timedelta(hours=30), NOW), (SINCE, at(27, 12))):
            query = ReportQuery(since, until, **kw)
            first, raw = both(ws, query, NOW)
            assert first == raw, (kw, since, until)
            assert asdict(build_report(ws, query, NOW)) == raw, "read back from report_day"
    # The finished Paris days are kept: from the 24th (the period starts on the 23rd at 02:00 Paris, so that
    # day is read from rows) to yesterday; today (the 30th) never is.
    assert stored_days(ws) == [f"2026-10-{d}" for d in range(24, 30)]


def test_a_late_reply_to_a_mail_of_twenty_days_ago(tmp_path, backend):
    """The reply changes the first response of a day three weeks back, and its promised windows."""
    ws = make_workspace(tmp_path / "ws", backend)
    try:
        now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
        old = now - timedelta(days=20)
        cid, _m, _mid = deliver(ws, old, "hifi@shop.test", sender="gus@client-g.test", subject="Preamp noise")
        deliver(ws, now - timedelta(days=3), "hifi@shop.test", sender="hal@client-h.test", subject="Tonearm")
        query = ReportQuery(now - timedelta(days=30), now)
        before, raw = both(ws, query, now)
        assert before == raw
        assert before["total"]["first_response"]["count"] == 0
        assert old.astimezone(ZoneInfo(ws.config.workspace.timezone)).date().isoformat() in stored_days(ws)
        # Recorded today (the server was down, or the agent answered from elsewhere and it synced late).
        actions.claim(ws, "marie", cid, now - timedelta(minutes=2))
        actions.reply(ws, "marie", cid, "Try another cable.", ["gus@client-g.test"], [], now - timedelta(minutes=1))
        assert cid in touched(ws)
        after, raw = both(ws, query, now + timedelta(minutes=1))
        assert after == raw
        assert after["total"]["first_response"]["count"] == 1
        assert after["total"]["first_response"]["median"] == 20 * 86400 - 60
        assert touched(ws) == []
        # A reply dated in the past (a sent-folder copy synced late) counts on the day it was written.
        cid2, _m, _mid = deliver(ws, old + timedelta(hours=1), "hifi@shop.test", sender="ivy@client-i.test")
        assert both(ws, query, now + timedelta(minutes=2))[0] == both(ws, query, now + timedelta(minutes=2))[1]
        actions.claim(ws, "paul", cid2, old + timedelta(hours=2))
        actions.reply(ws, "paul", cid2, "Done.", ["ivy@client-i.test"], [], old + timedelta(hours=3))
        actions.done(ws, "paul", cid2, old + timedelta(hours=4))
        later, raw = both(ws, query, now + timedelta(minutes=3))
        assert later == raw
        assert later["total"]["first_response"]["count"] == 2
        assert later["total"]["resolved"] == 1
    finally:
        ws.close()


def test_history_mail_imported_afterwards(timeline):
    """Old mail imported after the rollup was made: it is traffic on its days, as the raw rows say."""
    ws, _ids = timeline
    query = ReportQuery(SINCE, NOW, group_by="day")
    before, raw = both(ws, query, NOW)
    assert before == raw
    cutover = at(29, 0)
    mails = [
        IncomingMail(
            raw=raw_mail("hifi@shop.test", sender=f"old{n}@client-o.test", subject=f"Old {n}", when=moment)[0],
            internaldate=moment,
            history_before=cutover,
        )
        for n, moment in enumerate((at(24, 10), at(26, 15), at(27, 8)))
    ]
    ingest_batch(ws, mails, NOW)
    after, raw = both(ws, query, NOW)
    assert after == raw
    assert after["total"]["messages_in"] == before["total"]["messages_in"] + 3
    assert after["total"]["first_response"] == before["total"]["first_response"]


def test_hand_overs_closes_and_alerts_later(timeline):
    """Writes about old conversations move them between keys (owner, team) and change closes and alerts."""
    ws, ids = timeline
    later = NOW + timedelta(days=2)
    query = ReportQuery(SINCE, later, group_by="agent")
    assert both(ws, query, later)[0] == both(ws, query, later)[1]
    actions.assign(ws, "sophie", ids["A"], NOW + timedelta(hours=1), to_agent="paul")
    actions.done(ws, "marie", ids["D"], NOW + timedelta(hours=2))
    actions.external_alert(ws, "look at F", NOW + timedelta(hours=3), to_agent="paul", conversation_id=ids["F"])
    actions.acknowledge(ws, "paul", None, NOW + timedelta(hours=4))
    after, raw = both(ws, query, later)
    assert after == raw
    assert {g["key"] for g in after["groups"]} >= {"paul"}
    for kw in QUERIES:
        q = ReportQuery(SINCE, later, **kw)
        assert both(ws, q, later)[0] == both(ws, q, later)[1], kw


def test_an_earlier_clock_does_not_read_days_made_later(timeline):
    """A report as of an earlier moment than a stored day was made at computes that day again."""
    ws, _ids = timeline
    query = ReportQuery(SINCE, at(29, 12))
    assert both(ws, query, NOW)[0] == both(ws, query, NOW)[1]
    early = at(29, 12)
    assert both(ws, query, early)[0] == both(ws, query, early)[1]


def test_randomized_year(tmp_path, monkeypatch):
    """A small year built by the bench's generator (random hours, replies, closes, hand-overs, alerts)."""
    from bench import bench_reports

    monkeypatch.setattr(bench_reports, "CONVERSATIONS", 900)
    monkeypatch.setattr(bench_reports, "MESSAGES", 3000)
    path = tmp_path / "year"
    bench_reports.build(path, seed=5)
    from core.workspace.folder import open_workspace

    ws = open_workspace(path, check_permissions=False)
    try:
        now = bench_reports.NOW
        for days in (30, 365, 400):
            for kw in ({}, {"group_by": "week"}, {"group_by": "team"}, {"team": "hifi", "group_by": "agent"}):
                query = ReportQuery(now - timedelta(days=days), now, **kw)
                first, raw = both(ws, query, now)
                assert first == raw, (days, kw)
                assert first["total"]["messages_in"] > 0
        for until in (now - timedelta(days=100, hours=5), now - timedelta(days=3)):
            query = ReportQuery(now - timedelta(days=200, hours=7), until, group_by="day")
            assert both(ws, query, now)[0] == both(ws, query, now)[1]
        # Late writes on old conversations: hand-overs (every day they count in moves to another agent), and
        # replies dated when the mail waited (a first response on a past day).
        with ws.db.raw(write=False) as raw_sql:
            waiting = raw_sql.all(
                "SELECT id, team, owner FROM conversation WHERE state = 'waiting' AND owner IS NOT NULL "
                "ORDER BY created_at LIMIT 4"
            )
            pending = raw_sql.all(
                f"SELECT conversation_id, {raw_sql.epoch('received_at')} FROM message WHERE disposition = 'pending' "
                "ORDER BY received_at LIMIT 4"
            )
        for cid, team, owner in waiting:
            other = next(a for a in bench_reports.TEAMS[team] if a != owner)
            actions.assign(ws, owner, cid, now - timedelta(hours=1), to_agent=other)
        for cid, received in pending:
            actions.reply(
                ws, "paul", cid, "Late.", ["x@customer.test"], [], datetime.fromtimestamp(received + 600, UTC)
            )
        for kw in ({"group_by": "agent"}, {"agent": "paul"}, {"group_by": "day"}):
            query = ReportQuery(now - timedelta(days=365), now, **kw)
            assert both(ws, query, now)[0] == both(ws, query, now)[1], kw
    finally:
        ws.close()


def test_stored_days_outlive_the_process(tmp_path):
    """The rollup's fingerprint (zone and business hours, holidays included) is the same in every process:
    a frozenset's order is not (hash randomization), and a changing fingerprint would drop the rollup."""
    import os
    import subprocess
    import sys

    holidays = 'holidays = ["2026-12-25", "2026-12-26", "2027-01-01", "2027-05-01", "2027-07-14", "2027-08-15"]'
    ws = make_workspace(tmp_path / "ws", "sqlite", BASIC_CONFIG.replace('holidays = ["2026-12-25"]', holidays))
    ws.close()
    assert holidays in (tmp_path / "ws" / "comptoir.toml").read_text()
    code = (
        "import sys; from pathlib import Path; from core.workspace.folder import open_workspace; "
        "from core.work.report_rollup import fingerprint; "
        "ws = open_workspace(Path(sys.argv[1]), check_permissions=False); print(fingerprint(ws)); ws.close()"
    )
    prints = {
        subprocess.run(
            [sys.executable, "-c", code, str(tmp_path / "ws")],
            env={**os.environ, "PYTHONHASHSEED": str(seed)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in range(1, 7)
    }
    assert len(prints) == 1, prints


def test_the_server_keeps_the_rollup_warm(timeline):
    """warm_rollup (the syncer's escalation passes) stores missing and touched days, a month a pass at most."""
    from core.work.reports import warm_rollup

    ws, ids = timeline
    assert warm_rollup(ws, NOW, days=10, budget=4) == 4
    assert stored_days(ws) == [f"2026-10-{d}" for d in range(26, 30)]  # the most recent first
    assert warm_rollup(ws, NOW, days=10, budget=4) == 4
    assert warm_rollup(ws, NOW, days=10, budget=4) == 2
    assert warm_rollup(ws, NOW, days=10, budget=4) == 0
    actions.reply(ws, "marie", ids["D"], "At last.", ["dan@client-d.test"], [], at(28, 15))
    # The days D counts in: the 28th (its mail, claim, snooze; now its first response) and the 29th (escalated).
    assert warm_rollup(ws, NOW, days=10) == 2
    query = ReportQuery(SINCE, NOW, group_by="day")
    with ws.db.raw(write=False) as raw:
        before = raw.all("SELECT day, built_at FROM report_day ORDER BY day")
    assert both(ws, query, NOW)[0] == both(ws, query, NOW)[1]
    assert both(ws, query, NOW)[0]["total"]["first_response"]["count"] == 3
    with ws.db.raw(write=False) as raw:
        assert raw.all("SELECT day, built_at FROM report_day ORDER BY day") == before  # nothing left to compute
