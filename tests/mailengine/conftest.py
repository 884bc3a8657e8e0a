"""Mail-engine fixtures: one fresh Dovecot user per test (tests.servers.fixtures) and its workspace."""

from __future__ import annotations

import pytest

from tests.mailengine.helpers import account_block, make_ws, store_password


@pytest.fixture
def synced_ws(tmp_path, dovecot, imap_account, smtp_server):
    """A workspace with one account `support` (support@shop.test) on the test Dovecot and SMTP server."""
    store_password("support", imap_account)
    ws = make_ws(tmp_path, account_block("support", "support@shop.test", imap_account, dovecot, smtp_server.port))
    yield ws
    ws.close()
