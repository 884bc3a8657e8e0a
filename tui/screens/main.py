"""The main screen: queues on the left, the virtual conversation list, a summary of the highlighted row."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Input, OptionList, Static
from textual.worker import Worker, WorkerState, get_current_worker

from core.errors import ComptoirError
from core.work.views import ConversationRow, QueueInfo
from tui import keys
from tui.coalesce import Coalescer
from tui.formatting import full_time, plural, time_left
from tui.messages import MarksFound, QueueLoaded, QueuesLoaded, RowsLoaded, ServiceFailed
from tui.safe import clean_line
from tui.screens.conversation_actions import ConversationActions
from tui.startup import FIRST_QUEUE, FIRST_WINDOW
from tui.widgets.alert_bar import AlertBar
from tui.widgets.columns import header_text
from tui.widgets.conversation_list import ConversationList
from tui.widgets.key_footer import KeyFooter
from tui.widgets.queue_sidebar import QueueSidebar
from tui.widgets.top_bar import TopBar


class ListTitle(Widget):
    """One line naming what the list shows and how many: 'Team Hi-fi · 89 conversations'."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.title = Text("")

    def show(self, title: str, count: int | None, search: str | None = None, is_search: bool = False) -> None:
        self.title = list_title(title, count, search, is_search)
        self.refresh()

    def render(self) -> Text:
        return self.title


def list_title(title: str, count: int | None, search: str | None = None, is_search: bool = False) -> Text:
    """'Team Hi-fi  ·  89 conversations', 'Search “invoice”  ·  4 results', 'Search  ·  / to search'."""
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(clean_line(title), style="bold")
    if is_search and not search:
        text.append("  ·  / to search, #1234 to open a conversation", style="dim")
        return text
    if search:
        text.append(f" “{clean_line(search)}”", style="bold")
    if count is None:
        text.append("  ·  loading…", style="dim")
    else:
        text.append(f"  ·  {plural(count, 'result' if is_search else 'conversation')}", style="dim")
    return text


class ListHeader(Static):
    """Column titles above the list, laid out by the same function as the rows."""

    def render(self) -> Text:
        return header_text(self.size.width)


