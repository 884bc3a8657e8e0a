"""The syncer: every account's mailboxes, the outbox, escalation and housekeeping, in one asyncio loop.

Exactly one process runs it per workspace (core.workspace.lock): `comptoir sync` as a service, or the
workspace server's duties (core.server.duties) through `Syncer.run_in_thread`. Each (account, mailbox) is its own task
(core.mail.mailbox_sync); the outbox and the webhook queue run every second, escalation every 30 s,
and the change log is pruned of rows older than a day.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sqlite3
import sys
import threading
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from core.mail.mailbox_sync import PROBE_SECONDS, MailboxSync, ParsePool
from core.mail.outbox import Outbox
from core.store.models import utcnow
from core.store.storage_failure import storage_failure, workspace_storage
from core.textsafe import printable
from core.work.daily import run_daily
from core.work.escalation import run_escalation
from core.work.journal import alert_supervisors, prune_changes
from core.work.reports import warm_rollup
from core.work.webhook import WebhookQueue
from core.workspace.folder import Workspace
from core.workspace.lock import WorkspaceLock
from core.workspace.logfile import log_to_file

if TYPE_CHECKING:
    from core.server.health import Health

log = logging.getLogger("comptoir.sync")

EXIT_MAILBOX = 2
"""`sync --once`: a mailbox could not be synced (the reason is printed and in comptoir.log)."""
EXIT_STORAGE = 4
"""`sync --once` or any command: the disk (or PostgreSQL's) refused a write; the message names the path."""

OUTBOX_SECONDS = 1.0
ESCALATION_SECONDS = 30.0
PRUNE_SECONDS = 3600.0
CHECKPOINT_SECONDS = 1.0
CHANGE_LOG_KEEP = timedelta(days=1)


class Syncer:
    """Runs the sync duties of one workspace until stopped; the caller holds the workspace lock."""

    def __init__(
        self,
        ws: Workspace,
        *,
        outbox_retry_base: float = 30.0,
        outbox_seconds: float = OUTBOX_SECONDS,
        escalation_seconds: float = ESCALATION_SECONDS,
        probe_seconds: float = PROBE_SECONDS,
        health: Health | None = None,
    ) -> None:
        self.ws = ws
        self.health = health
        """A core.server.health.Health that hears of every duty's failures and recoveries, or None."""
        self.parser = ParsePool()
        self.outbox = Outbox(ws, retry_base=outbox_retry_base)
        self.webhooks = WebhookQueue(ws)
        self.outbox_seconds = outbox_seconds
        self.escalation_seconds = escalation_seconds
        self.mailboxes = [
            MailboxSync(ws, account, mailbox, self.parser, on_trouble=self._trouble, probe_seconds=probe_seconds)
            for account in ws.config.accounts
            for mailbox in account.mailboxes()
        ]
        sent_first = {m.account.name: m for m in self.mailboxes if m.sent}
        for mailbox in self.mailboxes:
            mailbox.defer_checkpoint = ws.db.is_sqlite
            first = sent_first.get(mailbox.account.name)
            if first is not None and first is not mailbox:
                mailbox.after = first.first_pass_over

    async def run(self, stop: asyncio.Event, once: bool = False) -> bool:
        """Sync until `stop` is set; with once=True, one pass of everything. True when every mailbox synced."""
        try:
            await self._guarded("outbox recovery", self.outbox.recover())
            checkpointer = asyncio.ensure_future(
                self._every(stop, CHECKPOINT_SECONDS, "checkpoint", lambda: asyncio.to_thread(self.checkpoint))
            )
            if once:
                try:
                    results = await asyncio.gather(*(m.run(stop, once=True) for m in self.mailboxes))
                finally:
                    checkpointer.cancel()
                    await asyncio.gather(checkpointer, return_exceptions=True)
                await self._guarded("checkpoint", asyncio.to_thread(self.checkpoint))
                await self._guarded("outbox", self.outbox.send_due())
                await self._guarded("escalation", asyncio.to_thread(run_escalation, self.ws, self.ws.clock.now()))
                await self._guarded("daily duties", asyncio.to_thread(run_daily, self.ws, self.ws.clock.now()))
                await self._guarded("webhooks", self.webhooks.deliver_due())
                await self._guarded("pruning", asyncio.to_thread(self.prune_changes))
                return all(results)
            tasks = [checkpointer, *(asyncio.ensure_future(m.run(stop)) for m in self.mailboxes)]
            tasks += [
                asyncio.ensure_future(self._every(stop, self.outbox_seconds, "outbox", self.outbox.send_due)),
                asyncio.ensure_future(self._every(stop, self.escalation_seconds, "escalation", self._escalate)),
                asyncio.ensure_future(self._every(stop, self.outbox_seconds, "webhooks", self.webhooks.deliver_due)),
                asyncio.ensure_future(
                    self._every(stop, PRUNE_SECONDS, "pruning", lambda: asyncio.to_thread(self.prune_changes))
                ),
            ]
            await stop.wait()
            done, pending = await asyncio.wait(tasks, timeout=10)
            for task in pending:
                log.warning("still busy 10 s after stop, cancelled: %s", task.get_coro())
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            return True
        finally:
            await self._guarded("closing the Sent-folder connections", self.outbox.close())
            self.parser.close()

    async def _escalate(self) -> None:
        steps = await asyncio.to_thread(run_escalation, self.ws, self.ws.clock.now())
        if steps:
            log.info("escalation steps applied: %d", len(steps))
        # The once-a-day work rides on this pass; its own failure must not stop escalation's.
        await self._guarded("daily duties", self._daily())

    async def _daily(self) -> None:
        done = await asyncio.to_thread(run_daily, self.ws, self.ws.clock.now())
        for day in done.load_days:
            log.info("recorded each agent's load at the end of %s", day)
        for summary in done.summaries:
            log.info("daily summary sent: %s", summary)
        await self._warm_reports()

    async def _warm_reports(self) -> None:
        """The reports' rollup: the days late writes touched, and after an upgrade a month a pass, are computed
        here rather than by the next report. Only a head start (a report computes what is missing itself), so a
        failure is logged and is no duty of the server's health: the database's own trouble shows elsewhere."""
        try:
            await asyncio.to_thread(warm_rollup, self.ws, self.ws.clock.now())
        except asyncio.CancelledError:
            raise
        except Exception as error:
            log.warning("report rollup not computed ahead: %s: %s", type(error).__name__, error)

    async def _every(self, stop: asyncio.Event, seconds: float, what: str, job: Callable[[], Awaitable[Any]]) -> None:
        """Run `job()` now and then every `seconds` until stop; an error is logged, never fatal."""
        while not stop.is_set():
            await self._guarded(what, job())
            try:
                await asyncio.wait_for(stop.wait(), seconds)
            except TimeoutError:
                pass

    async def _guarded(self, what: str, awaitable: Awaitable[Any]) -> None:
        try:
            await awaitable
        except asyncio.CancelledError:
            raise
        except Exception as error:
            failure = storage_failure(error, workspace_storage(self.ws), what)
            if failure is not None:
                log.error("%s", failure)  # the path and the free space say it all: no traceback
                if self.health is not None:
                    self.health.failed(what, error, traceback=False)
            elif self.health is None:
                log.exception("%s failed", what)
            else:
                self.health.failed(what, error)
            return
        if self.health is not None:
            self.health.ok(what)

    def checkpoint(self) -> None:
        """Copy the SQLite WAL into the database off the ingest path (ingest defers it, see core.mail.ingest)."""
        if not self.ws.db.is_sqlite:
            return
        connection = sqlite3.connect(str(self.ws.db.path), timeout=30)
        try:
            connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
        finally:
            connection.close()

    def prune_changes(self) -> int:
        """Delete change-log rows older than a day (running apps have read them long ago)."""
        with self.ws.db.write() as s:
            return prune_changes(s, utcnow() - CHANGE_LOG_KEEP)

    def _trouble(self, message: str, failures: int) -> None:
        """Tell supervisors that a mailbox keeps failing (and when it recovers)."""
        alert_supervisors(self.ws, "sync_trouble", message)

    def run_in_thread(self, stop: threading.Event, lock: WorkspaceLock | None = None) -> bool:
        """Blocking entry for an embedded syncer in a thread: runs until `stop` is set.

        `lock` is the workspace lock its caller already holds (and releases); without one it takes
        the lock itself, and returns False at once when another process holds it. True after a
        clean stop.
        """
        own = lock is None
        lock = lock or WorkspaceLock(self.ws)
        if own and not lock.acquire():
            return False
        try:
            asyncio.run(self._run_until_thread_event(stop))
        finally:
            if own:
                lock.release()
        return True

    async def _run_until_thread_event(self, stop: threading.Event) -> None:
        loop_stop = asyncio.Event()

        async def watch() -> None:
            while not stop.is_set():
                await asyncio.sleep(0.2)
            loop_stop.set()

        watcher = asyncio.ensure_future(watch())
        try:
            await self.run(loop_stop)
        finally:
            watcher.cancel()


class _TerminalFormatter(logging.Formatter):
    """Log lines for a terminal: server answers in them are made printable (core.textsafe)."""

    def format(self, record: logging.LogRecord) -> str:
        return printable(super().format(record))


def _log_to_terminal() -> logging.Handler | None:
    """When someone watches (`comptoir sync` in a terminal), the same lines on stderr: progress, failures."""
    if not sys.stderr.isatty():
        return None
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_TerminalFormatter("%(asctime)s %(message)s", "%H:%M:%S"))
    logging.getLogger("comptoir").addHandler(handler)
    return handler


