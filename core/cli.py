"""The command line: a second front end over the same core services. Listing commands take --json.

Every user-facing failure is a ComptoirError printed as one paragraph; no tracebacks.
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, is_dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from core import __version__
from core.errors import ActionRefused, ComptoirError
from core.textsafe import printable

EXIT_REFUSED = 1
EXIT_USAGE = 2
EXIT_ERROR = 3


# -- output helpers ---------------------------------------------------------------------------
def _jsonable(value: object) -> object:
    if is_dataclass(value) and not isinstance(value, type):
        return {k: _jsonable(v) for k, v in asdict(value).items()}
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def emit_json(value: object) -> None:
    print(json.dumps(_jsonable(value), ensure_ascii=False, indent=2))


def _when(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return "-"
    delta = moment - now
    minutes = int(delta.total_seconds() // 60)
    sign = "-" if minutes < 0 else ""
    minutes = abs(minutes)
    if minutes >= 60 * 48:
        text = f"{minutes // 1440}d"
    elif minutes >= 60:
        text = f"{minutes // 60}h{minutes % 60:02d}"
    else:
        text = f"{minutes}m"
    return sign + text


def parse_moment(text: str, now: datetime) -> datetime:
    """An ISO date/time (UTC unless it says otherwise) or a duration from now such as 2h or 3d."""
    from core.durations import parse_duration

    try:
        return now + parse_duration(text)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ComptoirError(f"{text!r} is neither a time (2026-11-24T09:00) nor a duration (2h, 3d)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


# -- opening a workspace ----------------------------------------------------------------------
def open_ws(args: argparse.Namespace):
    from core.workspace import open_workspace

    return open_workspace(args.workspace)


def service(args: argparse.Namespace):
    from core.identity import resolve_agent
    from core.service import Comptoir

    ws = open_ws(args)
    return Comptoir(ws, resolve_agent(ws, args.as_agent))


def _result(args: argparse.Namespace, result) -> int:
    if args.json:
        emit_json(result)
    else:
        print(printable(result.message))
    return 0 if result.ok else EXIT_REFUSED


# -- commands ---------------------------------------------------------------------------------
def cmd_init(args: argparse.Namespace) -> int:
    from core.workspace import find_workspace_dir, init_workspace

    path = find_workspace_dir(args.dir or args.workspace)
    init_workspace(path, group=args.group)
    shared = f", shared with group {args.group} (2770/0660)" if args.group else " (private to you)"
    print(f"Workspace created at {path}{shared}.\nEdit {path / 'comptoir.toml'}, then run `comptoir doctor`.")
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    from core.doctor import run_doctor

    checks = run_doctor(args.workspace, check_servers=not args.offline)
    if args.json:
        emit_json(checks)
    else:
        for check in checks:
            print(f"[{'ok' if check.ok else 'FAIL' if not check.warning else 'warn'}] {check.name}: {check.detail}")
    return 0 if all(c.ok or c.warning for c in checks) else EXIT_REFUSED


QUEUE_FLAGS = {"mine": "mine", "everyone": "everyone", "unclaimed": "everyone", "waiting": "waiting",
               "snoozed": "snoozed", "done": "done", "exclusive": "exclusive"}


def cmd_queue(args: argparse.Namespace) -> int:
    svc = service(args)
    queue = f"team:{args.team}" if args.team else next((QUEUE_FLAGS[f] for f in QUEUE_FLAGS if getattr(args, f, False)), "mine")
    if args.search:
        queue = "search"
    rows = svc.queue_page(queue, None, args.limit, args.search)
    if args.json:
        emit_json(rows)
        return 0
    now = svc.now()
    if not rows:
        print(f"(queue {queue} is empty)")
    for r in rows:
        lock = "L" if r.confidential else " "
        shared = "S" if r.shared_reply else " "
        print(
            f"#{r.id:<6} {_when(r.deadline, now):>7} {r.state:<8} {(r.owner or '-'):<8} {lock}{shared} "
            f"{printable(r.customer_address)[:28]:<28} {printable(r.subject)[:70]}"
        )
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    svc = service(args)
    d = svc.detail(args.id)
    if args.json:
        emit_json(d)
        return 0
    r = d.row
    now = svc.now()
    print(f"#{r.id} {printable(r.subject)}")
    print(f"  customer {printable(r.customer_name)} <{printable(r.customer_address)}>  team {r.team or '-'}  "
          f"owner {r.owner or '-'}  state {r.state}  visible to {r.visibility}  deadline {_when(r.deadline, now)}"
          + ("  CONFIDENTIAL" if r.confidential else ""))
    if d.hidden:
        print("  (confidential: only its owner and supervisors can read it)")
        return 0
    for m in d.messages:
        head = {"inbound": "<<", "outbound": ">>", "note": "##"}[m.direction]
        who = f"{printable(m.from_name)} <{printable(m.from_addr)}>" if m.direction != "note" else printable(m.from_name)
        status = ""
        if m.direction == "inbound":
            status = f"[{m.disposition.replace('_', ' ')}" + (f": {printable(m.disposition_reason or '')}" if m.disposition_reason else "") + "]"
        elif m.outbox_state:
            status = f"[{m.outbox_state}" + (f": {printable(m.outbox_answer or '')}" if m.outbox_state == "failed" else "") + "]"
        print(f"\n{head} message {m.id}  {m.received_at:%Y-%m-%d %H:%M} UTC  {who} {status}")
        for att in m.attachments:
            print(f"   attachment {att.id}: {printable(att.filename)} ({att.content_type}, {att.size} bytes)")
        for line in printable(m.text, keep_newlines=True).splitlines()[:200]:
            print(f"   {line}")
    return 0


def cmd_claim(args: argparse.Namespace) -> int:
    return _result(args, service(args).claim(args.id))


def cmd_release(args: argparse.Namespace) -> int:
    return _result(args, service(args).release(args.id))


def cmd_assign(args: argparse.Namespace) -> int:
    if bool(args.to) == bool(args.team):
        raise ActionRefused("say exactly one of --to AGENT or --team TEAM")
    return _result(args, service(args).assign(args.id, to_agent=args.to, to_team=args.team, note=args.note or ""))


def cmd_dispose(args: argparse.Namespace) -> int:
    if not args.no_action:
        raise ActionRefused("dispose needs --no-action (replying is done with `comptoir reply`)")
    svc = service(args)
    detail = svc.detail(args.id)
    if not any(m.id == args.message for m in detail.messages):
        raise ActionRefused(f"message {args.message} is not in conversation #{args.id}")
    return _result(args, svc.dispose(args.message, args.reason))


def cmd_done(args: argparse.Namespace) -> int:
    return _result(args, service(args).done(args.id))


def cmd_reopen(args: argparse.Namespace) -> int:
    return _result(args, service(args).reopen(args.id))


def cmd_note(args: argparse.Namespace) -> int:
    return _result(args, service(args).note(args.id, args.text))


def cmd_snooze(args: argparse.Namespace) -> int:
    svc = service(args)
    return _result(args, svc.snooze(args.id, parse_moment(args.until, svc.now())))


def cmd_reply(args: argparse.Namespace) -> int:
    svc = service(args)
    body = args.body if args.body is not None else sys.stdin.read()
    d = svc.detail(args.id)
    to = args.to or list(d.reply_to)
    cc = args.cc or (list(d.reply_cc) if args.all else [])
    return _result(args, svc.reply(args.id, body, to, cc, seen_version=d.row.version, confirmed_recipients=args.yes))


def cmd_resend(args: argparse.Namespace) -> int:
    return _result(args, service(args).resend(args.message))


def cmd_why(args: argparse.Namespace) -> int:
    svc = service(args)
    why = svc.why(args.id)
    if args.json:
        emit_json(why)
        return 0
    print(f"#{why.conversation_id} {printable(why.subject)}\n\nWhy it went where it did:")
    for reason in why.reasons:
        print(f"  - {printable(reason.text)}")
    if why.ladder:
        print("\nEscalation ladder:")
        for rung in why.ladder:
            print(f"  {rung.at:%a %d %b %H:%M} UTC  {rung.visibility:<9} {printable(rung.text)}")
    if why.events:
        print("\nHistory:")
        for e in why.events:
            print(f"  {e.at:%a %d %b %H:%M} UTC  {e.actor:<10} {printable(e.text)}")
    return 0


def cmd_escalate(args: argparse.Namespace) -> int:
    from core.escalation import run_escalation

    ws = open_ws(args)
    now = parse_moment(args.at, ws.clock.now()) if args.at else ws.clock.now()
    applied = run_escalation(ws, now)
    if args.json:
        emit_json(applied)
    else:
        for step in applied:
            print(f"#{step['conversation']} {step['kind']}: {printable(step['text'])}")
        print(f"{len(applied)} escalation step(s) applied as of {now:%Y-%m-%d %H:%M} UTC")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from core.durations import parse_duration
    from core.report_text import csv_rows, text_report

    svc = service(args)
    now = svc.now()
    until = parse_moment(args.until, now) if args.until else now
    since = parse_moment(args.since, now) if args.since else None
    if args.last:
        if args.since:
            raise ComptoirError("give either --since or --last, not both")
        try:
            since = until - parse_duration(args.last)
        except ValueError as exc:
            raise ComptoirError(str(exc)) from None
    view = svc.report(since=since, until=until, team=args.team, agent=args.agent, address=args.address,
                      client=args.client, group_by=args.by)
    if args.json:
        emit_json(view)
    elif args.csv:
        import csv

        writer = csv.writer(sys.stdout, lineterminator="\n")
        for row in csv_rows(view):
            writer.writerow([_csv_cell(cell) for cell in row])
    else:
        print(text_report(view))
    return 0


def _csv_cell(value: object) -> object:
    """Text a spreadsheet would run as a formula is quoted with a leading apostrophe."""
    if isinstance(value, str):
        value = printable(value)
        if value[:1] in ("=", "+", "-", "@"):
            return "'" + value
    return value


def cmd_presence(args: argparse.Namespace) -> int:
    svc = service(args)
    until = parse_moment(args.until, svc.now()) if args.until else None
    return _result(args, svc.set_presence(args.state, until))


def cmd_alerts(args: argparse.Namespace) -> int:
    svc = service(args)
    if args.ack is not None or args.all:
        count = svc.acknowledge(None if args.all else args.ack)
        if args.json:
            emit_json({"acknowledged": count})
        else:
            print(f"{count} alert(s) acknowledged")
        return 0 if count or args.all else EXIT_REFUSED
    alerts = svc.alerts()
    if args.json:
        emit_json(alerts)
        return 0
    if not alerts:
        print("no alerts")
    for a in alerts:
        conv = f"#{a.conversation_id} " if a.conversation_id else ""
        print(f"{a.id:>6}  {a.created_at:%d %b %H:%M}  {a.kind:<10} {conv}{printable(a.text)}")
    return 0


def cmd_alert(args: argparse.Namespace) -> int:
    from core.actions import external_alert

    ws = open_ws(args)
    got = external_alert(ws, args.text, ws.clock.now(), to_agent=args.to, to_team=args.team, source=args.source,
                         conversation_id=args.conversation)
    if args.json:
        emit_json({"alerted": got})
    else:
        print(f"alerted: {', '.join(got) if got else 'nobody'}")
    return 0


def cmd_route(args: argparse.Namespace) -> int:
    from core.ingest import reroute_preview

    if not args.dry_run:
        raise ActionRefused("only `comptoir route --dry-run` exists: rules apply to new mail once the config changes")
    ws = open_ws(args)
    since = parse_moment(args.since, ws.clock.now()) if args.since else None
    changes = reroute_preview(ws, since, ws.clock.now())
    if args.json:
        emit_json(changes)
        return 0
    for c in changes:
        before = c["now"]["agent"] or c["now"]["team"] or "everyone"
        after = c["would"]["agent"] or c["would"]["team"] or "everyone"
        print(f"#{c['conversation']} message {c['message']}: {before} -> {after}  ({printable(c['subject'])[:60]})")
        for reason in c["reasons"]:
            print(f"    {printable(reason)}")
    print(f"{len(changes)} message(s) would route differently under the current rules (nothing was changed)")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from core.importer import import_contacts, import_ratings

    ws = open_ws(args)
    path = Path(args.file)
    count = import_contacts(ws, path) if args.kind == "contacts" else import_ratings(ws, path)
    print(f"imported {count} {args.kind} from {path}")
    return 0


def cmd_account_add(args: argparse.Namespace) -> int:
    from core.accounts import add_account

    ws = open_ws(args)
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif sys.stdin.isatty():
        password = getpass.getpass(f"Password for {args.name}: ")
    else:
        raise ActionRefused("give the password with --password-stdin, or run interactively to be asked")
    fields = {k: getattr(args, k) for k in ("address", "username", "imap_host", "imap_port", "imap_tls",
                                             "smtp_host", "smtp_port", "smtp_tls", "cafile")}
    if sys.stdin.isatty() and not args.password_stdin:
        for key, value in list(fields.items()):
            if value is None and key != "cafile":
                fields[key] = input(f"{key.replace('_', ' ')}: ").strip() or None
    add_account(ws, args.name, password=password, **fields)
    print(f"account {args.name} added to {ws.config_path}; its password is in the keyring")
    return 0


def cmd_sync(args: argparse.Namespace) -> int:
    from core.syncer import run_syncer

    ws = open_ws(args)
    return run_syncer(ws, once=args.once)


# -- parser -----------------------------------------------------------------------------------
def build_parser(extra: dict[str, tuple[Callable, Callable]] | None = None) -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--workspace", "-W", metavar="DIR", default=argparse.SUPPRESS,
                        help="workspace folder (default: $COMPTOIR_WORKSPACE, else your data dir)")
    common.add_argument("--as", dest="as_agent", metavar="AGENT", default=argparse.SUPPRESS,
                        help="act as another agent (demo workspaces and supervisors only)")
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="machine-readable output")

    parser = argparse.ArgumentParser(prog="comptoir", parents=[common],
                                     description="A shared team inbox for the terminal. Without a command, opens the app.")
    parser.add_argument("--version", action="version", version=f"comptoir {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def add(name: str, func: Callable, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, parents=[common], help=help_text, description=help_text)
        p.set_defaults(func=func)
        return p

    p = add("init", cmd_init, "create a workspace")
    p.add_argument("dir", nargs="?", help="where (default: --workspace, $COMPTOIR_WORKSPACE or your data dir)")
    p.add_argument("--group", help="share with this Unix group: folder 2770, files 0660")
    p = add("doctor", cmd_doctor, "check config, database, permissions, keyring and servers")
    p.add_argument("--offline", action="store_true", help="do not try to reach the mail servers")

    p = add("queue", cmd_queue, "list a queue (default: my work)")
    g = p.add_mutually_exclusive_group()
    for flag in QUEUE_FLAGS:
        g.add_argument(f"--{flag}", action="store_true")
    g.add_argument("--team", metavar="TEAM")
    p.add_argument("--search", metavar="WORDS", help="full-text search instead of a queue")
    p.add_argument("--limit", type=int, default=50)

    for name, func, text in (("show", cmd_show, "show a conversation"), ("claim", cmd_claim, "claim a conversation"),
                             ("release", cmd_release, "give a conversation back to its team"),
                             ("done", cmd_done, "close a conversation (every message must be worked out)"),
                             ("reopen", cmd_reopen, "reopen a conversation"), ("why", cmd_why, "why it went where it did, and its escalation ladder")):
        add(name, func, text).add_argument("id", type=int)
    p = add("assign", cmd_assign, "take a conversation back and hand it to an agent or a team")
    p.add_argument("id", type=int)
    p.add_argument("--to", metavar="AGENT")
    p.add_argument("--team", metavar="TEAM")
    p.add_argument("--note")
    p = add("dispose", cmd_dispose, "mark an inbound message 'no action needed'")
    p.add_argument("id", type=int)
    p.add_argument("message", type=int)
    p.add_argument("--no-action", action="store_true", required=True)
    p.add_argument("--reason", required=True)
    p = add("note", cmd_note, "add an internal note (@login alerts that agent)")
    p.add_argument("id", type=int)
    p.add_argument("text")
    p = add("snooze", cmd_snooze, "snooze until a time (ISO) or for a duration (2h, 3d)")
    p.add_argument("id", type=int)
    p.add_argument("until")
    p = add("reply", cmd_reply, "queue a reply (body from --body or standard input)")
    p.add_argument("id", type=int)
    p.add_argument("--body")
    p.add_argument("--to", action="append")
    p.add_argument("--cc", action="append")
    p.add_argument("--all", action="store_true", help="reply to all (the customer and the others on the last mail)")
    p.add_argument("--yes", action="store_true", help="confirm more recipients than the limit")
    p = add("resend", cmd_resend, "queue a failed reply again (see `comptoir show ID` for its message number)")
    p.add_argument("message", type=int)
    p = add("escalate", cmd_escalate, "run one escalation pass (the syncer does it every 30 s)")
    p.add_argument("--at", metavar="ISO-TIME", help="as of this time instead of now")
    p = add("report", cmd_report, "response times, backlog, volume, escalations and more for a period (docs/reports.md)")
    p.add_argument("--since", metavar="DATE", help="start: an ISO date/time, or a duration back from now (-30d)")
    p.add_argument("--until", metavar="DATE", help="end (default: now)")
    p.add_argument("--last", metavar="DURATION", help="the period ending at --until, e.g. 30d, 7d, 24h (default 30d)")
    p.add_argument("--team", metavar="TEAM")
    p.add_argument("--agent", metavar="AGENT", help="conversations this agent owns")
    p.add_argument("--address", metavar="ADDRESS", help="the team address the customer wrote to")
    p.add_argument("--client", metavar="ADDRESS|@DOMAIN", help="one customer address, or every address of a domain")
    p.add_argument("--by", choices=["day", "week", "agent", "team", "address"], help="group the headline figures")
    p.add_argument("--csv", action="store_true", help="section,key,metric,value rows for spreadsheets")
    p = add("presence", cmd_presence, "set your presence")
    p.add_argument("state", choices=["available", "away", "vacation"])
    p.add_argument("--until", metavar="DATE")
    p = add("alerts", cmd_alerts, "list your alerts, or acknowledge them")
    p.add_argument("--ack", type=int, metavar="ID")
    p.add_argument("--all", action="store_true", help="acknowledge all")
    p = add("alert", cmd_alert, "raise an alert for an agent or a team (for other tools)")
    p.add_argument("text")
    p.add_argument("--to", metavar="AGENT")
    p.add_argument("--team", metavar="TEAM")
    p.add_argument("--source", default="cli", help="name of the tool raising it")
    p.add_argument("--conversation", type=int)
    p = add("route", cmd_route, "replay the current rules over past messages")
    p.add_argument("--dry-run", action="store_true")
    p.add_argument("--since", metavar="DATE")
    p = add("import", cmd_import, "import contacts (address,name,audiences) or ratings (address,agent,score,date) from CSV")
    p.add_argument("kind", choices=["contacts", "ratings"])
    p.add_argument("file")
    p = add("account", cmd_account_add, "add a mail account (password to the keyring)")
    p.add_argument("action", choices=["add"])
    p.add_argument("name")
    p.add_argument("--address")
    p.add_argument("--username")
    p.add_argument("--imap-host")
    p.add_argument("--imap-port", type=int)
    p.add_argument("--imap-tls", choices=["tls", "starttls", "plain"])
    p.add_argument("--smtp-host")
    p.add_argument("--smtp-port", type=int)
    p.add_argument("--smtp-tls", choices=["tls", "starttls", "plain"])
    p.add_argument("--cafile")
    p.add_argument("--password-stdin", action="store_true")
    p = add("sync", cmd_sync, "run the syncer: mail, outbox, escalation (holds the workspace lock)")
    p.add_argument("--once", action="store_true", help="one pass, then exit")
    for name, (func, configure) in (extra or {}).items():
        configure(add(name, func, (func.__doc__ or name).strip().splitlines()[0]))
    return parser


def normalize_args(args: argparse.Namespace) -> argparse.Namespace:
    for name, default in (("workspace", None), ("as_agent", None), ("json", False)):
        if not hasattr(args, name):
            setattr(args, name, default)
    return args


def run(argv: Sequence[str] | None = None, extra: dict[str, Callable] | None = None) -> int:
    """Parse and run; `extra` adds front-end commands (the TUI's `open` and `demo`)."""
    parser = build_parser(extra)
    try:
        args = normalize_args(parser.parse_args(argv))
    except SystemExit as exc:
        return int(exc.code or 0)
    if os.environ.get("COMPTOIR_DEBUG"):
        logging.basicConfig(level=logging.DEBUG)
    func = getattr(args, "func", None)
    if func is None and extra and "open" in extra:
        func = extra["open"][0]
        args = normalize_args(parser.parse_args([*(argv or []), "open"]))
    if func is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        return func(args)
    except ComptoirError as exc:
        print(f"comptoir: {exc}", file=sys.stderr)
        return EXIT_REFUSED if isinstance(exc, ActionRefused) else EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - the last line of defence: one sentence, no traceback
        if os.environ.get("COMPTOIR_DEBUG"):
            raise
        print(f"comptoir: internal error ({type(exc).__name__}). Run again with COMPTOIR_DEBUG=1 for details.", file=sys.stderr)
        return EXIT_ERROR


def main(argv: Sequence[str] | None = None) -> int:
    return run(argv)
