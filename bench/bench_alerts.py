"""Alerts per agent per simulated hour in the live demo: is the alert bar something a person can keep up with?

The live demo as `comptoir demo` runs it: a fresh demo workspace (about 2,000 conversations with deadlines
around now), its server with the simulated mail (one mail every 7 s, escalation every second) and the
clock at 60x, for 8 simulated hours (8 real minutes). Six agents connect through the server's socket,
each as itself (`--as`, which a demo allows). Agents who work their queue do what the alert asks:
every few simulated minutes they read their alerts, open each conversation (which acknowledges its
alerts), claim it when nobody holds it, mark its pending mail "no action needed" and close it; the
others only watch. Every raise an agent sees counts once: a new alert, or one raised again in place
(same id, new time). The figure is raises per agent per simulated hour; the target is at most 10 for
an agent working their queue.

Run: .venv/bin/python bench/bench_alerts.py [--hours 8] [--speed 60] [--working marie,paul,lea,sophie]
     [--conversations 2000] [--poll 2]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.clock import Clock
from core.demo.seed import build_demo
from core.errors import ComptoirError
from core.server.client import RemoteComptoir, start_server
from core.work.alert_kinds import kind_words
from core.workspace.folder import open_workspace

TARGET_PER_HOUR = 10.0
AGENTS = ("marie", "paul", "lea", "karim", "sophie", "tom")
REASON = "bench: worked out from the alert"


@dataclass
class Tally:
    """What one agent saw and did."""

    agent: str
    working: bool
    raised: set[tuple[int, datetime]] = field(default_factory=set)
    kinds: Counter = field(default_factory=Counter)
    closed: int = 0
    claims_lost: int = 0
    errors: Counter = field(default_factory=Counter)


def watch(service: RemoteComptoir, tally: Tally, stop: threading.Event, poll: float) -> None:
    """Read the alerts every `poll` real seconds; a working agent acts on each."""
    while not stop.wait(poll):
        try:
            alerts = service.alerts()
        except ComptoirError as error:
            tally.errors[type(error).__name__] += 1
            continue
        for alert in alerts:
            if (alert.id, alert.created_at) not in tally.raised:
                tally.raised.add((alert.id, alert.created_at))
                tally.kinds[alert.kind] += 1
        if tally.working:
            for alert in alerts:
                if stop.is_set():
                    return
                try:
                    work_on(service, tally, alert)
                except ComptoirError as error:
                    tally.errors[type(error).__name__] += 1


def work_on(service: RemoteComptoir, tally: Tally, alert) -> None:
    """Open the alert's conversation (acknowledging it), claim it if free, work its mail out, close it."""
    if alert.conversation_id is None:
        service.acknowledge(alert.id)
        return
    cid = alert.conversation_id
    opened = getattr(service, "acknowledge_conversation", None)
    if opened is not None:
        opened(cid)
    else:  # a server from before alerts were acknowledged on opening (to measure the old figure)
        service.acknowledge(alert.id)
    detail = service.detail(cid)
    row = detail.row
    if detail.hidden or row.state == "done":
        return
    if row.owner not in (None, tally.agent):
        return  # a colleague has it: opening it was all this alert asked
    if row.owner is None:
        claimed = service.claim(cid)
        if not claimed.ok:
            tally.claims_lost += 1
            return
    for message in detail.pending:
        service.dispose(message.id, REASON)
    if service.done(cid).ok:
        tally.closed += 1


