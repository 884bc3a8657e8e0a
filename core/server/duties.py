"""What the server runs beside answering clients: the syncer (mail, outbox, escalation), or in a
demo workspace the simulated mail. Each runs in its own thread and asyncio loop, so a slow IMAP
server or a long ingest never delays a client's request."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from core.server.health import Health
from core.workspace.folder import Workspace

if TYPE_CHECKING:
    from core.workspace.lock import WorkspaceLock

log = logging.getLogger("comptoir.server")

LOCK_RETRY_SECONDS = 15.0
"""How often a server that does not hold the sync lock (another server or `comptoir sync` does) asks again."""


def start_duties(
    ws: Workspace, health: Health, stop: threading.Event, trickle: bool = True, escalation_seconds: float | None = None
) -> list[Callable[[], None]]:
    """Start the workspace's background duties; returns the functions that stop them."""
    if ws.is_demo:
        if not trickle:
            return []
        from core.demo.live import DemoTrickle

        demo = DemoTrickle(ws)
        return [demo.stop] if demo.start() else []
    options = {} if escalation_seconds is None else {"escalation_seconds": escalation_seconds}
    thread = threading.Thread(target=_sync_forever, args=(ws, health, stop, options), name="comptoir-sync", daemon=True)
    thread.start()
    return [lambda: thread.join(15)]


def _sync_forever(ws: Workspace, health: Health, stop: threading.Event, options: dict[str, Any]) -> None:
    """Hold the sync lock and run the syncer until `stop`; restart it with backoff if it dies.
    Without the lock (another process syncs), ask again now and then: one syncer per workspace."""
    from core.mail.syncer import Syncer
    from core.workspace.lock import WorkspaceLock

    lock = WorkspaceLock(ws)
    try:
        while not stop.is_set():
            try:
                if not lock.held and not lock.acquire():
                    log.info(
                        "mail sync: another process holds the sync lock (%s); asking again in %.0f s",
                        lock.holder(),
                        LOCK_RETRY_SECONDS,
                    )
                    stop.wait(LOCK_RETRY_SECONDS)
                    continue
                health.ok("mail sync")
                run_stop = threading.Event()
                guard = threading.Thread(
                    target=_guard_lock, args=(lock, stop, run_stop), daemon=True, name="comptoir-sync-lock"
                )
                guard.start()
                Syncer(ws, health=health, **options).run_in_thread(run_stop, lock)
                guard.join()
                if not lock.held:
                    log.warning(
                        "mail sync stopped: the sync lock was lost (database connection dropped); "
                        "it resumes once the lock is held again"
                    )
            except Exception as error:
                health.failed("mail sync", error)
                stop.wait(health.backoff("mail sync"))
    finally:
        if lock.held:
            lock.release()


def _guard_lock(lock: WorkspaceLock, stop: threading.Event, run_stop: threading.Event, every: float = 2.0) -> None:
    """Stop this run of the syncer when the server stops or the lock is lost (PostgreSQL restarted)."""
    while not stop.wait(every):
        if not lock.still_held():
            break
    run_stop.set()
