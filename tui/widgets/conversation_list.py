"""The conversation list: a virtual Line-API widget that renders only the visible rows.

It holds every id of the queue (cheap ints) and asks its screen for the rows of the window
around the viewport; rendered lines are kept in an LRU cache keyed by row, width and cursor.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from core.work.views import ConversationRow
from tui import keys
from tui.formatting import time_left
from tui.widgets.columns import row_text

ROW_CACHE_SIZE = 5_000
STRIP_CACHE_SIZE = 1_000
NEIGHBOURS_SEARCHED = 200
"""When the cursor's conversation leaves the list, how far to look for the next one still there."""


class ConversationList(ScrollView, can_focus=True):
    """Every conversation of one queue, one line each, with a cursor that sticks to its conversation."""

    BINDINGS = keys.bindings("list")

    COMPONENT_CLASSES = {
        "conversation-list--cursor",
        "conversation-list--placeholder",
        "conversation-list--empty",
    }

    DEFAULT_CSS = """
    ConversationList {
        overflow-x: hidden;
        overflow-y: auto;
        scrollbar-size-vertical: 1;
        height: 1fr;
    }
    ConversationList > .conversation-list--cursor {
        background: $surface-lighten-1;
    }
    ConversationList:focus > .conversation-list--cursor {
        background: $primary 45%;
        text-style: bold;
    }
    ConversationList > .conversation-list--placeholder {
        color: $text-muted;
    }
    ConversationList > .conversation-list--empty {
        color: $text-muted;
        text-style: italic;
    }
    """

    @dataclass
    class Highlighted(Message):
        """The cursor moved onto another conversation (None when the list is empty)."""

        conversation_list: ConversationList
        conversation_id: int | None

    @dataclass
    class OpenRequested(Message):
        conversation_id: int

    @dataclass
    class RowsWanted(Message):
        """Rows the list is about to show but does not have; the screen fetches them in a worker."""

        conversation_list: ConversationList
        ids: list[int]

    cursor: reactive[int] = reactive(0, always_update=True, init=False, repaint=False)
    """Index of the highlighted row; watch_cursor repaints just the two lines that change."""

    def __init__(
        self, me: str, now: Callable[[], datetime], *, names: dict[str, str] | None = None, id: str | None = None
    ) -> None:
        super().__init__(id=id)
        self.me = me
        self.names = names or {}
        self.now = now
        self.ids: list[int] = []
        self.empty_message = "Loading…"
        self._positions: dict[int, int] = {}
        self._rows: LRUCache[int, ConversationRow] = LRUCache(ROW_CACHE_SIZE)
        self._strips: LRUCache[tuple, Strip] = LRUCache(STRIP_CACHE_SIZE)
        self._requested: set[int] = set()
        self._request_scheduled = False
        self._minute = self._current_minute()
        self._ticked_at: datetime | None = now()
        """The clock at the last tick: the rows on screen were drawn since (time left only ever moves on)."""
        self._base_style: Style | None = None
        self.marked: set[int] = set()
        """Conversations marked for the next bulk action (space, or a pattern)."""
        self.tag_colours: dict[str, str] = {}

    # -- state from the screen ---------------------------------------------------------
    @property
    def cursor_id(self) -> int | None:
        return self.ids[self.cursor] if 0 <= self.cursor < len(self.ids) else None

    @property
    def cursor_row(self) -> ConversationRow | None:
        cursor_id = self.cursor_id
        return None if cursor_id is None else self._rows.get(cursor_id)

    def row(self, conversation_id: int) -> ConversationRow | None:
        return self._rows.get(conversation_id)

    def set_ids(
        self,
        ids: Sequence[int],
        rows: Iterable[ConversationRow] = (),
        keep_cursor: bool = True,
        empty_message: str = "Nothing here.",
        fetch_rows: bool = True,
    ) -> None:
        """Show a new ordering; the cursor stays on its conversation and at the same height on screen.
        The same ordering with the same rows (a refresh that found nothing new) redraws nothing.
        `fetch_rows=False`: rows missing from the window are not asked for now (the list is covered)."""
        rows = list(rows)
        if (
            keep_cursor
            and len(ids) == len(self.ids)
            and list(ids) == self.ids
            and empty_message == self.empty_message
            and all(self._rows.get(row.id) == row for row in rows)
        ):
            return
        previous_ids, previous_cursor = self.ids, self.cursor
        screen_offset = self.cursor - round(self.scroll_y)
        self.ids = list(ids)
        self._positions = {conversation_id: index for index, conversation_id in enumerate(self.ids)}
        self.empty_message = empty_message
        self._requested.clear()
        self.add_rows(rows, refresh=False)
        if keep_cursor:
            new_cursor = self._surviving_position(previous_ids, previous_cursor)
        else:
            new_cursor, screen_offset = 0, 0
        self.virtual_size = Size(self.size.width, len(self.ids))
        self.set_reactive(ConversationList.cursor, new_cursor)
        self.scroll_to(y=max(new_cursor - screen_offset, 0), animate=False, immediate=True, force=True)
        # The line cache is kept: its key holds the row itself and whether it is the cursor's, so
        # lines of rows that did not change are reused and changed rows are drawn anew.
        self.refresh()
        if fetch_rows:
            self._schedule_row_request()
        self.post_message(self.Highlighted(self, self.cursor_id))

    def _surviving_position(self, previous_ids: list[int], previous_cursor: int) -> int:
        """Where the cursor goes: its conversation, else the next one that is still listed, else the same height."""
        neighbours = previous_ids[previous_cursor : previous_cursor + NEIGHBOURS_SEARCHED]
        neighbours += previous_ids[max(previous_cursor - NEIGHBOURS_SEARCHED, 0) : previous_cursor][::-1]
        for conversation_id in neighbours:
            if conversation_id in self._positions:
                return self._positions[conversation_id]
        return min(previous_cursor, max(len(self.ids) - 1, 0))

    def add_rows(self, rows: Iterable[ConversationRow], refresh: bool = True) -> None:
        """Store fetched rows (newer versions replace older ones) and repaint."""
        for row in rows:
            self._rows.discard(row.id)  # LRUCache.set keeps an existing key's old value
            self._rows.set(row.id, row)
            self._requested.discard(row.id)
        if refresh:
            self.refresh()

    def forget_rows(self, ids: Iterable[int]) -> None:
        """Drop cached rows that changed; visible ones are kept on screen until fresh ones arrive."""
        visible = set(self.visible_ids())
        for conversation_id in ids:
            if conversation_id not in visible:
                self._rows.discard(conversation_id)

    def visible_ids(self, margin: int = 0) -> list[int]:
        """Ids in the viewport, plus `margin` screens above and below."""
        height = max(self.size.height, 1)
        top = max(round(self.scroll_y) - margin * height, 0)
        return self.ids[top : round(self.scroll_y) + height * (1 + margin)]

    def tick(self) -> None:
        """Called when the minute changes: 'time left' stays true. Lines are drawn again for the new
        minute (the cache key), but the list is repainted only when a row on screen shows another time
        left: '-2d1h' changes once an hour, and an idle app (or a demo's 60x clock) should not redraw
        forty unchanged rows every minute."""
        minute = self._current_minute()
        if minute == self._minute:
            return
        now = self.now()
        before, self._ticked_at = self._ticked_at, now
        self._minute = minute
        shown = [self._rows.get(i) for i in self.visible_ids()]
        if before is None or any(
            row is not None and time_left(row.deadline, before) != time_left(row.deadline, now) for row in shown
        ):
            self.refresh()

    def _current_minute(self) -> datetime:
        return self.now().replace(second=0, microsecond=0)

    # -- rendering ---------------------------------------------------------------------
    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._base_style = None
        self._strips.clear()

    @property
    def base_style(self) -> Style:
        """The widget's own style, computed once per style change rather than once per line."""
        if self._base_style is None:
            self._base_style = self.rich_style
        return self._base_style

    def render_line(self, y: int) -> Strip:
        index = round(self.scroll_y) + y
        width = self.size.width
        base_style = self.base_style
        if not self.ids:
            if y == 1:
                style = base_style + self.get_component_rich_style("conversation-list--empty")
                return Strip(list(Text("  " + self.empty_message).render(self.app.console)), width).adjust_cell_length(
                    width, style
                )
            return Strip.blank(width, base_style)
        if index >= len(self.ids):
            return Strip.blank(width, base_style)
        conversation_id = self.ids[index]
        row = self._rows.get(conversation_id)
        is_cursor = index == self.cursor
        if row is None:
            self._schedule_row_request()
            style = base_style + self.get_component_rich_style("conversation-list--placeholder")
            if is_cursor:
                style += self.get_component_rich_style("conversation-list--cursor")
            return Strip.blank(width, style)
        marked = conversation_id in self.marked
        cache_key = (row, width, is_cursor, self.has_focus, self._minute, base_style, marked)
        strip = self._strips.get(cache_key)
        if strip is None:
            style = base_style
            if is_cursor:
                style += self.get_component_rich_style("conversation-list--cursor")
            text = row_text(row, self.now(), self.me, width, self.names, marked, self.tag_colours)
            segments = list(Segment.apply_style(text.render(self.app.console), style))
            strip = Strip(segments).adjust_cell_length(width, style)
            self._strips.set(cache_key, strip)
        return strip

    def _schedule_row_request(self) -> None:
        if not self._request_scheduled:
            self._request_scheduled = True
            self.call_later(self._request_rows)

    def _request_rows(self) -> None:
        """Ask for the rows of one screen above to one below the viewport that are neither cached nor asked for."""
        self._request_scheduled = False
        missing = [i for i in self.visible_ids(margin=1) if i not in self._rows and i not in self._requested]
        if missing:
            self._requested.update(missing)
            self.post_message(self.RowsWanted(self, missing))

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._schedule_row_request()

    def on_resize(self) -> None:
        self.virtual_size = Size(self.size.width, len(self.ids))
        self._strips.clear()
        self._schedule_row_request()

    def on_focus(self) -> None:
        self._base_style = None
        self.refresh()

    def on_blur(self) -> None:
        self._base_style = None
        self.refresh()

    # -- cursor --------------------------------------------------------------------------
    def validate_cursor(self, value: int) -> int:
        return max(0, min(value, len(self.ids) - 1)) if self.ids else 0

    def watch_cursor(self, old_value: int, new_value: int) -> None:
        self.refresh_line(old_value)
        self.refresh_line(new_value)
        self._scroll_cursor_into_view()
        self.post_message(self.Highlighted(self, self.cursor_id))

    def _scroll_cursor_into_view(self) -> None:
        height = self.size.height or 1
        top = round(self.scroll_y)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False, immediate=True)

    def following(self, conversation_id: int, count: int = 50) -> list[int]:
        """The ids listed after a conversation (none when it is not listed)."""
        position = self._positions.get(conversation_id)
        return [] if position is None else self.ids[position + 1 : position + 1 + count]

    def holds(self, conversation_id: int) -> bool:
        return conversation_id in self._positions

    def move_to(self, conversation_id: int) -> bool:
        """Put the cursor on a conversation if the list holds it."""
        position = self._positions.get(conversation_id)
        if position is None:
            return False
        self.cursor = position
        return True

    # -- marks ---------------------------------------------------------------------------
    def toggle_mark(self) -> None:
        """Mark or unmark the cursor's conversation, then move down (mutt's habit)."""
        conversation_id = self.cursor_id
        if conversation_id is None:
            return
        self.marked ^= {conversation_id}
        self.refresh_line(self.cursor)
        self.cursor += 1

    def set_marks(self, ids: Iterable[int]) -> None:
        self.marked = set(ids)
        self.refresh()

    def marked_in_order(self) -> list[int]:
        """Marked conversations still in the list, in display order."""
        return [i for i in self.ids if i in self.marked] if self.marked else []

    def action_cursor_down(self) -> None:
        self.cursor += 1

    def action_cursor_up(self) -> None:
        self.cursor -= 1

    def action_cursor_first(self) -> None:
        self.cursor = 0

    def action_cursor_last(self) -> None:
        self.cursor = len(self.ids) - 1

    def action_page_down(self) -> None:
        self.cursor += max(self.size.height - 1, 1)

    def action_page_up(self) -> None:
        self.cursor -= max(self.size.height - 1, 1)

    def action_open(self) -> None:
        if self.cursor_id is not None:
            self.post_message(self.OpenRequested(self.cursor_id))

    def on_click(self, event) -> None:
        index = round(self.scroll_y) + event.y
        if 0 <= index < len(self.ids):
            if index == self.cursor and event.chain >= 2:
                self.action_open()
            self.cursor = index
