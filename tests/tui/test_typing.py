"""Text fields own their keys: what is typed into a dialog's field is text, never an action.

Each test opens a dialog the way an agent does, types a sentence that uses every letter (lower and
upper case, so r/R, n/N, a/A, s/S, t/T, g/G, q, ?, / and the preset digits 1-4 are all in it), and checks that the text is in
the field, the dialog is still the one on top, and the service was asked to do nothing. The
type-ahead tests type before the dialog has finished opening.
"""

from __future__ import annotations

import time

from textual import events
from textual.widgets import Input, TextArea

from tests.tui.conftest import SIZE, make_app, settle
from tests.tui.fake_service import FakeComptoir
from tui.screens.assign import AssignScreen
from tui.screens.composer import ComposerScreen
from tui.screens.conversation import ConversationScreen
from tui.screens.dialogs import DisposeDialog, SaveAttachmentDialog, SnoozeDialog
from tui.screens.main import MainScreen

SENTENCE = "The quick brown fox jumps over the lazy dog; PACK MY BOX WITH FIVE DOZEN LIQUOR JUGS? q/w 1 2 3 4"
assert set("abcdefghijklmnopqrstuvwxyz") <= set(SENTENCE) and set("ABCDEFGHIJKLMNOPQRSTUVWXYZ") <= set(SENTENCE)

ACTING = {
    "claim",
    "release",
    "take_back",
    "assign-to",
    "dispose",
    "done",
    "reopen",
    "note",
    "snooze",
    "set_confidential",
    "reply",
    "set_presence",
    "acknowledge",
    "resend",
    "escalate",
    "raise_alert",
    "save_attachment",
    "verify_delivery",
}


def acted(service: FakeComptoir) -> list[tuple]:
    return [call for call in service.calls if call[0] in ACTING]


async def type_sentence(pilot) -> None:
    await pilot.press(*SENTENCE)
    await settle(pilot)


async def test_the_assign_filter_and_note_keep_what_is_typed(fake_service: FakeComptoir) -> None:
    app = make_app(fake_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = app.screen
        await pilot.press("a")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, AssignScreen)
        assert dialog.focused is dialog.query_one("#assign-filter", Input)
        await type_sentence(pilot)
        assert dialog.query_one("#assign-filter", Input).value == SENTENCE
        await pilot.press("ctrl+a", "ctrl+k")  # empty the filter (Input's own keys)
        await pilot.press("tab")  # the note is one Tab from the filter
        assert dialog.focused is dialog.query_one("#assign-note", Input)
        await type_sentence(pilot)
        assert dialog.query_one("#assign-note", Input).value == SENTENCE
        assert app.screen_stack[-2:] == [main, dialog]
    assert acted(fake_service) == []


async def test_the_snooze_duration_keeps_what_is_typed(fake_service: FakeComptoir) -> None:
    app = make_app(fake_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, SnoozeDialog)
        assert dialog.focused is dialog.query_one("#snooze-duration", Input)
        await type_sentence(pilot)
        assert dialog.query_one("#snooze-duration", Input).value == SENTENCE
        await pilot.press("enter")  # not a duration: said so, and nothing is snoozed for an hour
        await settle(pilot)
        assert app.screen is dialog
        assert "is not a duration" in str(dialog.query_one("#snooze-error").render())
    assert acted(fake_service) == []


async def test_the_no_action_reason_keeps_what_is_typed(fake_service: FakeComptoir) -> None:
    app = make_app(fake_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("j", "n")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, DisposeDialog)
        assert dialog.focused is dialog.query_one("#dispose-reason", Input)
        await type_sentence(pilot)
        assert dialog.query_one("#dispose-reason", Input).value == SENTENCE
        assert app.screen is dialog
    assert acted(fake_service) == []


