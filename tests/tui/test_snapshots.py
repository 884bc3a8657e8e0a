"""One snapshot per screen and dialog; each docstring says what the picture must show.

Update after an intended change with `pytest tests/tui/test_snapshots.py --snapshot-update`
and look at the report before committing the new SVGs.
"""

from __future__ import annotations

from tests.tui.conftest import SIZE, make_app, settle
from tests.tui.fake_service import FakeConversation, hostile_service, populated_service


def press(*keys: str):
    """A run_before that presses keys, waiting on workers after each."""

    async def run(pilot) -> None:
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)

    return run


def test_main_screen_demo(snap_compare, demo_service) -> None:
    """Demo workspace as marie: the sidebar lists My work, Exclusive to me, Team Hi-fi, Everyone,
    Waiting, Snoozed, Done, Search with counts (urgent counts in red); the list shows her open
    conversations sorted by deadline, overdue ones red; the alert bar is lit with the newest alert
    and the count; the summary under the list describes the highlighted row."""
    assert snap_compare(make_app(demo_service), terminal_size=SIZE, run_before=press())


def test_team_queue_demo(snap_compare, demo_service) -> None:
    """Team Hi-fi queue (two ] presses): owners (me, sophie, paul) or @hifi when unclaimed, yellow CC
    markers on shared threads, overdue times in red, and the cursor on the third row."""
    assert snap_compare(
        make_app(demo_service),
        terminal_size=SIZE,
        run_before=press("right_square_bracket", "right_square_bracket", "j", "j"),
    )


def test_conversation_demo(snap_compare, demo_service) -> None:
    """The first conversation of My work opened: header with customer, owner, time left and who reads
    a reply; the inbound message marked 'needs an answer'; routing reasons, ladder and history on the right."""
    assert snap_compare(make_app(demo_service), terminal_size=SIZE, run_before=press("enter"))


def test_main_screen_fake(snap_compare) -> None:
    """Small workspace: row 1 overdue (red -25m), confidential (⊘), exclusive to me (me*) with bob viewing (◉bob);
    row 2 due in 9 minutes (yellow); the alert bar lit with 2 alerts."""
    assert snap_compare(make_app(populated_service()), terminal_size=SIZE, run_before=press())


def test_everyone_queue_shows_shared_confidential_and_repliers(snap_compare) -> None:
    """Everyone queue: the sales quote row has a yellow CC marker and cyd replying (✎cyd);
    the contract renewal row is absent (claimed by bob) and the summary warns CC'd people read replies."""
    assert snap_compare(
        make_app(populated_service()),
        terminal_size=SIZE,
        run_before=press("right_square_bracket", "right_square_bracket", "right_square_bracket", "j"),
    )


def test_conversation_with_failed_send_note_and_attachment(snap_compare) -> None:
    """Invoice 2231: inbound (amber bar, 'needs an answer'), our reply in red with 'FAILED TO SEND:
    server said 550 5.1.1 mailbox unavailable', an italic internal note, then a newer inbound message
    with 'attached: scan-2231.pdf'; reasons and the ladder (✓ past, → next) on the right."""
    assert snap_compare(make_app(populated_service()), terminal_size=SIZE, run_before=press("j", "enter"))


def test_assign_panel(snap_compare) -> None:
    """Claim / reassign panel over the list: Claim and Release buttons (take back only on someone else's),
    the filter box with the cursor in it, teams with open counts then agents by presence (● available,
    ◐ away) with their load, the note box right under the list, and the title bar naming the zone (UTC)."""
    assert snap_compare(make_app(populated_service()), terminal_size=SIZE, run_before=press("a"))


def test_assign_panel_filtered(snap_compare) -> None:
    """The filter (focused when the panel opens) with 'bo' typed keeps only bob (away, 1 open, support, sales)."""
    assert snap_compare(make_app(populated_service()), terminal_size=SIZE, run_before=press("a", "b", "o"))


def test_why_dialog(snap_compare) -> None:
    """Why is it here? for 'Cannot log in since Monday': two reasons, the ladder with the personal rung
    done (✓), the team rung next (→, yellow), everyone after, and the history."""
    assert snap_compare(make_app(populated_service()), terminal_size=SIZE, run_before=press("w"))


def test_alert_list(snap_compare) -> None:
    """Alert list: the window alert (newest, highlighted) above the assignment alert, with the keys
    to open, acknowledge one, acknowledge all, close."""
    assert snap_compare(make_app(populated_service()), terminal_size=SIZE, run_before=press("A"))


def test_calm_alert_bar(snap_compare) -> None:
    """No unacknowledged alert: the bar is grey and says nothing needs you."""
    service = populated_service()
    service.acknowledge(None)
    assert snap_compare(make_app(service), terminal_size=SIZE, run_before=press())


def test_composer_reply(snap_compare) -> None:
    """Reply to Invoice 2231: From the support address, To marie@radium.test, empty Cc, '1 recipient ·
    private to the customer', the quoted last message in the text area, the team signature preview
    below it, and Send / $EDITOR / Saved reply / Cancel buttons."""
    assert snap_compare(make_app(populated_service()), terminal_size=SIZE, run_before=press("j", "r"))


