"""The composer and the no-action dialog are built once and filled again for each conversation
(tui.screens.kept), in the real app (Pilot) over the fake service. What one conversation left behind
(text, undo history, Bcc, subject, files, a pending draft save, a typed reason) must never show in, or
be saved for, the next one, and a kept screen must look exactly as a new one would."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, OptionList, Static, TextArea

from tests.tui.conftest import SIZE, make_app, populated_service, settle
from tests.tui.fake_service import FakeComptoir
from tui.screens import composer
from tui.screens.composer import ComposerScreen
from tui.screens.dialogs import DisposeDialog
from tui.widgets.attach_field import AttachField


async def open_reply(pilot, *moves: str) -> ComposerScreen:
    """`r` on the list's conversation after these cursor moves."""
    await pilot.press(*moves, "r")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ComposerScreen)
    return screen


async def test_the_next_reply_gets_the_same_composer_with_nothing_of_the_last_one(
    fake_service: FakeComptoir, tmp_path: Path
) -> None:
    attachment = tmp_path / "invoice.pdf"
    attachment.write_bytes(b"%PDF-1.4 test")
    app = make_app(fake_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        first = await open_reply(pilot)
        first_id = first.detail.row.id
        await pilot.press(*"Words for the first customer")
        first.query_one("#composer-bcc", Input).value = "boss@example.com"
        first.query_one("#composer-subject", Input).value = "Changed subject"
        first.query_one(AttachField).paths.append(attachment)
        first.query_one(AttachField).show()
        await pilot.press("ctrl+g", "y")  # drop it (asked first: there is text)
        await settle(pilot)
        assert not isinstance(app.screen, ComposerScreen)

        # The workspace's config was reloaded with a smaller attachment limit meanwhile.
        workspace = fake_service.config.workspace
        fake_service.config = fake_service.config.model_copy(
            update={"workspace": workspace.model_copy(update={"attachment_limit_mb": 1})}
        )
        second = await open_reply(pilot, "j")
        assert second is first  # kept, not built again
        assert second.detail.row.id != first_id
        assert second.query_one(AttachField).limit_mb == 1
        body = second.query_one(TextArea)
        assert "Words for the first customer" not in body.text
        assert body.text == second._initial_body() and body.has_focus
        assert second.query_one("#composer-bcc", Input).value == ""
        assert second.query_one("#composer-subject", Input).value == second._reply_subject()
        assert second.query_one(AttachField).paths == []
        assert second.outgoing() == ([], None, [])
        await pilot.press("ctrl+z")  # the undo history is the new conversation's: nothing to undo
        await settle(pilot)
        assert body.text == second._initial_body()
        await pilot.press(*"Hello")
        await settle(pilot)
        assert body.text.startswith("Hello")


async def test_a_kept_composer_looks_exactly_as_a_new_one(fake_service: FakeComptoir) -> None:
    """The kept composer skips the restyle Textual does on every push; the screen must be the same."""

    async def screenshot(reuse: bool) -> str:
        app = make_app(populated_service())
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            if reuse:
                await open_reply(pilot, "k")
                await pilot.press("ctrl+g")
                await settle(pilot)
            second = await open_reply(pilot, "j")
            assert (second is app.get_screen("composer-reply")) is True
            await pilot.pause(0.1)
            await settle(pilot)
            return app.export_screenshot()

    assert await screenshot(reuse=True) == await screenshot(reuse=False)


async def test_a_save_pending_for_one_conversation_never_lands_on_the_next(
    fake_service: FakeComptoir, monkeypatch
) -> None:
    monkeypatch.setattr(composer, "DRAFT_SAVE_SECONDS", 0.3)
    app = make_app(fake_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        first = await open_reply(pilot)
        first_id = first.detail.row.id
        await pilot.press(*"Meant for the first one")
        await pilot.press("ctrl+s")  # sent before the draft's quiet time passed
        await settle(pilot)
        second = await open_reply(pilot, "j")
        assert second is first
        await pilot.pause(0.6)
        await settle(pilot)
        assert fake_service.drafts == {}  # neither a draft of the sent reply nor one for the next
        assert [r["id"] for r in fake_service.replies] == [first_id]
        await pilot.press(*"For the second")
        await pilot.pause(0.6)
        await settle(pilot)
        assert list(fake_service.drafts) == [(second.detail.row.id, "reply")]
        assert fake_service.drafts[(second.detail.row.id, "reply")].body.startswith("For the second")


async def test_the_no_action_dialog_is_kept_and_shows_only_the_next_conversation(fake_service: FakeComptoir) -> None:
    app = make_app(fake_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        subjects = []
        dialogs = []
        for moves in ((), ("j",)):
            await pilot.press(*moves, "n")
            await settle(pilot)
            dialog = app.screen
            assert isinstance(dialog, DisposeDialog) and dialog.pending
            summary = str(dialog.query_one("#dispose-summary", Static).render())
            assert dialog.field().has_focus and dialog.field().value == ""
            assert dialog.query_one(OptionList).highlighted == 0
            subjects.append((dialog.detail.row.subject, summary))
            dialogs.append(dialog)
            await pilot.press(*"left over")  # typed, then the dialog is cancelled
            await pilot.press("ctrl+g")
            await settle(pilot)
            assert not isinstance(app.screen, DisposeDialog)
        assert dialogs[0] is dialogs[1]  # kept, not built again
        (first, first_summary), (second, second_summary) = subjects
        assert first != second and first in first_summary and second in second_summary
        assert first not in second_summary
        second_id = dialogs[1].detail.row.id
        await pilot.press("n", "enter")  # the first ready-made reason, as a new dialog would
        await settle(pilot)
        reasons = {m.disposition_reason for m in fake_service.conversations[second_id].messages}
        assert "thank-you, nothing to answer" in reasons