def build(path: Path, conversations: int, speed: float, template: Path | None) -> None:
    """The demo at `path`: a copy of `template` (a demo built before) or a new one; its clock starts now."""
    started = time.monotonic()
    if template is not None:
        shutil.copytree(template, path, ignore=shutil.ignore_patterns("*.sock", "*.lock", "comptoir.log"))
    else:
        build_demo(path, conversations=conversations)
    ws = open_workspace(path, check_permissions=False)
    try:
        with ws.db.raw(write=False) as raw:
            built = datetime.fromisoformat(raw.one("SELECT value FROM meta WHERE key = 'demo_built_at'")[0])
        Clock.simulate(ws.db, built, speed)
    finally:
        ws.close()
    print(
        f"demo workspace {'copied' if template else 'built'} in {time.monotonic() - started:.0f} s: {path}", flush=True
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=8.0, help="simulated hours to run")
    parser.add_argument("--speed", type=float, default=60.0, help="simulated seconds per real second")
    parser.add_argument(
        "--working",
        default="marie,paul,lea,sophie",
        help="agents who work what they are alerted about (the others only watch)",
    )
    parser.add_argument("--conversations", type=int, default=2000)
    parser.add_argument("--poll", type=float, default=2.0, help="real seconds between an agent's looks at its alerts")
    parser.add_argument("--workspace", type=Path, help="build the demo here (default: a temporary folder)")
    parser.add_argument(
        "--template",
        type=Path,
        help="copy this demo workspace (built before by core.demo.seed."
        "build_demo, never run) instead of building one; saves minutes",
    )
    args = parser.parse_args()
    working = {a.strip() for a in args.working.split(",") if a.strip()}
    unknown = working - set(AGENTS)
    if unknown:
        parser.error(f"--working: no such demo agent {', '.join(sorted(unknown))} (agents: {', '.join(AGENTS)})")

    with tempfile.TemporaryDirectory(prefix="bench-alerts-") as tmp:
        path = (args.workspace or Path(tmp)) / "demo"
        build(path, args.conversations, args.speed, args.template)
        pid = start_server(path, trickle=True)
        try:
            return run(path, args, working)
        finally:
            os.kill(pid, signal.SIGTERM)


def run(path: Path, args: argparse.Namespace, working: set[str]) -> int:
    services = {agent: RemoteComptoir(path, as_agent=agent, client="bench") for agent in AGENTS}
    tallies = {agent: Tally(agent, agent in working) for agent in AGENTS}
    clock = services["marie"]
    start = clock.now()
    stop = threading.Event()
    threads = [
        threading.Thread(target=watch, args=(services[a], tallies[a], stop, args.poll), daemon=True) for a in AGENTS
    ]
    for thread in threads:
        thread.start()
    real_started = time.monotonic()
    try:
        while (clock.now() - start).total_seconds() < args.hours * 3600:
            time.sleep(1.0)
    finally:
        stop.set()
        for thread in threads:
            thread.join(60)
    hours = (clock.now() - start).total_seconds() / 3600
    print(
        f"\n{hours:.2f} simulated hours in {time.monotonic() - real_started:.0f} real seconds "
        f"(speed {args.speed:g}); agents look at their alerts every {args.poll:g} s "
        f"({args.poll * args.speed / 60:g} simulated minutes)\n"
    )
    print(f"{'agent':<8} {'works':<6} {'raised':>6} {'per hour':>9}  {'target':<10} {'closed':>6}  kinds")
    worst = 0.0
    for agent in AGENTS:
        tally = tallies[agent]
        rate = len(tally.raised) / hours
        target = f"<= {TARGET_PER_HOUR:g}" if tally.working else "(watches)"
        verdict = ("ok" if rate <= TARGET_PER_HOUR else "MISSED") if tally.working else ""
        kinds = ", ".join(f"{count} {kind_words(kind)}" for kind, count in tally.kinds.most_common())
        print(
            f"{agent:<8} {'yes' if tally.working else 'no':<6} {len(tally.raised):>6} {rate:>9.1f}  "
            f"{target:<7}{verdict:>3} {tally.closed:>6}  {kinds or '-'}"
        )
        if tally.errors:
            print(f"{'':<8} refused or failed requests: {dict(tally.errors)}")
        if tally.working:
            worst = max(worst, rate)
    for service in services.values():
        service.close()
    print(f"\nworst agent working their queue: {worst:.1f} alerts per simulated hour (target <= {TARGET_PER_HOUR:g})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
