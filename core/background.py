"""What runs beside the app: the embedded syncer when no `comptoir sync` holds the workspace lock,
and in demo workspaces the trickle of simulated mail."""

from __future__ import annotations

import logging
import threading

from core.workspace import Workspace

log = logging.getLogger("comptoir.background")


class Background:
    def __init__(self) -> None:
        self._stops: list = []

    @classmethod
    def start_for(cls, ws: Workspace, trickle: bool = False) -> "Background":
        bg = cls()
        if ws.is_demo:
            if trickle:
                from core.demo_live import DemoTrickle

                demo = DemoTrickle(ws)
                if demo.start():
                    bg._stops.append(demo.stop)
            return bg
        try:
            from core.lock import WorkspaceLock
            from core.syncer import Syncer
        except ImportError:  # the mail engine is optional for a workspace without accounts
            log.warning("no syncer available; mail is not synced by this app")
            return bg
        lock = WorkspaceLock(ws)
        if not lock.acquire():
            log.info("a syncer already runs (%s); this app only reads and acts", lock.holder())
            return bg
        stop = threading.Event()
        thread = threading.Thread(target=Syncer(ws).run_in_thread, args=(stop,), name="comptoir-sync", daemon=True)
        thread.start()

        def halt() -> None:
            stop.set()
            thread.join(10)
            lock.release()

        bg._stops.append(halt)
        return bg

    def stop(self) -> None:
        for stop in reversed(self._stops):
            try:
                stop()
            except Exception:  # noqa: BLE001 - stopping must not mask the app's own exit
                log.exception("stopping a background task failed")
        self._stops.clear()
