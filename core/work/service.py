"""The facade a front end holds: one agent acting in one workspace. Every method returns views.

All methods are synchronous and may block on the database: the TUI calls them from thread
workers, never from the event loop.
"""

from __future__ import annotations

import importlib
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.store.changefeed import ChangeFeed
from core.work import listing
from core.work.views import (
    ActionResult,
    AgentView,
    AlertView,
    ClientSettings,
    ContactView,
    ConversationDetail,
    ConversationRow,
    DeliveryCheck,
    DraftView,
    OutgoingFile,
    QueueInfo,
    ReminderView,
    ReportQuery,
    ReportView,
    RequestLink,
    TeamView,
    WhyView,
)
from core.workspace.config import Config
from core.workspace.folder import Workspace

EARLY_READ_TTL = 5.0
"""Seconds a page read at start-up may be shown from; the change feed covers what happens after."""


if TYPE_CHECKING:
    from core.work import actions, queries
else:
    # Actions and the detail reads use the ORM; importing them waits until the first one is needed,
    # so the main screen paints without SQLAlchemy (see core.work.listing). The type checker sees the
    # real modules above.
    class _Later:
        def __init__(self, name: str) -> None:
            self._name = name

        def __getattr__(self, attribute: str) -> Any:
            return getattr(importlib.import_module(self._name), attribute)

    actions, queries = _Later("core.work.actions"), _Later("core.work.queries")


def import_orm_modules() -> None:
    """Import what actions and conversation views need, now (a warm-up, off the first screen's path)."""
    importlib.import_module("core.work.actions")
    importlib.import_module("core.work.queries")


