"""Mail-derived strings made safe to show: plain rich Text, no markup, no terminal control characters.

Every subject, name, address, body and file name that came from a mail goes through here before
it reaches a widget. `rich.text.Text` never interprets markup, and core.textsafe.strip_controls drops
escape sequences, C0/C1 control characters and bidirectional overrides that could rewrite the screen
or make a file name read backwards.
"""

from __future__ import annotations

import re

from rich.style import Style
from rich.text import Text

from core.textsafe import strip_controls

TAB_SIZE = 4


def clean_line(value: object) -> str:
    """One display line: line breaks and tabs become single spaces, control characters vanish."""
    if value is None:
        return ""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    text = strip_controls(text)
    return re.sub(r"[\t\n]+", " ", text).strip()


def clean_block(value: object) -> str:
    """Multi-line text (a message body): keeps line breaks, expands tabs, drops every control character.

    A lone carriage return becomes a line break, so the "\\r overwrite" trick cannot hide text.
    """
    if value is None:
        return ""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    text = strip_controls(text)
    return "\n".join(line.expandtabs(TAB_SIZE).rstrip() for line in text.split("\n"))


def plain(value: object, style: str | Style = "") -> Text:
    """A single-line rich Text of a mail-derived value; markup in it is shown, never interpreted."""
    return Text(clean_line(value), style=style, no_wrap=True, overflow="ellipsis")


def plain_block(value: object, style: str | Style = "") -> Text:
    """A multi-line rich Text of a mail-derived body."""
    return Text(clean_block(value), style=style)


def join_plain(parts: list[tuple[object, str | Style]], separator: str = "") -> Text:
    """Several (value, style) pairs as one Text, each value cleaned as a line."""
    text = Text(no_wrap=True, overflow="ellipsis")
    for index, (value, style) in enumerate(parts):
        if index and separator:
            text.append(separator)
        text.append(clean_line(value), style=style)
    return text
