"""Team webhooks: escalations POST JSON to a real local HTTP server; a dead URL never blocks escalation."""

from __future__ import annotations

import json
import socket
import threading
import time
from datetime import timedelta
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from sqlmodel import select

from core.escalation import run_escalation
from core.models import Conversation
from core.ingest import IncomingMail, ingest_batch
from tests.conftest import BASIC_CONFIG, NOW, make_workspace


class _Recorder(BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        length = int(self.headers["Content-Length"])
        _Recorder.received.append(json.loads(self.rfile.read(length)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def http_server():
    _Recorder.received = []
    server = HTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()


def _personal_mail() -> bytes:
    m = EmailMessage()
    m["From"] = "Ada <ada@customer.test>"
    m["To"] = "marie@shop.test"
    m["Subject"] = "Turntable speed"
    m["Message-ID"] = "<speed@customer.test>"
    m.set_content("It runs fast.")
    return m.as_bytes()


def _workspace_with_hook(tmp_path: Path, url: str):
    config = BASIC_CONFIG.replace('holidays = ["2026-12-25"]', f'holidays = ["2026-12-25"]\nwebhook = "{url}"', 1)
    return make_workspace(tmp_path / "ws", "sqlite", config)


def test_escalation_into_the_team_posts_to_its_webhook(tmp_path: Path, http_server: str) -> None:
    ws = _workspace_with_hook(tmp_path, http_server)
    ingest_batch(ws, [IncomingMail(_personal_mail())], NOW)
    applied = run_escalation(ws, NOW + timedelta(hours=2, minutes=1))
    assert [a["kind"] for a in applied] == ["to_team"]
    deadline = time.monotonic() + 10
    while not _Recorder.received and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(_Recorder.received) == 1
    payload = _Recorder.received[0]
    assert "team hifi" in payload["text"] and payload["kind"] == "to_team"
    ws.close()


def test_a_hanging_webhook_never_blocks_escalation(tmp_path: Path) -> None:
    """The server accepts the connection but never answers: escalation returns while the POST still waits."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)
    ws = _workspace_with_hook(tmp_path, f"http://127.0.0.1:{silent.getsockname()[1]}/hook")
    ingest_batch(ws, [IncomingMail(_personal_mail())], NOW)
    applied = run_escalation(ws, NOW + timedelta(hours=2, minutes=1))
    assert [a["kind"] for a in applied] == ["to_team"]
    assert any(t.name == "comptoir-webhook" and t.is_alive() for t in threading.enumerate())
    with ws.db.read() as s:
        assert s.exec(select(Conversation.visibility)).one() == "team"
    silent.close()
    ws.close()


def test_a_refused_webhook_is_logged_not_raised(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from core.webhook import post

    with caplog.at_level("WARNING", logger="comptoir.webhook"):
        post("http://127.0.0.1:9/refused?token=secret", "hello", wait=True)
    assert "failed" in caplog.text and "secret" not in caplog.text
