"""Small modal dialogs (the yes/no one is tui.screens.confirm): snooze, no action needed, presence, save an attachment.

Every dialog closes with q (when no text box has focus), ctrl+g, Esc, or its Cancel button:
bare Esc is never the only way out, because tmux delays it. A dialog with a text field opens with
focus in it, and what is typed there stays text: the dialog's letter and digit keys (tui.keys) act
only outside the field; ↑/↓ in the field move through the choices beside it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Generic, TypeVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, OptionList, Static
from textual.widgets.option_list import Option

from core.durations import parse_duration
from core.work.views import AttachmentView, ConversationDetail
from tui import keys
from tui.formatting import full_time, plural
from tui.safe import clean_line, plain
from tui.screens.base import ComptoirModal
from tui.screens.kept import KeptScreen
from tui.widgets.message_card import human_size

Result = TypeVar("Result")


class Dialog(ComptoirModal[Result], Generic[Result]):
    """A centred box; q / ctrl+g / Esc / Cancel dismiss it with None."""

    BINDINGS = keys.bindings("dialog")

    def action_close(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#cancel")
    def cancel(self) -> None:
        self.dismiss(None)


class ChoicesWithField(Dialog[Result], Generic[Result]):
    """A list of ready-made choices under a text field that has focus: ↑/↓ in the field move the
    highlight, Enter on an empty field takes the highlighted choice, a lone digit takes that choice."""

    FIELD = ""
    """The id of the text field."""

    def field(self) -> Input:
        return self.query_one(f"#{self.FIELD}", Input)

    def key_down(self) -> None:
        if self.field().has_focus:
            self.query_one(OptionList).action_cursor_down()

    def key_up(self) -> None:
        if self.field().has_focus:
            self.query_one(OptionList).action_cursor_up()

    def chosen_index(self, typed: str) -> int | None:
        """The choice Enter takes: the highlighted one on an empty field, 'n' for the n-th, else None."""
        options = self.query_one(OptionList)
        if not typed.strip():
            return options.highlighted if options.highlighted is not None else 0
        if typed.strip().isdigit() and 1 <= int(typed.strip()) <= options.option_count:
            return int(typed.strip()) - 1
        return None


class SnoozeDialog(ChoicesWithField[datetime]):
    """Pick when the conversation comes back: type a duration such as 90m or 2d, or take a preset."""

    BINDINGS = keys.bindings("snooze")
    FIELD = "snooze-duration"

    def __init__(self, now: datetime, zone=None) -> None:
        super().__init__()
        self.now = now
        self.zone = zone
        local = now.astimezone(zone) if zone else now
        tomorrow = (local + timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
        monday = (local + timedelta(days=7 - local.weekday())).replace(hour=9, minute=0, second=0, microsecond=0)
        self.presets = [
            ("1 hour", now + timedelta(hours=1)),
            ("4 hours", now + timedelta(hours=4)),
            ("Tomorrow 09:00", tomorrow),
            ("Next Monday 09:00", monday),
        ]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="snooze-dialog"):
            yield Static(Text("Snooze until…"), classes="dialog-title")
            yield Input(placeholder="how long: 90m, 2h, 3d — or ↑↓ and Enter for a preset", id="snooze-duration")
            yield Static(Text(""), id="snooze-error", classes="dialog-error")
            yield OptionList(
                *[
                    Option(Text(f"{n}  {label}  ({full_time(at, self.zone)})"), id=str(n - 1))
                    for n, (label, at) in enumerate(self.presets, start=1)
                ],
                id="snooze-presets",
            )
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel (ctrl+g)", id="cancel")

    def on_mount(self) -> None:
        self.field().focus()

    def action_preset(self, index: int) -> None:
        self.dismiss(self.presets[index][1])

    @on(OptionList.OptionSelected)
    def pick(self, message: OptionList.OptionSelected) -> None:
        self.action_preset(int(message.option.id or 0))

    @on(Input.Changed, "#snooze-duration")
    def preview(self, message: Input.Changed) -> None:
        """Say when a typed duration ends, in the same words the presets and the toast use."""
        text = Text("")
        if message.value.strip() and self.chosen_index(message.value) is None:
            try:
                text = Text(f"until {full_time(self.now + parse_duration(message.value), self.zone)}", style="bold")
            except ValueError:
                text = Text("a duration such as 90m, 2h, 1h30m or 3d", style="dim")
        self.query_one("#snooze-error", Static).update(text)

    @on(Input.Submitted, "#snooze-duration")
    def custom(self, message: Input.Submitted) -> None:
        index = self.chosen_index(message.value)
        if index is not None:
            self.action_preset(index)
            return
        try:
            delta = parse_duration(message.value)
        except ValueError as error:
            self.query_one("#snooze-error", Static).update(Text(str(error), style="bold red"))
            return
        self.dismiss(self.now + delta)


DISPOSE_REASONS = ("thank-you, nothing to answer", "automatic reply", "spam", "answered another way")


class DisposeDialog(KeptScreen, ChoicesWithField[str]):
    """'No action needed' for every pending inbound message: type a reason, or take a ready-made one.

    Opened for nearly every conversation of a queue, so the app keeps one (tui.screens.kept) for
    conversations with pending mail; one without gets a dialog of its own that says so."""

    BINDINGS = keys.bindings("dispose")
    FIELD = "dispose-reason"
    KEPT_NAME = "dispose"

    def __init__(self, detail: ConversationDetail) -> None:
        super().__init__()
        self.detail = detail
        self.pending = detail.pending

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="dispose-dialog"):
            yield Static(Text("No action needed"), classes="dialog-title")
            yield Static(self._summary(), classes="dialog-body", id="dispose-summary")
            if self.pending:
                yield Input(placeholder="the reason — or ↑↓ and Enter for a ready-made one", id="dispose-reason")
                yield OptionList(
                    *[Option(Text(f"{n}  {reason}"), id=str(n - 1)) for n, reason in enumerate(DISPOSE_REASONS, 1)],
                    id="dispose-reasons",
                )
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel (ctrl+g)", id="cancel")

    def _summary(self) -> Text:
        summary = Text()
        if not self.pending:
            summary.append("Nothing is pending in this conversation.", style="dim")
            return summary
        summary.append(f"{plural(len(self.pending), 'pending message')} of ")
        summary.append(clean_line(self.detail.row.subject), style="bold")
        summary.append(" will be marked worked out:\n")
        for message in self.pending:
            first_line = next((line for line in message.text.splitlines() if line.strip()), "")
            summary.append(f"  • {clean_line(message.from_name or message.from_addr)}: ", style="bold")
            summary.append(clean_line(first_line)[:70] + "\n")
        return summary

    def on_mount(self) -> None:
        if self.pending:
            self.field().focus()
        else:
            self.query_one("#cancel", Button).focus()

    def load(self, detail: ConversationDetail) -> None:
        """The next conversation's pending mail, an empty reason, the first ready-made one highlighted."""
        self.detail = detail
        self.pending = detail.pending
        self.query_one("#dispose-summary", Static).update(self._summary())
        with self.prevent(Input.Changed):
            self.field().value = ""
        self.query_one(OptionList).highlighted = 0
        self.field().focus()

    def action_reason(self, index: int) -> None:
        if self.pending:
            self.dismiss(DISPOSE_REASONS[index])

    @on(OptionList.OptionSelected)
    def pick(self, message: OptionList.OptionSelected) -> None:
        self.action_reason(int(message.option.id or 0))

    @on(Input.Submitted, "#dispose-reason")
    def typed(self, message: Input.Submitted) -> None:
        index = self.chosen_index(message.value)
        if index is not None:
            self.action_reason(index)
        else:
            self.dismiss(message.value.strip())


