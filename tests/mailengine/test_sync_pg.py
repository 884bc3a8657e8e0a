"""Mailbox sync on PostgreSQL against the real private Dovecot: first sync (several batches) and a UIDVALIDITY change."""

from __future__ import annotations

import pytest

from core.workspace.folder import init_workspace, open_workspace
from tests.conftest import fresh_pg_database
from tests.mailengine.helpers import BASE, account_block, count, mail, rows, store_password, sync_once

pytestmark = [pytest.mark.servers]


@pytest.fixture
def pg_synced_ws(tmp_path, dovecot, imap_account):
    """The `synced_ws` workspace, stored on a fresh PostgreSQL database."""
    url = fresh_pg_database()
    store_password("support", imap_account)
    config = BASE.replace("[workspace]\n", f'[workspace]\ndatabase_url = "{url}"\n', 1)
    init_workspace(
        tmp_path / "pgws", config_text=config + account_block("support", "support@shop.test", imap_account, dovecot)
    )
    ws = open_workspace(tmp_path / "pgws")
    assert not ws.db.is_sqlite
    yield ws
    ws.close()


async def test_first_sync_on_postgresql_stores_everything_and_the_position(pg_synced_ws, dovecot, imap_account):
    total = 450  # more than one 400-mail batch
    dovecot.deliver_many(imap_account.name, [mail(i) for i in range(total)])
    assert await sync_once(pg_synced_ws)
    assert count(pg_synced_ws, "SELECT COUNT(*) FROM message WHERE direction = 'inbound'") == total
    [(uidnext, last_uid)] = rows(pg_synced_ws, "SELECT uidnext, last_uid FROM mailbox_state")
    assert (uidnext, last_uid) == (total + 1, total)
    dovecot.deliver(imap_account.name, mail(1000))
    assert await sync_once(pg_synced_ws)
    assert count(pg_synced_ws, "SELECT COUNT(*) FROM message") == total + 1
    assert rows(pg_synced_ws, "SELECT uidnext FROM mailbox_state") == [(total + 2,)]


async def test_uidvalidity_change_on_postgresql_keeps_syncing(pg_synced_ws, dovecot, imap_account):
    first = [mail(i) for i in range(5)]
    dovecot.deliver_many(imap_account.name, first)
    assert await sync_once(pg_synced_ws)
    [(old_validity,)] = rows(pg_synced_ws, "SELECT uidvalidity FROM mailbox_state")
    dovecot.recreate_mailbox(imap_account.name, "INBOX")
    dovecot.deliver_many(imap_account.name, first + [mail(99)])
    assert await sync_once(pg_synced_ws)
    [(new_validity, uidnext)] = rows(pg_synced_ws, "SELECT uidvalidity, uidnext FROM mailbox_state")
    assert new_validity != old_validity and uidnext == 7
    assert count(pg_synced_ws, "SELECT COUNT(*) FROM message") == 6
    # And later runs go on storing new mail.
    dovecot.deliver(imap_account.name, mail(100))
    assert await sync_once(pg_synced_ws)
    assert count(pg_synced_ws, "SELECT COUNT(*) FROM message") == 7
