"""The conversation list's columns: one function turns a row into one line of styled plain text."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from rich.text import Text

from core.work.views import ConversationRow
from tui.formatting import short_name, time_left
from tui.safe import clean_line

LOCK = "⊘"
MARK = "●"
MARK_STYLE = "bold yellow"
MARKED_LINE = "on #3a3000"
"""A marked row's background: visible at a glance, still readable in every colour of the text."""


@dataclass(frozen=True)
class Column:
    title: str
    width: int
    """0 means: whatever width is left."""


COLUMNS = (
    Column("Due", 7),
    Column("State", 7),
    Column("Owner", 10),
    Column("Rpl", 3),
    Column(LOCK, 2),
    Column("Others", 12),
    Column("Customer", 20),
    Column("Subject", 0),
)
GAP = 1


def _cell(text: Text, width: int) -> Text:
    text.no_wrap = True
    text.truncate(max(width, 0), overflow="ellipsis", pad=True)
    return text


def _widths(total: int) -> list[int]:
    fixed = sum(c.width for c in COLUMNS) + GAP * (len(COLUMNS) - 1)
    return [c.width or max(total - fixed, 0) for c in COLUMNS]


def header_text(width: int) -> Text:
    line = Text(no_wrap=True)
    for index, (column, cell_width) in enumerate(zip(COLUMNS, _widths(width))):
        if index:
            line.append(" " * GAP)
        line.append_text(_cell(Text(column.title), cell_width))
    return line


def _state(row: ConversationRow) -> tuple[str, str]:
    if row.state == "open" and row.window == "personal":
        return "excl", "magenta"
    return row.state, {"waiting": "blue", "snoozed": "dim", "done": "dim green"}.get(row.state, "")


def _owner(row: ConversationRow, me: str) -> tuple[str, str]:
    if row.owner:
        return ("me", "bold") if row.owner == me else (row.owner, "")
    if row.exclusive_agent:
        return ("me*", "bold magenta") if row.exclusive_agent == me else (f"{row.exclusive_agent}*", "magenta")
    if row.team:
        return f"@{row.team}", "dim"
    return "—", "dim"


def _others(row: ConversationRow, me: str, names: Mapping[str, str]) -> Text:
    text = Text(no_wrap=True)
    for login in row.repliers:
        if login != me:
            text.append(f"✎{clean_line(short_name(login, names))} ", style="bold yellow")
    for login in row.viewers:
        if login != me and login not in row.repliers:
            text.append(f"◉{clean_line(short_name(login, names))} ", style="cyan")
    return text


def tag_chips(tags: tuple[str, ...], colours: Mapping[str, str]) -> Text:
    """Tags as coloured chips ("billing vip "), in the colours of the config's [[tags]]."""
    chips = Text(no_wrap=True)
    for tag in tags:
        chips.append(f"{clean_line(tag)}", style=f"bold {colours.get(tag, 'cyan')}")
        chips.append(" ")
    return chips


def row_text(row: ConversationRow, now: datetime, me: str, width: int, names: Mapping[str, str] = {},
             marked: bool = False, tag_colours: Mapping[str, str] = {}) -> Text:
    """One list line for a conversation; every mail-derived value is cleaned and never parsed as markup.

    A marked row (for a bulk action) starts with a dot; tags come before the subject."""
    due, due_style = time_left(row.deadline, now)
    state, state_style = _state(row)
    owner, owner_style = _owner(row, me)
    subject = Text(no_wrap=True)
    if row.tags:
        subject.append_text(tag_chips(row.tags, tag_colours))
    if row.priority == "high":
        subject.append("! ", style="bold red")
    subject.append(clean_line(row.subject) or "(no subject)", style="bold" if row.pending_count else "")
    if row.pending_count > 1:
        subject.append(f" ({row.pending_count})", style="dim")
    cells = [
        Text(f"{MARK}{due}", style=MARK_STYLE) if marked else Text(due, style=due_style),
        Text(state, style=state_style),
        Text(clean_line(owner), style=owner_style),
        Text("CC", style="bold yellow") if row.shared_reply else Text(" ·", style="dim"),
        Text(LOCK) if row.confidential else Text(""),
        _others(row, me, names),
        Text(clean_line(row.customer_name or row.customer_address)),
        subject,
    ]
    line = Text(no_wrap=True, style=MARKED_LINE if marked else "dim" if row.state == "done" else "")
    for index, (cell, cell_width) in enumerate(zip(cells, _widths(width))):
        if index:
            line.append(" " * GAP)
        line.append_text(_cell(cell, cell_width))
    return line