PRESENCE_CHOICES = (
    ("available", "Available: routing may give me mail"),
    ("away", "Away: short break, my windows pass to the team"),
    ("vacation", "Vacation: nothing is routed to me"),
)


class PresenceDialog(Dialog[str]):
    """Set my presence: available, away or vacation."""

    BINDINGS = keys.bindings("presence")

    def __init__(self, current: str) -> None:
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="presence-dialog"):
            yield Static(Text(f"My presence (now: {self.current})"), classes="dialog-title")
            yield OptionList(
                *[Option(Text(f"{n}  {text}"), id=status) for n, (status, text) in enumerate(PRESENCE_CHOICES, 1)],
                id="presence-choices",
            )
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel (q)", id="cancel")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def action_choose(self, index: int) -> None:
        self.dismiss(PRESENCE_CHOICES[index][0])

    @on(OptionList.OptionSelected)
    def pick(self, message: OptionList.OptionSelected) -> None:
        self.dismiss(message.option.id)


def safe_file_name(name: str) -> str:
    """A file name that cannot climb directories or hide its extension."""
    cleaned = clean_line(name).replace("/", "_").replace("\\", "_").lstrip(".").strip()
    return cleaned or "attachment"


class SaveAttachmentDialog(Dialog[tuple[int, Path]]):
    """Pick an attachment and where to save it; Enter in the path box saves."""

    def __init__(self, attachments: list[AttachmentView], folder: Path | None = None) -> None:
        super().__init__()
        self.attachments = attachments
        downloads = Path.home() / "Downloads"
        self.folder = folder or (downloads if downloads.is_dir() else Path.cwd())

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="save-dialog"):
            yield Static(Text("Save an attachment"), classes="dialog-title")
            yield OptionList(
                *[
                    Option(plain(f"{a.filename}  ({human_size(a.size)}, {a.content_type})"), id=str(a.id))
                    for a in self.attachments
                ],
                id="attachment-choices",
            )
            yield Static(Text("Save to (Enter saves):"))
            yield Input(self._default_path(self.attachments[0]), id="save-path")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save", id="save", variant="primary")
                yield Button("Cancel (ctrl+g)", id="cancel")

    def _default_path(self, attachment: AttachmentView) -> str:
        return str(self.folder / safe_file_name(attachment.filename))

    def on_mount(self) -> None:
        self.query_one("#save-path", Input).focus()

    @on(OptionList.OptionHighlighted)
    def suggest_path(self, message: OptionList.OptionHighlighted) -> None:
        chosen = next(a for a in self.attachments if str(a.id) == message.option.id)
        self.query_one("#save-path", Input).value = self._default_path(chosen)

    @on(Input.Submitted)
    @on(Button.Pressed, "#save")
    def save(self) -> None:
        options = self.query_one(OptionList)
        index = options.highlighted or 0
        attachment = self.attachments[index]
        typed = self.query_one("#save-path", Input).value.strip()
        if not typed:
            # Path("") is the working directory: an empty box must not save there without being asked.
            self.app.notify(
                f"Say where to save it: a file name, or a folder such as {self.folder}.",
                title="Not saved",
                severity="warning",
                markup=False,
            )
            self.query_one("#save-path", Input).focus()
            return
        self.dismiss((attachment.id, Path(typed).expanduser()))
