"""The conversation screen: messages oldest to newest, routing reasons and ladder beside them."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Static
from textual.worker import Worker

from core.work.views import ActionResult, ConversationDetail, ConversationRow
from tui import keys
from tui.coalesce import Coalescer
from tui.formatting import full_time, short_name, time_left
from tui.messages import ActionFinished, ConversationLoaded
from tui.safe import clean_line
from tui.screens.conversation_actions import ConversationActions
from tui.widgets.alert_bar import AlertBar
from tui.widgets.columns import tag_chips
from tui.widgets.key_footer import KeyFooter
from tui.widgets.message_card import MessageCard
from tui.widgets.routing_panel import routing_summary
from tui.widgets.top_bar import TopBar


def header_text(
    detail: ConversationDetail,
    now,
    me: str,
    zone=None,
    names: Mapping[str, str] = {},
    tag_colours: Mapping[str, str] = {},
) -> Text:
    """Subject, customer, ownership, time left, who will read a reply, and who else is here."""
    row = detail.row
    text = Text(no_wrap=True, overflow="ellipsis")
    if row.confidential:
        text.append("⊘ confidential  ", style="bold red")
    text.append(clean_line(row.subject) or "(no subject)", style="bold")
    text.append(f"   #{row.id}", style="dim")
    if row.tags:
        text.append("   ")
        text.append_text(tag_chips(row.tags, tag_colours))
    text.append("\n")
    # Client, channel and requests come second, so a small terminal that cuts the header keeps them.
    context = context_line(detail)
    if context.plain:
        text.append_text(context)
        text.append("\n")
    text.append(clean_line(row.customer_name))
    text.append(f" <{clean_line(row.customer_address)}>", style="dim")
    text.append(f"  ·  {row.state}  ·  team {clean_line(row.team or '—')}  ·  owner ")
    text.append(clean_line(row.owner or "nobody"), style="bold" if row.owner == me else "")
    if row.exclusive_agent:
        text.append(f"  ·  exclusive to {clean_line(row.exclusive_agent)}", style="magenta")
    left, style = time_left(row.deadline, now)
    if left:
        text.append("  ·  ")
        text.append(f"{left} left" if not left.startswith("-") else f"overdue {left.lstrip('-')}", style=style)
        text.append(f" ({full_time(row.deadline, zone)})", style="dim")
    if detail.kind != "request":
        text.append("\n")
        recipients = ", ".join(clean_line(a) for a in detail.reply_to)
        text.append(f"Reply from {clean_line(detail.reply_from)} to {recipients}")
        if detail.reply_cc:
            text.append("  cc " + ", ".join(clean_line(a) for a in detail.reply_cc), style="yellow")
        if row.shared_reply:
            text.append("  — CC'd people or a list will read it", style="bold yellow")
        else:
            text.append("  — private to the customer", style="green")
    others = [f"✎ {clean_line(short_name(a, names))} replying" for a in row.repliers if a != me]
    others += [
        f"◉ {clean_line(short_name(a, names))} viewing" for a in row.viewers if a != me and a not in row.repliers
    ]
    if others:
        text.append("\n")
        text.append("  ".join(others), style="bold cyan")
    return text


def context_line(detail: ConversationDetail) -> Text:
    """Client, channel, and requests: what this thread is besides mail from one customer."""
    from tui.screens.requests import WORDS, request_state_text

    parts: list[Text] = []
    if detail.client:
        parts.append(Text.assemble("client ", (clean_line(detail.client), "bold magenta")))
    if detail.channel not in ("mail", "internal"):
        part = Text.assemble("via ", (clean_line(detail.channel), "bold cyan"))
        if detail.url:
            part.append(f" {clean_line(detail.url)}", style="dim")
        parts.append(part)
    if detail.request is not None:
        link = detail.request
        part = Text("request ", style="bold")
        part.append(WORDS.get(link.state, link.state), style="bold yellow" if link.state == "new" else "bold")
        part.append(f" · asked by {clean_line(link.requester)}")
        if link.of:
            part.append(f" about #{link.of}")
        part.append("  (Q: answer, decline, ask)", style="dim")
        parts.append(part)
    if detail.requests:
        part = Text("requests: ")
        for n, link in enumerate(detail.requests):
            if n:
                part.append(", ")
            part.append_text(request_state_text(link))
        parts.append(part)
    line = Text(no_wrap=True, overflow="ellipsis")
    for n, part in enumerate(parts):
        if n:
            line.append("  ·  ")
        line.append_text(part)
    return line


class ConversationScreen(ConversationActions):
    """One conversation; the conversation actions apply to it."""

    BINDINGS = keys.bindings("reader", "conversation")

    def __init__(self, conversation_id: int) -> None:
        super().__init__()
        self.conversation_id = conversation_id
        self.detail: ConversationDetail | None = None
        self._shown_minute = None
        """The workspace clock's minute the header's 'time left' was drawn for."""
        self._detail_loader = Coalescer(self._load_detail)

    def compose(self) -> ComposeResult:
        yield TopBar(id="top-bar")
        yield AlertBar(id="alert-bar")
        yield Static(Text("Loading…"), id="conversation-header")
        with Horizontal(id="conversation-body"):
            yield VerticalScroll(id="messages")
            yield VerticalScroll(Static(Text(""), id="routing"), id="routing-pane")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.app.fill_top_bar(self.query_one(TopBar))
        self.app.refresh_alert_bars()
        self.query_one("#messages").focus()
        self.show_conversation(self.conversation_id)

    def show_conversation(self, conversation_id: int) -> None:
        """Show this conversation here: flow moves on in the same screen (a new screen costs a full
        compose and restyle). What flow read ahead shows at once and is not read again: the app drops
        a read-ahead detail as soon as a change to it is announced, so one still held is current."""
        self.conversation_id = conversation_id
        self.detail = None
        ahead = self.app.take_prefetched(conversation_id)
        if ahead is not None:
            self.show_detail(ConversationLoaded(ahead))
            return
        self.query_one("#conversation-header", Static).update(Text("Loading…"))
        self.query_one("#messages", VerticalScroll).remove_children()
        self.query_one("#routing", Static).update(Text(""))
        self._detail_loader.forget()  # a read of the previous conversation in flight is not this one's
        self.load_detail()

    # -- ConversationActions -----------------------------------------------------------------
    def current_conversation_id(self) -> int | None:
        return self.conversation_id

    def current_row(self) -> ConversationRow | None:
        return self.detail.row if self.detail else None

    # -- loading -----------------------------------------------------------------------------
    def load_detail(self) -> None:
        """Read the conversation again: now, or once after the read in flight (tui.coalesce)."""
        self._detail_loader.request()

    @work(thread=True, exit_on_error=False, group="conversation")
    def _load_detail(self) -> None:
        self.post_message(ConversationLoaded(self.app.service.detail(self.conversation_id)))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        self._detail_loader.worker_changed(event)

    @on(ConversationLoaded)
    def show_detail(self, message: ConversationLoaded) -> None:
        message.stop()
        if message.detail.row.id != self.conversation_id:  # read before flow moved on to the next one
            return
        previous = self.detail
        now = self.app.now()
        minute = now.replace(second=0, microsecond=0)
        if previous == message.detail and minute == self._shown_minute:
            return  # read again after a change elsewhere (or the echo of our own): nothing to redraw
        self.detail = message.detail
        self._shown_minute = minute
        zone = self.app.zone
        self.query_one("#conversation-header", Static).update(
            header_text(self.detail, now, self.app.me, zone, self.app.agent_names, self.app.tag_colours)
        )
        self.refresh_bindings()  # claim and take back depend on who owns it
        self.query_one("#routing", Static).update(
            routing_summary(self.detail.reasons, self.detail.ladder, self.detail.events, now, zone)
        )
        if previous is None:
            self.app.prefetch_next(self.conversation_id)
        if previous is not None and previous.messages == self.detail.messages:
            return
        messages = self.query_one("#messages", VerticalScroll)
        at_bottom = previous is None or messages.scroll_y >= messages.max_scroll_y - 1
        cards = list(messages.children)
        if not self.detail.hidden and cards and all(isinstance(card, MessageCard) for card in cards):
            # Reuse the cards shown (flow from one conversation to the next): update them in place,
            # mount only the extra ones and remove what is left over.
            for card, shown in zip(cards, self.detail.messages, strict=False):
                assert isinstance(card, MessageCard)
                card.show(shown, zone)
            extra = self.detail.messages[len(cards) :]
            if extra:
                messages.mount_all(MessageCard(m, zone) for m in extra)
            for card in cards[len(self.detail.messages) :]:
                card.remove()
            if at_bottom:
                messages.call_after_refresh(messages.scroll_end, animate=False)
            return
        messages.remove_children()
        if self.detail.hidden:
            messages.mount(
                Static(
                    Text(
                        "Content withheld: a confidential conversation is for its owner, its team and supervisors; "
                        "personal mail inside its exclusive window for the addressed agent and supervisors.",
                        style="bold red",
                    )
                )
            )
        else:
            messages.mount_all(MessageCard(m, zone) for m in self.detail.messages)
        if at_bottom:
            messages.call_after_refresh(messages.scroll_end, animate=False)

    def workspace_changed(self, conversation_ids: frozenset[int], kinds: frozenset[str]) -> None:
        if not conversation_ids or self.conversation_id in conversation_ids or "presence" in kinds:
            self.load_detail()

    def shown_detail(self, conversation_id: int) -> ConversationDetail | None:
        """What this screen shows, kept fresh by the change feed (workspace_changed reloads it); a reply
        based on a version that moved on meanwhile is refused by the service, and the composer shows why."""
        if self.detail is not None and self.detail.row.id == conversation_id:
            return self.detail
        return None

    def action_no_action(self) -> None:
        """The dialog lists what this screen shows; a message answered meanwhile is refused by the service."""
        if self.detail is None:
            super().action_no_action()
        else:
            self.app.start_dispose(self.conversation_id, self.detail)

    # -- reading actions -----------------------------------------------------------------------
    def action_scroll_body_down(self) -> None:
        self.query_one("#messages", VerticalScroll).scroll_down(animate=False)

    def action_scroll_body_up(self) -> None:
        self.query_one("#messages", VerticalScroll).scroll_up(animate=False)

    def action_scroll_body_top(self) -> None:
        self.query_one("#messages", VerticalScroll).scroll_home(animate=False)

    def action_scroll_body_bottom(self) -> None:
        self.query_one("#messages", VerticalScroll).scroll_end(animate=False)

    def action_back(self) -> None:
        self.app.pop_screen()
        self.app.conversation_closed()

    def action_save_attachment(self) -> None:
        from tui.screens.dialogs import SaveAttachmentDialog

        attachments = [a for m in (self.detail.messages if self.detail else ()) for a in m.attachments]
        if not attachments:
            self.app.notify("This conversation has no attachments.", severity="warning")
            return

        def chosen(choice: tuple[int, Path] | None) -> None:
            if choice is not None:
                self.save_attachment(*choice)

        self.app.push_screen(SaveAttachmentDialog(attachments), callback=chosen)

    @work(thread=True, exit_on_error=False, group="attachment")
    def save_attachment(self, attachment_id: int, path: Path) -> None:
        saved = self.app.service.save_attachment(attachment_id, path)
        self.post_message(ActionFinished("Attachment", ActionResult(True, f"Saved to {saved}")))
