"""The saved-reply picker, inside the composer rather than a dialog over it.

Pushing a modal screen redrew the whole composer beneath it twice (open and close), the bulk of
ctrl+t's cost on every reply; this panel is mounted once, on the first ctrl+t, and only shown or
hidden after that. Its keys are the old dialog's: ↑/↓ move, Enter inserts, q / ctrl+g / Esc close.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tui import keys
from tui.safe import clean_line


class SavedChoices(OptionList):
    """The list, holding every key while it has the focus.

    The composer's keys are bound here to do nothing but close (bound first, so ctrl+g is its Cancel):
    same keys, labels and actions as the composer's, so the footer stays as it is (it is not rebuilt on
    every ctrl+t and Enter). Printable keys are the picker's too (as in a text field): the app's own
    letter keys (A, ?) wait until it closes. q / Esc / ctrl+g close it.
    """

    BINDINGS = [*keys.bindings("composer"), *keys.bindings("dialog")]

    def check_consume_key(self, key: str, character: str | None = None) -> bool:
        return character is not None and character.isprintable()

    def action_close(self) -> None:
        self.post_message(SavedReplyPanel.Closed())

    def action_cancel(self) -> None:
        self.action_close()

    def action_send(self) -> None:
        """Not while picking (the composer's ctrl+s)."""

    def action_external_editor(self) -> None:
        """Not while picking (the composer's ctrl+o)."""

    def action_saved_reply(self) -> None:
        """Already open (the composer's ctrl+t)."""


class SavedReplyPanel(Vertical):
    """The team's saved replies, shown with `show`; Enter posts Chosen, the close keys post Closed."""

    @dataclass
    class Chosen(Message):
        body: str

    class Closed(Message):
        pass

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.replies: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        yield Static(Text("Insert a saved reply   Enter: insert   Esc: close"), classes="saved-title")
        yield SavedChoices(id="saved-choices")

    def show(self, replies: dict[str, str]) -> None:
        """Show these replies (the list is rebuilt only when they changed) and give the list the focus."""
        choices = self.query_one(OptionList)
        if replies != self.replies:
            self.replies = dict(replies)
            choices.set_options(self._option(name, body) for name, body in replies.items())
            choices.highlighted = 0
        self.display = True
        choices.focus()

    @staticmethod
    def _option(name: str, body: str) -> Option:
        prompt = Text(no_wrap=True, overflow="ellipsis")
        prompt.append(f"{clean_line(name):<14}", style="bold")
        prompt.append(clean_line(body), style="dim")
        return Option(prompt, id=name)

    @on(OptionList.OptionSelected)
    def pick(self, message: OptionList.OptionSelected) -> None:
        message.stop()
        name = message.option.id
        if name is not None and name in self.replies:
            self.post_message(self.Chosen(self.replies[name]))
