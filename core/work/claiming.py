"""Claims, one or many at once: of two agents claiming at once, one wins and the other is told who.

The hot path of a claim race, so it runs driver-level SQL (core.store.rawsql), in batches: the
workspace server hands over every claim that arrived in one turn of its loop.

- `look`: one plain read of the batch's conversations answers most attempts (already owned, done,
  someone's exclusive window, or not readable by that agent) without queueing for the write lock.
- `write`: the rest in ONE transaction (a group commit). For each, in arrival order, the guarded
  `UPDATE ... WHERE owner IS NULL` alone decides, then its audit event (with the real login of who
  asked, core.work.acting), its alerts and the change-log rows. Two claims of one conversation in
  one batch: the first wins, the second is told so without another statement. If the transaction
  fails, nothing of it was written, and each claim is tried again alone, so one failing claim never
  takes the others down with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from functools import lru_cache
from typing import NamedTuple, Protocol

from core.errors import ActionRefused
from core.store.rawsql import RawSql, column_when
from core.work.access import Reader
from core.work.acting import ACTING_LOGIN
from core.work.journal import JournalBatch, record_event_raw, settle_on_claim
from core.work.undo_data import undo_data
from core.work.verb_support import conversation_label as _label
from core.work.verb_support import refused as _refused
from core.work.verb_support import unreadable as _unreadable
from core.work.views import ActionResult
from core.workspace.config import Config
from core.workspace.folder import Workspace
from routing.wording import when


class ClaimAsk(NamedTuple):
    """One claim to decide: `agent` claims `conversation_id`; `login` is who really asks (the
    kernel's word, for the audit trail), None in process (tests, one-shot tools)."""

    agent: str
    conversation_id: int
    login: str | None = None


class ClaimRow(NamedTuple):
    """What deciding a claim reads of a conversation (also what core.work.access's rule looks at)."""

    id: int
    subject: str
    confidential: bool
    state: str
    visibility: str
    owner: str | None
    exclusive_agent: str | None
    exclusive_until: datetime | None
    team: str | None


Outcome = ActionResult | Exception
"""A claim's result, or the error it raised (ActionRefused for a conversation that does not exist;
anything else is the storage's)."""

_COLUMNS = "id, subject, confidential, state, visibility, owner, exclusive_agent, exclusive_until, team"
_CLAIM = (
    "UPDATE conversation SET owner = :agent, updated_at = :now, "
    # A personal rung now follows the new owner's presence: the next pass looks at it again.
    "next_step_at = CASE WHEN visibility = 'personal' THEN :now ELSE next_step_at END, "
    # A request someone claims is being worked on.
    "request_state = CASE WHEN request_state = 'new' THEN 'in_progress' ELSE request_state END "
    "WHERE id = :id AND owner IS NULL AND state != 'done'"
)
_READ_CHUNK = 64


@lru_cache(maxsize=_READ_CHUNK)
def _read_sql(count: int) -> str:
    """The batch read for `count` ids (a batch is small: one statement per size, prepared once by the driver)."""
    return f"SELECT {_COLUMNS} FROM conversation WHERE id IN ({', '.join(f':i{n}' for n in range(count))})"


def read_rows(raw: RawSql, ids: Sequence[int]) -> dict[int, ClaimRow]:
    rows: dict[int, ClaimRow] = {}
    read_when = raw.read_when
    for start in range(0, len(ids), _READ_CHUNK):
        chunk = ids[start : start + _READ_CHUNK]
        for r in raw.all(_read_sql(len(chunk)), {f"i{n}": cid for n, cid in enumerate(chunk)}):
            rows[r[0]] = ClaimRow(r[0], r[1], bool(r[2]), r[3], r[4], r[5], r[6], read_when(r[7]), r[8])
    return rows


class Connections(Protocol):
    """What gives a desk its SQL: core.store.db's Database, or OwnConnection."""

    def raw(self, write: bool) -> AbstractContextManager[RawSql]: ...


class _Known:
    """What a desk worked out of one config."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.readers: dict[str, Reader] = {}
        self.names: dict[str | None, str] = {}


class ClaimDesk:
    """Decides claims for one workspace; keeps what it works out of the config (each agent's teams
    and name) until the config is replaced (the server reloads it on SIGHUP)."""

    def __init__(self, ws: Workspace, db: Connections | None = None) -> None:
        self.ws = ws
        self.db: Connections = db or ws.db
        """Where the reads and writes go: the workspace's database, or a connection of the caller's own."""
        self._known = _Known(ws.config)

    def _fresh(self) -> _Known:
        known = self._known
        if known.config is not self.ws.config:
            # One attribute swapped at once: the server's loop and its claim lane share this desk.
            known = self._known = _Known(self.ws.config)
        return known

    def reader(self, agent: str) -> Reader:
        known = self._fresh()
        reader = known.readers.get(agent)
        if reader is None:
            reader = known.readers[agent] = Reader.of(known.config, agent)
        return reader

    def name(self, login: str | None) -> str:
        known = self._fresh()
        name = known.names.get(login)
        if name is None:
            found = known.config.agent(login) if login else None
            name = known.names[login] = found.name if found else (login or "nobody")
        return name

    # -- the whole of it ---------------------------------------------------------------------
    def claim_many(self, asks: Sequence[ClaimAsk], now: datetime) -> list[Outcome]:
        """Decide every claim of `asks`, in order."""
        with self.db.raw(write=False) as raw:
            looked, pending = self.look(raw, asks, now)
        written = (
            dict(zip(pending, self.write([(asks[n], row) for n, row in pending.items()], now), strict=True))
            if pending
            else {}
        )
        return [written[n] if outcome is None else outcome for n, outcome in enumerate(looked)]

    # -- the read, for the whole batch -------------------------------------------------------
    def look(
        self, raw: RawSql, asks: Sequence[ClaimAsk], now: datetime
    ) -> tuple[list[Outcome | None], dict[int, ClaimRow]]:
        """Each claim's outcome as far as the plain read tells it (None: it must be written), and the
        claims to write: position in `asks` -> the row read."""
        rows = read_rows(raw, list({ask.conversation_id: None for ask in asks}))
        outcomes: list[Outcome | None] = []
        pending: dict[int, ClaimRow] = {}
        for n, ask in enumerate(asks):
            row = rows.get(ask.conversation_id)
            if row is None:
                outcomes.append(ActionRefused(f"there is no conversation #{ask.conversation_id}"))
                continue
            outcome = self._first_look(ask.agent, row, now)
            if outcome is None:
                pending[n] = row
            outcomes.append(outcome)
        return outcomes, pending

    def _first_look(self, agent: str, conv: ClaimRow, now: datetime) -> ActionResult | None:
        reader = self.reader(agent)
        if not reader.may_read(conv, now):
            return _unreadable(self.ws, agent, conv, now)
        if conv.state == "done":
            return _refused(f"{_label(conv)} is done; reopen it first", conv.id)
        if conv.owner is not None:
            return self._lost(agent, conv, conv.owner)
        if conv.visibility == "personal" and conv.exclusive_agent not in (None, agent) and not reader.supervisor:
            until = when(conv.exclusive_until, None) if conv.exclusive_until else "later"
            return _refused(
                f"{_label(conv)} is {self.name(conv.exclusive_agent)}'s alone until {until}; "
                "ask them, or take it back with a note (t / assign)",
                conv.id,
            )
        return None

    def _lost(self, agent: str, conv: ClaimRow, owner: str | None) -> ActionResult:
        if owner == agent:
            return ActionResult(True, f"{_label(conv)} is already yours", conv.id, agent)
        return ActionResult(False, f"{self.name(owner)} claimed {_label(conv)} first", conv.id, owner)

    # -- the write, for the claims the read could not decide ---------------------------------
    def write(self, claims: Sequence[tuple[ClaimAsk, ClaimRow]], now: datetime) -> list[Outcome]:
        """Write these claims in one transaction (each alone if that fails); their outcomes, in order."""
        try:
            return list(self._write(claims, now))
        except Exception as error:
            if len(claims) == 1:
                return [error]
        # Rolled back: nothing of the batch was written. Alone, each claim fails or succeeds on its own.
        outcomes: list[Outcome] = []
        for claim in claims:
            try:
                outcomes.extend(self._write([claim], now))
            except Exception as error:
                outcomes.append(error)
        return outcomes

    def _write(self, claims: Sequence[tuple[ClaimAsk, ClaimRow]], now: datetime) -> list[ActionResult]:
        ws = self.ws
        # Every value is worked out before the write lock, so other writers wait only for the statements.
        at = column_when(now, ws.db.is_sqlite)
        journal = JournalBatch(ws, ws.db.is_sqlite)
        outcomes: list[ActionResult] = []
        won: dict[int, str] = {}
        with self.db.raw(write=True) as raw:
            for ask, conv in claims:
                if conv.id in won:  # taken earlier in this batch, in this transaction
                    outcomes.append(self._lost(ask.agent, conv, won[conv.id]))
                    continue
                if raw.run(_CLAIM, {"agent": ask.agent, "now": at, "id": conv.id}).rowcount != 1:
                    outcomes.append(self._lost_meanwhile(raw, ask.agent, conv))
                    continue
                won[conv.id] = ask.agent
                token = ACTING_LOGIN.set(ask.login)  # the event records who really asked
                try:
                    event_id = record_event_raw(
                        raw,
                        conv.id,
                        ask.agent,
                        "claim",
                        f"{self.name(ask.agent)} claimed it",
                        now,
                        undo=undo_data({"owner": None}, {"owner": ask.agent}),
                    )
                finally:
                    ACTING_LOGIN.reset(token)
                journal.changed([conv.id])
                if conv.exclusive_agent and conv.exclusive_agent != ask.agent:
                    journal.alert(
                        now,
                        "claimed",
                        f"{self.name(ask.agent)} claimed {_label(conv)}, which was yours alone",
                        conv.id,
                        agents=[conv.exclusive_agent],
                    )
                if settle_on_claim(raw, conv.id, ask.agent, now):
                    journal.changed([None], kind="alert")
                outcomes.append(ActionResult(True, f"{_label(conv)} is yours now", conv.id, ask.agent, undo=event_id))
            journal.flush(raw)
        return outcomes

    def _lost_meanwhile(self, raw: RawSql, agent: str, conv: ClaimRow) -> ActionResult:
        """The guarded update changed nothing: someone else (another server on the same PostgreSQL)
        took or closed it after our read; the row as it is now says who."""
        latest = read_rows(raw, [conv.id]).get(conv.id)
        if latest is None:
            raise ActionRefused(f"conversation #{conv.id} was deleted meanwhile")
        if latest.state == "done":
            return _refused(f"{_label(conv)} was closed meanwhile", conv.id)
        return self._lost(agent, conv, latest.owner)


def claim(ws: Workspace, agent: str, conversation_id: int, now: datetime) -> ActionResult:
    """Take an unclaimed conversation (in process: a batch of one)."""
    (outcome,) = ClaimDesk(ws).claim_many([ClaimAsk(agent, conversation_id, ACTING_LOGIN.get())], now)
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


def claim_many(ws: Workspace, asks: Sequence[ClaimAsk], now: datetime) -> list[Outcome]:
    return ClaimDesk(ws).claim_many(asks, now)
