"""Automatic acknowledgements: a templated note per team address, never to automated mail or ourselves,
at most N per sender per day, always carrying `Auto-Submitted: auto-replied`."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from email.utils import make_msgid

from sqlmodel import Session, col, select

from core.mail.mime import ParsedMail
from core.store.models import OutboxItem
from core.workspace.folder import Workspace
from routing import BusinessHours, Decision
from routing.wording import when

NO_REPLY_EXPECTED = "No reply is expected to this address: we read everything sent here, but usually cannot answer."

PLACEHOLDER = re.compile(r"\{(subject|name|address|team|ticket|client|expect)\}")
LINE_BREAKS = re.compile(r"[\r\n]+")


def render_template(template: str, values: dict[str, str]) -> str:
    """Replace the known {placeholders}; anything else in braces is left as written."""
    return PLACEHOLDER.sub(lambda m: values.get(m[1], m[0]), template)


def queue_autoack(
    s: Session,
    ws: Workspace,
    conversation_id: int,
    team: str | None,
    parsed: ParsedMail,
    sender: str,
    delivered_to: str,
    now: datetime,
    decision: Decision | None = None,
) -> bool:
    """Queue an acknowledgement for a new conversation when the address has one and limits allow.
    Routing has already refused automated mail and our own senders (Decision.auto_ack_allowed)."""
    config = next((a for a in ws.config.autoack if a.address.lower() == delivered_to.lower()), None)
    if config is None or config.max_per_sender_per_day == 0:
        return False
    sender = sender.lower()
    personal = {x.lower() for a in ws.config.agents for x in a.addresses}
    if not sender or "@" not in sender or delivered_to.lower() in personal:
        return False
    recent = s.exec(
        select(OutboxItem.to_addrs).where(
            OutboxItem.kind == "autoack", col(OutboxItem.created_at) >= now - timedelta(days=1)
        )
    ).all()
    if sum(1 for to in recent if to and to[0].lower() == sender) >= config.max_per_sender_per_day:
        return False
    values = {
        "subject": LINE_BREAKS.sub(" ", parsed.subject or "(no subject)"),
        "name": LINE_BREAKS.sub(" ", parsed.from_name or sender),
        "address": delivered_to,
        "team": team or "",
        "ticket": str(conversation_id),
        "client": (decision.client if decision else None) or "",
        "expect": config.expect or expectation(decision, _team_hours(ws, team)),
    }
    account = next((a.name for a in ws.config.accounts if a.address.lower() == delivered_to.lower()), None)
    if account is None:
        account = ws.config.accounts[0].name if ws.config.accounts else ""
    references = [*parsed.references, parsed.message_id] if parsed.message_id else list(parsed.references)
    s.add(
        OutboxItem(
            kind="autoack",
            conversation_id=conversation_id,
            author="autoack",
            account=account,
            from_addr=delivered_to,
            to_addrs=[sender],
            cc_addrs=[],
            subject=LINE_BREAKS.sub(" ", render_template(config.subject, values)),
            body=render_template(config.body, values),
            in_reply_to=parsed.message_id,
            references=list(references[-20:]),
            our_message_id=make_msgid(domain=delivered_to.rpartition("@")[2] or "comptoir.invalid"),
            state="queued",
            next_attempt_at=now,
            created_at=now,
        )
    )
    return True


def _team_hours(ws: Workspace, team: str | None) -> BusinessHours | None:
    from core.work.policy import team_hours

    found = ws.config.team(team) if team else None
    return team_hours(found) if found else None


def expectation(decision: Decision | None, hours: BusinessHours | None = None) -> str:
    """One sentence on what the customer can expect, from the routing decision: none for an informational
    address, else when the team's turn ends (the latest a first answer is due by the ladder)."""
    if decision is None:
        return ""
    if decision.informational:
        return NO_REPLY_EXPECTED
    due = decision.team_until or decision.exclusive_until
    if due is None:
        return ""
    return f"We answer by {when(due, hours)} at the latest."
