"""The service interface every front end holds: one agent acting in one workspace.

Three things implement it: `core.work.service.Comptoir` (in process: tests and one-shot tools),
`core.server.client.RemoteComptoir` (over the workspace server's socket) and the TUI tests' fake.
The remote calls are derived from this class, so what a client may ask the server is exactly what
is declared here, with these argument and result types.
"""

from __future__ import annotations

import typing
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

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
    ReportView,
    RequestLink,
    TeamView,
    WhyView,
)

if typing.TYPE_CHECKING:
    from core.store.changefeed import ChangeBatch
    from core.workspace.config import Config


class ChangeSubscription(Protocol):
    def poll(self, timeout: float = 0.5) -> ChangeBatch: ...

    def wake(self) -> None:
        """End a poll now, from any thread: its reader is stopping (so polls may block for long)."""

    def close(self) -> None: ...


@runtime_checkable
class ComptoirService(Protocol):
    agent: str

    @property
    def config(self) -> Config: ...

    @property
    def settings(self) -> ClientSettings:
        """What the first screen needs from the config (core.work.views.ClientSettings)."""
        ...

    def now(self) -> datetime: ...

    @property
    def clock_simulated(self) -> bool: ...

    @property
    def clock_speed(self) -> float: ...

    # -- answered by the server ---------------------------------------------------------------
    def me(self) -> AgentView: ...
    def queue_titles(self) -> list[QueueInfo]: ...
    def queues(self) -> list[QueueInfo]: ...
    def first_page(self, queue: str, limit: int) -> tuple[list[int], list[ConversationRow]]: ...
    def queue_ids(self, queue: str, search: str | None = None) -> list[int]: ...
    def rows(self, ids: Sequence[int]) -> list[ConversationRow]: ...
    def page(
        self, queue: str, search: str | None, around: int | None, position: int, limit: int, known: Sequence[int]
    ) -> tuple[list[int], list[ConversationRow]]: ...
    def detail(self, conversation_id: int) -> ConversationDetail: ...
    def why(self, conversation_id: int) -> WhyView: ...
    def alerts(self, include_acknowledged: bool = False, limit: int = 200) -> list[AlertView]: ...
    def alert_count(self) -> int: ...
    def agents(self) -> list[AgentView]: ...
    def teams(self) -> list[TeamView]: ...
    def saved_replies(self, conversation_id: int) -> dict[str, str]: ...
    def attachment(self, attachment_id: int) -> tuple[str, str, bytes]: ...
    def claim(self, conversation_id: int) -> ActionResult: ...
    def release(self, conversation_id: int) -> ActionResult: ...
    def take_back(self, conversation_id: int) -> ActionResult: ...
    def assign(
        self, conversation_id: int, to_agent: str | None = None, to_team: str | None = None, note: str = ""
    ) -> ActionResult: ...
    def dispose(self, message_id: int, reason: str) -> ActionResult: ...
    def dispose_pending(self, conversation_id: int, reason: str, close: bool = False) -> ActionResult: ...
    def done(self, conversation_id: int) -> ActionResult: ...
    def reopen(self, conversation_id: int) -> ActionResult: ...
    def note(self, conversation_id: int, text: str) -> ActionResult: ...
    def snooze(self, conversation_id: int, until: datetime) -> ActionResult: ...
    def set_confidential(self, conversation_id: int, confidential: bool) -> ActionResult: ...
    def set_tags(self, conversation_id: int, add: Sequence[str] = (), remove: Sequence[str] = ()) -> ActionResult: ...
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
    ) -> ActionResult: ...
    def undo(self, event_id: int) -> ActionResult: ...
    def draft(self, conversation_id: int, kind: str = "reply") -> DraftView | None: ...
    def save_draft(
        self, conversation_id: int, kind: str, body: str, to: Sequence[str] = (), cc: Sequence[str] = ()
    ) -> None: ...
    def discard_draft(self, conversation_id: int, kind: str = "reply") -> None: ...
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
    ) -> ActionResult: ...
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
    ) -> ActionResult: ...
    def merge(self, source_id: int, target_id: int) -> ActionResult: ...
    def split(self, message_id: int) -> ActionResult: ...
    def undo_event(self, event_id: int) -> ActionResult: ...
    def remind(self, conversation_id: int, at: datetime, text: str = "") -> ActionResult: ...
    def reminders(self, include_fired: bool = False) -> list[ReminderView]: ...
    def cancel_reminder(self, reminder_id: int) -> ActionResult: ...
    def verify_delivery(self, message_id: int) -> DeliveryCheck: ...
    def resend(self, message_id: int) -> ActionResult: ...
    def set_presence(self, status: str, until: datetime | None = None) -> ActionResult: ...
    def vacation_preview(self) -> int: ...
    def heartbeat(self, viewing: int | None = None, replying: int | None = None) -> None: ...
    def acknowledge(self, alert_id: int | None = None) -> int: ...
    def acknowledge_conversation(self, conversation_id: int) -> int: ...
    def mark_alerts_seen(self, alert_ids: Sequence[int], up_to: datetime) -> int: ...
    def escalate(self, at: datetime | None = None) -> list[dict[str, Any]]: ...
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
    ) -> ReportView: ...
    def raise_alert(
        self,
        text: str,
        to_agent: str | None = None,
        to_team: str | None = None,
        source: str = "cli",
        conversation_id: int | None = None,
    ) -> list[str]: ...
    # clients, requests between teams, other channels, the customer panel
    def contact(self, conversation_id: int | None = None, address: str | None = None) -> ContactView: ...
    def open_request(self, to_team: str, text: str, conversation_id: int | None = None) -> ActionResult: ...
    def update_request(self, request_id: int, state: str, text: str = "") -> ActionResult: ...
    def requests(
        self, team: str | None = None, mine: bool = False, include_closed: bool = False
    ) -> list[RequestLink]: ...
    def ingest(self, channel: str, data: bytes, to_address: str | None = None) -> ActionResult: ...

    # -- answered by the front end's side ----------------------------------------------------------
    def save_attachment(self, attachment_id: int, path: Path) -> Path: ...
    def read_attachments(self, paths: Sequence[str]) -> list[OutgoingFile]: ...
    def start_first_page(self, queue: str, limit: int) -> None: ...
    def subscribe(self) -> ChangeSubscription: ...
    def warm_up(self) -> None: ...


