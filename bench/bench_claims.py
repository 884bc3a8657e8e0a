"""Claim race through the workspace server: one server, 8 client processes (8 agents, each its own
`RemoteComptoir` connection), all claiming the same 2,000 conversations in their own shuffled order.

Prints claims/s (successful claims over the race's wall time), attempts/s, double claims (must be 0),
losers not told the winner (must be 0) and disagreements between the winner's answer, the losers'
answers, the database's owner and the claim event (must be 0), on SQLite and PostgreSQL, the median
of 3 races, next to the target (>= 3,000 claims/s) and the reference (3,250/s: 8 processes claiming
directly on SQLite, before the server). CPU a request: the server's (from /proc) and the clients'
(their own process time, every thread), which together must fit the machine's cores.

Run: .venv/bin/python bench/bench_claims.py [--conversations N] [--backend sqlite|pg|both] [--races R]
Where the server's time goes: `py-spy record --pid SERVER_PID --threads -f raw` during a race.
PostgreSQL: uses $COMPTOIR_TEST_PG (an admin URL), else starts a private cluster (tests.support.pgcluster).
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import CLK_TCK, NOW, ServerProcess, cpu_ticks, make_workspace

from core.workspace.folder import open_workspace
from tests.core.racer import RACE_AGENTS, race_config, seed_conversations
from tests.support.pgcluster import bench_backends

TARGET = 3_000
REFERENCE = 3_250
"""8 processes claiming directly (no server) on SQLite, the figure before issue 9."""


def _worker(path: str, agent: str, ids: list[int], barrier, results, seed: int) -> None:
    from core.server.client import RemoteComptoir

    service = RemoteComptoir(Path(path), agent, client="bench", autostart=False)
    order = list(ids)
    random.Random(seed).shuffle(order)
    service.me()  # one round trip before the start line: the race measures claims, not connecting
    outcomes = []
    barrier.wait()
    cpu = time.process_time()  # this client process's CPU, every thread (reported, not timed)
    started = time.perf_counter()
    for cid in order:
        r = service.claim(cid)
        outcomes.append((cid, r.ok, r.winner))
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu
    service.close()
    results.put((agent, outcomes, started, elapsed, cpu))


def race(path: Path, ids: list[int], server_pid: int) -> tuple[dict, float, float, float]:
    """(outcomes by agent, wall seconds, server CPU seconds during the race, the clients' CPU seconds)."""
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(len(RACE_AGENTS) + 1)
    results = ctx.Queue()
    procs = [
        ctx.Process(target=_worker, args=(str(path), agent, ids, barrier, results, n), daemon=True)
        for n, agent in enumerate(RACE_AGENTS)
    ]
    for p in procs:
        p.start()
    barrier.wait(timeout=120)
    cpu_before = cpu_ticks(server_pid)
    gathered, starts, ends, client_cpu = {}, [], [], 0.0
    for _ in procs:
        agent, outcomes, started, elapsed, cpu = results.get(timeout=600)
        gathered[agent] = outcomes
        client_cpu += cpu
        starts.append(started)
        ends.append(started + elapsed)
    cpu_after = cpu_ticks(server_pid)
    for p in procs:
        p.join(60)
        if p.exitcode != 0:
            raise RuntimeError(f"a racing process exited with {p.exitcode}")
    # perf_counter is CLOCK_MONOTONIC, system-wide on Linux, so the processes' readings compare.
    return gathered, max(ends) - min(starts), (cpu_after - cpu_before) / CLK_TCK, client_cpu


def bench(backend: str, count: int) -> dict:
    from sqlmodel import select

    from core.store.models import Conversation, Event

    with tempfile.TemporaryDirectory(prefix="comptoir-bench-") as tmp:
        path = Path(tmp) / "ws"
        ws = make_workspace(path, backend, race_config())
        ids = seed_conversations(ws, count, NOW)
        ws.close()
        server = ServerProcess(path)
        try:
            outcomes, seconds, server_cpu, client_cpu = race(path, ids, server.pid)
        finally:
            server.stop()
        wins = Counter(cid for o in outcomes.values() for cid, ok, _w in o if ok)
        attempts = sum(len(o) for o in outcomes.values())
        untold = sum(1 for o in outcomes.values() for _cid, ok, winner in o if not ok and not winner)
        ws = open_workspace(path)  # the server has stopped: nothing else has the database open
        try:
            with ws.db.read() as s:
                owners = {c.id: c.owner for c in s.exec(select(Conversation))}
                claim_events = [
                    (e.conversation_id, e.actor) for e in s.exec(select(Event).where(Event.kind == "claim"))
                ]
        finally:
            ws.close()
        owned = sum(1 for owner in owners.values() if owner)
        events = Counter(cid for cid, _actor in claim_events)
        # Everyone must agree on each winner: the winner's own answer, every loser's answer, the
        # conversation's owner in the database and its one claim event.
        winner_of = {cid: agent for agent, o in outcomes.items() for cid, ok, _w in o if ok}
        disagreements = (
            sum(1 for o in outcomes.values() for cid, ok, winner in o if not ok and winner != winner_of.get(cid))
            + sum(1 for cid, agent in winner_of.items() if owners.get(cid) != agent)
            + sum(1 for cid, actor in claim_events if actor != owners.get(cid))
        )
        return {
            "backend": backend,
            "conversations": count,
            "seconds": seconds,
            "claims_per_s": len(wins) / seconds,
            "attempts": attempts,
            "attempts_per_s": attempts / seconds,
            "double_claims": sum(n - 1 for n in wins.values() if n > 1) + sum(n - 1 for n in events.values() if n > 1),
            "unclaimed": count - len(wins),
            "owned_rows": owned,
            "losers_not_told": untold,
            "disagreements": disagreements,
            "server_cpu_s": server_cpu,
            "client_cpu_s": client_cpu,
            "per_agent": {a: sum(1 for _c, ok, _w in o if ok) for a, o in sorted(outcomes.items())},
        }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--conversations", type=int, default=2_000)
    parser.add_argument("--backend", choices=["sqlite", "pg", "both"], default="both")
    parser.add_argument("--races", type=int, default=3, help="races per backend; the median counts")
    args = parser.parse_args()
    print(
        f"claims through the workspace server's socket: 1 server, {len(RACE_AGENTS)} client processes, "
        f"{args.conversations:,} conversations; target >= {TARGET:,}/s, reference {REFERENCE:,}/s "
        "(SQLite, 8 processes claiming directly, before the server)"
    )
    with bench_backends(args.backend) as backends:
        for backend in backends:
            # Each race runs on a fresh workspace and server; the median race counts (this VM drifts ±20%).
            races = sorted(
                (bench(backend, args.conversations) for _ in range(args.races)), key=lambda r: r["claims_per_s"]
            )
            r = dict(races[len(races) // 2])
            for key in ("double_claims", "unclaimed", "losers_not_told", "disagreements"):  # every race counts
                r[key] = sum(x[key] for x in races)
            rates = ", ".join(f"{x['claims_per_s']:,.0f}" for x in races)
            correct = r["double_claims"] == 0 and r["losers_not_told"] == 0 and r["disagreements"] == 0
            verdict = "met" if r["claims_per_s"] >= TARGET and correct else "MISSED"
            print(
                f"{backend:>6}: races {rates} claims/s; median {r['claims_per_s']:,.0f} claims/s "
                f"(target >= {TARGET:,}/s: {verdict}; reference {REFERENCE:,}/s direct on SQLite)"
            )
            print(
                f"        median race: {r['attempts']} attempts in {r['seconds']:.2f} s = {r['attempts_per_s']:,.0f} "
                f"attempts/s; server CPU {r['server_cpu_s']:.2f} s ({r['server_cpu_s'] / r['seconds']:.0%} of a core, "
                f"{r['server_cpu_s'] / r['attempts'] * 1e6:.0f} us a request); the {len(RACE_AGENTS)} clients' CPU "
                f"{r['client_cpu_s']:.2f} s ({r['client_cpu_s'] / r['attempts'] * 1e6:.0f} us a request)"
            )
            print(
                f"        double claims {r['double_claims']} (must be 0, all races); unclaimed {r['unclaimed']}; "
                f"losers not told the winner {r['losers_not_told']} (must be 0); winners, losers' answers, owners "
                f"and claim events disagreeing {r['disagreements']} (must be 0)"
            )
            print(f"        wins per agent: {r['per_agent']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
