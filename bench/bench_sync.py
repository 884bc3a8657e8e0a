"""Time a full sync of a generated mailbox: stdlib imaplib (the limit), mbsync (isync) and `comptoir sync --once`.

The corpus follows issue 4: 70% plain text of 2-8 KB, 20% multipart/alternative of 10-40 KB, 10% with
a 100-500 KB attachment; a third of the mails answer an earlier one; subjects and names RFC 2047
encoded. Arrival dates are realistic (issue 10): by default 95% arrived in 2023-24, before the
account's cut-over (added now, minus the 3-day grace period), the rest within the last 3 days. The
mails are written straight into a private Dovecot's Maildir, each file's mtime being its arrival date
(its IMAP INTERNALDATE), and indexed once before timing. mbsync with and without fsync and Comptoir
run in interleaved rounds; the medians count. Peak RSS sums the process tree (the parse workers
included), sampled from /proc. Also printed: the alerts the first sync raised (history must raise none)
and the workspace's size on disk against the Maildir's. Then the push latency: APPEND from another
connection until the row exists, with `comptoir sync` running in IDLE.

Needs only `make install` (no pytest), Debian's dovecot-imapd and isync (mbsync):

    .venv/bin/python bench/bench_sync.py [--count 20000] [--rounds 3] [--trials 50] [--live-share 0.05]
"""

from __future__ import annotations

import argparse
import base64
import imaplib
import os
import random
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from email.header import Header
from email.utils import format_datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.servers.dovecot import Dovecot  # noqa: E402

WORDS = [
    "invoice",
    "order",
    "delivery",
    "refund",
    "account",
    "password",
    "bonjour",
    "merci",
    "facture",
    "livraison",
    "Grüße",
    "Rechnung",
    "café",
    "naïve",
    "commande",
    "réunion",
    "über",
    "straße",
    "請求書",
    "注文",
    "please",
    "could",
    "you",
    "check",
    "the",
    "attached",
    "thanks",
    "regards",
    "team",
    "support",
    "ticket",
    "update",
]
ADDRESS = "support@comptoir.example"


# ---------------------------------------------------------------- corpus


def _text(rng: random.Random, size: int) -> str:
    lines, total = [], 0
    while total < size:
        line = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 14))).capitalize() + "."
        lines.append(line)
        total += len(line.encode()) + 2
    return "\r\n".join(lines) + "\r\n"


def _qp_free(text: str) -> bytes:
    return base64.encodebytes(text.encode()).replace(b"\n", b"\r\n")


HISTORY_START = datetime(2023, 1, 1, tzinfo=UTC).timestamp()
HISTORY_END = datetime(2024, 12, 31, tzinfo=UTC).timestamp()
GRACE = timedelta(days=3)


def arrival_dates(count: int, live_share: float, now: float, seed: int) -> list[float]:
    """Ascending arrival times: the history spread over 2023-24, then `live_share` of them in the last 3 days."""
    rng = random.Random(seed)
    live = int(round(count * live_share))
    old = sorted(rng.uniform(HISTORY_START, HISTORY_END) for _ in range(count - live))
    recent = sorted(rng.uniform(now - GRACE.total_seconds() + 60, now - 60) for _ in range(live))
    return old + recent


