"""Mail an agent starts: a new conversation with a customer who has not written first, and a forward of a
message (with its attachments) to anyone. Both go out through the outbox like replies, from a team address,
and both are recorded on the conversation: who wrote or forwarded what, to whom.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from email.utils import make_msgid

from sqlalchemy import insert, update
from sqlmodel import Session, col, select

from core.errors import ActionRefused
from core.mail.outgoing import attachment_rows, carrier, carrier_sha256, check_files, files_of
from core.mail.threading_keys import subject_fallback_key
from core.store.models import NO_DEADLINE, Attachment, Contact, Conversation, Message, OutboxItem, RawMail, id_of
from core.store.rawmail import pack, read_raw
from core.store.search import index_message
from core.work.journal import record_change, record_event
from core.work.queries import get_conversation, our_addresses, signature_block, signature_for, signed_body
from core.work.replies import _account_for, check_header_value
from core.work.verb_support import agent_name as _name
from core.work.verb_support import conversation_label as _label
from core.work.verb_support import refused as _refused
from core.work.verb_support import unreadable as _unreadable
from core.work.views import ActionResult, OutgoingFile
from core.workspace.folder import Workspace
from routing.wording import counted


# -- shared by replies, new mail and forwards ------------------------------------------------------
def clean_recipients(to: Sequence[str], cc: Sequence[str], bcc: Sequence[str]) -> tuple[tuple[str, ...], ...]:
    """Stripped recipient lists; refuses an address with a line break, a space or no @."""
    lists = tuple(tuple(a.strip() for a in group if a.strip()) for group in (to, cc, bcc))
    for address in (a for group in lists for a in group):
        check_header_value("recipient", address)
        if "@" not in address or " " in address:
            raise ActionRefused(f"{address!r} is not a mail address")
    return lists


def over_limit(
    ws: Workspace, what: str, count: int, confirmed: bool, conversation_id: int | None
) -> ActionResult | None:
    """The workspace's recipient rule (routing.recipient_limit): more recipients need a confirmation.
    Blind copies count: they receive the mail as much as anyone."""
    limit = ws.config.routing.recipient_limit
    if count > limit and not confirmed:
        return _refused(
            f"this {what} goes to {count} recipients (more than {limit}): confirm to send it to all of them",
            conversation_id,
        )
    return None


def store_files(s: Session, message_row: Message, files: Sequence[OutgoingFile]) -> int:
    """Keep an outgoing message's files as a carrier mail, listed in the attachment table; returns how many."""
    if not files:
        return 0
    data = carrier(files)
    sha = carrier_sha256(data)
    if s.get(RawMail, sha) is None:
        s.add(RawMail(sha256=sha, data=pack(data), packed=True))  # stored packed like every row since 0013
        s.flush()
    s.execute(update(Message).where(col(Message.id) == message_row.id).values(raw_sha256=sha))
    rows = attachment_rows(data, id_of(message_row))
    if rows:
        s.execute(insert(Attachment.__table__), rows)  # type: ignore[attr-defined] # SQLModel adds __table__ to table models at class creation; its typing omits it
    return len(rows)


def outgoing_files(s: Session, message_row_id: int | None) -> list[OutgoingFile]:
    """The files stored with an outgoing message (the outbox attaches them when it builds the mail)."""
    if message_row_id is None:
        return []
    msg = s.get(Message, message_row_id)
    if msg is None or msg.direction != "outbound" or not msg.raw_sha256:
        return []
    paths = list(
        s.exec(select(Attachment.part_path).where(Attachment.message_id == message_row_id).order_by(col(Attachment.id)))
    )
    raw = read_raw(s, msg.raw_sha256)
    return files_of(raw, paths) if raw is not None and paths else []


def team_address(ws: Workspace, agent: str, from_addr: str | None) -> tuple[str, str | None]:
    """(address, team) to send new mail from: the one asked for, which must be a team or account address,
    else the first address of the agent's first team, else the first account's."""
    teams = ws.config.teams
    if from_addr:
        wanted = from_addr.strip().lower()
        check_header_value("sender", wanted)
        for team in teams:
            if wanted in (a.lower() for a in team.addresses):
                return wanted, team.name
        for account in ws.config.accounts:
            if account.address.lower() == wanted:
                own = ws.config.teams_of(agent)
                return wanted, own[0] if own else None
        known = sorted(
            {a.lower() for t in teams for a in t.addresses} | {a.address.lower() for a in ws.config.accounts}
        )
        raise ActionRefused(f"{from_addr} is not a team address; send from one of: {', '.join(known) or '(none)'}")
    for name in ws.config.teams_of(agent):
        own_team = ws.config.team(name)
        if own_team and own_team.addresses:
            return own_team.addresses[0].lower(), own_team.name
    if ws.config.accounts:
        own = ws.config.teams_of(agent)
        return ws.config.accounts[0].address.lower(), own[0] if own else None
    raise ActionRefused("no team address to send from: add addresses to a team in comptoir.toml")


