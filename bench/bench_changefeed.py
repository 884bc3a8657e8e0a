"""Change-feed latency: one process acts (claim / release) 200 times, this process subscribes.

Latency = time this process's ChangeFeed.poll returns the conversation - time the other process's commit
returned (wall clock, same machine). Prints p50 / p95 / max on SQLite and PostgreSQL; target p95 <= 500 ms.
The subscriber paces the actor (one action, then wait to see it), so each sample is one commit.

Run: .venv/bin/python bench/bench_changefeed.py [--actions N] [--backend sqlite|pg|both]
PostgreSQL: uses $COMPTOIR_TEST_PG, else starts a private cluster (tests.support.pgcluster).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.changefeed import ChangeFeed  # noqa: E402
from tests.conftest import NOW, make_workspace  # noqa: E402
from tests.support.pgcluster import bench_backends  # noqa: E402
from tests.core.helpers import deliver  # noqa: E402

TARGET_P95_MS = 500


def bench(backend: str, count: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="comptoir-bench-") as tmp:
        ws = make_workspace(Path(tmp) / "ws", backend)
        try:
            cid, _, _ = deliver(ws, NOW, "hifi@shop.test", sender="bob@client.test", subject="amplifier noise")
            feed = ChangeFeed(ws.db)
            actor = subprocess.Popen(
                [sys.executable, "-m", "tests.core.actor", str(ws.path), "paul", str(cid), str(count)],
                cwd=str(ROOT), env=dict(os.environ, PYTHONPATH=str(ROOT)), stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, text=True,
            )
            latencies, missed = [], 0
            try:
                for n in range(count):
                    actor.stdin.write("go\n")
                    actor.stdin.flush()
                    seen_at = None
                    deadline = time.monotonic() + 30
                    while time.monotonic() < deadline:
                        batch = feed.poll(1.0)
                        if cid in batch.conversation_ids:
                            seen_at = time.time()
                            break
                    line = actor.stdout.readline().split()
                    if len(line) != 2 or line[0] != str(n):
                        raise RuntimeError(f"the acting process said {' '.join(line)!r}")
                    if seen_at is None:
                        missed += 1
                        continue
                    latencies.append(max(seen_at - float(line[1]), 0.0) * 1000)
            finally:
                actor.stdin.close()
                actor.wait(timeout=60)
                feed.close()
            latencies.sort()
            return {
                "backend": backend, "samples": len(latencies), "missed": missed,
                "p50": statistics.median(latencies), "p95": latencies[int(0.95 * (len(latencies) - 1))],
                "max": latencies[-1],
            }
        finally:
            ws.close()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--actions", type=int, default=200)
    parser.add_argument("--backend", choices=["sqlite", "pg", "both"], default="both")
    args = parser.parse_args()
    with bench_backends(args.backend) as backends:
        for backend in backends:
            r = bench(backend, args.actions)
            verdict = "met" if r["p95"] <= TARGET_P95_MS else "MISSED"
            print(f"{backend:>6}: {r['samples']} actions seen (missed {r['missed']}): commit-to-seen latency "
                  f"p50 {r['p50']:.1f} ms, p95 {r['p95']:.1f} ms, max {r['max']:.1f} ms "
                  f"(target p95 <= {TARGET_P95_MS} ms: {verdict})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
