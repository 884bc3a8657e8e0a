"""The workspace server as its clients meet it: pushes instead of polling, a refused old client, broken
and stuck clients that never hurt the others, a killed server with actions in flight, and a failing
duty that is logged, kept for `doctor`, alerted to supervisors, and recovers by itself."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlmodel import select

from core.errors import ComptoirError
from core.server import wire
from core.server.client import RemoteComptoir, ServerUnavailable, UnknownOutcome, start_server
from core.server.server import server_pid
from core.server.sockets import connect_unix, socket_path
from core.store.models import Alert, Message
from tests.conftest import NOW, pg_admin_url
from tests.core.helpers import deliver

ROOT = Path(__file__).resolve().parents[2]


def _conversations(ws, count: int) -> list[int]:
    return [
        deliver(ws, NOW, "hifi@shop.test", sender=f"c{n}@client.test", subject=f"question {n}")[0] for n in range(count)
    ]


def _wait(predicate, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


def test_one_clients_claim_is_pushed_to_another(ws, serve_ws) -> None:
    first, _second = _conversations(ws, 2)
    serve_ws(ws.path)
    marie, paul = RemoteComptoir(ws.path, "marie", autostart=False), RemoteComptoir(ws.path, "paul", autostart=False)
    try:
        feed = paul.subscribe()
        assert marie.claim(first).ok
        seen: set[int] = set()
        _wait(lambda: seen.update(feed.poll(0.2).conversation_ids) or first in seen)
        lost = paul.claim(first)
        assert not lost.ok and lost.winner == "marie"
    finally:
        marie.close()
        paul.close()


def test_the_app_subscribes_at_once_while_the_server_is_silent(ws, serve_ws) -> None:
    """The app's client (reconnect=True) starts its reader thread when it connects; subscribing later
    must not wait for that reader's next frame. It did: the app's change-feed thread then hung in
    subscribe() until the server happened to send something, and an app closed in that moment never
    exited (its shutdown waited on the thread)."""
    serve_ws(ws.path)
    app_client = RemoteComptoir(ws.path, "marie", autostart=False, reconnect=True)
    try:
        time.sleep(0.2)  # the reader thread is up and waiting for a frame; nothing comes
        subscribed = threading.Event()
        threading.Thread(target=lambda: (app_client.subscribe(), subscribed.set()), daemon=True).start()
        assert subscribed.wait(10), "subscribe() waited for the server's next message"
    finally:
        app_client.close()


def test_a_client_of_another_major_version_is_refused_with_a_reason(ws, serve_ws) -> None:
    serve_ws(ws.path)
    sock = connect_unix(socket_path(ws.path))
    try:
        sock.sendall(wire.frame(wire.Hello((wire.PROTOCOL_VERSION[0] + 1, 0), None, "future")))
        header = sock.recv(4)
        answer = wire.server_decoder.decode(sock.recv(wire.frame_length(header), socket.MSG_WAITALL))
    finally:
        sock.close()
    assert isinstance(answer, wire.Refused)
    assert "same Comptoir version" in answer.message


def test_broken_and_stuck_clients_do_not_hold_the_others(ws, serve_ws) -> None:
    (first,) = _conversations(ws, 1)
    serve_ws(ws.path)
    path = socket_path(ws.path)
    garbage = connect_unix(path)
    garbage.sendall(b"\xff\xff\xff\xffnot a frame at all")
    half = connect_unix(path)
    half.sendall(wire.HEADER.pack(100) + b"only part")  # then silence
    # A stuck client: asks for a lot and never reads the answers.
    stuck = connect_unix(path)
    stuck.sendall(wire.frame(wire.Hello(wire.PROTOCOL_VERSION, "marie", "stuck")))
    stuck.sendall(wire.frame(wire.Subscribe()))
    for n in range(200):
        stuck.sendall(wire.frame(wire.Call(n, "rows", {"ids": [first] * 500})))
    try:
        other = RemoteComptoir(ws.path, "paul", autostart=False)
        try:
            assert other.claim(first).ok
            assert other.detail(first).row.owner == "paul"
        finally:
            other.close()
    finally:
        for sock in (garbage, half, stuck):
            sock.close()


def test_a_refused_identity_gets_one_sentence(ws, serve_ws) -> None:
    serve_ws(ws.path)
    with pytest.raises(ComptoirError, match="no such agent"):
        RemoteComptoir(ws.path, "nobody-here", autostart=False)


def test_a_killed_server_loses_no_action_and_applies_none_twice(ws) -> None:
    """Notes go in from a client while the server is SIGKILLed and started again: every note the
    client was told about is stored once, the one in flight at most once, none is resent."""
    (first,) = _conversations(ws, 1)
    start_server(ws.path)
    client = RemoteComptoir(ws.path, "marie", autostart=False, reconnect=True)
    told_ok, unknown, refused = [], [], 0
    stop = threading.Event()

    def write_notes() -> None:
        nonlocal refused
        n = 0
        while not stop.is_set():
            n += 1
            try:
                if client.note(first, f"note {n}").ok:
                    told_ok.append(n)
            except UnknownOutcome:
                unknown.append(n)
            except ServerUnavailable:
                refused += 1
                time.sleep(0.05)

    writer = threading.Thread(target=write_notes)
    writer.start()
    try:
        _wait(lambda: len(told_ok) > 20)
        os.kill(server_pid(ws.path), signal.SIGKILL)
        _wait(lambda: not client.connected)
        start_server(ws.path)
        _wait(lambda: client.connected)
        count = len(told_ok)
        _wait(lambda: len(told_ok) > count + 20)
    finally:
        stop.set()
        writer.join(30)
        client.close()
    with ws.db.read() as s:
        texts = [m.text for m in s.exec(select(Message).where(Message.direction == "note"))]
    stored = [int(t.strip().rsplit(" ", 1)[1]) for t in texts]
    assert len(stored) == len(set(stored)), "a note was applied twice"
    assert set(told_ok) <= set(stored)
    assert set(stored) <= set(told_ok) | set(unknown)


def test_the_server_refuses_to_run_twice(ws) -> None:
    start_server(ws.path)
    run = subprocess.run(
        [sys.executable, "-m", "core.server", "--workspace", str(ws.path), "--detach"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert run.returncode == 0 and run.stdout.startswith("already running")


@pytest.mark.parametrize("backend", ["pg"])
def test_a_failing_duty_is_logged_shown_alerted_and_recovers(ws, serve_ws, caplog) -> None:
    """The database turns read-only under the server: escalation fails, the log and the server's
    health say so, and once it is writable again the supervisors get an alert and the duty works."""
    server = serve_ws(ws.path, background=True, escalation_seconds=0.2)
    client = RemoteComptoir(ws.path, "marie", autostart=False)
    name = ws.db.url.rsplit("/", 1)[1]
    admin = create_engine(pg_admin_url(), isolation_level="AUTOCOMMIT")

    def read_only(on: bool) -> None:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" SET default_transaction_read_only = {"on" if on else "off"}'))
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :d AND pid <> pg_backend_pid()"
                ),
                {"d": name},
            )

    def failing():
        return [d for d in client.health() if not d.ok]

    try:
        _wait(lambda: any(d.name == "escalation" and d.ok for d in client.health()))
        read_only(True)
        _wait(lambda: any("read-only" in d.error for d in failing()))
        assert any("failed" in r.getMessage() and "read-only" in r.getMessage() and r.exc_info for r in caplog.records)
        read_only(False)
        _wait(lambda: not failing() and any(d.name == "escalation" for d in client.health()))
        with ws.db.read() as s:
            alerts = s.exec(select(Alert).where(Alert.kind == "server_trouble")).all()
        assert alerts and all(a.agent == "sophie" for a in alerts), [(a.agent, a.text) for a in alerts]
        assert any("read-only" in a.text for a in alerts)
    finally:
        client.close()
        read_only(False)
        admin.dispose()
    assert server.server.health.views()


@pytest.mark.parametrize("backend", ["pg"])
def test_two_servers_on_one_postgresql_see_each_others_claims_and_one_syncs(ws, serve_ws, tmp_path) -> None:
    """Scale-out: a second host's server (its own folder, the same database) pushes the first one's
    claim to its clients via LISTEN/NOTIFY; exactly one of the two holds the sync lock."""
    first, second = _conversations(ws, 2)
    other = tmp_path / "second-host"
    other.mkdir(mode=0o700)
    (other / "comptoir.toml").write_text(ws.config_path.read_text())
    os.chmod(other / "comptoir.toml", 0o600)
    one = serve_ws(ws.path, background=True)
    two = serve_ws(other, background=True)
    here = RemoteComptoir(ws.path, "marie", autostart=False)
    there = RemoteComptoir(other, "paul", autostart=False)
    try:
        feed = there.subscribe()
        assert here.claim(first).ok
        seen: set[int] = set()
        _wait(lambda: seen.update(feed.poll(0.2).conversation_ids) or first in seen)
        lost = there.claim(first)
        assert not lost.ok and lost.winner == "marie"
        assert there.claim(second).ok and here.detail(second).row.owner == "paul"

        def syncing(server) -> bool:
            return any(d.name == "mail sync" and d.ok for d in server.server.health.views()) and any(
                d.name == "outbox" for d in server.server.health.views()
            )

        _wait(lambda: syncing(one) or syncing(two))
        time.sleep(1)
        assert syncing(one) != syncing(two)
    finally:
        here.close()
        there.close()
