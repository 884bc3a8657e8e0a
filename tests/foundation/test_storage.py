"""Storage on SQLite and PostgreSQL: search kept in step with writes, the demo workspace, doctor."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

from sqlmodel import select

from core.mail.ingest import IncomingMail, ingest_batch
from core.store.models import Conversation
from core.work import actions
from core.workspace.folder import Workspace
from tests.conftest import NOW
from tests.support.search import search_conversation_ids


def _mail(sender: str, to: str, subject: str, body: str, name: str = "") -> bytes:
    m = EmailMessage()
    m["From"] = f"{name} <{sender}>" if name else sender
    m["To"] = to
    m["Subject"] = subject
    m["Message-ID"] = f"<{abs(hash((sender, subject, body)))}@test>"
    m.set_content(body)
    return m.as_bytes()


def test_search_finds_subjects_bodies_names_addresses_and_notes(ws: Workspace) -> None:
    ingest_batch(
        ws,
        [
            IncomingMail(
                _mail("ada@lovelace.test", "hifi@shop.test", "Turntable hums", "the cartridge buzzes", "Ada Lovelace")
            ),
            IncomingMail(_mail("bob@builder.test", "computers@shop.test", "Laptop screen", "flickering display")),
        ],
        NOW,
    )
    with ws.db.read() as s:
        ids = {c.subject: c.id for c in s.exec(select(Conversation))}
        assert search_conversation_ids(s, "turntable") == [ids["Turntable hums"]]
        assert search_conversation_ids(s, "cartr") == [ids["Turntable hums"]], "prefix match"
        assert search_conversation_ids(s, "lovelace") == [ids["Turntable hums"]], "sender name"
        assert search_conversation_ids(s, "builder.test") == [ids["Laptop screen"]], "address"
        assert search_conversation_ids(s, "flickering laptop") == [ids["Laptop screen"]], "every word"
        assert search_conversation_ids(s, "nothing-like-this") == []
        assert search_conversation_ids(s, '"); DROP TABLE message; --') == []
    actions.note(ws, "paul", ids["Laptop screen"], "customer prefers a refund", NOW)
    with ws.db.read() as s:
        assert search_conversation_ids(s, "refund") == [ids["Laptop screen"]], (
            "notes are indexed in the same transaction"
        )


def test_demo_workspace_has_every_state_and_deadlines_around_now(tmp_path: Path) -> None:
    from core.demo.seed import build_demo
    from core.workspace.folder import open_workspace

    build_demo(tmp_path / "demo", now=NOW, conversations=250)
    ws = open_workspace(tmp_path / "demo", check_permissions=False)
    with ws.db.read() as s:
        convs = list(s.exec(select(Conversation)))
    states = Counter(c.state for c in convs)
    assert {"open", "waiting", "snoozed", "done"} <= set(states), states
    assert {"personal", "team", "everyone"} <= {c.visibility for c in convs}
    upcoming = [c for c in convs if c.state == "open" and NOW < c.deadline < NOW + timedelta(hours=4)]
    overdue = [c for c in convs if c.state == "open" and c.deadline < NOW]
    assert upcoming and overdue
    assert any(
        c.exclusive_agent == "marie" and c.exclusive_until and c.exclusive_until - NOW < timedelta(minutes=30)
        for c in convs
    ), "a window of the demo agent closes within the first simulated minutes"
    assert all(c.routing_reasons for c in convs)
    ws.close()


def test_doctor_reports_each_check(tmp_path: Path, sqlite_ws: Workspace) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "tui.launch", "doctor", "--offline", "--json", "--workspace", str(sqlite_ws.path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    checks = {c["name"]: c for c in json.loads(proc.stdout)}
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for name in ("workspace", "config", "permissions", "database", "schema", "keyring"):
        assert checks[name]["ok"], checks[name]
    assert "memory" in checks["keyring"]["detail"]
