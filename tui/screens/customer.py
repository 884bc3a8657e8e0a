"""The customer beside the thread: who they are, their client, audiences, ratings and past conversations;
Enter (or 1-9) opens one of those conversations."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, OptionList, Static
from textual.widgets.option_list import Option

from core.work.views import ContactView
from tui.formatting import full_time
from tui.safe import clean_line
from tui.screens.dialogs import Dialog

STATE_STYLES = {"open": "bold", "waiting": "yellow", "snoozed": "cyan", "done": "dim"}


class ContactLoaded(Message):
    def __init__(self, contact: ContactView) -> None:
        super().__init__()
        self.contact = contact


def contact_summary(contact: ContactView) -> Text:
    """Name, address, client (with its notes), audiences and ratings, a line each."""
    text = Text()
    text.append(clean_line(contact.name) or "(no name)", style="bold")
    text.append(f" <{clean_line(contact.address)}>", style="dim")
    if contact.client:
        text.append("\nClient ")
        text.append(clean_line(contact.client), style="bold magenta")
        if contact.client_notes:
            text.append(f" — {clean_line(contact.client_notes)}")
    text.append("\nAudiences ")
    text.append(
        ", ".join(clean_line(a) for a in contact.audiences) or "none known", style="" if contact.audiences else "dim"
    )
    text.append("\nRatings ")
    if contact.ratings:
        text.append("  ".join(f"{clean_line(r.agent)} {r.score}/5 ({r.rated_on})" for r in contact.ratings[:6]))
    else:
        text.append("none", style="dim")
    shown = len(contact.conversations)
    more = f" (the {shown} newest)" if contact.total_conversations > shown else ""
    text.append(f"\n{contact.total_conversations} conversation{'s' if contact.total_conversations != 1 else ''}{more}:")
    return text


def past_line(number: int, past, zone, current: int | None) -> Text:
    line = Text(no_wrap=True, overflow="ellipsis")
    line.append(f"{number if number <= 9 else ' '} ", style="bold")
    line.append(f"#{past.id:<6}", style="bold" if past.id == current else "")
    line.append(f"{full_time(past.created_at, zone)[:16]:<17}", style="dim")
    line.append(f"{past.state:<8}", style=STATE_STYLES.get(past.state, ""))
    line.append(f"{clean_line(past.owner or '—'):<8} {clean_line(past.team or '—'):<10} ")
    if past.channel != "mail":
        line.append(f"[{clean_line(past.channel)}] ", style="cyan")
    line.append(clean_line(past.subject), style="dim italic" if past.hidden else "")
    if past.id == current:
        line.append("  (this one)", style="dim")
    return line


class CustomerScreen(Dialog[int]):
    """The contact of one conversation; dismisses with the id of the conversation to open, or None."""

    BINDINGS = [Binding(str(n), f"open_number({n})", show=False) for n in range(1, 10)] + [
        Binding("C", "close", "Close", show=False, id="customer-close")
    ]

    def __init__(self, conversation_id: int) -> None:
        super().__init__()
        self.conversation_id = conversation_id
        self.contact: ContactView | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="customer-dialog"):
            yield Static(Text("The customer"), classes="dialog-title")
            yield Static(Text("Loading…"), id="customer-summary", classes="dialog-body")
            yield OptionList(id="customer-conversations")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Open (Enter)", id="open", variant="primary")
                yield Button("Close (q)", id="cancel")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()
        self.load_contact()

    @work(thread=True, exit_on_error=False, group="customer", exclusive=True)
    def load_contact(self) -> None:
        self.post_message(ContactLoaded(self.app.service.contact(self.conversation_id)))

    @on(ContactLoaded)
    def show_contact(self, message: ContactLoaded) -> None:
        message.stop()
        self.contact = message.contact
        self.query_one("#customer-summary", Static).update(contact_summary(self.contact))
        options = self.query_one(OptionList)
        options.clear_options()
        zone = self.app.zone
        options.add_options(
            [
                Option(past_line(n, c, zone, self.conversation_id), id=str(c.id))
                for n, c in enumerate(self.contact.conversations, start=1)
            ]
        )
        if self.contact.conversations:
            options.highlighted = 0

    def action_open_number(self, number: int) -> None:
        if self.contact and number <= len(self.contact.conversations):
            self.dismiss(self.contact.conversations[number - 1].id)

    @on(OptionList.OptionSelected)
    def picked(self, message: OptionList.OptionSelected) -> None:
        self.dismiss(int(message.option.id or 0))

    @on(Button.Pressed, "#open")
    def open_highlighted(self) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is not None and self.contact:
            self.dismiss(self.contact.conversations[options.highlighted].id)
