"""Reads for front ends: queues, keyset pages, conversation detail, alerts, agents; all return views."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

import os

from sqlalchemy import Integer, and_, case, column, false, func, or_, text, true, tuple_
from sqlmodel import Session, col, select

from core.mime import extract_attachment, safe_filename
from core.errors import ActionRefused
from core.models import (
    NO_DEADLINE,
    Alert,
    Attachment,
    Conversation,
    Event,
    Message,
    OutboxItem,
    Presence,
    RawMail,
)
from core.search import matching_conversations_sql
from core.views import (
    AgentView,
    AlertView,
    AttachmentView,
    ConversationDetail,
    ConversationRow,
    EventView,
    MessageView,
    QueueInfo,
    ReasonView,
    RungView,
    SortKey,
    TeamView,
    WhyView,
)
from core.workspace import Workspace

PRESENCE_TTL = timedelta(seconds=60)
OPEN_STATES = ("open",)


def _my_teams(ws: Workspace, agent: str) -> tuple[str, ...]:
    return ws.config.teams_of(agent)


def _is_supervisor(ws: Workspace, agent: str) -> bool:
    found = ws.config.agent(agent)
    return bool(found and found.role == "supervisor")


def queue_filter(ws: Workspace, agent: str, queue: str):
    """The WHERE clause of a queue, as SQLAlchemy expressions over Conversation."""
    c = Conversation
    # Supervisors see every team's waiting, snoozed and done conversations; agents their own and their teams'.
    if _is_supervisor(ws, agent):
        scope = true()
    else:
        scope = or_(col(c.owner) == agent, col(c.team).in_(_my_teams(ws, agent)))
    if queue == "mine":
        return and_(col(c.owner) == agent, col(c.state) == "open")
    if queue == "exclusive":
        return and_(
            col(c.exclusive_agent) == agent, col(c.visibility) == "personal", col(c.state) == "open",
            col(c.owner).is_(None),
        )
    if queue.startswith("team:"):
        team = queue.removeprefix("team:")
        return and_(col(c.team) == team, col(c.state) == "open", col(c.visibility).in_(("team", "everyone")))
    if queue == "everyone":
        return and_(col(c.visibility) == "everyone", col(c.state) == "open", col(c.owner).is_(None))
    if queue in ("waiting", "snoozed", "done"):
        return and_(col(c.state) == queue, scope)
    if queue in ("search", "all"):
        return true()
    raise ActionRefused(f"unknown queue {queue!r}")


def queue_titles(ws: Workspace, agent: str) -> list[tuple[str, str]]:
    titles = [("mine", "My work"), ("exclusive", "Exclusive to me")]
    for team in _my_teams(ws, agent) or ():
        found = ws.config.team(team)
        titles.append((f"team:{team}", f"Team {found.title or team}" if found else team))
    if _is_supervisor(ws, agent):
        for team in ws.config.teams:
            key = f"team:{team.name}"
            if key not in dict(titles):
                titles.append((key, f"Team {team.title or team.name}"))
    titles += [("everyone", "Everyone (unclaimed)"), ("waiting", "Waiting on customer"),
               ("snoozed", "Snoozed"), ("done", "Done")]
    return titles


def queues(ws: Workspace, agent: str, now: datetime) -> list[QueueInfo]:
    """Every queue's count and urgent count, in one pass over the unfinished conversations."""
    soon = now + ws.config.routing.warn_before
    titles = queue_titles(ws, agent)
    columns = []
    for key, _title in titles:
        where = queue_filter(ws, agent, key)
        columns.append(func.sum(case((where, 1), else_=0)))
        columns.append(func.sum(case((and_(where, col(Conversation.deadline) <= soon), 1), else_=0)))
    with ws.db.read() as s:
        live = s.execute(select(*columns).where(col(Conversation.state) != "done")).one()
        done = s.execute(select(func.count()).where(queue_filter(ws, agent, "done"))).scalar()
    out = []
    for i, (key, title) in enumerate(titles):
        count, urgent = int(live[2 * i] or 0), int(live[2 * i + 1] or 0)
        if key == "done":
            count, urgent = int(done or 0), 0
        elif key == "snoozed":
            urgent = 0
        out.append(QueueInfo(key, title, count, urgent))
    out.append(QueueInfo("search", "Search", 0))
    return out


