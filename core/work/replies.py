"""Replies: a reply is stored and queued in the outbox in one transaction (core.mail.outbox sends it);
a failed one can be queued again."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import col, select

from core.errors import ActionRefused
from core.store.models import NO_DEADLINE, Conversation, Message, OutboxItem, rows_changed
from core.work import drafts
from core.work.journal import record_change, record_event, settle
from core.work.queries import get_conversation, reply_from
from core.work.undo_data import undo_data
from core.work.verb_support import agent_name as _name
from core.work.verb_support import conversation_label as _label
from core.work.verb_support import refused as _refused
from core.work.verb_support import unreadable as _unreadable
from core.work.views import ActionResult
from core.workspace.folder import Workspace
from routing.wording import counted

HEADER_BREAK = re.compile(r"[\r\n]")


def check_header_value(name: str, value: str) -> None:
    """Refuse CR or LF in any header value: they would let a value inject headers."""
    if HEADER_BREAK.search(value):
        raise ActionRefused(f"the {name} contains a line break, which is not allowed in a mail header")


def reply(
    ws: Workspace,
    agent: str,
    conversation_id: int,
    body: str,
    to: Sequence[str],
    cc: Sequence[str],
    now: datetime,
    seen_version: int | None = None,
    confirmed_recipients: bool = False,
    subject: str | None = None,
    hold: timedelta = timedelta(0),
    bcc: Sequence[str] = (),
    attachments: Sequence[Any] = (),
) -> ActionResult:
    """Store a reply and queue it in the outbox (the syncer sends it); every pending message counts as replied.
    Blind copies go to the SMTP server only; attached files are kept with the message (core.work.outbound).

    With a `hold`, the outbox takes it only after that long: until then `undo` cancels the send (core.work.undo)."""
    from core.mail.outgoing import check_files
    from core.work.outbound import clean_recipients, over_limit, queue_outbound

    to, cc, bcc = clean_recipients(to, cc, bcc)
    if not to:
        raise ActionRefused("a reply needs at least one recipient")
    if not body.strip():
        raise ActionRefused("the reply is empty")
    if subject is not None and not subject.strip():
        raise ActionRefused("the subject is empty: write one, or leave the reply's subject as it was")
    files = check_files(attachments, ws.config.workspace.attachment_limit_mb)
    if refused := over_limit(ws, "reply", len(to) + len(cc) + len(bcc), confirmed_recipients, conversation_id):
        return refused
    with ws.db.write() as s:
        conv = get_conversation(s, conversation_id, lock=True)
        if (refused := _unreadable(ws, agent, conv, now)) is not None:
            return refused
        if conv.owner not in (None, agent) and not ws.config.is_supervisor(agent):
            return _refused(
                f"{_label(conv)} is {_name(ws, conv.owner)}'s; take it back first (t) to reply", conversation_id
            )
        if conv.kind == "request":
            return _refused(
                f"{_label(conv)} is a request between teams, not mail: answer it with "
                f"`comptoir request-state {conversation_id} answered TEXT` (or the request key, Q)",
                conversation_id,
            )
        if seen_version is not None and conv.version != seen_version:
            newer = list(
                s.exec(
                    select(Message)
                    .where(Message.conversation_id == conversation_id, Message.direction != "note")
                    .order_by(col(Message.id).desc())
                    .limit(max(conv.version - seen_version, 1))
                )
            )
            what = "; ".join(
                f"a new message from {m.from_addr}" if m.direction == "inbound" else f"a reply by {_name(ws, m.author)}"
                for m in reversed(newer)
            )
            return _refused(
                f"{_label(conv)} changed since you opened it ({what}); read it, then send again", conversation_id
            )
        subject = subject.strip() if subject is not None else _reply_subject(conv.subject)
        check_header_value("subject", subject)
        from_addr = reply_from(ws, conv)
        check_header_value("sender", from_addr)
        _account_for(ws, from_addr)  # refuses an address no account sends from, before anything is stored
        last_in = s.exec(
            select(Message)
            .where(Message.conversation_id == conversation_id, Message.direction == "inbound")
            .order_by(col(Message.id).desc())
            .limit(1)
        ).first()
        references = list(last_in.references) if last_in else []
        if last_in and last_in.message_id:
            references = [*references, last_in.message_id][-20:]
        msg = queue_outbound(
            s,
            ws,
            agent,
            conversation_id,
            kind="reply",
            from_addr=from_addr,
            to=to,
            cc=cc,
            bcc=bcc,
            subject=subject,
            body=body,
            files=files,
            now=now,
            in_reply_to=last_in.message_id if last_in else None,
            references=references,
            team=conv.team,
            hold=hold,
        )
        answered = list(
            s.exec(
                select(Message.id).where(
                    Message.conversation_id == conversation_id,
                    Message.direction == "inbound",
                    Message.disposition == "pending",
                )
            ).all()
        )
        before = {
            "owner": conv.owner,
            "pending_count": conv.pending_count,
            "state": conv.state,
            "deadline": conv.deadline,
            "snoozed_until": conv.snoozed_until,
            "last_message_at": conv.last_message_at,
        }
        seen = conv.version
        replied = rows_changed(
            s.execute(
                update(Message)
                .where(
                    col(Message.conversation_id) == conversation_id,
                    col(Message.direction) == "inbound",
                    col(Message.disposition) == "pending",
                )
                .values(disposition="replied", disposed_by=agent, disposed_at=now)
            )
        )
        s.execute(
            update(Conversation)
            .where(col(Conversation.id) == conversation_id)
            .values(
                owner=conv.owner or agent,
                pending_count=0,
                state="waiting",
                deadline=NO_DEADLINE,
                snoozed_until=None,
                next_step_at=None,
                updated_at=now,
                last_message_at=now,
                message_count=Conversation.message_count + 1,
                version=Conversation.version + 1,
            )
        )
        settle(s, conversation_id, now)
        event_id = record_event(
            s,
            conversation_id,
            agent,
            "reply",
            f"{_name(ws, agent)} replied to {', '.join((*to, *cc))}"
            + (f" (bcc {', '.join(bcc)})" if bcc else "")
            + (f", {counted(len(files), 'file')} attached" if files else "")
            + f" ({counted(replied, 'message')} answered)",
            now,
            message_id=msg.id,
            our_message_id=msg.message_id,
            bcc=list(bcc),
            undo=undo_data(
                before,
                {"version": seen + 1},
                message_id=msg.id,
                answered=answered,
                draft={"body": body, "to": list(to), "cc": list(cc)},
            ),
        )
        drafts.remove(s, agent, conversation_id, "reply")
        record_change(s, [conversation_id])
    if hold > timedelta(0):
        return ActionResult(
            True, f"reply to {_label(conv)} queued: it goes out in {_seconds(hold, ws)}", conversation_id, undo=event_id
        )
    return ActionResult(True, f"reply to {_label(conv)} queued for sending", conversation_id, undo=event_id)


def _seconds(hold: timedelta, ws: Workspace) -> str:
    """A hold in the agent's real seconds (a demo's clock runs faster than theirs)."""
    return f"{round(hold.total_seconds() / max(ws.clock.speed, 1e-9))} s"


def resend(ws: Workspace, agent: str, message_id: int, now: datetime) -> ActionResult:
    """Queue a failed reply again (after a permanent refusal was fixed, or an interrupted send was checked)."""
    with ws.db.write() as s:
        item = s.exec(select(OutboxItem).where(OutboxItem.message_row_id == message_id)).first()
        if item is None:
            return _refused(f"message {message_id} is not a reply of ours")
        if item.conversation_id is None:
            raise ActionRefused(f"message {message_id} belongs to no conversation: there is nothing to resend it in")
        if (refused := _unreadable(ws, agent, get_conversation(s, item.conversation_id), now)) is not None:
            return refused
        if item.state != "failed":
            return _refused(
                f"message {message_id} is {item.state}, not failed; nothing to resend", item.conversation_id
            )
        s.execute(
            update(OutboxItem)
            .where(col(OutboxItem.id) == item.id, col(OutboxItem.state) == "failed")
            .values(state="queued", attempts=0, next_attempt_at=now, last_answer=f"resent by {agent}")
        )
        record_event(
            s,
            item.conversation_id,
            agent,
            "resend",
            f"{_name(ws, agent)} queued message {message_id} again",
            now,
            message_id=message_id,
        )
        record_change(s, [item.conversation_id])
    return ActionResult(True, f"message {message_id} queued for sending again", item.conversation_id)


def _reply_subject(subject: str) -> str:
    subject = HEADER_BREAK.sub(" ", subject).strip()
    return subject if subject.lower().startswith("re:") else f"Re: {subject}"


def _account_for(ws: Workspace, from_addr: str) -> str:
    for account in ws.config.accounts:
        if account.address.lower() == from_addr.lower():
            return account.name
    return ws.config.accounts[0].name if ws.config.accounts else ""