def generate(count: int, seed: int = 4, dates: list[float] | None = None) -> list[bytes]:
    """`count` raw mails (CRLF) in the issue's mix; the same seed gives the same corpus."""
    rng = random.Random(seed)
    mails = []
    for n in range(count):
        date = (
            format_datetime(datetime.fromtimestamp(dates[n], UTC))
            if dates
            else f"Tue, {1 + n % 28:02d} Nov 2023 {n % 24:02d}:{n % 60:02d}:00 +0100"
        )
        subject = Header(" ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 7))), "utf-8").encode()
        client = n % 500
        name = Header(f"Clïent {client}", "utf-8").encode()
        head = [
            f"From: {name} <client{client}@example.org>",
            f"To: Support <{ADDRESS}>",
            f"Subject: {'Re: ' if n % 3 == 1 else ''}{subject}",
            f"Date: {date}",
            f"Message-ID: <bench-{seed}-{n}@example.org>",
            "MIME-Version: 1.0",
        ]
        if n % 3 == 1 and n > 0:
            earlier = rng.randrange(max(0, n - 50), n)
            head += [
                f"In-Reply-To: <bench-{seed}-{earlier}@example.org>",
                f"References: <bench-{seed}-{earlier}@example.org>",
            ]
        kind = rng.random()
        if kind < 0.70:
            body = _text(rng, rng.randint(2_000, 8_000))
            head += ["Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit"]
            raw = "\r\n".join(head).encode() + b"\r\n\r\n" + body.encode()
        elif kind < 0.90:
            text = _text(rng, rng.randint(3_000, 14_000))
            html = "<html><body>" + "".join(f"<p>{line}</p>\r\n" for line in text.splitlines()) + "</body></html>\r\n"
            b = f"alt-{n}"
            head += [f'Content-Type: multipart/alternative; boundary="{b}"']
            raw = (
                ("\r\n".join(head) + "\r\n\r\n").encode()
                + (
                    f"--{b}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{text}"
                    f"--{b}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                ).encode()
                + _qp_free(html)
                + f"--{b}--\r\n".encode()
            )
        else:
            text = _text(rng, rng.randint(1_000, 4_000))
            blob = base64.encodebytes(rng.randbytes(rng.randint(75_000, 375_000))).replace(b"\n", b"\r\n")
            b = f"mix-{n}"
            head += [f'Content-Type: multipart/mixed; boundary="{b}"']
            raw = (
                ("\r\n".join(head) + "\r\n\r\n").encode()
                + (
                    f"--{b}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{text}"
                    f'--{b}\r\nContent-Type: application/pdf; name="report-{n}.pdf"\r\n'
                    f'Content-Disposition: attachment; filename="report-{n}.pdf"\r\n'
                    "Content-Transfer-Encoding: base64\r\n\r\n"
                ).encode()
                + blob
                + f"--{b}--\r\n".encode()
            )
        mails.append(raw)
    return mails


def tree_bytes(path: Path) -> int:
    """Bytes the files under `path` occupy on disk (allocated blocks, as du counts them)."""
    return sum(p.stat().st_blocks * 512 for p in path.rglob("*") if p.is_file())


# ---------------------------------------------------------------- measuring


class PeakRss:
    """Samples the summed RSS of a process and its descendants from /proc every 20 ms (the tree every 0.5 s)."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self._stop = pid, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _tree(self) -> list[int]:
        parents: dict[int, int] = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    stat = Path(f"/proc/{entry}/stat").read_text()
                    parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
                except (OSError, IndexError, ValueError):
                    pass
        tree, frontier = [self.pid], [self.pid]
        while frontier:
            children = [p for p, pp in parents.items() if pp in frontier]
            tree += children
            frontier = children
        return tree

    def _rss(self, pid: int) -> int:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        except OSError:
            pass
        return 0

    def _run(self) -> None:
        # Walking /proc for the tree costs ~10 ms of CPU, which the measured processes would lose:
        # the tree (the parse workers appear at start) is refreshed every 0.5 s, the RSS read every 20 ms.
        tree, found_at = [self.pid], 0.0
        while not self._stop.is_set():
            if time.monotonic() - found_at > 0.5:
                tree, found_at = self._tree(), time.monotonic()
            self.peak = max(self.peak, sum(self._rss(p) for p in tree))
            self._stop.wait(0.02)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


CPU_SECONDS: dict[str, list[float]] = {}
"""User + system CPU seconds of each timed command's process tree (its reaped children, the parse workers,
included), by the command's name: on a shared machine wall times wander with the load, CPU time much less."""


def timed(command: list[str], env: dict | None = None) -> tuple[float, int]:
    """Run a command; its wall time and peak RSS (process tree). Its CPU time goes to CPU_SECONDS."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    sampler = PeakRss(process.pid)
    _out, err = process.communicate()
    wall = time.perf_counter() - started
    peak = sampler.stop()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    name = "comptoir" if "sync" in command else os.path.basename(command[0])
    if name == "mbsync":
        name = f"mbsync (FSync {Path(command[-2]).name.split('-')[1]})"  # its config: mbsyncrc-{fsync}-{round}
    elif name != "comptoir":
        name = "stdlib imaplib"
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    CPU_SECONDS.setdefault(name, []).append(cpu)
    if process.returncode != 0:
        raise SystemExit(f"{command[0]} failed ({process.returncode}): {err.decode(errors='replace')[-2000:]}")
    return wall, peak


IMAPLIB_SCRIPT = """
import imaplib, sys
conn = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]))
conn.login(sys.argv[2], sys.argv[3])
conn.select("INBOX", readonly=True)
uids = conn.uid("SEARCH", None, "ALL")[1][0].split()
total = 0
for start in range(0, len(uids), 500):
    typ, data = conn.uid("FETCH", b",".join(uids[start:start + 500]).decode(), "(BODY.PEEK[])")
    total += sum(len(part[1]) for part in data if isinstance(part, tuple))
