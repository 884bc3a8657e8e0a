"""How the server answers claims: in batches, most of them on the loop, the writes in one thread.

Claims are the requests that arrive by the thousand when a team pounces on new mail, and most of
them lose. The loop gathers the claims of each of its turns into one batch (core.work.claiming):

- On SQLite the loop reads the batch's conversations itself, in one statement on a connection that
  never waits for a lock, and answers every claim that read decides (lost, already yours, done,
  not yours to read) at once: no thread hop. In WAL mode a read never waits for a writer; if the
  database is busy anyway, the batch goes to the lane whole.
- What must be written (and on PostgreSQL, whose every statement is a round trip, the whole batch)
  goes to the claim lane: one thread that takes everything queued since its last turn and writes
  it in one transaction (a group commit), then hands the replies back to the loop in one call.

A write never runs on the loop, so a duty holding the write lock (mail being stored) delays claims
but no other request. Claims are serialised in the lane; on PostgreSQL, servers sharing the
database are kept apart by the guarded update, as any two writers are.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

import msgspec

from core.errors import ComptoirError
from core.server import wire
from core.store.db import OwnConnection
from core.store.rawsql import RawSql
from core.work.claiming import ClaimAsk, ClaimDesk, ClaimRow, Outcome
from core.work.views import ActionResult

if TYPE_CHECKING:
    from core.server.health import Health
    from core.workspace.folder import Workspace
    from core.workspace.identity import PeerIdentity

log = logging.getLogger("comptoir.server")


class Asker(Protocol):
    """The client session a claim came from (core.server.server.ClientSession)."""

    identity: PeerIdentity

    @property
    def gone(self) -> bool: ...

    def send_frame(self, data: bytes) -> None: ...


_Job = tuple[Asker, int, ClaimAsk, ClaimRow | None, datetime]
"""(who asks, the call's id, the claim, its row when the loop has read it already, when it was asked)."""


class ClaimLane:
    def __init__(self, ws: Workspace, loop: asyncio.AbstractEventLoop, health: Health) -> None:
        self.ws = ws
        self.loop = loop
        self.health = health
        self._own = OwnConnection(ws.db)
        """The lane's connection (used by its thread only)."""
        self.desk = ClaimDesk(ws, self._own)
        self._reader = RawSql.for_driver(ws.db.sqlite_reader(), True) if ws.db.is_sqlite else None
        """The loop's own read-only connection (SQLite)."""
        self._arriving: list[tuple[Asker, int, int]] = []
        """Claims of the loop's current turn (touched by the loop only)."""
        self._queued: list[_Job] = []
        self._ready = threading.Condition()
        self._stopping = False
        self._thread = threading.Thread(target=self._work, name="comptoir-claims", daemon=True)
        self._thread.start()

    # -- on the loop -----------------------------------------------------------------------------
    def add(self, asker: Asker, call_id: int, conversation_id: int) -> None:
        if not self._arriving:
            self.loop.call_soon(self._look)  # once the loop has read everything this turn brought
        self._arriving.append((asker, call_id, conversation_id))

    def _look(self) -> None:
        arrived, self._arriving = self._arriving, []
        now = self.ws.clock.now()
        asks = [ClaimAsk(asker.identity.agent, cid, asker.identity.login) for asker, _id, cid in arrived]
        jobs: list[_Job] = []
        if self._reader is None:
            jobs = [(asker, call_id, ask, None, now) for (asker, call_id, _c), ask in zip(arrived, asks, strict=True)]
        else:
            try:
                looked, pending = self.desk.look(self._reader, asks, now)
            except Exception as error:  # busy, or anything else: the lane reads (and reports) it again
                log.debug("claims read on the loop failed, the lane reads them: %s", error)
                jobs = [
                    (asker, call_id, ask, None, now) for (asker, call_id, _c), ask in zip(arrived, asks, strict=True)
                ]
            else:
                for n, ((asker, call_id, _c), outcome) in enumerate(zip(arrived, looked, strict=True)):
                    if outcome is None:
                        jobs.append((asker, call_id, asks[n], pending[n], now))
                    else:
                        asker.send_frame(self._reply(call_id, outcome))
        if jobs:
            with self._ready:
                self._queued.extend(jobs)
                self._ready.notify()

    @staticmethod
    def _deliver(replies: list[tuple[Asker, bytes]]) -> None:
        for asker, frame in replies:
            asker.send_frame(frame)

    def stop(self) -> None:
        with self._ready:
            self._stopping = True
            self._ready.notify()
        self._thread.join(30)

    # -- in the lane's thread --------------------------------------------------------------------
    def _work(self) -> None:
        try:
            while True:
                with self._ready:
                    while not self._queued and not self._stopping:
                        self._ready.wait()
                    if self._stopping:
                        return  # what is still queued was asked by clients the server is saying goodbye to
                    jobs, self._queued = self._queued, []
                try:
                    replies = self._decide(jobs)
                except Exception as error:  # never expected: each claim's own failure is in its reply
                    self.health.failed("claims", error, alert=False)
                    replies = [(job[0], self._reply(job[1], error)) for job in jobs]
                if replies and not self.loop.is_closed():
                    try:
                        self.loop.call_soon_threadsafe(self._deliver, replies)
                    except RuntimeError:  # the loop closed meanwhile: the server is stopping
                        return
        finally:
            self._own.close()

    def _decide(self, jobs: list[_Job]) -> list[tuple[Asker, bytes]]:
        # A claim of a client that has gone already is not applied, as a request not started in the pool.
        jobs = [job for job in jobs if not job[0].gone]
        if not jobs:
            return []
        outcomes: list[Outcome | None] = [None] * len(jobs)
        unread = [n for n, job in enumerate(jobs) if job[3] is None]
        writes: dict[int, ClaimRow] = {n: row for n, (_a, _i, _k, row, _t) in enumerate(jobs) if row is not None}
        if unread:
            try:
                with self._own.raw(write=False) as raw:
                    looked, pending = self.desk.look(raw, [jobs[n][2] for n in unread], jobs[unread[0]][4])
            except Exception as error:
                for n in unread:
                    outcomes[n] = error
            else:
                for m, n in enumerate(unread):
                    outcomes[n] = looked[m]
                    if m in pending:
                        writes[n] = pending[m]
        if writes:
            order = sorted(writes)  # arrival order: the first to ask is the first to get it
            written = self.desk.write([(jobs[n][2], writes[n]) for n in order], jobs[order[0]][4])
            for n, done in zip(order, written, strict=True):
                outcomes[n] = done
        replies = []
        for job, decided in zip(jobs, outcomes, strict=True):
            assert decided is not None, "every claim of the batch was decided"
            replies.append((job[0], self._reply(job[1], decided)))
        return replies

    def _reply(self, call_id: int, outcome: Outcome) -> bytes:
        if isinstance(outcome, ActionResult):
            return wire.frame(wire.Reply(call_id, True, msgspec.Raw(wire.encode(outcome))))
        if isinstance(outcome, ComptoirError):
            return wire.frame(wire.Reply(call_id, False, error_kind=type(outcome).__name__, error=str(outcome)))
        self.health.failed("request claim", outcome, alert=False)
        return wire.frame(
            wire.Reply(
                call_id,
                False,
                error_kind="InternalError",
                error=f"the server failed on claim ({type(outcome).__name__}: {outcome}); "
                f"details are in {self.ws.log_path}",
            )
        )
