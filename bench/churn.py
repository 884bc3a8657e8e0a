"""Churn: one workspace server, real apps in tmux and a stream of short-lived CLI processes, with random
SIGKILLs of clients. Passes when the server is the same process at the end, every surviving app still
shows its screen (no traceback), every CLI process that was not killed ended with a documented exit
code and no traceback, and SQLite's integrity check says ok.

Run: .venv/bin/python bench/churn.py [--apps 10] [--cli 200] [--seconds 120]
(tests/server/test_churn.py runs it small.)
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

AGENTS = ["ann", "bob", "cid", "dee", "eve", "fay", "gus", "hal", "ivy", "jon"]


def churn_config(me: str) -> str:
    agents = "\n".join(f'[[agents]]\nlogin = "{a}"\nname = "{a.title()}"\nteams = ["support"]\n' for a in AGENTS)
    return f"""
[workspace]
name = "Churn"
timezone = "UTC"

[[teams]]
name = "support"
addresses = ["support@churn.test"]
hours = "always"

[[agents]]
login = "{me}"
name = "Runner"
teams = ["support"]
role = "supervisor"

{agents}
[routing]
front_pool = "support"
"""


def make_churn_workspace(path: Path, conversations: int = 300) -> Path:
    from core.mail.ingest import IncomingMail, ingest_batch
    from core.workspace.folder import init_workspace, open_workspace
    from core.workspace.identity import unix_login

    init_workspace(path, config_text=churn_config(unix_login()))
    ws = open_workspace(path)
    mails = []
    for n in range(conversations):
        m = EmailMessage()
        m["From"] = f"Customer {n} <c{n}@client.test>"
        m["To"] = "support@churn.test"
        m["Subject"] = f"Question {n}"
        m["Message-ID"] = f"<churn{n}@client.test>"
        m.set_content(f"Question number {n}")
        mails.append(IncomingMail(m.as_bytes()))
    ingest_batch(ws, mails, datetime.now(UTC))
    ws.close()
    return path


@dataclass
class ChurnResult:
    cli_started: int = 0
    cli_killed: int = 0
    cli_exit_codes: dict[int, int] = field(default_factory=dict)
    cli_tracebacks: list[str] = field(default_factory=list)
    apps_killed: int = 0
    apps_alive_at_end: int = 0
    apps_broken: list[str] = field(default_factory=list)
    server_same: bool = False
    integrity: str = ""

    @property
    def ok(self) -> bool:
        return (
            self.server_same
            and self.integrity == "ok"
            and not self.cli_tracebacks
            and not self.apps_broken
            and set(self.cli_exit_codes) <= {0, 1, 2, 3}
        )


class Tmux:
    def __init__(self, name: str) -> None:
        self.name = name

    def run(self, *args: str) -> str:
        env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "TMUX")}
        return subprocess.run(
            ["tmux", "-L", self.name, *args], capture_output=True, text=True, timeout=30, env=env
        ).stdout

    def open_app(self, window: str, workspace: Path, agent: str) -> None:
        command = f"cd {ROOT} && exec {sys.executable} -m tui.launch --workspace {workspace} --as {agent}"
        if not self.run("list-sessions"):
            self.run("new-session", "-d", "-s", "churn", "-n", window, "-x", "100", "-y", "30", command)
        else:
            self.run("new-window", "-d", "-t", "churn", "-n", window, command)

    def pane_pid(self, window: str) -> int | None:
        text = self.run("list-panes", "-t", f"churn:{window}", "-F", "#{pane_pid}").strip()
        return int(text) if text.isdigit() else None

    def screen(self, window: str) -> str:
        return self.run("capture-pane", "-t", f"churn:{window}", "-p")


def run_churn(workspace: Path, apps: int = 10, cli: int = 200, seconds: float = 120.0, seed: int = 7) -> ChurnResult:
    from core.server.client import start_server
    from core.server.server import server_pid

    rng = random.Random(seed)
    result = ChurnResult()
    start_server(workspace)
    server = server_pid(workspace)
    tmux = Tmux(f"comptoir-churn-{os.getpid()}")
    windows = [f"app{n}" for n in range(apps)]
    try:
        for n, window in enumerate(windows):
            tmux.open_app(window, workspace, AGENTS[n % len(AGENTS)])
        time.sleep(2)
        running: list[tuple[subprocess.Popen, bool]] = []
        deadline = time.monotonic() + seconds
        interval = seconds / max(cli, 1)
        next_app_kill = time.monotonic() + seconds / 4
        while time.monotonic() < deadline or result.cli_started < cli:
            if result.cli_started < cli:
                agent = rng.choice(AGENTS)
                cid = rng.randint(1, 300)
                command = rng.choice(
                    [
                        ["queue", "--everyone", "--json"],
                        ["show", str(cid)],
                        ["claim", str(cid)],
                        ["release", str(cid)],
                        ["note", str(cid), "churn note"],
                        ["alerts"],
                        ["why", str(cid), "--json"],
                    ]
                )
                process = subprocess.Popen(
                    [sys.executable, "-m", "tui.launch", "--workspace", str(workspace), "--as", agent, *command],
                    cwd=ROOT,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                    text=True,
                )
                kill = rng.random() < 0.2
                running.append((process, kill))
                result.cli_started += 1
            for process, kill in list(running):
                if kill and process.poll() is None and rng.random() < 0.5:
                    process.send_signal(signal.SIGKILL)
                    result.cli_killed += 1
                    running.remove((process, kill))
                    process.wait()
                elif process.poll() is not None:
                    running.remove((process, kill))
                    stderr = process.stderr.read() if process.stderr else ""
                    if process.returncode < 0:
                        continue
                    result.cli_exit_codes[process.returncode] = result.cli_exit_codes.get(process.returncode, 0) + 1
                    if "Traceback" in stderr:
                        result.cli_tracebacks.append(stderr[-2000:])
            if time.monotonic() > next_app_kill and len(windows) > apps - max(apps // 3, 1):
                victim = rng.choice(windows)
                pid = tmux.pane_pid(victim)
                if pid:
                    os.kill(pid, signal.SIGKILL)
                    result.apps_killed += 1
                    windows.remove(victim)
                next_app_kill += seconds / 4
            time.sleep(interval)
        for process, _kill in running:
            process.wait(60)
            if process.returncode >= 0:
                result.cli_exit_codes[process.returncode] = result.cli_exit_codes.get(process.returncode, 0) + 1
        time.sleep(1)
        for window in windows:
            screen = tmux.screen(window)
            if "Comptoir ·" in screen and "Traceback" not in screen:
                result.apps_alive_at_end += 1
            else:
                result.apps_broken.append(f"{window}:\n{screen}")
        result.server_same = server is not None and server_pid(workspace) == server
    finally:
        tmux.run("kill-server")
    connection = sqlite3.connect(f"file:{workspace / 'comptoir.db'}?mode=ro", uri=True)
    try:
        result.integrity = connection.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        connection.close()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apps", type=int, default=10)
    parser.add_argument("--cli", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=120.0)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="comptoir-churn-"))
    try:
        workspace = make_churn_workspace(tmp / "ws")
        started = time.monotonic()
        result = run_churn(workspace, args.apps, args.cli, args.seconds)
        print(f"churn: {args.apps} apps, {result.cli_started} CLI processes in {time.monotonic() - started:.0f} s")
        print(
            f"  CLI killed: {result.cli_killed}; exit codes of the others: {dict(sorted(result.cli_exit_codes.items()))}"
        )
        print(f"  CLI tracebacks: {len(result.cli_tracebacks)}")
        print(
            f"  apps SIGKILLed: {result.apps_killed}; surviving apps still on screen: {result.apps_alive_at_end}, "
            f"broken: {len(result.apps_broken)}"
        )
        print(f"  server the same process throughout: {result.server_same}; integrity_check: {result.integrity}")
        print("PASS" if result.ok else "FAIL")
        for text in result.cli_tracebacks[:3] + result.apps_broken[:3]:
            print(text)
        from core.server.server import server_pid

        pid = server_pid(workspace)
        if pid:
            os.kill(pid, signal.SIGTERM)
        return 0 if result.ok else 1
    finally:
        time.sleep(1)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