def _search_clause(s: Session, search: str | None):
    if not search:
        return true()
    found = matching_conversations_sql(s, search)
    if found is None:
        return false()
    sql, params = found
    return col(Conversation.id).in_(text(sql).bindparams(**params).columns(column("conversation_id", Integer)))


def queue_ids(ws: Workspace, agent: str, queue: str, search: str | None, now: datetime) -> list[int]:
    with ws.db.read() as s:
        stmt = (
            select(Conversation.id)
            .where(queue_filter(ws, agent, queue), _search_clause(s, search))
            .order_by(col(Conversation.deadline), col(Conversation.id))
        )
        if queue == "done":  # newest first, on the same (state, deadline, id) index read backwards
            stmt = stmt.order_by(None).order_by(col(Conversation.deadline).desc(), col(Conversation.id).desc())
        return [int(i) for i in s.exec(stmt)]


def queue_page(
    ws: Workspace, agent: str, queue: str, after: SortKey | None, limit: int, search: str | None, now: datetime
) -> list[ConversationRow]:
    with ws.db.read() as s:
        stmt = select(Conversation).where(queue_filter(ws, agent, queue), _search_clause(s, search))
        key = tuple_(col(Conversation.deadline), col(Conversation.id))
        position = (after.deadline or NO_DEADLINE, after.id) if after is not None else None
        if queue == "done":
            if position is not None:
                stmt = stmt.where(key < position)
            stmt = stmt.order_by(col(Conversation.deadline).desc(), col(Conversation.id).desc()).limit(limit)
        else:
            if position is not None:
                stmt = stmt.where(key > position)
            stmt = stmt.order_by(col(Conversation.deadline), col(Conversation.id)).limit(limit)
        convs = list(s.exec(stmt))
        return _to_rows(s, ws, agent, convs, now)


def rows(ws: Workspace, agent: str, ids: Sequence[int], now: datetime) -> list[ConversationRow]:
    if not ids:
        return []
    with ws.db.read() as s:
        convs = {c.id: c for c in s.exec(select(Conversation).where(col(Conversation.id).in_(list(ids))))}
        return _to_rows(s, ws, agent, [convs[i] for i in ids if i in convs], now)


def _to_rows(s: Session, ws: Workspace, agent: str, convs: list[Conversation], now: datetime) -> list[ConversationRow]:
    ids = [c.id for c in convs]
    viewers: dict[int, list[str]] = {}
    repliers: dict[int, list[str]] = {}
    if ids:
        fresh = now - PRESENCE_TTL
        for p in s.exec(
            select(Presence).where(
                col(Presence.heartbeat_at) >= fresh,
                col(Presence.agent) != agent,
                or_(col(Presence.viewing_id).in_(ids), col(Presence.replying_id).in_(ids)),
            )
        ):
            if p.replying_id in ids:
                repliers.setdefault(p.replying_id, []).append(p.agent)
            elif p.viewing_id in ids:
                viewers.setdefault(p.viewing_id, []).append(p.agent)
    return [_row(c, viewers.get(c.id, ()), repliers.get(c.id, ())) for c in convs]


def _row(c: Conversation, viewers: Sequence[str] = (), repliers: Sequence[str] = ()) -> ConversationRow:
    window = None
    if c.state == "open" and c.owner is None:
        if c.visibility == "personal":
            window = "personal"
        elif c.visibility == "team":
            window = "team"
    deadline = None if c.deadline is None or c.deadline >= NO_DEADLINE else c.deadline
    return ConversationRow(
        id=c.id, subject=c.subject, customer_name=c.customer_name, customer_address=c.customer_address,
        team=c.team, owner=c.owner, exclusive_agent=c.exclusive_agent, state=c.state, visibility=c.visibility,
        priority=c.priority, confidential=c.confidential, automated=c.automated, deadline=deadline, window=window,
        pending_count=c.pending_count, message_count=c.message_count, last_message_at=c.last_message_at,
        shared_reply=c.shared_reply, viewers=tuple(sorted(viewers)), repliers=tuple(sorted(repliers)),
        version=c.version,
    )


def can_read(ws: Workspace, agent: str, conv: Conversation) -> bool:
    """Confidential content is for the owner, the exclusive agent and supervisors only."""
    if not conv.confidential:
        return True
    return agent in (conv.owner, conv.exclusive_agent) or _is_supervisor(ws, agent)


