"""Commands for clients, requests between teams, other channels and the customer panel (`comptoir client add`,
`request`, `request-state`, `requests`, `ingest`, `contact`); build_parser in tui/cli.py adds them."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from core.textsafe import printable
from tui.formatting import plural

REQUEST_WORDS = {
    "new": "new",
    "in_progress": "in progress",
    "answered": "answered",
    "done": "done",
    "declined": "declined",
}


def cmd_client(args: argparse.Namespace) -> int:
    from core.workspace.clients import add_client
    from tui.cli import open_ws

    ws = open_ws(args)
    add_client(ws, args.name, args.address or [], args.team, args.owner, args.notes or "", args.informational or [])
    print(
        f"client {printable(args.name)} added to {ws.config_path}; mail to its addresses goes to team {args.team} "
        "(a running server reads the change on SIGHUP or restart: `systemctl reload comptoir-server`)"
    )
    return 0


def cmd_request(args: argparse.Namespace) -> int:
    from tui.cli import _result, service

    svc = service(args)
    text = args.text if args.text is not None else sys.stdin.read()
    return _result(args, svc.open_request(args.to, text, args.on))


def cmd_request_state(args: argparse.Namespace) -> int:
    from tui.cli import _result, service

    return _result(args, service(args).update_request(args.id, args.state, args.text or ""))


def cmd_requests(args: argparse.Namespace) -> int:
    from tui.cli import emit_json, service

    svc = service(args)
    found = svc.requests(args.team, args.mine, args.all)
    if args.json:
        emit_json(found)
        return 0
    if not found:
        print("(no requests)")
    for r in found:
        of = f"for #{r.of}" if r.of else "-"
        print(
            f"#{r.id:<6} {REQUEST_WORDS.get(r.state, r.state):<12} to {r.team:<12} by {r.requester:<10} "
            f"{of:<9} {(r.owner or '-'):<8} {printable(r.subject)[:60]}"
        )
    return 0


def cmd_ingest(args: argparse.Namespace) -> int:
    from tui.cli import _result, service

    data = sys.stdin.buffer.read()
    return _result(args, service(args).ingest(args.channel, data, args.to))


def cmd_contact(args: argparse.Namespace) -> int:
    from tui.cli import emit_json, service

    svc = service(args)
    if args.target.lstrip("#").isdigit():
        view = svc.contact(conversation_id=int(args.target.lstrip("#")))
    else:
        view = svc.contact(address=args.target)
    if args.json:
        emit_json(view)
        return 0
    print(f"{printable(view.name) or '(no name)'} <{printable(view.address)}>")
    if view.client:
        print(f"  client {printable(view.client)}" + (f": {printable(view.client_notes)}" if view.client_notes else ""))
    print(f"  audiences {', '.join(printable(a) for a in view.audiences) or '-'}")
    ratings = ", ".join(f"{r.agent} {r.score}/5 ({r.rated_on})" for r in view.ratings)
    print(f"  ratings {ratings or '-'}")
    print(f"  {plural(view.total_conversations, 'conversation')}:")
    for c in view.conversations:
        channel = f" [{c.channel}]" if c.channel != "mail" else ""
        print(
            f"  #{c.id:<6} {c.created_at:%Y-%m-%d} {c.state:<8} {(c.team or '-'):<10} {(c.owner or '-'):<8}"
            f"{channel} {printable(c.subject)[:60]}"
        )
    return 0


def configure(add: Callable[[str, Callable, str], argparse.ArgumentParser]) -> None:
    """Add this module's commands to the parser (add(name, func, help) makes one subcommand)."""
    p = add("client", cmd_client, "add a client with its own addresses to comptoir.toml (admin)")
    p.add_argument("action", choices=["add"])
    p.add_argument("name", help='the client\'s name, e.g. "Joe LLC"')
    p.add_argument("--address", action="append", metavar="ADDRESS", help="an address given to the client (repeat)")
    p.add_argument("--team", required=True, help="the team serving the client")
    p.add_argument("--owner", metavar="AGENT", help="the agent who takes its new mail first")
    p.add_argument("--notes", help="what colleagues should know about the client")
    p.add_argument(
        "--informational",
        action="append",
        metavar="ADDRESS",
        help="an address where no reply is expected (its mail is worked out at once; repeat)",
    )
    p = add("request", cmd_request, "ask another team (a request between teams), from a conversation or on its own")
    p.add_argument("--to", required=True, metavar="TEAM", help="the team asked, e.g. purchasing")
    p.add_argument("--on", type=int, metavar="ID", help="the customer conversation it is about")
    p.add_argument("text", nargs="?", help="what you ask (default: standard input)")
    p = add(
        "request-state",
        cmd_request_state,
        "work a request: in_progress, answered, done, declined, or question (ask its requester)",
    )
    p.add_argument("id", type=int)
    p.add_argument("state", choices=["in_progress", "answered", "done", "declined", "question"])
    p.add_argument("text", nargs="?", help="the answer, the reason or the question")
    p = add("requests", cmd_requests, "list open requests between teams (--all: closed ones too)")
    p.add_argument("--team", metavar="TEAM", help="requests to this team")
    p.add_argument("--mine", action="store_true", help="requests I opened")
    p.add_argument("--all", action="store_true", help="also done and declined ones")
    p = add(
        "ingest",
        cmd_ingest,
        "store one message from another channel (JSON or .eml on standard input), "
        "routed like mail (service account and supervisors)",
    )
    p.add_argument("--channel", required=True, help="the channel's name, e.g. web")
    p.add_argument(
        "--to",
        metavar="ADDRESS",
        help="the team or client address it counts as written to (default: the first account's)",
    )
    p = add(
        "contact",
        cmd_contact,
        "the customer of a conversation (or an address): client, audiences, ratings, past conversations",
    )
    p.add_argument("target", metavar="ID|ADDRESS")
