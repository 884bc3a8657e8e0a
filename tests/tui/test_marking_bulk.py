"""Marking (space, T pattern, U), bulk actions with their confirmation and failure summary, the tag picker,
saved views and the Automated queue's disposal: the real app driven by keys against the fake service."""

from __future__ import annotations

from datetime import timedelta

from tests.tui.conftest import SIZE, make_app, settle
from tests.tui.fake_service import FakeComptoir, FakeConversation, populated_service
from tui.screens.bulk import BulkReasonDialog, BulkSummaryDialog, TagDialog, TextPromptDialog
from tui.screens.confirm import ConfirmDialog
from tui.screens.main import MainScreen
from tui.widgets.conversation_list import ConversationList


def called(service: FakeComptoir, name: str) -> list[tuple]:
    return [call for call in service.calls if call[0] == name]


def listing(app) -> ConversationList:
    return app.screen.query_one(ConversationList)


async def to_queue(pilot, key: str) -> None:
    app = pilot.app
    screen = app.screen
    assert isinstance(screen, MainScreen)
    screen.select_queue(key)
    await settle(pilot)


async def test_space_marks_and_c_claims_every_marked_after_confirming_with_the_count() -> None:
    service = populated_service()
    app = make_app(service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await to_queue(pilot, "everyone")
        ids = list(listing(app).ids)
        assert len(ids) == 3
        await pilot.press("space", "space")
        assert listing(app).marked == set(ids[:2])
        assert listing(app).cursor == 2  # space moves down, as in mutt
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        assert app.screen.title_text == "Claim: 2 conversations?"
        assert called(service, "claim") == []  # nothing before the answer
        await pilot.press("y")
        await settle(pilot)
        assert sorted(c[1] for c in called(service, "claim")) == sorted(ids[:2])
        assert listing(app).marked == set()


async def test_no_to_the_confirmation_changes_nothing_and_keeps_the_marks() -> None:
    service = populated_service()
    app = make_app(service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await to_queue(pilot, "everyone")
        await pilot.press("space", "d")
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert called(service, "done") == [] and len(listing(app).marked) == 1


async def test_a_bulk_action_reports_each_failure_and_keeps_failures_marked() -> None:
    service = populated_service()
    app = make_app(service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await to_queue(pilot, "everyone")
        ids = list(listing(app).ids)
        await pilot.press("space", "space", "space")
        # A colleague takes one of them meanwhile: only that claim fails.
        service.claim_as("bob", ids[1])
        await pilot.press("c")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, BulkSummaryDialog)
        text = str(app.screen.query_one("#bulk-failures").query_one("Static").render())
        assert f"#{ids[1]}" in text and "bob claimed it first" in text
        await pilot.press("q")
        await settle(pilot)
        assert listing(app).marked == {ids[1]}


async def test_T_marks_what_matches_a_pattern_and_U_unmarks() -> None:
    service = populated_service()
    service.conversations[3].tags = ["vip"]
    service.conversations[5].tags = ["vip", "billing"]
    app = make_app(service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await to_queue(pilot, "everyone")
        await pilot.press("T")
        await settle(pilot)
        assert isinstance(app.screen, TextPromptDialog)
        await pilot.press(*"tag:vip", "enter")
        await settle(pilot)
        assert listing(app).marked == {3, 5}
        await pilot.press("U")
        assert listing(app).marked == set()


async def test_L_opens_the_tag_picker_and_a_number_adds_then_removes_a_tag() -> None:
    service = populated_service()
    app = make_app(service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        cid = listing(app).cursor_id
        await pilot.press("L")
        await settle(pilot)
        assert isinstance(app.screen, TagDialog)
        await pilot.press("2")  # vip
        await settle(pilot)
        assert service.conversations[cid].tags == ["vip"]
        assert listing(app).cursor_row.tags == ("vip",)
        await pilot.press("L")
        await settle(pilot)
        await pilot.press("2")  # every one concerned has it: removed
        await settle(pilot)
        assert service.conversations[cid].tags == []


async def test_bulk_tag_and_bulk_no_action_with_a_reason() -> None:
    service = populated_service()
    app = make_app(service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await to_queue(pilot, "everyone")
        ids = list(listing(app).ids)
        await pilot.press("space", "space", "space", "L")
        await settle(pilot)
        await pilot.press("1")  # billing
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        await settle(pilot)
        assert all(
            "billing" in service.conversations[i].tags for i in ids if service._may_read(service.conversations[i])
        )
        target = listing(app).cursor_id
        await pilot.press("space", "n")
        await settle(pilot)
        assert isinstance(app.screen, BulkReasonDialog)
        await pilot.press("3")  # spam
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert [c[1] for c in called(service, "dispose_pending")] == [target]


async def test_D_disposes_of_the_whole_automated_queue_with_a_reason_after_confirming() -> None:
    service = populated_service()
    now = service.now()
    for number in (21, 22, 23):
        service.add_conversation(
            FakeConversation(
                id=number,
                subject=f"Newsletter {number}",
                customer_name="Deals",
                customer_address="news@vendor.test",
                automated=True,
                deadline=now + timedelta(hours=number),
            )
        )
        service.add_message(number, "inbound", "Big savings")
    app = make_app(service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("D")  # not an Automated queue: says where it works
        await settle(pilot)
        assert not called(service, "dispose_pending")
        await to_queue(pilot, "automated:support")
        assert listing(app).ids == [21, 22, 23]
        assert 21 not in service.queue_ids("team:support")
        await pilot.press("D")
        await settle(pilot)
        assert isinstance(app.screen, BulkReasonDialog)
        await pilot.press("1")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog) and app.screen.title_text == "No action needed: 3 conversations?"
        await pilot.press("y")
        await settle(pilot)
        assert sorted(c[1] for c in called(service, "dispose_pending")) == [21, 22, 23]
        assert all(service.conversations[n].state == "done" for n in (21, 22, 23))


async def test_V_saves_the_search_as_a_view_listed_under_the_queues(tmp_path, monkeypatch) -> None:
    from core.workspace import preferences

    path = tmp_path / "preferences.toml"
    monkeypatch.setattr(preferences, "preferences_path", lambda: path)
    service = populated_service()
    app = make_app(service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("V")  # nothing searched yet: says so
        await settle(pilot)
        assert not path.exists()
        await pilot.press("slash", *"quote", "enter")
        await settle(pilot)
        await pilot.press("V")
        await settle(pilot)
        await pilot.press(*"Quotes q", "enter")  # q is typed into the name, not a close
        await settle(pilot)
        assert preferences.load_preferences(path).views == (preferences.SavedView("Quotes q", "quote"),)
        sidebar = app.screen.query_one("#queues")
        assert sidebar.queue_keys[-1] == "view:Quotes q"
        assert app.screen.queue == "view:Quotes q" and listing(app).ids == [3]


async def test_a_bad_search_is_said_in_the_list_not_a_traceback() -> None:
    service = populated_service()

    def refuse(queue, search=None):
        from core.errors import SearchSyntaxError

        if search and "colour:" in search:
            raise SearchSyntaxError("unknown search operator colour: — the operators are from: to: ...")
        return FakeComptoir.queue_ids(service, queue, search)

    service.queue_ids = refuse
    app = make_app(service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"colour:red", "enter")
        await settle(pilot)
        assert "Search not understood: unknown search operator colour:" in listing(app).empty_message
        assert any("unknown search operator" in n.message for n in app._notifications)