def test_composer_reply_all_over_the_limit(snap_compare) -> None:
    """Reply to all on the sales quote: 2 recipients and a yellow 'CC'd people will read this reply:
    procurement@navy.test'; cyd is shown replying too."""
    assert snap_compare(
        make_app(populated_service()),
        terminal_size=SIZE,
        run_before=press("right_square_bracket", "right_square_bracket", "right_square_bracket", "j", "R"),
    )


def test_composer_note(snap_compare) -> None:
    """Internal note: no recipients, a hint that only colleagues see it and the @logins to mention."""
    assert snap_compare(make_app(populated_service()), terminal_size=SIZE, run_before=press("N"))


def test_recipient_confirmation(snap_compare) -> None:
    """Three recipients: the confirmation lists every address with 'Send to all (y)' and 'Back (n)'."""
    service = populated_service()
    service.conversations[3].cc = ("procurement@navy.test", "cfo@navy.test")

    async def run(pilot) -> None:
        await press("right_square_bracket", "right_square_bracket", "right_square_bracket", "j", "R")(pilot)
        pilot.app.screen.query_one("TextArea").insert("Here is the quote.")
        await pilot.press("ctrl+s")
        await settle(pilot)

    assert snap_compare(make_app(service), terminal_size=SIZE, run_before=run)


def test_conflict_dialog(snap_compare) -> None:
    """Not sent: the conversation changed; the new inbound message 'Actually, one more thing...' is shown
    with Resend as is (y), Edit first (e), Cancel (q)."""
    service = populated_service()

    async def run(pilot) -> None:
        await press("j", "r")(pilot)
        pilot.app.screen.query_one("TextArea").insert("Done.")
        service.fail_next_reply_with_conflict = True
        await pilot.press("ctrl+s")
        await settle(pilot)

    assert snap_compare(make_app(service), terminal_size=SIZE, run_before=run)


def test_dispose_dialog(snap_compare) -> None:
    """No action needed on Invoice 2231: the two pending messages listed, the reason box with the cursor
    in it, and the four numbered ready-made reasons under it, the first highlighted."""
    assert snap_compare(make_app(populated_service()), terminal_size=SIZE, run_before=press("j", "n"))


def test_snooze_dialog(snap_compare) -> None:
    """The duration box with the cursor in it, then the presets numbered 1-4 with their times in the one
    format (Mon 03 Mar 11:00 UTC), the first highlighted."""
    assert snap_compare(make_app(populated_service()), terminal_size=SIZE, run_before=press("s"))


def test_presence_dialog(snap_compare) -> None:
    """Presence choices: available, away, vacation, each with what it means for routing."""
    assert snap_compare(make_app(populated_service()), terminal_size=SIZE, run_before=press("p"))


def test_save_attachment_dialog(snap_compare) -> None:
    """Save an attachment: scan-2231.pdf listed with its size and type, and the path box."""
    service = populated_service()

    async def run(pilot) -> None:
        await press("j", "enter", "S")(pilot)
        pilot.app.screen.query_one("#save-path").value = "/tmp/scan-2231.pdf"
        await settle(pilot)

    assert snap_compare(make_app(service), terminal_size=SIZE, run_before=run)


def test_help_screen(snap_compare) -> None:
    """The ? cheat sheet: every action grouped (Move, Queues, Conversation, Reading, Compose, Dialogs, Reports, App)
    with its keys, then the list legend."""
    assert snap_compare(make_app(populated_service()), terminal_size=SIZE, run_before=press("question_mark"))


def test_help_screen_shows_the_keymap(snap_compare) -> None:
    """With keymap claim = "ctrl+k", the cheat sheet lists ctrl+k for Claim."""
    service = populated_service()
    service.config = service.config.model_copy(update={"keymap": {"claim": "ctrl+k"}})
    assert snap_compare(make_app(service), terminal_size=SIZE, run_before=press("question_mark"))


def test_hostile_list(snap_compare) -> None:
    """Hostile subject and name: the markup shows literally ('[bold red]PWNED[/]', '[link=...]'),
    no escape sequence acts, the carriage return is a space and the reversed file name reads plainly."""
    assert snap_compare(make_app(hostile_service()), terminal_size=SIZE, run_before=press())


def test_hostile_conversation(snap_compare) -> None:
    """Hostile body and attachment name shown as inert text: '[b]bold?[/b]' literal, no red from ESC[31m,
    the OSC 8 link reduced to 'click', and the attachment name without its bidi override."""
    assert snap_compare(make_app(hostile_service()), terminal_size=SIZE, run_before=press("enter"))


def test_new_mail(snap_compare) -> None:
    """New mail (C): From the agent's team address (a drop-down), To, Cc, Bcc, Subject, a Files box that
    completes paths, '0 recipients', the empty text area; the footer offers Send and Cancel."""
    assert snap_compare(make_app(populated_service()), terminal_size=SIZE, run_before=press("C"))


def test_new_mail_small_terminal(snap_compare) -> None:
    """New mail at 80x24: every field on one line each, the text area keeps eleven lines."""
    assert snap_compare(make_app(populated_service()), terminal_size=(80, 24), run_before=press("C"))