class RowSummary(Widget):
    """Three lines about the highlighted conversation: who, what, when, who else will read a reply.

    A plain render() widget: updating it repaints three lines without a layout pass, so moving the
    cursor stays cheap.
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.summary = Text("")

    def show_row(self, row: ConversationRow | None, now, zone=None, marked: int = 0) -> None:
        self.summary = Text("") if row is None else summary_text(row, now, zone)
        if marked:
            note = Text(
                f"{marked} marked: c claim · a assign · n no action · d done · L tag · s snooze "
                "apply to all (U unmarks)",
                style="bold yellow",
                no_wrap=True,
                overflow="ellipsis",
            )
            self.summary = Text("\n", no_wrap=True).join([note, *self.summary.split("\n")[:2]])
        self.refresh()

    def render(self) -> Text:
        return self.summary


def summary_text(row: ConversationRow, now, zone=None) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(clean_line(row.subject) or "(no subject)", style="bold")
    text.append("\n")
    text.append(clean_line(row.customer_name))
    text.append(f" <{clean_line(row.customer_address)}>", style="dim")
    text.append(f"  ·  team {clean_line(row.team or '—')}  ·  owner {clean_line(row.owner or 'nobody')}")
    if row.exclusive_agent:
        text.append(f"  ·  exclusive to {clean_line(row.exclusive_agent)}", style="magenta")
    text.append("\n")
    left, style = time_left(row.deadline, now)
    if left:
        window = {"personal": "exclusive window", "team": "team window"}.get(row.window or "", "deadline")
        text.append(
            f"{window} {'overdue by ' + left.lstrip('-') if left.startswith('-') else left + ' left'}",
            style=style or "",
        )
        text.append(f" ({full_time(row.deadline, zone)})  ·  ", style="dim")
    text.append(f"{row.pending_count} to answer of {row.message_count}  ·  ")
    if row.shared_reply:
        text.append("CC'd people or a list will read your reply", style="bold yellow")
    else:
        text.append("reply goes to the customer only", style="green")
    if row.confidential:
        text.append("  ·  confidential", style="bold red")
    return text


@dataclass
class GoToAnswered(Message):
    number: int
    found: bool


def conversation_number(text: str) -> int | None:
    """'#1234' (or '1234' in the go-to box) as a conversation number; None for anything else."""
    text = text.strip()
    digits = text[1:].strip() if text.startswith("#") else ""
    return int(digits) if digits.isdigit() else None


class MainScreen(ConversationActions):
    """Queues and the conversation list; conversation actions apply to the highlighted row."""

    BINDINGS = keys.bindings("queues", "conversation")

    def __init__(self) -> None:
        super().__init__()
        self.queue = FIRST_QUEUE
        self.search_term: str | None = None
        """The search the list shows (only while the queue is 'search')."""
        self.last_search: str | None = None
        """The last search run: landing on Search again shows it instead of clearing it."""
        self.queue_loading = True
        self.counted = False
        """Whether the queue counts were asked for (after the first rows, so they never delay them)."""
        self.typed_ahead: list[str] = []
        """Conversation actions pressed while a queue was loading, run once its rows are in."""
        self._footer_ownership: tuple[bool, bool] | None | object = object()
        """(unowned, mine) of the highlighted row when the footer was last drawn."""
        self._queue_loader = Coalescer(self._reload_queue)
        self._ids_loader = Coalescer(self._reload_ids)
        self._counts_loader = Coalescer(self._load_queues)
        self._stale_while_covered = False
        """Changes came while another screen covered this one: rows and counts are read when it shows again."""
        self._changed_since_read: set[int] | None = None
        """Conversations named by changes since the list's last read (None: anything may have changed):
        a reload reads the rows of those, and of the window's rows the list does not hold, only."""

    def compose(self) -> ComposeResult:
        yield TopBar(id="top-bar")
        yield AlertBar(id="alert-bar")
        with Horizontal(id="main-body"):
            yield QueueSidebar(id="queues")
            with Vertical(id="list-pane"):
                yield Input(placeholder="Search subjects and customers, then Enter (ctrl+g to cancel)", id="search")
                yield Input(
                    placeholder="conversation number, then Enter (ctrl+g to cancel)",
                    id="go-to",
                    restrict=r"#?[0-9]{0,12}",
                )
                yield ListTitle(id="list-title")
                yield ListHeader(id="list-header")
                yield ConversationList(self.app.me, self.app.now, names=self.app.agent_names, id="conversations")
                yield RowSummary(id="summary")
        yield KeyFooter()

    @property
    def conversation_list(self) -> ConversationList:
        return self.query_one(ConversationList)

    def on_mount(self) -> None:
        self.app.fill_top_bar(self.query_one(TopBar))
        self.app.refresh_alert_bars()
        self.query_one("#search", Input).display = False
        go_to = self.query_one("#go-to", Input)
        go_to.display = False
        go_to.border_title = "Go to conversation #"
        self.conversation_list.focus()
        # Titles now (config only), counts when the workers have them: the first screen waits for neither.
        self.conversation_list.tag_colours = self.app.tag_colours
        titles = self.with_views(self.app.service.queue_titles())
        self.queue_titles = {q.key: q.title for q in titles}
        self.query_one(QueueSidebar).show_queues(titles, self.queue)
        self.show_title(None)
        page, self.app.first_page = self.app.first_page, None
        if page is None:
            self.load_queue(self.queue, None, keep_cursor=False)
        else:
            # Read while Textual loaded: the first frame has the rows, and no frame of an empty list is drawn.
            self.show_queue(QueueLoaded(self.queue, None, page[0], page[1], False))

    # -- ConversationActions -----------------------------------------------------------------
    def current_conversation_id(self) -> int | None:
        return self.conversation_list.cursor_id

    def current_row(self) -> ConversationRow | None:
        return self.conversation_list.cursor_row

    def marked_ids(self) -> list[int]:
        return self.conversation_list.marked_in_order()

    def rows_for(self, conversation_ids: list[int]) -> list[ConversationRow]:
        rows = [self.conversation_list.row(i) for i in conversation_ids]
        return [row for row in rows if row is not None]

    def bulk_done(self, failed: list[int]) -> None:
        """A bulk action finished: what failed stays marked, for another try."""
        self.conversation_list.set_marks(failed)
        self.show_summary()

    # -- saved views ------------------------------------------------------------------------
    def with_views(self, queues: list[QueueInfo]) -> list[QueueInfo]:
        """The queues, then this user's saved views (key "view:NAME"), under them in the sidebar."""
        views = [QueueInfo(f"view:{v.name}", f"★ {v.name}", None) for v in self.app.saved_views]
        return [*queues, *views]

    def view_search(self, key: str) -> str | None:
        name = key.removeprefix("view:")
        return next((v.search for v in self.app.saved_views if v.name == name), None)

    # -- workers -----------------------------------------------------------------------------
    def load_queues(self) -> None:
        """Count the queues again: now, or once after the count in flight (tui.coalesce)."""
        self._counts_loader.request()

    @work(thread=True, exit_on_error=False, group="queues")
    def _load_queues(self) -> None:
        self.post_message(QueuesLoaded(self.app.service.queues()))

    @work(thread=True, exit_on_error=False, group="queue", exclusive=True)
    def load_queue(
        self,
        queue: str,
        search: str | None,
        keep_cursor: bool = True,
        cursor_id: int | None = None,
        cursor_index: int = 0,
        known: frozenset[int] | None = None,
    ) -> None:
        """Every id of the queue, and the rows of a window around where the cursor will be; of those,
        only the ones not `known` (held by the list and unchanged since they were read)."""
        service = self.app.service
        shown = "search" if queue.startswith("view:") else queue  # a saved view: the search queue, its search
        try:
            if not keep_cursor and search is None:
                ids, rows = service.first_page(shown, FIRST_WINDOW)
            else:
                # One round trip: the ids, and the rows of the window around the cursor the list lacks.
                ids, rows = service.page(shown, search, cursor_id, cursor_index, FIRST_WINDOW, sorted(known or ()))
        except ComptoirError as error:
            # A search the server cannot read (an unknown operator, a bad day): said in the list and a toast.
            if not get_current_worker().is_cancelled:
                self.post_message(QueueLoaded(queue, search, [], [], False, error=str(error)))
            return
        if not get_current_worker().is_cancelled:
            self.post_message(QueueLoaded(queue, search, ids, rows, keep_cursor))

    @work(thread=True, exit_on_error=False, group="rows")
    def load_rows(self, ids: list[int]) -> None:
        self.post_message(RowsLoaded(self.app.service.rows(ids), ids))

    def reload_queue(self) -> None:
        """Read the shown queue again, keeping the cursor: now, or once after the read in flight."""
        self._queue_loader.request()

    def _reload_queue(self) -> Worker:
        listing = self.conversation_list
        changed, self._changed_since_read = self._changed_since_read, set()
        # Held and unchanged rows near the cursor (where the window will be): not read again.
        near = listing.ids[max(listing.cursor - FIRST_WINDOW, 0) : listing.cursor + FIRST_WINDOW]
        known = None if changed is None else frozenset(i for i in near if listing.row(i) is not None) - changed
        return self.load_queue(self.queue, self.search_term, True, listing.cursor_id, listing.cursor, known)

    def _reload_ids(self) -> Worker:
        return self.load_ids(self.queue, self.search_term)

    @work(thread=True, exit_on_error=False, group="queue-ids")
    def load_ids(self, queue: str, search: str | None) -> None:
        """Only the queue's ids, in order (while the list is covered: flow needs what is still listed)."""
        shown = "search" if queue.startswith("view:") else queue
        try:
            ids = self.app.service.queue_ids(shown, search)
        except ComptoirError:
            return  # the full read when the list shows again says what is wrong
        self.post_message(QueueLoaded(queue, search, ids, [], True, ids_only=True))

    def covered(self) -> bool:
        """Whether a full screen (a conversation, the composer) hides this one; a dialog does not."""
        stack = self.app.screen_stack
        if self not in stack:
            return False
        return any(not isinstance(screen, ModalScreen) for screen in stack[stack.index(self) + 1 :])

    def on_screen_resume(self) -> None:
        """Shown again: what changed while covered is read now (the rows were kept, the counts were not read)."""
        if self._stale_while_covered:
            self._stale_while_covered = False
            self.reload_queue()
            self.load_queues()

    # -- handlers --------------------------------------------------------------------------------
    def show_title(self, count: int | None) -> None:
        title = self.queue_titles.get(self.queue, self.queue)
        is_search = self.queue == "search"
        self.query_one(ListTitle).show(title, count, self.search_term if is_search else None, is_search)

    @on(QueuesLoaded)
    def show_queues(self, message: QueuesLoaded) -> None:
        queues = self.with_views(message.queues)
        self.queue_titles.update({q.key: q.title for q in queues})
        self.query_one(QueueSidebar).show_queues(queues, self.queue)

    @on(QueueLoaded)
    def show_queue(self, message: QueueLoaded) -> None:
        if message.queue != self.queue or message.search != self.search_term:
            return
        empty = "Type / to search." if self.queue == "search" and not self.search_term else "Nothing in this queue."
        if message.error:
            empty = f"Search not understood: {message.error}"
            self.app.notify(message.error, title="Search", severity="warning", markup=False, timeout=10)
        self.conversation_list.set_ids(
            message.ids,
            message.rows,
            keep_cursor=message.keep_cursor,
            empty_message=empty,
            fetch_rows=not message.ids_only,
        )
        self.queue_loading = False
        self.show_title(len(message.ids))
        if not self.counted:
            # Counting every queue scans the open conversations: it waits until the rows are drawn (the
            # server's scan and the reread's answer would compete with the first frame for the CPU). The
            # first rows may have been read before the change feed was listening: read them once more.
            self.counted = True
            self.call_after_refresh(self.after_first_rows)
        typed, self.typed_ahead = self.typed_ahead, []
        for action in typed:
            self.call_later(self.run_action, action)

    def after_first_rows(self) -> None:
        self.load_queues()
        self.reload_queue()
        self.app.first_screen_shown()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A queue that failed to load must not swallow the keys typed after it (the toast says why)."""
        if event.worker.group == "queue" and event.state in (WorkerState.ERROR, WorkerState.CANCELLED):
            self._changed_since_read = None  # what that read was to fetch is still owed (before a reload starts)
        for loader in (self._queue_loader, self._ids_loader, self._counts_loader):
            loader.worker_changed(event)
        if event.worker.group == "queue" and event.state == WorkerState.ERROR:
            self.queue_loading = False
            self.typed_ahead.clear()

    def defer_until_loaded(self, action: str) -> bool:
        """Keys typed right after switching queue act on the new queue's rows, not on what was shown before."""
        if self.queue_loading:
            self.typed_ahead.append(action)
            return True
        return False

    @on(RowsLoaded)
    def show_rows(self, message: RowsLoaded) -> None:
        self.conversation_list.add_rows(message.rows)
        self.show_summary()

    @on(ConversationList.RowsWanted)
    def fetch_rows(self, message: ConversationList.RowsWanted) -> None:
        self.load_rows(message.ids)

    @on(ConversationList.Highlighted)
    def show_summary(self) -> None:
        row = self.conversation_list.cursor_row
        self.query_one(RowSummary).show_row(
            row, self.app.now(), self.app.zone, marked=len(self.conversation_list.marked_in_order())
        )
        # Claim and take back depend on who owns the highlighted row; the footer is redrawn only when
        # that changes (redrawing it on every j/k costs more than the move itself).
        ownership = None if row is None else (row.owner is None, row.owner == self.app.me)
        if ownership != self._footer_ownership:
            self._footer_ownership = ownership
            self.refresh_bindings()

    @on(ConversationList.OpenRequested)
    def open_conversation(self, message: ConversationList.OpenRequested) -> None:
        self.app.open_conversation(message.conversation_id)

    @on(OptionList.OptionHighlighted, "#queues")
    def switch_queue(self, message: OptionList.OptionHighlighted) -> None:
        if message.option.id is not None:
            self.select_queue(message.option.id)

    def select_queue(self, key: str) -> None:
        """Show another queue; keys pressed before its rows arrive wait for them."""
        if key == self.queue:
            return
        self.queue = key
        if key.startswith("view:"):
            self.search_term = self.view_search(key)
            search = self.query_one("#search", Input)
            search.value, search.display = self.search_term or "", True
        else:
            # Landing on Search shows the last search again; it never takes the focus (j/k keep moving
            # through the queues) and never clears what was typed: / goes to the box.
            self.search_term = self.last_search if key == "search" else None
            self.query_one("#search", Input).display = key == "search" and bool(self.last_search)
        self._queue_loader.forget()  # a reload of the previous queue in flight is not owed again
        self._ids_loader.forget()
        self.conversation_list.marked.clear()  # marks belong to the queue they were made in
        self.conversation_list.set_ids([], empty_message="Loading…")  # never act on the previous queue's rows
        self.queue_loading = True
        self.show_title(None)
        self.load_queue(key, self.search_term, keep_cursor=False)

    @on(OptionList.OptionSelected, "#queues")
    def enter_queue(self) -> None:
        self.conversation_list.focus()

    @on(Input.Submitted, "#search")
    def run_search(self, message: Input.Submitted) -> None:
        term = message.value.strip()
        search = self.query_one("#search", Input)
        if number := conversation_number(term):
            search.display = self.queue == "search" and bool(self.last_search)
            self.conversation_list.focus()
            self.go_to_conversation(number)
            return
        search.display = bool(term)
        self.search_term = self.last_search = term or None
        self.queue = "search"
        self._queue_loader.forget()
        self._ids_loader.forget()
        self.queue_loading = True
        self.show_title(None)
        self.query_one(QueueSidebar).select_key("search")
        self.load_queue("search", self.search_term, keep_cursor=False)
        self.conversation_list.focus()

    @on(Input.Submitted, "#go-to")
    def submit_go_to(self, message: Input.Submitted) -> None:
        box = self.query_one("#go-to", Input)
        box.display = False
        self.conversation_list.focus()
        if number := conversation_number("#" + message.value.lstrip("#")):
            self.go_to_conversation(number)
        elif message.value.strip("# "):
            self.app.notify(
                f"Not a conversation number: {message.value!r}. Type # then digits, e.g. #1234.",
                severity="warning",
                markup=False,
            )

    @work(thread=True, exit_on_error=False, group="go-to", exclusive=True)
    def go_to_conversation(self, number: int) -> None:
        """Open conversation #number if it exists and this agent may see it."""
        found = self.app.service.rows([number])
        self.post_message(GoToAnswered(number, bool(found)))

    @on(GoToAnswered)
    def open_numbered(self, message: GoToAnswered) -> None:
        if not message.found:
            self.app.notify(f"No conversation #{message.number}.", severity="warning")
            return
        self.app.open_conversation(message.number)

    def workspace_changed(self, conversation_ids: frozenset[int], kinds: frozenset[str]) -> None:
        """Another session (or this one) changed something: reorder and refetch what is visible, recount.
        A burst (an action, its echo from the change feed, the heartbeat's) costs at most two reads
        (tui.coalesce). Covered by a conversation or the composer, only the order is read (flow needs
        to know what is still listed); rows and counts wait until the list shows again."""
        if not self.query(ConversationList):  # a change can arrive before the screen's widgets are mounted
            return
        self.conversation_list.forget_rows(conversation_ids)
        if not conversation_ids:
            self._changed_since_read = None
        elif self._changed_since_read is not None:
            self._changed_since_read |= conversation_ids
        if self.covered():
            self._stale_while_covered = True
            self._ids_loader.request()
            return
        self.reload_queue()
        self.load_queues()

    def tick(self) -> None:
        """The app's clock timer; it can fire before this screen's widgets are mounted."""
        lists = self.query(ConversationList)
        if lists:
            lists.first().tick()

    # -- queue actions -------------------------------------------------------------------------
    def action_search(self) -> None:
        search = self.query_one("#search", Input)
        search.display = True
        self.set_focus(search)  # now, not after the queued keys: what is typed next goes into the box

    def action_go_to(self) -> None:
        box = self.query_one("#go-to", Input)
        box.value = ""
        box.display = True
        self.set_focus(box)  # now: the digits typed right after # land in the box, never on the list

    def key_ctrl_g(self) -> None:
        """Leave the search or go-to box (Esc works too, but tmux delays it)."""
        search = self.query_one("#search", Input)
        go_to = self.query_one("#go-to", Input)
        if go_to.has_focus:
            go_to.display = False
            self.conversation_list.focus()
        elif search.has_focus:
            search.display = bool(self.search_term)
            self.conversation_list.focus()

    def key_escape(self) -> None:
        self.key_ctrl_g()

    def action_next_queue(self) -> None:
        self._step_queue(1)

    def action_previous_queue(self) -> None:
        self._step_queue(-1)

    def _step_queue(self, step: int) -> None:
        sidebar = self.query_one(QueueSidebar)
        if sidebar.queue_keys:
            current = sidebar.highlighted or 0
            sidebar.highlighted = (current + step) % len(sidebar.queue_keys)
            self.select_queue(sidebar.queue_keys[sidebar.highlighted])  # now, not when the highlight message lands

    def action_focus_next_pane(self) -> None:
        if self.conversation_list.has_focus:
            self.query_one(QueueSidebar).focus()
        else:
            self.conversation_list.focus()

    # -- marking and bulk -------------------------------------------------------------------------
    def action_toggle_mark(self) -> None:
        if self.defer_until_loaded("toggle_mark"):
            return
        self.conversation_list.toggle_mark()
        self.show_summary()

    def action_unmark_all(self) -> None:
        count = len(self.conversation_list.marked_in_order())
        self.conversation_list.set_marks(())
        self.show_summary()
        if count:
            self.app.notify(f"{count} unmarked", markup=False)

    def action_mark_pattern(self) -> None:
        """mutt's T: mark every conversation of this queue matching a search (words and operators)."""
        from tui.screens.bulk import TextPromptDialog

        def chosen(pattern: str | None) -> None:
            if pattern:
                self.find_marks(self.queue, self.search_term, pattern)

        self.app.push_screen(
            TextPromptDialog(
                "Mark conversations matching…",
                "e.g. tag:billing is:unclaimed refund",
                "Words and from: to: team: owner: tag: is: before: after: — Enter marks, ctrl+g cancels",
                dialog_id="mark-pattern",
            ),
            callback=chosen,
        )

    @work(thread=True, exit_on_error=False, group="marks", exclusive=True)
    def find_marks(self, queue: str, search: str | None, pattern: str) -> None:
        service = self.app.service
        combined = f"{search} {pattern}" if search else pattern
        shown = "search" if queue.startswith("view:") or queue == "search" else queue
        try:
            ids = service.queue_ids(shown, combined)
        except ComptoirError as error:
            self.post_message(ServiceFailed("Mark", str(error)))
            return
        self.post_message(MarksFound(queue, pattern, ids))

    @on(MarksFound)
    def mark_found(self, message: MarksFound) -> None:
        if message.queue != self.queue:
            return
        listed = set(self.conversation_list.ids)
        found = [i for i in message.ids if i in listed]
        self.conversation_list.set_marks(self.conversation_list.marked | set(found))
        self.show_summary()
        total = len(self.conversation_list.marked_in_order())
        self.app.notify(
            f"{len(found)} matching \u201c{message.pattern}\u201d marked ({total} marked in all)",
            title="Mark",
            markup=False,
        )

    def action_dispose_queue(self) -> None:
        """Every conversation of an Automated queue: no action needed with one reason, then done."""
        from tui.screens.bulk import BulkReasonDialog

        if self.defer_until_loaded("dispose_queue"):
            return
        if not self.queue.startswith("automated:"):
            self.app.notify(
                "D disposes of a whole Automated queue; elsewhere mark conversations (space, T) and press n.",
                severity="warning",
                markup=False,
            )
            return
        ids = list(self.conversation_list.ids)
        if not ids:
            self.app.notify("This Automated queue is empty.", markup=False)
            return
        title = next((q.title.strip() for q in self.app.service.queue_titles() if q.key == self.queue), self.queue)

        def chosen(reason: str | None) -> None:
            if reason:
                self.app.act_many(
                    "No action needed",
                    ids,
                    lambda s, c: s.dispose_pending(c, reason, close=True),
                    what=f"every conversation of {title}, reason \u201c{reason}\u201d, then done",
                )

        self.app.push_screen(
            BulkReasonDialog(
                f"{title}: no action needed for all {plural(len(ids), 'conversation')}",
                ("newsletter, nothing to do", "bounce or auto-reply", "spam", "notification, read"),
            ),
            callback=chosen,
        )

    def action_save_view(self) -> None:
        from core.workspace.preferences import SavedView, save_view
        from tui.screens.bulk import TextPromptDialog

        search = self.search_term
        if not search:
            self.app.notify("Search first (/), then V saves that search as a view.", severity="warning", markup=False)
            return
        dialog = TextPromptDialog(
            "Save this search as a view", "a name, e.g. VIP billing", f"Search: {search}", dialog_id="save-view"
        )

        def chosen(name: str | None) -> None:
            if not name:
                return
            try:
                view = save_view(name, search)
            except (OSError, ValueError) as error:
                self.app.notify(f"Not saved: {error}", title="View", severity="warning", markup=False)
                return
            self.app.saved_views.append(SavedView(view.name, view.search))
            sidebar = self.query_one(QueueSidebar)
            sidebar.show_queues(self.with_views(self.app.service.queue_titles()), self.queue)
            sidebar.select_key(f"view:{view.name}")  # its highlight message switches to the view
            self.load_queues()
            self.app.notify(f"Saved as \u201c{view.name}\u201d under the queues", title="View", markup=False)

        self.app.push_screen(dialog, callback=chosen)
