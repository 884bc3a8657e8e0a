"""Attaching files in the app: a path box that completes file names as you type (→ or End accepts the
suggestion), Enter attaches the file, Backspace in the empty box drops the last one.

The app only checks and lists the paths; the files are read when the mail is sent, by this process with the
agent's own permissions (core.mail.outgoing.read_files), and travel to the server in the request.
"""

from __future__ import annotations

import os
from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.events import Key
from textual.suggester import Suggester
from textual.widget import Widget
from textual.widgets import Input, Label, Static

from tui.safe import clean_line
from tui.widgets.message_card import human_size

MAX_LISTED = 200
"""Entries of a folder looked at for one suggestion (a huge folder must not stall typing)."""


class PathSuggester(Suggester):
    """Completes the last component of a path from what is on disk (folders get a trailing /)."""

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)

    async def get_suggestion(self, value: str) -> str | None:
        return complete_path(value)


def complete_path(value: str) -> str | None:
    """`value` extended to the first file or folder on disk that starts with it; None when nothing does."""
    if not value:
        return None
    expanded = os.path.expanduser(value)
    folder, _, start = expanded.rpartition("/")
    where = Path(folder + "/" if folder or expanded.startswith("/") else ".")
    try:
        with os.scandir(where) as entries:
            names = []
            for number, entry in enumerate(entries):
                if number >= MAX_LISTED:
                    break
                if entry.name.startswith(start) and (start.startswith(".") or not entry.name.startswith(".")):
                    names.append((entry.name, entry.is_dir()))
    except OSError:
        return None
    if not names:
        return None
    name, is_dir = sorted(names)[0]
    rest = name[len(start) :] + ("/" if is_dir else "")
    return value + rest if rest else None


class AttachField(Widget):
    """ "Attach" and its path box, and the line listing the attached files."""

    DEFAULT_CSS = """
    AttachField { height: auto; }
    AttachField Horizontal { height: 1; }
    AttachField #attach-list { height: auto; padding-left: 6; color: $text-muted; }
    AttachField #attach-list.-empty { display: none; }
    """

    def __init__(self, limit_mb: int, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.limit_mb = limit_mb
        self.paths: list[Path] = []

    def compose(self) -> ComposeResult:
        with Horizontal(classes="composer-field composer-compact"):
            yield Label("Files", classes="composer-label")
            yield Input(
                placeholder="path of a file to attach, Enter adds it (→ completes)",
                id="attach-path",
                suggester=PathSuggester(),
            )
        yield Static(Text(""), id="attach-list", classes="-empty")

    @on(Input.Submitted, "#attach-path")
    def add_path(self, message: Input.Submitted) -> None:
        message.stop()
        box = message.input
        typed = box.value.strip()
        if not typed:
            return
        path = Path(os.path.expanduser(typed))
        problem = _problem(path)
        if problem is None and path in self.paths:
            problem = "it is attached already"
        if problem is None and self.total() + path.stat().st_size > self.limit_mb * 1024 * 1024:
            problem = f"the files would pass the workspace's limit of {self.limit_mb} MB"
        if problem is not None:
            self.app.notify(
                f"Cannot attach {typed}: {problem}.", title="Not attached", severity="warning", markup=False
            )
            return
        self.paths.append(path)
        box.value = ""
        self.show()

    def on_key(self, event: Key) -> None:
        box = self.query_one("#attach-path", Input)
        if event.key == "backspace" and box.has_focus and not box.value and self.paths:
            self.paths.pop()
            self.show()
            event.stop()
            event.prevent_default()

    def clear(self) -> None:
        """Nothing attached and an empty box (the composer, filled again for another conversation)."""
        self.paths.clear()
        self.query_one("#attach-path", Input).value = ""
        self.show()

    def total(self) -> int:
        total = 0
        for path in self.paths:
            try:
                total += path.stat().st_size
            except OSError:
                pass
        return total

    def show(self) -> None:
        listing = self.query_one("#attach-list", Static)
        listing.set_class(not self.paths, "-empty")
        text = Text()
        for number, path in enumerate(self.paths):
            if number:
                text.append("  ")
            try:
                size = human_size(path.stat().st_size)
            except OSError:
                size = "gone"
            text.append("+ " + clean_line(path.name), style="bold")
            text.append(f" ({size})", style="dim")
        if self.paths:
            text.append("   Backspace in the empty box drops the last", style="dim italic")
        listing.update(text)


def _problem(path: Path) -> str | None:
    try:
        if not path.exists():
            return "there is no such file"
        if not path.is_file():
            return "it is not a file"
        if not os.access(path, os.R_OK):
            return "you may not read it"
    except OSError as error:
        return error.strerror or str(error)
    return None