def test_composer_reply_small_terminal(snap_compare) -> None:
    """Reply at 80x24: the head drops its blank lines (Bcc, Subj and Files included) and the quoted text
    keeps several lines above the signature preview and the buttons."""
    assert snap_compare(make_app(populated_service()), terminal_size=(80, 24), run_before=press("j", "r"))


def test_forward_pick_message(snap_compare) -> None:
    """f on Invoice 2231: the three mails (newest first, the one with the scan marked [1 file]); the note is not offered."""
    assert snap_compare(make_app(populated_service()), terminal_size=SIZE, run_before=press("j", "enter", "f"))


def test_merge_dialog(snap_compare) -> None:
    """M on Invoice 2231: the other conversation of marie@radium.test (#6) to merge in, and a number box."""
    service = populated_service()
    service.add_conversation(
        FakeConversation(6, "Invoice 2231, again", "Marie Curie", "marie@radium.test", owner="ann")
    )
    service.add_message(6, "inbound", "Me again.")
    assert snap_compare(make_app(service), terminal_size=SIZE, run_before=press("j", "enter", "M"))


def test_remind_dialog(snap_compare) -> None:
    """m: when (1h by default: a duration or a time) and what about."""
    assert snap_compare(make_app(populated_service()), terminal_size=SIZE, run_before=press("j", "m"))


def _with_client_and_request():
    service = populated_service()
    from tests.tui.fake_service import FakeConversation

    service.conversations[1].client = "Radium SA"
    service.add_conversation(
        FakeConversation(
            9,
            "Old order of radium paint",
            "Marie Curie",
            "marie@radium.test",
            state="done",
            owner="bob",
            channel="web",
            client="Radium SA",
        )
    )
    service.add_conversation(
        FakeConversation(
            6,
            "Two more Geiger counters: in stock?",
            "Ann Archer",
            "",
            team="sales",
            kind="request",
            request_of=1,
            request_state="answered",
            requester="ann",
            channel="internal",
        )
    )
    service.add_message(6, "note", "Two more Geiger counters: in stock?", author="ann", from_name="Ann Archer")
    return service


def test_customer_panel(snap_compare) -> None:
    """i on Invoice 2231: the customer panel shows Marie Curie <marie@radium.test>, client Radium SA with its
    notes, audiences, ann's 5/5 rating, and 2 conversations numbered 1-2: #9 (done, bob, [web]) and #1 (this one)."""
    service = _with_client_and_request()
    assert snap_compare(make_app(service), terminal_size=SIZE, run_before=press("j", "enter", "i"))


def test_conversation_header_with_client_and_request(snap_compare) -> None:
    """Invoice 2231 opened: under the reply line, 'client Radium SA · requests: #6 answered (team sales)'."""
    service = _with_client_and_request()
    assert snap_compare(make_app(service), terminal_size=SIZE, run_before=press("j", "enter"))


def test_open_request_dialog(snap_compare) -> None:
    """Q on Invoice 2231: 'Ask another team about Invoice 2231 is wrong', teams 1 Support and 2 Sales, the text box."""
    assert snap_compare(make_app(populated_service()), terminal_size=SIZE, run_before=press("j", "enter", "Q"))


def test_request_state_dialog_small_terminal(snap_compare) -> None:
    """80x24, Q on the answered request #6: its state, requester and subject, five numbered choices and the box."""
    service = _with_client_and_request()
    service.conversations[6].team = "support"

    async def run(pilot) -> None:
        await settle(pilot)
        pilot.app.open_conversation(6)
        await settle(pilot)
        await pilot.press("Q")
        await settle(pilot)

    assert snap_compare(make_app(service), terminal_size=(80, 24), run_before=run)


SMALL = (80, 24)


def test_vacation_confirmation(snap_compare) -> None:
    """p 3 asks first: "Go on vacation?", the count of conversations going back to their teams, that z
    undoes it for 10 s, and the safe "Stay (n)" button focused."""
    assert snap_compare(make_app(populated_service()), terminal_size=SIZE, run_before=press("p", "3"))


def test_vacation_confirmation_small(snap_compare) -> None:
    """The same question fits 80x24: title, the whole sentence and both buttons."""
    assert snap_compare(make_app(populated_service()), terminal_size=SMALL, run_before=press("p", "3"))


def test_take_back_confirmation_small(snap_compare) -> None:
    """t on Bob's conversation asks "Take it back from Bob?", naming #2, at 80x24, "Leave it (n)" focused."""
    service = populated_service()
    service.conversations[2].owner = "bob"
    assert snap_compare(make_app(service), terminal_size=SMALL, run_before=press("t"))


def test_quit_with_a_draft_small(snap_compare) -> None:
    """ctrl+q in the composer with text typed asks "Quit Comptoir?" and says the draft is kept, at 80x24."""

    async def run(pilot) -> None:
        await press("j", "r")(pilot)
        await pilot.press(*"half a thought")
        await pilot.press("ctrl+q")
        await settle(pilot)

    assert snap_compare(make_app(populated_service()), terminal_size=SMALL, run_before=run)
