"""The alert bar blinks only while alerts wait, rings when asked to, and the composer hands off to $EDITOR."""

from __future__ import annotations

import sys
from contextlib import nullcontext
from time import monotonic

from textual.widgets import TextArea

from tests.tui.conftest import SIZE, make_app, settle
from tests.tui.fake_service import populated_service
from tui.screens.composer import ComposerScreen
from tui.widgets.alert_bar import AlertBar


async def _both_states_seen(pilot, bar: AlertBar, timeout: float = 20.0) -> set[bool]:
    """The lit states the bar went through while blinking. Polls until it has been seen both lit and
    dark (or the timeout, which only stops a broken test): on a loaded machine the timer ticks late,
    so a fixed number of samples may all land in one phase."""
    seen: set[bool] = set()
    deadline = monotonic() + timeout
    while seen != {True, False} and monotonic() < deadline:
        seen.add(bar.has_class("-lit"))
        await pilot.pause(0.01)
    return seen


async def _steady_after_blinking(pilot, bar: AlertBar, timeout: float = 20.0) -> set[bool]:
    """Waits until the blink window has passed and a timer tick has settled the bar, then samples it
    over several blink periods: after the window no tick toggles it again."""
    deadline = monotonic() + timeout
    while monotonic() < deadline and (monotonic() < bar._blink_until or not bar.has_class("-lit")):
        await pilot.pause(0.01)
    steady = set()
    for _ in range(6):
        await pilot.pause(0.03)
        steady.add(bar.has_class("-lit"))
    return steady


async def test_the_bar_blinks_while_alerts_wait_and_calms_when_acknowledged(monkeypatch) -> None:
    monkeypatch.setattr(AlertBar, "BLINK_SECONDS", 0.05)
    service = populated_service()
    app = make_app(service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        bar = app.screen.query_one(AlertBar)
        assert await _both_states_seen(pilot, bar) == {True, False}
        service.acknowledge(None)
        app.load_alerts()
        await settle(pilot)
        await pilot.pause(0.12)
        assert not bar.has_class("-pending") and not bar.has_class("-lit")
        assert "Nothing needs you" in str(bar.render())


async def test_a_new_alert_rings_the_bell_when_configured() -> None:
    service = populated_service()
    service.config = service.config.model_copy(
        update={"workspace": service.config.workspace.model_copy(update={"bell": True})}
    )
    app = make_app(service)
    rings = []
    app.bell = lambda: rings.append(1)  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert rings == []
        service.add_alert("escalation", "Escalated to everyone: Thanks!", 5)
        app.load_alerts()
        await settle(pilot)
        assert rings == [1]


async def test_the_composer_uses_editor_when_set(monkeypatch, tmp_path) -> None:
    script = tmp_path / "fake_editor.py"
    script.write_text("import sys\nopen(sys.argv[1], 'w').write('Written in vim.\\n')\n")
    monkeypatch.setenv("EDITOR", f"{sys.executable} {script}")
    service = populated_service()
    app = make_app(service)
    monkeypatch.setattr(app, "suspend", lambda: nullcontext())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        for _ in range(50):
            if isinstance(app.screen, ComposerScreen) and app.screen.query_one(TextArea).text == "Written in vim.\n":
                break
            await pilot.pause(0.05)
        assert app.screen.query_one(TextArea).text == "Written in vim.\n"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert service.replies[-1]["body"] == "Written in vim.\n"


async def test_the_bar_stops_blinking_after_a_while_and_stays_lit(monkeypatch) -> None:
    """A bar that blinks forever is noise and a repaint twice a second in every idle app: it blinks
    for BLINK_FOR_SECONDS after new alerts, then stays lit; a newer alert starts it again."""
    from tui.widgets import alert_bar

    monkeypatch.setattr(AlertBar, "BLINK_SECONDS", 0.05)
    monkeypatch.setattr(alert_bar, "BLINK_FOR_SECONDS", 0.3)
    service = populated_service()
    app = make_app(service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        bar = app.screen.query_one(AlertBar)
        assert await _steady_after_blinking(pilot, bar) == {True}
        # The second window is long, so a slow machine still catches the blink inside it.
        monkeypatch.setattr(alert_bar, "BLINK_FOR_SECONDS", 30.0)
        service.add_alert("escalation", "Escalated to everyone: Thanks!", 5)
        app.load_alerts()
        await settle(pilot)
        assert await _both_states_seen(pilot, bar) == {True, False}


INTERNAL_KIND_NAMES = (
    "window_closing",
    "snooze_over",
    "send_failed",
    "send_partial",
    "server_trouble",
    "sync_trouble",
    "exclusive",
    "escalation",
)


async def test_the_bar_counts_alerts_by_kind_in_plain_words() -> None:
    """The bar says how many alerts wait and of which kinds, in words a person uses; the alert list
    too. No internal kind name (window_closing...) reaches the screen."""
    service = populated_service()
    service.add_alert("snooze_over", "Conversation 3 was snoozed until 10:00: it is open again", 3, minutes_ago=2)
    service.add_alert("window_closing", "Window closes in 12 min: Contract renewal", 4, minutes_ago=1)
    app = make_app(service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        bar = app.screen.query_one(AlertBar)
        shown = bar.render().plain
        assert shown.startswith("▲ 4 alerts [A]: 1 assigned to you · 2 windows closing · 1 snooze over   ")
        assert "Window closes in 12 min: Contract renewal" in shown  # the newest one
        await pilot.press("A")
        await settle(pilot)
        listed = "\n".join(str(option.prompt) for option in app.screen.query_one("#alert-list").options)
        assert "window closing" in listed and "snooze over" in listed and "assigned to you" in listed
        for name in INTERNAL_KIND_NAMES:
            assert name not in shown and name not in listed


async def test_the_bar_blinks_only_for_unseen_alerts_that_ask_to_act() -> None:
    """A notice (a colleague took a conversation) lights nothing; an alert asking to act lights the bar
    until the alert list has shown it, and showing it is told to the service (every session calms)."""
    from tests.tui.fake_service import FakeComptoir

    service = FakeComptoir("ann")
    service.add_alert("taken", "bob took #4 from you", 4, minutes_ago=5)
    app = make_app(service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        bar = app.screen.query_one(AlertBar)
        assert bar.has_class("-pending") and not bar.has_class("-lit")
        assert bar.render().plain.startswith("▲ 1 alert [A]: 1 taken from you")
        service.add_alert("escalation", "Conversation 3: team hifi now sees it", 3)
        app.load_alerts()
        await settle(pilot)
        assert bar.has_class("-lit")
        await pilot.press("A")
        await settle(pilot)
        assert ("mark_alerts_seen", (2, 1)) in service.calls
        await pilot.press("q")
        app.load_alerts()  # the change feed does this in the app; its watcher is off in tests
        await settle(pilot)
        bar = app.screen.query_one(AlertBar)
        assert bar.has_class("-pending") and not bar.has_class("-lit")


async def test_opening_a_conversation_acknowledges_its_alerts() -> None:
    service = populated_service()
    app = make_app(service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.screen.query_one(AlertBar).render().plain.startswith("▲ 2 alerts")
        app.open_conversation(1)
        await settle(pilot)
        assert ("acknowledge_conversation", 1) in service.calls
        await settle(pilot)
        bar = app.screen.query_one(AlertBar)
        assert bar.render().plain.startswith("▲ 1 alert [A]: 1 assigned to you")
