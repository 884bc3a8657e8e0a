"""Requests between teams (seed 002): a sales agent asks purchasing, purchasing works it like mail and answers.

A request is a conversation of kind "request" in the asked team's queue, linked to the customer conversation
it was opened from. Its states: new -> in_progress (claimed or started) -> answered -> done, or declined.
The requester is alerted only when it is answered or declined, or when the team asks them a question:
not on every step.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from core.errors import ActionRefused, UnknownName
from core.store.models import NO_DEADLINE, Conversation, id_of
from core.work.access import Guard, Reader, hidden_subject
from core.work.actions import _add_note
from core.work.journal import raise_alerts, record_change, record_event
from core.work.queries import get_conversation
from core.work.verb_support import agent_name as _name
from core.work.verb_support import conversation_label as _label
from core.work.verb_support import unreadable as _unreadable
from core.work.views import ActionResult, RequestLink
from core.workspace.folder import Workspace

STATES = ("new", "in_progress", "answered", "done", "declined")
UPDATES = ("in_progress", "answered", "done", "declined", "question")
"""What `update_request` takes: a state, or "question" (ask the requester something; the state stays)."""
CLOSED = ("done", "declined")
ALERTING = ("answered", "declined", "question")
NEEDS_TEXT = ("answered", "declined", "question")
WORDS = {"new": "new", "in_progress": "in progress", "answered": "answered", "done": "done", "declined": "declined"}


def open_request(
    ws: Workspace, agent: str, to_team: str, text: str, now: datetime, conversation_id: int | None = None
) -> ActionResult:
    """Open a request to `to_team`, from a customer conversation or on its own; the team is alerted."""
    ws.config.require_team(to_team)
    text = text.strip()
    if not text:
        raise ActionRefused("say what you ask for: the request text is empty")
    subject = " ".join(text.splitlines()[0].split())[:80]
    with ws.db.write() as s:
        parent = None
        if conversation_id is not None:
            parent = get_conversation(s, conversation_id, lock=True)
            if (refused := _unreadable(ws, agent, parent, now)) is not None:
                return refused
            if parent.kind == "request":
                return ActionResult(
                    False,
                    f"#{parent.id} is itself a request: open yours from the customer "
                    f"conversation (#{parent.request_of})"
                    if parent.request_of
                    else f"#{parent.id} is itself a request",
                    parent.id,
                )
        request = Conversation(
            subject=subject,
            contact_id=None,
            customer_address="",
            customer_name=_name(ws, agent),
            via_address="",
            team=to_team,
            owner=None,
            visibility="team",
            state="open",
            kind="request",
            channel="internal",
            request_of=conversation_id,
            request_state="new",
            requester=agent,
            client=parent.client if parent is not None else None,
            # Not confidential even when the customer's thread is: the requester must read the answer.
            confidential=False,
            created_at=now,
            updated_at=now,
            last_message_at=now,
            deadline=NO_DEADLINE,
            next_step_at=None,
            pending_count=0,
            message_count=0,
            routing_reasons=[
                {
                    "code": "request",
                    "text": f"{_name(ws, agent)} asked team {to_team}"
                    + (f" about #{conversation_id}" if conversation_id else "")
                    + ".",
                    "inputs": {},
                }
            ],
        )
        s.add(request)
        s.flush()
        _add_note(s, ws, request, agent, text, now)
        record_event(
            s,
            request.id,
            agent,
            "request_opened",
            f"{_name(ws, agent)} asked team {to_team}: {subject}",
            now,
            of=conversation_id,
        )
        if parent is not None:
            record_event(
                s,
                parent.id,
                agent,
                "request",
                f"{_name(ws, agent)} opened request #{request.id} to team {to_team}: {subject}",
                now,
                request=request.id,
            )
        raise_alerts(
            s,
            ws,
            now,
            "request",
            f"{_name(ws, agent)} asks team {to_team}: {_label(request)}",
            request.id,
            teams=[to_team],
            exclude=[agent],
        )
        record_change(s, [request.id, *([parent.id] if parent is not None else [])])
        request_id = request.id
    return ActionResult(True, f"request #{request_id} opened for team {to_team}", request_id)


def update_request(ws: Workspace, agent: str, request_id: int, state: str, text: str, now: datetime) -> ActionResult:
    """Move a request to a state (or ask its requester a question), with an optional comment.

    The asked team's members and supervisors change its state; its requester may only close it (done)
    or add to it. Answered, declined and questions alert the requester; other steps alert nobody."""
    if state not in UPDATES:
        raise UnknownName(f"{state!r} is not a request state; use one of {', '.join(UPDATES)}")
    text = text.strip()
    if state in NEEDS_TEXT and not text:
        raise ActionRefused(
            f"say what the {'question' if state == 'question' else 'answer'} is: "
            f"a request {WORDS.get(state, state)} needs a text"
        )
    with ws.db.write() as s:
        conv = get_conversation(s, request_id, lock=True)
        if conv.kind != "request":
            return ActionResult(False, f"#{request_id} is not a request", request_id)
        if (refused := _unreadable(ws, agent, conv, now)) is not None:
            return refused
        of_team = agent in ws.config.members_of(conv.team or "") or ws.config.is_supervisor(agent)
        if not of_team and not (agent == conv.requester and state == "done"):
            return ActionResult(
                False,
                f"only team {conv.team} (or a supervisor) works request #{request_id}; "
                "as its requester you may close it (done) or write a note",
                request_id,
            )
        previous = conv.request_state or "new"
        if previous in CLOSED and state != "question":
            return ActionResult(
                False, f"request #{request_id} is {WORDS[previous]} already; open a new one", request_id
            )
        new_state = previous if state == "question" else state
        values: dict[str, object] = {
            "request_state": new_state,
            "updated_at": now,
            "state": "done" if new_state in CLOSED else "open",
        }
        if conv.owner is None and of_team and state != "done":
            values["owner"] = agent
        s.execute(update(Conversation).where(col(Conversation.id) == request_id).values(**values))
        words = {
            "question": "asks",
            "in_progress": "started",
            "answered": "answered",
            "done": "closed",
            "declined": "declined",
        }[state]
        if text:
            prefix = {
                "question": "Question",
                "answered": "Answer",
                "declined": "Declined",
                "done": "Done",
                "in_progress": "Started",
            }[state]
            _add_note(s, ws, conv, agent, f"{prefix}: {text}", now)
        said = f"{_name(ws, agent)} {words} request #{request_id}" + (f": {text[:100]}" if text else "")
        record_event(s, request_id, agent, "request_" + state, said, now, state=new_state, previous=previous)
        changed = [request_id]
        if conv.request_of is not None:
            record_event(
                s,
                conv.request_of,
                agent,
                "request_state",
                f"request #{request_id} to team {conv.team}: {WORDS[new_state]}",
                now,
                request=request_id,
                state=new_state,
            )
            changed.append(conv.request_of)
        if state in ALERTING and conv.requester:
            raise_alerts(
                s,
                ws,
                now,
                "request",
                f"Team {conv.team} {words} your request {_label(conv)}" + (f": {text[:80]}" if text else ""),
                request_id,
                agents=[conv.requester],
                exclude=[agent],
            )
        record_change(s, changed)
    return ActionResult(
        True,
        f"request #{request_id} is {WORDS[new_state]}"
        + (" (the requester is alerted)" if state in ALERTING and conv.requester != agent else ""),
        request_id,
    )


def links(s: Session, ws: Workspace, agent: str, convs: list[Conversation], now: datetime) -> tuple[RequestLink, ...]:
    reader = Reader.of(ws.config, agent)
    out = []
    for c in convs:
        guard = Guard.of(c)
        subject = c.subject if reader.may_read(guard, now) else hidden_subject(guard, now)
        out.append(
            RequestLink(
                id_of(c),
                c.team or "",
                c.request_state or "new",
                subject,
                c.requester or "",
                c.request_of,
                c.owner,
                c.updated_at,
            )
        )
    return tuple(out)


def requests_of(s: Session, ws: Workspace, agent: str, conversation_id: int, now: datetime) -> tuple[RequestLink, ...]:
    """The requests opened from a customer conversation, oldest first."""
    convs = list(
        s.exec(
            select(Conversation)
            .where(Conversation.request_of == conversation_id, Conversation.kind == "request")
            .order_by(col(Conversation.id))
        )
    )
    return links(s, ws, agent, convs, now)


def list_requests(
    ws: Workspace,
    agent: str,
    now: datetime,
    team: str | None = None,
    mine: bool = False,
    include_closed: bool = False,
    limit: int = 200,
) -> list[RequestLink]:
    """Requests to a team, or opened by this agent (mine), newest first; open ones only unless include_closed."""
    if team:
        ws.config.require_team(team)
    with ws.db.read() as s:
        stmt = select(Conversation).where(Conversation.kind == "request")
        if team:
            stmt = stmt.where(Conversation.team == team)
        if mine:
            stmt = stmt.where(Conversation.requester == agent)
        if not include_closed:
            stmt = stmt.where(col(Conversation.request_state).not_in(CLOSED))
        convs = list(s.exec(stmt.order_by(col(Conversation.id).desc()).limit(limit)))
        return list(links(s, ws, agent, convs, now))


def request_link(s: Session, ws: Workspace, agent: str, conv: Conversation, now: datetime) -> RequestLink | None:
    return links(s, ws, agent, [conv], now)[0] if conv.kind == "request" else None
