"""Live teamwork on a real demo workspace: what another session does shows by itself, cursor unmoved."""

from __future__ import annotations

import asyncio
import time

from tests.tui.conftest import SIZE, make_app, open_demo, said, settle
from tui.screens.conversation import ConversationScreen
from tui.screens.main import MainScreen
from tui.widgets.conversation_list import ConversationList


async def _open_team_queue(pilot) -> ConversationList:
    await settle(pilot)
    app = pilot.app
    app.screen.query_one("#queues").select_key("team:hifi")
    await settle(pilot)
    return app.screen.query_one(ConversationList)


def _unclaimed(listing: ConversationList) -> int:
    for conversation_id in listing.visible_ids():
        row = listing.row(conversation_id)
        if row is not None and row.owner is None:
            return conversation_id
    raise AssertionError("no unclaimed conversation on screen")


async def _wait_for(pilot, condition, timeout: float = 20.0) -> float:
    """Wait until the screen shows it. The timeout only stops a broken test: how fast a change reaches
    the screen is measured by bench/bench_changefeed.py, not asserted here (a loaded machine is slow)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if condition():
            return time.monotonic() - started
        await asyncio.sleep(0.05)
        await pilot.pause()
    raise AssertionError(f"not seen within {timeout} s")


async def test_a_claim_by_another_session_shows_without_a_refresh(demo_service, demo_path) -> None:
    paul = open_demo(demo_path, "paul")
    app = make_app(demo_service, live=True)
    async with app.run_test(size=SIZE) as pilot:
        listing = await _open_team_queue(pilot)
        target = _unclaimed(listing)
        listing.move_to(target)
        await settle(pilot)
        position = listing.cursor
        result = await asyncio.to_thread(paul.claim, target)
        assert result.ok, result.message
        await _wait_for(pilot, lambda: (listing.row(target) or listing.cursor_row).owner == "paul")
        assert listing.cursor_id == target
        assert listing.cursor == position
    paul.workspace.close()


async def test_both_claim_one_wins_the_other_is_told_who(demo_service, demo_path) -> None:
    paul = open_demo(demo_path, "paul")
    app = make_app(demo_service)
    async with app.run_test(size=SIZE) as pilot:
        listing = await _open_team_queue(pilot)
        target = _unclaimed(listing)
        listing.move_to(target)
        await settle(pilot)
        assert (await asyncio.to_thread(paul.claim, target)).ok
        await pilot.press("c")
        await settle(pilot)
        messages = said(app)
        assert any("paul" in m.lower() or "Paul" in m for m in messages), messages
        assert demo_service.detail(target).row.owner == "paul"
    paul.workspace.close()


async def test_claim_reply_and_dispose_through_the_real_service(demo_service) -> None:
    from textual.widgets import TextArea

    app = make_app(demo_service)
    app.open_next = False  # stay on the conversation to see the reply in it (test_flow.py covers moving on)
    async with app.run_test(size=SIZE) as pilot:
        listing = await _open_team_queue(pilot)
        target = _unclaimed(listing)
        listing.move_to(target)
        await pilot.press("c")
        await settle(pilot)
        assert demo_service.detail(target).row.owner == "marie"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ConversationScreen)
        await pilot.press("r")
        await settle(pilot)
        app.screen.query_one(TextArea).insert("Thank you, we will call you today.")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ConversationScreen)
        detail = demo_service.detail(target)
        outbound = [m for m in detail.messages if m.direction == "outbound"]
        assert outbound and outbound[-1].text.startswith("Thank you, we will call you today.")
        assert outbound[-1].outbox_state == "queued"
        assert all(m.disposition != "pending" for m in detail.messages if m.direction == "inbound")
        await settle(pilot)
        cards = app.screen.query(".message.-outbound")
        assert len(cards) == len(outbound)
        await pilot.press("q")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)


async def test_no_action_needed_through_the_real_service(demo_service) -> None:
    app = make_app(demo_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        listing = app.screen.query_one(ConversationList)
        target = listing.cursor_id
        assert target is not None
        await pilot.press("n")
        await settle(pilot)
        await pilot.press("1", "enter")
        await settle(pilot)
        detail = demo_service.detail(target)
        inbound = [m for m in detail.messages if m.direction == "inbound"]
        assert inbound and all(m.disposition != "pending" for m in inbound)


async def test_the_open_conversation_shows_a_colleagues_note_without_a_refresh(demo_service, demo_path) -> None:
    paul = open_demo(demo_path, "paul")
    app = make_app(demo_service, live=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        target = app.screen.query_one(ConversationList).cursor_id
        await pilot.press("enter")
        await settle(pilot)
        notes_before = len(app.screen.query(".message.-note"))
        assert (await asyncio.to_thread(paul.note, target, "@marie I called them, see my note")).ok
        await _wait_for(pilot, lambda: len(app.screen.query(".message.-note")) == notes_before + 1)
    paul.workspace.close()


async def test_presence_of_a_colleague_viewing_shows_on_the_list(demo_service, demo_path) -> None:
    paul = open_demo(demo_path, "paul")
    app = make_app(demo_service, live=True)
    async with app.run_test(size=SIZE) as pilot:
        listing = await _open_team_queue(pilot)
        target = listing.cursor_id
        await asyncio.to_thread(paul.heartbeat, target, None)
        await settle(pilot)
        app.action_refresh_all()
        await _wait_for(pilot, lambda: "paul" in (listing.row(target).viewers if listing.row(target) else ()))
    paul.workspace.close()
