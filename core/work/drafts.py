"""Drafts: what an agent is typing, saved through the server as they type (the composer debounces),
so a crashed app or a lost SSH session loses nothing. One draft per agent, conversation and kind
(reply or note); nobody else reads it. Sending a reply removes it in the same transaction; cancelling
a held reply (core.work.undo) writes it back."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete
from sqlmodel import Session, col

from core.errors import ActionRefused
from core.store.models import Draft
from core.work.queries import get_conversation
from core.work.views import DraftView
from core.workspace.folder import Workspace

KINDS = ("reply", "note")
MAX_DRAFT = 500_000
"""Characters; a draft longer than this is refused rather than stored half."""


def _check(kind: str, body: str) -> None:
    if kind not in KINDS:
        raise ActionRefused(f"a draft is a reply or a note, not {kind!r}")
    if len(body) > MAX_DRAFT:
        raise ActionRefused(f"the draft is {len(body)} characters, more than {MAX_DRAFT}: it was not saved")


def save(
    ws: Workspace,
    agent: str,
    conversation_id: int,
    kind: str,
    body: str,
    to: Sequence[str],
    cc: Sequence[str],
    now: datetime,
) -> None:
    """Store (or replace) the draft; an empty one is removed."""
    _check(kind, body)
    from core.work.verb_support import unreadable as _unreadable

    with ws.db.write() as s:
        conv = get_conversation(s, conversation_id)
        if (refused := _unreadable(ws, agent, conv, now)) is not None:
            raise ActionRefused(refused.message)
        write(s, agent, conversation_id, kind, body, to, cc, now)


def write(
    s: Session,
    agent: str,
    conversation_id: int,
    kind: str,
    body: str,
    to: Sequence[str],
    cc: Sequence[str],
    now: datetime,
) -> None:
    """Inside an action's transaction (a cancelled reply writes its text back this way)."""
    if not body.strip():
        remove(s, agent, conversation_id, kind)
        return
    draft = s.get(Draft, (agent, conversation_id, kind)) or Draft(
        agent=agent, conversation_id=conversation_id, kind=kind
    )
    draft.body, draft.to_addrs, draft.cc_addrs, draft.updated_at = body, list(to), list(cc), now
    s.add(draft)


def remove(s: Session, agent: str, conversation_id: int, kind: str) -> None:
    s.execute(
        delete(Draft).where(
            col(Draft.agent) == agent, col(Draft.conversation_id) == conversation_id, col(Draft.kind) == kind
        )
    )


def discard(ws: Workspace, agent: str, conversation_id: int, kind: str) -> None:
    _check(kind, "")
    with ws.db.write() as s:
        remove(s, agent, conversation_id, kind)


def read(ws: Workspace, agent: str, conversation_id: int, kind: str) -> DraftView | None:
    _check(kind, "")
    with ws.db.read() as s:
        draft = s.get(Draft, (agent, conversation_id, kind))
    if draft is None:
        return None
    return DraftView(conversation_id, kind, draft.body, tuple(draft.to_addrs), tuple(draft.cc_addrs), draft.updated_at)
