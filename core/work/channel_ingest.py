"""`comptoir ingest --channel web`: one message from another channel, stored and routed like mail.

Who may call it: the workspace's service account (the server's own Unix account, e.g. a web form handler
run as it, or through `sudo -u comptoir`) and supervisors. Ordinary agents may not, so nobody can make a
customer message appear under an address they choose. It always goes through the workspace server, which
alone opens the database; the message is stored in one transaction, or not at all.
"""

from __future__ import annotations

from datetime import datetime

from core.errors import ActionRefused, BadInput
from core.mail.channels import check_channel, message_from_input
from core.mail.ingest import IncomingMail, ingest_batch
from core.work.queries import our_addresses
from core.work.views import ActionResult
from core.workspace.folder import Workspace


def may_ingest(ws: Workspace, agent: str) -> bool:
    """The service account (no agent: the server's own account) and supervisors."""
    return not agent or ws.config.is_supervisor(agent)


def default_address(ws: Workspace) -> str:
    if ws.config.accounts:
        return ws.config.accounts[0].address.lower()
    for team in ws.config.teams:
        if team.addresses:
            return team.addresses[0].lower()
    raise BadInput(
        "no team address to receive the message: add an account or team addresses to comptoir.toml, "
        "or give --to ADDRESS"
    )


def ingest_channel(
    ws: Workspace, agent: str, channel: str, data: bytes, now: datetime, to_address: str | None = None
) -> ActionResult:
    """Store one channel message as if mailed to `to_address` (a team or client address; default: the first
    account's); returns the conversation it joined or started."""
    if not may_ingest(ws, agent):
        raise ActionRefused(
            f"{agent} may not hand in channel messages: `comptoir ingest` is for the workspace's "
            "service account (a web form handler runs as it) and supervisors"
        )
    check_channel(channel)
    to = (to_address or "").strip().lower() or default_address(ws)
    if to not in our_addresses(ws):
        known = ", ".join(sorted(our_addresses(ws))) or "none configured"
        raise BadInput(f"--to {to}: not one of the workspace's addresses ({known})")
    raw, url = message_from_input(data, channel, to, now)
    report = ingest_batch(ws, [IncomingMail(raw=raw, delivered_to=to, internaldate=now, channel=channel, url=url)], now)
    if report.merged or not report.conversation_ids:
        cid = report.conversation_ids[0] if report.conversation_ids else None
        return ActionResult(True, "this message was stored already" + (f" (#{cid})" if cid else ""), cid)
    cid = report.conversation_ids[0]
    return ActionResult(True, f"#{cid}: stored from the {channel} channel and routed", cid)
