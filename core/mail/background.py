"""What runs beside the app: the embedded syncer when no `comptoir sync` holds the workspace lock,
and in demo workspaces the trickle of simulated mail."""

from __future__ import annotations

import logging
import threading

from core.workspace.folder import Workspace

log = logging.getLogger("comptoir.background")


class Background:
    def __init__(self) -> None:
        self._stops: list = []
        self._lock = threading.Lock()
        self._stopped = False

    def start(self, ws: Workspace, trickle: bool = False) -> None:
        """Start the demo trickle, or the embedded syncer when no `comptoir sync` holds the lock.
        May run in a worker thread while the app runs; a `stop()` that came first wins."""
        with self._lock:
            if self._stopped:
                return
            if ws.is_demo:
                if trickle:
                    from core.demo.live import DemoTrickle

                    demo = DemoTrickle(ws)
                    if demo.start():
                        self._stops.append(demo.stop)
                return
            try:
                from core.workspace.lock import WorkspaceLock
                from core.mail.syncer import Syncer
            except ImportError:  # the mail engine is optional for a workspace without accounts
                log.warning("no syncer available; mail is not synced by this app")
                return
            lock = WorkspaceLock(ws)
            if not lock.acquire():
                log.info("a syncer already runs (%s); this app only reads and acts", lock.holder())
                return
            stop = threading.Event()
            # The lock taken here is handed over: a second WorkspaceLock on it would be refused.
            thread = threading.Thread(target=Syncer(ws).run_in_thread, args=(stop, lock), name="comptoir-sync",
                                      daemon=True)
            thread.start()

            def halt() -> None:
                stop.set()
                thread.join(10)
                lock.release()

            self._stops.append(halt)

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
        for stop in reversed(self._stops):
            try:
                stop()
            except Exception:  # noqa: BLE001 - stopping must not mask the app's own exit
                log.exception("stopping a background task failed")
        self._stops.clear()
