"""Find and go (issue 13 item 7): #1234 opens a conversation, a heading names the queue and its count,
j/k/g/G move in the queue pane too, and landing on Search neither takes the focus nor drops the query."""

from __future__ import annotations

import pytest
from textual.widgets import Input

from tests.tui.conftest import SIZE, make_app, settle
from tests.tui.fake_service import FakeComptoir
from tui.screens.conversation import ConversationScreen
from tui.screens.main import ListTitle, MainScreen, conversation_number
from tui.widgets.conversation_list import ConversationList
from tui.widgets.queue_sidebar import QueueSidebar


def title(app) -> str:
    return app.screen.query_one(ListTitle).title.plain


def test_conversation_numbers_are_read_only_from_hash_digits() -> None:
    assert conversation_number("#1234") == 1234
    assert conversation_number(" # 42 ") == 42
    assert conversation_number("1234") is None  # a plain number in the search box is a search
    assert conversation_number("#12a") is None
    assert conversation_number("#") is None


async def test_hash_and_digits_typed_at_once_open_that_conversation(fake_service: FakeComptoir) -> None:
    app = make_app(fake_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        # One burst, as tmux or a fast typist sends it: the digits must reach the box, not the list.
        await pilot.press("number_sign", "4", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ConversationScreen)
        assert app.screen.conversation_id == 4


async def test_g_then_hash_number_opens_it_too(fake_service: FakeComptoir) -> None:
    app = make_app(fake_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("g", "number_sign", "5", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ConversationScreen) and app.screen.conversation_id == 5


async def test_an_unknown_number_says_so_and_stays(fake_service: FakeComptoir) -> None:
    app = make_app(fake_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("number_sign", "9", "9", "enter")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        assert any("No conversation #99" in n.message for n in app._notifications)
        assert app.screen.query_one(ConversationList).has_focus


async def test_hash_number_in_the_search_box_opens_the_conversation(fake_service: FakeComptoir) -> None:
    app = make_app(fake_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"#3", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ConversationScreen) and app.screen.conversation_id == 3


async def test_the_heading_names_the_queue_and_counts_it(fake_service: FakeComptoir) -> None:
    app = make_app(fake_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert title(app) == "My work  ·  2 conversations"
        await pilot.press("right_square_bracket", "right_square_bracket", "right_square_bracket")
        await settle(pilot)
        assert title(app) == "Everyone (unclaimed)  ·  3 conversations"
        await pilot.press("slash", *"invoice", "enter")
        await settle(pilot)
        assert title(app) == "Search “invoice”  ·  1 result"


async def test_j_k_g_G_move_through_the_queues(fake_service: FakeComptoir) -> None:
    app = make_app(fake_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("tab")
        sidebar = app.screen.query_one(QueueSidebar)
        assert sidebar.has_focus
        await pilot.press("j", "j")
        await settle(pilot)
        assert sidebar.highlighted == 2 and app.screen.queue == sidebar.queue_keys[2]
        await pilot.press("k")
        await settle(pilot)
        assert sidebar.highlighted == 1
        await pilot.press("G")
        await settle(pilot)
        assert app.screen.queue == "search" and sidebar.has_focus  # landing on Search keeps the focus here
        await pilot.press("g")
        await settle(pilot)
        assert app.screen.queue == "mine"


async def test_landing_on_search_keeps_the_focus_and_the_last_query(fake_service: FakeComptoir) -> None:
    app = make_app(fake_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"quote", "enter")
        await settle(pilot)
        listing = app.screen.query_one(ConversationList)
        assert listing.ids == [3]
        await pilot.press("tab", "g")  # to the queues, up to My work
        await settle(pilot)
        assert app.screen.queue == "mine"
        await pilot.press("G")  # back down to Search
        await settle(pilot)
        search = app.screen.query_one("#search", Input)
        assert app.screen.query_one(QueueSidebar).has_focus and not search.has_focus
        assert search.value == "quote" and search.display
        assert listing.ids == [3]
        assert title(app) == "Search “quote”  ·  1 result"


@pytest.mark.parametrize(
    ("size", "opener", "pane"),
    [
        ((80, 24), "question_mark", "#help-scroll"),
        ((70, 14), "w", "#why-scroll"),
        ((80, 24), "ctrl+r", "#reports-body"),
    ],
)
async def test_g_and_G_reach_both_ends_of_every_scrolling_pane(
    size, opener: str, pane: str, fake_service: FakeComptoir
) -> None:
    """The cheat sheet, Why and the reports scroll with j/k/g/G where they overflow."""
    from textual.containers import VerticalScroll

    app = make_app(fake_service)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press(opener)
        await settle(pilot)
        scroll = app.screen.query_one(pane, VerticalScroll)
        assert scroll.max_scroll_y > 0
        await pilot.press("G")
        await pilot.pause()
        assert scroll.scroll_y == scroll.max_scroll_y
        await pilot.press("k")
        await pilot.pause()
        assert scroll.scroll_y < scroll.max_scroll_y
        await pilot.press("g")
        await pilot.pause()
        assert scroll.scroll_y == 0
        await pilot.press("j")
        await pilot.pause()
        assert scroll.scroll_y > 0


async def test_j_k_g_G_move_through_the_alerts(fake_service: FakeComptoir) -> None:
    from textual.widgets import OptionList

    app = make_app(fake_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("A")
        await settle(pilot)
        options = app.screen.query_one(OptionList)
        assert options.option_count == 2 and options.highlighted == 0
        await pilot.press("G")
        assert options.highlighted == 1
        await pilot.press("g")
        assert options.highlighted == 0
