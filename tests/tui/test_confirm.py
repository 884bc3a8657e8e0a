"""The shared yes/no dialog: y confirms, n / Esc refuse, Enter presses the focused button, and a
destructive question opens on the safe button so a stray Enter never does it."""

from __future__ import annotations

import pytest
from rich.text import Text
from textual.app import App

from tui.screens.confirm import ConfirmDialog


class Host(App):
    def __init__(self, dialog: ConfirmDialog) -> None:
        super().__init__()
        self.dialog = dialog
        self.answers: list[bool | None] = []

    def on_mount(self) -> None:
        self.push_screen(self.dialog, self.answers.append)


@pytest.mark.parametrize(
    ("destructive", "keys", "answer"),
    [
        (False, ("y",), True),
        (True, ("y",), True),
        (False, ("n",), False),
        (True, ("escape",), False),
        (False, ("enter",), True),   # harmless: Enter confirms
        (True, ("enter",), False),   # destructive: Enter lands on the safe button
        (True, ("tab", "enter"), True),
    ],
)
async def test_confirm_keys(destructive: bool, keys: tuple[str, ...], answer: bool) -> None:
    app = Host(ConfirmDialog("Go on vacation?", Text("12 conversations go back to their teams."),
                             destructive=destructive))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press(*keys)
        await pilot.pause()
        assert app.answers == [answer]
        assert not isinstance(app.screen, ConfirmDialog)


async def test_body_is_shown_as_text_not_markup() -> None:
    app = Host(ConfirmDialog("Take it back?", "[bold]Sophie[/bold] owns it"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert "[bold]Sophie[/bold]" in str(app.screen.query_one("#confirm-body").render())
