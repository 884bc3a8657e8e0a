"""What every verb (core.work.actions, replies, presence) uses: how it names agents and conversations,
and how it refuses, including to an agent who may not read the conversation."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from core.work.access import Guard, Reader
from core.work.views import ActionResult
from core.workspace.folder import Workspace
from routing.wording import when


class Labelled(Protocol):
    """What naming a conversation reads: the ORM model and core.work.actions' claim row both have it
    (read-only members, so a frozen row matches; the model's id is Optional only before a flush)."""

    @property
    def id(self) -> int | None: ...
    @property
    def subject(self) -> str: ...
    @property
    def confidential(self) -> bool: ...


def agent_name(ws: Workspace, login: str | None) -> str:
    if not login:
        return "nobody"
    agent = ws.config.agent(login)
    return agent.name if agent else login


def conversation_label(conv: Labelled) -> str:
    subject = conv.subject if not conv.confidential else "confidential"
    return f"#{conv.id} \u201c{subject[:60]}\u201d"


def require_agent(ws: Workspace, login: str) -> None:
    ws.config.require_agent(login)


def refused(message: str, conversation_id: int | None = None, winner: str | None = None) -> ActionResult:
    return ActionResult(False, message, conversation_id, winner)


def unreadable(ws: Workspace, agent: str, conv: Labelled, now: datetime) -> ActionResult | None:
    """The refusal for an agent who may not read the conversation (core.work.access), naming none of its
    content; None when they may. Nobody acts on what they may not read."""
    reader = Reader.of(ws.config, agent)
    guard = Guard.of(conv)
    if reader.may_read(guard, now):
        return None
    if guard.in_exclusive_window(now):
        until = f" until {when(guard.exclusive_until, None)}" if guard.exclusive_until else ""
        return refused(
            f"#{conv.id} is personal mail for {agent_name(ws, guard.exclusive_agent)} alone{until}: "
            "only they and supervisors can open it or act on it; ask them or a supervisor",
            conv.id,
        )
    return refused(f"#{conv.id}: {reader.why_not(guard, now)}", conv.id)
