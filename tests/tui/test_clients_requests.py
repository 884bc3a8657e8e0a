"""The customer panel (C), requests between teams (Q) and the client and channel in the conversation header,
driven through their keys against the fake service."""

from __future__ import annotations

from textual.widgets import Input, Static

from tests.tui.conftest import make_app, settle
from tests.tui.fake_service import FakeComptoir, FakeConversation
from tui.screens.conversation import ConversationScreen
from tui.screens.customer import CustomerScreen
from tui.screens.requests import OpenRequestDialog, RequestStateDialog


def called(service: FakeComptoir, name: str) -> list[tuple]:
    return [call for call in service.calls if call[0] == name]


def header(app) -> str:
    return str(app.screen.query_one("#conversation-header", Static).render())


async def open_conversation(pilot, conversation_id: int) -> None:
    pilot.app.open_conversation(conversation_id)
    await settle(pilot)
    assert isinstance(pilot.app.screen, ConversationScreen)
    assert pilot.app.screen.conversation_id == conversation_id


async def test_i_shows_the_customer_and_a_number_opens_a_past_conversation(fake_service: FakeComptoir) -> None:
    fake_service.conversations[1].client = "Radium SA"
    fake_service.add_conversation(
        FakeConversation(9, "Old order", "Marie Curie", "marie@radium.test", state="done", owner="bob", channel="web")
    )
    app = make_app(fake_service)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await open_conversation(pilot, 1)
        assert "client Radium SA" in header(app)
        await pilot.press("i")
        await settle(pilot)
        assert isinstance(app.screen, CustomerScreen)
        summary = str(app.screen.query_one("#customer-summary", Static).render())
        assert "Radium SA" in summary and "Pays by transfer" in summary and "ann 5/5" in summary
        assert "2 conversations" in summary
        await pilot.press("1")  # the newest: #9
        await settle(pilot)
        assert isinstance(app.screen, ConversationScreen) and app.screen.conversation_id == 9
        assert "via web" in header(app)


async def test_Q_asks_another_team_and_the_header_shows_the_request_state(fake_service: FakeComptoir) -> None:
    app = make_app(fake_service)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await open_conversation(pilot, 1)
        await pilot.press("Q")
        await settle(pilot)
        assert isinstance(app.screen, OpenRequestDialog)
        await pilot.press("2")  # sales
        assert app.screen.query_one("#request-text", Input).has_focus
        await pilot.press(*"buy 2 green turntables", "enter")
        await settle(pilot)
        assert called(fake_service, "open_request") == [("open_request", "sales", "buy 2 green turntables", 1)]
        assert isinstance(app.screen, ConversationScreen)
        assert "requests: #6 new (team sales)" in header(app)


async def test_Q_on_a_request_answers_it(fake_service: FakeComptoir) -> None:
    fake_service.add_conversation(
        FakeConversation(
            6,
            "buy 2 green turntables",
            "Bob Baker",
            "",
            team="support",
            kind="request",
            request_of=1,
            request_state="in_progress",
            requester="bob",
            channel="internal",
        )
    )
    app = make_app(fake_service)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await open_conversation(pilot, 6)
        assert "request in progress · asked by bob about #1" in header(app)
        assert "Reply from" not in header(app)
        await pilot.press("Q")
        await settle(pilot)
        assert isinstance(app.screen, RequestStateDialog)
        await pilot.press("2")  # answered
        await pilot.press(*"yellow now, green in a week", "enter")
        await settle(pilot)
        assert called(fake_service, "update_request") == [
            ("update_request", 6, "answered", "yellow now, green in a week")
        ]
        assert "request answered" in header(app)
