"""Full garbage collections wait for a pause in typing (tui.quiet_gc), in the real app (Pilot): while the
app runs CPython does not start one by itself under a key (its full-collection threshold is raised), one
runs once the keyboard has been quiet, and the interpreter's own thresholds are back when the app ends."""

from __future__ import annotations

import gc

from tests.tui.conftest import SIZE, make_app, settle
from tests.tui.fake_service import FakeComptoir
from tui import quiet_gc


async def test_a_full_collection_runs_once_typing_pauses_and_not_before(
    fake_service: FakeComptoir, monkeypatch
) -> None:
    monkeypatch.setattr(quiet_gc, "QUIET_SECONDS", 0.3)
    before = gc.get_threshold()
    app = make_app(fake_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert gc.get_threshold() == (before[0], before[1], quiet_gc.FULL_AFTER)
        collector = app.quiet_gc
        gc.collect(1)  # a middle-generation pass: there is something for a full collection to look at
        assert gc.get_count()[2] > 0
        ran = collector.collections
        await pilot.press("j")
        for _ in range(40):  # until quiet for 0.3 s (a loaded machine may take longer to get there)
            await pilot.pause(0.1)
            if collector.collections > ran:
                break
        assert collector.collections == ran + 1
    assert gc.get_threshold() == before


async def test_an_app_nobody_types_in_collects_on_its_clock_tick(fake_service: FakeComptoir, monkeypatch) -> None:
    monkeypatch.setattr(quiet_gc, "QUIET_SECONDS", 0.05)
    app = make_app(fake_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        collector = app.quiet_gc
        await pilot.pause(0.3)  # the collection start-up asked for (QuietCollector.soon) has run
        gc.collect()
        ran = collector.collections
        collector.idle_tick()  # nothing kept since the last full collection: nothing to do
        assert collector.collections == ran
        for _ in range(quiet_gc.IDLE_MIDDLE_PASSES):
            gc.collect(1)
        app._tick_then_schedule()  # what the app's clock timer calls
        assert collector.collections == ran + 1
