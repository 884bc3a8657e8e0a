"""Flow (issue 13 item 10): after a reply is queued, pending mail is marked no action, or a conversation
is done, the next conversation of the same queue opens; the open_next preference turns it off."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import TextArea

from core.workspace.preferences import load_preferences
from tests.tui.conftest import SIZE, make_app, settle
from tests.tui.fake_service import FakeComptoir
from tui.screens.conversation import ConversationScreen
from tui.screens.main import MainScreen
from tui.widgets.conversation_list import ConversationList


async def open_everyone(pilot) -> ConversationList:
    await settle(pilot)
    await pilot.press("right_square_bracket", "right_square_bracket", "right_square_bracket")
    await settle(pilot)
    listing = pilot.app.screen.query_one(ConversationList)
    assert listing.ids == [2, 3, 5]
    return listing


async def test_no_action_in_a_conversation_opens_the_next_one(fake_service: FakeComptoir) -> None:
    app = make_app(fake_service)
    async with app.run_test(size=SIZE) as pilot:
        listing = await open_everyone(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.conversation_id == 2
        await pilot.press("n", "1", "enter")  # the reason field has focus: 1 + Enter takes the first reason
        await settle(pilot)
        assert isinstance(app.screen, ConversationScreen) and app.screen.conversation_id == 3
        assert listing.cursor_id == 3
        assert app.viewing_id == 3
        assert len(app.screen_stack) == 3  # default screen, list, conversation: replaced, not stacked
        # Opened by flow is opened: its alerts are acknowledged, as when opened from the list.
        assert ("acknowledge_conversation", 3) in fake_service.calls


async def test_done_from_the_list_opens_the_next_one(fake_service: FakeComptoir) -> None:
    app = make_app(fake_service)
    async with app.run_test(size=SIZE) as pilot:
        await open_everyone(pilot)
        await pilot.press("j", "d")
        await settle(pilot)
        assert isinstance(app.screen, ConversationScreen) and app.screen.conversation_id == 5


async def test_a_queued_reply_opens_the_next_one(fake_service: FakeComptoir) -> None:
    app = make_app(fake_service)
    async with app.run_test(size=SIZE) as pilot:
        await open_everyone(pilot)
        await pilot.press("j", "enter")
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        app.screen.query_one(TextArea).insert("Here is the quote.")
        await pilot.press("ctrl+s")
        await settle(pilot)
        if not isinstance(app.screen, ConversationScreen):  # the CC'd reader asks for a confirmation first
            await pilot.press("y")
            await settle(pilot)
        assert isinstance(app.screen, ConversationScreen) and app.screen.conversation_id == 5


async def test_the_last_conversation_goes_back_to_the_list(fake_service: FakeComptoir) -> None:
    app = make_app(fake_service)
    async with app.run_test(size=SIZE) as pilot:
        await open_everyone(pilot)
        await pilot.press("G", "enter")
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        assert any("last conversation" in n.message for n in app._notifications)


async def test_a_note_or_a_refused_action_stays(fake_service: FakeComptoir) -> None:
    app = make_app(fake_service)
    async with app.run_test(size=SIZE) as pilot:
        await open_everyone(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("N")
        await settle(pilot)
        app.screen.query_one(TextArea).insert("@bob have a look")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ConversationScreen) and app.screen.conversation_id == 2


async def test_open_next_false_stays_on_the_conversation(fake_service: FakeComptoir) -> None:
    app = make_app(fake_service)
    app.open_next = False
    async with app.run_test(size=SIZE) as pilot:
        await open_everyone(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("n", "1", "enter")  # the reason field has focus: 1 + Enter takes the first reason
        await settle(pilot)
        assert isinstance(app.screen, ConversationScreen) and app.screen.conversation_id == 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [("", True), ("open_next = false\n", False), ("open_next = true\n", True), ('open_next = "no"\n', True)],
)
def test_the_open_next_preference(tmp_path: Path, text: str, expected: bool) -> None:
    path = tmp_path / "preferences.toml"
    path.write_text(text, encoding="utf-8")
    assert load_preferences(path).open_next is expected


async def test_a_conversation_opened_by_number_outside_the_queue_stays(fake_service: FakeComptoir) -> None:
    app = make_app(fake_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)  # My work: 2 and 1
        await pilot.press("number_sign", "5", "enter")
        await settle(pilot)
        assert app.screen.conversation_id == 5
        await pilot.press("n", "1", "enter")  # the reason field has focus: 1 + Enter takes the first reason
        await settle(pilot)
        assert isinstance(app.screen, ConversationScreen) and app.screen.conversation_id == 5
        assert not any("last conversation" in n.message for n in app._notifications)


async def test_the_screen_is_held_only_until_flow_has_answered(fake_service: FakeComptoir, monkeypatch) -> None:
    """Flow draws nothing between a dialog or composer closing and the next conversation showing
    (ComptoirApp.hold_frames); the hold always ends: after a success, a refusal, a crash, a conflict."""
    app = make_app(fake_service)
    held: list[bool] = []
    real_hold = app.hold_frames

    def hold() -> None:
        held.append(True)
        real_hold()

    monkeypatch.setattr(app, "hold_frames", hold)

    def released() -> bool:
        return app._frames_held is None and app._batch_count == 0

    async with app.run_test(size=SIZE) as pilot:
        await open_everyone(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("n", "enter")  # goes well: #3 shows, and is drawn
        await settle(pilot)
        assert held and released() and app.screen.conversation_id == 3
        monkeypatch.setattr(fake_service, "dispose", lambda *a, **k: 1 / 0)  # the call crashes
        await pilot.press("n", "enter")
        await settle(pilot)
        assert len(held) == 2 and released() and app.screen.conversation_id == 3
        monkeypatch.undo()
        monkeypatch.setattr(app, "hold_frames", hold)
        fake_service.fail_next_reply_with_conflict = True  # refused: the composer stays, with what changed
        await pilot.press("r")
        await settle(pilot)
        app.screen.query_one(TextArea).insert("Thanks")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert len(held) == 3 and released()
