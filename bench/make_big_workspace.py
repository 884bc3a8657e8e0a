"""Builds a workspace of N conversations (default 100,000) quickly, with bulk SQL, for the app's speed bench.

Run: .venv/bin/python bench/make_big_workspace.py DIR [--conversations N]
The demo config, contacts, one inbound message per conversation, states and deadlines spread around now.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.demo.seed import DEMO_CONFIG, FIRST, LAST, TOPICS
from core.workspace.folder import init_workspace


def _ts(moment: datetime) -> str:
    """The text form SQLAlchemy stores on SQLite (microseconds always present), so comparisons agree."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def build(path: Path, count: int, seed: int = 3) -> float:
    started = time.perf_counter()
    init_workspace(path, config_text=DEMO_CONFIG)
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(microsecond=0)
    conn = sqlite3.connect(path / "comptoir.db")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    teams = {
        "hifi": ["marie", "paul", "sophie"],
        "computers": ["paul", "lea", "karim"],
        "purchasing": ["sophie", "tom"],
    }
    contacts = []
    for i in range(max(count // 20, 10)):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        contacts.append((f"c{i}.{last.lower()}@customer{i % 97}.test", f"{first} {last}"))
    conn.executemany(
        "INSERT INTO contact (id, address, name, audiences, imported, created_at) VALUES (?, ?, ?, '[]', 1, ?)",
        [(i + 1, a, n, _ts(now)) for i, (a, n) in enumerate(contacts)],
    )
    convs, msgs, fts = [], [], []
    for cid in range(1, count + 1):
        team = rng.choice(list(teams))
        subject, body = rng.choice(TOPICS[team])
        contact_id = rng.randrange(len(contacts)) + 1
        address, name = contacts[contact_id - 1]
        created = now - timedelta(minutes=rng.randrange(1, 60 * 24 * 90))
        roll = rng.random()
        state = "done" if roll < 0.6 else "waiting" if roll < 0.7 else "snoozed" if roll < 0.73 else "open"
        owner = rng.choice(teams[team]) if state != "open" or rng.random() < 0.4 else None
        visibility = rng.choice(["team", "team", "everyone", "personal"]) if state == "open" else "team"
        exclusive = rng.choice(teams[team]) if visibility == "personal" else None
        deadline = (
            now + timedelta(minutes=rng.randrange(-3000, 600)) if state == "open" else datetime(9999, 1, 1, tzinfo=UTC)
        )
        pending = 1 if state == "open" else 0
        convs.append(
            (
                cid,
                f"{subject} #{cid}",
                contact_id,
                address,
                name,
                f"{team}@comptoir-demo.test",
                team,
                owner,
                exclusive,
                visibility,
                state,
                "normal",
                0,
                0,
                _ts(created),
                _ts(created),
                _ts(created),
                _ts(deadline),
                pending,
                1,
                "[]",
                None,
                0,
                json.dumps([{"code": "bulk", "text": "Generated for the speed bench."}]),
                "[]",
                1,
            )
        )
        msgs.append(
            (
                cid,
                cid,
                "inbound",
                f"<{cid}@bench.test>",
                address,
                name,
                json.dumps([f"{team}@comptoir-demo.test"]),
                subject,
                _ts(created),
                _ts(created),
                body,
                "pending" if pending else "replied",
            )
        )
        fts.append((cid, subject, body, name, address))  # rowid: the message id (here equal to the conversation id)
    conn.executemany(
        "INSERT INTO conversation (id, subject, contact_id, customer_address, customer_name, via_address, team, owner, "
        "exclusive_agent, visibility, state, priority, confidential, automated, created_at, updated_at, last_message_at, "
        "deadline, pending_count, message_count, warned, thread_key, shared_reply, routing_reasons, ladder, version) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        convs,
    )
    conn.executemany(
        "INSERT INTO message (id, conversation_id, direction, message_id, from_addr, from_name, to_addrs, subject, sent_at, "
        'received_at, text, disposition, "references", cc_addrs, delivered_to, headers, size, defects) '
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '[]', '[]', '[]', '{}', 0, '[]')",
        msgs,
    )
    conn.executemany("INSERT INTO search_index (rowid, subject, body, names, addresses) VALUES (?, ?, ?, ?, ?)", fts)
    conn.execute("INSERT INTO meta (key, value) VALUES ('demo_built_at', ?)", (now.isoformat(),))
    conn.commit()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("ANALYZE")
    conn.close()
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", type=Path)
    parser.add_argument("--conversations", type=int, default=100_000)
    args = parser.parse_args()
    seconds = build(args.dir, args.conversations)
    print(f"built {args.conversations:,} conversations in {args.dir} in {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