class Comptoir:
    """One agent's handle on a workspace."""

    def __init__(self, workspace: Workspace, agent: str) -> None:
        self.workspace = workspace
        self.agent = agent
        self._early: tuple[str, int, float, Future[Any]] | None = None

    @property
    def config(self) -> Config:
        return self.workspace.config

    @property
    def settings(self) -> ClientSettings:
        return ClientSettings.of(self.workspace.config, self.agent)

    def now(self) -> datetime:
        return self.workspace.clock.now()

    @property
    def clock_speed(self) -> float:
        """Workspace seconds per real second (a demo runs faster)."""
        return self.workspace.clock.speed

    @property
    def clock_simulated(self) -> bool:
        """True in a demo running on a simulated clock."""
        return self.workspace.clock.simulated

    # -- reading -------------------------------------------------------------------------
    def me(self) -> AgentView:
        return listing.agent_view(self.workspace, self.agent, self.now())

    def queue_titles(self) -> list[QueueInfo]:
        """Every queue of this agent without counts; reads only the config, so it never blocks."""
        return listing.queue_list(self.workspace, self.agent)

    def queues(self) -> list[QueueInfo]:
        """Every queue this agent has, with counts."""
        return listing.queues(self.workspace, self.agent, self.now())

    def start_first_page(self, queue: str, limit: int) -> None:
        """Start reading a queue's ids and first `limit` rows in a thread, while a front end is still
        starting up (SQLite does that work without holding the interpreter); `first_page` collects it."""
        future: Future[Any] = Future()

        def read() -> None:
            try:
                future.set_result(self._read_first_page(queue, limit))
            except BaseException as error:
                future.set_exception(error)

        self._early = (queue, limit, time.monotonic(), future)
        threading.Thread(target=read, name="comptoir-first-page", daemon=True).start()

    def first_page(self, queue: str, limit: int) -> tuple[list[int], list[ConversationRow]]:
        """A queue's ids and its first `limit` rows: the read `start_first_page` began, once, if it is
        for this queue and under 5 s old; otherwise read now."""
        early, self._early = self._early, None
        if early is not None and early[:2] == (queue, limit) and time.monotonic() - early[2] < EARLY_READ_TTL:
            page: tuple[list[int], list[ConversationRow]] = early[3].result()
            return page
        return self._read_first_page(queue, limit)

    def _read_first_page(self, queue: str, limit: int) -> tuple[list[int], list[ConversationRow]]:
        ids = self.queue_ids(queue)
        return ids, self.rows(ids[:limit])

    def queue_ids(self, queue: str, search: str | None = None) -> list[int]:
        """Every conversation id of a queue in display order (cheap: one covering-index scan)."""
        return listing.queue_ids(self.workspace, self.agent, queue, search, self.now())

    def rows(self, ids: Sequence[int]) -> list[ConversationRow]:
        """Rows for these ids, in the same order (missing ids are left out)."""
        return listing.rows(self.workspace, self.agent, ids, self.now())

    def page(
        self, queue: str, search: str | None, around: int | None, position: int, limit: int, known: Sequence[int]
    ) -> tuple[list[int], list[ConversationRow]]:
        """A queue's ids, and the rows of `limit` of them around conversation `around` (else around
        `position`), leaving out the `known` ones the client holds: a list refreshed in one round trip."""
        ids = self.queue_ids(queue, search)
        return ids, self.rows(page_wanted(ids, around, position, limit, known))

    def detail(self, conversation_id: int) -> ConversationDetail:
        return queries.detail(self.workspace, self.agent, conversation_id, self.now())

    def why(self, conversation_id: int) -> WhyView:
        return queries.why(self.workspace, self.agent, conversation_id, self.now())

    def alerts(self, include_acknowledged: bool = False, limit: int = 200) -> list[AlertView]:
        return listing.alerts(self.workspace, self.agent, include_acknowledged, limit)

    def alert_count(self) -> int:
        """How many unacknowledged alerts this agent has."""
        return listing.alert_count(self.workspace, self.agent)

    def agents(self) -> list[AgentView]:
        return listing.agents(self.workspace, self.now())

    def teams(self) -> list[TeamView]:
        return queries.teams(self.workspace)

    def report(
        self,
        since: datetime | None = None,
        until: datetime | None = None,
        team: str | None = None,
        agent: str | None = None,
        address: str | None = None,
        client: str | None = None,
        group_by: str | None = None,
        timezone: str | None = None,
    ) -> ReportView:
        """The figures of docs/reports.md for a period (default: the last 30 days up to now); days and
        hours are counted in `timezone` (the reader's), else in the workspace's."""
        from core.work.reports import DEFAULT_DAYS, build_report

        now = self.now()
        until = until or now
        since = since or until - timedelta(days=DEFAULT_DAYS)
        query = ReportQuery(since, until, team, agent, address, client, group_by, timezone)
        return build_report(self.workspace, query, now)

    def saved_replies(self, conversation_id: int) -> dict[str, str]:
        return queries.saved_replies(self.workspace, conversation_id)

    def attachment(self, attachment_id: int) -> tuple[str, str, bytes]:
        """(safe file name, content type, decoded bytes) of one attachment."""
        return queries.attachment(self.workspace, self.agent, attachment_id, self.now())

    def save_attachment(self, attachment_id: int, path: Path) -> Path:
        return queries.save_attachment(self.workspace, self.agent, attachment_id, path, self.now())

    def read_attachments(self, paths: Sequence[str]) -> list[OutgoingFile]:
        """Read files to attach to a mail, as the user running this process, within the workspace's limit."""
        from core.workspace.files import read_files

        return read_files(paths, self.config.workspace.attachment_limit_mb)

    def warm_up(self) -> None:
        """Import what actions and conversation views need, so the first one does not wait for it
        (a front end calls this in the background once its first screen is up)."""
        import_orm_modules()

    def subscribe(self) -> ChangeFeed:
        """A change feed; poll it from a thread to learn what other sessions changed."""
        return ChangeFeed(self.workspace.db)

    # -- acting --------------------------------------------------------------------------
    def claim(self, conversation_id: int) -> ActionResult:
        return actions.claim(self.workspace, self.agent, conversation_id, self.now())

    def release(self, conversation_id: int) -> ActionResult:
        return actions.release(self.workspace, self.agent, conversation_id, self.now())

    def take_back(self, conversation_id: int) -> ActionResult:
        """Take a conversation from its owner for yourself (refused when nobody, or you, own it)."""
        return actions.take_back(self.workspace, self.agent, conversation_id, self.now())

    def assign(
        self, conversation_id: int, to_agent: str | None = None, to_team: str | None = None, note: str = ""
    ) -> ActionResult:
        return actions.assign(self.workspace, self.agent, conversation_id, self.now(), to_agent, to_team, note)

    def dispose(self, message_id: int, reason: str) -> ActionResult:
        """Mark one inbound message 'no action needed', with the reason."""
        return actions.dispose(self.workspace, self.agent, message_id, reason, self.now())

    def dispose_pending(self, conversation_id: int, reason: str, close: bool = False) -> ActionResult:
        """Every pending inbound message 'no action needed' with one reason (and the conversation done with
        `close`), in one transaction: what a bulk disposal does to each conversation."""
        return actions.dispose_pending(self.workspace, self.agent, conversation_id, reason, self.now(), close)

    def done(self, conversation_id: int) -> ActionResult:
        return actions.done(self.workspace, self.agent, conversation_id, self.now())

    def reopen(self, conversation_id: int) -> ActionResult:
        return actions.reopen(self.workspace, self.agent, conversation_id, self.now())

    def note(self, conversation_id: int, text: str) -> ActionResult:
        """An internal note; @login mentions alert those agents."""
        return actions.note(self.workspace, self.agent, conversation_id, text, self.now())

    def snooze(self, conversation_id: int, until: datetime) -> ActionResult:
        return actions.snooze(self.workspace, self.agent, conversation_id, until, self.now())

    def set_confidential(self, conversation_id: int, confidential: bool) -> ActionResult:
        return actions.set_confidential(self.workspace, self.agent, conversation_id, confidential, self.now())

    def set_tags(self, conversation_id: int, add: Sequence[str] = (), remove: Sequence[str] = ()) -> ActionResult:
        """Put shared tags (config [[tags]]) on a conversation and take others off; recorded in its history."""
        return actions.set_tags(self.workspace, self.agent, conversation_id, tuple(add), tuple(remove), self.now())

    def reply(
        self,
        conversation_id: int,
        body: str,
        to: Sequence[str],
        cc: Sequence[str] = (),
        seen_version: int | None = None,
        confirmed_recipients: bool = False,
        send_now: bool = False,
        subject: str | None = None,
        bcc: Sequence[str] = (),
        attachments: Sequence[OutgoingFile] = (),
    ) -> ActionResult:
        """Queue a reply in the outbox. Refused when the conversation changed since `seen_version`
        (a new inbound message or someone else's reply), or when there are more recipients than
        the policy's limit (Bcc included) and `confirmed_recipients` is False. The outbox takes it after
        the workspace's send_delay (real seconds, during which `undo` cancels it), or at once with
        `send_now`. `attachments` are the files' bytes, read by the client (core.mail.outgoing.read_files)."""
        delay = 0 if send_now else self.config.workspace.send_delay
        return actions.reply(
            self.workspace,
            self.agent,
            conversation_id,
            body,
            tuple(to),
            tuple(cc),
            self.now(),
            seen_version=seen_version,
            confirmed_recipients=confirmed_recipients,
            subject=subject,
            bcc=tuple(bcc),
            attachments=tuple(attachments),
            hold=timedelta(seconds=delay * self.clock_speed),
        )

    def undo(self, event_id: int) -> ActionResult:
        """Reverse one of this agent's actions (the event its ActionResult named) if nothing changed since:
        within a few seconds, or for a reply, while it is held (core.work.undo)."""
        from core.work.undo import undo

        return undo(self.workspace, self.agent, event_id, self.now())

    def draft(self, conversation_id: int, kind: str = "reply") -> DraftView | None:
        """This agent's saved draft of a reply or note to the conversation, if any."""
        from core.work import drafts

        return drafts.read(self.workspace, self.agent, conversation_id, kind)

    def save_draft(
        self, conversation_id: int, kind: str, body: str, to: Sequence[str] = (), cc: Sequence[str] = ()
    ) -> None:
        """Store what is being typed (an empty body removes the draft)."""
        from core.work import drafts

        drafts.save(self.workspace, self.agent, conversation_id, kind, body, tuple(to), tuple(cc), self.now())

    def discard_draft(self, conversation_id: int, kind: str = "reply") -> None:
        from core.work import drafts

        drafts.discard(self.workspace, self.agent, conversation_id, kind)

    def compose(
        self,
        to: Sequence[str],
        subject: str,
        body: str,
        cc: Sequence[str] = (),
        bcc: Sequence[str] = (),
        from_addr: str | None = None,
        attachments: Sequence[OutgoingFile] = (),
        confirmed_recipients: bool = False,
    ) -> ActionResult:
        """New mail to a customer who has not written first: a conversation owned by this agent, sent from a
        team address (`from_addr`, else the agent's team's first)."""
        from core.work.outbound import compose

        return compose(
            self.workspace,
            self.agent,
            tuple(to),
            subject,
            body,
            self.now(),
            tuple(cc),
            tuple(bcc),
            from_addr,
            tuple(attachments),
            confirmed_recipients,
        )

    def forward(
        self,
        message_id: int,
        to: Sequence[str],
        cc: Sequence[str] = (),
        bcc: Sequence[str] = (),
        body: str = "",
        subject: str | None = None,
        attachments: Sequence[OutgoingFile] = (),
        confirmed_recipients: bool = False,
    ) -> ActionResult:
        """Forward one message, with its attachments, to anyone; recorded on its conversation."""
        from core.work.outbound import forward

        return forward(
            self.workspace,
            self.agent,
            message_id,
            tuple(to),
            self.now(),
            tuple(cc),
            tuple(bcc),
            body,
            subject,
            tuple(attachments),
            confirmed_recipients,
        )

    def merge(self, source_id: int, target_id: int) -> ActionResult:
        """Move every message, note and event of `source_id` into `target_id` (the same customer's)."""
        from core.work.merging import merge

        return merge(self.workspace, self.agent, source_id, target_id, self.now())

    def split(self, message_id: int) -> ActionResult:
        """Move one message out into a new conversation of the same customer."""
        from core.work.merging import split

        return split(self.workspace, self.agent, message_id, self.now())

    def undo_event(self, event_id: int) -> ActionResult:
        """Undo a merge or a split, named by its history event."""
        from core.work.merging import undo

        return undo(self.workspace, self.agent, event_id, self.now())

    def remind(self, conversation_id: int, at: datetime, text: str = "") -> ActionResult:
        """Alert this agent about the conversation at `at` (the escalation pass raises it)."""
        from core.work.reminders import remind

        return remind(self.workspace, self.agent, conversation_id, at, text, self.now())

    def reminders(self, include_fired: bool = False) -> list[ReminderView]:
        from core.work.reminders import reminders

        return reminders(self.workspace, self.agent, include_fired)

    def cancel_reminder(self, reminder_id: int) -> ActionResult:
        from core.work.reminders import cancel_reminder

        return cancel_reminder(self.workspace, self.agent, reminder_id, self.now())

    def resend(self, message_id: int) -> ActionResult:
        """Queue a failed reply again."""
        return actions.resend(self.workspace, self.agent, message_id, self.now())

    def verify_delivery(self, message_id: int) -> DeliveryCheck:
        """Before a resend: look for a failed reply's Message-ID in its account's Sent folder (IMAP).
        Found, the reply is marked sent and must not be resent; blocks for one short IMAP session."""
        from core.mail.outbox import verify_delivery

        return verify_delivery(self.workspace, self.agent, message_id, self.now())

    def set_presence(self, status: str, until: datetime | None = None) -> ActionResult:
        return actions.set_presence(self.workspace, self.agent, status, until, self.now())

    def vacation_preview(self) -> int:
        """How many conversations going on vacation now would send back to their teams."""
        return actions.vacation_preview(self.workspace, self.agent)

    def heartbeat(self, viewing: int | None = None, replying: int | None = None) -> None:
        """Say this session is alive and what it is looking at or replying to."""
        actions.heartbeat(self.workspace, self.agent, viewing, replying, self.now())

    def acknowledge(self, alert_id: int | None = None) -> int:
        """Acknowledge one alert, or all of this agent's when alert_id is None; returns how many."""
        return actions.acknowledge(self.workspace, self.agent, alert_id, self.now())

    def acknowledge_conversation(self, conversation_id: int) -> int:
        """This agent opened the conversation: their alerts about it are acknowledged; returns how many."""
        return actions.acknowledge_conversation(self.workspace, self.agent, conversation_id, self.now())

    def mark_alerts_seen(self, alert_ids: Sequence[int], up_to: datetime) -> int:
        """This agent's alert list showed these alerts, raised up to `up_to`: they stop the bar blinking."""
        return actions.mark_alerts_seen(self.workspace, self.agent, alert_ids, up_to, self.now())

    def escalate(self, at: datetime | None = None) -> list[dict[str, Any]]:
        """One escalation pass as of now, or as of `at` (a supervisor's or a demo's time travel)."""
        from core.errors import ActionRefused
        from core.work.escalation import run_escalation

        if at is not None and not (self.workspace.is_demo or self.config.is_supervisor(self.agent)):
            raise ActionRefused("only supervisors may run escalation as of another time (--at)")
        return run_escalation(self.workspace, at or self.now())

    def raise_alert(
        self,
        text: str,
        to_agent: str | None = None,
        to_team: str | None = None,
        source: str = "cli",
        conversation_id: int | None = None,
    ) -> list[str]:
        """An alert from another tool for an agent or a team; returns who was alerted."""
        return actions.external_alert(
            self.workspace,
            text,
            self.now(),
            to_agent=to_agent,
            to_team=to_team,
            source=source,
            conversation_id=conversation_id,
        )

    # -- clients, requests between teams, other channels, the customer panel (issue 14) ---------------
    def contact(self, conversation_id: int | None = None, address: str | None = None) -> ContactView:
        """The customer of a conversation (or of an address): client, audiences, ratings, past conversations."""
        return queries.contact(self.workspace, self.agent, self.now(), conversation_id, address)

    def open_request(self, to_team: str, text: str, conversation_id: int | None = None) -> ActionResult:
        """Ask another team (purchasing, say), from a customer conversation or on its own."""
        from core.work.requests import open_request

        return open_request(self.workspace, self.agent, to_team, text, self.now(), conversation_id)

    def update_request(self, request_id: int, state: str, text: str = "") -> ActionResult:
        """in_progress, answered, done, declined, or question (ask the requester); see core.work.requests."""
        from core.work.requests import update_request

        return update_request(self.workspace, self.agent, request_id, state, text, self.now())

    def requests(self, team: str | None = None, mine: bool = False, include_closed: bool = False) -> list[RequestLink]:
        """Requests to a team, or opened by this agent, newest first."""
        from core.work.requests import list_requests

        return list_requests(self.workspace, self.agent, self.now(), team, mine, include_closed)

    def ingest(self, channel: str, data: bytes, to_address: str | None = None) -> ActionResult:
        """One message from another channel (JSON or .eml), routed like mail; service account and supervisors."""
        from core.work.channel_ingest import ingest_channel

        return ingest_channel(self.workspace, self.agent, channel, data, self.now(), to_address)


def page_wanted(ids: Sequence[int], around: int | None, position: int, limit: int, known: Sequence[int]) -> list[int]:
    """The ids of the window `page` answers rows for: `limit` ids centred on `around` (else on `position`),
    less the `known` ones."""
    index = ids.index(around) if around is not None and around in ids else position
    start = max(index - limit // 2, 0)
    held = set(known)
    return [i for i in ids[start : start + limit] if i not in held]
