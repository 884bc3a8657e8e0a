"""The one yes/no question every screen asks before an action that changes a colleague's work, many
conversations at once, or throws away what the user typed.

    y          confirms, whatever has focus
    n, Esc, q, ctrl+g   refuse
    Enter      presses the focused button

A destructive question (`destructive=True`) opens with focus on the safe button, so a stray Enter (or a
key typed ahead) never does it; a harmless one opens on the confirming button, so Enter is enough.
The title and body are rich `Text` built by the caller (mail-derived parts through tui.safe), never markup.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static

from tui import keys
from tui.screens.dialogs import Dialog


class ConfirmDialog(Dialog[bool]):
    """Dismisses with True (confirmed) or False (refused)."""

    BINDINGS = keys.bindings("confirm")

    def __init__(
        self,
        title: str,
        body: Text | str,
        yes_label: str = "Yes (y)",
        no_label: str = "No (n)",
        destructive: bool = False,
    ) -> None:
        super().__init__()
        self.title_text = title
        self.body = body if isinstance(body, Text) else Text(body)
        self.yes_label = yes_label
        self.no_label = no_label
        self.destructive = destructive

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="confirm-dialog"):
            yield Static(Text(self.title_text), classes="dialog-title")
            yield Static(self.body, classes="dialog-body", id="confirm-body")
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.yes_label, id="yes", variant="error" if self.destructive else "warning")
                yield Button(self.no_label, id="no")

    def on_mount(self) -> None:
        self.query_one("#no" if self.destructive else "#yes", Button).focus()

    @on(Button.Pressed, "#yes")
    def action_confirm(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#no")
    def action_close(self) -> None:
        self.dismiss(False)
