"""Migration 0013: raw mail stored compressed and read back byte for byte, old uncompressed rows still read,
and SQLite's contentless search index finding both the mail indexed before the upgrade and after it."""

from __future__ import annotations

import hashlib
import os
import sqlite3
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import text

from core.mail.ingest import IncomingMail, ingest_batch
from core.store import schema
from core.store.db import Database, sqlite_url
from core.store.rawmail import read_raw
from core.work import queries
from core.workspace.folder import open_workspace
from tests.conftest import BASIC_CONFIG, NOW, make_workspace
from tests.support.search import search_conversation_ids


def _mail_with_attachment(subject: str, payload: bytes) -> bytes:
    m = EmailMessage()
    m["From"] = "Ada <ada@customer.test>"
    m["To"] = "hifi@shop.test"
    m["Subject"] = subject
    m["Message-ID"] = f"<{hashlib.sha1(subject.encode()).hexdigest()}@customer.test>"
    m.set_content("The invoice is attached; the turntable hums at low volume. " * 40)
    m.add_attachment(payload, maintype="application", subtype="pdf", filename="facture é.pdf")
    return m.as_bytes()


def test_raw_mail_is_stored_compressed_and_comes_back_exactly(tmp_path: Path, backend: str) -> None:
    ws = make_workspace(tmp_path / "ws", backend)
    payload = b"%PDF-1.4 " + b"0123456789abcdef" * 4000
    raw = _mail_with_attachment("Invoice 12", payload)
    report = ingest_batch(ws, [IncomingMail(raw=raw, internaldate=NOW)], NOW)
    with ws.db.read() as s:
        key, stored, packed = s.execute(text("SELECT sha256, data, packed FROM raw_mail")).one()
        assert packed and len(stored) < len(raw) / 3
        assert read_raw(s, key) == raw
    detail = queries.detail(ws, "marie", report.conversation_ids[0], NOW)
    [attachment] = [a for m in detail.messages for a in m.attachments]
    name, content_type, data = queries.attachment(ws, "marie", attachment.id, NOW)
    assert (name, content_type, data) == ("facture é.pdf", "application/pdf", payload)
    assert search_conversation_ids_of(ws, "turntable hums") == report.conversation_ids
    ws.close()


def search_conversation_ids_of(ws, words: str) -> list[int]:
    with ws.db.read() as s:
        return search_conversation_ids(s, words)


def test_a_workspace_from_before_0013_keeps_its_mail_readable_and_searchable(tmp_path: Path) -> None:
    path = tmp_path / "ws"
    path.mkdir(mode=0o700)
    (path / "comptoir.toml").write_text(BASIC_CONFIG)
    os.chmod(path / "comptoir.toml", 0o600)
    db = Database(sqlite_url(path / "comptoir.db"))
    schema.upgrade(db, "0007")
    db.dispose()
    for file in path.iterdir():
        os.chmod(file, 0o600)
    # Mail written by the 0007 code: raw bytes as received, the search index holding its own copy.
    old_raw = _mail_with_attachment("Old amplifier", b"old attachment bytes")
    with sqlite3.connect(path / "comptoir.db") as conn:
        conn.execute("INSERT INTO raw_mail (sha256, data) VALUES ('oldkey', ?)", (old_raw,))
        conn.execute(
            "INSERT INTO search_index (rowid, subject, body, names, addresses, conversation_id) "
            "VALUES (4242, 'Old amplifier', 'crackling woofer', 'Ada', 'ada@customer.test', 77)"
        )
        conn.execute(
            "INSERT INTO conversation (id, subject, customer_address, customer_name, via_address, visibility, "
            "state, priority, confidential, automated, created_at, updated_at, last_message_at, deadline, "
            "pending_count, message_count, warned, routing_reasons, ladder, version, shared_reply) VALUES "
            "(77, 'Old amplifier', 'ada@customer.test', 'Ada', 'hifi@shop.test', 'team', 'open', 'normal', "
            "0, 0, '2026-01-01 00:00:00', '2026-01-01 00:00:00', '2026-01-01 00:00:00', "
            "'9999-01-01 00:00:00', 1, 1, '[]', '[]', '[]', 1, 0)"
        )
        conn.execute(
            'INSERT INTO message (id, conversation_id, direction, message_id, "references", from_addr, '
            "from_name, to_addrs, cc_addrs, delivered_to, subject, received_at, text, headers, size, defects, "
            "disposition, raw_sha256) VALUES (4242, 77, 'inbound', '<old@customer.test>', '[]', "
            "'ada@customer.test', 'Ada', '[]', '[]', '[]', 'Old amplifier', '2026-01-01 00:00:00', "
            "'crackling woofer', '{}', 100, '[]', 'pending', 'oldkey')"
        )
    ws = open_workspace(path)
    assert schema.current_revision(ws.db) == schema.head_revision()
    with ws.db.read() as s:
        assert read_raw(s, "oldkey") == old_raw
        assert search_conversation_ids(s, "crackling") == [77]
    # New mail after the upgrade is found too, alongside the old entry.
    report = ingest_batch(
        ws, [IncomingMail(raw=_mail_with_attachment("New one", b"x"), internaldate=NOW)], NOW + timedelta(minutes=1)
    )
    assert search_conversation_ids_of(ws, "turntable") == report.conversation_ids
    assert search_conversation_ids_of(ws, "woofer") == [77]
    ws.close()
