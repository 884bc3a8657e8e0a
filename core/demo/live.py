"""The live demo: a copy of the demo template with a simulated clock, and a trickle of incoming mail.

The template is built once (about 2,000 conversations) and copied for each run, so a run starts in
seconds; the clock restarts at the moment the template was built, so its deadlines are around "now".
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from datetime import datetime
from pathlib import Path
from typing import TextIO

from sqlalchemy import update
from sqlmodel import col, select

from core.clock import Clock
from core.demo.seed import DEMO_AGENT, DEMO_VERSION, DOMAIN, DemoWorld, build_demo
from core.errors import WorkspaceError
from core.mail.ingest import IncomingMail, ingest_batch
from core.store.models import Message, OutboxItem
from core.work.escalation import run_escalation
from core.work.journal import record_change
from core.workspace.config import CONFIG_NAME, load_config
from core.workspace.folder import Workspace, open_workspace
from core.workspace.locations import default_demo_dir

log = logging.getLogger("comptoir.demo")
TEMPLATE_NAME = "demo-template"


def _meta(path: Path, key: str) -> str | None:
    try:
        with sqlite3.connect(f"file:{path / 'comptoir.db'}?mode=ro", uri=True) as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    except sqlite3.Error:
        return None
    return row[0] if row else None


def _built_at(path: Path) -> datetime | None:
    value = _meta(path, "demo_built_at")
    return datetime.fromisoformat(value) if value else None


def _is_demo(path: Path) -> bool:
    try:
        return load_config(path / CONFIG_NAME).workspace.demo
    except Exception:
        return False


def ensure_template(template: Path, rebuild: bool, conversations: int, announce: Callable[[str], None]) -> None:
    current = _built_at(template) is not None and _meta(template, "demo_version") == DEMO_VERSION
    if template.exists() and not rebuild and current:
        return
    if template.exists():
        if not _is_demo(template):
            raise WorkspaceError(f"{template} exists and is not a demo workspace; not touching it")
        shutil.rmtree(template)
    announce(f"Building the demo workspace ({conversations} conversations, once; about a minute)...")
    build_demo(template, conversations=conversations)


def demo_dir(explicit: str | None) -> Path:
    """--workspace DIR, else $COMPTOIR_WORKSPACE, else the user's demo folder."""
    import os

    chosen = explicit or os.environ.get("COMPTOIR_WORKSPACE")
    return Path(chosen).expanduser().resolve() if chosen else default_demo_dir()


@contextmanager
def _build_lock(base: Path) -> Iterator[None]:
    """One demo build or copy at a time for this user: a second `comptoir demo` waits for it."""
    base.mkdir(parents=True, exist_ok=True)
    fd = os.open(base / "demo.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def prepare_demo(
    work: Path,
    speed: float,
    rebuild: bool = False,
    conversations: int = 2000,
    announce: Callable[[str], None] = lambda _t: None,
    locked: bool = False,
) -> Path:
    """A fresh copy of the demo at `work` with its clock started (no server may be serving it)."""
    template = default_demo_dir().parent / TEMPLATE_NAME
    if (work / CONFIG_NAME).exists() and not _is_demo(work):
        raise WorkspaceError(f"{work} is not a demo workspace; use `comptoir --workspace {work}` to open it")
    with nullcontext() if locked else _build_lock(template.parent):
        ensure_template(template, rebuild, conversations, announce)
        if work.exists():
            if not _is_demo(work):
                raise WorkspaceError(f"{work} exists and is not a demo workspace; not touching it")
            shutil.rmtree(work)
        shutil.copytree(template, work, ignore=shutil.ignore_patterns("*.sock", "*.lock", "comptoir.log"))
    ws = open_workspace(work, check_permissions=False)
    try:
        start = _built_at(work) or ws.clock.now()
        Clock.simulate(ws.db, start, speed)
    finally:
        ws.close()
    return work


def start_or_join_demo(
    work: Path,
    speed: float,
    rebuild: bool = False,
    conversations: int = 2000,
    trickle: bool = True,
    announce: Callable[[str], None] = lambda _t: None,
) -> tuple[bool, int]:
    """Join the demo whose server runs at `work`, or build a fresh copy and start its server;
    (joined, server pid). Under the demo lock, so two at once end with one demo and one server."""
    from core.server.client import start_server
    from core.server.server import server_pid

    with _build_lock(default_demo_dir().parent):
        running = server_pid(work)
        if running is not None:
            if rebuild:
                raise WorkspaceError(
                    f"the demo at {work} is running (server pid {running}); close its apps or "
                    f"run `comptoir -W {work} server stop` before --rebuild"
                )
            return True, running
        prepare_demo(work, speed, rebuild, conversations, announce, locked=True)
        return False, start_server(work, trickle=trickle)


class DemoTrickle:
    """Background thread of a demo: new mail now and then, escalation every second, offline 'sending'."""

    def __init__(self, ws: Workspace, mail_every: float = 7.0, seed: int = 11) -> None:
        self.ws = ws
        self.mail_every = mail_every
        self.world = DemoWorld(seed)
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, name="comptoir-demo", daemon=True)
        self._lock_file: TextIO | None = None
        self.count = 0

    def start(self) -> bool:
        """Start unless another process of this demo already trickles (then return False)."""
        lock_file = self._lock_file = open(self.ws.path / "demo.lock", "w")  # noqa: SIM115 - held for the thread's life
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            lock_file.close()
            return False
        self.thread.start()
        return True

    def stop(self) -> None:
        self.stop_event.set()
        if self.thread.is_alive():
            self.thread.join(5)
        if self._lock_file:
            self._lock_file.close()

    def _run(self) -> None:
        waited = self.mail_every - 2.0
        while not self.stop_event.wait(1.0):
            try:
                self.tick(deliver=waited >= self.mail_every)
            except Exception:
                log.exception("demo tick failed")
            waited = 0.0 if waited >= self.mail_every else waited + 1.0

    def tick(self, deliver: bool) -> None:
        now = self.ws.clock.now()
        if deliver:
            self.count += 1
            raw = self.world.mail(now, first_contact=self.count % 4 == 0)
            if self.count % 3 == 1:
                raw = raw.replace(b"\nTo: ", f"\nTo: {DEMO_AGENT}@{DOMAIN}, ".encode(), 1)
            ingest_batch(self.ws, [IncomingMail(raw=raw, internaldate=now)], now)
        run_escalation(self.ws, now)
        send_offline(self.ws, now)


def send_offline(ws: Workspace, now: datetime) -> int:
    """Demo workspaces have no servers: queued replies count as sent once their send delay is over
    (until then the author may still cancel them, as with a real outbox)."""
    with ws.db.write() as s:
        items = list(
            s.exec(
                select(OutboxItem).where(
                    OutboxItem.state == "queued",
                    col(OutboxItem.next_attempt_at).is_(None) | (col(OutboxItem.next_attempt_at) <= now),
                )
            )
        )
        for item in items:
            s.execute(
                update(OutboxItem)
                .where(col(OutboxItem.id) == item.id)
                .values(state="sent", sent_at=now, attempts=1, last_answer="demo: not really sent")
            )
            if item.message_row_id:
                s.execute(update(Message).where(col(Message.id) == item.message_row_id).values(sent_at=now))
        if items:
            record_change(s, [i.conversation_id for i in items])
    return len(items)
