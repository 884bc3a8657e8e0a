"""The virtual conversation list: renders only what is visible, keeps its cursor on its conversation."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from textual.app import App, ComposeResult

from core.work.views import ConversationRow
from tui.widgets.columns import row_text
from tui.widgets.conversation_list import ConversationList

NOW = datetime(2025, 3, 3, 10, 0, tzinfo=UTC)


def make_row(conversation_id: int, **changes) -> ConversationRow:
    row = ConversationRow(
        id=conversation_id,
        subject=f"Subject {conversation_id}",
        customer_name=f"Customer {conversation_id}",
        customer_address=f"c{conversation_id}@example.test",
        team="support",
        owner=None,
        exclusive_agent=None,
        state="open",
        visibility="team",
        priority="normal",
        confidential=False,
        automated=False,
        deadline=NOW + timedelta(minutes=conversation_id),
        window="team",
        pending_count=1,
        message_count=1,
        last_message_at=NOW,
        shared_reply=False,
    )
    return replace(row, **changes)


class ListApp(App):
    """Hosts one list and answers its row requests synchronously, counting what it was asked."""

    def __init__(self) -> None:
        super().__init__()
        self.requested: list[int] = []

    def compose(self) -> ComposeResult:
        yield ConversationList("ann", lambda: NOW)

    def on_conversation_list_rows_wanted(self, message: ConversationList.RowsWanted) -> None:
        self.requested.extend(message.ids)
        message.conversation_list.add_rows([make_row(i) for i in message.ids])


async def test_a_hundred_thousand_ids_fetch_only_the_rows_around_the_viewport() -> None:
    app = ListApp()
    async with app.run_test(size=(120, 30)) as pilot:
        listing = app.query_one(ConversationList)
        started = time.perf_counter()
        listing.set_ids(range(1, 100_001))
        await pilot.pause()
        assert time.perf_counter() - started < 3.0  # a loose bound that catches work per id, not a benchmark
        assert 0 < len(app.requested) <= 3 * 30
        await pilot.press("G")
        await pilot.pause()
        assert listing.cursor_id == 100_000
        assert 100_000 in app.requested
        assert len(app.requested) <= 6 * 30


async def test_the_cursor_stays_on_its_conversation_when_the_order_changes() -> None:
    app = ListApp()
    async with app.run_test(size=(120, 30)) as pilot:
        listing = app.query_one(ConversationList)
        listing.set_ids([1, 2, 3, 4, 5])
        await pilot.pause()
        await pilot.press("j", "j")
        assert listing.cursor_id == 3
        listing.set_ids([9, 1, 2, 3, 4, 5])
        await pilot.pause()
        assert listing.cursor_id == 3
        listing.set_ids([1, 2, 4, 5])
        await pilot.pause()
        assert listing.cursor == 2


async def test_fresh_rows_replace_cached_ones() -> None:
    app = ListApp()
    async with app.run_test(size=(120, 30)) as pilot:
        listing = app.query_one(ConversationList)
        listing.set_ids([1, 2])
        await pilot.pause()
        listing.add_rows([make_row(1, owner="bob")])
        assert listing.row(1).owner == "bob"


def test_time_left_is_red_when_past_and_yellow_within_fifteen_minutes() -> None:
    late = row_text(make_row(1, deadline=NOW - timedelta(minutes=5)), NOW, "ann", 120)
    soon = row_text(make_row(2, deadline=NOW + timedelta(minutes=10)), NOW, "ann", 120)
    later = row_text(make_row(3, deadline=NOW + timedelta(hours=2)), NOW, "ann", 120)
    assert late.plain.startswith("-5m") and "red" in str(late.spans[0].style)
    assert soon.plain.startswith("10m") and "yellow" in str(soon.spans[0].style)
    assert later.plain.startswith("2h")
    assert all("red" not in str(s.style) and "yellow" not in str(s.style) for s in later.spans[:1])


def test_row_shows_owner_shared_lock_and_colleagues() -> None:
    row = make_row(1, owner="ann", shared_reply=True, confidential=True, viewers=("bob",), repliers=("cyd",))
    text = row_text(row, NOW, "ann", 140).plain
    assert " me " in text and "CC" in text and "⊘" in text and "✎cyd" in text and "◉bob" in text
    assert len(row_text(row, NOW, "ann", 140).cell_len * " ") == 140


class ClockedListApp(ListApp):
    """The list on a clock the test moves."""

    def __init__(self) -> None:
        super().__init__()
        self.clock = NOW

    def compose(self) -> ComposeResult:
        yield ConversationList("ann", lambda: self.clock)


async def test_a_new_minute_repaints_only_when_a_time_left_on_screen_changes() -> None:
    app = ClockedListApp()
    async with app.run_test(size=(120, 30)) as pilot:
        listing = app.query_one(ConversationList)
        # Deadlines two days away: '2d' shows for hours, whatever the minute.
        listing.set_ids(
            list(range(1, 21)),
            [make_row(i, deadline=NOW + timedelta(days=2, hours=5, minutes=30)) for i in range(1, 21)],
        )
        await pilot.pause()
        repaints: list[float] = []
        original = listing.refresh
        listing.refresh = lambda *a, **k: (repaints.append(1), original(*a, **k))[1]  # type: ignore[method-assign]
        app.clock = NOW + timedelta(minutes=1, seconds=2)
        listing.tick()
        assert repaints == []
        # An hour on, '2d5h' became '2d4h' on every row: repainted, and drawn with the new time left.
        app.clock = NOW + timedelta(hours=1, minutes=1, seconds=2)
        listing.tick()
        assert repaints == [1]
        await pilot.pause()
        assert "2d4h" in "".join(segment.text for segment in listing.render_line(0))
