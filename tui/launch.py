"""The `comptoir` console script: the app (`open`, the default, and `demo`) plus every core command.

Textual is imported only when the app opens, so `comptoir queue` and friends start fast.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from core.cli import run


def cmd_open(args: argparse.Namespace) -> int:
    """open the app (the default when no command is given)"""
    from core.identity import resolve_agent
    from core.service import Comptoir
    from core.workspace import open_workspace

    ws = open_workspace(args.workspace)
    return _run_app(Comptoir(ws, resolve_agent(ws, args.as_agent)), trickle=False)



def cmd_demo(args: argparse.Namespace) -> int:
    """open the app on the demo workspace (built on first use), with a simulated clock and incoming mail"""
    from core.demo_live import prepare_demo
    from core.service import Comptoir

    ws, agent = prepare_demo(args.workspace, as_agent=args.as_agent, speed=args.speed, rebuild=args.rebuild,
                             conversations=args.conversations, announce=lambda text: print(text, file=sys.stderr))
    if args.no_app:
        print(f"demo workspace ready at {ws.path}")
        return 0
    return _run_app(Comptoir(ws, agent), trickle=not args.no_trickle)


def _run_app(service, trickle: bool) -> int:
    from core.background import Background
    from tui.startup import FIRST_QUEUE, FIRST_WINDOW

    # SQLite reads the first page while Textual loads; the main screen collects it.
    service.start_first_page(FIRST_QUEUE, FIRST_WINDOW)
    from tui.app import run_app

    # The syncer or demo trickle starts once the first screen is up, so it never slows that screen.
    background = Background()
    try:
        run_app(service, after_first_screen=lambda: background.start(service.workspace, trickle=trickle))
    finally:
        background.stop()
    return 0


def _configure_open(parser: argparse.ArgumentParser) -> None:
    pass


def _configure_demo(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--speed", type=float, default=60.0, help="simulated seconds per real second (default 60)")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the demo workspace from scratch")
    parser.add_argument("--conversations", type=int, default=2000, help="size of a rebuilt demo (default 2000)")
    parser.add_argument("--no-trickle", action="store_true", help="no simulated incoming mail")
    parser.add_argument("--no-app", action="store_true", help="only build the demo workspace")


def main(argv: Sequence[str] | None = None) -> int:
    return run(sys.argv[1:] if argv is None else argv,
               extra={"open": (cmd_open, _configure_open), "demo": (cmd_demo, _configure_demo)})


if __name__ == "__main__":
    sys.exit(main())
