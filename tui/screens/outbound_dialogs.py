"""Dialogs for forwarding, splitting, merging, undoing a merge or split from the history, and reminders."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, OptionList, Static
from textual.widgets.option_list import Option

from core.work.views import ConversationDetail, ConversationRow, EventView, MessageView
from tui.formatting import full_time, plural
from tui.safe import clean_line
from tui.screens.dialogs import Dialog


def _message_label(m: MessageView, zone) -> Text:
    arrow = {"inbound": "←", "outbound": "→"}.get(m.direction, "·")
    first = next((line for line in m.text.splitlines() if line.strip()), "")
    text = Text(f"{arrow} {m.id}  {full_time(m.received_at, zone)}  ")
    text.append(clean_line(m.from_name or m.from_addr)[:30], style="bold")
    if m.attachments:
        text.append(f"  [{plural(len(m.attachments), 'file')}]", style="cyan")
    text.append("  " + clean_line(first)[:36], style="dim")
    return text


class PickMessageDialog(Dialog[int]):
    """Choose one message of a conversation (newest first); answers its id."""

    def __init__(self, title: str, messages: list[MessageView], zone=None) -> None:
        super().__init__()
        self.title_text = title
        self.messages = list(reversed(messages))
        self.zone = zone

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="pick-message-dialog"):
            yield Static(Text(self.title_text), classes="dialog-title")
            yield OptionList(
                *[Option(_message_label(m, self.zone), id=str(m.id)) for m in self.messages], id="message-choices"
            )
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel (q)", id="cancel")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected)
    def pick(self, message: OptionList.OptionSelected) -> None:
        self.dismiss(int(message.option.id or 0))


class MergeDialog(Dialog[int]):
    """Pick another conversation of the same customer to move into this one (or type its number)."""

    def __init__(self, detail: ConversationDetail, candidates: list[ConversationRow]) -> None:
        super().__init__()
        self.detail = detail
        self.candidates = candidates

    def compose(self) -> ComposeResult:
        row = self.detail.row
        with Vertical(classes="dialog", id="merge-dialog"):
            title = Text(f"Merge into #{row.id} ")
            title.append(clean_line(row.subject)[:50], style="bold")
            yield Static(title, classes="dialog-title")
            body = Text(
                "Its messages, notes and history move here; the other closes. Undo from the history (H).", style="dim"
            )
            yield Static(body, classes="dialog-body")
            if self.candidates:
                yield OptionList(*[Option(self._label(c), id=str(c.id)) for c in self.candidates], id="merge-choices")
            else:
                yield Static(
                    Text(f"No other conversation of {clean_line(row.customer_address)} found.", style="italic")
                )
            yield Input(placeholder="or the number of the conversation to merge in, then Enter", id="merge-number")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel (ctrl+g)", id="cancel")

    @staticmethod
    def _label(c: ConversationRow) -> Text:
        text = Text(f"#{c.id}  ")
        text.append(clean_line(c.subject)[:50], style="bold")
        text.append(
            f"  {c.state}  {plural(c.message_count, 'message')}  owner {clean_line(c.owner or '—')}", style="dim"
        )
        return text

    def on_mount(self) -> None:
        if self.candidates:
            self.query_one(OptionList).focus()
        else:
            self.query_one(Input).focus()

    @on(OptionList.OptionSelected)
    def pick(self, message: OptionList.OptionSelected) -> None:
        self.dismiss(int(message.option.id or 0))

    @on(Input.Submitted)
    def typed(self, message: Input.Submitted) -> None:
        value = message.value.strip().lstrip("#")
        if not value.isdigit() or int(value) == self.detail.row.id:
            self.app.notify("Type the number of another conversation (e.g. 42).", severity="warning")
            return
        self.dismiss(int(value))


class UndoHistoryDialog(Dialog[int]):
    """The merges and splits of this conversation that can still be undone; answers the event id."""

    def __init__(self, events: list[EventView], zone=None) -> None:
        super().__init__()
        self.events = list(reversed(events))
        self.zone = zone

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="undo-dialog"):
            yield Static(Text("Undo a merge or a split"), classes="dialog-title")
            if self.events:
                yield OptionList(*[Option(self._label(e), id=str(e.id)) for e in self.events], id="undo-choices")
            else:
                yield Static(
                    Text(
                        "Nothing in this conversation's history can be undone here: only merges and "
                        "splits whose messages have not moved since.",
                        style="italic",
                    )
                )
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel (q)", id="cancel")

    def _label(self, e: EventView) -> Text:
        text = Text(f"{e.undo}  ", style="bold yellow")
        text.append(f"{full_time(e.at, self.zone)}  ", style="dim")
        text.append(clean_line(e.text)[:200])
        return text

    def on_mount(self) -> None:
        if self.events:
            self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected)
    def pick(self, message: OptionList.OptionSelected) -> None:
        self.dismiss(int(message.option.id or 0))


def moment(text: str, now: datetime) -> datetime | None:
    """A duration from now (90m, 2h, 3d) or an ISO time (UTC unless it says otherwise); None when neither."""

    from core.durations import parse_duration

    try:
        return now + parse_duration(text)
    except ValueError:
        pass
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        return None
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(UTC)


class RemindDialog(Dialog[tuple[datetime, str]]):
    """When (a duration such as 90m, 2h, 3d, or a time such as 2026-12-01T09:00) and what about."""

    def __init__(self, now: datetime, zone=None) -> None:
        super().__init__()
        self.now = now
        self.zone = zone

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="remind-dialog"):
            yield Static(Text("Remind me about this conversation"), classes="dialog-title")
            yield Static(Text("When: a duration (90m, 2h, 3d) or a time (2026-12-01T09:00, UTC).", style="dim"))
            yield Input("1h", id="remind-when")
            yield Static(Text("About (optional), then Enter:", style="dim"))
            yield Input(placeholder="call the customer back", id="remind-text")
            yield Static(Text(""), id="remind-error", classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Remind me", id="remind", variant="primary")
                yield Button("Cancel (ctrl+g)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#remind-when", Input).focus()

    @on(Input.Submitted, "#remind-when")
    def next_box(self) -> None:
        self.query_one("#remind-text", Input).focus()

    @on(Input.Submitted, "#remind-text")
    @on(Button.Pressed, "#remind")
    def remind(self) -> None:
        when = self.query_one("#remind-when", Input).value.strip()
        at = moment(when, self.now)
        if at is None:
            self.query_one("#remind-error", Static).update(
                Text(f"{when!r} is neither a duration (2h, 3d) nor a time (2026-12-01T09:00)", style="bold red")
            )
            return
        if at <= self.now:
            self.query_one("#remind-error", Static).update(Text("Choose a time in the future.", style="bold red"))
            return
        self.dismiss((at, self.query_one("#remind-text", Input).value.strip()))
