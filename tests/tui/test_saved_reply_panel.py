"""The saved-reply picker (ctrl+t) inside the composer, in the real app (Pilot) over the fake service:
Enter inserts the highlighted reply at the cursor, q / Esc / ctrl+g close it leaving the text as it was,
and no key typed into it reaches the composer (no send, no letter in the text, no dropped draft)."""

from __future__ import annotations

import pytest
from textual.widgets import TextArea

from tests.tui.conftest import SIZE, make_app, settle
from tests.tui.fake_service import FakeComptoir
from tui.screens.composer import ComposerScreen
from tui.widgets.saved_reply_panel import SavedChoices, SavedReplyPanel

SMALL = (80, 24)


async def open_picker(pilot) -> None:
    await settle(pilot)
    for key in ("j", "r", "ctrl+t"):
        await pilot.press(key)
        await settle(pilot)


@pytest.mark.parametrize("size", [SMALL, SIZE])
async def test_enter_inserts_the_highlighted_reply_and_hides_the_picker(size, fake_service: FakeComptoir) -> None:
    app = make_app(fake_service)
    async with app.run_test(size=size) as pilot:
        await open_picker(pilot)
        screen = app.screen
        assert isinstance(screen, ComposerScreen)  # no screen pushed over the composer
        panel = screen.query_one(SavedReplyPanel)
        choices = screen.query_one(SavedChoices)
        assert panel.display and choices.has_focus and choices.option_count >= 2
        # It fits the terminal and covers only the text, never the fields or the buttons.
        assert screen.region.contains_region(panel.region), (panel.region, size)
        assert screen.query_one("#composer-body").region.contains_region(panel.region)
        await pilot.press("down", "enter")
        await settle(pilot)
        second = list(panel.replies.values())[1]
        body = screen.query_one(TextArea)
        assert body.text.startswith(second) and body.has_focus
        assert not panel.display
        # Open again: the same list, the highlight back on what it was; Enter inserts again.
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert panel.display and choices.has_focus


@pytest.mark.parametrize("close", ["escape", "q", "ctrl+g"])
async def test_keys_typed_into_the_picker_never_reach_the_composer(close: str, fake_service: FakeComptoir) -> None:
    app = make_app(fake_service)
    async with app.run_test(size=SIZE) as pilot:
        await open_picker(pilot)
        screen = app.screen
        before = screen.query_one(TextArea).text
        await pilot.press("ctrl+s", "ctrl+o", "ctrl+t", *"hello", "A", "question_mark")
        await settle(pilot)
        assert app.screen is screen  # no help, no alerts, no confirmation
        assert screen.query_one(SavedReplyPanel).display
        assert screen.query_one(TextArea).text == before
        assert fake_service.replies == []
        await pilot.press(close)
        await settle(pilot)
        assert app.screen is screen  # ctrl+g closed the picker, not the composer
        assert not screen.query_one(SavedReplyPanel).display
        assert screen.query_one(TextArea).has_focus and screen.query_one(TextArea).text == before
        await pilot.press(*"ok")
        await settle(pilot)
        assert screen.query_one(TextArea).text == "ok" + before