def run_syncer(ws: Workspace, once: bool) -> int:
    """`comptoir sync [--once]`: hold the lock, sync until SIGTERM/SIGINT (or one pass); the exit code."""
    lock = WorkspaceLock(ws)
    if not lock.acquire():
        print(f"comptoir: another syncer holds {ws.path}: {lock.holder()}", file=sys.stderr)
        return 1
    handler = log_to_file(ws.log_path)
    terminal = _log_to_terminal()
    log.info(
        "syncer started (%s, %d mailbox(es))",
        "once" if once else "continuous",
        sum(len(a.mailboxes()) for a in ws.config.accounts),
    )
    syncer = Syncer(ws)
    try:
        ok = asyncio.run(_main(syncer, once))
    finally:
        log.info("syncer stopped")
        logging.getLogger("comptoir").removeHandler(handler)
        handler.close()
        if terminal is not None:
            logging.getLogger("comptoir").removeHandler(terminal)
        lock.release()
    failed = [m for m in syncer.mailboxes if m.last_error]
    for mailbox in failed:
        print(f"comptoir: {mailbox.name}: {printable(mailbox.last_error or '')}", file=sys.stderr)
    if any(m.storage_failed for m in failed):
        return EXIT_STORAGE
    return 0 if ok else EXIT_MAILBOX


async def _main(syncer: Syncer, once: bool) -> bool:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        return await syncer.run(stop, once=once)
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
