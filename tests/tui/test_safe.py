"""Hostile mail-derived strings come out as inert plain text."""

from __future__ import annotations

import pytest
from rich.console import Console
from rich.text import Text

from tui.safe import clean_block, clean_line, join_plain, plain, plain_block

HOSTILE_LINES = [
    "[bold red]x[/]",
    "[link=file:///etc/passwd]click[/link]",
    "before\x1b[2Jafter",
    "\x1b]0;owned title\x07subject",
    "\x1b]8;;http://evil.example/\x1b\\link\x1b]8;;\x1b\\",
    "\x9b31mred",
    "\x9d0;title\x9cplain",
    "invoice\rREFUND APPROVED",
    "file\u202etxt.exe",
    "bell\x07 null\x00 del\x7f c1\x85 line",
    "\x1bc reset",
]


@pytest.mark.parametrize("hostile", HOSTILE_LINES)
def test_clean_line_leaves_no_control_character(hostile: str) -> None:
    cleaned = clean_line(hostile)
    assert not any(ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F for ch in cleaned)
    assert "\u202e" not in cleaned


def test_escape_sequences_are_removed_whole() -> None:
    assert clean_line("before\x1b[2Jafter") == "beforeafter"
    assert clean_line("\x1b]0;owned title\x07subject") == "subject"
    assert clean_line("\x9b31mred") == "red"
    assert clean_line("\x1b]8;;http://evil.example/\x1b\\link\x1b]8;;\x1b\\") == "link"


def test_carriage_return_cannot_overwrite_what_came_before() -> None:
    assert clean_line("invoice\rREFUND APPROVED") == "invoice REFUND APPROVED"
    assert clean_block("invoice\rREFUND APPROVED") == "invoice\nREFUND APPROVED"


def test_bidi_override_is_neutralised() -> None:
    assert clean_line("file\u202etxt.exe") == "filetxt.exe"
    assert clean_line("a\u2066b\u2069c\u200fd") == "abcd"


def test_markup_is_shown_literally() -> None:
    text = plain("[bold red]x[/] [link=file:///etc/passwd]click[/link]")
    assert isinstance(text, Text)
    assert text.plain == "[bold red]x[/] [link=file:///etc/passwd]click[/link]"
    assert not text.spans
    rendered = _render(text)
    assert "[bold red]x[/]" in rendered
    assert "\x1b]8" not in rendered


def test_block_keeps_lines_and_expands_tabs() -> None:
    body = "Hello\r\n\tindented\x1b[31m red\x1b[0m\n\nBye\x00"
    assert clean_block(body) == "Hello\n    indented red\n\nBye"
    assert plain_block(body).plain == "Hello\n    indented red\n\nBye"


def test_unterminated_osc_only_eats_its_own_line() -> None:
    assert clean_block("line one \x1b]0;never ends\nline two") == "line one\nline two"


def test_none_and_non_strings() -> None:
    assert clean_line(None) == ""
    assert clean_block(None) == ""
    assert clean_line(42) == "42"


def test_join_plain_styles_each_part() -> None:
    text = join_plain([("[b]ann[/b]", "bold"), ("\x1b[2Jx", "red")], " ")
    assert text.plain == "[b]ann[/b] x"
    assert [str(span.style) for span in text.spans] == ["bold", "red"]


def _render(text: Text) -> str:
    console = Console(width=200, color_system="truecolor", force_terminal=True)
    with console.capture() as capture:
        console.print(text)
    return capture.get()
