"""The sidebar of queues, each with its count and how many are urgent."""

from __future__ import annotations

from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.text import Text
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from core.work.views import QueueInfo
from tui import keys
from tui.safe import clean_line


class QueuePrompt:
    """'My work      3 12' laid out for the width it is drawn in: the title (cut with an ellipsis when
    long) on the left, one space, the counts on the right. What a two-column rich Table grid drew, at a
    fraction of its cost (the sidebar's options are drawn three times before the first screen shows)."""

    def __init__(self, title: Text, counts: Text) -> None:
        self.title = title
        self.counts = counts

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = options.max_width
        room = width - self.counts.cell_len - 1
        line = self.title.copy() if room > 0 else Text()
        if room > 0:
            # Without counts (Search, or not counted yet) the title is not padded out, as the grid did.
            line.truncate(room, overflow="ellipsis", pad=bool(self.counts))
        line.append(" ")
        line.append_text(self.counts)
        line.no_wrap = True
        line.truncate(width, overflow="ellipsis")  # a sidebar narrower than its counts (never at 80 columns)
        yield line

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(self.counts.cell_len + 2, options.max_width)


def queue_prompt(queue: QueueInfo) -> QueuePrompt:
    """'My work      3 12': title left, urgent (red) and total counts right."""
    counts = Text(no_wrap=True)
    if queue.urgent:
        counts.append(f"!{queue.urgent} ", style="bold red")
    if queue.key != "search" and queue.count is not None:
        counts.append(str(queue.count), style="bold" if queue.count else "dim")
    return QueuePrompt(Text(clean_line(queue.title)), counts)


class QueueSidebar(OptionList):
    """Queues in a fixed order; updating counts keeps the highlighted queue. j/k/g/G move as in the list
    (same binding ids, so a keymap that remaps them in the list remaps them here)."""

    BINDINGS = keys.bindings("list", exclude=("open",))

    DEFAULT_CSS = """
    QueueSidebar {
        width: 32;
        height: 1fr;
        border: none;
        border-right: vkey $panel-lighten-2;
        padding: 0 1 0 0;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.queue_keys: list[str] = []
        self._shown: list[QueueInfo] = []

    def show_queues(self, queues: list[QueueInfo], selected: str | None = None) -> None:
        if queues == self._shown:
            return  # counted again, nothing moved: no redraw
        self._shown = list(queues)
        keys = [q.key for q in queues]
        if keys == self.queue_keys:
            for queue in queues:
                self.replace_option_prompt(queue.key, queue_prompt(queue))
            return
        previous = self.highlighted_key or selected
        self.queue_keys = keys
        self.set_options([Option(queue_prompt(q), id=q.key) for q in queues])
        if previous in keys:
            self.highlighted = keys.index(previous)
        elif keys:
            self.highlighted = 0

    @property
    def highlighted_key(self) -> str | None:
        option = self.highlighted_option
        return option.id if option is not None else None

    def select_key(self, key: str) -> None:
        if key in self.queue_keys:
            self.highlighted = self.queue_keys.index(key)

    def action_cursor_first(self) -> None:
        self.action_first()

    def action_cursor_last(self) -> None:
        self.action_last()
