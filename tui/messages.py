"""Messages that thread workers post back to the event loop; only their handlers touch widgets."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from core.work.views import (
    ActionResult,
    DutyView,
    AgentView,
    AlertView,
    ConversationDetail,
    ConversationRow,
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


@dataclass
class RowsLoaded(Message):
    """Rows fetched for ids the list is about to show."""

    rows: list[ConversationRow]
    requested: list[int]


@dataclass
class DetailLoaded(Message):
    """A conversation's detail, fetched for a purpose ('show', 'reply', 'reply-all', 'note', 'dispose', ...)."""

    detail: ConversationDetail
    purpose: str


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