conn.logout()
print(len(uids), total)
"""

MBSYNC_CONFIG = """IMAPAccount bench
Host 127.0.0.1
Port {port}
User {user}
Pass {password}
SSLType None
AuthMechs LOGIN

IMAPStore bench-far
Account bench

MaildirStore bench-near
Path {near}/
Inbox {near}/INBOX

Channel bench
Far :bench-far:
Near :bench-near:
Patterns INBOX
Create Near
Sync Pull
SyncState *
"""

WORKSPACE_CONFIG = """[workspace]
name = "Bench"

[[teams]]
name = "support"
addresses = ["{address}"]
hours = "always"

[[agents]]
login = "ann"
name = "Ann"
teams = ["support"]
role = "supervisor"

[routing]
front_pool = "support"

[[accounts]]
name = "support"
address = "{address}"
username = "{user}"
imap = {{ host = "127.0.0.1", port = {port}, tls = "plain" }}
smtp = {{ host = "127.0.0.1", port = 25, tls = "plain" }}
added = {added}
"""


def comptoir_command(workspace: Path, *args: str) -> list[str]:
    code = "import sys; from tui.cli import main; sys.exit(main(sys.argv[1:]))"
    return [sys.executable, "-c", code, "--workspace", str(workspace), *args]


def push_latency(dovecot: Dovecot, user: str, workspace: Path, env: dict, trials: int) -> list[float]:
    """APPEND a mail, then poll the database until its row exists; seconds per trial."""
    syncer = subprocess.Popen(
        comptoir_command(workspace, "sync"), env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    db = sqlite3.connect(workspace / "comptoir.db", timeout=30)
    latencies = []
    try:
        time.sleep(3.0)  # let it select and enter IDLE
        conn = dovecot.imap(user)
        for trial in range(trials):
            mid = f"<push-{trial}-{time.time_ns()}@example.org>"
            raw = (
                f"From: Pusher <pusher@example.org>\r\nTo: {ADDRESS}\r\nSubject: push {trial}\r\n"
                f"Message-ID: {mid}\r\nDate: Tue, 14 Nov 2023 10:00:00 +0100\r\n\r\nHello {trial}\r\n"
            ).encode()
            started = time.perf_counter()
            conn.append("INBOX", "", imaplib.Time2Internaldate(time.time()), raw)
            while db.execute("SELECT 1 FROM message WHERE message_id = ?", (mid,)).fetchone() is None:
                if time.perf_counter() - started > 30 or syncer.poll() is not None:
                    raise SystemExit(
                        "push trial timed out: " + syncer.stderr.read().decode(errors="replace")[-2000:]
                        if syncer.poll() is not None
                        else "push trial timed out"
                    )
                time.sleep(0.002)
            latencies.append(time.perf_counter() - started)
            time.sleep(0.2)
        conn.logout()
    finally:
        syncer.terminate()
        syncer.wait(20)
        db.close()
    return latencies


def comptoir_round(dovecot: Dovecot, user, work: Path, name: str, added: str) -> tuple[tuple[float, int], Path, dict]:
    """One first sync into a fresh workspace: (wall, peak RSS), the workspace, and what it stored."""
    workspace = work / name
    env = dict(os.environ, COMPTOIR_KEYRING=f"file:{work / 'keyring.cfg'}", PYTHONPATH=str(REPO))
    setup = (
        "import sys; from core.workspace.folder import init_workspace; from core.workspace import credentials; "
        "init_workspace(__import__('pathlib').Path(sys.argv[1]), config_text=sys.argv[2]); "
        "credentials.set_password('support', sys.argv[3])"
    )
    subprocess.run(
        [
            sys.executable,
            "-c",
            setup,
            str(workspace),
            WORKSPACE_CONFIG.format(address=ADDRESS, user=user.name, port=dovecot.port, added=added),
            user.password,
        ],
        env=env,
        check=True,
        cwd=REPO,
    )
    result = timed(comptoir_command(workspace, "sync", "--once"), env)
    db = sqlite3.connect(workspace / "comptoir.db")
    one = lambda sql: db.execute(sql).fetchone()[0]  # noqa: E731
    facts = {
        "messages": one("SELECT COUNT(*) FROM message"),
        "history": one("SELECT COUNT(*) FROM message WHERE disposition IN ('history', 'replied')"),
        "live_conversations": one("SELECT COUNT(*) FROM conversation WHERE state != 'done'"),
        "alerts": one("SELECT COUNT(*) FROM alert"),
        "history_alerts": one(
            "SELECT COUNT(*) FROM alert a JOIN conversation c ON c.id = a.conversation_id WHERE c.state = 'done'"
        ),
        "alerted_conversations": one("SELECT COUNT(DISTINCT conversation_id) FROM alert"),
        "doubled_conversations": one(
            "SELECT COUNT(*) FROM (SELECT conversation_id FROM alert WHERE conversation_id "
            "IS NOT NULL GROUP BY conversation_id HAVING COUNT(*) > 1) AS d"
        ),
        "workspace_bytes": tree_bytes(workspace),
        # Where the bytes are: each table and index (SQLite's dbstat), largest first.
        "tables": db.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC LIMIT 8").fetchall(),
    }
    db.close()
    facts["log"] = [
        line.split(": ", 1)[1][:200]
        for line in (workspace / "comptoir.log").read_text().splitlines()
        if " fetched, " in line
    ]
    return result, workspace, facts, env


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument(
        "--rounds", type=int, default=3, help="interleaved rounds of mbsync and comptoir; medians count"
    )
    parser.add_argument("--trials", type=int, default=50)
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument(
        "--live-share",
        type=float,
        default=0.05,
        help="share of the mails that arrived after the cut-over (the rest is history)",
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="cmptr-bench-"))
    os.chmod(work, 0o711)
    started = time.perf_counter()
    now = time.time()
    added = datetime.fromtimestamp(now, UTC).replace(microsecond=0)
    cutover = (added - GRACE).timestamp()
    dates = arrival_dates(args.count, args.live_share, now, args.seed)
    mails = generate(args.count, args.seed, dates)
    megabytes = sum(map(len, mails)) / 1e6
    older = sum(1 for d in dates if d < cutover)
    print(
        f"corpus: {len(mails)} mails, {megabytes:.0f} MB, generated in {time.perf_counter() - started:.1f} s "
        f"({os.cpu_count()} CPUs, python {sys.version.split()[0]}); {older} ({older / len(dates):.1%}) arrived "
        f"before the cut-over {datetime.fromtimestamp(cutover, UTC):%Y-%m-%d %H:%M} UTC"
    )
    with Dovecot() as dovecot:
        user = dovecot.add_user("bench", "bench-pw")
        dovecot.write_maildir(user.name, list(zip(mails, dates, strict=False)))
        del mails
        maildir_bytes = tree_bytes(dovecot.root / "mail" / user.name)
        started = time.perf_counter()
        conn = dovecot.imap(user.name)
        conn.select("INBOX", readonly=True)
        conn.logout()
        print(f"Dovecot indexed the Maildir in {time.perf_counter() - started:.1f} s")
        py = [sys.executable, "-c", IMAPLIB_SCRIPT, str(dovecot.port), user.name, user.password]
        timed(py)  # warm Dovecot's caches and the page cache once, untimed
        limit = timed(py)
        rounds: dict[str, list[tuple[float, int]]] = {
            "mbsync (FSync yes)": [],
            "mbsync (FSync no)": [],
            "comptoir sync --once": [],
        }
        facts_by_round = []
        workspace = env = None
        for n in range(args.rounds):
            for fsync in ("yes", "no"):
                near = work / f"mbsync-{fsync}-{n}"
                near.mkdir()
                config = work / f"mbsyncrc-{fsync}-{n}"
                config.write_text(
                    f"FSync {fsync}\n\n"
                    + MBSYNC_CONFIG.format(port=dovecot.port, user=user.name, password=user.password, near=near)
                )
                rounds[f"mbsync (FSync {fsync})"].append(timed(["mbsync", "-q", "-c", str(config), "bench"]))
                shutil.rmtree(near, ignore_errors=True)
            if workspace is not None:
                shutil.rmtree(workspace, ignore_errors=True)
            result, workspace, facts, env = comptoir_round(dovecot, user, work, f"ws-{n}", added.isoformat())
            rounds["comptoir sync --once"].append(result)
            facts_by_round.append(facts)
            print(f"round {n + 1}: " + ", ".join(f"{name} {values[-1][0]:.1f} s" for name, values in rounds.items()))
        latencies = push_latency(dovecot, user.name, workspace, env, args.trials) if args.trials else []
    print("\nraw wall times (s) per round and peak RSS (MB):")
    print(f"  {'stdlib imaplib fetch (limit)':32} {limit[0]:.1f} s, {limit[1] / 1e6:.0f} MB")
    for name, values in rounds.items():
        print(f"  {name:32} " + ", ".join(f"{w:.1f} s/{r / 1e6:.0f} MB" for w, r in values))
    print(
        "CPU seconds (user + system, process tree) per run: "
        + "; ".join(f"{name} " + ", ".join(f"{c:.1f}" for c in cpus) for name, cpus in CPU_SECONDS.items())
    )
    median = {name: statistics.median(w for w, _r in values) for name, values in rounds.items()}
    ours = median["comptoir sync --once"]
    print("\nmedians: " + ", ".join(f"{name} {m:.1f} s" for name, m in median.items()))
    print(f"comptoir / mbsync with fsync:    {ours / median['mbsync (FSync yes)']:.2f} (target <= 0.8)")
    print(f"comptoir / mbsync without fsync: {ours / median['mbsync (FSync no)']:.2f} (target <= 2.0)")
    first = facts_by_round[0]
    for line in first["log"]:
        print("comptoir log:", line)
    print(
        f"first sync stored {first['messages']} of {args.count} messages, {first['history']} as history; "
        f"{first['live_conversations']} live conversations"
    )
    print(
        f"alerts raised by the first sync: {first['alerts']} rows over {first['alerted_conversations']} "
        f"conversations, {first['history_alerts']} for history, {first['doubled_conversations']} conversations with "
        f"more than one (target 0 for history, at most one per live conversation)"
    )
    for n, facts in enumerate(facts_by_round[1:], 2):
        print(
            f"round {n}: {facts['messages']} messages, {facts['alerts']} alerts, {facts['history_alerts']} for history"
        )
    ratio = first["workspace_bytes"] / maildir_bytes
    print(
        f"workspace on disk {first['workspace_bytes'] / 1e6:.0f} MB against the Maildir's {maildir_bytes / 1e6:.0f} MB: "
        f"{ratio:.2f} (target <= 1.1); largest tables and indexes: "
        + ", ".join(f"{name} {size / 1e6:.0f} MB" for name, size in first["tables"])
    )
    if latencies:
        ordered = sorted(latencies)
        p95 = ordered[max(0, int(round(0.95 * len(ordered))) - 1)]
        print(
            f"push latency over {len(latencies)} trials: p50 {statistics.median(latencies) * 1000:.0f} ms, "
            f"p95 {p95 * 1000:.0f} ms, max {ordered[-1] * 1000:.0f} ms"
        )
    shutil.rmtree(work, ignore_errors=True)
    return 0 if all(f["messages"] >= args.count for f in facts_by_round) else 1


if __name__ == "__main__":
    sys.exit(main())
