"""The `why` dialog: the routing reasons, the escalation ladder with its times, and the history."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Static

from tui import keys
from tui.messages import WhyLoaded
from tui.safe import clean_line
from tui.screens.dialogs import Dialog
from tui.widgets.routing_panel import routing_text


class WhyScreen(Dialog[None]):
    """Why a conversation is where it is; w closes it again."""

    BINDINGS = keys.bindings("why")

    def __init__(self, conversation_id: int) -> None:
        super().__init__()
        self.conversation_id = conversation_id

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="why-dialog"):
            yield Static(Text("Why is it here?"), classes="dialog-title", id="why-title")
            with VerticalScroll(id="why-scroll"):
                yield Static(Text("Loading…"), id="why-body")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Close (q)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#why-scroll").focus()
        self.load_why()

    def action_scroll(self, where: str) -> None:
        scroll = self.query_one("#why-scroll", VerticalScroll)
        {"down": scroll.scroll_down, "up": scroll.scroll_up, "home": scroll.scroll_home, "end": scroll.scroll_end}[
            where
        ](animate=False)

    @work(thread=True, exit_on_error=False, group="why", exclusive=True)
    def load_why(self) -> None:
        self.post_message(WhyLoaded(self.app.service.why(self.conversation_id)))

    @on(WhyLoaded)
    def show_why(self, message: WhyLoaded) -> None:
        message.stop()
        why = message.why
        title = Text("Why is it here? ")
        title.append(clean_line(why.subject), style="bold")
        self.query_one("#why-title", Static).update(title)
        self.query_one("#why-body", Static).update(
            routing_text(why.reasons, why.ladder, why.events, self.app.now(), self.app.zone, event_limit=30)
        )
