"""The facade a front end holds: one agent acting in one workspace. Every method returns views.

All methods are synchronous and may block on the database: the TUI calls them from thread
workers, never from the event loop.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

import threading
import time
from concurrent.futures import Future
from types import ModuleType

from core.work import listing
from core.store.changefeed import ChangeFeed
from core.work.views import (
    ActionResult,
    AgentView,
    AlertView,
    ContactView,
    RequestLink,
    ConversationDetail,
    ConversationRow,
    DeliveryCheck,
    QueueInfo,
    ReportQuery,
    ReportView,
    SortKey,
    TeamView,
    WhyView,
)
from core.workspace.folder import Workspace


EARLY_READ_TTL = 5.0
"""Seconds a page read at start-up may be shown from; the change feed covers what happens after."""


def _actions() -> ModuleType:
    # Actions and the detail reads use the ORM; importing them waits until the first one is needed,
    # so the main screen paints without SQLAlchemy (see core.work.listing).
    from core.work import actions
    return actions


def _queries() -> ModuleType:
    from core.work import queries
    return queries


class Comptoir:
    """One agent's handle on a workspace."""

    def __init__(self, workspace: Workspace, agent: str) -> None:
        self.workspace = workspace
        self.agent = agent
        self._early: tuple[str, int, float, Future] | None = None

    @property
    def config(self):
        return self.workspace.config

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

    def queue_page(
        self, queue: str, after: SortKey | None = None, limit: int = 200, search: str | None = None
    ) -> list[ConversationRow]:
        """Up to `limit` rows of a queue after `after`, sorted by deadline (none last) then id."""
        return listing.queue_page(self.workspace, self.agent, queue, after, limit, search, self.now())

    def start_first_page(self, queue: str, limit: int) -> None:
        """Start reading a queue's ids and first `limit` rows in a thread, while a front end is still
        starting up (SQLite does that work without holding the interpreter); `first_page` collects it."""
        future: Future = Future()

        def read() -> None:
            try:
                future.set_result(self._read_first_page(queue, limit))
            except BaseException as error:  # noqa: BLE001 - handed to whoever collects the page
                future.set_exception(error)

        self._early = (queue, limit, time.monotonic(), future)
        threading.Thread(target=read, name="comptoir-first-page", daemon=True).start()

    def first_page(self, queue: str, limit: int) -> tuple[list[int], list[ConversationRow]]:
        """A queue's ids and its first `limit` rows: the read `start_first_page` began, once, if it is
        for this queue and under 5 s old; otherwise read now."""
        early, self._early = self._early, None
        if early is not None and early[:2] == (queue, limit) and time.monotonic() - early[2] < EARLY_READ_TTL:
            return early[3].result()
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

    def detail(self, conversation_id: int) -> ConversationDetail:
        return _queries().detail(self.workspace, self.agent, conversation_id, self.now())

    def why(self, conversation_id: int) -> WhyView:
        return _queries().why(self.workspace, self.agent, conversation_id, self.now())

    def alerts(self, include_acknowledged: bool = False, limit: int = 200) -> list[AlertView]:
        return listing.alerts(self.workspace, self.agent, include_acknowledged, limit)

    def alert_count(self) -> int:
        """How many unacknowledged alerts this agent has."""
        return listing.alert_count(self.workspace, self.agent)

    def agents(self) -> list[AgentView]:
        return listing.agents(self.workspace, self.now())

    def teams(self) -> list[TeamView]:
        return _queries().teams(self.workspace)

    def report(
        self,
        since: datetime | None = None,
        until: datetime | None = None,
        team: str | None = None,
        agent: str | None = None,
        address: str | None = None,
        client: str | None = None,
        group_by: str | None = None,
    ) -> ReportView:
        """The figures of docs/reports.md for a period (default: the last 30 days up to now)."""
        from core.work.reports import DEFAULT_DAYS, build_report

        now = self.now()
        until = until or now
        since = since or until - timedelta(days=DEFAULT_DAYS)
        query = ReportQuery(since, until, team, agent, address, client, group_by)
        return build_report(self.workspace, query, now)

    def saved_replies(self, conversation_id: int) -> dict[str, str]:
        return _queries().saved_replies(self.workspace, conversation_id)

    def attachment(self, attachment_id: int) -> tuple[str, str, bytes]:
        """(safe file name, content type, decoded bytes) of one attachment."""
        return _queries().attachment(self.workspace, self.agent, attachment_id, self.now())

    def save_attachment(self, attachment_id: int, path: Path) -> Path:
        return _queries().save_attachment(self.workspace, self.agent, attachment_id, path, self.now())

    def warm_up(self) -> None:
        """Import what actions and conversation views need, so the first one does not wait for it
        (a front end calls this in the background once its first screen is up)."""
        _actions()
        _queries()

    def subscribe(self) -> ChangeFeed:
        """A change feed; poll it from a thread to learn what other sessions changed."""
        return ChangeFeed(self.workspace.db)

    # -- acting --------------------------------------------------------------------------
    def claim(self, conversation_id: int) -> ActionResult:
        return _actions().claim(self.workspace, self.agent, conversation_id, self.now())

    def release(self, conversation_id: int) -> ActionResult:
        return _actions().release(self.workspace, self.agent, conversation_id, self.now())

    def take_back(self, conversation_id: int) -> ActionResult:
        """Take a conversation from its owner for yourself (refused when nobody, or you, own it)."""
        return _actions().take_back(self.workspace, self.agent, conversation_id, self.now())

    def assign(
        self, conversation_id: int, to_agent: str | None = None, to_team: str | None = None, note: str = ""
    ) -> ActionResult:
        return _actions().assign(self.workspace, self.agent, conversation_id, self.now(), to_agent, to_team, note)

    def dispose(self, message_id: int, reason: str) -> ActionResult:
        """Mark one inbound message 'no action needed', with the reason."""
        return _actions().dispose(self.workspace, self.agent, message_id, reason, self.now())

    def done(self, conversation_id: int) -> ActionResult:
        return _actions().done(self.workspace, self.agent, conversation_id, self.now())

    def reopen(self, conversation_id: int) -> ActionResult:
        return _actions().reopen(self.workspace, self.agent, conversation_id, self.now())

    def note(self, conversation_id: int, text: str) -> ActionResult:
        """An internal note; @login mentions alert those agents."""
        return _actions().note(self.workspace, self.agent, conversation_id, text, self.now())

    def snooze(self, conversation_id: int, until: datetime) -> ActionResult:
        return _actions().snooze(self.workspace, self.agent, conversation_id, until, self.now())

    def set_confidential(self, conversation_id: int, confidential: bool) -> ActionResult:
        return _actions().set_confidential(self.workspace, self.agent, conversation_id, confidential, self.now())

    def reply(
        self,
        conversation_id: int,
        body: str,
        to: Sequence[str],
        cc: Sequence[str] = (),
        seen_version: int | None = None,
        confirmed_recipients: bool = False,
    ) -> ActionResult:
        """Queue a reply in the outbox. Refused when the conversation changed since `seen_version`
        (a new inbound message or someone else's reply), or when there are more recipients than
        the policy's limit and `confirmed_recipients` is False."""
        return _actions().reply(
            self.workspace, self.agent, conversation_id, body, tuple(to), tuple(cc), self.now(),
            seen_version=seen_version, confirmed_recipients=confirmed_recipients,
        )

    def resend(self, message_id: int) -> ActionResult:
        """Queue a failed reply again."""
        return _actions().resend(self.workspace, self.agent, message_id, self.now())

    def verify_delivery(self, message_id: int) -> DeliveryCheck:
        """Before a resend: look for a failed reply's Message-ID in its account's Sent folder (IMAP).
        Found, the reply is marked sent and must not be resent; blocks for one short IMAP session."""
        from core.mail.outbox import verify_delivery

        return verify_delivery(self.workspace, self.agent, message_id, self.now())

    def set_presence(self, status: str, until: datetime | None = None) -> ActionResult:
        return _actions().set_presence(self.workspace, self.agent, status, until, self.now())

    def heartbeat(self, viewing: int | None = None, replying: int | None = None) -> None:
        """Say this session is alive and what it is looking at or replying to."""
        _actions().heartbeat(self.workspace, self.agent, viewing, replying, self.now())

    def acknowledge(self, alert_id: int | None = None) -> int:
        """Acknowledge one alert, or all of this agent's when alert_id is None; returns how many."""
        return _actions().acknowledge(self.workspace, self.agent, alert_id, self.now())

    def escalate(self, at: datetime | None = None) -> list[dict]:
        """One escalation pass as of now, or as of `at` (a supervisor's or a demo's time travel)."""
        from core.errors import ActionRefused
        from core.work.escalation import run_escalation

        if at is not None and not (self.workspace.is_demo or self.config.is_supervisor(self.agent)):
            raise ActionRefused("only supervisors may run escalation as of another time (--at)")
        return run_escalation(self.workspace, at or self.now())

    def raise_alert(self, text: str, to_agent: str | None = None, to_team: str | None = None,
                    source: str = "cli", conversation_id: int | None = None) -> list[str]:
        """An alert from another tool for an agent or a team; returns who was alerted."""
        return _actions().external_alert(self.workspace, text, self.now(), to_agent=to_agent, to_team=to_team,
                                         source=source, conversation_id=conversation_id)

    # -- clients, requests between teams, other channels, the customer panel (issue 14) ---------------
    def contact(self, conversation_id: int | None = None, address: str | None = None) -> ContactView:
        """The customer of a conversation (or of an address): client, audiences, ratings, past conversations."""
        return _queries().contact(self.workspace, self.agent, self.now(), conversation_id, address)

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
