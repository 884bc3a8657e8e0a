"""Plain text for terminals: mail-derived strings lose control characters before the CLI prints them."""

import re

# C0 controls except tab/newline, DEL, C1 controls, and bidi overrides/isolates that reorder text.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_ESCAPE_SEQUENCE = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)?|[@-Z\\-_])")


def printable(text: str | None, keep_newlines: bool = False) -> str:
    """Remove escape sequences and control characters; newlines become spaces unless kept."""
    if not text:
        return ""
    text = _ESCAPE_SEQUENCE.sub("", text)
    text = text.replace("\r\n", "\n").replace("\t", "    ")
    if not keep_newlines:
        text = text.replace("\n", " ")
    return _CONTROLS.sub("\ufffd", text)
