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
    key: str
    title: str
    width: int
    """0 means: whatever width is left."""
    drop: int = 0
    """Order in which columns leave as the list narrows: 1 goes first; 0 never goes."""


COLUMNS = (
    Column("due", "Due", 7),
    Column("customer", "Customer", 20),
    Column("subject", "Subject", 0),
    Column("owner", "Owner", 10, drop=5),
    Column("reply", "Rpl", 3, drop=4),
    Column("lock", LOCK, 2, drop=3),
    Column("others", "Others", 12, drop=2),
    Column("state", "State", 7, drop=1),
)
"""Due, customer and subject come first and always stay; the subject takes the width that is left."""
GAP = 1
SUBJECT_MIN = 20
"""Columns are dropped until the subject has at least this many cells."""
NARROW_CUSTOMER = 14
"""The customer column's width when the list is too narrow for every column."""


def layout(total: int) -> list[tuple[Column, int]]:
    """The columns shown at this width, with their widths, in display order."""
    shown = list(COLUMNS)
    customer = COLUMNS[1].width

    def subject_width() -> int:
        fixed = sum(customer if c.key == "customer" else c.width for c in shown) + GAP * (len(shown) - 1)
        return total - fixed

    for column in sorted((c for c in COLUMNS if c.drop), key=lambda c: c.drop):
        if subject_width() >= SUBJECT_MIN:
            break
        if column.key == "owner" and customer > NARROW_CUSTOMER:
            customer = NARROW_CUSTOMER  # a shorter customer name before losing the owner
            if subject_width() >= SUBJECT_MIN:
                break
        shown.remove(column)
    if subject_width() < SUBJECT_MIN:
        customer = NARROW_CUSTOMER
    return [(c, customer if c.key == "customer" else c.width or max(subject_width(), 0)) for c in shown]


def header_text(width: int) -> Text:
    line = Text(no_wrap=True)
    for index, (column, cell_width) in enumerate(layout(width)):
        if index:
            line.append(" " * GAP)
        line.append_text(_cell(Text(column.title), cell_width))
    return line


def _cell(text: Text, width: int) -> Text:
    text.no_wrap = True
    text.truncate(max(width, 0), overflow="ellipsis", pad=True)
    return text


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


def row_text(
    row: ConversationRow,
    now: datetime,
    me: str,
    width: int,
    names: Mapping[str, str] = {},
    marked: bool = False,
    tag_colours: Mapping[str, str] = {},
) -> Text:
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
    cells = {
        "due": lambda: Text(f"{MARK}{due}", style=MARK_STYLE) if marked else Text(due, style=due_style),
        "customer": lambda: Text(clean_line(row.customer_name or row.customer_address)),
        "subject": lambda: subject,
        "owner": lambda: Text(clean_line(owner), style=owner_style),
        "reply": lambda: Text("CC", style="bold yellow") if row.shared_reply else Text(" ·", style="dim"),
        "lock": lambda: Text(LOCK) if row.confidential else Text(""),
        "others": lambda: _others(row, me, names),
        "state": lambda: Text(state, style=state_style),
    }
    line = Text(no_wrap=True, style=MARKED_LINE if marked else "dim" if row.state == "done" else "")
    for index, (column, cell_width) in enumerate(layout(width)):
        if index:
            line.append(" " * GAP)
        line.append_text(_cell(cells[column.key](), cell_width))
    return line
