"""Adding a mail account: its settings go to comptoir.toml, its password to the keyring only."""

from __future__ import annotations

import json
import os

from core import credentials
from core.config import parse_config
from core.errors import ComptoirError
from core.workspace import Workspace

DEFAULT_PORTS = {("imap", "tls"): 993, ("imap", "starttls"): 143, ("imap", "plain"): 143,
                 ("smtp", "tls"): 465, ("smtp", "starttls"): 587, ("smtp", "plain"): 25}


def _toml_str(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def account_block(name: str, address: str, username: str, imap_host: str, imap_port: int, imap_tls: str,
                  smtp_host: str, smtp_port: int, smtp_tls: str, cafile: str | None = None) -> str:
    extra = f", cafile = {_toml_str(cafile)}" if cafile else ""
    return (
        f"\n[[accounts]]\nname = {_toml_str(name)}\naddress = {_toml_str(address)}\nusername = {_toml_str(username)}\n"
        f"imap = {{ host = {_toml_str(imap_host)}, port = {imap_port}, tls = {_toml_str(imap_tls)}{extra} }}\n"
        f"smtp = {{ host = {_toml_str(smtp_host)}, port = {smtp_port}, tls = {_toml_str(smtp_tls)}{extra} }}\n"
    )


def add_account(ws: Workspace, name: str, password: str, address: str | None, username: str | None,
                imap_host: str | None, imap_port: int | None, imap_tls: str | None, smtp_host: str | None,
                smtp_port: int | None, smtp_tls: str | None, cafile: str | None = None) -> None:
    if any(a.name == name for a in ws.config.accounts):
        raise ComptoirError(f"account {name!r} already exists in {ws.config_path}")
    if not address or not imap_host or not smtp_host:
        raise ComptoirError("an account needs --address, --imap-host and --smtp-host")
    imap_tls, smtp_tls = imap_tls or "tls", smtp_tls or "tls"
    block = account_block(
        name, address, username or address, imap_host, imap_port or DEFAULT_PORTS[("imap", imap_tls)], imap_tls,
        smtp_host, smtp_port or DEFAULT_PORTS[("smtp", smtp_tls)], smtp_tls, cafile,
    )
    text = ws.config_path.read_text(encoding="utf-8")
    parse_config(text + block, ws.config_path)  # refuse before writing anything
    if not os.access(ws.config_path, os.W_OK):
        owner = _owner(ws.config_path)
        raise ComptoirError(f"you may not change {ws.config_path} (it belongs to {owner}): run "
                            f"`comptoir account add` as {owner}, the workspace's admin; nothing was written")
    credentials.set_password(name, password)
    mode = os.stat(ws.config_path).st_mode & 0o777
    with open(ws.config_path, "a", encoding="utf-8") as out:
        out.write(block)
    os.chmod(ws.config_path, mode)


def _owner(path) -> str:
    import pwd

    uid = os.stat(path).st_uid
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)
