"""Helpers for the core tests: build raw mails, ingest them, and read back the alerts and audit events an action wrote."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from sqlalchemy import func
from sqlmodel import col, select

from core.mail.ingest import IncomingMail, ingest_batch
from core.store.models import Alert, Conversation, Event, Message, OutboxItem
from core.workspace.folder import Workspace

REPO = Path(__file__).resolve().parents[2]
_ids = itertools.count(1)


def raw_mail(
    to: str,
    sender: str = "alice@customer.test",
    subject: str = "Hello",
    body: str = "Hi there.",
    when: datetime | None = None,
    in_reply_to: str | None = None,
    cc: str | None = None,
    message_id: str | None = None,
) -> tuple[bytes, str]:
    """A plain text mail as bytes, and its Message-ID."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    if cc:
        msg["Cc"] = cc
    msg["Subject"] = subject
    mid = message_id or f"<m{next(_ids)}.{os.getpid()}@customer.test>"
    msg["Message-ID"] = mid
    if when is not None:
        msg["Date"] = format_datetime(when)
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = in_reply_to
    msg.set_content(body)
    return msg.as_bytes(), mid


def deliver(ws: Workspace, now: datetime, to: str, **kw) -> tuple[int, int, str]:
    """Ingest one mail at `now`; returns (conversation id, message row id, Message-ID)."""
    raw, mid = raw_mail(to, when=now, **kw)
    report = ingest_batch(ws, [IncomingMail(raw=raw, internaldate=now)], now)
    assert report.new_messages == 1, report
    return report.conversation_ids[0], report.message_ids[0], mid


@dataclass
class Mark:
    """The highest alert and event ids at one moment, and every alert as it was then, to read what came
    after: an alert raised again in place (core.work.alerting) counts as raised after the mark."""

    alert: int
    event: int
    alert_rows: dict = field(default_factory=dict)


def mark(ws: Workspace) -> Mark:
    with ws.db.read() as s:
        a = s.exec(select(func.coalesce(func.max(Alert.id), 0))).one()
        e = s.exec(select(func.coalesce(func.max(Event.id), 0))).one()
        rows = {r.id: _raised(r) for r in s.exec(select(Alert))}
    return Mark(int(a), int(e), rows)


def _raised(alert: Alert) -> tuple:
    return (alert.kind, alert.text, alert.created_at, alert.acknowledged_at is None)


def alerts_since(ws: Workspace, m: Mark) -> list[Alert]:
    """Alerts written since the mark, or raised again in place (unacknowledged and changed)."""
    with ws.db.read() as s:
        rows = list(s.exec(select(Alert).order_by(col(Alert.id))))
    return [r for r in rows if r.id > m.alert or (r.acknowledged_at is None and m.alert_rows.get(r.id) != _raised(r))]


def alerted(ws: Workspace, m: Mark) -> list[str]:
    """Sorted logins of the agents alerted since the mark (one entry per alert row)."""
    return sorted(a.agent for a in alerts_since(ws, m))


def events_since(ws: Workspace, m: Mark) -> list[Event]:
    with ws.db.read() as s:
        return list(s.exec(select(Event).where(col(Event.id) > m.event).order_by(col(Event.id))))


def event_kinds(ws: Workspace, m: Mark) -> list[str]:
    return [e.kind for e in events_since(ws, m)]


def conversation(ws: Workspace, conversation_id: int) -> Conversation:
    with ws.db.read() as s:
        return s.get(Conversation, conversation_id)


def message(ws: Workspace, message_id: int) -> Message:
    with ws.db.read() as s:
        return s.get(Message, message_id)


def outbox(ws: Workspace) -> list[OutboxItem]:
    with ws.db.read() as s:
        return list(s.exec(select(OutboxItem).order_by(col(OutboxItem.id))))


def comptoir(workspace: Path, *args: str, check: bool = False, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run the real `comptoir` console entry point in a subprocess."""
    env = dict(os.environ, PYTHONPATH=str(REPO))
    env.pop("COMPTOIR_DEBUG", None)
    proc = subprocess.run(
        [sys.executable, "-m", "tui.launch", *args, "--workspace", str(workspace)],
        capture_output=True,
        text=True,
        env=env,
        cwd=str(REPO),
        timeout=timeout,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"comptoir {' '.join(args)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
    return proc
