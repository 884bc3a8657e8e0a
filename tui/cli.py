"""The command line: a second front end over the same core services. Listing commands take --json.

Every user-facing failure is a ComptoirError printed as one paragraph; no tracebacks. The exit codes
are listed once, in EXIT_CODES, for `--help` and the README.
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, is_dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from core import __version__
from core.errors import ActionRefused, ComptoirError, UnknownName
from core.textsafe import printable
from core.work.alert_kinds import counts_in_words, kind_words
from tui.formatting import plural

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_USAGE = 2
EXIT_ERROR = 3
EXIT_STORAGE = 4
"""The disk (or PostgreSQL's) refused a write: full, over quota, read-only or failing; the message names the path."""
EXIT_INTERRUPTED = 130

EXIT_CODES = (
    (EXIT_OK, "done (also when the reader of the output stops early, as `comptoir queue | head` does)"),
    (
        EXIT_REFUSED,
        "refused: the rules said no (claimed by someone else, nothing to acknowledge, a failing doctor check)",
    ),
    (EXIT_USAGE, "usage: a bad argument, or an unknown team or agent (the message lists the valid names)"),
    (EXIT_ERROR, "error: the workspace, its config, its server or its database cannot be used, or an internal error"),
    (
        EXIT_STORAGE,
        "storage: the disk (or PostgreSQL's) refused a write: full, over quota, read-only or failing; "
        "the message names the path and its free space",
    ),
    (EXIT_INTERRUPTED, "interrupted with Ctrl-C"),
)
"""Every exit code of `comptoir`, with its meaning: the `--help` epilog and the README's table."""

QUEUE_LIMIT = 50
"""Rows `comptoir queue` prints unless --limit says otherwise."""

_DURATION_ARGUMENT = re.compile(r"^-\d")
_TAG_CHANGE = re.compile(r"^-[a-z0-9][a-z0-9_-]*$")
"""`comptoir tag 12 -billing`: "-billing" removes a tag; no option of that command is lower case."""
"""A value such as "-2h" is an argument, not an option (argparse only knows "-2"): no option starts with a digit."""


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


def exit_codes_text() -> str:
    return "exit codes:\n" + "\n".join(f"  {code:<4} {meaning}" for code, meaning in EXIT_CODES)


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
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


# -- opening a workspace ----------------------------------------------------------------------
def open_ws(args: argparse.Namespace):
    from core.workspace.folder import open_workspace

    return open_workspace(args.workspace)


def service(args: argparse.Namespace):
    """The workspace's server, as this Unix user (started first when none runs and this user owns
    the workspace): every agent command goes through it."""
    from core.server.client import RemoteComptoir
    from core.workspace.locations import find_workspace_dir

    return RemoteComptoir(find_workspace_dir(args.workspace), args.as_agent, client="cli")


def _result(args: argparse.Namespace, result, svc=None) -> int:
    if args.json:
        emit_json(result)
    else:
        print(local_text(args, svc, result.message) if svc is not None else printable(result.message))
    return 0 if result.ok else EXIT_REFUSED


# -- times: one zone per user, --utc for scripts -------------------------------------------------
def user_zone(args: argparse.Namespace, svc) -> ZoneInfo:
    """UTC with --utc, else the user's zone as the app shows it (core.workspace.preferences.user_timezone)."""
    from core.workspace.preferences import user_timezone

    return ZoneInfo("UTC") if args.utc else ZoneInfo(user_timezone(svc.config, svc.agent))


def shown_time(args: argparse.Namespace, svc, moment: datetime | None) -> str:
    """A moment in the one format of the app ('Mon 02 Mar 14:05 CET'), in the user's zone."""
    from tui.formatting import full_time

    return full_time(moment, user_zone(args, svc), svc.now())


def local_text(args: argparse.Namespace, svc, text: str) -> str:
    """A text from core (reason, event, alert, result) with its instants in the user's zone and format."""
    from tui.formatting import localize

    return localize(printable(text), user_zone(args, svc), svc.now())


# -- commands ---------------------------------------------------------------------------------
def cmd_init(args: argparse.Namespace) -> int:
    from core.workspace.folder import init_workspace
    from core.workspace.locations import find_workspace_dir

    path = find_workspace_dir(args.dir or args.workspace)
    init_workspace(path, group=args.group)
    shared = (
        f", shared with group {args.group} (folder 2750, config 0640; only the server reads the database)"
        if args.group
        else " (private to you)"
    )
    print(f"Workspace created at {path}{shared}.\nEdit {path / 'comptoir.toml'}, then run `comptoir doctor`.")
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    from core.workspace.doctor import run_doctor

    checks = run_doctor(args.workspace, check_servers=not args.offline)
    if args.json:
        emit_json(checks)
    else:
        for check in checks:
            print(f"[{check.label}] {check.name}: {check.detail}")
    return 0 if all(c.ok for c in checks) else EXIT_REFUSED


QUEUE_FLAGS = {
    "mine": "mine",
    "everyone": "everyone",
    "unclaimed": "everyone",
    "waiting": "waiting",
    "snoozed": "snoozed",
    "done": "done",
    "exclusive": "exclusive",
}


def cmd_queue(args: argparse.Namespace) -> int:
    if args.limit < 1 or args.offset < 0:
        raise UnknownName("--limit must be 1 or more and --offset 0 or more")
    svc = service(args)
    if args.team:
        svc.config.require_team(args.team)
    queue = (
        f"team:{args.team}"
        if args.team
        else next((QUEUE_FLAGS[f] for f in QUEUE_FLAGS if getattr(args, f, False)), "mine")
    )
    if args.search:
        queue = "search"
    return print_queue(args, svc, queue, args.search)


def cmd_search(args: argparse.Namespace) -> int:
    """Search every conversation you may read: free words and operators (docs/search.md)."""
    if args.limit < 1 or args.offset < 0:
        raise UnknownName("--limit must be 1 or more and --offset 0 or more")
    search = " ".join(args.words).strip()
    if not search:
        raise UnknownName("say what to search for, e.g. comptoir search tag:billing is:unclaimed refund")
    return print_queue(args, service(args), "search", search)


def print_queue(args: argparse.Namespace, svc, queue: str, search: str | None) -> int:
    ids = svc.queue_ids(queue, search)
    rows = svc.rows(ids[args.offset : args.offset + args.limit])
    if args.json:
        emit_json({"total": len(ids), "offset": args.offset, "limit": args.limit, "rows": rows})
        return 0
    now = svc.now()
    if not ids:
        print(f"(queue {queue} is empty)")
    elif not rows:
        print(f"(queue {queue} has {plural(len(ids), 'conversation')}; none at --offset {args.offset})")
    for r in rows:
        lock = "L" if r.confidential else " "
        shared = "S" if r.shared_reply else " "
        tags = "".join(f" [{tag}]" for tag in r.tags)
        print(
            f"#{r.id:<6} {_when(r.deadline, now):>7} {r.state:<8} {(r.owner or '-'):<8} {lock}{shared} "
            f"{printable(r.customer_address)[:28]:<28} {printable(r.subject)[:70]}{tags}"
        )
    if rows and len(rows) < len(ids):
        first, last = args.offset + 1, args.offset + len(rows)
        more = f"; --offset {last} for the next page" if last < len(ids) else ""
        print(f"(conversations {first}-{last} of {len(ids)}{more})")
    return 0


def cmd_tag(args: argparse.Namespace) -> int:
    """Add (+NAME) and remove (-NAME) shared tags on a conversation; without changes, list the tags."""
    svc = service(args)
    if not args.changes:
        if args.json:
            emit_json(
                {"tags": [{"name": t.name, "colour": t.colour, "description": t.description} for t in svc.config.tags]}
            )
        else:
            for t in svc.config.tags:
                print(f"{t.name:<16} {t.colour:<8} {printable(t.description)}")
            if not svc.config.tags:
                print("(no tags: an admin adds them to comptoir.toml as [[tags]] with name and colour)")
        return 0
    add, remove = [], []
    for change in args.changes:
        if change[:1] == "+" and len(change) > 1:
            add.append(change[1:])
        elif change[:1] == "-" and len(change) > 1:
            remove.append(change[1:])
        else:
            raise UnknownName(
                f"{change!r}: write +NAME to add a tag and -NAME to remove one "
                f"(e.g. comptoir tag {args.id} +billing -vip)"
            )
    return _result(args, svc.set_tags(args.id, add, remove))


def cmd_show(args: argparse.Namespace) -> int:
    svc = service(args)
    d = svc.detail(args.id)
    if args.json:
        emit_json(d)
        return 0
    r = d.row
    now = svc.now()
    print(f"#{r.id} {printable(r.subject)}")
    print(
        f"  customer {printable(r.customer_name)} <{printable(r.customer_address)}>  team {r.team or '-'}  "
        f"owner {r.owner or '-'}  state {r.state}  {_visible_to(r)}  deadline {_when(r.deadline, now)}"
        + ("  CONFIDENTIAL" if r.confidential else "")
    )
    if d.hidden:
        print(
            "  (content withheld: only its owner, its team and supervisors can read a confidential conversation;"
            " only the addressed agent and supervisors personal mail inside its exclusive window)"
        )
        return 0
    for m in d.messages:
        head = {"inbound": "<<", "outbound": ">>", "note": "##"}[m.direction]
        who = (
            f"{printable(m.from_name)} <{printable(m.from_addr)}>" if m.direction != "note" else printable(m.from_name)
        )
        status = ""
        if m.direction == "inbound":
            status = (
                f"[{m.disposition.replace('_', ' ')}"
                + (f": {printable(m.disposition_reason or '')}" if m.disposition_reason else "")
                + "]"
            )
        elif m.outbox_state:
            status = (
                f"[{m.outbox_state}"
                + (f": {printable(m.outbox_answer or '')}" if m.outbox_state == "failed" else "")
                + "]"
            )
        print(f"\n{head} message {m.id}  {shown_time(args, svc, m.received_at)}  {who} {status}")
        if m.bcc:
            print(f"   bcc {printable(', '.join(m.bcc))}")
        for att in m.attachments:
            print(f"   attachment {att.id}: {printable(att.filename)} ({att.content_type}, {att.size} bytes)")
        for line in printable(m.text, keep_newlines=True).splitlines()[:200]:
            print(f"   {line}")
    return 0


def _visible_to(row) -> str:
    """Who sees the conversation now, in words: its visibility names a stage, not a person."""
    if row.visibility == "personal":
        return f"visible to {row.exclusive_agent or row.owner or 'its agent'} only"
    if row.visibility == "team":
        return f"visible to team {row.team}" if row.team else "visible to its team"
    return f"visible to {row.visibility}"


def cmd_claim(args: argparse.Namespace) -> int:
    svc = service(args)
    return _result(args, svc.claim(args.id), svc)


def cmd_release(args: argparse.Namespace) -> int:
    svc = service(args)
    return _result(args, svc.release(args.id), svc)


def cmd_assign(args: argparse.Namespace) -> int:
    if bool(args.to) == bool(args.team):
        raise ActionRefused("say exactly one of --to AGENT or --team TEAM")
    svc = service(args)
    _require_names(svc.config, agent=args.to, team=args.team)
    return _result(args, svc.assign(args.id, to_agent=args.to, to_team=args.team, note=args.note or ""), svc)


def _require_names(config, agent: str | None = None, team: str | None = None) -> None:
    """Unknown names are usage errors that list the valid ones."""
    if agent:
        config.require_agent(agent)
    if team:
        config.require_team(team)


def cmd_dispose(args: argparse.Namespace) -> int:
    if not args.no_action:
        raise ActionRefused("dispose needs --no-action (replying is done with `comptoir reply`)")
    svc = service(args)
    detail = svc.detail(args.id)
    if not any(m.id == args.message for m in detail.messages):
        raise ActionRefused(f"message {args.message} is not in conversation #{args.id}")
    return _result(args, svc.dispose(args.message, args.reason), svc)


def cmd_done(args: argparse.Namespace) -> int:
    svc = service(args)
    return _result(args, svc.done(args.id), svc)


def cmd_reopen(args: argparse.Namespace) -> int:
    svc = service(args)
    return _result(args, svc.reopen(args.id), svc)


def cmd_note(args: argparse.Namespace) -> int:
    svc = service(args)
    return _result(args, svc.note(args.id, args.text), svc)


def cmd_snooze(args: argparse.Namespace) -> int:
    if args.until.startswith("-"):
        raise ActionRefused(
            f"snooze needs a time in the future, and {args.until} is in the past; "
            f"say {args.until.lstrip('-')} to snooze that long from now"
        )
    svc = service(args)
    return _result(args, svc.snooze(args.id, parse_moment(args.until, svc.now())), svc)


def cmd_reply(args: argparse.Namespace) -> int:
    svc = service(args)
    body = args.body if args.body is not None else sys.stdin.read()
    d = svc.detail(args.id)
    if d.hidden:
        raise ActionRefused(f"#{args.id} is not yours to read, so not yours to answer (see `comptoir show {args.id}`)")
    to = args.to or list(d.reply_to)
    cc = args.cc or (list(d.reply_cc) if args.all else [])
    # Files are read here, with this user's own permissions, and travel to the server in the request.
    files = svc.read_attachments(args.attach) if args.attach else []
    result = svc.reply(
        args.id,
        body,
        to,
        cc,
        seen_version=d.row.version,
        confirmed_recipients=args.yes,
        send_now=args.now,
        subject=args.subject,
        bcc=args.bcc or [],
        attachments=files,
    )
    code = _result(args, result, svc)
    delay = svc.config.workspace.send_delay
    if result.ok and result.undo is not None and not args.now and delay and not args.json:
        print(f"To cancel it within {delay} s: comptoir undo {result.undo}")
    return code


def cmd_undo(args: argparse.Namespace) -> int:
    svc = service(args)
    return _result(args, svc.undo(args.action), svc)


def cmd_resend(args: argparse.Namespace) -> int:
    """Look in the Sent folder first; then resend only once the user confirms (or --yes)."""
    svc = service(args)
    check = svc.verify_delivery(args.message)
    if check.found_in_sent:
        if args.json:
            emit_json(check)
        else:
            print(f"message #{args.message}: already delivered ({printable(check.detail)}), not resent")
        return 0
    if check.state == "failed":
        where = printable(check.detail)
        if not check.checked:
            print(f"comptoir: {where}", file=sys.stderr)
        if not args.yes:
            warning = (
                f"message #{args.message} ({where}) may still have reached "
                f"{printable(', '.join(check.recipients))}; resending can deliver a second copy."
            )
            if not sys.stdin.isatty():
                print(
                    f"comptoir: {warning} Check with the recipient, then run again with --yes to resend.",
                    file=sys.stderr,
                )
                return EXIT_REFUSED
            if input(f"{warning}\nResend it now? [y/N] ").strip().lower() not in ("y", "yes"):
                print("not resent")
                return EXIT_REFUSED
    return _result(args, svc.resend(args.message), svc)


def cmd_why(args: argparse.Namespace) -> int:
    svc = service(args)
    why = svc.why(args.id)
    if args.json:
        emit_json(why)
        return 0
    print(f"#{why.conversation_id} {printable(why.subject)}\n\nWhy it went where it did:")
    for reason in why.reasons:
        print(f"  - {local_text(args, svc, reason.text)}")
    if why.ladder:
        print("\nEscalation ladder:")
        for rung in why.ladder:
            print(f"  {shown_time(args, svc, rung.at)}  {rung.visibility:<9} {local_text(args, svc, rung.text)}")
    if why.events:
        print("\nHistory:")
        for e in why.events:
            undo = f"  [event {e.id}: {e.undo} with `comptoir {e.kind} --undo {e.id}`]" if e.undo else ""
            print(f"  {shown_time(args, svc, e.at)}  {e.actor:<10} {local_text(args, svc, e.text)}{undo}")
    return 0


def cmd_escalate(args: argparse.Namespace) -> int:
    svc = service(args)
    now = parse_moment(args.at, svc.now()) if args.at else svc.now()
    applied = svc.escalate(now if args.at else None)
    if args.json:
        emit_json(applied)
    else:
        for step in applied:
            print(f"#{step['conversation']} {step['kind']}: {local_text(args, svc, step['text'])}")
        print(f"{plural(len(applied), 'escalation step')} applied as of {shown_time(args, svc, now)}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from core.durations import parse_duration
    from core.work.report_text import csv_rows, text_report

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
    view = svc.report(
        since=since,
        until=until,
        team=args.team,
        agent=args.agent,
        address=args.address,
        client=args.client,
        group_by=args.by,
        timezone=user_zone(args, svc).key,
    )
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
    return _result(args, svc.set_presence(args.state, until), svc)


def cmd_alerts(args: argparse.Namespace) -> int:
    svc = service(args)
    if args.ack is not None or args.all:
        count = svc.acknowledge(None if args.all else args.ack)
        if not count and not args.all:
            waiting = ", ".join(str(a.id) for a in svc.alerts()) or "none"
            raise ActionRefused(
                f"you have no unacknowledged alert {args.ack}: it does not exist, is someone else's, "
                f"or was acknowledged already (yours waiting: {waiting}; `comptoir alerts` lists them)"
            )
        if args.json:
            emit_json({"acknowledged": count})
        else:
            print(f"{plural(count, 'alert')} acknowledged")
        return 0
    alerts = svc.alerts()
    if args.json:
        emit_json(alerts)
        return 0
    if not alerts:
        print("no alerts")
    else:
        print(", ".join(counts_in_words(a.kind for a in alerts)))
    for a in alerts:
        conv = f"#{a.conversation_id} " if a.conversation_id else ""
        print(
            f"{a.id:>6}  {shown_time(args, svc, a.created_at)}  {kind_words(a.kind):<17} {conv}{local_text(args, svc, a.text)}"
        )
    return 0


def cmd_alert(args: argparse.Namespace) -> int:
    if bool(args.to) == bool(args.team):
        raise ActionRefused("alert exactly one of --to AGENT or --team TEAM")
    svc = service(args)
    _require_names(svc.config, agent=args.to, team=args.team)
    got = svc.raise_alert(
        args.text, to_agent=args.to, to_team=args.team, source=args.source, conversation_id=args.conversation
    )
    if args.json:
        emit_json({"alerted": got})
    else:
        print(f"alerted: {', '.join(got) if got else 'nobody'}")
    return 0


def cmd_route(args: argparse.Namespace) -> int:
    from core.work.reroute import reroute_preview

    if not args.dry_run:
        raise ActionRefused("only `comptoir route --dry-run` exists: rules apply to new mail once the config changes")
    from core.work.access import Reader
    from core.workspace.identity import resolve_agent

    # An admin tool: it reads the database itself, so it runs as the workspace's owner, and shows
    # only what the agent it runs as may read.
    ws = open_ws(args)
    agent = resolve_agent(ws, args.as_agent)
    since = parse_moment(args.since, ws.clock.now()) if args.since else None
    changes = reroute_preview(ws, since, ws.clock.now(), reader=Reader.of(ws.config, agent))
    if args.json:
        emit_json(changes)
        return 0
    for c in changes:
        before = c["now"]["agent"] or c["now"]["team"] or "everyone"
        after = c["would"]["agent"] or c["would"]["team"] or "everyone"
        print(f"#{c['conversation']} message {c['message']}: {before} -> {after}  ({printable(c['subject'])[:60]})")
        for reason in c["reasons"]:
            print(f"    {printable(reason)}")
    print(f"{plural(len(changes), 'message')} would route differently under the current rules (nothing was changed)")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from core.work.importer import import_contacts, import_ratings

    ws = open_ws(args)
    path = Path(args.file)
    count = import_contacts(ws, path) if args.kind == "contacts" else import_ratings(ws, path)
    print(f"imported {count} {args.kind} from {path}")
    return 0


def cmd_account_add(args: argparse.Namespace) -> int:
    from core.workspace.accounts import add_account

    ws = open_ws(args)
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif sys.stdin.isatty():
        password = getpass.getpass(f"Password for {args.name}: ")
    else:
        raise ActionRefused("give the password with --password-stdin, or run interactively to be asked")
    fields = {
        k: getattr(args, k)
        for k in (
            "address",
            "username",
            "imap_host",
            "imap_port",
            "imap_tls",
            "smtp_host",
            "smtp_port",
            "smtp_tls",
            "cafile",
        )
    }
    if sys.stdin.isatty() and not args.password_stdin:
        for key, value in list(fields.items()):
            if value is None and key != "cafile":
                fields[key] = input(f"{key.replace('_', ' ')}: ").strip() or None
    from datetime import datetime

    from core.workspace.accounts import describe_survey, survey_account
    from core.workspace.config import load_config

    history_before = parse_moment(args.history_before, datetime.now(UTC)) if args.history_before else None
    add_account(ws, args.name, password=password, added=datetime.now(UTC), history_before=history_before, **fields)
    print(f"account {args.name} added to {ws.config_path}; its password is in the keyring")
    account = next(a for a in load_config(ws.config_path).accounts if a.name == args.name)
    cutover = account.cutover(datetime.now(UTC))
    for line in describe_survey(args.name, cutover, survey_account(account, password, cutover)):
        print(printable(line))
    print("`comptoir sync` imports it, and logs its progress batch by batch.")
    return 0


def cmd_server(args: argparse.Namespace) -> int:
    from core.server.client import RemoteComptoir, ServerUnavailable, start_server
    from core.server.run import main as run_server
    from core.server.server import server_pid
    from core.workspace.locations import find_workspace_dir

    path = find_workspace_dir(args.workspace)
    if args.action == "run":
        argv = ["--workspace", str(path)] + (["--no-sync"] if args.no_sync else [])
        return run_server(argv)
    pid = server_pid(path)
    if args.action == "status":
        if pid is None:
            print(f"no server runs for {path}")
            return EXIT_REFUSED
        svc = RemoteComptoir(path, args.as_agent, client="cli", autostart=False)
        duties = svc.health()
        if args.json:
            emit_json({"pid": pid, "workspace": str(path), "duties": duties})
            return 0
        print(f"server pid {pid} serves {path}")
        for duty in duties:
            state = (
                "ok" if duty.ok else f"FAILING ({duty.failures}x since {duty.since:%Y-%m-%d %H:%M} UTC): {duty.error}"
            )
            print(f"  {duty.name}: {printable(state)}")
        return 0 if all(d.ok for d in duties) else EXIT_REFUSED
    if args.action == "start":
        if pid is not None:
            print(f"a server already runs for {path} (pid {pid})")
            return 0
        print(
            f"server started for {path} (pid {start_server(path, idle_exit=None if not args.idle_exit else args.idle_exit)})"
        )
        return 0
    if pid is None:
        print(f"no server runs for {path}")
        return 0
    import signal
    import time

    try:
        os.kill(pid, signal.SIGTERM)
    except PermissionError:
        raise ServerUnavailable(
            f"the server (pid {pid}) belongs to another account: stop it as that account "
            "(or `systemctl stop comptoir-server`)"
        ) from None
    except ProcessLookupError:
        return 0
    for _ in range(100):
        if server_pid(path) is None:
            print(f"server {pid} stopped")
            return 0
        time.sleep(0.1)
    print(f"server {pid} did not stop within 10 s", file=sys.stderr)
    return EXIT_ERROR


def cmd_sync(args: argparse.Namespace) -> int:
    from core.mail.syncer import run_syncer

    ws = open_ws(args)
    return run_syncer(ws, once=args.once)


# -- parser -----------------------------------------------------------------------------------
def build_parser(extra: dict[str, tuple[Callable, Callable | None]] | None = None) -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--workspace",
        "-W",
        metavar="DIR",
        default=argparse.SUPPRESS,
        help="workspace folder (default: $COMPTOIR_WORKSPACE, else your data dir)",
    )
    common.add_argument(
        "--as",
        dest="as_agent",
        metavar="AGENT",
        default=argparse.SUPPRESS,
        help="act as another agent (demo workspaces and supervisors only)",
    )
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="machine-readable output")
    common.add_argument(
        "--utc",
        action="store_true",
        default=argparse.SUPPRESS,
        help="show times in UTC (for scripts); default: your zone (preferences.toml timezone, "
        "your [[agents]] timezone, $TZ, else the workspace's)",
    )

    parser = argparse.ArgumentParser(
        prog="comptoir",
        parents=[common],
        description="A shared team inbox for the terminal. Without a command, opens the app.",
        epilog=exit_codes_text(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser._negative_number_matcher = _DURATION_ARGUMENT
    parser.add_argument("--version", action="version", version=f"comptoir {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def add(name: str, func: Callable, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(
            name,
            parents=[common],
            help=help_text,
            description=help_text,
            epilog=exit_codes_text(),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        p.set_defaults(func=func)
        return p

    p = add("init", cmd_init, "create a workspace")
    p.add_argument("dir", nargs="?", help="where (default: --workspace, $COMPTOIR_WORKSPACE or your data dir)")
    p.add_argument(
        "--group", help="share with this Unix group: members enter the folder, read the config and use the server"
    )
    p = add("doctor", cmd_doctor, "check config, database, permissions, keyring and servers")
    p.add_argument("--offline", action="store_true", help="do not try to reach the mail servers")

    p = add("queue", cmd_queue, "list a queue (default: my work)")
    g = p.add_mutually_exclusive_group()
    for flag in QUEUE_FLAGS:
        g.add_argument(f"--{flag}", action="store_true")
    g.add_argument("--team", metavar="TEAM")
    p.add_argument(
        "--search",
        metavar="SEARCH",
        help="search instead of a queue: words and operators "
        "(from: to: team: owner: tag: is: before: after:; see docs/search.md)",
    )
    p.add_argument(
        "--limit",
        type=int,
        default=QUEUE_LIMIT,
        metavar="N",
        help=f"show at most N conversations (default {QUEUE_LIMIT}); the text output says when there are more",
    )
    p.add_argument(
        "--offset",
        type=int,
        default=0,
        metavar="N",
        help="skip the first N conversations, to page on (with --json the object carries the total)",
    )

    p = add(
        "search",
        cmd_search,
        "search every conversation you may read: words and operators such as "
        "from:ADDRESS tag:NAME is:unclaimed after:7d (docs/search.md)",
    )
    p.add_argument("words", nargs="+", metavar="WORD")
    p.add_argument(
        "--limit", type=int, default=QUEUE_LIMIT, metavar="N", help=f"show at most N (default {QUEUE_LIMIT})"
    )
    p.add_argument("--offset", type=int, default=0, metavar="N", help="skip the first N, to page on")
    p = add(
        "tag",
        cmd_tag,
        "add (+NAME) or remove (-NAME) shared tags on a conversation; `comptoir tag` alone lists the tags",
    )
    p._negative_number_matcher = _TAG_CHANGE
    p.add_argument("id", type=int, nargs="?")
    p.add_argument("changes", nargs="*", metavar="+TAG|-TAG")

    for name, func, text in (
        ("show", cmd_show, "show a conversation"),
        ("claim", cmd_claim, "claim a conversation"),
        ("release", cmd_release, "give a conversation back to its team"),
        ("done", cmd_done, "close a conversation (every message must be worked out)"),
        ("reopen", cmd_reopen, "reopen a conversation"),
        ("why", cmd_why, "why it went where it did, and its escalation ladder"),
    ):
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
    p._negative_number_matcher = _DURATION_ARGUMENT
    p.add_argument("id", type=int)
    p.add_argument("until")
    p = add("reply", cmd_reply, "queue a reply (body from --body or standard input)")
    p.add_argument("id", type=int)
    p.add_argument("--body")
    p.add_argument("--to", action="append")
    p.add_argument("--cc", action="append")
    p.add_argument("--bcc", action="append", help="blind copy: in the envelope, never in a header")
    p.add_argument("--subject", help="instead of Re: and the conversation's subject")
    p.add_argument("--attach", action="append", metavar="PATH", help="attach a file (repeat for more)")
    p.add_argument("--all", action="store_true", help="reply to all (the customer and the others on the last mail)")
    p.add_argument("--yes", action="store_true", help="confirm more recipients than the limit")
    p.add_argument(
        "--now",
        action="store_true",
        help="send at once, skipping the workspace's send_delay (during which `comptoir undo` cancels it)",
    )
    p = add(
        "undo",
        cmd_undo,
        "undo one of your actions by the number it printed: within 10 s, or a reply until its send_delay is over",
    )
    p.add_argument("action", type=int, metavar="ACTION")
    p = add(
        "resend",
        cmd_resend,
        "send a failed reply again, unless it is found in the Sent folder "
        "(see `comptoir show ID` for its message number)",
    )
    p.add_argument("message", type=int)
    p.add_argument("--yes", action="store_true", help="resend without asking (after checking with the recipient)")
    p = add("escalate", cmd_escalate, "run one escalation pass (the syncer does it every 30 s)")
    p.add_argument("--at", metavar="ISO-TIME", help="as of this time instead of now")
    p = add(
        "report", cmd_report, "response times, backlog, volume, escalations and more for a period (docs/reports.md)"
    )
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
    p = add(
        "import", cmd_import, "import contacts (address,name,audiences) or ratings (address,agent,score,date) from CSV"
    )
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
    p.add_argument(
        "--history-before",
        metavar="ISO-TIME",
        help="mail that arrived before this is imported as closed history (default: 3 days ago)",
    )
    p = add(
        "server",
        cmd_server,
        "the workspace server: run it (default), start it in the background, stop it, or show its status",
    )
    p.add_argument("action", nargs="?", choices=["run", "start", "stop", "status"], default="run")
    p.add_argument("--no-sync", action="store_true", help="with run: answer clients only (no mail, outbox, escalation)")
    p.add_argument(
        "--idle-exit", type=float, metavar="SECONDS", help="with start: stop after this long without clients"
    )
    from tui.cli_outbound import add_outbound_commands

    add_outbound_commands(add)
    p = add("sync", cmd_sync, "run the syncer: mail, outbox, escalation (holds the workspace lock)")
    p.add_argument("--once", action="store_true", help="one pass, then exit")
    from tui.cli_clients import configure as clients_commands

    clients_commands(add)
    for name, (func, configure) in (extra or {}).items():
        p = add(name, func, (func.__doc__ or name).strip().splitlines()[0])
        if configure is not None:  # None: only the common options
            configure(p)
    return parser


def normalize_args(args: argparse.Namespace) -> argparse.Namespace:
    for name, default in (("workspace", None), ("as_agent", None), ("json", False), ("utc", False)):
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
        code = func(args)
        sys.stdout.flush()  # here, so a reader that left is seen now and not at the interpreter's exit
        return code
    except BrokenPipeError:
        return _reader_left()
    except UnknownName as exc:
        print(f"comptoir: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ComptoirError as exc:
        print(f"comptoir: {exc}", file=sys.stderr)
        return EXIT_REFUSED if isinstance(exc, ActionRefused) else EXIT_ERROR
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except Exception as exc:
        if os.environ.get("COMPTOIR_DEBUG"):
            raise
        from core.store.storage_failure import storage_failure
        from core.workspace.locations import find_workspace_dir

        try:
            where = find_workspace_dir(getattr(args, "workspace", None))
        except ComptoirError:
            where = None
        failure = storage_failure(exc, where, f"comptoir {getattr(args, 'command', '')}".strip())
        if failure is not None:
            print(f"comptoir: {failure}", file=sys.stderr)
            logging.getLogger("comptoir").error("%s", failure)
            return EXIT_STORAGE
        print(
            f"comptoir: internal error ({type(exc).__name__}). Run again with COMPTOIR_DEBUG=1 for details.",
            file=sys.stderr,
        )
        return EXIT_ERROR


def _reader_left() -> int:
    """The reader of our output went away (`comptoir queue | head`): stop quietly, as `git log | head` does.

    Standard output is pointed at /dev/null so the interpreter's final flush has nowhere to fail."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    return run(argv)
