"""One mailbox's sync as RFC 4549 describes it: select, plan, fetch new mail by UID, store, then IDLE.

Fetch, parse and store overlap: the event loop fetches, a process pool (or a thread, for small
passes) parses, and a thread stores each batch together with the mailbox position in one
transaction, so a crash at any point loses nothing and doubles nothing.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import multiprocessing
import os
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text

from core.errors import ComptoirError, StorageError
from core.mail import backoff
from core.mail.imap_account import connect_and_login, make_client
from core.mail.imap_client import (
    FetchItem,
    ImapAuthError,
    ImapClient,
    ImapCommandError,
    ImapConnectionLost,
    ImapError,
    ImapTlsError,
    MailboxStatus,
)
from core.mail.ingest import IncomingMail, IngestReport, MailboxPosition, ingest_batch
from core.mail.mime import ParsedMail
from core.mail.parse_worker import prepare_chunk, watch_parent
from core.mail.sync_plan import ServerState, StoredState, SyncPlan, plan_sync
from core.store.rawsql import RawSql
from core.store.storage_failure import storage_failure, workspace_storage
from core.workspace.config import AccountConfig
from core.workspace.folder import Workspace

log = logging.getLogger("comptoir.sync")

_Chunk = tuple[list[FetchItem], "asyncio.Future[list[tuple[ParsedMail, str, bytes]]]"]
"""Fetched mail with its parse under way, as the fetch side hands it to the store side."""


def _body_of(item: FetchItem) -> bytes:
    """The message bytes (ImapClient.fetch_uids yields only items that carry them)."""
    if item.body is None:
        raise ValueError(f"FETCH item {item.seq} has no body: fetch_uids should have left it out")
    return item.body


def _uid_of(mail: IncomingMail) -> int:
    """The UID of a fetched mail (fetch_uids yields only items that carry one)."""
    if mail.uid is None:
        raise ValueError("a fetched mail has no UID: fetch_uids should have left it out")
    return mail.uid


FETCH_BATCH = 500
"""UIDs per FETCH command (core.mail.imap_client also caps the bytes per batch, so big mails go in smaller ones)."""
FETCH_BATCH_BYTES = 8 * 1024 * 1024
PARSE_CHUNK = 64
"""Mails per task sent to a parse worker."""
PARSE_CHUNK_BYTES = 4 * 1024 * 1024
INGEST_BATCH = 400
"""Mails per database transaction."""
INGEST_BATCH_BYTES = 16 * 1024 * 1024
POOL_THRESHOLD = 200
"""Passes expected to fetch more mails than this parse in worker processes."""
IDLE_SECONDS = 29 * 60
PROBE_SECONDS = 60.0
"""IDLE is ended and the server probed (DONE, then UID SEARCH, each under the command timeout) this often, so a
server that stopped answering (a frozen process keeps the TCP connection open) is replaced within
PROBE_SECONDS plus the command timeout (30 s): 90 s with the defaults."""
POLL_SECONDS = 30.0
"""NOOP polling interval on servers without IDLE."""
TROUBLE_AFTER = 5
"""Consecutive failures before supervisors get a sync_trouble alert."""
ONCE_ATTEMPTS = 3
MISSING_SENT_RECHECK = 600.0
"""Seconds between looks for a sent folder the server does not have (yet)."""


class ParsePool:
    """Parses mail off the event loop: in 2 worker processes during big passes, else in a thread."""

    def __init__(self, workers: int = 2) -> None:
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None
        self._users = 0

    def acquire(self) -> None:
        """A big pass starts: make sure the workers run."""
        self._users += 1
        if self._pool is None:
            # spawn: fork would copy this process's threads (SQLite, asyncio.to_thread) mid-lock, and a forkserver
            # outlived a SIGKILLed syncer. Workers never see EOF on their queues (each holds both ends), so a
            # watchdog (core.mail.parse_worker.watch_parent) ends them when the syncer dies.
            self._pool = ProcessPoolExecutor(
                self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=watch_parent,
                initargs=(os.getpid(),),
            )

    def release(self) -> None:
        """A big pass ended: stop the workers when nobody needs them (they hold ~50 MB each)."""
        self._users -= 1
        if self._users <= 0:
            self.close()
            self._users = 0

    def submit(self, raws: list[bytes]) -> asyncio.Future[list[tuple[ParsedMail, str, bytes]]]:
        return asyncio.ensure_future(self._parse(raws))

    async def _parse(self, raws: list[bytes]) -> list[tuple[ParsedMail, str, bytes]]:
        if self._pool is not None:
            try:
                return await asyncio.get_running_loop().run_in_executor(self._pool, prepare_chunk, raws)
            except BrokenProcessPool:
                # A worker died (out of memory, killed): parse in a thread from now on rather than fail the sync.
                log.warning("a parse worker died; parsing in the syncer process instead")
                self.close()
        return await asyncio.to_thread(prepare_chunk, raws)

    def close(self) -> None:
        """Stop the workers and wait for them (idle by now), so none outlives the syncer."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


