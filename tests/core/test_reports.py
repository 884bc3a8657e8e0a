"""Report figures against a scripted week whose answers were worked out by hand (tests/core/report_timeline.py),
on SQLite and PostgreSQL alike, plus the command line's table, CSV and JSON.

Business hours: hifi and computers are open mon-fri 09:00-18:00 Paris. Paris moved from UTC+2 to UTC+1 on
Sunday 25 October 2026, inside conversation A's wait.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict
from datetime import timedelta

import pytest

from core.clock import Clock
from core.errors import ComptoirError
from core.work import actions
from core.work.reports import build_report, spread
from core.work.views import ReportQuery, Share, Spread
from tests.conftest import make_workspace
from tests.core.helpers import deliver
from tests.core.report_timeline import NOW, SINCE, at, build_timeline
from tests.core.test_cli import config_with
from tui.launch import main as comptoir_main

HOUR = 3600
A_WALL = 66 * HOUR + 30 * 60
"""Friday 15:00 UTC to Monday 09:30 UTC: 72 h less 5 h 30 (65 h 30 on Paris clocks, plus the hour DST gave back)."""
A_BUSINESS = HOUR + 90 * 60
"""Friday 17:00-18:00 Paris, then Monday 09:00-10:30 Paris; the weekend is closed."""
B_WALL = 2 * HOUR + 30 * 60
"""Tuesday 10:00 to 12:30 Paris, all inside business hours."""
C_NO_ACTION = 20 * 60
B_RESOLUTION, C_RESOLUTION = 3 * HOUR, 21 * 60


@pytest.fixture
def timeline(tmp_path, backend):
    ws = make_workspace(tmp_path / "ws", backend)
    ids = build_timeline(ws)
    yield ws, ids
    ws.close()


def report(ws, **kw):
    return build_report(ws, ReportQuery(SINCE, NOW, **kw), NOW)


def test_response_times_in_wall_and_business_time(timeline):
    ws, _ids = timeline
    r = report(ws)
    # A and B were answered; C got no reply (no action), D (snoozed) and F never; E is history.
    assert r.total.first_response == Spread(2, (A_WALL + B_WALL) / 2, A_WALL)
    assert r.total.first_response_business == Spread(2, float(B_WALL), float(B_WALL))
    assert A_BUSINESS == B_WALL  # both are 2 h 30 of open time
    # Worked out: A and B by their replies, C by "no action"; D and F are still pending, E is history.
    assert r.total.worked_out == Spread(3, float(B_WALL), float(A_WALL))
    assert r.worked_out_business == Spread(3, float(B_WALL), float(B_WALL))
    assert r.not_worked_out == 2


def test_history_mail_is_counted_as_traffic_only(timeline):
    ws, ids = timeline
    r = report(ws)
    # Six mails came in (A-F, E's included) and three went out (A's and B's replies, E's old reply) ...
    assert (r.total.messages_in, r.total.replies_out) == (6, 3)
    # ... but E's 5-minute answer is no first response, and E is neither pending nor in the backlog.
    assert 5 * 60 not in (r.total.first_response.median, r.total.first_response.p90)
    assert r.total.first_response.count == 2
    assert [b.count for b in r.pending_by_age] == [0, 0, 0, 2]


def test_windows_promised_by_the_ladder(timeline):
    ws, _ids = timeline
    r = report(ws)
    # Exclusive windows: B (marie's until 12:00 Paris, answered 12:30) and F (paul's, never answered): none met.
    assert r.within_exclusive == Share(0, 2)
    # Team windows: A (until Monday 12:00 Paris, answered 10:30) and B (until 16:00, answered 12:30) met;
    # C (no reply), D and F (never answered) missed, their windows long past.
    assert r.within_team == Share(2, 5)
    assert r.within_promise == Share(2, 5)


def test_resolution_reassignments_no_action_escalations(timeline):
    ws, _ids = timeline
    r = report(ws)
    assert r.total.resolution == Spread(2, (B_RESOLUTION + C_RESOLUTION) / 2, float(B_RESOLUTION))
    assert r.replies_per_resolved == 0.5  # B had one reply, C none
    # B: sophie took it from marie (a take-back), then paul handed his own conversation to lea.
    assert (r.reassignments, r.take_backs) == (2, 1)
    assert [(a.name, a.count, a.other) for a in r.reassignments_by_agent] == [("paul", 1, 0.0), ("sophie", 1, 1.0)]
    assert [(n.name, n.count) for n in r.no_action_reasons] == [("thank-you", 1)]
    # F: exclusive window over -> team, team window over -> everyone; D (owned by marie, snooze over, team
    # window past) -> supervisors alerted. The snooze ending is not a rung.
    assert [(e.name, e.count) for e in r.escalations] == [
        ("warn", 0),
        ("to_team", 1),
        ("to_everyone", 1),
        ("alert_supervisors", 1),
    ]


def test_backlog_pending_load_and_volume(timeline):
    ws, _ids = timeline
    r = report(ws)
    # Open (not done) at each Paris day's end: A from Friday; B and C open and close within their days;
    # D from Wednesday; F from Thursday; E (history) never.
    assert [(b.name, b.count) for b in r.backlog] == [
        ("2026-10-23", 1),
        ("2026-10-24", 1),
        ("2026-10-25", 1),
        ("2026-10-26", 1),
        ("2026-10-27", 1),
        ("2026-10-28", 2),
        ("2026-10-29", 3),
        ("2026-10-30", 3),
    ]
    # D (47 h) and F (27 h 30) wait at Friday 13:00 Paris, the snoozed D included.
    assert [(b.name, b.count) for b in r.pending_by_age] == [
        ("under 1 h", 0),
        ("1-4 h", 0),
        ("4-24 h", 0),
        ("over 1 day", 2),
    ]
    assert [(a.name, a.count) for a in r.load_now] == [("marie", 2)]  # A (waiting) and D; F has no owner
    # Messages in by Paris weekday and hour: A Friday 17h (CEST), B Tuesday 10h, C Wednesday 10h, D Wednesday
    # 14h, E Thursday 10h, F Thursday 09h (CET).
    cells = {(d, h): n for d, row in enumerate(r.volume_in) for h, n in enumerate(row) if n}
    assert cells == {(4, 17): 1, (1, 10): 1, (2, 10): 1, (2, 14): 1, (3, 10): 1, (3, 9): 1}
    assert {(d, h): n for d, row in enumerate(r.volume_out) for h, n in enumerate(row) if n} == {
        (0, 10): 1,
        (1, 12): 1,
        (3, 10): 1,
    }


def test_satisfaction_and_alerts(timeline):
    ws, _ids = timeline
    r = report(ws)
    # Ratings in the period: marie 4 and 2, lea 5 (marie's 1 of 1 October is outside it).
    assert [(s.name, s.count, s.other) for s in r.satisfaction_agents] == [("lea", 1, 5.0), ("marie", 2, 3.0)]
    assert [(s.name, s.count, s.other) for s in r.satisfaction_teams] == [("computers", 1, 5.0), ("hifi", 2, 3.0)]
    # Two external alerts: paul acknowledged his on C and never touched C; marie claimed D after hers.
    external = next(a for a in r.alerts_by_kind if a.name == "external")
    assert (external.count, external.other) == (2, 1)


def test_filters_and_grouping(timeline):
    ws, ids = timeline
    by_team = {g.key: g for g in report(ws, group_by="team").groups}
    # B went to lea, whose team is computers; C, D and E were first contacts (no team); A and F are hifi's.
    assert sorted(by_team) == ["(no team)", "computers", "hifi"]
    assert by_team["hifi"].first_response == Spread(1, float(A_WALL), float(A_WALL))
    assert by_team["hifi"].first_response_business == Spread(1, float(A_BUSINESS), float(A_BUSINESS))
    assert by_team["computers"].resolution == Spread(1, float(B_RESOLUTION), float(B_RESOLUTION))
    assert by_team["(no team)"].messages_in == 3
    lea = report(ws, agent="lea")
    assert (lea.total.messages_in, lea.total.first_response.count, lea.total.resolved) == (1, 1, 1)
    assert report(ws, client="@client-a.test").total.first_response == Spread(1, float(A_WALL), float(A_WALL))
    assert report(ws, client="bob@client-b.test").total.resolved == 1
    assert report(ws, address="hifi@shop.test").total.messages_in == 4  # A, C, D, E
    by_day = {g.key: (g.messages_in, g.replies_out) for g in report(ws, group_by="day").groups}
    assert by_day == {
        "2026-10-23": (1, 0),
        "2026-10-26": (0, 1),
        "2026-10-27": (1, 1),
        "2026-10-28": (2, 0),
        "2026-10-29": (2, 1),
    }
    weeks = {g.key: g.messages_in for g in report(ws, group_by="week").groups}
    assert weeks == {"2026-W43": 1, "2026-W44": 5}


def test_a_period_in_the_past_sees_what_was_pending_then(timeline):
    ws, _ids = timeline
    # At Tuesday 12:00 UTC: A was answered Monday, B at 11:30 UTC; nothing waited.
    r = build_report(ws, ReportQuery(SINCE, at(27, 12)), NOW)
    assert [b.count for b in r.pending_by_age] == [0, 0, 0, 0]
    # At Tuesday 10:00 UTC, B (one hour old) waited.
    r = build_report(ws, ReportQuery(SINCE, at(27, 10)), NOW)
    assert [b.count for b in r.pending_by_age] == [0, 1, 0, 0]


def test_same_figures_on_both_backends(tmp_path):
    """The whole report, built on SQLite and on PostgreSQL from the same script, is equal field by field."""
    from tests.conftest import require_pg

    require_pg()
    views = []
    for backend in ("sqlite", "pg"):
        ws = make_workspace(tmp_path / backend, backend)
        try:
            build_timeline(ws)
            views.append(asdict(report(ws, group_by="agent")))
        finally:
            ws.close()
    assert views[0] == views[1]


def test_spread_median_and_nearest_rank_p90():
    assert spread([]) == Spread(0, None, None)
    assert spread([5.0]) == Spread(1, 5.0, 5.0)
    assert spread([4.0, 1.0, 3.0, 2.0]) == Spread(4, 2.5, 4.0)
    assert spread([float(n) for n in range(1, 11)]) == Spread(10, 5.5, 9.0)


def test_refusals_name_the_fix(timeline):
    ws, _ids = timeline
    with pytest.raises(ComptoirError, match="period is empty"):
        build_report(ws, ReportQuery(NOW, SINCE), NOW)
    with pytest.raises(ComptoirError, match="no team 'sales'.*hifi, computers"):
        report(ws, team="sales")
    with pytest.raises(ComptoirError, match="group by 'month'"):
        report(ws, group_by="month")


def test_command_line_table_csv_and_json(tmp_path, capsys):
    ws = make_workspace(tmp_path / "ws", "sqlite", config_with("supervisor"))
    build_timeline(ws)
    ws.clock = Clock.simulate(ws.db, NOW, 0.0)
    ws.close()
    args = ["report", "--since", SINCE.isoformat(), "--workspace", str(tmp_path / "ws")]
    capsys.readouterr()
    assert comptoir_main(args) == 0
    table = capsys.readouterr().out
    assert "first response (wall)          2   1d10h  2d18h" in table  # 34 h 30 median, 66 h 30 p90
    assert "Answered within the team window:      40% (2/5)" in table
    assert comptoir_main([*args, "--csv"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0] == ["section", "key", "metric", "value"]
    assert ["first_response_business", "all", "median_seconds", "9000.0"] in rows
    assert ["backlog", "2026-10-29", "open", "3"] in rows
    assert ["no_action_reasons", "thank-you", "count", "1"] in rows
    assert comptoir_main([*args, "--json", "--by", "agent"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["total"]["first_response"]["count"] == 2
    assert {g["key"] for g in data["groups"]} >= {"lea", "marie"}
    assert comptoir_main([*args, "--last", "7d"]) == 3
    assert "either --since or --last" in capsys.readouterr().err
    assert comptoir_main(["report", "--team", "sales", "--workspace", str(tmp_path / "ws")]) == 3
    assert "no team 'sales'" in capsys.readouterr().err


def test_windows_are_those_of_the_first_routing(tmp_path, backend):
    """A later mail moves the conversation's windows; the promise kept or missed is the first one's."""
    ws = make_workspace(tmp_path / "ws", backend)
    try:
        tuesday = at(24, 8).replace(month=11)  # Tuesday 24 November, 09:00 Paris: team window until 13:00 Paris
        cid, _m, mid = deliver(ws, tuesday, "hifi@shop.test", sender="gus@client-g.test", subject="Preamp noise")
        actions.claim(ws, "marie", cid, tuesday + timedelta(hours=4))
        actions.reply(
            ws, "marie", cid, "Try another cable.", ["gus@client-g.test"], [], tuesday + timedelta(hours=4, minutes=30)
        )  # 13:30 Paris: half an hour late
        deliver(
            ws,
            tuesday + timedelta(hours=5),
            "hifi@shop.test",
            sender="gus@client-g.test",
            subject="Re: Preamp noise",
            in_reply_to=mid,
        )  # its own team window runs until 18:00 Paris
        r = build_report(
            ws, ReportQuery(tuesday - timedelta(days=1), tuesday + timedelta(hours=10)), tuesday + timedelta(hours=10)
        )
        assert r.within_team == Share(0, 1)
    finally:
        ws.close()


def test_hours_are_counted_in_the_readers_zone(timeline):
    """The same messages in by hour, counted on UTC clocks (the reader's zone): Paris was UTC+2 until
    25 October, UTC+1 after, so every cell moves back one or two hours; an unknown zone is refused."""
    ws, _ids = timeline
    r = report(ws, timezone="UTC")
    assert r.timezone == "UTC"
    cells = {(d, h): n for d, row in enumerate(r.volume_in) for h, n in enumerate(row) if n}
    assert cells == {(4, 15): 1, (1, 9): 1, (2, 9): 1, (2, 13): 1, (3, 9): 1, (3, 8): 1}
    with pytest.raises(ComptoirError, match="unknown time zone 'Mars/Olympus'"):
        report(ws, timezone="Mars/Olympus")