def queue_outbound(
    s: Session,
    ws: Workspace,
    agent: str,
    conv_id: int,
    *,
    kind: str,
    from_addr: str,
    to: Sequence[str],
    cc: Sequence[str],
    bcc: Sequence[str],
    subject: str,
    body: str,
    files: Sequence[OutgoingFile],
    now: datetime,
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
    team: str | None = None,
    signed: bool = True,
    hold: timedelta = timedelta(0),
) -> Message:
    """Store an outbound message and its outbox item (and files) in the caller's transaction: replies,
    forwards and new mail alike. With a `hold`, the outbox takes it only after that long (undo send)."""
    check_header_value("subject", subject)
    domain = from_addr.rpartition("@")[2] or "comptoir.invalid"
    our_id = make_msgid(domain=domain)
    # The one signature rule replies use (core.work.queries.signature_block): the composer shows the same.
    full_body = signed_body(body, signature_block(ws, from_addr, team) if signed else "")
    msg = Message(
        conversation_id=conv_id,
        direction="outbound",
        message_id=our_id,
        in_reply_to=in_reply_to,
        references=list(references),
        from_addr=from_addr,
        from_name=_name(ws, agent),
        to_addrs=list(to),
        cc_addrs=list(cc),
        bcc_addrs=list(bcc),
        subject=subject,
        sent_at=None,
        received_at=now,
        text=full_body,
        disposition="none",
        author=agent,
        headers={"comptoir-kind": kind} if kind != "reply" else {},
    )
    s.add(msg)
    s.flush()
    store_files(s, msg, files)
    s.add(
        OutboxItem(
            kind="reply",
            conversation_id=conv_id,
            message_row_id=msg.id,
            author=agent,
            account=_account_for(ws, from_addr),
            from_addr=from_addr,
            to_addrs=list(to),
            cc_addrs=list(cc),
            bcc_addrs=list(bcc),
            subject=subject,
            body=full_body,
            in_reply_to=in_reply_to,
            references=list(references),
            our_message_id=our_id,
            state="queued",
            next_attempt_at=now + hold,
            created_at=now,
        )
    )
    index_message(s, id_of(msg), conv_id, subject, full_body, _name(ws, agent), " ".join((*to, *cc, *bcc)))
    return msg


# -- a new conversation -----------------------------------------------------------------------------
def compose(
    ws: Workspace,
    agent: str,
    to: Sequence[str],
    subject: str,
    body: str,
    now: datetime,
    cc: Sequence[str] = (),
    bcc: Sequence[str] = (),
    from_addr: str | None = None,
    attachments: Sequence[OutgoingFile] = (),
    confirmed_recipients: bool = False,
) -> ActionResult:
    """Write first to a customer: a new conversation owned by its author, sent from a team address."""
    ws.config.require_agent(agent)
    to, cc, bcc = clean_recipients(to, cc, bcc)
    if not to:
        raise ActionRefused("new mail needs at least one recipient (To)")
    subject = subject.strip()
    if not subject:
        raise ActionRefused("new mail needs a subject")
    if not body.strip():
        raise ActionRefused("the mail is empty")
    ours = our_addresses(ws)
    if to[0].lower() in ours:
        raise ActionRefused(f"{to[0]} is one of the workspace's own addresses: write a note or assign instead")
    files = check_files(attachments, ws.config.workspace.attachment_limit_mb)
    if (refused := over_limit(ws, "mail", len(to) + len(cc) + len(bcc), confirmed_recipients, None)) is not None:
        return refused
    sender, team = team_address(ws, agent, from_addr)
    customer = to[0].lower()
    with ws.db.write() as s:
        contact = s.exec(select(Contact).where(Contact.address == customer)).first()
        if contact is None:
            contact = Contact(address=customer, name="", audiences=[], created_at=now)
            s.add(contact)
            s.flush()
        others = [a for a in (*to[1:], *cc) if a.lower() not in ours]
        conv = Conversation(
            subject=subject,
            contact_id=contact.id,
            customer_address=customer,
            customer_name=contact.name,
            via_address=sender,
            team=team,
            owner=agent,
            visibility="team" if team else "everyone",
            state="waiting",
            created_at=now,
            updated_at=now,
            last_message_at=now,
            deadline=NO_DEADLINE,
            next_step_at=None,
            pending_count=0,
            message_count=1,
            thread_key=subject_fallback_key(subject, customer),
            shared_reply=bool(others),
            routing_reasons=[{"code": "outbound", "text": f"{_name(ws, agent)} wrote first, from {sender}"}],
        )
        s.add(conv)
        s.flush()
        msg = queue_outbound(
            s,
            ws,
            agent,
            id_of(conv),
            kind="new",
            from_addr=sender,
            to=to,
            cc=cc,
            bcc=bcc,
            subject=subject,
            body=body,
            files=files,
            now=now,
            team=team,
        )
        attached = f", {counted(len(files), 'file')} attached" if files else ""
        record_event(
            s,
            conv.id,
            agent,
            "compose",
            f"{_name(ws, agent)} wrote to {', '.join((*to, *cc, *bcc))} from {sender}{attached}",
            now,
            message_id=msg.id,
            to=list(to),
            cc=list(cc),
            bcc=list(bcc),
            sender=sender,
        )
        record_change(s, [conv.id])
        conv_id = conv.id
    return ActionResult(True, f"new mail to {to[0]} queued for sending (#{conv_id}, yours)", conv_id, agent)


