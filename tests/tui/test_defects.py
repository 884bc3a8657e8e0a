"""Defects found by driving the real app as a new user would (issue 11, items 13-23): each test failed
before its fix."""

from __future__ import annotations

import sys
from contextlib import nullcontext
from datetime import UTC, datetime, timedelta

from textual.widgets import Input, OptionList, TextArea

from core.work.views import RungView
from tests.tui.conftest import SIZE, make_app, settle
from tests.tui.fake_service import populated_service
from tui.screens.assign import AssignScreen
from tui.screens.composer import ComposerScreen
from tui.screens.composer_dialogs import ConflictDialog
from tui.screens.conversation import ConversationScreen
from tui.screens.dialogs import SaveAttachmentDialog
from tui.screens.why import WhyScreen
from tui.widgets.conversation_list import ConversationList
from tui.widgets.routing_panel import routing_text


async def test_team_counts_agree_between_sidebar_and_assign_dialog(demo_service) -> None:
    app = make_app(demo_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        sidebar = {q.key: q.count for q in demo_service.queues()}
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, AssignScreen)
        targets = app.screen.query_one(OptionList)
        shown = {
            targets.get_option_at_index(i).id: targets.get_option_at_index(i).prompt.plain
            for i in range(targets.option_count)
        }
        in_sidebar = [key for key in shown if key in sidebar]
        assert in_sidebar
        for key in in_sidebar:
            assert f" {sidebar[key]:>3} open" in shown[key], (key, sidebar[key], shown[key])


def _shown(app, selector: str) -> str:
    return str(app.screen.query_one(selector).render())


async def test_why_panel_shows_no_codes_no_stale_now_and_w_tells_more_than_the_side_panel(demo_service) -> None:
    app = make_app(demo_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ConversationScreen)
        detail = app.screen.detail
        panel = _shown(app, "#routing")
        await pilot.press("w")
        await settle(pilot)
        assert isinstance(app.screen, WhyScreen)
        whole = _shown(app, "#why-body")
    codes = {reason.code for reason in detail.reasons}
    assert codes
    for code in codes:
        assert f"[{code}]" not in panel and f"[{code}]" not in whole
    assert "Now:" not in panel and "Now:" not in whole
    assert panel != whole
    assert "Escalation ladder" in whole and "History" in whole and "w: the whole ladder and history" in panel
    assert all(_rung_line(rung, app) in whole for rung in detail.ladder)


def _rung_line(rung, app) -> str:
    """The rung's words as shown: the instants in them in the user's zone (tui.formatting.localize)."""
    return app.local_text(rung.text)[:40]


def test_a_stored_ladder_step_in_the_past_does_not_read_now() -> None:
    now = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    ladder = (
        RungView(now - timedelta(hours=3), "personal", "Now: only marie sees it and is alerted."),
        RungView(now + timedelta(hours=1), "team", "From Mon 02 Mar 12:00 Europe/Paris, team hifi sees it."),
    )
    text = str(routing_text((), ladder, (), now))
    assert "Now:" not in text and "Only marie sees it and is alerted." in text


async def test_composer_says_private_when_reply_all_reaches_only_the_customer(fake_service) -> None:
    fake_service.conversations[3].cc = ()  # shared_reply still set, as rows stored before the fix have it
    app = make_app(fake_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("right_square_bracket", "right_square_bracket", "right_square_bracket")
        await settle(pilot)
        app.screen.query_one(ConversationList).move_to(3)
        await pilot.press("R")
        await settle(pilot)
        audience = str(app.screen.query_one("#composer-audience").render())
    assert "1 recipient" in audience and "private to the customer" in audience
    assert "a list or third parties" not in audience


def _footer_keys(app) -> set[str]:
    return {binding.action for (_node, binding, enabled, _tip) in app.active_bindings.values() if enabled}


async def test_claim_is_not_offered_on_my_own_conversation_and_t_never_claims(fake_service) -> None:
    app = make_app(fake_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        row = app.screen.current_row()
        assert row.owner is None  # the first of my work: exclusive to me, nobody owns it yet
        assert "claim" in _footer_keys(app) and "take_back" not in _footer_keys(app)
        await pilot.press("t")  # take back on a conversation nobody owns: not a silent claim
        await settle(pilot)
        assert [c for c in fake_service.calls if c[0] in ("take_back", "claim")] == []
        await pilot.press("c")
        await settle(pilot)
        assert app.screen.current_row().owner == "ann"
        assert "claim" not in _footer_keys(app) and "take_back" not in _footer_keys(app)
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, AssignScreen)
        assert not app.screen.query("#claim") and not app.screen.query("#take-back")
        await pilot.press("c")
        await settle(pilot)
    assert [c[0] for c in fake_service.calls if c[0] in ("take_back", "claim")] == ["claim"]


async def test_typing_after_the_editor_returns_goes_after_the_text(monkeypatch, tmp_path) -> None:
    script = tmp_path / "fake_editor.py"
    script.write_text("import sys\nopen(sys.argv[1], 'w').write('Written in vim.\\nRegards')\n")
    monkeypatch.setenv("EDITOR", f"{sys.executable} {script}")
    service = populated_service()
    app = make_app(service)
    monkeypatch.setattr(app, "suspend", lambda: nullcontext())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        for _ in range(50):
            if isinstance(app.screen, ComposerScreen) and app.screen.query_one(TextArea).text.startswith("Written"):
                break
            await pilot.pause(0.05)
        body = app.screen.query_one(TextArea)
        assert body.cursor_location == body.document.end
        await pilot.press("x")
        await pilot.pause()
        assert body.text == "Written in vim.\nRegardsx"


async def test_markers_name_the_agent_not_the_login(fake_service) -> None:
    fake_service.viewing["bob"] = 2
    fake_service.replying["cyd"] = 2
    app = make_app(fake_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        listed = app.screen.query_one(ConversationList)
        assert listed.cursor_row.id == 2
        line = "".join(segment.text for segment in listed.render_line(0))
        await pilot.press("enter")
        await settle(pilot)
        header = _shown(app, "#conversation-header")
    assert "✎ Cyd replying" in header and "◉ Bob viewing" in header
    assert "✎Cyd" in line and "◉Bob" in line and "✎cyd" not in line and "◉bob" not in line


async def test_conflict_dialog_offers_no_resend_when_someone_else_owns_it_now(fake_service) -> None:
    app = make_app(fake_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("j", "r")
        await settle(pilot)
        app.screen.query_one(TextArea).insert("Done.")
        fake_service.fail_next_reply_with_conflict = True
        fake_service.conflict_new_owner = "bob"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ConflictDialog)
        assert not app.screen.query("#resend")
        said = _shown(app, "#conflict-dialog .dialog-body")
        assert "It is bob's now" in said and "take it back first" in said
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, ConflictDialog)
        assert len([c for c in fake_service.calls if c[0] == "reply"]) == 1  # y did not try again
    assert fake_service.replies == []


async def test_saving_an_attachment_with_an_empty_path_asks_instead_of_writing_here(
    fake_service, tmp_path, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    app = make_app(fake_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("j", "enter")
        await settle(pilot)
        await pilot.press("S")
        await settle(pilot)
        assert isinstance(app.screen, SaveAttachmentDialog)
        app.screen.query_one("#save-path", Input).value = "   "
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, SaveAttachmentDialog)
        assert any("Say where to save it" in n.message for n in app._notifications)
    assert [c for c in fake_service.calls if c[0] == "save_attachment"] == []
    assert list(tmp_path.iterdir()) == []
