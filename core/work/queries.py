"""Reads for front ends: queues, keyset pages, conversation detail, alerts, agents; all return views."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from sqlalchemy import func
from sqlmodel import Session, col, select

from core.errors import ActionRefused
from core.mail.mime import extract_attachment, safe_filename
from core.store.models import (
    Attachment,
    Conversation,
    Event,
    Message,
    OutboxItem,
    id_of,
)
from core.store.rawmail import read_raw
from core.store.rawsql import RawSql
from core.work.access import Guard, Reader, hidden_subject
from core.work.acting import actor_label

# The main screen's reads (queues, rows, alerts, agents) live in core.work.listing, without the ORM.
from core.work.listing import ROW_FIELDS, _to_rows
from core.work.views import (
    AttachmentView,
    ContactView,
    ConversationDetail,
    EventView,
    MessageView,
    PastConversation,
    RatingView,
    ReasonView,
    RungView,
    TeamView,
    WhyView,
)
from core.workspace.folder import Workspace


def require_readable(ws: Workspace, agent: str, conv: Conversation, now: datetime) -> None:
    """Refuse, without naming anything of its content, when the agent may not read the conversation."""
    reader = Reader.of(ws.config, agent)
    guard = Guard.of(conv)
    if not reader.may_read(guard, now):
        raise ActionRefused(f"#{conv.id}: {reader.why_not(guard, now)}")


def get_conversation(s: Session, conversation_id: int, lock: bool = False) -> Conversation:
    """The conversation; with lock=True its row is locked until commit (FOR UPDATE on PostgreSQL;
    SQLite writes already hold the database lock from BEGIN IMMEDIATE)."""
    if lock:
        conv = s.exec(
            select(Conversation)
            .where(Conversation.id == conversation_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).first()
    else:
        conv = s.get(Conversation, conversation_id)
    if conv is None:
        raise ActionRefused(f"there is no conversation #{conversation_id}")
    return conv


def detail(ws: Workspace, agent: str, conversation_id: int, now: datetime) -> ConversationDetail:
    with ws.db.read() as s:
        conv = get_conversation(s, conversation_id)
        reader = Reader.of(ws.config, agent)
        row = _to_rows(RawSql(s), reader, [tuple(getattr(conv, f) for f in ROW_FIELDS)], now)[0]
        if row.hidden:
            # Reasons quote matched rules and the sender's history; events name recipients and notes.
            return ConversationDetail(row=row, messages=(), reasons=(), ladder=_ladder(conv), events=(), hidden=True)
        msgs = list(s.exec(select(Message).where(Message.conversation_id == conversation_id).order_by(col(Message.id))))
        ids = [m.id for m in msgs]
        atts: dict[int, list[AttachmentView]] = {}
        for a in s.exec(select(Attachment).where(col(Attachment.message_id).in_(ids)).order_by(col(Attachment.id))):
            atts.setdefault(a.message_id, []).append(AttachmentView(id_of(a), a.filename, a.content_type, a.size))
        outbox = {
            o.message_row_id: o for o in s.exec(select(OutboxItem).where(OutboxItem.conversation_id == conversation_id))
        }
        messages: list[MessageView] = []
        for m in msgs:
            o = outbox.get(id_of(m))
            messages.append(
                MessageView(
                    id=id_of(m),
                    direction=m.direction,
                    from_name=m.from_name,
                    from_addr=m.from_addr,
                    to=tuple(m.to_addrs),
                    cc=tuple(m.cc_addrs),
                    subject=m.subject,
                    sent_at=m.sent_at,
                    received_at=m.received_at,
                    text=m.text,
                    disposition=m.disposition,
                    disposition_reason=m.disposition_reason,
                    disposed_by=m.disposed_by,
                    author=m.author,
                    attachments=tuple(atts.get(id_of(m), ())),
                    outbox_state=o.state if o else None,
                    outbox_answer=o.last_answer if o else None,
                    defects=tuple(m.defects),
                    bcc=tuple(m.bcc_addrs or ()),
                    outbound_kind=str((m.headers or {}).get("comptoir-kind", "")) if m.direction == "outbound" else "",
                )
            )
        events = _events(s, conversation_id, limit=50)
        reply_to, reply_cc = reply_recipients(ws, conv, messages)
        from core.work.requests import request_link, requests_of

        try:
            sender = reply_from(ws, conv)
        except ActionRefused:
            sender = ""  # nothing to send from: the reply itself says so
        return ConversationDetail(
            row=row,
            messages=tuple(messages),
            reasons=_reasons(conv),
            ladder=_ladder(conv),
            events=events,
            hidden=False,
            reply_from=sender,
            reply_to=reply_to,
            reply_cc=reply_cc,
            reply_signature=signature_block(ws, sender, conv.team),
            client=conv.client,
            channel=conv.channel or "mail",
            url=_channel_url(s, conv),
            kind=conv.kind or "mail",
            request=request_link(s, ws, agent, conv, now),
            requests=requests_of(s, ws, agent, id_of(conv), now) if conv.kind != "request" else (),
        )


def _channel_url(s: Session, conv: Conversation) -> str | None:
    """The page the latest channel message came from (kept in its "channel" event); mail never has one."""
    if (conv.channel or "mail") == "mail":
        return None
    for details in s.exec(
        select(Event.details)
        .where(Event.conversation_id == conv.id, Event.kind == "channel")
        .order_by(col(Event.id).desc())
    ):
        if isinstance(details, dict) and details.get("url"):
            return str(details["url"])
    return None


PAST_LIMIT = 50
"""How many of a contact's conversations the customer panel lists."""


