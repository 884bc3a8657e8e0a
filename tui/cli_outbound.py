"""The command line's outbound and reorganising commands: compose, forward, merge, split, remind, reminders.

Attached files are read here, by the agent's own process with the agent's own permissions, and travel to
the workspace server in the request (core.mail.outgoing).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from core.errors import ActionRefused
from core.textsafe import printable


def _cli():
    from tui import cli

    return cli


def _files(args: argparse.Namespace, svc) -> list:
    return svc.read_attachments(args.attach) if args.attach else []


def _body(args: argparse.Namespace, required: bool) -> str:
    if args.body is not None:
        return args.body
    if not required:
        return ""
    if sys.stdin.isatty():
        raise ActionRefused("write the text with --body TEXT, or pipe it on standard input")
    return sys.stdin.read()


def cmd_compose(args: argparse.Namespace) -> int:
    """write new mail to a customer who has not written first (a conversation owned by you)"""
    cli = _cli()
    svc = cli.service(args)
    files = _files(args, svc)
    body = _body(args, required=True)
    return cli._result(
        args,
        svc.compose(
            args.to,
            args.subject,
            body,
            cc=args.cc or [],
            bcc=args.bcc or [],
            from_addr=args.from_addr,
            attachments=files,
            confirmed_recipients=args.yes,
        ),
    )


def cmd_forward(args: argparse.Namespace) -> int:
    """forward a message, with its attachments, to anyone (see `comptoir show ID` for message numbers)"""
    cli = _cli()
    svc = cli.service(args)
    files = _files(args, svc)
    return cli._result(
        args,
        svc.forward(
            args.message,
            args.to,
            cc=args.cc or [],
            bcc=args.bcc or [],
            body=_body(args, required=False),
            subject=args.subject,
            attachments=files,
            confirmed_recipients=args.yes,
        ),
    )


def cmd_merge(args: argparse.Namespace) -> int:
    """merge a conversation into another of the same customer, or undo a merge (--undo EVENT)"""
    cli = _cli()
    svc = cli.service(args)
    if args.undo is not None:
        if args.ids:
            raise ActionRefused("give either two conversations to merge or --undo EVENT, not both")
        return cli._result(args, svc.undo_event(args.undo))
    if len(args.ids) != 2:
        raise ActionRefused("say which conversation to merge into which: comptoir merge SOURCE TARGET")
    return cli._result(args, svc.merge(args.ids[0], args.ids[1]))


def cmd_split(args: argparse.Namespace) -> int:
    """split a message out into its own conversation, or undo a split (--undo EVENT)"""
    cli = _cli()
    svc = cli.service(args)
    if args.undo is not None:
        if args.message is not None:
            raise ActionRefused("give either a message to split or --undo EVENT, not both")
        return cli._result(args, svc.undo_event(args.undo))
    if args.message is None:
        raise ActionRefused("say which message to split out: comptoir split MESSAGE (see `comptoir show ID`)")
    return cli._result(args, svc.split(args.message))


def cmd_remind(args: argparse.Namespace) -> int:
    """at a time (ISO, or a duration such as 2h), alert me on a conversation"""
    cli = _cli()
    if args.time.startswith("-"):
        raise ActionRefused(
            f"remind needs a time in the future, and {args.time} is in the past; say "
            f"{args.time.lstrip('-')} for that long from now"
        )
    svc = cli.service(args)
    return cli._result(args, svc.remind(args.id, cli.parse_moment(args.time, svc.now()), " ".join(args.text)))


def cmd_reminders(args: argparse.Namespace) -> int:
    """list my reminders (--all: those already raised too), or cancel one"""
    cli = _cli()
    svc = cli.service(args)
    if args.cancel is not None:
        return cli._result(args, svc.cancel_reminder(args.cancel))
    found = svc.reminders(include_fired=args.all)
    if args.json:
        cli.emit_json(found)
        return 0
    if not found:
        print("No reminders.")
        return 0
    for r in found:
        state = "raised" if r.fired else "due"
        print(f"{r.id:>5}  {state:<6} {r.due_at:%a %d %b %H:%M} UTC  #{r.conversation_id}  {printable(r.text)}")
    return 0


def _recipients(p: argparse.ArgumentParser, to_required: bool = True) -> None:
    p.add_argument("--to", action="append", required=to_required, metavar="ADDRESS")
    p.add_argument("--cc", action="append", metavar="ADDRESS")
    p.add_argument("--bcc", action="append", metavar="ADDRESS", help="blind copy: in the envelope, never a header")
    p.add_argument(
        "--attach",
        action="append",
        metavar="PATH",
        help="attach a file (repeat for more; the total is limited by [workspace] attachment_limit_mb)",
    )
    p.add_argument("--yes", action="store_true", help="confirm more recipients than the limit")


def add_outbound_commands(add: Callable[[str, Callable, str], argparse.ArgumentParser]) -> None:
    """Register the commands on the CLI's parser (`add(name, func, help)` from tui.cli.build_parser)."""
    p = add("compose", cmd_compose, cmd_compose.__doc__)
    _recipients(p)
    p.add_argument("--subject", required=True)
    p.add_argument(
        "--from", dest="from_addr", metavar="ADDRESS", help="the team address to send from (default: your first team's)"
    )
    p.add_argument("--body", help="the text (default: standard input)")
    p = add("forward", cmd_forward, cmd_forward.__doc__)
    p.add_argument("message", type=int)
    _recipients(p)
    p.add_argument("--subject", help="default: Fwd: and the message's subject")
    p.add_argument("--body", help="a few words above the forwarded message")
    p = add("merge", cmd_merge, cmd_merge.__doc__)
    p.add_argument("ids", type=int, nargs="*", metavar="SOURCE TARGET")
    p.add_argument("--undo", type=int, metavar="EVENT", help="undo this merge (its event number: `comptoir why ID`)")
    p = add("split", cmd_split, cmd_split.__doc__)
    p.add_argument("message", type=int, nargs="?")
    p.add_argument("--undo", type=int, metavar="EVENT", help="undo this split (its event number: `comptoir why ID`)")
    p = add("remind", cmd_remind, cmd_remind.__doc__)
    p._negative_number_matcher = _cli()._DURATION_ARGUMENT
    p.add_argument("id", type=int)
    p.add_argument("time", help="an ISO time (UTC unless it says otherwise) or a duration from now: 30m, 2h, 3d")
    p.add_argument("text", nargs="*", help="what to remember")
    p = add("reminders", cmd_reminders, cmd_reminders.__doc__)
    p.add_argument("--all", action="store_true", help="include reminders already raised")
    p.add_argument("--cancel", type=int, metavar="REMINDER")
