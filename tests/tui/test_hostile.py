"""Hostile mail content reaches the screen as inert text: markup shown literally, no control character drawn."""

from __future__ import annotations

from tests.tui.conftest import SIZE, make_app, settle
from tests.tui.fake_service import hostile_service
from tui.screens.assign import agent_prompt
from tui.screens.dialogs import safe_file_name
from tui.widgets.conversation_list import ConversationList


def assert_inert(text: str) -> None:
    controls = [hex(ord(ch)) for ch in text if (ord(ch) < 0x20 and ch != "\n") or 0x7F <= ord(ch) <= 0x9F]
    assert controls == []
    assert "\u202e" not in text


async def test_hostile_list_and_conversation_render_as_plain_text() -> None:
    app = make_app(hostile_service())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        listing = app.screen.query_one(ConversationList)
        rendered = "".join(segment.text for y in range(3) for segment in listing.render_line(y))
        assert "[bold red]PWNED[/]" in rendered
        assert "[link=file:///etc/p" in rendered
        assert_inert(rendered)
        assert all(
            segment.style is None or not segment.style.link for y in range(3) for segment in listing.render_line(y)
        )

        await pilot.press("enter")
        await settle(pilot)
        svg = app.export_screenshot()
        assert "[b]bold?[/b]" in svg
        assert "PWNED" in svg and "\x1b" not in svg and "\x9b" not in svg and "\x07" not in svg
        assert "http://evil.test" not in svg

        await pilot.press("A")
        await settle(pilot)
        svg = app.export_screenshot()
        assert "[bold red]PWNED[/]" in svg.replace("&#160;", " ")


def test_file_names_cannot_climb_or_hide_their_extension() -> None:
    assert safe_file_name("../../etc/passwd") == "_.._etc_passwd"
    assert safe_file_name("invoice\u202efdp.exe") == "invoicefdp.exe"
    assert safe_file_name("\x1b[2J") == "attachment"


def test_agent_names_from_config_are_cleaned_too() -> None:
    from core.work.views import AgentView

    text = agent_prompt(AgentView("eve", "[red]Eve\x1b[2J", (), "agent", "available", None, 0, True), "ann")
    assert "[red]Eve" in text.plain and "\x1b" not in text.plain
