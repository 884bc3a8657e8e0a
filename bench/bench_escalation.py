"""Escalation pass benchmark: 100,000 open conversations, of which 10 are due; one pass must take <= 50 ms.

Before each timed pass, 10 conversations (new ones each time) have their team window end a minute ago,
so the pass moves each to everyone and alerts its supervisors; the other 99,990 have windows hours
away. Prints every pass's time and the median, on SQLite and on PostgreSQL.

Run: .venv/bin/python bench/bench_escalation.py [--conversations N] [--due N] [--passes N] [--backend sqlite|pg|both]
PostgreSQL: uses $COMPTOIR_TEST_PG (an admin URL), else starts a private cluster (tests.support.pgcluster,
which needs no pytest).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchlib import fresh_pg_database

from core.demo.seed import DEMO_CONFIG
from core.work.escalation import run_escalation
from core.workspace.folder import init_workspace, open_workspace
from tests.support.pgcluster import bench_backends

TARGET_MS = 50.0
TEAMS = ("hifi", "computers", "purchasing")


def _workspace(path: Path, backend: str):
    config = DEMO_CONFIG
    if backend == "pg":
        config = config.replace("[workspace]\n", f'[workspace]\ndatabase_url = "{fresh_pg_database()}"\n', 1)
    init_workspace(path, config_text=config)
    return open_workspace(path)


def seed(ws, count: int, now: datetime) -> None:
    """`count` open, unclaimed team conversations whose windows end hours from now."""
    with ws.db.raw(write=True) as sql:
        rows = []
        for cid in range(1, count + 1):
            team_until = now + timedelta(hours=2, minutes=cid % 600)
            rows.append(
                {
                    "id": cid,
                    "subject": f"Question {cid}",
                    "customer": f"c{cid}@customer.test",
                    "via": "x@shop.test",
                    "team": TEAMS[cid % 3],
                    "no": sql.flag(False),
                    "created": sql.when(now - timedelta(hours=1)),
                    "team_until": sql.when(team_until),
                    "next": sql.when(team_until - timedelta(minutes=15)),
                }
            )
        sql.many(
            "INSERT INTO conversation (id, subject, customer_address, customer_name, via_address, team, visibility, "
            "state, priority, confidential, automated, created_at, updated_at, last_message_at, team_until, deadline, "
            "next_step_at, pending_count, message_count, warned, shared_reply, routing_reasons, ladder, version) "
            "VALUES (:id, :subject, :customer, '', :via, :team, 'team', 'open', 'normal', :no, :no, :created, "
            ":created, :created, :team_until, :team_until, :next, 1, 1, '[\"team\"]', :no, '[]', '[]', 1)",
            rows,
        )
        if not sql.sqlite:
            sql.run("SELECT setval(pg_get_serial_sequence('conversation', 'id'), :n)", {"n": count})
    with ws.db.raw(write=True) as sql:
        sql.run("ANALYZE")


def make_due(ws, ids: list[int], now: datetime) -> None:
    with ws.db.raw(write=True) as sql:
        past = sql.when(now - timedelta(minutes=1))
        sql.many(
            "UPDATE conversation SET team_until = :t, deadline = :t, next_step_at = :t WHERE id = :id",
            [{"t": past, "id": i} for i in ids],
        )


def bench(backend: str, count: int, due: int, passes: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="comptoir-bench-esc-") as tmp:
        ws = _workspace(Path(tmp) / "ws", backend)
        try:
            now = datetime.now(UTC).replace(microsecond=0)
            started = time.perf_counter()
            seed(ws, count, now)
            seeded = time.perf_counter() - started
            run_escalation(ws, now)  # warms the ORM and the policy cache, like a running syncer
            times, steps = [], []
            for n in range(passes):
                ids = list(range(1 + n * due * 97, 1 + n * due * 97 + due * 97, 97))[:due]
                make_due(ws, ids, now)
                t0 = time.perf_counter()
                applied = run_escalation(ws, now)
                times.append((time.perf_counter() - t0) * 1000)
                steps.append(len(applied))
            return {
                "backend": backend,
                "open": count,
                "due": due,
                "seed_s": seeded,
                "pass_ms": times,
                "steps": steps,
                "median_ms": statistics.median(times),
            }
        finally:
            ws.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=10)
    parser.add_argument("--passes", type=int, default=7)
    parser.add_argument("--backend", choices=["sqlite", "pg", "both"], default="both")
    args = parser.parse_args()
    worst = 0.0
    with bench_backends(args.backend) as backends:
        for backend in backends:
            r = bench(backend, args.conversations, args.due, args.passes)
            worst = max(worst, r["median_ms"])
            print(f"{backend}: {r['open']:,} open, {r['due']} due per pass (seeded in {r['seed_s']:.1f} s)")
            print(f"  pass times (ms): {', '.join(f'{t:.1f}' for t in r['pass_ms'])}")
            print(f"  steps applied per pass: {r['steps']}")
            print(f"  median pass: {r['median_ms']:.1f} ms (target <= {TARGET_MS:.0f} ms)")
    print("PASS" if worst <= TARGET_MS else "FAIL", f"worst median {worst:.1f} ms against {TARGET_MS:.0f} ms")
    return 0 if worst <= TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
