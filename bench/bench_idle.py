"""Idle cost: 20 real apps (`comptoir` in tmux, 160x48 each) plus the workspace server on a demo
workspace with no simulated mail, so nothing happens: CPU of every app and of the server over 60 s
(utime + stime from /proc/PID/stat), and the server's resident memory with the 20 clients connected.

Targets (issue 9): apps plus server <= 5% of one core in total; server RSS <= 150 MB.
Reference (before the server): about 1.4% of a core per idle app (each app polled the database).

Run: .venv/bin/python bench/bench_idle.py [--apps N] [--seconds S] [--conversations N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import CLK_TCK, ROOT, ServerProcess, cpu_ticks, rss_mb

TARGET_TOTAL_PCT = 5.0
TARGET_SERVER_MB = 150
REFERENCE_PER_APP_PCT = 1.4
AGENTS = ("marie", "paul", "lea", "karim", "sophie", "tom")
TMUX_SOCKET = f"comptoir-bench-idle-{os.getpid()}"
"""A tmux server of our own (-L), so the bench never touches anyone's sessions."""


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", "-L", TMUX_SOCKET, *args], capture_output=True, text=True, check=False).stdout


def open_app(n: int, comptoir: Path, workspace: Path, agent: str) -> int:
    """The app in its own tmux session; its pid (the pane runs the app itself, no shell)."""
    session = f"app{n}"
    tmux(
        "new-session",
        "-d",
        "-s",
        session,
        "-x",
        "160",
        "-y",
        "48",
        "-e",
        "TERM=xterm-256color",
        f"exec {comptoir} -W {workspace} --as {agent}",
    )
    return int(tmux("display-message", "-t", session, "-p", "#{pane_pid}").strip())


def wait_first_screen(n: int, timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = tmux("capture-pane", "-t", f"app{n}", "-p")
        if "My work" in text and "Team" in text:
            return True
        time.sleep(0.2)
    return False


def tmux_server_pid() -> int | None:
    text = tmux("display-message", "-p", "#{pid}").strip()
    return int(text) if text.isdigit() else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apps", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument(
        "--conversations",
        type=int,
        default=500,
        help="size of the demo workspace (idle cost does not depend on it; building 2,000 takes ~2 min here)",
    )
    parser.add_argument(
        "--speed",
        type=float,
        default=60.0,
        help="the demo clock's simulated seconds per real second (60, the demo's: the apps repaint "
        "their times every second; 1: every minute)",
    )
    args = parser.parse_args()
    if not shutil.which("tmux"):
        print("tmux is needed: apt-get install tmux")
        return 1
    comptoir = ROOT / ".venv" / "bin" / "comptoir"
    tmp = Path(tempfile.mkdtemp(prefix="comptoir-bench-idle-"))
    workspace = tmp / "demo"
    env = dict(os.environ, COMPTOIR_SERVER_IDLE_EXIT="600")
    started = time.perf_counter()
    build = subprocess.run(
        [
            str(comptoir),
            "demo",
            "-W",
            str(workspace),
            "--no-trickle",
            "--no-app",
            "--rebuild",
            "--conversations",
            str(args.conversations),
            "--speed",
            str(args.speed),
        ],
        capture_output=True,
        text=True,
        env=env,
    )
    if build.returncode != 0:
        print("the demo did not build:\n" + build.stdout + build.stderr)
        return 1
    # The server `demo` started is replaced by one we own (its pid, its stop), still without simulated mail.
    subprocess.run([str(comptoir), "-W", str(workspace), "server", "stop"], capture_output=True, text=True)
    server = ServerProcess(workspace, "--no-trickle")
    print(
        f"demo workspace of {args.conversations:,} conversations, clock speed {args.speed:g}, built in {time.perf_counter() - started:.0f} s; "
        f"server pid {server.pid}"
    )
    apps: list[int] = []
    try:
        for n in range(args.apps):
            apps.append(open_app(n, comptoir, workspace, AGENTS[n % len(AGENTS)]))
            if not wait_first_screen(n):
                print(
                    f"app {n} did not show its first screen within 60 s:\n"
                    + tmux("capture-pane", "-t", f"app{n}", "-p")
                )
                return 1
        tmux_pid = tmux_server_pid()
        time.sleep(10)  # past the start-up work (warm-up, first heartbeat): idle from here
        watched = {"server": [server.pid], "apps": apps, "tmux": [tmux_pid] if tmux_pid else []}
        before = {pid: cpu_ticks(pid) for group in watched.values() for pid in group}
        load_before = os.getloadavg()[0]
        t0 = time.perf_counter()
        time.sleep(args.seconds)
        elapsed = time.perf_counter() - t0
        after = {pid: cpu_ticks(pid) for pid in before}
        gone = [pid for pid, ticks in after.items() if ticks is None]
        if gone:
            print(f"processes ended during the measure: {gone}")
            return 1
        pct = {pid: (after[pid] - before[pid]) / CLK_TCK / elapsed * 100 for pid in before}
        server_rss, server_peak = rss_mb(server.pid)
        app_rss = sorted(rss_mb(pid)[0] for pid in apps)
        sockets = _sockets(server.pid)
        apps_pct = sum(pct[pid] for pid in apps)
        total = apps_pct + pct[server.pid]
        per_app = sorted(pct[pid] for pid in apps)
        print(
            f"\n{len(apps)} idle apps + the server over {elapsed:.0f} s (load average {load_before:.1f} -> "
            f"{os.getloadavg()[0]:.1f}; clock tick {1000 / CLK_TCK:.0f} ms)"
        )
        print(
            f"per app: min {per_app[0]:.2f}%, median {per_app[len(per_app) // 2]:.2f}%, max {per_app[-1]:.2f}% "
            f"of a core (reference ~{REFERENCE_PER_APP_PCT}% per app before the server)"
        )
        print(
            f"all apps: {apps_pct:.2f}%; server: {pct[server.pid]:.2f}%; tmux server (the terminals, not "
            f"counted): {sum(pct[p] for p in watched['tmux']):.2f}%"
        )
        print(
            f"apps + server: {total:.2f}% of one core (target <= {TARGET_TOTAL_PCT}%: "
            f"{'met' if total <= TARGET_TOTAL_PCT else 'MISSED'}; reference {REFERENCE_PER_APP_PCT * len(apps):.0f}% "
            f"for {len(apps)} apps)"
        )
        print(
            f"server RSS with {len(apps)} apps open (the server holds {sockets} sockets: 1 listening + clients): {server_rss:.0f} MB (peak {server_peak:.0f} MB; "
            f"target <= {TARGET_SERVER_MB} MB: {'met' if server_rss <= TARGET_SERVER_MB else 'MISSED'})"
        )
        print(f"app RSS: median {app_rss[len(app_rss) // 2]:.0f} MB, max {app_rss[-1]:.0f} MB")
    finally:
        tmux("kill-server")
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


def _sockets(pid: int) -> int:
    """How many sockets a process holds (the server: its listening socket plus one per client)."""
    count = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            count += os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:")
        except OSError:
            pass
    return count


if __name__ == "__main__":
    sys.exit(main())
