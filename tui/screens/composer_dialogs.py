"""The composer's own dialog: see what changed before resending (saved replies: tui/widgets/saved_reply_panel.py)."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Static

from core.work.views import ConversationDetail
from tui import keys
from tui.formatting import plural
from tui.safe import clean_line
from tui.screens.dialogs import Dialog
from tui.widgets.message_card import MessageCard


class ConflictDialog(Dialog[str]):
    """The conversation changed since the composer opened: show the new messages, then resend or edit."""

    BINDINGS = keys.bindings("conflict")

    def __init__(
        self, current: ConversationDetail, seen_message_ids: set[int], refusal: str, can_resend: bool = True
    ) -> None:
        super().__init__()
        self.current = current
        self.new_messages = [m for m in current.messages if m.id not in seen_message_ids]
        self.refusal = refusal
        self.can_resend = can_resend
        """False when the conversation is someone else's now: a resend would only be refused again."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="conflict-dialog"):
            yield Static(Text("Not sent: the conversation changed since you opened it"), classes="dialog-title")
            summary = Text(clean_line(self.refusal), style="yellow")
            read = "Read it" if len(self.new_messages) == 1 else "Read them"
            if self.can_resend:
                summary.append(f"\n{plural(len(self.new_messages), 'new message')} below. {read}, then resend or edit.")
            else:
                owner = clean_line(self.current.row.owner or "")
                summary.append(
                    f"\n{plural(len(self.new_messages), 'new message')} below. It is {owner}'s now, so it "
                    "cannot be sent as is: take it back first (t), or keep your draft with Edit first."
                )
            yield Static(summary, classes="dialog-body")
            with VerticalScroll(id="conflict-messages"):
                for message in self.new_messages:
                    yield MessageCard(message, self.app.zone)
            with Horizontal(classes="dialog-buttons"):
                if self.can_resend:
                    yield Button("Resend as is (y)", id="resend", variant="warning")
                yield Button("Edit first (e)", id="edit", variant="primary")
                yield Button("Cancel (q)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#conflict-messages").focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.can_resend if action == "resend" else True

    @on(Button.Pressed, "#resend")
    def action_resend(self) -> None:
        self.dismiss("resend")

    @on(Button.Pressed, "#edit")
    def action_edit(self) -> None:
        self.dismiss("edit")

    def action_close(self) -> None:
        self.dismiss("edit")
