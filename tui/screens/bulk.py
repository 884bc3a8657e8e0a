"""Marking and bulk actions: the dialogs that gather what a bulk action needs, and its summary.

The app runs a bulk action one conversation at a time (core: one transaction each), so one refusal
never undoes the others; the summary names each failure and why, and those stay marked for a retry.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, OptionList, Static
from textual.widgets.option_list import Option

from core.work.views import ActionResult, ConversationRow
from tui.formatting import plural
from tui.safe import clean_line
from tui.screens.assign import AssignScreen
from tui.screens.confirm import ConfirmDialog
from tui.screens.dialogs import DISPOSE_REASONS, Dialog


class OneConversation:
    """The service as a single-conversation dialog's call sees it, with the conversation id replaced:
    lets the assign dialog's chosen action (`lambda s: s.assign(cid, ...)`) be replayed on each marked one."""

    def __init__(self, service, conversation_id: int) -> None:
        self._service = service
        self._conversation_id = conversation_id

    def __getattr__(self, name: str):
        method = getattr(self._service, name)

        def call(_conversation_id: int, *args, **kwargs):
            return method(self._conversation_id, *args, **kwargs)

        return call


class BulkAssignScreen(AssignScreen):
    """The assign dialog for marked conversations: the action chosen in it runs on each, after a confirmation."""

    def __init__(self, conversation_ids: list[int]) -> None:
        super().__init__(conversation_ids[0], None)
        self.conversation_ids = list(conversation_ids)

    def _ownership(self) -> Text:
        return Text(
            f"{plural(len(self.conversation_ids), 'marked conversation')}: "
            "what you pick here applies to each (you confirm first)",
            style="bold yellow",
        )

    def _act(self, label: str, call) -> None:
        self.dismiss(None)
        self.app.act_many(
            label,
            self.conversation_ids,
            lambda service, cid: call(OneConversation(service, cid)),
        )


def confirm_bulk(label: str, conversation_ids: Sequence[int], what: str = "") -> ConfirmDialog:
    """'Claim 12 conversations?': every bulk action asks first, naming the count and the conversations."""
    count = len(conversation_ids)
    shown = ", ".join(f"#{cid}" for cid in conversation_ids[:8])
    more = f" and {count - 8} more" if count > 8 else ""
    body = Text()
    if what:
        body.append(f"{what[:1].upper()}{what[1:]}.\n", style="bold")
    body.append(f"{shown}{more}.\n")
    body.append("Each one is done on its own; a summary says which failed and why.", style="dim")
    return ConfirmDialog(
        f"{label}: {plural(count, 'conversation')}?", body, yes_label=f"{label} {count} (y)", no_label="Cancel (n)"
    )


class BulkSummaryDialog(Dialog[None]):
    """What a bulk action did: how many succeeded, and each failure with its reason."""

    def __init__(self, label: str, results: Sequence[tuple[int, ActionResult]]) -> None:
        super().__init__()
        self.label = label
        self.results = list(results)

    def compose(self) -> ComposeResult:
        failed = [(cid, r) for cid, r in self.results if not r.ok]
        done = len(self.results) - len(failed)
        with Vertical(classes="dialog", id="bulk-summary"):
            yield Static(
                Text(f"{self.label}: {done} of {plural(len(self.results), 'conversation')} done"),
                classes="dialog-title",
            )
            body = Text()
            body.append(f"{plural(len(failed), 'conversation')} failed and stay marked:\n", style="bold yellow")
            for cid, result in failed:
                said = clean_line(result.message)
                # Most refusals name their conversation first already.
                body.append("  • " if said.startswith(f"#{cid}") else f"  • #{cid}: ", style="bold")
                body.append(said + "\n")
            with VerticalScroll(id="bulk-failures"):
                yield Static(body, classes="dialog-body")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Close (q)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()


