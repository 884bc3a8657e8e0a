"""Once-a-day work (core.work.daily): each agent's load recorded at the end of the day, and a team's daily
summary posted to its webhook (a real local HTTP server) and to supervisors, each exactly once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from core.errors import ConfigError
from core.mail.ingest import IncomingMail, ingest_batch
from core.work import actions
from core.work.daily import record_day_end_load, run_daily, send_summary_if_due
from core.work.reports import build_report
from core.work.views import ReportQuery
from core.work.webhook import WebhookQueue
from core.workspace.config import parse_config
from tests.conftest import BASIC_CONFIG, NOW, make_workspace
from tests.core.helpers import raw_mail
from tests.core.test_webhook import _Recorder, http_server  # noqa: F401 - the fixture, shared

# Paris is UTC+1 in late November: local midnight of Wed 25 Nov is 23:00 UTC on the 24th.
MIDNIGHT_25 = datetime(2026, 11, 24, 23, 0, tzinfo=UTC)


def _summary_config(url: str, where: str = '["webhook", "supervisors"]', at: str = "08:00") -> str:
    return BASIC_CONFIG.replace(
        'holidays = ["2026-12-25"]',
        f'holidays = ["2026-12-25"]\nwebhook = "{url}"\ndaily_summary = {where}\ndaily_summary_at = "{at}"',
        1,
    )


def _mail(ws, when: datetime, to: str = "hifi@shop.test", subject: str = "Turntable") -> int:
    raw, _mid = raw_mail(to, subject=subject, when=when)
    report = ingest_batch(ws, [IncomingMail(raw=raw, internaldate=when)], when)
    return report.conversation_ids[0]


def test_the_load_at_the_end_of_each_day_is_recorded_once_and_reported(tmp_path: Path, backend: str) -> None:
    ws = make_workspace(tmp_path / "ws", backend)
    first, second, third = (_mail(ws, NOW + timedelta(minutes=n), subject=f"Question {n}") for n in range(3))
    actions.claim(ws, "marie", first, NOW + timedelta(hours=1))
    actions.claim(ws, "marie", second, NOW + timedelta(hours=1))
    actions.claim(ws, "paul", third, NOW + timedelta(hours=1))

    assert record_day_end_load(ws, MIDNIGHT_25 - timedelta(minutes=1)) is None  # the 24th has not ended
    assert record_day_end_load(ws, MIDNIGHT_25 + timedelta(seconds=30)) == "2026-11-24"
    assert record_day_end_load(ws, MIDNIGHT_25 + timedelta(minutes=1)) is None  # once
    actions.done(ws, "marie", first, MIDNIGHT_25 + timedelta(hours=9))  # after the day ended: not in its figure

    view = build_report(
        ws, ReportQuery(NOW - timedelta(days=2), MIDNIGHT_25 + timedelta(hours=10)), MIDNIGHT_25 + timedelta(hours=10)
    )
    by_day = {d.day: d for d in view.load_at_day_end}
    recorded = by_day["2026-11-24"]
    assert recorded.recorded and {a.name: a.count for a in recorded.loads} == {
        "marie": 2,
        "paul": 1,
        "lea": 0,
        "sophie": 0,
    }
    assert not by_day["2026-11-23"].recorded and by_day["2026-11-23"].loads == ()
    assert "2026-11-25" not in by_day  # the 25th has not ended at the report's end
    # A team's report names only its members.
    computers = build_report(
        ws,
        ReportQuery(NOW - timedelta(days=1), MIDNIGHT_25 + timedelta(hours=10), team="computers"),
        MIDNIGHT_25 + timedelta(hours=10),
    )
    assert {a.name for d in computers.load_at_day_end for a in d.loads} == {"paul", "lea"}
    ws.close()


def test_a_server_back_long_after_midnight_leaves_the_day_unrecorded(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws", "sqlite")
    assert record_day_end_load(ws, MIDNIGHT_25 + timedelta(hours=3)) is None
    with ws.db.read() as s:
        assert s.execute(text("SELECT COUNT(*) FROM meta WHERE key LIKE 'load_at_day_end:%'")).scalar() == 0
    ws.close()


def test_the_daily_summary_goes_out_once_after_its_time_to_the_webhook_and_supervisors(
    tmp_path: Path, http_server: str, backend: str
) -> None:
    ws = make_workspace(tmp_path / "ws", backend, _summary_config(http_server))
    conv = _mail(ws, NOW)
    actions.claim(ws, "marie", conv, NOW + timedelta(minutes=5))
    actions.reply(
        ws,
        "marie",
        conv,
        "It is on its way.\n",
        ("alice@customer.test",),
        (),
        NOW + timedelta(minutes=30),
        confirmed_recipients=True,
    )
    _mail(ws, NOW + timedelta(hours=2), subject="Amplifier hum")
    hifi = ws.config.team("hifi")
    assert hifi is not None
    eight = MIDNIGHT_25 + timedelta(hours=8)  # 08:00 in Paris on the 25th

    assert send_summary_if_due(ws, hifi, eight - timedelta(minutes=1)) is None
    assert send_summary_if_due(ws, hifi, eight + timedelta(seconds=20)) == "2026-11-24"
    assert send_summary_if_due(ws, hifi, eight + timedelta(minutes=5)) is None
    assert [d.summaries for d in [run_daily(ws, eight + timedelta(minutes=6))]] == [()]

    assert asyncio.run(WebhookQueue(ws).deliver_due()) == 1
    [post] = _Recorder.received
    assert post["kind"] == "daily_summary" and post["team"] == "hifi" and post["day"] == "2026-11-24"
    assert post["text"].startswith("Daily summary for hifi, Tue 24 Nov 2026: 2 messages in, 1 replies out")
    assert "first response median 30m" in post["text"]
    assert post["figures"]["messages_in"] == 2 and post["figures"]["replies_out"] == 1
    with ws.db.read() as s:
        alerts = s.execute(text("SELECT agent, kind, text FROM alert WHERE kind = 'daily_summary'")).all()
    assert [(a, k) for a, k, _t in alerts] == [("sophie", "daily_summary")]
    assert alerts[0][2] == post["text"]
    # The next day's summary is its own.
    assert send_summary_if_due(ws, hifi, eight + timedelta(days=1, minutes=1)) == "2026-11-25"
    ws.close()


def test_a_team_without_a_summary_gets_none(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws", "sqlite")
    assert run_daily(ws, MIDNIGHT_25 + timedelta(hours=9)).summaries == ()
    with ws.db.read() as s:
        assert s.execute(text("SELECT COUNT(*) FROM webhook_post")).scalar() == 0
    ws.close()


@pytest.mark.parametrize(
    "change, complaint",
    [
        ('daily_summary = ["webhook"]', "has no webhook URL"),
        ('daily_summary = ["email"]', "daily_summary"),
        ('daily_summary = ["supervisors"]\ndaily_summary_at = "25:00"', "daily_summary_at"),
    ],
)
def test_a_bad_summary_setting_is_refused_with_its_key(tmp_path: Path, change: str, complaint: str) -> None:
    config = BASIC_CONFIG.replace('holidays = ["2026-12-25"]', f'holidays = ["2026-12-25"]\n{change}', 1)
    with pytest.raises(ConfigError, match=complaint):
        parse_config(config, tmp_path / "comptoir.toml")
