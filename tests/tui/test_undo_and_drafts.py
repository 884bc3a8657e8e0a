"""Confirm or undo, drafts and undo send in the real app (Pilot) over the fake service: t, x and vacation ask
first naming what changes, z undoes the last action or says why it cannot, a reply sent can be cancelled
with z and comes back in the composer, drafts are saved as you type and restored, quitting with a draft asks."""

from __future__ import annotations

import io
import time

from textual.widgets import TextArea

from core.work.views import DraftView
from tests.tui.conftest import SIZE, make_app, said, settle
from tests.tui.fake_service import FakeComptoir
from tui.screens import composer
from tui.screens.composer import DRAFT_SAVE_SECONDS, ComposerScreen
from tui.screens.confirm import ConfirmDialog
from tui.screens.main import MainScreen


def toasts(app) -> list[str]:
    return said(app)


def body_of(app) -> str:
    return str(app.screen.query_one("#confirm-body").render())


async def test_t_asks_naming_the_owner_and_z_gives_it_back(fake_service: FakeComptoir) -> None:
    fake_service.conversations[2].owner = "bob"
    app = make_app(fake_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        assert app.screen.title_text == "Take it back from Bob?"
        assert "Bob owns #2" in body_of(app)
        await pilot.press("enter")  # the safe button has focus: Enter leaves it
        await settle(pilot)
        assert fake_service.conversations[2].owner == "bob"
        await pilot.press("t", "y")
        await settle(pilot)
        assert fake_service.conversations[2].owner == "ann"
        assert any("z: undo" in t for t in toasts(app))
        await pilot.press("z")
        await settle(pilot)
        assert fake_service.conversations[2].owner == "bob"
        assert fake_service.undone


async def test_x_asks_before_changing_confidentiality(fake_service: FakeComptoir) -> None:
    app = make_app(fake_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        assert "readable again" in app.screen.title_text
        await pilot.press("n")
        await settle(pilot)
        assert fake_service.conversations[2].confidential is True
        assert [c for c in fake_service.calls if c[0] == "set_confidential"] == []
        await pilot.press("x", "y")
        await settle(pilot)
        assert fake_service.conversations[2].confidential is False
        await pilot.press("z")
        await settle(pilot)
        assert fake_service.conversations[2].confidential is True


async def test_vacation_asks_with_the_count_and_z_comes_back(fake_service: FakeComptoir) -> None:
    app = make_app(fake_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("p", "3")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        assert app.screen.title_text == "Go on vacation?"
        assert "2 conversations you own or that are personal to you go back" in body_of(app)
        await pilot.press("y")
        await settle(pilot)
        assert fake_service.presence["ann"] == "vacation"
        await pilot.press("z")
        await settle(pilot)
        assert fake_service.presence["ann"] == "available"


async def test_z_says_what_it_cannot_undo(fake_service: FakeComptoir) -> None:
    app = make_app(fake_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("z")
        await settle(pilot)
        assert "Nothing to undo." in toasts(app)
        await pilot.press("N")
        await settle(pilot)
        app.screen.query_one(TextArea).insert("call him back")
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("z")
        await settle(pilot)
        assert any(t.startswith("A note cannot be undone") for t in toasts(app))
        await pilot.press("c")
        await settle(pilot)
        app.last_action = type(app.last_action)(**{**app.last_action.__dict__, "until": time.monotonic() - 1})
        await pilot.press("z")
        await settle(pilot)
        assert any(t.startswith("Too late to undo claim") for t in toasts(app))
        assert [c for c in fake_service.calls if c[0] == "undo"] == []


async def test_a_sent_reply_is_cancelled_with_z_and_comes_back_intact(fake_service: FakeComptoir) -> None:
    app = make_app(fake_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("j", "r")
        await settle(pilot)
        app.screen.query_one(TextArea).insert("The part ships on Monday.")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        assert any("z: cancel the send" in t for t in toasts(app))
        await pilot.press("z")
        await settle(pilot)
        await settle(pilot)
        assert fake_service.replies == []
        assert isinstance(app.screen, ComposerScreen)
        assert app.screen.query_one(TextArea).text.startswith("The part ships on Monday.")


async def test_the_draft_is_saved_as_you_type_and_restored(fake_service: FakeComptoir, monkeypatch) -> None:
    # A longer quiet time than the app's, so a loaded test machine typing slowly still types "at once".
    quiet = DRAFT_SAVE_SECONDS * 4
    monkeypatch.setattr(composer, "DRAFT_SAVE_SECONDS", quiet)
    app = make_app(fake_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("j", "r")
        await settle(pilot)
        await pilot.press(*"Hello Marie")
        assert (1, "reply") not in fake_service.drafts  # debounced: not on every key
        await pilot.pause(quiet + 0.5)
        await settle(pilot)
        assert fake_service.drafts[(1, "reply")].body.startswith("Hello Marie")
        saves = [c for c in fake_service.calls if c[0] == "save_draft"]
        assert len(saves) == 1
    # A new session (the app was killed): the composer opens on the draft.
    app = make_app(fake_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("j", "r")
        await settle(pilot)
        assert app.screen.query_one(TextArea).text.startswith("Hello Marie")
        assert "your draft from" in str(app.screen.query_one("#composer-title").render())
        # Dropping it (asked first) removes the saved draft too.
        await pilot.press("ctrl+g", "y")
        await settle(pilot)
        assert (1, "reply") not in fake_service.drafts


async def test_quitting_with_a_draft_asks_and_saves_it(fake_service: FakeComptoir) -> None:
    app = make_app(fake_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("j", "r")
        await settle(pilot)
        await pilot.press(*"half a thought")
        await pilot.press("ctrl+q")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog) and app.screen.title_text == "Quit Comptoir?"
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, ComposerScreen)
        await pilot.press("ctrl+q", "y")
        await settle(pilot)
        await pilot.pause(0.2)
    assert app.return_code == 0
    assert fake_service.drafts[(1, "reply")].body.startswith("half a thought")


async def test_reply_from_the_conversation_view_opens_on_its_detail_and_restores_the_draft(
    fake_service: FakeComptoir, monkeypatch
) -> None:
    """`r` in the conversation view fetches only the draft (the view holds the detail), the saved
    reply picker reads the config the app holds, and keys typed at once wait for the draft: they
    land in the composer with it (at the top, where the cursor starts), never on the view beneath."""
    fake_service.drafts[(1, "reply")] = DraftView(
        conversation_id=1, kind="reply", body="Kept from before. ", to=(), cc=(), updated_at=fake_service.now()
    )
    fetched: list[str] = []
    for name in ("detail", "saved_replies"):
        real = getattr(fake_service, name)
        monkeypatch.setattr(
            fake_service, name, lambda *args, _real=real, _name=name: fetched.append(_name) or _real(*args)
        )
    app = make_app(fake_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("j", "enter")
        await settle(pilot)
        assert app.screen.__class__.__name__ == "ConversationScreen"
        fetched.clear()
        await pilot.press("r", *"and more")  # typed before the composer is up
        await settle(pilot)
        assert isinstance(app.screen, ComposerScreen)
        assert fetched == []  # no detail round trip: the view's own
        assert app.screen.query_one(TextArea).text.startswith("and moreKept from before. ")
        await pilot.press("ctrl+t")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert fetched == []  # saved replies from the config the app holds
        assert "Thank you, we are on it." in app.screen.query_one(TextArea).text


async def test_the_title_line_says_how_the_action_went_with_its_undo_key_at_80_columns(
    fake_service: FakeComptoir,
) -> None:
    from rich.console import Console

    from tui.widgets.top_bar import TopBar

    def title_line() -> str:
        bar = app.screen.query_one(TopBar)
        console = Console(width=bar.content_region.width, record=True, file=io.StringIO())
        console.print(bar.render())
        return console.export_text()

    app = make_app(fake_service)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert "Claim" not in title_line()
        await pilot.press("c")
        await settle(pilot)
        line = title_line()
        assert line.startswith("✓ Claim  (z: undo)"), line
        assert not app._notifications  # a title line, not a toast
        app._status_expired()  # what its timer does once the undo window has closed
        await settle(pilot)
        assert "undo" not in title_line() and "Comptoir" in title_line()
