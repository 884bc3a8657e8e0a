"""The claim / reassign panel: claim, release, take back, or transfer to an agent or a team with a note.

The list of people and teams shows presence and current load and is filtered as you type in the
filter box, which has focus when the panel opens (↑/↓ move through the list from there); the note
is one Tab away. Enter in either transfers to the highlighted entry. The letter keys (tui.keys,
scope 'assign') act only outside the two fields, so a note can say anything.
"""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, OptionList, Static
from textual.widgets.option_list import Option

from core.work.views import AgentView, ConversationRow, TeamView
from tui import keys
from tui.formatting import presence_mark
from tui.messages import PeopleLoaded, ServiceFailed
from tui.safe import clean_line
from tui.screens.dialogs import Dialog


def agent_prompt(agent: AgentView, me: str) -> Text:
    mark, style = presence_mark(agent.presence)
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(f"{mark} ", style=style)
    text.append(f"{clean_line(agent.login):<10}", style="bold")
    text.append(f" {clean_line(agent.name):<20}")
    text.append(f" {agent.presence:<9}", style=style)
    text.append(f" {agent.open_load:>3} open", style="bold")
    text.append("  " + ", ".join(clean_line(t) for t in agent.teams), style="dim")
    if agent.login == me:
        text.append("  (you)", style="italic")
    return text


def team_prompt(team: TeamView) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append("▣ ", style="blue")
    text.append(f"@{clean_line(team.name):<9}", style="bold blue")
    text.append(f" {clean_line(team.title):<20}")
    text.append(f" {'team':<9}", style="dim")
    text.append(f" {team.open_count:>3} open")
    text.append(f"  {len(team.members)} members", style="dim")
    return text


class AssignScreen(Dialog[None]):
    """Type to filter, Enter transfers to the highlighted agent or team; claim, release and take back by button."""

    BINDINGS = keys.bindings("assign")

    def __init__(self, conversation_id: int, row: ConversationRow | None) -> None:
        super().__init__()
        self.conversation_id = conversation_id
        self.row = row
        self.agents: list[AgentView] = []
        self.teams: list[TeamView] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="assign-dialog"):
            title = Text("Claim / reassign  ")
            if self.row is not None:
                title.append(clean_line(self.row.subject), style="bold")
            yield Static(title, classes="dialog-title")
            yield Static(self._ownership(), id="assign-ownership")
            with Horizontal(classes="dialog-buttons", id="assign-actions"):
                if self._offers("claim"):
                    yield Button("Claim", id="claim", variant="primary")
                yield Button("Release", id="release")
                if self._offers("take_back"):
                    yield Button("Take back", id="take-back", variant="warning")
            yield Input(placeholder="type to filter agents and teams (name, login, team)", id="assign-filter")
            targets = OptionList(id="assign-targets")
            targets.can_focus = False  # ↑/↓ in the filter move it: the note stays one Tab from the filter
            yield targets
            yield Input(placeholder="note for the new owner (optional; Tab reaches it)", id="assign-note")
            yield Static(
                Text("↑↓ pick   Enter: transfer to the highlighted one   Tab: note   ctrl+g: close"),
                classes="dialog-hint",
            )
            with Horizontal(classes="dialog-buttons"):
                yield Button("Transfer (Enter)", id="transfer", variant="success")
                yield Button("Close (ctrl+g)", id="cancel")

    def _offers(self, action: str) -> bool:
        """Claim only what nobody owns; take back only what someone else owns."""
        if self.row is None:
            return True
        if action == "claim":
            return self.row.owner is None
        if action == "take_back":
            return self.row.owner is not None and self.row.owner != self.app.me
        return True

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self._offers(action)

    def _ownership(self) -> Text:
        text = Text()
        if self.row is None:
            return text
        text.append("owner ")
        text.append(clean_line(self.row.owner or "nobody"), style="bold")
        text.append(f" · team {clean_line(self.row.team or '—')}")
        if self.row.exclusive_agent:
            text.append(f" · exclusive to {clean_line(self.row.exclusive_agent)}", style="magenta")
        return text

    def on_mount(self) -> None:
        self.query_one("#assign-filter", Input).focus()
        self.load_people()

    @work(thread=True, exit_on_error=False, group="people", exclusive=True)
    def load_people(self) -> None:
        service = self.app.service
        agents = service.agents()
        try:
            teams = service.teams()
        except Exception as error:
            self.post_message(ServiceFailed("teams", f"{type(error).__name__}: {error}"))
            teams = []
        self.post_message(PeopleLoaded(agents, teams))

    @on(PeopleLoaded)
    def show_people(self, message: PeopleLoaded) -> None:
        message.stop()
        self.agents, self.teams = list(message.agents), list(message.teams)
        self._fill(self.query_one("#assign-filter", Input).value)

    def _fill(self, term: str) -> None:
        term = term.strip().lower()
        me = self.app.me

        def matches(*fields: str) -> bool:
            return not term or any(term in f.lower() for f in fields)

        options: list[Option] = []
        for team in self.teams:
            if matches(team.name, team.title):
                options.append(Option(team_prompt(team), id=f"team:{team.name}"))
        presence_order = {"available": 0, "away": 1, "offline": 2, "vacation": 3}
        for agent in sorted(self.agents, key=lambda a: (presence_order.get(a.presence, 4), a.open_load, a.login)):
            if matches(agent.login, agent.name, *agent.teams):
                options.append(Option(agent_prompt(agent, me), id=f"agent:{agent.login}"))
        targets = self.query_one(OptionList)
        targets.set_options(options)
        if options:
            targets.highlighted = 0

    @on(Input.Changed, "#assign-filter")
    def filter_changed(self, message: Input.Changed) -> None:
        self._fill(message.value)

    def action_filter(self) -> None:
        self.query_one("#assign-filter", Input).focus()

    def key_down(self) -> None:
        if isinstance(self.focused, Input):
            self.query_one(OptionList).action_cursor_down()

    def key_up(self) -> None:
        if isinstance(self.focused, Input):
            self.query_one(OptionList).action_cursor_up()

    def action_cursor_down(self) -> None:
        self.query_one(OptionList).action_cursor_down()

    def action_cursor_up(self) -> None:
        self.query_one(OptionList).action_cursor_up()

    def _act(self, label: str, call) -> None:
        self.dismiss(None)
        self.app.act(label, self.conversation_id, call)

    @on(Button.Pressed, "#claim")
    def action_claim(self) -> None:
        cid = self.conversation_id
        self._act("Claim", lambda s: s.claim(cid))

    @on(Button.Pressed, "#release")
    def action_release(self) -> None:
        cid = self.conversation_id
        self._act("Release", lambda s: s.release(cid))

    @on(Button.Pressed, "#take-back")
    def action_take_back(self) -> None:
        cid = self.conversation_id
        self._act("Take back", lambda s: s.take_back(cid))

    @on(OptionList.OptionSelected)
    @on(Input.Submitted)
    @on(Button.Pressed, "#transfer")
    def transfer(self) -> None:
        option = self.query_one(OptionList).highlighted_option
        if option is None or option.id is None:
            self.app.notify("Nobody matches the filter.", severity="warning")
            return
        kind, _, name = option.id.partition(":")
        note = self.query_one("#assign-note", Input).value.strip()
        cid = self.conversation_id
        if kind == "team":
            self._act(f"Transfer to @{name}", lambda s: s.assign(cid, to_team=name, note=note))
        else:
            self._act(f"Transfer to {name}", lambda s: s.assign(cid, to_agent=name, note=note))