class TextPromptDialog(Dialog[str]):
    """One line of text: Enter gives it, q is typed into the field (ctrl+g / Esc / Cancel close)."""

    def __init__(
        self, title: str, placeholder: str, hint: str = "", value: str = "", dialog_id: str = "prompt"
    ) -> None:
        super().__init__()
        self.title_text = title
        self.placeholder = placeholder
        self.hint = hint
        self.value = value
        self.dialog_id = dialog_id

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id=self.dialog_id):
            yield Static(Text(self.title_text), classes="dialog-title")
            yield Input(value=self.value, placeholder=self.placeholder, id="prompt-input")
            yield Static(Text(self.hint, style="dim"), classes="dialog-hint")
            yield Static(Text(""), id="prompt-error", classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel (ctrl+g)", id="cancel")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def show_error(self, text: str) -> None:
        self.query_one("#prompt-error", Static).update(Text(text))

    @on(Input.Submitted)
    def submitted(self, message: Input.Submitted) -> None:
        value = message.value.strip()
        if not value:
            self.show_error("Type something, or ctrl+g to cancel.")
            return
        self.dismiss(value)


class BulkReasonDialog(Dialog[str]):
    """Why no action is needed for many conversations at once: a reason (1-4) or a typed one."""

    BINDINGS = [Binding(str(n), f"reason({n - 1})", show=False) for n in range(1, len(DISPOSE_REASONS) + 1)]

    def __init__(self, title: str, reasons: Sequence[str] = DISPOSE_REASONS) -> None:
        super().__init__()
        self.title_text = title
        self.reasons = tuple(reasons)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="bulk-reason"):
            yield Static(Text(self.title_text), classes="dialog-title")
            yield OptionList(
                *[Option(Text(f"{n}  {reason}"), id=str(n - 1)) for n, reason in enumerate(self.reasons, 1)],
                id="bulk-reasons",
            )
            yield Input(placeholder="or type a reason, then Enter", id="bulk-reason-input")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel (q)", id="cancel")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def action_reason(self, index: int) -> None:
        self.dismiss(self.reasons[index])

    @on(OptionList.OptionSelected)
    def pick(self, message: OptionList.OptionSelected) -> None:
        self.action_reason(int(message.option.id or 0))

    @on(Input.Submitted)
    def typed(self, message: Input.Submitted) -> None:
        if message.value.strip():
            self.dismiss(message.value.strip())


class TagDialog(Dialog[tuple[tuple[str, ...], tuple[str, ...]]]):
    """Pick a tag (1-9, or Enter on it): it is added where it is missing, or removed when every
    conversation concerned has it. Gives (added, removed)."""

    BINDINGS = [Binding(str(n), f"toggle({n - 1})", show=False) for n in range(1, 10)]

    def __init__(self, tags: Sequence, rows: Sequence[ConversationRow], count: int) -> None:
        super().__init__()
        self.tags = list(tags)
        """The config's TagConfig entries."""
        self.rows = list(rows)
        self.count = count

    def _carrying(self, name: str) -> int:
        return sum(1 for row in self.rows if name in row.tags)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="tag-dialog"):
            about = (
                plural(self.count, "conversation")
                if self.count != 1
                else (f"#{self.rows[0].id} " + clean_line(self.rows[0].subject) if self.rows else "this conversation")
            )
            yield Static(Text(f"Tags: {about}"), classes="dialog-title")
            if not self.tags:
                yield Static(
                    Text(
                        "No tags are configured: an admin adds them to comptoir.toml as [[tags]] "
                        "(name, colour, description).",
                        style="dim",
                    ),
                    classes="dialog-body",
                )
            else:
                yield OptionList(
                    *[Option(self._prompt(n, tag), id=str(n - 1)) for n, tag in enumerate(self.tags, 1)],
                    id="tag-options",
                )
                yield Static(
                    Text("1-9 or Enter: add the tag, or remove it where every one has it", style="dim"),
                    classes="dialog-hint",
                )
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel (q)", id="cancel")

    def _prompt(self, number: int, tag) -> Text:
        carrying = self._carrying(tag.name)
        text = Text(f"{number if number < 10 else ' '}  ")
        if self.rows and carrying == len(self.rows):
            text.append("✓ ", style="bold green")
        elif carrying:
            text.append(f"{carrying}/{len(self.rows)} ", style="yellow")
        else:
            text.append("  ")
        text.append(tag.name, style=f"bold {tag.colour}")
        if tag.description:
            text.append(f"  {clean_line(tag.description)}", style="dim")
        return text

    def on_mount(self) -> None:
        if self.tags:
            self.query_one(OptionList).focus()
        else:
            self.query_one("#cancel", Button).focus()

    def action_toggle(self, index: int) -> None:
        if index >= len(self.tags):
            return
        name = self.tags[index].name
        if self.rows and self._carrying(name) == len(self.rows):
            self.dismiss(((), (name,)))
        else:
            self.dismiss(((name,), ()))

    @on(OptionList.OptionSelected)
    def pick(self, message: OptionList.OptionSelected) -> None:
        self.action_toggle(int(message.option.id or 0))
