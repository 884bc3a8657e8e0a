"""Requests between teams in the app: open one from a conversation (pick the team, say what you need), or,
on a request, move it on (in progress, answered, done, declined) or ask its requester a question."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, OptionList, Static
from textual.widgets.option_list import Option

from core.work.views import RequestLink
from tui.safe import clean_line
from tui.screens.dialogs import Dialog

STATE_CHOICES = (
    ("in_progress", "In progress: we are on it (the requester is not alerted)"),
    ("answered", "Answered: say what you found (alerts the requester)"),
    ("question", "Ask the requester a question (alerts them; the state stays)"),
    ("declined", "Declined: say why (alerts the requester)"),
    ("done", "Done: nothing left to do"),
)
WORDS = {"new": "new", "in_progress": "in progress", "answered": "answered", "done": "done", "declined": "declined"}


def request_state_text(link: RequestLink) -> Text:
    style = {"answered": "bold green", "declined": "bold red", "done": "dim", "new": "bold yellow"}.get(
        link.state, "bold"
    )
    text = Text()
    text.append(f"#{link.id} ")
    text.append(WORDS.get(link.state, link.state), style=style)
    text.append(f" (team {clean_line(link.team)})", style="dim")
    return text


class OpenRequestDialog(Dialog[tuple[str, str]]):
    """Ask another team: pick it (1-9 or arrows), write the request, Enter sends; dismisses with (team, text)."""

    BINDINGS = [Binding(str(n), f"team({n - 1})", show=False) for n in range(1, 10)]

    def __init__(self, teams: list[tuple[str, str]], subject: str | None = None) -> None:
        super().__init__()
        self.teams = teams
        self.subject = subject
        self.team: str | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="request-dialog"):
            title = Text("Ask another team")
            if self.subject is not None:
                title.append(" about ")
                title.append(clean_line(self.subject)[:60], style="bold")
            yield Static(title, classes="dialog-title")
            yield OptionList(
                *[Option(Text(f"{n}  {label}"), id=name) for n, (name, label) in enumerate(self.teams, 1)],
                id="request-teams",
            )
            yield Input(placeholder="what you need, e.g. buy 2 green turntables — then Enter", id="request-text")
            yield Static(Text("Pick a team, then write the request.", style="dim"), id="request-hint")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel (ctrl+g)", id="cancel")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def action_team(self, index: int) -> None:
        if index < len(self.teams):
            self._choose(self.teams[index][0])

    @on(OptionList.OptionSelected)
    def picked(self, message: OptionList.OptionSelected) -> None:
        self._choose(message.option.id or "")

    def _choose(self, team: str) -> None:
        self.team = team
        self.query_one("#request-hint", Static).update(Text(f"To team {team}: write the request, Enter sends."))
        self.query_one("#request-text", Input).focus()

    @on(Input.Submitted)
    def send(self, message: Input.Submitted) -> None:
        if self.team is None:
            options = self.query_one(OptionList)
            if options.highlighted is None:
                return
            self.team = self.teams[options.highlighted][0]
        if message.value.strip():
            self.dismiss((self.team, message.value.strip()))


class RequestStateDialog(Dialog[tuple[str, str]]):
    """Work a request: pick what happened (1-5), add the answer, reason or question, Enter saves."""

    BINDINGS = [Binding(str(n), f"state({n - 1})", show=False) for n in range(1, len(STATE_CHOICES) + 1)]

    def __init__(self, link: RequestLink) -> None:
        super().__init__()
        self.link = link
        self.state: str | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="request-state-dialog"):
            title = Text("Request ")
            title.append_text(request_state_text(self.link))
            title.append(f" from {clean_line(self.link.requester)}: ")
            title.append(clean_line(self.link.subject)[:60], style="bold")
            yield Static(title, classes="dialog-title")
            yield OptionList(
                *[Option(Text(f"{n}  {label}"), id=state) for n, (state, label) in enumerate(STATE_CHOICES, 1)],
                id="request-states",
            )
            yield Input(placeholder="the answer, the reason or the question — then Enter", id="request-comment")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel (ctrl+g)", id="cancel")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def action_state(self, index: int) -> None:
        self._choose(STATE_CHOICES[index][0])

    @on(OptionList.OptionSelected)
    def picked(self, message: OptionList.OptionSelected) -> None:
        self._choose(message.option.id or "")

    def _choose(self, state: str) -> None:
        self.state = state
        if state in ("in_progress", "done"):
            self.dismiss((state, ""))
            return
        self.query_one("#request-comment", Input).focus()

    @on(Input.Submitted)
    def save(self, message: Input.Submitted) -> None:
        if self.state is not None and message.value.strip():
            self.dismiss((self.state, message.value.strip()))