def get_conversation(s: Session, conversation_id: int, lock: bool = False) -> Conversation:
    """The conversation; with lock=True its row is locked until commit (FOR UPDATE on PostgreSQL;
    SQLite writes already hold the database lock from BEGIN IMMEDIATE)."""
    if lock:
        conv = s.exec(
            select(Conversation).where(Conversation.id == conversation_id).with_for_update().execution_options(populate_existing=True)
        ).first()
    else:
        conv = s.get(Conversation, conversation_id)
    if conv is None:
        raise ActionRefused(f"there is no conversation #{conversation_id}")
    return conv


def detail(ws: Workspace, agent: str, conversation_id: int, now: datetime) -> ConversationDetail:
    with ws.db.read() as s:
        conv = get_conversation(s, conversation_id)
        row = _to_rows(s, ws, agent, [conv], now)[0]
        hidden = not can_read(ws, agent, conv)
        messages: list[MessageView] = []
        if not hidden:
            msgs = list(s.exec(select(Message).where(Message.conversation_id == conversation_id).order_by(col(Message.id))))
            ids = [m.id for m in msgs]
            atts: dict[int, list[AttachmentView]] = {}
            for a in s.exec(select(Attachment).where(col(Attachment.message_id).in_(ids)).order_by(col(Attachment.id))):
                atts.setdefault(a.message_id, []).append(AttachmentView(a.id, a.filename, a.content_type, a.size))
            outbox = {o.message_row_id: o for o in s.exec(select(OutboxItem).where(OutboxItem.conversation_id == conversation_id))}
            for m in msgs:
                o = outbox.get(m.id)
                messages.append(
                    MessageView(
                        id=m.id, direction=m.direction, from_name=m.from_name, from_addr=m.from_addr,
                        to=tuple(m.to_addrs), cc=tuple(m.cc_addrs), subject=m.subject, sent_at=m.sent_at,
                        received_at=m.received_at, text=m.text, disposition=m.disposition,
                        disposition_reason=m.disposition_reason, disposed_by=m.disposed_by, author=m.author,
                        attachments=tuple(atts.get(m.id, ())), outbox_state=o.state if o else None,
                        outbox_answer=o.last_answer if o else None, defects=tuple(m.defects),
                    )
                )
        events = _events(s, conversation_id, limit=50)
        reply_to, reply_cc = reply_recipients(ws, conv, messages)
        return ConversationDetail(
            row=row, messages=tuple(messages), reasons=_reasons(conv), ladder=_ladder(conv), events=events,
            hidden=hidden, reply_from=conv.via_address, reply_to=reply_to, reply_cc=reply_cc,
        )


def our_addresses(ws: Workspace) -> set[str]:
    addrs = {a.address.lower() for a in ws.config.accounts}
    for t in ws.config.teams:
        addrs |= {x.lower() for x in t.addresses}
    for a in ws.config.agents:
        addrs |= {x.lower() for x in a.addresses}
    return addrs