@dataclass
class PassResult:
    """What one sync pass did."""

    plan: SyncPlan
    fetched: int = 0
    new_messages: int = 0
    merged: int = 0
    already_seen: int = 0
    history: int = 0
    """Mail older than the account's cut-over, stored as worked-out history."""
    flag_changes: int = 0
    parse_wait: float = 0.0
    """Seconds the store side waited for parsing."""
    store_seconds: float = 0.0
    """Seconds spent in database transactions."""


class MailboxSync:
    """Keeps one (account, mailbox) in step with the server until told to stop."""

    def __init__(
        self,
        ws: Workspace,
        account: AccountConfig,
        mailbox: str,
        parser: ParsePool,
        on_trouble: Callable[[str, int], None] | None = None,
        client_factory: Callable[[AccountConfig], ImapClient] = make_client,
        probe_seconds: float = PROBE_SECONDS,
    ) -> None:
        self.ws = ws
        self.probe_seconds = probe_seconds
        self.account = account
        self.mailbox = mailbox
        self.parser = parser
        self.on_trouble = on_trouble
        self.client_factory = client_factory
        self.failures = 0
        self.name = f"{account.name}/{mailbox}"
        self.last_error: str | None = None
        self.storage_failed = False
        """The last failure was the disk (full, read-only, failing), not the server."""
        self.defer_checkpoint = False
        """Set by a Syncer that checkpoints the SQLite WAL itself."""
        self.last_uid = 0
        """The last stored UID after the latest pass."""
        self.sent = mailbox == account.sent_folder
        """The account's sent folder: its mail is our earlier replies, stored as outbound messages."""
        self.missing = False
        """The server has no such mailbox (a sent folder not created yet)."""
        self.after: asyncio.Event | None = None
        """Set by the Syncer: wait for this (the account's sent folder's first pass) before the first pass."""
        self.first_pass_over = asyncio.Event()
        """Set once the first pass ended, well or not."""
        self.cutover = account.cutover(ws.clock.now())
        """Replaced at each pass by the cut-over computed from the stored account row."""
        self._selected_on: tuple[ImapClient, MailboxStatus, int] | None = None
        """The connection this mailbox was last selected on, what SELECT said, and the UIDVALIDITY notices
        counted on it by then (see sync_pass)."""

    # -- the loop

    async def run(self, stop: asyncio.Event, once: bool = False) -> bool:
        """Sync until `stop` is set (or one good pass with once=True); True when the last pass succeeded."""
        if self.after is not None:
            # The sent folder goes first, so mail it already answers is stored as replied and never alerts anyone.
            await self.after.wait()
        try:
            return await self._run(stop, once)
        finally:
            self.first_pass_over.set()

    async def _run(self, stop: asyncio.Event, once: bool) -> bool:
        while not stop.is_set():
            client = self.client_factory(self.account)
            try:
                await self._storage_safe(self._login(client))
                await self._storage_safe(self.sync_pass(client))
                self._succeeded()
                self.first_pass_over.set()
                if once:
                    return True
                if self.missing:
                    await _sleep_or_stop(stop, MISSING_SENT_RECHECK)
                    continue
                await self._storage_safe(self._watch(client, stop))
            except Exception as error:
                # restarting): retry with backoff, never let the mailbox's task die
                self._failed(error)
                if once and self.failures >= ONCE_ATTEMPTS:
                    return False
                self.first_pass_over.set()  # those waiting for this mailbox go on without it
                wait = self._retry_delay(error)
                log.info("%s: retrying in %.1f s", self.name, wait)
                await _sleep_or_stop(stop, wait)
            finally:
                await client.logout()
        return self.last_error is None

    async def _storage_safe(self, awaitable: Awaitable[Any]) -> None:
        """Run `awaitable`; a full or failing disk becomes a StorageError naming the path and its free space."""
        try:
            await awaitable
        except ComptoirError:
            raise
        except Exception as error:
            failure = storage_failure(error, workspace_storage(self.ws))
            if failure is None:
                raise
            raise failure from None

    async def _login(self, client: ImapClient) -> None:
        await connect_and_login(client, self.account)

    async def _watch(self, client: ImapClient, stop: asyncio.Event) -> None:
        """IDLE (or NOOP-poll) until the mailbox changes, then run another pass; returns only on stop."""
        has_idle = "IDLE" in client.capabilities
        while not stop.is_set():
            if await self._arrived_meanwhile(client):
                await self.sync_pass(client, reselect=False)
                continue
            if has_idle:
                # A quiet IDLE ends every probe_seconds: the DONE and the next UID SEARCH are the liveness probe
                # (each times out, and a timeout replaces the connection). A cancelled IDLE drops the link.
                waiter = asyncio.ensure_future(client.idle(min(IDLE_SECONDS, self.probe_seconds)))
                stopper = asyncio.ensure_future(stop.wait())
                done, _ = await asyncio.wait({waiter, stopper}, return_when=asyncio.FIRST_COMPLETED)
                stopper.cancel()
                if waiter not in done:
                    # Python 3.11's wait_for can swallow a cancellation that races a result, leaving IDLE
                    # waiting; closing the socket ends it for sure.
                    waiter.cancel()
                    await asyncio.wait({waiter}, timeout=1.0)
                    if not waiter.done():
                        client.abort()
                    await asyncio.gather(waiter, return_exceptions=True)
                    return
                changed = waiter.result().changed
            else:
                if await _sleep_or_stop(stop, POLL_SECONDS):
                    return
                await client.noop()
                changed = True  # some servers send no EXISTS on NOOP, so every poll looks
            if changed:
                await self.sync_pass(client, reselect=False)
                self._succeeded()

    async def _arrived_meanwhile(self, client: ImapClient) -> bool:
        """True when mail came in during the last pass: its EXISTS went to a pass command, not to IDLE."""
        last = self.last_uid
        notices = client.exists_notices
        found = await client.uid_search("UID", f"{last + 1}:*")
        # Dovecot reports new mail with the SEARCH answer even when the search ran before it arrived; it will
        # not repeat that EXISTS in IDLE, so an EXISTS seen here means "sync again" too.
        return any(uid > last for uid in found) or client.exists_notices != notices

    def _succeeded(self) -> None:
        if self.failures >= TROUBLE_AFTER and self.on_trouble is not None:
            self.on_trouble(f"mail sync of {self.name} works again", 0)
        self.failures = 0
        self.last_error = None
        self.storage_failed = False

    def _failed(self, error: BaseException) -> None:
        self.failures += 1
        self.last_error = str(error) or type(error).__name__
        self.storage_failed = isinstance(error, StorageError)
        log.log(
            logging.ERROR if self.storage_failed else logging.WARNING,
            "%s: sync failed (%d in a row): %s",
            self.name,
            self.failures,
            self.last_error,
        )
        self._save_error(self.last_error)
        if self.failures == TROUBLE_AFTER and self.on_trouble is not None:
            self.on_trouble(
                f"mail sync of {self.name} keeps failing ({self.failures} times): {self.last_error}", self.failures
            )

    def _retry_delay(self, error: BaseException) -> float:
        if isinstance(error, StorageError):
            # Space comes back when someone frees it: look again soon, at most a minute apart.
            return backoff.delay(self.failures - 1, base=2.0, cap=60.0)
        # Credentials and certificates do not fix themselves quickly: start those waits at a minute.
        base = (
            60.0
            if isinstance(error, (ImapAuthError, ImapTlsError, ComptoirError))
            and not isinstance(error, ImapConnectionLost)
            else 1.0
        )
        return backoff.delay(self.failures - 1, base=base, cap=300.0)

    def _save_error(self, message: str) -> None:
        try:
            with self.ws.db.write() as s:
                s.execute(
                    text("UPDATE mailbox_state SET last_error = :e WHERE account = :a AND mailbox = :m"),
                    {"e": message[:500], "a": self.account.name, "m": self.mailbox},
                )
        except Exception as error:
            if storage_failure(error, None) is not None:
                log.warning("%s: could not record the sync error either (the same storage failure)", self.name)
            else:
                log.exception("%s: could not record the sync error", self.name)

    # -- one pass

    async def sync_pass(self, client: ImapClient, reselect: bool = True) -> PassResult:
        """SELECT, plan, fetch and store everything new; then save UIDNEXT and HIGHESTMODSEQ.

        reselect=False (a pass woken by IDLE or by mail that came in during the last pass): when the mailbox
        is still selected on this connection, the SELECT is skipped and the pass looks above the last stored
        UID. A re-SELECT makes Dovecot rescan the whole Maildir (60-350 ms at 20,000 mails), which was most
        of the time from push to stored; flag changes, which are only counted, wait for the next full pass."""
        started = time.perf_counter()
        held = self._selected_on
        if (
            not reselect
            and held is not None
            and held[0] is client
            and client.selected == self.mailbox
            and client.uidvalidity_notices == held[2]
        ):
            # UIDVALIDITY cannot change under a selected mailbox without the server saying so (an untagged
            # OK [UIDVALIDITY], counted) or ending the session (Dovecot sends BYE); both lead to a SELECT.
            status: MailboxStatus | None = dataclasses.replace(held[1], uidnext=None, highestmodseq=None)
            still_selected = True
        else:
            status, still_selected = await self._select(client), False
        if status is None:
            return PassResult(SyncPlan(False, None, None, 0, ("no such mailbox",)))
        self.missing = False
        stored = await asyncio.to_thread(self._stored_state)
        condstore = "CONDSTORE" in client.capabilities
        plan = plan_sync(
            stored,
            ServerState(
                status.uidvalidity, status.uidnext, status.highestmodseq, status.exists, condstore, still_selected
            ),
        )
        log.debug("%s: %s", self.name, "; ".join(plan.reasons))
        result = PassResult(plan)
        last_uid = plan.last_uid
        if plan.fetch_from is not None:
            last_uid = await self._fetch_new(client, plan, status, result)
        if self.account.set_seen and not self.sent and plan.fetch_from is not None and last_uid >= plan.fetch_from:
            # Only when the team asked for it: everything else Comptoir does leaves \Seen alone.
            await client.add_flags(f"{plan.fetch_from}:{last_uid}", ["\\Seen"])
        if plan.changed_since is not None:
            # Flags are never applied (Comptoir ignores \Seen); counting the changes keeps the log honest.
            result.flag_changes = len(await client.fetch_changed_since(plan.changed_since))
        self.last_uid = last_uid
        position = MailboxPosition(
            self.account.name,
            self.mailbox,
            status.uidvalidity,
            last_uid,
            status.uidnext,
            status.highestmodseq if condstore else None,
            reset=plan.reset,
            address=self.account.address,
        )
        await asyncio.to_thread(ingest_batch, self.ws, [], self.ws.clock.now(), position)
        if result.fetched or plan.reset:
            log.info(
                "%s: %d fetched, %d new (%d as history, before %s), %d merged, %d known in %.1f s "
                "(store %.1f s, waited %.1f s for parsing) (%s)",
                self.name,
                result.fetched,
                result.new_messages,
                result.history,
                f"{self.cutover:%Y-%m-%d %H:%M} UTC",
                result.merged,
                result.already_seen,
                time.perf_counter() - started,
                result.store_seconds,
                result.parse_wait,
                "; ".join(plan.reasons),
            )
        return result

    async def _select(self, client: ImapClient) -> MailboxStatus | None:
        """SELECT (EXAMINE) the mailbox; None when it is a sent folder the server does not have (yet)."""
        try:
            status = await client.select(self.mailbox, readonly=not self.account.set_seen or self.sent)
        except ImapCommandError:
            if not self.sent:
                raise
            # A sent folder the server does not have yet: nothing was sent from this mailbox before.
            if not self.missing:
                log.info(
                    "%s: no such mailbox on the server; looking again every %d minutes",
                    self.name,
                    MISSING_SENT_RECHECK // 60,
                )
            self.missing = True
            return None
        self._selected_on = (client, status, client.uidvalidity_notices)
        return status

    def _stored_state(self) -> StoredState:
        with self.ws.db.read() as s:
            row = s.execute(
                text(
                    "SELECT uidvalidity, uidnext, last_uid, highestmodseq FROM mailbox_state "
                    "WHERE account = :a AND mailbox = :m"
                ),
                {"a": self.account.name, "m": self.mailbox},
            ).first()
            first = s.execute(text("SELECT created_at FROM account WHERE name = :a"), {"a": self.account.name}).first()
        first_synced = RawSql.read_instant(first[0]) if first else self.ws.clock.now()
        self.cutover = self.account.cutover(first_synced)
        return StoredState(*row) if row else StoredState()

    async def _fetch_new(self, client: ImapClient, plan: SyncPlan, status: MailboxStatus, result: PassResult) -> int:
        """Fetch UIDs from plan.fetch_from on, parse and store them in batches; returns the last stored UID."""
        if plan.fetch_from is None:
            raise ValueError("a sync plan that fetches nothing reached _fetch_new")
        uids: list[int] | str = f"{plan.fetch_from}:*"
        if status.uidnext is None:
            # No UIDNEXT (a pass in the still selected mailbox, or a server that gives none): look first, so a
            # push of one mail into a big mailbox does not start the parse workers (seconds of process spawn).
            found = await client.uid_search("UID", f"{plan.fetch_from}:*")
            uids = [uid for uid in found if uid >= plan.fetch_from]  # "n:*" always matches the highest UID
            expected = len(uids)
        else:
            expected = status.uidnext - plan.fetch_from
        big = expected > POOL_THRESHOLD or (plan.reset and status.exists > POOL_THRESHOLD)
        if big:
            self.parser.acquire()
        chunks: asyncio.Queue[_Chunk | None] = asyncio.Queue(maxsize=6)
        last_uid = plan.last_uid
        consumer = asyncio.ensure_future(self._store_loop(chunks, plan, status, result))
        try:
            chunk: list[FetchItem] = []
            size = 0
            try:
                async for item in client.fetch_uids(uids, batch=FETCH_BATCH, max_batch_bytes=FETCH_BATCH_BYTES):
                    chunk.append(item)
                    size += len(_body_of(item))
                    if len(chunk) >= PARSE_CHUNK or size >= PARSE_CHUNK_BYTES:
                        await self._put(chunks, chunk, consumer)
                        chunk, size = [], 0
            except ImapError:
                # Store what arrived before the connection failed, so the retry starts after it.
                if chunk:
                    await self._put(chunks, chunk, consumer)
                await self._put(chunks, None, consumer)
                await consumer
                raise
            if chunk:
                await self._put(chunks, chunk, consumer)
            await self._put(chunks, None, consumer)
            last_uid = await consumer
        finally:
            if not consumer.done():
                consumer.cancel()
                await asyncio.gather(consumer, return_exceptions=True)
            if big:
                self.parser.release()
        return last_uid

    async def _put(
        self, chunks: asyncio.Queue[_Chunk | None], chunk: list[FetchItem] | None, consumer: asyncio.Future[int]
    ) -> None:
        """Queue a chunk with its parse already started; fail fast if the store side died."""
        entry = None if chunk is None else (chunk, self.parser.submit([_body_of(item) for item in chunk]))
        putter = asyncio.ensure_future(chunks.put(entry))
        racing: set[asyncio.Future[Any]] = {putter, consumer}
        await asyncio.wait(racing, return_when=asyncio.FIRST_COMPLETED)
        if not putter.done():
            putter.cancel()
            consumer.result()  # raises the store side's error

    async def _store_loop(
        self, chunks: asyncio.Queue[_Chunk | None], plan: SyncPlan, status: MailboxStatus, result: PassResult
    ) -> int:
        """Take parsed chunks in UID order and store them in batches, each with the mailbox position."""
        last_uid = plan.last_uid
        batch: list[IncomingMail] = []
        size = 0
        address = self.account.address.lower()
        while True:
            entry = await chunks.get()
            if entry is not None:
                items, parsing = entry
                started = time.perf_counter()
                prepared = await parsing
                result.parse_wait += time.perf_counter() - started
                for item, (parsed, key, packed) in zip(items, prepared, strict=False):
                    batch.append(
                        IncomingMail(
                            raw=_body_of(item),
                            delivered_to=address,
                            account=self.account.name,
                            mailbox=self.mailbox,
                            uidvalidity=status.uidvalidity,
                            uid=item.uid,
                            internaldate=item.internaldate,
                            parsed=parsed,
                            key=key,
                            packed=packed,
                            history_before=self.cutover,
                            sent=self.sent,
                        )
                    )
                    size += len(_body_of(item))
            if batch and (entry is None or len(batch) >= INGEST_BATCH or size >= INGEST_BATCH_BYTES):
                last_uid = max(last_uid, max(_uid_of(m) for m in batch))
                position = MailboxPosition(
                    self.account.name,
                    self.mailbox,
                    status.uidvalidity,
                    last_uid,
                    reset=plan.reset,
                    address=self.account.address,
                )
                started = time.perf_counter()
                report = await asyncio.to_thread(
                    ingest_batch, self.ws, batch, self.ws.clock.now(), position, self.defer_checkpoint
                )
                result.store_seconds += time.perf_counter() - started
                self._count(result, report, len(batch))
                self._progress(result, status)
                batch, size = [], 0
            if entry is None:
                return last_uid

    def _progress(self, result: PassResult, status: MailboxStatus) -> None:
        """One log line per stored batch, so a long first sync shows how far it is."""
        log.info(
            "%s: %d of about %d stored (%d new, %d of them history)",
            self.name,
            result.fetched,
            status.exists,
            result.new_messages,
            result.history,
        )

    @staticmethod
    def _count(result: PassResult, report: IngestReport, fetched: int) -> None:
        result.fetched += fetched
        result.new_messages += report.new_messages
        result.merged += report.merged
        result.already_seen += report.already_seen
        result.history += report.history


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> bool:
    """Sleep up to `seconds`; True when `stop` was set meanwhile."""
    try:
        await asyncio.wait_for(stop.wait(), seconds)
        return True
    except TimeoutError:
        return stop.is_set()
