"""The title line: workspace, who you are with your presence, and the (possibly simulated) clock; for a
few seconds after an action, how it went and the key that undoes it, in place of the workspace's name."""

from __future__ import annotations

from datetime import datetime, tzinfo

from rich.table import Table
from rich.text import Text
from textual.widget import Widget

from tui.formatting import full_time, presence_mark, short_time
from tui.safe import clean_line


class TopBar(Widget):
    DEFAULT_CSS = """
    TopBar {
        height: 1;
        width: 1fr;
        background: $primary;
        color: $text;
        padding: 0 1;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.workspace_name = "Comptoir"
        self.agent_name = ""
        self.presence = "available"
        self.now: datetime | None = None
        self.zone: tzinfo | None = None
        self.simulated = False
        self.note = ""
        self.status: Text | None = None
        """How the last action went (ComptoirApp.notify_action): shown instead of the workspace's name."""

    def update_state(self, **values) -> None:
        """Set what the line shows; redraw only when that changes (the clock shows minutes)."""
        changed = False
        for name, value in values.items():
            old = getattr(self, name)
            if name == "now" and isinstance(old, datetime) and isinstance(value, datetime):
                changed = changed or old.replace(second=0, microsecond=0) != value.replace(second=0, microsecond=0)
            else:
                changed = changed or old != value
            setattr(self, name, value)
        if changed:
            self.refresh()

    def render(self) -> Table:
        grid = Table.grid(expand=True)
        grid.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
        grid.add_column(justify="right", no_wrap=True)
        left = Text(no_wrap=True, overflow="ellipsis")
        if self.status is not None:
            left.append_text(self.status)  # built by the app from clean text
        else:
            left.append("Comptoir", style="bold")
            left.append(f" · {clean_line(self.workspace_name)}")
        if self.note:
            left.append(f"  ⚠ {clean_line(self.note)}", style="bold yellow")
        right = Text(no_wrap=True)
        if self.status is None:
            mark, style = presence_mark(self.presence)
            right.append(clean_line(self.agent_name) + " ")
            right.append(f"{mark} {self.presence}", style=style)
            if self.now is not None:
                right.append("  " + full_time(self.now, self.zone))
        elif self.now is not None:
            # The few seconds an action's outcome shows: it takes the room, so 80 columns keep its undo key.
            right.append(short_time(self.now, self.now, self.zone))
        if self.now is not None and self.simulated:
            right.append(" (sim)", style="italic")
        grid.add_row(left, right)
        return grid
