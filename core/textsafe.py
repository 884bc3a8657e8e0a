"""Mail-derived text made safe for a terminal: the one cleaner every front end uses.

Drops escape sequences (7- and 8-bit CSI, OSC, DCS and the rest), bidirectional overrides that
reorder text, and C0/C1 control characters; keeps tabs and newlines for the caller to lay out.
"""

from __future__ import annotations

import re

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


def strip_controls(value: str) -> str:
    """Drop escape sequences, bidi controls and control characters; keep tabs and newlines."""
    value = _UNICODE_LINE_BREAKS.sub("\n", value)
    value = _ESCAPE_SEQUENCE.sub("", value)
    value = _BIDI_CONTROLS.sub("", value)
    return _CONTROL_CHARACTERS.sub("", value)


def printable(text: str | None, keep_newlines: bool = False) -> str:
    """For CLI output: cleaned, tabs as spaces; line breaks become spaces unless kept."""
    if not text:
        return ""
    text = strip_controls(text.replace("\r\n", "\n").replace("\r", "\n")).replace("\t", "    ")
    return text if keep_newlines else text.replace("\n", " ")
