"""The alert bar blinks only while alerts wait, rings when asked to, and the composer hands off to $EDITOR."""

from __future__ import annotations

import sys
from contextlib import nullcontext

from textual.widgets import TextArea

from tests.tui.conftest import SIZE, make_app, settle
from tests.tui.fake_service import populated_service
from tui.screens.composer import ComposerScreen
from tui.widgets.alert_bar import AlertBar


async def test_the_bar_blinks_while_alerts_wait_and_calms_when_acknowledged(monkeypatch) -> None:
    monkeypatch.setattr(AlertBar, "BLINK_SECONDS", 0.05)
    service = populated_service()
    app = make_app(service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        bar = app.screen.query_one(AlertBar)
        seen = set()
        for _ in range(8):
            await pilot.pause(0.03)
            seen.add(bar.has_class("-lit"))
        assert seen == {True, False}
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
        await pilot.pause(0.6)
        steady = set()
        for _ in range(6):
            await pilot.pause(0.03)
            steady.add(bar.has_class("-lit"))
        assert steady == {True}
        service.add_alert("escalation", "Escalated to everyone: Thanks!", 5)
        app.load_alerts()
        await settle(pilot)
        seen = set()
        for _ in range(8):
            await pilot.pause(0.03)
            seen.add(bar.has_class("-lit"))
        assert seen == {True, False}
