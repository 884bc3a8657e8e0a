"""Another process commits an action; this process's change feed reports that conversation."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from core.store.changefeed import ChangeFeed
from tests.conftest import NOW
from tests.core.helpers import REPO, conversation, deliver

WAIT = 60.0


def test_change_from_another_process_is_seen(ws):
    cid, _, _ = deliver(ws, NOW, "hifi@shop.test", sender="bob@client.test", subject="amplifier noise")
    other, _, _ = deliver(ws, NOW, "hifi@shop.test", sender="zoe@client.test", subject="turntable noise")
    feed = ChangeFeed(ws.db)
    try:
        # nothing happened since the feed started
        assert not feed.poll(0.2)
        proc = subprocess.run(
            [sys.executable, "-m", "tests.core.actor", str(ws.path), "paul", str(cid)],
            cwd=str(REPO),
            env=dict(os.environ, PYTHONPATH=str(REPO)),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert conversation(ws, cid).owner == "paul"
        seen: set[int] = set()
        kinds: set[str] = set()
        deadline = time.monotonic() + WAIT
        while cid not in seen and time.monotonic() < deadline:
            batch = feed.poll(1.0)
            seen |= batch.conversation_ids
            kinds |= batch.kinds
        assert cid in seen
        assert other not in seen
        assert "conversation" in kinds
        # and once read, it is not reported again
        assert cid not in feed.poll(0.2).conversation_ids
    finally:
        feed.close()
