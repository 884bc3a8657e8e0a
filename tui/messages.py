"""Messages that thread workers post back to the event loop; only their handlers touch widgets."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from core.work.views import (
    ActionResult,
    AgentView,
    AlertView,
    ConversationDetail,
    ConversationRow,
    DraftView,
    DutyView,
    QueueInfo,
    ReportView,
    TeamView,
    WhyView,
)


@dataclass
class QueuesLoaded(Message):
    """Fresh sidebar queues with their counts."""

    queues: list[QueueInfo]


@dataclass
class QueueLoaded(Message):
    """Every id of a queue in display order, plus rows for the first visible window."""

    queue: str
    search: str | None
    ids: list[int]
    rows: list[ConversationRow]
    keep_cursor: bool
    error: str = ""
    """Why the queue could not be read (a search the server cannot understand); ids and rows are empty."""
    ids_only: bool = False
    """Read while the list was covered: the order only, no rows (none are fetched for it either)."""


@dataclass
class RowsLoaded(Message):
    """Rows fetched for ids the list is about to show."""

    rows: list[ConversationRow]
    requested: list[int]


@dataclass
class ConversationLoaded(Message):
    """The detail the conversation screen shows (fetched on opening and on every change to it)."""

    detail: ConversationDetail


@dataclass
class ComposerDetailLoaded(Message):
    """The detail a composer opens on: mode is 'reply', 'reply-all' or 'note'."""

    detail: ConversationDetail
    mode: str
    draft: DraftView | None = None
    """What the agent had typed, saved by the server."""


@dataclass
class PrefetchLoaded(Message):
    """The next conversation of the queue, read ahead so flow (tui.flow) shows it at once."""

    detail: ConversationDetail
    changes_seen: int
    """The app's count of changes handled when the read started (a change since makes it stale)."""


@dataclass
class RequestDetailLoaded(Message):
    """The detail the request dialog needs (a request's state, or the customer conversation to ask about)."""

    detail: ConversationDetail


@dataclass
class DisposeDetailLoaded(Message):
    """The detail the 'no action needed' dialog lists the pending messages of."""

    detail: ConversationDetail


@dataclass
class ComposerCheckLoaded(Message):
    """The conversation as it is now, while a composer is open on it: who else replies, whether it moved on."""

    detail: ConversationDetail


@dataclass
class WhyLoaded(Message):
    why: WhyView


@dataclass
class AlertsLoaded(Message):
    """This agent's unacknowledged alerts, newest first."""

    alerts: list[AlertView]


@dataclass
class MeLoaded(Message):
    """The agent's own view (name, presence) for the title line."""

    me: AgentView


@dataclass
class PeopleLoaded(Message):
    """Agents and teams for the assign panel."""

    agents: list[AgentView]
    teams: list[TeamView]


@dataclass
class ActionFinished(Message):
    """A service action ran; the result says whether it was refused and why."""

    label: str
    result: ActionResult
    conversation_id: int | None = None
    undo_ids: tuple[int, ...] = ()
    """Every event `z` undoes for this action, when it was several calls (no action on several messages)."""


@dataclass
class WorkspaceChanged(Message):
    """The change feed saw commits: which conversations changed, and whether anything else did."""

    conversation_ids: frozenset[int]
    kinds: frozenset[str]

    def can_replace(self, message: Message) -> bool:
        return False


@dataclass
class ServiceFailed(Message):
    """A worker's service call raised; shown as a toast, never an exit."""

    what: str
    error: str


@dataclass
class HealthLoaded(Message):
    """The workspace server's duties and whether each works."""

    duties: list[DutyView]


@dataclass
class ReportLoaded(Message):
    """A report computed for the period and team the reports screen asked for."""

    report: ReportView


@dataclass
class VacationPreviewed(Message):
    """How many conversations going on vacation would send back to their teams (asked before it)."""

    count: int


@dataclass
class BulkFinished(Message):
    """A bulk action ran over marked conversations: each one's result, in order."""

    label: str
    results: list[tuple[int, ActionResult]]


@dataclass
class MarksFound(Message):
    """The conversations of a queue matching a marking pattern (mutt's T)."""

    queue: str
    pattern: str
    ids: list[int]
