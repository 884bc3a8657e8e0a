"""Small terminals (issue 13 item 4): at 80x24 the list shows due, customer and subject, the
conversation body gets the width, every dialog fits with its buttons, and the footer never cuts a word."""

from __future__ import annotations

import pytest
from textual.widgets import Button
from textual.widgets._footer import FooterKey

from tests.tui.conftest import make_app, settle
from tests.tui.fake_service import FakeComptoir
from tests.tui.test_conversation_list import NOW, make_row
from tui.screens.conversation import ConversationScreen
from tui.widgets.columns import SUBJECT_MIN, header_text, layout, row_text
from tui.widgets.key_footer import KeyFooter, key_width

SMALL = (80, 24)
LARGE = (160, 48)


@pytest.mark.parametrize("width", range(30, 200, 7))
def test_due_customer_and_subject_always_come_first(width: int) -> None:
    columns = [column.key for column, _ in layout(width)]
    assert columns[:3] == ["due", "customer", "subject"]
    assert sum(w for _, w in layout(width)) + len(columns) - 1 == width
    if len(columns) > 3:
        assert {c.key: w for c, w in layout(width)}["subject"] >= SUBJECT_MIN


def test_columns_leave_in_priority_order() -> None:
    wide = [c.key for c, _ in layout(140)]
    assert wide == ["due", "customer", "subject", "owner", "reply", "lock", "others", "state"]
    assert [c.key for c, _ in layout(80)] == ["due", "customer", "subject", "owner", "reply", "lock", "others"]
    assert [c.key for c, _ in layout(55)] == ["due", "customer", "subject", "owner"]
    assert [c.key for c, _ in layout(40)] == ["due", "customer", "subject"]


def test_a_narrow_row_still_names_the_customer_and_the_subject() -> None:
    row = make_row(1, customer_name="Grace Hopper", subject="Quote for 40 seats")
    text = row_text(row, NOW, "ann", 55).plain
    assert "Grace Hopper" in text and "Quote for 40 seats" in text
    assert header_text(55).plain.split()[:3] == ["Due", "Customer", "Subject"]


async def test_the_conversation_body_gets_the_width_below_120_columns(fake_service: FakeComptoir) -> None:
    app = make_app(fake_service)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ConversationScreen)
        assert not app.screen.query_one("#routing-pane").display
        assert app.screen.query_one("#messages").size.width >= 76
        await pilot.press("w")  # Why is one key away
        await settle(pilot)
        assert type(app.screen).__name__ == "WhyScreen"
    app = make_app(fake_service)
    async with app.run_test(size=LARGE) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.query_one("#routing-pane").display


DIALOG_KEYS = {
    "assign": ("a",),
    "alerts": ("A",),
    "why": ("w",),
    "no action": ("j", "n"),
    "snooze": ("s",),
    "presence": ("p",),
    "help": ("question_mark",),
}


@pytest.mark.parametrize("name", sorted(DIALOG_KEYS))
async def test_every_dialog_fits_80x24_with_its_buttons(name: str, fake_service: FakeComptoir) -> None:
    app = make_app(fake_service)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        for key in DIALOG_KEYS[name]:
            await pilot.press(key)
            await settle(pilot)
        screen = app.screen
        box = screen.query_one(".dialog").region
        assert box.y >= 0 and box.bottom <= SMALL[1] and box.right <= SMALL[0], (name, box)
        for button in screen.query(Button):
            region = button.region
            assert region.height and box.contains_region(region), (name, button.label, region, box)


@pytest.mark.parametrize("size", [SMALL, LARGE, (100, 30)])
async def test_the_footer_shows_whole_keys_most_important_first(size, fake_service: FakeComptoir) -> None:
    app = make_app(fake_service)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        footer = app.screen.query_one(KeyFooter)
        shown = list(footer.query(FooterKey))
        assert sum(key_width(k) for k in shown) + 2 <= size[0]
        for key in shown:
            assert key.region.width == key_width(key) and key.region.right <= size[0], key.description
        labels = [k.description for k in shown if not k.has_class("-command-palette")]
        assert labels[:3] == ["Open", "Reply", "No action"]
        await pilot.press("enter")
        await settle(pilot)
        labels = [k.description for k in app.screen.query_one(KeyFooter).query(FooterKey)]
        assert labels[:3] == ["Reply", "No action", "Back"]
