"""Every conversation action driven through its keys against the fake service, waiting on workers."""

from __future__ import annotations

from textual.widgets import Input, OptionList, TextArea

from tests.tui.conftest import SIZE, make_app, said, settle
from tests.tui.fake_service import FakeComptoir
from tui.screens.alerts import AlertsScreen
from tui.screens.assign import AssignScreen
from tui.screens.composer import ComposerScreen
from tui.screens.composer_dialogs import ConflictDialog
from tui.screens.confirm import ConfirmDialog
from tui.screens.conversation import ConversationScreen
from tui.screens.dialogs import DisposeDialog, PresenceDialog, SnoozeDialog
from tui.screens.help import HelpScreen
from tui.screens.main import MainScreen
from tui.screens.why import WhyScreen
from tui.widgets.conversation_list import ConversationList


def called(service: FakeComptoir, name: str) -> list[tuple]:
    return [call for call in service.calls if call[0] == name]


def notifications(app) -> list[str]:
    return said(app)


async def test_main_screen_lists_my_work_sorted_by_deadline(fake_service: FakeComptoir) -> None:
    app = make_app(fake_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        listing = app.screen.query_one(ConversationList)
        assert isinstance(app.screen, MainScreen)
        assert listing.ids == [2, 1]
        assert listing.cursor_id == 2


async def test_j_k_g_G_move_the_cursor(fake_service: FakeComptoir) -> None:
    app = make_app(fake_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("right_square_bracket", "right_square_bracket", "right_square_bracket")  # Everyone
        await settle(pilot)
        listing = app.screen.query_one(ConversationList)
        assert len(listing.ids) == 3
        await pilot.press("j")
        assert listing.cursor == 1
        await pilot.press("G")
        assert listing.cursor == 2
        await pilot.press("k")
        assert listing.cursor == 1
        await pilot.press("g")
        assert listing.cursor == 0


async def test_c_claims_the_highlighted_conversation(fake_service: FakeComptoir) -> None:
    app = make_app(fake_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        assert called(fake_service, "claim") == [("claim", 2)]
        assert fake_service.conversations[2].owner == "ann"


async def test_losing_a_claim_race_says_who_won(fake_service: FakeComptoir) -> None:
    app = make_app(fake_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        # Row 2 is in ann's exclusive window: only a supervisor (cyd) can beat her to it.
        fake_service.claim_as("cyd", 2)
        await pilot.press("c")
        await settle(pilot)
        assert any("cyd" in text for text in notifications(app))
        assert fake_service.conversations[2].owner == "cyd"


async def test_u_t_d_o_x_release_take_back_done_reopen_confidential(fake_service: FakeComptoir) -> None:
    app = make_app(fake_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for key in ("u", "x", "y", "d"):  # x asks first (tests/tui/test_undo_and_drafts.py)
            await pilot.press(key)
            await settle(pilot)
        names = [call[0] for call in fake_service.calls if call[0] in {"release", "set_confidential", "done"}]
        assert names == ["release", "set_confidential", "done"]
        assert fake_service.conversations[2].confidential is False  # it was confidential: x toggles it off
        assert fake_service.conversations[2].state == "done"


async def test_s_snoozes_with_a_preset(fake_service: FakeComptoir) -> None:
    app = make_app(fake_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, SnoozeDialog)
        await pilot.press("2", "enter")  # a lone digit in the duration field takes that preset
        await settle(pilot)
        conversation = fake_service.conversations[2]
        assert conversation.state == "snoozed"
        assert (conversation.snoozed_until - fake_service.now()).total_seconds() == 4 * 3600


async def test_s_snoozes_for_a_typed_duration(fake_service: FakeComptoir) -> None:
    app = make_app(fake_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        app.screen.query_one(Input).focus()
        await pilot.press("9", "0", "m", "enter")
        await settle(pilot)
        conversation = fake_service.conversations[2]
        assert (conversation.snoozed_until - fake_service.now()).total_seconds() == 90 * 60


async def test_n_marks_pending_mail_no_action_needed_with_a_reason(fake_service: FakeComptoir) -> None:
    app = make_app(fake_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("j", "n")
        await settle(pilot)
        assert isinstance(app.screen, DisposeDialog)
        assert len(app.screen.pending) == 2
        await pilot.press("1", "enter")
        await settle(pilot)
        disposed = called(fake_service, "dispose")
        assert len(disposed) == 2
        assert {reason for _, _, reason in disposed} == {"thank-you, nothing to answer"}


async def test_a_transfers_to_a_filtered_agent_with_a_note(fake_service: FakeComptoir) -> None:
    app = make_app(fake_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, AssignScreen)
        await pilot.press("c", "y", "d")  # the filter has focus: letters filter, they claim nothing
        assert app.screen.query_one(OptionList).option_count == 1
        app.screen.query_one("#assign-note", Input).value = "VIP, please call"
        await pilot.press("enter")
        await settle(pilot)
        assert ("assign-to", "cyd", None, "VIP, please call") in fake_service.calls
        assert fake_service.conversations[2].owner == "cyd"


async def test_a_transfers_to_a_team(fake_service: FakeComptoir) -> None:
    app = make_app(fake_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        await pilot.press("down", "enter")
        await settle(pilot)
        assert ("assign-to", None, "sales", "") in fake_service.calls


async def test_the_assign_panel_claims_releases_and_takes_back(fake_service: FakeComptoir) -> None:
    app = make_app(fake_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for key, button in (("c", "#claim"), ("u", "#release"), ("t", "#take-back")):
            if key == "t":
                fake_service.conversations[2].owner = "bob"  # take back is offered on someone else's
                await pilot.press("ctrl+l")
                await settle(pilot)
            await pilot.press("a")
            await settle(pilot)
            await pilot.press(key)  # typed into the filter: no action
            await settle(pilot)
            assert isinstance(app.screen, AssignScreen)
            await pilot.click(button)
            await settle(pilot)
            assert isinstance(app.screen, MainScreen)
        assert [c[0] for c in fake_service.calls if c[0] in {"claim", "release", "take_back"}] == [
            "claim",
            "release",
            "take_back",
        ]


async def test_w_shows_reasons_and_ladder_and_closes_with_q_or_ctrl_g(fake_service: FakeComptoir) -> None:
    app = make_app(fake_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("w")
        await settle(pilot)
        assert isinstance(app.screen, WhyScreen)
        await pilot.press("q")
        assert isinstance(app.screen, MainScreen)
        await pilot.press("w")
        await settle(pilot)
        await pilot.press("ctrl+g")
        assert isinstance(app.screen, MainScreen)


async def test_enter_opens_the_conversation_and_q_goes_back(fake_service: FakeComptoir) -> None:
    app = make_app(fake_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("j", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ConversationScreen)
        assert app.screen.detail.row.id == 1
        assert fake_service.heartbeats[-1] == (1, None)
        await pilot.press("c")
        await settle(pilot)
        assert called(fake_service, "claim") == []  # #1 is mine already: claim is not offered
        await pilot.press("q")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        assert fake_service.heartbeats[-1] == (None, None)


async def test_alerts_open_jump_and_acknowledge(fake_service: FakeComptoir) -> None:
    app = make_app(fake_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("A")
        await settle(pilot)
        assert isinstance(app.screen, AlertsScreen)
        await pilot.press("a")
        await settle(pilot)
        assert len(fake_service.alerts()) == 1
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ConversationScreen)
        assert app.screen.conversation_id == 4


async def test_alerts_acknowledge_all_calms_the_bar(fake_service: FakeComptoir) -> None:
    from tui.widgets.alert_bar import AlertBar

    app = make_app(fake_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.screen.query_one(AlertBar).has_class("-pending")
        await pilot.press("A")
        await settle(pilot)
        await pilot.press("A")
        await settle(pilot)
        assert fake_service.alerts() == []
        await pilot.press("q")
        await settle(pilot)
        assert not app.screen.query_one(AlertBar).has_class("-pending")


async def test_p_sets_presence(fake_service: FakeComptoir) -> None:
    app = make_app(fake_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("p")
        await settle(pilot)
        assert isinstance(app.screen, PresenceDialog)
        await pilot.press("2")
        await settle(pilot)
        assert fake_service.presence["ann"] == "away"


async def test_r_replies_to_the_customer(fake_service: FakeComptoir) -> None:
    app = make_app(fake_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("j", "r")
        await settle(pilot)
        assert isinstance(app.screen, ComposerScreen)
        assert fake_service.heartbeats[-1] == (None, 1)
        body = app.screen.query_one(TextArea)
        body.insert("We fixed the invoice.")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert fake_service.replies[-1]["to"] == ("marie@radium.test",)
        assert fake_service.replies[-1]["body"].startswith("We fixed the invoice.")
        assert isinstance(app.screen, MainScreen)
        assert fake_service.heartbeats[-1] == (None, None)


async def test_reply_all_over_the_limit_needs_confirmation(fake_service: FakeComptoir) -> None:
    fake_service.conversations[3].cc = ("procurement@navy.test", "cfo@navy.test")
    app = make_app(fake_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("right_square_bracket", "right_square_bracket", "right_square_bracket")
        await settle(pilot)
        app.screen.query_one(ConversationList).move_to(3)
        await pilot.press("R")
        await settle(pilot)
        audience = str(app.screen.query_one("#composer-audience").render())
        assert "3 recipients" in audience and "confirm" in audience and "CC'd" in audience
        app.screen.query_one(TextArea).insert("Here is the quote.")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        assert fake_service.replies == []
        await pilot.press("y")
        await settle(pilot)
        assert fake_service.replies[-1]["cc"] == ("procurement@navy.test", "cfo@navy.test")


async def test_a_changed_conversation_is_shown_before_resending(fake_service: FakeComptoir) -> None:
    app = make_app(fake_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("j", "r")
        await settle(pilot)
        app.screen.query_one(TextArea).insert("Done.")
        fake_service.fail_next_reply_with_conflict = True
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ConflictDialog)
        assert [m.text for m in app.screen.new_messages] == ["Actually, one more thing..."]
        assert fake_service.replies == []
        await pilot.press("y")
        await settle(pilot)
        assert len(fake_service.replies) == 1
        assert isinstance(app.screen, MainScreen)


async def test_N_writes_an_internal_note(fake_service: FakeComptoir) -> None:
    app = make_app(fake_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("N")
        await settle(pilot)
        assert isinstance(app.screen, ComposerScreen) and app.screen.is_note
        app.screen.query_one(TextArea).insert("@bob call him back")
        await pilot.press("ctrl+s")
        await settle(pilot)
        notes = [m for m in fake_service.conversations[2].messages if m.direction == "note"]
        assert notes[-1].text == "@bob call him back"


async def test_saved_reply_is_inserted(fake_service: FakeComptoir) -> None:
    app = make_app(fake_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        await pilot.press("ctrl+t")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert "Thank you, we are on it." in app.screen.query_one(TextArea).text


async def test_cancel_with_a_draft_asks_first(fake_service: FakeComptoir) -> None:
    app = make_app(fake_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        app.screen.query_one(TextArea).insert("half a thought")
        await pilot.press("ctrl+g")
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("n")
        assert isinstance(app.screen, ComposerScreen)
        await pilot.press("ctrl+g", "y")
        assert isinstance(app.screen, MainScreen)
        assert fake_service.replies == []


async def test_save_attachment_to_a_path(fake_service: FakeComptoir, tmp_path) -> None:
    app = make_app(fake_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("j", "enter")
        await settle(pilot)
        await pilot.press("S")
        await settle(pilot)
        path_box = app.screen.query_one("#save-path", Input)
        assert path_box.value.endswith("scan-2231.pdf")
        path_box.value = str(tmp_path / "scan.pdf")
        await pilot.press("enter")
        await settle(pilot)
        assert called(fake_service, "save_attachment") == [("save_attachment", 7, str(tmp_path / "scan.pdf"))]
        assert (tmp_path / "scan.pdf").exists()


async def test_search_finds_by_subject(fake_service: FakeComptoir) -> None:
    app = make_app(fake_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        await pilot.press(*"quote", "enter")
        await settle(pilot)
        listing = app.screen.query_one(ConversationList)
        assert listing.ids == [3]
        assert listing.has_focus


async def test_help_lists_every_key_and_closes(fake_service: FakeComptoir) -> None:
    app = make_app(fake_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("q")
        assert isinstance(app.screen, MainScreen)


async def test_q_quits_from_the_main_screen(fake_service: FakeComptoir) -> None:
    app = make_app(fake_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


async def test_a_failing_service_call_is_a_toast_not_a_crash(fake_service: FakeComptoir) -> None:
    def broken(conversation_id):
        raise RuntimeError("database is locked")

    fake_service.why = broken  # type: ignore[method-assign]
    app = make_app(fake_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("w")
        await settle(pilot)
        assert any("database is locked" in text for text in notifications(app))
        await pilot.press("q")
        assert isinstance(app.screen, MainScreen)


async def test_keys_typed_while_a_queue_loads_act_on_the_new_queue(fake_service: FakeComptoir) -> None:
    app = make_app(fake_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("right_square_bracket", "right_square_bracket", "right_square_bracket", "c")
        await settle(pilot)
        assert called(fake_service, "claim") == [("claim", 2)]
        assert isinstance(app.screen, MainScreen) and app.screen.queue == "everyone"
