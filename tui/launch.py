"""The `comptoir` console script: the app (`open`, the default, and `demo`) plus every core command.

The app is a client of the workspace server (core.server), which it starts in the background when
none runs and this user owns the workspace, as tmux does. Textual is imported only when the app
opens, so `comptoir queue` and friends start fast.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from tui.cli import run


def cmd_open(args: argparse.Namespace) -> int:
    """open the app (the default when no command is given)"""
    from core.server.client import RemoteComptoir
    from core.workspace.locations import find_workspace_dir

    service = RemoteComptoir(find_workspace_dir(args.workspace), args.as_agent, client="app", reconnect=True)
    return _run_app(service, args.utc)


def cmd_demo(args: argparse.Namespace) -> int:
    """open the app on the demo workspace (built on first use), with a simulated clock and incoming mail;
    a second `comptoir demo --as AGENT` joins the running one"""
    from core.demo.live import demo_dir, start_or_join_demo
    from core.demo.seed import DEMO_AGENT
    from core.server.client import RemoteComptoir

    path = demo_dir(args.workspace)
    joined, pid = start_or_join_demo(
        path,
        speed=args.speed,
        rebuild=args.rebuild,
        conversations=args.conversations,
        trickle=not args.no_trickle,
        announce=lambda text: print(text, file=sys.stderr),
    )
    if joined:
        print(f"Joining the running demo at {path} (server pid {pid}).", file=sys.stderr)
    else:
        print(
            f"Demo workspace: {path} (server pid {pid}).\nA second agent joins it from another terminal with:\n"
            f"    comptoir demo --as paul      (or: comptoir -W {path} --as paul)",
            file=sys.stderr,
        )
    if args.no_app:
        print(f"demo workspace ready at {path}")
        return 0
    service = RemoteComptoir(path, args.as_agent or DEMO_AGENT, client="app", reconnect=True)
    return _run_app(service, args.utc)


def _run_app(service, utc: bool = False) -> int:
    from core.errors import ComptoirError
    from tui.startup import FIRST_QUEUE, FIRST_WINDOW

    # The first page travels while Textual loads; it is in by then, and the main screen's first frame shows it.
    service.start_first_page(FIRST_QUEUE, FIRST_WINDOW)
    from tui.app import run_app

    try:
        first_page = service.first_page(FIRST_QUEUE, FIRST_WINDOW)
    except ComptoirError:
        first_page = None  # the main screen asks again, and says what went wrong
    try:
        run_app(service, zone="UTC" if utc else None, first_page=first_page)
    finally:
        service.close()
    return 0


def _configure_demo(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--speed", type=float, default=60.0, help="simulated seconds per real second (default 60)")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the demo workspace from scratch")
    parser.add_argument("--conversations", type=int, default=2000, help="size of a rebuilt demo (default 2000)")
    parser.add_argument("--no-trickle", action="store_true", help="no simulated incoming mail")
    parser.add_argument("--no-app", action="store_true", help="only build the demo workspace and start its server")


def main(argv: Sequence[str] | None = None) -> int:
    return run(
        sys.argv[1:] if argv is None else argv, extra={"open": (cmd_open, None), "demo": (cmd_demo, _configure_demo)}
    )


if __name__ == "__main__":
    sys.exit(main())
