"""`comptoir client add`: a client's entry appended to comptoir.toml, checked whole before anything is written."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence

from core.errors import ComptoirError
from core.workspace.accounts import _owner
from core.workspace.config import parse_config
from core.workspace.folder import Workspace


def _toml_str(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def _toml_list(values: Sequence[str]) -> str:
    return "[" + ", ".join(_toml_str(v) for v in values) + "]"


def client_block(
    name: str,
    addresses: Sequence[str],
    team: str,
    owner: str | None = None,
    notes: str = "",
    informational: Sequence[str] = (),
) -> str:
    lines = [
        "",
        "[[clients]]",
        f"name = {_toml_str(name)}",
        f"addresses = {_toml_list(addresses)}",
        f"team = {_toml_str(team)}",
    ]
    if owner:
        lines.append(f"owner = {_toml_str(owner)}")
    if notes:
        lines.append(f"notes = {_toml_str(notes)}")
    if informational:
        lines.append(f"informational = {_toml_list(informational)}")
    return "\n".join(lines) + "\n"


def add_client(
    ws: Workspace,
    name: str,
    addresses: Sequence[str],
    team: str,
    owner: str | None = None,
    notes: str = "",
    informational: Sequence[str] = (),
) -> str:
    """Append a [[clients]] entry; refused (nothing written) when the result would not be a valid config.
    Informational addresses are added to the client's addresses when not listed there. Returns the block."""
    name = " ".join(name.split())
    if not name:
        raise ComptoirError("a client needs a name")
    if ws.config.client(name) is not None:
        raise ComptoirError(f"client {name!r} already exists in {ws.config_path}")
    addresses = [a.strip().lower() for a in addresses if a.strip()]
    informational = [a.strip().lower() for a in informational if a.strip()]
    addresses += [a for a in informational if a not in addresses]
    if not addresses:
        raise ComptoirError("a client needs at least one address (--address ADDRESS)")
    ws.config.require_team(team)
    if owner:
        ws.config.require_agent(owner)
    block = client_block(name, addresses, team, owner, notes, informational)
    text = ws.config_path.read_text(encoding="utf-8")
    parse_config(text + block, ws.config_path)  # refuse before writing anything
    if not os.access(ws.config_path, os.W_OK):
        admin = _owner(ws.config_path)
        raise ComptoirError(
            f"you may not change {ws.config_path} (it belongs to {admin}): run "
            f"`comptoir client add` as {admin}, the workspace's admin; nothing was written"
        )
    mode = os.stat(ws.config_path).st_mode & 0o777
    with open(ws.config_path, "a", encoding="utf-8") as out:
        out.write(block if text.endswith("\n") else "\n" + block)
    os.chmod(ws.config_path, mode)
    return block
