"""The reports screen: opened with its key and from the palette, period and team chosen with keys, the
service called from a worker, and pictures at 80x24 and 160x48 (each docstring says what they must show)."""

from __future__ import annotations

from tests.tui.conftest import make_app, settle
from tests.tui.fake_service import populated_service
from tests.tui.test_snapshots import press
from tui.screens.main import MainScreen
from tui.screens.reports import ReportsScreen

SMALL, LARGE = (80, 24), (160, 48)


async def test_key_opens_reports_and_keys_choose_period_and_team() -> None:
    service = populated_service()
    app = make_app(service)
    async with app.run_test(size=LARGE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert isinstance(app.screen, ReportsScreen)
        assert app.screen.report is not None and app.screen.report.query.team is None
        for key in (
            "right_square_bracket",
            "t",
            "t",
            "T",
            "left_square_bracket",
            "left_square_bracket",
            "left_square_bracket",
        ):
            await pilot.press(key)
            await settle(pilot)
        reports = [call for call in service.calls if call[0] == "report"]
        # 30 days, then 90, then 90 for support, sales, support again, then 30 and 7 (and 7 stays the shortest).
        assert reports == [
            ("report", 30, None),
            ("report", 90, None),
            ("report", 90, "support"),
            ("report", 90, "sales"),
            ("report", 90, "support"),
            ("report", 30, "support"),
            ("report", 7, "support"),
            ("report", 7, "support"),
        ]
        assert app.screen.report.query.team == "support"
        await pilot.press("ctrl+l")  # refresh counts again, with the same choice
        await settle(pilot)
        assert [c for c in service.calls if c[0] == "report"][-1] == ("report", 7, "support") and len(
            [c for c in service.calls if c[0] == "report"]
        ) == 9
        await pilot.press("q")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)


async def test_command_palette_lists_reports() -> None:
    app = make_app(populated_service())
    async with app.run_test(size=LARGE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        for char in "reports":
            await pilot.press(char)
        await settle(pilot)
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ReportsScreen)


def test_reports_small_terminal(snap_compare) -> None:
    """80x24: title line 'Reports  last 30 days · all teams'; the Response table (first response 45m / 2h30,
    business 35m / 2h00, worked out, resolution 5h33 / 2d00) then 'Promises and work' (80% (12/15) within the
    exclusive window ...) stacked in one column; the scroll bar says plots follow; the footer shows ] [ t q."""
    assert snap_compare(make_app(populated_service()), terminal_size=SMALL, run_before=press("ctrl+r"))


def test_reports_small_terminal_scrolled_to_plots(snap_compare) -> None:
    """80x24 after a year (] ] ]) for team support (t) and 14 lines down (j): the backlog line plot fills the
    width with at most six date labels, followed by the response plot; the title says 'last 365 days · team support'."""
    keys = ("ctrl+r", "right_square_bracket", "right_square_bracket", "right_square_bracket", "t", *("j" * 14))
    assert snap_compare(make_app(populated_service()), terminal_size=SMALL, run_before=press(*keys))


def test_reports_large_terminal(snap_compare) -> None:
    """160x48: the two tables side by side; then two by two the backlog line, the median first response by
    day, the busiest-hours heatmap (weekdays 9-18 brightest, per-day totals on the right) and the pending-by-age
    bars (5, 4, 3, 2); then escalations per rung, hand-overs 11 with 4 take-backs, ratings, alerts and load."""
    assert snap_compare(make_app(populated_service()), terminal_size=LARGE, run_before=press("ctrl+r"))


def test_reports_demo_workspace(snap_compare, demo_service) -> None:
    """The demo workspace as marie at its frozen clock, 160x48: real figures from core.work.reports for the last
    30 days of all teams; the backlog climbs over the last days (the demo's recent mail), the heatmap is brightest
    where the demo's mail arrived, and every table row carries a number."""
    assert snap_compare(make_app(demo_service), terminal_size=LARGE, run_before=press("ctrl+r"))
