"""Starting a workspace server: open the workspace, take the server lock, log to the workspace's
log file (created private to the server's account), then serve. With --detach (what an
auto-starting client asks for) it prints one line on stdout, "ready" or why it cannot start, and
then lets go of the terminal."""

from __future__ import annotations

import argparse
import os
import sys
from typing import TextIO

from core.errors import ComptoirError
from core.workspace.logfile import log_to_file

AUTOSTART_IDLE_EXIT = 600.0
"""An auto-started server stops this many seconds after its last client left (a demo: 30 s);
a server started by an admin (`comptoir server`, systemd) runs until stopped. Test harnesses set
$COMPTOIR_SERVER_IDLE_EXIT and $COMPTOIR_SERVER_NO_SYNC=1 for the servers their clients start."""
DEMO_IDLE_EXIT = 30.0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="comptoir server",
        description="serve a workspace (the only process that "
        "opens its database): mail sync, outbox, escalation, and every client's requests",
    )
    p.add_argument(
        "--workspace", "-W", metavar="DIR", help="workspace folder (default: $COMPTOIR_WORKSPACE, else your data dir)"
    )
    p.add_argument("--detach", action="store_true", help="print 'ready' once serving, then leave the terminal")
    p.add_argument("--idle-exit", type=float, metavar="SECONDS", help="stop after this long without clients")
    p.add_argument("--no-sync", action="store_true", help="answer clients only: no mail sync, outbox or escalation")
    p.add_argument("--no-trickle", action="store_true", help="demo workspaces: no simulated incoming mail")
    return p


def _detach() -> int:
    """Fork before anything starts a thread: the parent waits for the server's first line, prints it
    and exits (0 once it serves); the child, in a new session, returns the pipe it reports on."""
    read_end, write_end = os.pipe()
    if os.fork() > 0:
        os.close(write_end)
        with os.fdopen(read_end, "rb") as pipe:
            line = pipe.readline().decode(errors="replace").strip()
        print(line or "the server stopped before it could serve (see its log)", flush=True)
        os._exit(0 if line == "ready" or line.startswith("already running") else 1)
    os.close(read_end)
    os.setsid()
    return write_end


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    os.umask(0o077)  # what the server creates is its own; shared modes (socket, config) are set explicitly
    if args.detach:
        report: TextIO | None = os.fdopen(_detach(), "w", buffering=1)
    else:
        report = None

    def say(text: str) -> None:
        """The server's first line: on the pipe the detaching parent reads, else on stderr."""
        print(text, file=report or sys.stderr, flush=True)

    try:
        from core.server.server import ServerRunning, serve, server_pid
        from core.workspace.folder import find_workspace_dir, open_workspace

        path = find_workspace_dir(args.workspace)
        running = server_pid(path)
        if running is not None:
            say(f"already running (pid {running})")
            return 0
        ws = open_workspace(path)
        log_to_file(ws.log_path)
        idle_exit = args.idle_exit
        no_sync = args.no_sync or (args.detach and os.environ.get("COMPTOIR_SERVER_NO_SYNC") == "1")
        if idle_exit is None and args.detach:
            env = os.environ.get("COMPTOIR_SERVER_IDLE_EXIT")
            idle_exit = float(env) if env else (DEMO_IDLE_EXIT if ws.is_demo else AUTOSTART_IDLE_EXIT)
    except ComptoirError as error:
        say(f"{error}")
        return 1
    except Exception as error:
        say(f"internal error ({type(error).__name__}: {error})")
        return 3

    def ready() -> None:
        say("ready")
        if report is not None:
            report.close()
            devnull = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(devnull, fd)
            os.close(devnull)
        else:
            print(f"comptoir server: serving {ws.path} (pid {os.getpid()}); log in {ws.log_path}", file=sys.stderr)

    try:
        return serve(ws, background=not no_sync, trickle=not args.no_trickle, idle_exit=idle_exit, ready=ready)
    except ServerRunning as error:
        say(f"already running ({error})")
        return 0
    except ComptoirError as error:
        say(f"{error}")
        return 1
