"""The shared yes/no dialog: y confirms, n / Esc refuse, Enter presses the focused button, and a
destructive question opens on the safe button so a stray Enter never does it."""

from __future__ import annotations

import pytest
from rich.text import Text

from tests.tui.conftest import settle
from tests.tui.fake_service import populated_service
from tui.app import ComptoirApp
from tui.screens.confirm import ConfirmDialog


class Host(ComptoirApp):
    """The real app (dialogs are typed to it) with the question pushed over its first screen."""

    def __init__(self, dialog: ConfirmDialog) -> None:
        super().__init__(populated_service(), watch_changes=False, heartbeat_seconds=None)
        self.dialog = dialog
        self.answers: list[bool | None] = []

    def ask(self) -> None:
        self.push_screen(self.dialog, self.answers.append)


@pytest.mark.parametrize(
    ("destructive", "keys", "answer"),
    [
        (False, ("y",), True),
        (True, ("y",), True),
        (False, ("n",), False),
        (True, ("escape",), False),
        (False, ("q",), False),  # q and ctrl+g refuse too (the Dialog base's keys)
        (False, ("ctrl+g",), False),
        (False, ("enter",), True),  # harmless: Enter confirms
        (True, ("enter",), False),  # destructive: Enter lands on the safe button
        (True, ("tab", "enter"), True),
    ],
)
async def test_confirm_keys(destructive: bool, keys: tuple[str, ...], answer: bool) -> None:
    app = Host(
        ConfirmDialog("Go on vacation?", Text("12 conversations go back to their teams."), destructive=destructive)
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.ask()
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press(*keys)
        await pilot.pause()
        assert app.answers == [answer]
        assert not isinstance(app.screen, ConfirmDialog)


async def test_body_is_shown_as_text_not_markup() -> None:
    app = Host(ConfirmDialog("Take it back?", "[bold]Sophie[/bold] owns it"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.ask()
        await settle(pilot)
        assert "[bold]Sophie[/bold]" in str(app.screen.query_one("#confirm-body").render())
