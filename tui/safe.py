"""Mail-derived strings made safe to show: plain rich Text, no markup, no terminal control characters.

Every subject, name, address, body and file name that came from a mail goes through here before
it reaches a widget. `rich.text.Text` never interprets markup, and the cleaners below drop escape
sequences, C0/C1 control characters and bidirectional overrides that could rewrite the screen or
make a file name read backwards.
"""

from __future__ import annotations

import re

from rich.style import Style
from rich.text import Text

TAB_SIZE = 4

# ESC-introduced sequences: CSI (ESC [ ... final), OSC / DCS / SOS / PM / APC (... BEL or ST), and two-byte escapes.
_ESCAPE_SEQUENCE = re.compile(
    r"""
    \x1b\[[0-?]*[ -/]*[@-~]                      # CSI ... final byte
    | \x1b[\]PX^_].*?(?:\x07|\x1b\\|\x9c|(?=\n)|$)  # OSC, DCS, SOS, PM, APC up to BEL / ST / line end
    | \x9b[0-?]*[ -/]*[@-~]                      # 8-bit CSI
    | [\x90\x98\x9d\x9e\x9f].*?(?:\x07|\x9c|\x1b\\|(?=\n)|$)  # 8-bit DCS, SOS, OSC, PM, APC
    | \x1b[ -/]*[0-~]?                           # any other escape (ESC c, ESC ( B, a lone ESC)
    """,
    re.VERBOSE | re.DOTALL,
)

# Bidirectional embeddings, overrides and isolates (they reorder text visually), plus the Arabic letter mark.
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069\u061c\u200e\u200f]")

# Every C0 control but tab/newline, DEL, and every C1 control.
_CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")

# Line and paragraph separators some mailers use; treated as line breaks.
_UNICODE_LINE_BREAKS = re.compile("[\u2028\u2029\x85]")


def _strip_controls(value: str) -> str:
    """Drop escape sequences, bidi controls and control characters; keep tabs and newlines for the caller."""
    value = _UNICODE_LINE_BREAKS.sub("\n", value)
    value = _ESCAPE_SEQUENCE.sub("", value)
    value = _BIDI_CONTROLS.sub("", value)
    return _CONTROL_CHARACTERS.sub("", value)


def clean_line(value: object) -> str:
    """One display line: line breaks and tabs become single spaces, control characters vanish."""
    if value is None:
        return ""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    text = _strip_controls(text)
    return re.sub(r"[\t\n]+", " ", text).strip()


def clean_block(value: object) -> str:
    """Multi-line text (a message body): keeps line breaks, expands tabs, drops every control character.

    A lone carriage return becomes a line break, so the "\\r overwrite" trick cannot hide text.
    """
    if value is None:
        return ""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    text = _strip_controls(text)
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
