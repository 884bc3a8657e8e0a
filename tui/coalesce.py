"""One load at a time: refresh requests that arrive while a load is in flight become one more load.

After an action the app is asked to refresh several times within milliseconds: its own refresh, the
change feed's push of that same change, the push of the heartbeat that says which conversation is
now viewed. Each used to start its own round of server calls and repaint. A `Coalescer` starts the
first at once (no added delay for a lone change pushed by a colleague) and folds every request made
while it runs into a single load after it: that one is needed, since the running load may have read
before the change it was asked for, and it is enough, since it reads after all of them.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.worker import Worker, WorkerState

FINISHED = (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED)


class Coalescer:
    """Runs `start` (which starts a worker and returns it) at most once at a time."""

    def __init__(self, start: Callable[[], Worker | None]) -> None:
        self._start = start
        self._running: Worker | None = None
        self._again = False

    @property
    def busy(self) -> bool:
        return self._running is not None

    def request(self) -> None:
        """Load now, or once more after the load in flight."""
        if self._running is not None:
            self._again = True
            return
        self._again = False
        self._running = self._start()

    def forget(self) -> None:
        """A load was started some other way (another queue chosen): nothing more is owed."""
        self._running = None
        self._again = False

    def worker_changed(self, event: Worker.StateChanged) -> None:
        """Call from on_worker_state_changed: when our load ends, run the one owed, if any."""
        if event.worker is not self._running or event.state not in FINISHED:
            return
        self._running = None
        if self._again:
            self.request()