def contact(
    ws: Workspace, agent: str, now: datetime, conversation_id: int | None = None, address: str | None = None
) -> ContactView:
    """The customer of a conversation (or of an address): client, audiences, ratings and past conversations,
    newest first; those the agent may not read show no subject."""
    from core.store.models import Contact, Rating

    with ws.db.read() as s:
        if conversation_id is not None:
            conv = get_conversation(s, conversation_id)
            require_readable(ws, agent, conv, now)
            if conv.kind == "request":
                raise ActionRefused(
                    f"#{conversation_id} is a request between teams: it has no customer"
                    + (f"; see #{conv.request_of}" if conv.request_of else "")
                )
            row = s.get(Contact, conv.contact_id) if conv.contact_id else None
            address = conv.customer_address
        else:
            address = (address or "").strip().lower()
            if not address:
                raise ActionRefused("name a conversation or an address")
            row = s.exec(select(Contact).where(Contact.address == address)).first()
            if row is None:
                raise ActionRefused(f"there is no contact {address}: nobody has written from that address")
        reader = Reader.of(ws.config, agent)
        past: list[PastConversation] = []
        total = 0
        ratings: list[RatingView] = []
        if row is not None:
            total = int(
                s.exec(select(func.count()).select_from(Conversation).where(Conversation.contact_id == row.id)).one()
            )
            for c in s.exec(
                select(Conversation)
                .where(Conversation.contact_id == row.id)
                .order_by(col(Conversation.id).desc())
                .limit(PAST_LIMIT)
            ):
                guard = Guard.of(c)
                readable = reader.may_read(guard, now)
                past.append(
                    PastConversation(
                        id_of(c),
                        c.subject if readable else hidden_subject(guard, now),
                        c.state,
                        c.team,
                        c.owner,
                        c.created_at,
                        c.channel or "mail",
                        c.client,
                        not readable,
                    )
                )
            ratings = [
                RatingView(r.agent, r.score, r.rated_on.isoformat())
                for r in s.exec(select(Rating).where(Rating.contact_id == row.id).order_by(col(Rating.rated_on).desc()))
            ]
        client_name = next((p.client for p in past if p.client), None)
        found = ws.config.client(client_name) if client_name else None
        return ContactView(
            address=address or "",
            name=row.name if row else "",
            audiences=tuple(row.audiences) if row else (),
            client=client_name,
            client_notes=found.notes if found else "",
            ratings=tuple(ratings),
            conversations=tuple(past),
            total_conversations=total,
        )


def our_addresses(ws: Workspace) -> set[str]:
    addrs = {a.address.lower() for a in ws.config.accounts}
    for t in ws.config.teams:
        addrs |= {x.lower() for x in t.addresses}
    for a in ws.config.agents:
        addrs |= {x.lower() for x in a.addresses}
    for c in ws.config.clients:
        addrs |= set(c.addresses)
    return addrs


