"""Adding a mail account: its settings go to comptoir.toml, its password to the keyring only."""

from __future__ import annotations

import asyncio
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from core.errors import ComptoirError
from core.workspace import credentials
from core.workspace.config import AccountConfig, parse_config
from core.workspace.folder import Workspace

DEFAULT_PORTS = {
    ("imap", "tls"): 993,
    ("imap", "starttls"): 143,
    ("imap", "plain"): 143,
    ("smtp", "tls"): 465,
    ("smtp", "starttls"): 587,
    ("smtp", "plain"): 25,
}


def _toml_str(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def account_block(
    name: str,
    address: str,
    username: str,
    imap_host: str,
    imap_port: int,
    imap_tls: str,
    smtp_host: str,
    smtp_port: int,
    smtp_tls: str,
    cafile: str | None = None,
    added: datetime | None = None,
    history_before: datetime | None = None,
) -> str:
    extra = f", cafile = {_toml_str(cafile)}" if cafile else ""
    dates = f"added = {_toml_when(added)}\n" if added else ""
    if history_before is not None:
        dates += f"history_before = {_toml_when(history_before)}\n"
    return (
        f"\n[[accounts]]\nname = {_toml_str(name)}\naddress = {_toml_str(address)}\nusername = {_toml_str(username)}\n"
        f"imap = {{ host = {_toml_str(imap_host)}, port = {imap_port}, tls = {_toml_str(imap_tls)}{extra} }}\n"
        f"smtp = {{ host = {_toml_str(smtp_host)}, port = {smtp_port}, tls = {_toml_str(smtp_tls)}{extra} }}\n"
        f"{dates}"
    )


def _toml_when(moment: datetime) -> str:
    """A TOML offset date-time in UTC, to the second."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def add_account(
    ws: Workspace,
    name: str,
    password: str,
    address: str | None,
    username: str | None,
    imap_host: str | None,
    imap_port: int | None,
    imap_tls: str | None,
    smtp_host: str | None,
    smtp_port: int | None,
    smtp_tls: str | None,
    cafile: str | None = None,
    added: datetime | None = None,
    history_before: datetime | None = None,
) -> None:
    if any(a.name == name for a in ws.config.accounts):
        raise ComptoirError(f"account {name!r} already exists in {ws.config_path}")
    if not address or not imap_host or not smtp_host:
        raise ComptoirError("an account needs --address, --imap-host and --smtp-host")
    imap_tls, smtp_tls = imap_tls or "tls", smtp_tls or "tls"
    block = account_block(
        name,
        address,
        username or address,
        imap_host,
        imap_port or DEFAULT_PORTS[("imap", imap_tls)],
        imap_tls,
        smtp_host,
        smtp_port or DEFAULT_PORTS[("smtp", smtp_tls)],
        smtp_tls,
        cafile,
        added,
        history_before,
    )
    text = ws.config_path.read_text(encoding="utf-8")
    parse_config(text + block, ws.config_path)  # refuse before writing anything
    if not os.access(ws.config_path, os.W_OK):
        owner = _owner(ws.config_path)
        raise ComptoirError(
            f"you may not change {ws.config_path} (it belongs to {owner}): run "
            f"`comptoir account add` as {owner}, the workspace's admin; nothing was written"
        )
    credentials.set_password(name, password)
    mode = os.stat(ws.config_path).st_mode & 0o777
    with open(ws.config_path, "a", encoding="utf-8") as out:
        out.write(block)
    os.chmod(ws.config_path, mode)


def _owner(path: Path) -> str:
    import pwd

    uid = os.stat(path).st_uid
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


@dataclass(frozen=True)
class MailboxSurvey:
    """What the first sync of one mailbox will import, counted on the server by arrival date."""

    mailbox: str
    total: int
    history: int
    """Arrived before the cut-over's day (IMAP's BEFORE counts whole days): stored as closed history."""
    sent: bool = False
    error: str | None = None


def survey_account(
    account: AccountConfig, password: str, cutover: datetime, timeout: float = 30.0
) -> list[MailboxSurvey]:
    """Count, on the server, how much of each mailbox lies before the cut-over; never raises for a server problem."""
    from core.mail.imap_account import connect_and_login, make_client
    from core.mail.imap_client import ImapError

    async def run() -> list[MailboxSurvey]:
        client = make_client(account)
        found = []
        try:
            await connect_and_login(client, account, password)
            for mailbox in account.mailboxes():
                sent = mailbox == account.sent_folder
                try:
                    status = await client.select(mailbox, readonly=True)
                    before = await client.uid_search("BEFORE", f"{cutover:%d-%b-%Y}") if status.exists else []
                    found.append(MailboxSurvey(mailbox, status.exists, len(before), sent))
                except ImapError as error:
                    found.append(MailboxSurvey(mailbox, 0, 0, sent, str(error)))
        finally:
            await client.logout()
        return found

    try:
        return asyncio.run(asyncio.wait_for(run(), timeout))
    except (TimeoutError, ImapError, OSError) as error:
        return [MailboxSurvey("*", 0, 0, error=str(error) or type(error).__name__)]


def describe_survey(name: str, cutover: datetime, found: list[MailboxSurvey]) -> list[str]:
    """What `comptoir account add` prints about the import to come."""
    day = f"{cutover:%d %b %Y %H:%M} UTC"
    lines = [f"history cut-over for {name}: {day} (history_before in comptoir.toml changes it)"]
    for survey in found:
        if survey.error:
            where = "the server" if survey.mailbox == "*" else survey.mailbox
            lines.append(f"  {where}: could not be counted now ({survey.error}); `comptoir sync` imports it anyway")
        elif survey.sent:
            lines.append(
                f"  {survey.mailbox}: {survey.total:,} sent mails, read to mark what they answered as "
                "replied and who handled each customer"
            )
        else:
            live = survey.total - survey.history
            lines.append(
                f"  {survey.mailbox}: {survey.total:,} mails: about {survey.history:,} older than the "
                f"cut-over become closed history (no alert, no escalation), about {live:,} become live work"
            )
    return lines
