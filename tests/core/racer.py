"""Claim races with real processes, shared by tests/core/test_claim_race.py and bench/bench_claims.py.

Each worker process opens the workspace by its folder (the config holds the database URL), waits
at a barrier so all start together, claims every conversation id in its own shuffled order, and
reports each attempt's outcome: (conversation id, ok, winner named in the result).
"""

from __future__ import annotations

import multiprocessing
import random
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import insert

from core.store.models import NO_DEADLINE, Conversation
from core.workspace.folder import Workspace

RACE_AGENTS = tuple(f"agent{i}" for i in range(1, 9))


def race_config(agents: tuple[str, ...] = RACE_AGENTS) -> str:
    blocks = "".join(f'\n[[agents]]\nlogin = "{a}"\nname = "Agent {a[5:]}"\nteams = ["front"]\n' for a in agents)
    return f"""
[workspace]
name = "Race"
timezone = "UTC"

[[teams]]
name = "front"
addresses = ["front@shop.test"]
hours = "always"
{blocks}
[routing]
front_pool = "front"
"""


def seed_conversations(ws: Workspace, count: int, now) -> list[int]:
    """`count` open, unclaimed conversations visible to team front (inserted directly: the race is about claims)."""
    rows = [
        {
            "subject": f"Race {i}",
            "customer_address": f"c{i}@customer.test",
            "customer_name": "",
            "via_address": "front@shop.test",
            "team": "front",
            "owner": None,
            "exclusive_agent": None,
            "visibility": "team",
            "state": "open",
            "priority": "normal",
            "confidential": False,
            "automated": False,
            "created_at": now,
            "updated_at": now,
            "deadline": NO_DEADLINE,
            "pending_count": 1,
            "message_count": 1,
            "warned": [],
            "shared_reply": False,
            "routing_reasons": [],
            "ladder": [],
            "version": 1,
        }
        for i in range(count)
    ]
    with ws.db.write() as s:
        for start in range(0, len(rows), 500):
            s.execute(insert(Conversation.__table__), rows[start : start + 500])
    with ws.db.read() as s:
        from sqlmodel import col, select

        return [int(i) for i in s.exec(select(Conversation.id).order_by(col(Conversation.id)))]


def _worker(path: str, agent: str, ids: list[int], now, barrier, results, seed: int) -> None:
    from core.work import actions
    from core.workspace.folder import open_workspace

    ws = open_workspace(path)
    order = list(ids)
    random.Random(seed).shuffle(order)
    # Open the connections before the start line, so the race measures claims, not connecting.
    with ws.db.raw(write=False) as raw:
        raw.one("SELECT 1")
    outcomes = []
    barrier.wait()
    started = time.perf_counter()
    for cid in order:
        r = actions.claim(ws, agent, cid, now)
        outcomes.append((cid, r.ok, r.winner, r.message))
    elapsed = time.perf_counter() - started
    ws.close()
    results.put((agent, outcomes, started, elapsed))


def _remote_worker(path: str, agent: str, ids: list[int], now, barrier, results, seed: int) -> None:
    """The same race through the workspace server's socket: one RemoteComptoir per process."""
    from core.server.client import RemoteComptoir

    service = RemoteComptoir(Path(path), agent, client="race", autostart=False)
    order = list(ids)
    random.Random(seed).shuffle(order)
    service.me()  # connected and answered before the start line
    outcomes = []
    barrier.wait()
    started = time.perf_counter()
    for cid in order:
        r = service.claim(cid)
        outcomes.append((cid, r.ok, r.winner, r.message))
    elapsed = time.perf_counter() - started
    service.close()
    results.put((agent, outcomes, started, elapsed))


@dataclass
class RaceResult:
    outcomes: dict[str, list[tuple[int, bool, str | None, str]]]
    wall_seconds: float
    """From the start line to the last process's last claim."""


def run_race(
    path: Path,
    ids: list[int],
    now,
    agents: tuple[str, ...] = RACE_AGENTS,
    timeout: float = 600,
    through_server: bool = False,
) -> RaceResult:
    """Each agent's process claims every id; `through_server`: through the workspace's running server
    (which must be up), else directly on the database."""
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(len(agents) + 1)
    results = ctx.Queue()
    target = _remote_worker if through_server else _worker
    procs = [
        ctx.Process(target=target, args=(str(path), agent, ids, now, barrier, results, n), daemon=True)
        for n, agent in enumerate(agents)
    ]
    for p in procs:
        p.start()
    barrier.wait(timeout=timeout)
    gathered = {}
    ends = []
    starts = []
    deadline = time.monotonic() + timeout
    for _ in procs:
        agent, outcomes, started, elapsed = results.get(timeout=max(deadline - time.monotonic(), 1))
        gathered[agent] = outcomes
        starts.append(started)
        ends.append(started + elapsed)
    for p in procs:
        p.join(timeout=max(deadline - time.monotonic(), 1))
        if p.exitcode != 0:
            raise RuntimeError(f"a racing process exited with {p.exitcode}")
    # perf_counter is system-wide monotonic on Linux (CLOCK_MONOTONIC), so processes' readings compare.
    return RaceResult(gathered, max(ends) - min(starts))
