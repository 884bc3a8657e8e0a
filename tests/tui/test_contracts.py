"""What the app shows agrees with what core does: the signature a reply gets, and the one time zone.

These run the real app on the real service (a demo workspace): the composer's preview of the
signature must be exactly what core appends when it sends, and the snooze dialog and its toast must
name the same moment in the same words.
"""

from __future__ import annotations

import re

import pytest
from sqlmodel import select
from textual.widgets import Static

from core.store.models import Conversation
from tests.tui.conftest import SIZE, make_app, said, settle
from tui.screens.composer import ComposerScreen
from tui.screens.conversation import ConversationScreen
from tui.screens.dialogs import SnoozeDialog


def _purchasing_conversation(service) -> int:
    """A conversation that came in through purchasing's address (purchasing has no signature)."""
    with service.workspace.db.read() as s:
        conv = s.exec(
            select(Conversation)
            .where(Conversation.team == "purchasing", Conversation.confidential == False)  # noqa: E712 - SQL
            .order_by(Conversation.id)
        ).first()
    assert conv is not None and conv.via_address.startswith(("invoices@", "suppliers@"))
    return conv.id


async def test_the_composer_shows_exactly_the_signature_core_appends(demo_service) -> None:
    """Purchasing has no signature; moved to hi-fi, core signs with hi-fi's (the team owning the address
    has none): the preview once said 'No signature' here while the mail went out signed."""
    cid = _purchasing_conversation(demo_service)
    assert demo_service.assign(cid, to_team="hifi").ok
    assert demo_service.claim(cid).ok
    before = demo_service.detail(cid)
    assert before.reply_signature == "\n\n-- \nThe hi-fi team, Au Bon Son"
    app = make_app(demo_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.start_compose(cid, "reply")
        await settle(pilot)
        composer = app.screen
        assert isinstance(composer, ComposerScreen)
        preview = str(composer.query_one("#composer-signature", Static).render())
        await pilot.press(*"Sent as shown")
        await pilot.press("ctrl+s")
        await settle(pilot)
    sent = [m for m in demo_service.detail(cid).messages if m.direction == "outbound"][-1].text
    assert sent.startswith("Sent as shown")
    appended = sent[sent.index(before.reply_signature) :]
    assert appended == before.reply_signature + "\n"  # nothing after the block but the final newline
    shown = [line.rstrip() for line in appended.splitlines() if line.strip()]  # "-- " ends in a space
    assert preview == "Added when sent:  " + " / ".join(shown)


@pytest.mark.parametrize("tz, abbreviations", [(None, ("CET", "CEST")), ("Asia/Tokyo", ("JST",))])
async def test_the_snooze_dialog_and_its_toast_name_the_same_time(demo_service, monkeypatch, tz, abbreviations) -> None:
    """Without $TZ the workspace's zone (Europe/Paris), with $TZ that zone: the preset shows a time,
    the toast (core's words, which say UTC) names the same time, in the same format."""
    if tz:
        monkeypatch.setenv("TZ", tz)
    app = make_app(demo_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, SnoozeDialog)
        offered = str(dialog.query_one("#snooze-presets").get_option_at_index(0).prompt)
        offered_time = re.search(r"\((.*)\)", offered)[1]
        assert offered_time.endswith(abbreviations)
        await pilot.press("enter")  # the empty field takes the highlighted preset: in one hour
        await settle(pilot)
        toasts = said(app)
    confirmed = [t for t in toasts if "snoozed until" in t]
    # The toast may go on with the undo hint, "  (z: undo)": the time is what ends core's words.
    assert confirmed and re.search(rf"snoozed until {re.escape(offered_time)}(  \(|$)", confirmed[-1]), (
        offered,
        toasts,
    )
    assert "UTC" not in confirmed[-1]


async def test_the_conversation_shows_every_time_in_the_users_zone(demo_service, monkeypatch) -> None:
    """Reasons, ladder and history (written by core in the team's zone or UTC) in the user's zone."""
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    app = make_app(demo_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ConversationScreen)
        shown = str(app.screen.query_one("#routing", Static).render()) + str(
            app.screen.query_one("#conversation-header", Static).render()
        )
    assert "JST" in shown
    assert not re.search(r"\d\d:\d\d (UTC|CET|CEST|Europe/Paris)", shown), shown