async def test_the_composer_fields_keep_what_is_typed(fake_service: FakeComptoir) -> None:
    app = make_app(fake_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        composer = app.screen
        assert isinstance(composer, ComposerScreen)
        body = composer.query_one("#composer-body", TextArea)
        assert composer.focused is body
        await type_sentence(pilot)
        assert body.text.startswith(SENTENCE)
        for field_id in ("#composer-to", "#composer-cc"):
            field = composer.query_one(field_id, Input)
            field.value = ""
            field.focus()
            await settle(pilot)
            await type_sentence(pilot)
            assert field.value == SENTENCE
        assert app.screen is composer
    assert acted(fake_service) == [] and fake_service.replies == []


async def test_the_note_composer_keeps_what_is_typed(fake_service: FakeComptoir) -> None:
    app = make_app(fake_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("N")
        await settle(pilot)
        assert isinstance(app.screen, ComposerScreen)
        await type_sentence(pilot)
        assert app.screen.query_one("#composer-body", TextArea).text == SENTENCE
    assert acted(fake_service) == []


async def test_the_search_box_keeps_what_is_typed(fake_service: FakeComptoir) -> None:
    app = make_app(fake_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        stack = list(app.screen_stack)
        await pilot.press("slash")
        await settle(pilot)
        search = app.screen.query_one("#search", Input)
        assert app.screen.focused is search
        await type_sentence(pilot)
        assert search.value == SENTENCE
        assert isinstance(app.screen, MainScreen) and app.screen_stack == stack
    assert acted(fake_service) == []


async def test_the_save_path_keeps_what_is_typed(fake_service: FakeComptoir) -> None:
    app = make_app(fake_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("j", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ConversationScreen)
        await pilot.press("S")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, SaveAttachmentDialog)
        path = dialog.query_one("#save-path", Input)
        path.value = ""
        await type_sentence(pilot)
        assert path.value == SENTENCE and app.screen is dialog
    assert acted(fake_service) == []


# -- type-ahead: keys typed while the dialog opens go to it, never to the screen beneath ---------------------


async def test_keys_typed_while_the_assign_panel_opens_go_to_its_filter(fake_service: FakeComptoir) -> None:
    app = make_app(fake_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for key in "acut":  # all at once, as a fast typist's keys arrive: c, u, t would claim, release,
            app.post_message(events.Key(key, key))  # take back on the list beneath
        await settle(pilot)
        assert isinstance(app.screen, AssignScreen)
        assert app.screen.query_one("#assign-filter", Input).value == "cut"
    assert acted(fake_service) == []


async def test_keys_typed_while_a_slow_detail_loads_go_to_the_no_action_dialog(fake_service: FakeComptoir) -> None:
    detail = fake_service.detail

    def slow_detail(conversation_id: int):
        time.sleep(0.4)  # a server far away: the agent types the reason before the dialog is up
        return detail(conversation_id)

    fake_service.detail = slow_detail  # type: ignore[method-assign]  # a slower stand-in, same answers
    app = make_app(fake_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("j", "n", *"duplicate of #12")  # d would mark the conversation done
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, DisposeDialog)
        assert dialog.query_one("#dispose-reason", Input).value == "duplicate of #12"
    assert acted(fake_service) == []


async def test_keys_typed_while_the_composer_opens_go_to_its_text(fake_service: FakeComptoir) -> None:
    detail = fake_service.detail

    def slow_detail(conversation_id: int):
        time.sleep(0.4)
        return detail(conversation_id)

    fake_service.detail = slow_detail  # type: ignore[method-assign]  # a slower stand-in, same answers
    app = make_app(fake_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("r", *"Dear customer, thanks")  # D, c, t, s would act on the list beneath
        await settle(pilot)
        assert isinstance(app.screen, ComposerScreen)
        assert app.screen.query_one("#composer-body", TextArea).text.startswith("Dear customer, thanks")
    assert acted(fake_service) == []


async def _typed_at_once(pilot, *keys: str) -> None:
    """Keys that arrive in one read of the terminal (a paste, a very fast typist, tmux send-keys): the
    app gets them all before any is handled, as the terminal driver posts them."""
    for key in keys:
        character = key if len(key) == 1 else None
        pilot.app.post_message(events.Key(key, character))
    await settle(pilot)
    await pilot.pause(0.3)
    await settle(pilot)


async def test_keys_typed_with_a_composer_key_wait_for_its_action(fake_service: FakeComptoir) -> None:
    """ctrl+g then y at once answers the question ctrl+g asks; ctrl+t then Enter inserts the saved
    reply; text typed before ctrl+s is in what is sent. Nothing lands in the text by mistake."""
    app = make_app(fake_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("j", "r")
        await settle(pilot)
        composer = app.screen
        assert isinstance(composer, ComposerScreen)
        await _typed_at_once(pilot, "ctrl+t", "enter")  # the picker opens, Enter takes the first reply
        body = composer.query_one(TextArea)
        first_reply = next(iter(fake_service.config.team(composer.detail.row.team).saved_replies.values()))
        assert body.text.startswith(first_reply), body.text[:60]
        await _typed_at_once(pilot, "ctrl+g", "y")  # "Drop this draft?" and its answer
        assert not isinstance(app.screen, ComposerScreen)
        assert fake_service.replies == []
        await pilot.press("r")
        await settle(pilot)
        assert "y" not in app.screen.query_one(TextArea).text.split("\n")[0]  # no stray answer kept
        await _typed_at_once(pilot, *"Sure", "ctrl+s")
    assert [r["body"].split("\n")[0] for r in fake_service.replies] == ["Sure"]
