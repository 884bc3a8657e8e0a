"""Every screen and dialog at 80x24, the size of many SSH windows (issue 13 item 4); test_snapshots.py
has them at 160x48, test_reports_screen.py the reports at both. Each docstring says what must show.

Update after an intended change with `pytest tests/tui/test_snapshots_small.py --snapshot-update`
and look at the report before committing the new SVGs.
"""

from __future__ import annotations

from tests.tui.conftest import make_app, settle
from tests.tui.fake_service import populated_service
from tests.tui.test_snapshots import press

SMALL = (80, 24)
LARGE = (160, 48)


def test_small_main_screen_demo(snap_compare, demo_service) -> None:
    """Demo as marie at 80x24: narrower queues with counts; the heading 'My work · N conversations';
    the list shows Due, Customer, Subject and Owner; the summary's lines end in … instead of wrapping;
    the footer shows whole keys (Open, Reply, No action, ...) and ^p Commands."""
    assert snap_compare(make_app(demo_service), terminal_size=SMALL, run_before=press())


def test_small_team_queue_demo(snap_compare, demo_service) -> None:
    """Team Hi-fi at 80x24: owners (me, sophie, paul, @hifi) still shown beside the subject."""
    assert snap_compare(
        make_app(demo_service),
        terminal_size=SMALL,
        run_before=press("right_square_bracket", "right_square_bracket", "j", "j"),
    )


def test_small_conversation_demo(snap_compare, demo_service) -> None:
    """The first conversation of My work at 80x24: the messages take the whole width (no Why panel;
    w opens it); the footer shows Reply, No action, Back first."""
    assert snap_compare(make_app(demo_service), terminal_size=SMALL, run_before=press("enter"))


def test_small_main_screen_fake(snap_compare) -> None:
    """Small workspace at 80x24: the overdue confidential row with ⊘, the CC marker column, both rows'
    customers and subjects readable."""
    assert snap_compare(make_app(populated_service()), terminal_size=SMALL, run_before=press())


def test_small_conversation_with_failed_send(snap_compare) -> None:
    """Invoice 2231 at 80x24: the failed reply in red with the server's answer, the note, the attachment."""
    assert snap_compare(make_app(populated_service()), terminal_size=SMALL, run_before=press("j", "enter"))


def test_small_search_results(snap_compare) -> None:
    """Search 'quote' at 80x24: the box keeps the query, the heading says 'Search “quote” · 1 result'."""
    assert snap_compare(
        make_app(populated_service()), terminal_size=SMALL, run_before=press("slash", *"quote", "enter")
    )


def test_small_go_to_box(snap_compare) -> None:
    """# opens the go-to box above the list, with '12' typed in it."""
    assert snap_compare(make_app(populated_service()), terminal_size=SMALL, run_before=press("number_sign", "1", "2"))


def test_small_assign_panel(snap_compare) -> None:
    """Assign at 80x24: one-line buttons and fields; the filter, the teams and agents, the note box, the
    hint and the Transfer / Close buttons all inside the box."""
    assert snap_compare(make_app(populated_service()), terminal_size=SMALL, run_before=press("a"))


def test_small_why_dialog(snap_compare) -> None:
    """Why at 80x24: reasons and ladder, scrollable, with its Close button inside the box."""
    assert snap_compare(make_app(populated_service()), terminal_size=SMALL, run_before=press("w"))


def test_small_alert_list(snap_compare) -> None:
    """Alerts at 80x24: both alerts, the keys hint, Acknowledge all and Close inside the box."""
    assert snap_compare(make_app(populated_service()), terminal_size=SMALL, run_before=press("A"))


def test_small_dispose_dialog(snap_compare) -> None:
    """No action needed at 80x24: the pending messages, the four reasons, the reason box and Cancel."""
    assert snap_compare(make_app(populated_service()), terminal_size=SMALL, run_before=press("j", "n"))


def test_small_snooze_dialog(snap_compare) -> None:
    """Snooze at 80x24: four presets, the duration box, Cancel."""
    assert snap_compare(make_app(populated_service()), terminal_size=SMALL, run_before=press("s"))


def test_small_presence_dialog(snap_compare) -> None:
    """Presence at 80x24: three choices and Cancel."""
    assert snap_compare(make_app(populated_service()), terminal_size=SMALL, run_before=press("p"))


def test_small_help_screen(snap_compare) -> None:
    """The cheat sheet at 80x24: the full height, scrollable, Close inside the box."""
    assert snap_compare(make_app(populated_service()), terminal_size=SMALL, run_before=press("question_mark"))


def test_small_composer_reply(snap_compare) -> None:
    """Reply at 80x24: From, To, Cc, the audience line, the text area, the signature, the buttons, and the
    footer's Send / Saved reply / Cancel."""
    assert snap_compare(make_app(populated_service()), terminal_size=SMALL, run_before=press("j", "r"))


def test_small_saved_reply_dialog(snap_compare) -> None:
    """The saved-reply picker at 80x24: a box over the composer's text with the names and their first
    words, the fields, buttons and footer untouched."""
    assert snap_compare(make_app(populated_service()), terminal_size=SMALL, run_before=press("j", "r", "ctrl+t"))


def test_large_saved_reply_dialog(snap_compare) -> None:
    """The saved-reply picker at 160x48, over the text box only (the one picker test_snapshots.py lacks)."""
    assert snap_compare(make_app(populated_service()), terminal_size=LARGE, run_before=press("j", "r", "ctrl+t"))


def test_small_recipient_confirmation(snap_compare) -> None:
    """Three recipients at 80x24: every address listed, 'Send to all (y)' and 'Back (n)' inside the box."""
    service = populated_service()
    service.conversations[3].cc = ("procurement@navy.test", "cfo@navy.test")

    async def run(pilot) -> None:
        await press("right_square_bracket", "right_square_bracket", "right_square_bracket", "j", "R")(pilot)
        pilot.app.screen.query_one("TextArea").insert("Here is the quote.")
        await pilot.press("ctrl+s")
        await settle(pilot)

    assert snap_compare(make_app(service), terminal_size=SMALL, run_before=run)


def test_small_conflict_dialog(snap_compare) -> None:
    """Not sent at 80x24: the new message and Resend / Edit first / Cancel inside the box."""
    service = populated_service()

    async def run(pilot) -> None:
        await press("j", "r")(pilot)
        pilot.app.screen.query_one("TextArea").insert("Done.")
        service.fail_next_reply_with_conflict = True
        await pilot.press("ctrl+s")
        await settle(pilot)

    assert snap_compare(make_app(service), terminal_size=SMALL, run_before=run)


def test_small_save_attachment_dialog(snap_compare) -> None:
    """Save an attachment at 80x24: the file, the path box, Save and Cancel."""

    async def run(pilot) -> None:
        await press("j", "enter", "S")(pilot)
        pilot.app.screen.query_one("#save-path").value = "/tmp/scan-2231.pdf"
        await settle(pilot)

    assert snap_compare(make_app(populated_service()), terminal_size=SMALL, run_before=run)