# -- a forward --------------------------------------------------------------------------------------
def forward(
    ws: Workspace,
    agent: str,
    message_id: int,
    to: Sequence[str],
    now: datetime,
    cc: Sequence[str] = (),
    bcc: Sequence[str] = (),
    body: str = "",
    subject: str | None = None,
    attachments: Sequence[OutgoingFile] = (),
    confirmed_recipients: bool = False,
) -> ActionResult:
    """Forward one message of a conversation, with its attachments, to anyone; the conversation records who
    forwarded what to whom. Nothing pending is answered by it: the customer has not been replied to."""
    to, cc, bcc = clean_recipients(to, cc, bcc)
    if not to:
        raise ActionRefused("a forward needs at least one recipient (To)")
    extra = check_files(attachments, ws.config.workspace.attachment_limit_mb)
    with ws.db.read() as s:
        original = s.get(Message, message_id)
        if original is None or original.direction == "note":
            raise ActionRefused(f"there is no message {message_id} to forward (notes stay inside)")
        conv = get_conversation(s, original.conversation_id)
        if (refused := _unreadable(ws, agent, conv, now)) is not None:
            return refused
        paths = list(
            s.exec(select(Attachment.part_path).where(Attachment.message_id == message_id).order_by(col(Attachment.id)))
        )
        raw = read_raw(s, original.raw_sha256)
        if paths and raw is None:
            raise ActionRefused(
                f"message {message_id}'s attachments are not stored: forward it without them is not "
                "possible; save them from the original mail instead"
            )
        carried = files_of(raw, paths) if paths and raw is not None else []
        conversation_id = id_of(conv)
        quoted = _forwarded_block(original)
        original_subject = original.subject or conv.subject
    files = check_files([*carried, *extra], ws.config.workspace.attachment_limit_mb)
    if (
        refused := over_limit(ws, "forward", len(to) + len(cc) + len(bcc), confirmed_recipients, conversation_id)
    ) is not None:
        return refused
    subject = subject.strip() if subject and subject.strip() else _forward_subject(original_subject)
    intro = body.rstrip()
    with ws.db.write() as s:
        conv = get_conversation(s, conversation_id, lock=True)
        if (refused := _unreadable(ws, agent, conv, now)) is not None:
            return refused
        sender = conv.via_address or team_address(ws, agent, None)[0]
        # The signature closes the agent's words, above the forwarded message, as mail clients place it.
        signature = signature_for(ws, sender, conv.team)
        text = "\n\n".join(part for part in (intro, f"-- \n{signature}" if signature else "", quoted) if part)
        msg = queue_outbound(
            s,
            ws,
            agent,
            conversation_id,
            kind="forward",
            from_addr=sender,
            to=to,
            cc=cc,
            bcc=bcc,
            subject=subject,
            body=text,
            files=files,
            now=now,
            team=conv.team,
            signed=False,
        )
        s.execute(
            update(Conversation)
            .where(col(Conversation.id) == conversation_id)
            .values(updated_at=now, message_count=Conversation.message_count + 1)
        )
        attached = f" with {counted(len(files), 'attachment')}" if files else ""
        record_event(
            s,
            conversation_id,
            agent,
            "forward",
            f"{_name(ws, agent)} forwarded message {message_id}{attached} to {', '.join((*to, *cc, *bcc))}",
            now,
            message_id=msg.id,
            forwarded=message_id,
            to=list(to),
            cc=list(cc),
            bcc=list(bcc),
        )
        record_change(s, [conversation_id])
    return ActionResult(
        True, f"message {message_id} of {_label(conv)} forwarded to {', '.join(to)} (queued)", conversation_id
    )


def _forward_subject(subject: str) -> str:
    subject = " ".join(subject.split())
    return subject if subject.lower().startswith(("fwd:", "fw:")) else f"Fwd: {subject}"


def _forwarded_block(msg: Message) -> str:
    when = (msg.sent_at or msg.received_at).strftime("%a, %d %b %Y %H:%M UTC")
    sender = f"{msg.from_name} <{msg.from_addr}>" if msg.from_name else msg.from_addr
    lines = [
        "---------- Forwarded message ----------",
        f"From: {sender}",
        f"Date: {when}",
        f"Subject: {msg.subject}",
        f"To: {', '.join(msg.to_addrs)}",
    ]
    if msg.cc_addrs:
        lines.append(f"Cc: {', '.join(msg.cc_addrs)}")
    return "\n".join(lines) + "\n\n" + msg.text.rstrip() + "\n"
