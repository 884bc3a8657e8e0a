"""The real `comptoir` in a tmux pane, driven by keys as a user would: claim, reply, no action needed, quit.

Uses its own tmux server (-L) so it never touches a user's sessions; results are checked in the database.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlmodel import select

from core.mail.ingest import IncomingMail, ingest_batch
from core.store.models import Conversation, Message, OutboxItem
from core.workspace.folder import Workspace
from core.workspace.identity import unix_login
from tests.conftest import BASIC_CONFIG, make_workspace
from tests.servers import skip_or_fail

ROOT = Path(__file__).resolve().parents[2]


class Pane:
    def __init__(self, socket: str) -> None:
        self.socket = socket

    def tmux(self, *args: str) -> str:
        # COLUMNS/LINES (pytest may set them) would override the pane's real size for the app.
        env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "TMUX")}
        return subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=20, env=env
        ).stdout

    def screen(self) -> str:
        return self.tmux("capture-pane", "-t", "e2e", "-p")

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "e2e", *keys)

    def wait_for(self, what: str | Callable[[str], bool], timeout: float = 20) -> str:
        check = what if callable(what) else (lambda text: what in text)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.screen()
            if check(text):
                return text
            time.sleep(0.05)
        raise AssertionError(f"waited {timeout} s for {what!r}; the screen shows:\n{self.screen()}")


def wait_until(predicate: Callable[[], bool], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def _mail(n: int, subject: str, body: str) -> IncomingMail:
    m = EmailMessage()
    m["From"] = f"Ada Customer{n} <ada{n}@customer.test>"
    m["To"] = "hifi@shop.test"
    m["Subject"] = subject
    m["Message-ID"] = f"<e2e{n}@customer.test>"
    m.set_content(body)
    return IncomingMail(m.as_bytes())


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    me = unix_login()
    config = BASIC_CONFIG.replace(
        '[[agents]]\nlogin = "marie"',
        f'[[agents]]\nlogin = "{me}"\nname = "Terminal User"\nteams = ["hifi"]\n\n[[agents]]\nlogin = "marie"',
        1,
    )
    ws = make_workspace(tmp_path / "ws", "sqlite", config)
    ingest_batch(
        ws,
        [_mail(0, "Turntable hums", "My turntable hums, help?"), _mail(1, "Thanks a lot", "It works now, thank you!")],
        datetime.now(UTC),
    )
    yield ws
    ws.close()


@pytest.fixture
def pane(workspace: Workspace, isolated_home: Path):
    if not shutil.which("tmux"):
        skip_or_fail("tmux is not installed: apt-get install tmux")
    socket = f"comptoir-e2e-{os.getpid()}"
    pane = Pane(socket)
    env = {
        "TERM": "xterm-256color",
        "COMPTOIR_KEYRING": "memory",
        "XDG_DATA_HOME": str(isolated_home / "data"),
        "COMPTOIR_SERVER_NO_SYNC": "1",
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "EDITOR": "",
        "VISUAL": "",
    }
    command = f"cd {ROOT} && exec {sys.executable} -m tui.launch --workspace {workspace.path}"
    pane.tmux(
        "new-session", "-d", "-s", "e2e", "-x", "160", "-y", "48", *[f"-e{k}={v}" for k, v in env.items()], command
    )
    pane.tmux("set-option", "-t", "e2e", "window-size", "manual")
    pane.tmux("resize-window", "-t", "e2e", "-x", "160", "-y", "48")
    yield pane
    pane.tmux("kill-server")


def test_claim_reply_and_dispose_by_keys(workspace: Workspace, pane: Pane) -> None:
    pane.wait_for("Team hifi", timeout=90)  # the app and the server it starts, on a busy CI machine
    pane.keys("]")
    pane.keys("]")
    pane.wait_for("Turntable hums")
    pane.keys("c")
    pane.wait_for("is yours now")
    with workspace.db.read() as s:
        assert s.exec(select(Conversation.owner).where(Conversation.subject == "Turntable hums")).one() == unix_login()

    pane.keys("r")
    pane.wait_for("Reply: Turntable hums")
    pane.keys("-l", "Check the ground wire between deck and amplifier.")
    pane.keys("C-s")
    pane.wait_for("queued: it goes out in")  # held for the send delay, while z can still cancel it
    with workspace.db.read() as s:
        item = s.exec(select(OutboxItem)).one()
        # The app's embedded syncer may have sent it already (no accounts: recorded as sent at once).
        assert item.state in ("queued", "sent") and item.to_addrs == ["ada0@customer.test"]
        assert item.body.startswith("Check the ground wire between deck and amplifier.")
        first = s.exec(select(Message).where(Message.message_id == "<e2e0@customer.test>")).one()
        assert first.disposition == "replied" and first.disposed_by == unix_login()

    pane.keys("]")
    # The alert bar (second line) may still name the first conversation; the list below it must not.
    pane.wait_for(lambda text: "Thanks a lot" in text and "Turntable hums" not in text.split("\n", 2)[2])
    pane.keys("n")
    pane.wait_for("No action needed")
    pane.keys("1", "Enter")  # the reason field has focus: a lone digit and Enter take that reason
    pane.wait_for("1 message,")
    with workspace.db.read() as s:
        thanks = s.exec(select(Message).where(Message.message_id == "<e2e1@customer.test>")).one()
        assert thanks.disposition == "no_action" and thanks.disposition_reason

    pane.keys("q")
    wait_until(lambda: "e2e" not in pane.tmux("list-sessions"))


def test_the_app_says_reconnecting_when_the_server_dies_and_carries_on(workspace: Workspace, pane: Pane) -> None:
    import signal

    from core.server.server import server_pid
    from core.store.models import Event

    pane.wait_for("Team hifi", timeout=90)  # the app and the server it starts, on a busy CI machine
    first = server_pid(workspace.path)
    assert first is not None
    os.kill(first, signal.SIGKILL)
    pane.wait_for("reconnecting")
    # The owner's app starts a new server by itself (as tmux does) and clears the warning.
    pane.wait_for(lambda text: "reconnecting" not in text.split("\n", 1)[0], timeout=60)
    assert server_pid(workspace.path) not in (None, first)
    pane.keys("]")
    pane.keys("]")
    pane.wait_for("Turntable hums")
    pane.keys("c")
    pane.wait_for("is yours now")
    with workspace.db.read() as s:
        claims = s.exec(select(Event).where(Event.kind == "claim")).all()
    assert len(claims) == 1 and claims[0].details.get("login") == unix_login()