LOCAL_METHODS = frozenset({"save_attachment", "read_attachments", "start_first_page", "subscribe", "warm_up", "now"})
"""Declared above but answered on the client's side (a path is the client's, and so are the permissions that
read or write it; a feed is the socket)."""


READ_METHODS = frozenset(
    {
        "me",
        "queue_titles",
        "queues",
        "first_page",
        "queue_ids",
        "rows",
        "page",
        "detail",
        "why",
        "alerts",
        "alert_count",
        "agents",
        "teams",
        "saved_replies",
        "attachment",
        "report",
        "draft",
        "vacation_preview",
        "reminders",
        "contact",
        "requests",
    }
)
"""Requests that change nothing: safe to ask again; every other one is an action, never resent."""


class RemoteMethod(typing.NamedTuple):
    name: str
    parameters: dict[str, Any]
    """name -> type, in order."""
    result: Any


def _remote_methods() -> dict[str, RemoteMethod]:
    import inspect

    namespace = {**globals(), **vars(typing)}
    methods: dict[str, RemoteMethod] = {}
    for name, member in vars(ComptoirService).items():
        if name.startswith("_") or name in LOCAL_METHODS or not inspect.isfunction(member):
            continue
        hints = typing.get_type_hints(member, globalns=namespace)
        result = hints.pop("return", None)
        params = {p: hints[p] for p in list(inspect.signature(member).parameters)[1:]}
        methods[name] = RemoteMethod(name, params, result)
    return methods


REMOTE_METHODS: dict[str, RemoteMethod] = _remote_methods()
