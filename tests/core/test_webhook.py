"""Team webhooks: escalation queues its posts in the database; the syncer delivers them to a real local
HTTP server, retrying failures, so posts raised by a one-shot command are never lost."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from datetime import timedelta
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from sqlalchemy import text

from core.clock import Clock
from core.mail.ingest import IncomingMail, ingest_batch
from core.mail.syncer import Syncer
from core.work.escalation import run_escalation
from core.work.webhook import WebhookQueue
from tests.conftest import BASIC_CONFIG, NOW, make_workspace
from tests.core.helpers import comptoir


class _Recorder(BaseHTTPRequestHandler):
    received: list[dict] = []
    fail_next = 0
    """Answer 500 to this many posts first (they are not counted as received)."""

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        body = json.loads(self.rfile.read(length))
        if _Recorder.fail_next:
            _Recorder.fail_next -= 1
            self.send_response(500)
        else:
            _Recorder.received.append(body)
            self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def http_server():
    _Recorder.received, _Recorder.fail_next = [], 0
    server = HTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()
    server.server_close()


def _personal_mail(number: int = 1) -> bytes:
    m = EmailMessage()
    m["From"] = f"Ada {number} <ada{number}@customer.test>"
    m["To"] = "marie@shop.test"
    m["Subject"] = f"Turntable speed {number}"
    m["Message-ID"] = f"<speed{number}@customer.test>"
    m.set_content(f"It runs fast ({number}).")
    return m.as_bytes()


def _workspace_with_hook(tmp_path: Path, url: str, backend: str = "sqlite"):
    config = BASIC_CONFIG.replace('holidays = ["2026-12-25"]', f'holidays = ["2026-12-25"]\nwebhook = "{url}"', 1)
    return make_workspace(tmp_path / "ws", backend, config)


def _queued(ws) -> list[tuple[str, int]]:
    with ws.db.read() as s:
        return [tuple(r) for r in s.execute(text("SELECT state, attempts FROM webhook_post ORDER BY id")).all()]


def _deliver(ws, **kwargs) -> int:
    return asyncio.run(WebhookQueue(ws, **kwargs).deliver_due())


def test_escalation_into_the_team_queues_a_post_that_the_queue_delivers(
    tmp_path: Path, http_server: str, backend: str
) -> None:
    ws = _workspace_with_hook(tmp_path, http_server, backend)
    ingest_batch(ws, [IncomingMail(_personal_mail())], NOW)
    applied = run_escalation(ws, NOW + timedelta(hours=2, minutes=1))
    assert [a["kind"] for a in applied] == ["to_team"]
    assert _queued(ws) == [("queued", 0)] and _Recorder.received == []
    assert _deliver(ws) == 1
    [payload] = _Recorder.received
    assert "team hifi" in payload["text"] and payload["kind"] == "to_team"
    assert _queued(ws) == [("sent", 1)]
    assert _deliver(ws) == 0 and len(_Recorder.received) == 1
    ws.close()


def test_a_one_shot_escalate_with_13_steps_gives_13_posts_once_sync_runs(
    tmp_path: Path, http_server: str, backend: str
) -> None:
    ws = _workspace_with_hook(tmp_path, http_server, backend)
    ingest_batch(ws, [IncomingMail(_personal_mail(n)) for n in range(13)], NOW)
    Clock.simulate(ws.db, NOW + timedelta(hours=2, minutes=1), 1.0)  # for every process, the CLI's too
    comptoir(ws.path, "escalate", check=True)  # a process of its own, which exits when done
    assert len(_queued(ws)) == 13 and _Recorder.received == []
    comptoir(ws.path, "sync", "--once", check=True)
    assert len(_Recorder.received) == 13
    assert sorted(p["conversation"] for p in _Recorder.received) == sorted(
        {p["conversation"] for p in _Recorder.received}
    )
    assert _queued(ws) == [("sent", 1)] * 13
    ws.close()


def test_a_failed_post_is_retried_until_it_is_delivered(
    tmp_path: Path, http_server: str, caplog: pytest.LogCaptureFixture
) -> None:
    ws = _workspace_with_hook(tmp_path, http_server + "?token=secret")
    ingest_batch(ws, [IncomingMail(_personal_mail())], NOW)
    run_escalation(ws, NOW + timedelta(hours=2, minutes=1))
    _Recorder.fail_next = 2
    with caplog.at_level("WARNING", logger="comptoir.webhook"):
        assert _deliver(ws, retry_base=0.0) == 0
        assert _deliver(ws, retry_base=0.0) == 0
    assert _queued(ws) == [("queued", 2)] and _Recorder.received == []
    assert "failed" in caplog.text and "secret" not in caplog.text
    assert _deliver(ws, retry_base=0.0) == 1
    assert len(_Recorder.received) == 1 and _queued(ws) == [("sent", 3)]
    ws.close()


def test_a_hanging_webhook_never_blocks_escalation_and_is_retried(tmp_path: Path) -> None:
    """The server accepts the connection but never answers: escalation does not wait; delivery times out."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)
    ws = _workspace_with_hook(tmp_path, f"http://127.0.0.1:{silent.getsockname()[1]}/hook")
    ingest_batch(ws, [IncomingMail(_personal_mail())], NOW)
    applied = run_escalation(ws, NOW + timedelta(hours=2, minutes=1))
    assert [a["kind"] for a in applied] == ["to_team"]
    assert _deliver(ws, timeout=0.5) == 0
    [(state, attempts)] = _queued(ws)
    assert (state, attempts) == ("queued", 1)
    silent.close()
    ws.close()


async def test_the_running_syncer_delivers_queued_posts(tmp_path: Path, http_server: str) -> None:
    ws = _workspace_with_hook(tmp_path, http_server)
    ingest_batch(ws, [IncomingMail(_personal_mail())], NOW)
    run_escalation(ws, NOW + timedelta(hours=2, minutes=1))
    stop = asyncio.Event()
    task = asyncio.ensure_future(Syncer(ws, outbox_seconds=0.05).run(stop))
    try:
        for _ in range(400):
            if _Recorder.received:
                break
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await asyncio.wait_for(task, 20)
    assert len(_Recorder.received) == 1 and _queued(ws) == [("sent", 1)]
    ws.close()