def reply_recipients(
    ws: Workspace, conv: Conversation, messages: Sequence[MessageView]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Reply-all recipients: the customer, then everyone else on the last inbound mail except us."""
    ours = our_addresses(ws)
    last_in = next((m for m in reversed(messages) if m.direction == "inbound"), None)
    to = (conv.customer_address,) if conv.customer_address else ()
    if last_in is None:
        return to, ()
    others = [
        a
        for a in (*last_in.to, *last_in.cc)
        if a and a.lower() not in ours and a.lower() not in {x.lower() for x in to}
    ]
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
    from core.work.merging import undo_label

    return tuple(
        reversed(
            [
                EventView(
                    e.at,
                    actor_label(e.actor, e.details),
                    e.kind,
                    e.details.get("text", e.kind),
                    e.id or 0,
                    undo_label(s, e),
                )
                for e in rows
            ]
        )
    )


def why(ws: Workspace, agent: str, conversation_id: int, now: datetime) -> WhyView:
    """Routing reasons, ladder and history; to someone who may not read it, only the ladder."""
    with ws.db.read() as s:
        conv = get_conversation(s, conversation_id)
        guard = Guard.of(conv)
        if not Reader.of(ws.config, agent).may_read(guard, now):
            return WhyView(id_of(conv), hidden_subject(guard, now), (), _ladder(conv), ())
        return WhyView(id_of(conv), conv.subject, _reasons(conv), _ladder(conv), _events(s, conversation_id, limit=100))


def teams(ws: Workspace) -> list[TeamView]:
    """Every team with the count of its queue, the same condition (and so the same number) as the sidebar's."""
    from core.work.listing import queue_where

    counts = {}
    with ws.db.raw(write=False) as raw:
        for t in ws.config.teams:
            where, params = queue_where(ws, "", f"team:{t.name}")
            counts[t.name] = int(raw.scalar(f"SELECT count(*) FROM conversation WHERE {where}", params))
    return [TeamView(t.name, t.title or t.name, ws.config.members_of(t.name), counts[t.name]) for t in ws.config.teams]


def saved_replies(ws: Workspace, conversation_id: int) -> dict[str, str]:
    with ws.db.read() as s:
        conv = get_conversation(s, conversation_id)
    team = ws.config.team(conv.team) if conv.team else None
    return dict(team.saved_replies) if team else {}


def signature_for(ws: Workspace, address: str, team_name: str | None) -> str:
    """The signature of the team owning the sending address when it has one, else of the conversation's team."""
    for t in ws.config.teams:
        if address.lower() in (x.lower() for x in t.addresses) and t.signature:
            return t.signature
    team = ws.config.team(team_name) if team_name else None
    return team.signature if team else ""


def default_from(ws: Workspace) -> str:
    """The address a reply goes out from when its conversation came in through none of ours."""
    if ws.config.accounts:
        return ws.config.accounts[0].address
    for team in ws.config.teams:
        if team.addresses:
            return team.addresses[0]
    raise ActionRefused("no team address to send from: add an account to comptoir.toml")


def reply_from(ws: Workspace, conv: Conversation) -> str:
    return conv.via_address or default_from(ws)


def signature_block(ws: Workspace, from_addr: str, team_name: str | None) -> str:
    """Exactly what a reply gets after its body: the signature separator and the team's signature, or ''."""
    signature = signature_for(ws, from_addr, team_name)
    return f"\n\n-- \n{signature}" if signature else ""


def signed_body(body: str, block: str) -> str:
    """The text a reply is sent with: the agent's body, then the signature block (the composer shows it)."""
    return body.rstrip() + block + "\n"


def attachment(ws: Workspace, agent: str, attachment_id: int, now: datetime) -> tuple[str, str, bytes]:
    with ws.db.read() as s:
        att = s.get(Attachment, attachment_id)
        if att is None:
            raise ActionRefused(f"there is no attachment #{attachment_id}")
        msg = s.get(Message, att.message_id)
        conv = s.get(Conversation, msg.conversation_id) if msg is not None else None
        if msg is None or conv is None:
            raise ActionRefused(f"attachment #{attachment_id} has lost its message")
        require_readable(ws, agent, conv, now)
        data = read_raw(s, msg.raw_sha256)
        if data is None:
            raise ActionRefused("the raw mail of this attachment is not stored")
    name, ctype, payload = extract_attachment(data, att.part_path)
    return safe_filename(att.filename or name), ctype, payload


def save_attachment(ws: Workspace, agent: str, attachment_id: int, path: Path, now: datetime) -> Path:
    """Write an attachment; a folder target gets the attachment's sanitized name; never overwrites."""
    from core.workspace.files import save_new_file

    name, _ctype, data = attachment(ws, agent, attachment_id, now)
    return save_new_file(name, data, path)
