"""An account's IMAP session: the one place that connects with an account's settings and logs in as it."""

from __future__ import annotations

from core.mail.imap_client import ImapClient
from core.workspace.config import AccountConfig
from core.workspace.credentials import get_password


def make_client(account: AccountConfig) -> ImapClient:
    """A client for the account's IMAP server, not connected yet."""
    endpoint = account.imap
    return ImapClient(endpoint.host, endpoint.port, mode=endpoint.tls, cafile=endpoint.cafile)


async def connect_and_login(client: ImapClient, account: AccountConfig, password: str | None = None) -> None:
    """Connect `client` and log in as the account, with `password` or else the one in its keyring entry.

    The caller owns `client` and logs it out (or drops it) whatever happens here."""
    await client.connect()
    await client.login(account.username, get_password(account.name) if password is None else password)
