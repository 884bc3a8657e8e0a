"""Python's full garbage collections, run while the keyboard is quiet instead of under a key.

A full collection walks every object the app holds (Textual's widgets and their styles, the queue's
rows, the screens a flow of conversations leaves behind until they are collected): ~200,000 objects
after a few conversations, 60-130 ms of CPU on the 2-core server. With CPython's default thresholds one
started inside about every fifth key of a reply (issue 13's flow bench), which is a key's whole
latency budget. Young collections stay automatic (a few ms each). The full one runs once no key or
click came for QUIET_SECONDS, and on the app's clock tick (at least every 30 s) when nobody is typing, so
an app left open while pushes keep it busy frees what it dropped; if input never pauses, CPython still
runs it by itself after FULL_AFTER passes of the middle generation (its own trigger, made rarer).
Textual pauses collection around smooth scrolling for the same reason (App.PAUSE_GC_ON_SCROLL).
"""

from __future__ import annotations

import gc
import time

from textual.app import App
from textual.timer import Timer

QUIET_SECONDS = 1.0
"""No input for this long: the agent is reading, and a full collection cannot delay a key."""
FULL_AFTER = 1000
"""Middle-generation passes before CPython collects everything by itself (its default is 10), for a
keyboard that never pauses for a second. At 100 it still started one inside a key every ~20
conversations of the flow bench (whose agent never pauses), 200-260 ms each."""


IDLE_MIDDLE_PASSES = 10
"""CPython's own default for a full collection (gc.get_threshold()[2]), kept for an app nobody types in."""


class QuietCollector:
    """Defers full collections to the app's quiet moments (`start`, then `input_seen` on every key)."""

    def __init__(self, app: App[object]) -> None:
        self._app = app
        self._timer: Timer | None = None
        self._last_input = 0.0
        self._thresholds: tuple[int, int, int] | None = None
        self.collections = 0
        """Full collections run while quiet (tests read it)."""

    def start(self) -> None:
        if self._thresholds is None:
            self._thresholds = gc.get_threshold()
            young, middle, _full = self._thresholds
            gc.set_threshold(young, middle, FULL_AFTER)

    def stop(self) -> None:
        """CPython's own thresholds again (the app stops; tests run many apps in one process)."""
        if self._thresholds is not None:
            gc.set_threshold(*self._thresholds)
            self._thresholds = None
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    def input_seen(self) -> None:
        self._last_input = time.monotonic()
        self.soon()

    def soon(self) -> None:
        """Collect at the next quiet moment: start-up is over, and what it allocated (Textual, the
        config's models, the first rows) is collected now rather than at the first clock tick."""
        if self._timer is None and self._thresholds is not None:
            self._timer = self._app.set_timer(QUIET_SECONDS, self._when_quiet, name="quiet-gc")

    def idle_tick(self) -> None:
        """The app's clock tick: with nobody typing, collect as often as CPython itself would have (after
        IDLE_MIDDLE_PASSES middle-generation passes), not more: twenty idle apps must stay asleep."""
        quiet = time.monotonic() - self._last_input >= QUIET_SECONDS
        if quiet and self._timer is None and self._thresholds is not None and gc.get_count()[2] >= IDLE_MIDDLE_PASSES:
            gc.collect()
            self.collections += 1

    def _when_quiet(self) -> None:
        waited = time.monotonic() - self._last_input
        if waited < QUIET_SECONDS:  # typing went on: look again once it has been quiet long enough
            self._timer = self._app.set_timer(QUIET_SECONDS - waited, self._when_quiet, name="quiet-gc")
            return
        self._timer = None
        if gc.get_count()[2] > 0:  # something outlived a young collection since the last full one
            gc.collect()
            self.collections += 1
