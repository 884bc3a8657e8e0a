"""Who is alerted, and how alerts are kept: one row per conversation and person, raised again in place as the conversation moves.

This module is the rule (who gets which alert, which kinds are kept, digests); core/work/journal.py, the
one writer of alerts, applies it in `write_alerts`, so the rule lives in one place: a new alert about a conversation the
agent already has an alert for replaces it (kind, text, time) and makes it unseen again, instead of
adding a row. Alerts that concern no conversation are kept apart, except the server's own trouble
reports, which also stay one per kind until acknowledged, and digests: supervisors hear once per team
that conversations went past their team window (the last rung), not once per conversation.

When a conversation no longer needs someone (a colleague claimed it, it is done, the agent opened it),
journal.settle_alerts acknowledges their alerts about it: an alert exists only while someone must act.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from core.workspace.folder import Workspace


@dataclass(frozen=True)
class NewAlert:
    """One alert to write for one agent."""

    agent: str
    kind: str
    text: str
    conversation_id: int | None
    team: str | None = None
    source: str = "comptoir"


PICK_UP_KINDS = ("team", "escalation", "returned", "released", "window_closing", "exclusive", "snooze_over")
"""Alerts asking someone to pick a conversation up: settled for the others once one agent claims it."""

KEPT_KINDS = ("send_failed", "send_partial", "mention", "external")
"""Alerts that stay until their agent acknowledges them, whatever happens to the conversation."""

SINGLE_KINDS = ("server_trouble", "sync_trouble")
"""Alerts without a conversation that are still one per agent and kind until acknowledged."""

DIGEST_KINDS = ("overdue",)
"""Alerts that stand for many conversations: one per agent, kind and team, whose text follows the latest
conversation. Raised again only once its agent acknowledged it and DIGEST_QUIET has passed since."""
DIGEST_QUIET = timedelta(hours=1)


def alert_recipients(
    ws: Workspace, agents: Iterable[str] = (), teams: Iterable[str] = (), exclude: Iterable[str] = ()
) -> dict[str, str | None]:
    """Known agents to alert, each with the team it is alerted for (None when named personally)."""
    excluded = set(exclude)
    recipients: dict[str, str | None] = {}
    for team in teams:
        for member in ws.config.members_of(team):
            recipients.setdefault(member, team)
    for agent in agents:
        recipients[agent] = None
    known = {a.login for a in ws.config.agents}
    return {agent: team for agent, team in recipients.items() if agent in known and agent not in excluded}


def alerts_for(
    ws: Workspace,
    kind: str,
    text: str,
    conversation_id: int | None,
    agents: Iterable[str] = (),
    teams: Iterable[str] = (),
    exclude: Iterable[str] = (),
    source: str = "comptoir",
) -> list[NewAlert]:
    """The alerts one event raises: every member of `teams` and every one of `agents`, but `exclude`."""
    return [
        NewAlert(agent, kind, text, conversation_id, team, source)
        for agent, team in alert_recipients(ws, agents, teams, exclude).items()
    ]