def reply_recipients(ws: Workspace, conv: Conversation, messages: Sequence[MessageView]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Reply-all recipients: the customer, then everyone else on the last inbound mail except us."""
    ours = our_addresses(ws)
    last_in = next((m for m in reversed(messages) if m.direction == "inbound"), None)
    to = (conv.customer_address,) if conv.customer_address else ()
    if last_in is None:
        return to, ()
    others = [a for a in (*last_in.to, *last_in.cc) if a and a.lower() not in ours and a.lower() not in {x.lower() for x in to}]
    return to, tuple(dict.fromkeys(others))


def _reasons(conv: Conversation) -> tuple[ReasonView, ...]:
    return tuple(ReasonView(r.get("code", ""), r.get("text", "")) for r in conv.routing_reasons)


def _ladder(conv: Conversation) -> tuple[RungView, ...]:
    out = []
    for r in conv.ladder:
        try:
            at = datetime.fromisoformat(r["at"])
        except (KeyError, ValueError, TypeError):
            continue
        out.append(RungView(at, r.get("visibility", ""), r.get("text", "")))
    return tuple(out)


def _events(s: Session, conversation_id: int, limit: int) -> tuple[EventView, ...]:
    rows = s.exec(
        select(Event).where(Event.conversation_id == conversation_id).order_by(col(Event.id).desc()).limit(limit)
    )
    return tuple(reversed([EventView(e.at, e.actor, e.kind, e.details.get("text", e.kind)) for e in rows]))


def why(ws: Workspace, agent: str, conversation_id: int) -> WhyView:
    with ws.db.read() as s:
        conv = get_conversation(s, conversation_id)
        subject = conv.subject if can_read(ws, agent, conv) else "(confidential)"
        return WhyView(conv.id, subject, _reasons(conv), _ladder(conv), _events(s, conversation_id, limit=100))


def alerts(ws: Workspace, agent: str, include_acknowledged: bool, limit: int) -> list[AlertView]:
    with ws.db.read() as s:
        stmt = select(Alert).where(Alert.agent == agent)
        if not include_acknowledged:
            stmt = stmt.where(col(Alert.acknowledged_at).is_(None))
        stmt = stmt.order_by(col(Alert.id).desc()).limit(limit)
        return [
            AlertView(a.id, a.kind, a.text, a.conversation_id, a.created_at, a.acknowledged_at is not None, a.source)
            for a in s.exec(stmt)
        ]


def alert_count(ws: Workspace, agent: str) -> int:
    with ws.db.read() as s:
        return int(s.exec(select(func.count()).where(Alert.agent == agent, col(Alert.acknowledged_at).is_(None))).one())


def open_loads(s: Session) -> dict[str, int]:
    return {
        owner: int(n)
        for owner, n in s.exec(
            select(Conversation.owner, func.count()).where(col(Conversation.state) == "open", col(Conversation.owner).is_not(None)).group_by(Conversation.owner)
        )
    }


def presences(s: Session) -> dict[str, Presence]:
    return {p.agent: p for p in s.exec(select(Presence))}


def agent_view(ws: Workspace, login: str, now: datetime) -> AgentView:
    return next(a for a in agents(ws, now) if a.login == login)


def agents(ws: Workspace, now: datetime) -> list[AgentView]:
    from core.policy import agent_at_work

    with ws.db.read() as s:
        loads = open_loads(s)
        pres = presences(s)
    out = []
    for a in ws.config.agents:
        p = pres.get(a.login)
        status = p.status if p else "available"
        until = p.until if p else None
        if p and status != "available" and until is not None and until <= now:
            status, until = "available", None
        out.append(
            AgentView(
                login=a.login, name=a.name, teams=ws.config.teams_of(a.login), role=a.role, presence=status,
                until=until, open_load=loads.get(a.login, 0), at_work=agent_at_work(ws, a.login, status, now),
            )
        )
    return out


def teams(ws: Workspace) -> list[TeamView]:
    with ws.db.read() as s:
        counts = dict(
            s.exec(select(Conversation.team, func.count()).where(col(Conversation.state) == "open").group_by(Conversation.team)).all()
        )
    return [TeamView(t.name, t.title or t.name, ws.config.members_of(t.name), int(counts.get(t.name, 0))) for t in ws.config.teams]


def saved_replies(ws: Workspace, conversation_id: int) -> dict[str, str]:
    with ws.db.read() as s:
        conv = get_conversation(s, conversation_id)
    team = ws.config.team(conv.team) if conv.team else None
    return dict(team.saved_replies) if team else {}


def signature_for(ws: Workspace, address: str, team_name: str | None) -> str:
    for t in ws.config.teams:
        if address.lower() in (x.lower() for x in t.addresses) and t.signature:
            return t.signature
    team = ws.config.team(team_name) if team_name else None
    return team.signature if team else ""


def attachment(ws: Workspace, agent: str, attachment_id: int) -> tuple[str, str, bytes]:
    with ws.db.read() as s:
        att = s.get(Attachment, attachment_id)
        if att is None:
            raise ActionRefused(f"there is no attachment #{attachment_id}")
        msg = s.get(Message, att.message_id)
        conv = s.get(Conversation, msg.conversation_id)
        if not can_read(ws, agent, conv):
            raise ActionRefused("this conversation is confidential: only its owner and supervisors can open it")
        raw = s.get(RawMail, msg.raw_sha256) if msg.raw_sha256 else None
        if raw is None:
            raise ActionRefused("the raw mail of this attachment is not stored")
        data = raw.data
    name, ctype, payload = extract_attachment(data, att.part_path)
    return safe_filename(att.filename or name), ctype, payload


def save_attachment(ws: Workspace, agent: str, attachment_id: int, path: Path) -> Path:
    """Write an attachment; a folder target gets the attachment's sanitized name; never overwrites."""
    name, _ctype, data = attachment(ws, agent, attachment_id)
    target = Path(path).expanduser()
    if target.is_dir():
        target = target / name
    if target.exists():
        raise ActionRefused(f"{target} already exists; choose another name")
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with open(fd, "wb") as out:
        out.write(data)
    return target
