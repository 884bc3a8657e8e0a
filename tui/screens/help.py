"""The `?` cheat sheet, built from the key registry with the user's keymap applied."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Static

from tui import keys
from tui.screens.dialogs import Dialog
from tui.widgets.columns import LOCK

LEGEND = (
    ("Due", "time left in the current window; red when past, yellow within 15 minutes"),
    ("State excl", "an agent has it alone (exclusive window)"),
    ("Owner me*", "exclusive to you, not yet claimed; @team: unclaimed in that team"),
    ("Rpl CC", "CC'd people or a list will read a reply; · means private to the customer"),
    (LOCK, "confidential: owner, its team and supervisors only"),
    ("Others ✎ ◉", "colleagues replying (✎) or viewing (◉) right now"),
)


def help_table(keymap: dict[str, str]) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(justify="right", style="bold cyan", no_wrap=True)
    table.add_column()
    for group, entries in keys.specs_for_help(keymap):
        table.add_row(Text(""), Text(group, style="bold underline"))
        for key_names, description in entries:
            table.add_row(Text(key_names), Text(description))
        table.add_row(Text(""), Text(""))
    table.add_row(Text(""), Text("List legend", style="bold underline"))
    for label, meaning in LEGEND:
        table.add_row(Text(label), Text(meaning))
    return table


class HelpScreen(Dialog[None]):
    """Every key, grouped, as remapped by the workspace keymap."""

    BINDINGS = keys.bindings("help")

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="help-dialog"):
            yield Static(Text("Keys — every action also sits in the command palette (ctrl+p)"), classes="dialog-title")
            with VerticalScroll(id="help-scroll"):
                yield Static(help_table(self.app.keymap))
            with Horizontal(classes="dialog-buttons"):
                yield Button("Close (q)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#help-scroll").focus()

    def action_scroll_down(self) -> None:
        self.query_one("#help-scroll", VerticalScroll).scroll_down(animate=False)

    def action_scroll_up(self) -> None:
        self.query_one("#help-scroll", VerticalScroll).scroll_up(animate=False)

    def action_scroll_top(self) -> None:
        self.query_one("#help-scroll", VerticalScroll).scroll_home(animate=False)

    def action_scroll_bottom(self) -> None:
        self.query_one("#help-scroll", VerticalScroll).scroll_end(animate=False)
