"""Defects found by driving the real app as a new user would (issue 11, items 13-23): each test failed
before its fix."""

from __future__ import annotations

from textual.widgets import OptionList

from tests.tui.conftest import SIZE, make_app, settle
from tui.screens.assign import AssignScreen


async def test_team_counts_agree_between_sidebar_and_assign_dialog(demo_service) -> None:
    app = make_app(demo_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        sidebar = {q.key: q.count for q in demo_service.queues()}
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, AssignScreen)
        targets = app.screen.query_one(OptionList)
        shown = {targets.get_option_at_index(i).id: targets.get_option_at_index(i).prompt.plain
                 for i in range(targets.option_count)}
        in_sidebar = [key for key in shown if key in sidebar]
        assert in_sidebar
        for key in in_sidebar:
            assert f" {sidebar[key]:>3} open" in shown[key], (key, sidebar[key], shown[key])
