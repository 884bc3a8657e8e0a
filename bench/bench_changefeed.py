"""One client's action seen by another, through the workspace server.

1. Socket: client A (its own process, a `RemoteComptoir`) claims and releases one conversation in
   turn; client B (this process, another `RemoteComptoir`) waits on `subscribe().poll()` for the
   server's push naming that conversation. Latency = B sees it - A sent the action (wall clock, same
   machine); also given from A's reply. B paces A (one action, then wait to see it), so each sample
   is one action. SQLite and PostgreSQL.
2. On screen (SQLite; --screen-trials 0 skips it): the real app (`comptoir`, tmux 160x48) shows
   "My work"; a client of the same agent claims and releases a conversation through the server;
   latency = the conversation appears in / leaves the app's pane (tmux capture-pane, polled every
   ~5 ms) - the action was sent.

Target (issue 9): p95 <= 100 ms on screen. Reference (before the server): 50 ms feed poll in every
app, p50 160 ms on screen.

Run: .venv/bin/python bench/bench_changefeed.py [--actions N] [--backend sqlite|pg|both] [--screen-trials N]
PostgreSQL: uses $COMPTOIR_TEST_PG, else starts a private cluster (tests.support.pgcluster).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import NOW, ROOT, ServerProcess, make_workspace, percentile

from tests.core.racer import race_config, seed_conversations
from tests.support.pgcluster import bench_backends

TARGET_P95_MS = 100
REFERENCE = "50 ms feed poll per app; p50 160 ms on screen"
SUBJECT = "Race 0"
"""seed_conversations names its conversations "Race N"."""


def actor(workspace: str, agent: str, cid: int, count: int) -> int:
    """Client A: on each line read, claim (even turns) or release (odd) and print '<n> <sent> <returned>'."""
    from core.server.client import RemoteComptoir

    service = RemoteComptoir(Path(workspace), agent, client="bench-actor", autostart=False)
    print("ready", flush=True)
    for n in range(count):
        if not sys.stdin.readline():
            break
        sent = time.time()
        result = service.claim(cid) if n % 2 == 0 else service.release(cid)
        returned = time.time()
        if not result.ok:
            print(f"refused: {result.message}", flush=True)
            return 1
        print(f"{n} {sent!r} {returned!r}", flush=True)
    service.close()
    return 0


def socket_bench(backend: str, count: int) -> dict:
    from core.server.client import RemoteComptoir

    with tempfile.TemporaryDirectory(prefix="comptoir-bench-") as tmp:
        path = Path(tmp) / "ws"
        ws = make_workspace(path, backend, race_config())
        (cid,) = seed_conversations(ws, 1, NOW)
        ws.close()
        server = ServerProcess(path)
        try:
            watcher = RemoteComptoir(path, "agent2", client="bench-watcher", autostart=False)
            feed = watcher.subscribe()
            watcher.me()  # the subscription has reached the server once this answer is back
            acting = subprocess.Popen(
                [sys.executable, __file__, "--actor", str(path), "agent1", str(cid), str(count)],
                cwd=str(ROOT),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            if acting.stdout.readline().strip() != "ready":
                raise RuntimeError("the acting client did not start")
            from_sent, from_reply, missed = [], [], 0
            try:
                for n in range(count):
                    feed.poll(0)  # nothing stale counts
                    acting.stdin.write("go\n")
                    acting.stdin.flush()
                    seen_at = None
                    deadline = time.monotonic() + 10
                    while time.monotonic() < deadline:
                        if cid in feed.poll(1.0).conversation_ids:
                            seen_at = time.time()
                            break
                    line = acting.stdout.readline().split()
                    if len(line) != 3 or line[0] != str(n):
                        raise RuntimeError(f"the acting client said {' '.join(line)!r}")
                    if seen_at is None:
                        missed += 1
                        continue
                    from_sent.append((seen_at - float(line[1])) * 1000)
                    from_reply.append((seen_at - float(line[2])) * 1000)
            finally:
                acting.stdin.close()
                acting.wait(timeout=60)
                watcher.close()
        finally:
            server.stop()
    from_sent.sort()
    from_reply.sort()
    return {
        "samples": len(from_sent),
        "missed": missed,
        "p50": statistics.median(from_sent),
        "p95": percentile(from_sent, 0.95),
        "max": from_sent[-1],
        "reply_p50": statistics.median(from_reply),
        "reply_p95": percentile(from_reply, 0.95),
    }


# -- on screen -------------------------------------------------------------------------------------
TMUX_SOCKET = f"comptoir-bench-feed-{os.getpid()}"


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", "-L", TMUX_SOCKET, *args], capture_output=True, text=True, check=False).stdout


def pane() -> str:
    return tmux("capture-pane", "-t", "app", "-p")


def screen_bench(trials: int) -> dict | None:
    from core.server.client import RemoteComptoir

    if not shutil.which("tmux"):
        print("tmux is needed for the on-screen measure: apt-get install tmux")
        return None
    # The app of this checkout, run by this interpreter (a worktree has no .venv/bin/comptoir of its own,
    # and another checkout's console script would measure that checkout's app).
    comptoir = f"cd {ROOT} && exec env PYTHONPATH={ROOT} {sys.executable} -m tui.launch"
    with tempfile.TemporaryDirectory(prefix="comptoir-bench-") as tmp:
        path = Path(tmp) / "ws"
        ws = make_workspace(path, "sqlite", race_config())
        cids = seed_conversations(ws, 20, NOW)
        ws.close()
        server = ServerProcess(path)
        try:
            tmux(
                "new-session",
                "-d",
                "-s",
                "app",
                "-x",
                "160",
                "-y",
                "48",
                "-e",
                "TERM=xterm-256color",
                f"{comptoir} -W {path} --as agent1",
            )
            deadline = time.monotonic() + 60
            while "My work" not in pane():
                if time.monotonic() > deadline:
                    raise RuntimeError("the app did not show its first screen within 60 s:\n" + pane())
                time.sleep(0.1)
            time.sleep(3)  # past the app's start-up work
            client = RemoteComptoir(path, "agent1", client="bench-cli", autostart=False)
            client.me()
            latencies, missed = [], 0
            cid = cids[0]
            for n in range(trials):
                claim = n % 2 == 0
                started = time.time()
                result = client.claim(cid) if claim else client.release(cid)
                if not result.ok:
                    raise RuntimeError(f"the client's action was refused: {result.message}")
                seen = None
                while time.time() - started < 5:
                    if (SUBJECT in pane()) == claim:
                        seen = time.time()
                        break
                    time.sleep(0.005)
                if seen is None:
                    missed += 1
                else:
                    latencies.append((seen - started) * 1000)
                time.sleep(0.3)  # let the app settle: each trial starts from a quiet screen
            client.close()
        finally:
            tmux("kill-server")
            server.stop()
    latencies.sort()
    if not latencies:
        return {"samples": 0, "missed": missed}
    return {
        "samples": len(latencies),
        "missed": missed,
        "p50": statistics.median(latencies),
        "p95": percentile(latencies, 0.95),
        "max": latencies[-1],
    }


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--actor":
        return actor(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
    parser = argparse.ArgumentParser()
    parser.add_argument("--actions", type=int, default=200)
    parser.add_argument("--backend", choices=["sqlite", "pg", "both"], default="both")
    parser.add_argument("--screen-trials", type=int, default=30, help="on-screen trials (0: skip)")
    args = parser.parse_args()
    print(
        f"one client's action seen by another, through the server; target p95 <= {TARGET_P95_MS} ms on screen; "
        f"reference: {REFERENCE}"
    )
    with bench_backends(args.backend) as backends:
        for backend in backends:
            r = socket_bench(backend, args.actions)
            verdict = "met" if r["p95"] <= TARGET_P95_MS else "MISSED"
            print(
                f"{backend:>6} socket: {r['samples']} actions seen (missed {r['missed']}): action sent -> pushed to "
                f"the other client p50 {r['p50']:.1f} ms, p95 {r['p95']:.1f} ms, max {r['max']:.1f} ms "
                f"(p95 <= {TARGET_P95_MS} ms: {verdict}); after the actor's reply: p50 {r['reply_p50']:.1f} ms, "
                f"p95 {r['reply_p95']:.1f} ms"
            )
    if args.screen_trials:
        r = screen_bench(args.screen_trials)
        if r is not None and r["samples"]:
            verdict = "met" if r["p95"] <= TARGET_P95_MS else "MISSED"
            print(
                f"sqlite screen: {r['samples']} actions seen in the app's pane (missed {r['missed']}): action sent -> "
                f"on screen p50 {r['p50']:.0f} ms, p95 {r['p95']:.0f} ms, max {r['max']:.0f} ms "
                f"(target p95 <= {TARGET_P95_MS} ms: {verdict}; reference p50 160 ms); includes tmux capture, "
                "~5 ms a poll"
            )
        elif r is not None:
            print(f"sqlite screen: no action seen on screen ({r['missed']} missed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
