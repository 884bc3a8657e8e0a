"""Plain, frozen dataclasses that core hands to front ends (TUI, CLI); no SQLModel leaves core."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.workspace.config import Config


@dataclass(frozen=True)
class QueueInfo:
    """One queue in the sidebar: key ('mine', 'exclusive', 'team:NAME', 'automated:NAME', 'automated:' (no team),
    'everyone', 'waiting', 'snoozed', 'done', 'search')."""

    key: str
    title: str
    count: int | None
    """None until counted (the sidebar shows titles before the counts arrive)."""
    urgent: int = 0
    """How many have a deadline within the warning time or already past."""


@dataclass(frozen=True)
class ConversationRow:
    id: int
    subject: str
    customer_name: str
    customer_address: str
    team: str | None
    owner: str | None
    exclusive_agent: str | None
    state: str
    visibility: str
    priority: str
    confidential: bool
    automated: bool
    deadline: datetime | None
    window: str | None
    """'personal' or 'team' while a window runs, else None."""
    pending_count: int
    message_count: int
    last_message_at: datetime | None
    shared_reply: bool
    """True when others than the customer (CC'd third parties, a list) will read a reply."""
    viewers: tuple[str, ...] = ()
    repliers: tuple[str, ...] = ()
    version: int = 1
    hidden: bool = False
    """The viewer may not read it (core.work.access): subject, customer and shared_reply are withheld."""
    tags: tuple[str, ...] = ()
    """Shared tag names (config [[tags]]), sorted; withheld with the content when hidden."""


@dataclass(frozen=True)
class AttachmentView:
    id: int
    filename: str
    content_type: str
    size: int


@dataclass(frozen=True)
class MessageView:
    id: int
    direction: str
    """inbound | outbound | note"""
    from_name: str
    from_addr: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    subject: str
    sent_at: datetime | None
    received_at: datetime
    text: str
    disposition: str
    disposition_reason: str | None
    disposed_by: str | None
    author: str | None
    attachments: tuple[AttachmentView, ...] = ()
    outbox_state: str | None = None
    """queued | sending | sent | failed, for outbound messages."""
    outbox_answer: str | None = None
    defects: tuple[str, ...] = ()
    bcc: tuple[str, ...] = ()
    """Blind copies of an outbound message (shown to colleagues, never sent in a header)."""
    outbound_kind: str = ""
    """For outbound messages: "new" (mail an agent started), "forward", else "" (a reply)."""


@dataclass(frozen=True)
class ReasonView:
    code: str
    text: str


@dataclass(frozen=True)
class RungView:
    at: datetime
    visibility: str
    text: str


@dataclass(frozen=True)
class EventView:
    at: datetime
    actor: str
    kind: str
    text: str
    id: int = 0
    undo: str | None = None
    """"undo merge" / "undo split" when this event can still be undone (core.work.merging), else None."""


@dataclass(frozen=True)
class OutgoingFile:
    """A file attached to an outgoing mail: read by the client (with the agent's own permissions) and sent
    in the request; the server guesses its content type from the name (core.mail.outgoing)."""

    name: str
    data: bytes


@dataclass(frozen=True)
class ReminderView:
    id: int
    conversation_id: int
    agent: str
    due_at: datetime
    text: str
    fired: bool


@dataclass(frozen=True)
class RequestLink:
    """An internal request between teams (core.work.requests), as a customer conversation lists it."""

    id: int
    team: str
    """The team asked."""
    state: str
    """new | in_progress | answered | done | declined"""
    subject: str
    requester: str
    of: int | None
    """The customer conversation it was opened from."""
    owner: str | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class PastConversation:
    """One of a contact's conversations, as the customer panel lists it."""

    id: int
    subject: str
    state: str
    team: str | None
    owner: str | None
    """Who handled it (its owner)."""
    created_at: datetime
    channel: str = "mail"
    client: str | None = None
    hidden: bool = False
    """The viewer may not read it: its subject is withheld."""


@dataclass(frozen=True)
class RatingView:
    agent: str
    score: int
    rated_on: str
    """ISO date."""


@dataclass(frozen=True)
class ContactView:
    """The customer beside a thread: who they are, their client, audiences, ratings and past conversations."""

    address: str
    name: str
    audiences: tuple[str, ...]
    client: str | None
    client_notes: str
    ratings: tuple[RatingView, ...]
    conversations: tuple[PastConversation, ...]
    """Newest first, the one asked about included."""
    total_conversations: int = 0


@dataclass(frozen=True)
class ConversationDetail:
    row: ConversationRow
    messages: tuple[MessageView, ...]
    reasons: tuple[ReasonView, ...]
    ladder: tuple[RungView, ...]
    events: tuple[EventView, ...]
    hidden: bool = False
    """The viewer may not read it (core.work.access): messages, reasons, history and recipients withheld."""
    reply_from: str = ""
    reply_to: tuple[str, ...] = ()
    reply_cc: tuple[str, ...] = ()
    reply_signature: str = ""
    """Exactly what core appends to a reply's body (core.work.queries.signature_block); '' when nothing."""
    client: str | None = None
    """The client whose address the customer wrote to."""
    channel: str = "mail"
    """mail, or the channel it came in through (web); replies always go out by mail."""
    url: str | None = None
    """The page a web-channel message was sent from."""
    kind: str = "mail"
    """mail, or request (one team asking another)."""
    request: RequestLink | None = None
    """For a request: its state, requester and the customer conversation it belongs to."""
    requests: tuple[RequestLink, ...] = ()
    """For a customer conversation: the requests opened from it, with their states."""

    @property
    def pending(self) -> list[MessageView]:
        """Inbound messages nobody has worked out yet."""
        return [m for m in self.messages if m.direction == "inbound" and m.disposition == "pending"]


@dataclass(frozen=True)
class AlertView:
    id: int
    kind: str
    """Internal name (core.work.alert_kinds words it for people)."""
    text: str
    conversation_id: int | None
    created_at: datetime
    """When it was raised, or last raised again (one alert per agent and conversation)."""
    acknowledged: bool
    source: str = "comptoir"
    seen: bool = False
    """The agent's alert list has shown it since it was last raised."""


@dataclass(frozen=True)
class AgentView:
    login: str
    name: str
    teams: tuple[str, ...]
    role: str
    presence: str
    """available | away | vacation | offline (no heartbeat)"""
    until: datetime | None
    open_load: int
    at_work: bool


@dataclass(frozen=True)
class TeamView:
    name: str
    title: str
    members: tuple[str, ...]
    open_count: int


@dataclass(frozen=True)
class ActionResult:
    ok: bool
    message: str
    conversation_id: int | None = None
    winner: str | None = None
    """For a lost claim race: who has it."""
    undo: int | None = None
    """The event `undo` takes to reverse this action for a few seconds (None: it cannot be undone)."""


@dataclass(frozen=True)
class DeliveryCheck:
    """What `resend` finds before sending a failed reply again."""

    message_id: int
    state: str
    """The reply's outbox state after the check ("sent" when it was found in the Sent folder)."""
    found_in_sent: bool
    """Our Message-ID is in the account's Sent folder: it went out, and must not be resent."""
    checked: bool
    """False when the Sent folder could not be read (or the reply is not failed); `detail` says why."""
    detail: str
    recipients: tuple[str, ...] = ()


@dataclass(frozen=True)
class WhyView:
    conversation_id: int
    subject: str
    reasons: tuple[ReasonView, ...]
    ladder: tuple[RungView, ...]
    events: tuple[EventView, ...] = field(default=())


@dataclass(frozen=True)
class DutyView:
    """One of the workspace server's duties (a mailbox, the outbox, escalation, the change feed...)."""

    name: str
    ok: bool
    error: str
    failures: int
    since: datetime | None


# -- reports (core/work/reports.py computes them; docs/reports.md defines each figure) ------------------
@dataclass(frozen=True)
class ReportQuery:
    """What a report covers: the period [since, until), optional filters and a grouping."""

    since: datetime
    until: datetime
    team: str | None = None
    agent: str | None = None
    """Conversations this agent owns now (or closed)."""
    address: str | None = None
    """The team address the customer wrote to."""
    client: str | None = None
    """A customer address, or @domain for every address of a client."""
    group_by: str | None = None
    timezone: str | None = None
    """The zone days and hours are counted in; the workspace's when None."""
    """None, 'day', 'week', 'agent', 'team' or 'address'."""


@dataclass(frozen=True)
class Spread:
    """A distribution of durations in seconds: how many, the median and the 90th percentile."""

    count: int
    median: float | None
    p90: float | None


@dataclass(frozen=True)
class Share:
    """How many of `total` met a promise."""

    met: int
    total: int

    @property
    def ratio(self) -> float | None:
        return self.met / self.total if self.total else None


@dataclass(frozen=True)
class ReportGroup:
    """The headline figures of one group (a day, a week, an agent, a team or an address)."""

    key: str
    messages_in: int
    replies_out: int
    first_response: Spread
    first_response_business: Spread
    worked_out: Spread
    resolved: int
    resolution: Spread


@dataclass(frozen=True)
class AgentCount:
    """A count and an optional second figure per name (agent, team, kind, reason)."""

    name: str
    count: int
    other: float | None = None


@dataclass(frozen=True)
class DayLoad:
    """Open conversations each agent owned at the end of one day, as the server recorded it then."""

    day: str
    loads: tuple[AgentCount, ...]
    recorded: bool = True
    """False for a day the server did not record (it keeps the load from the day the feature runs)."""


@dataclass(frozen=True)
class ReportView:
    """Every figure of one report; durations are seconds, days are ISO dates in the workspace's zone."""

    query: ReportQuery
    now: datetime
    timezone: str
    total: ReportGroup
    groups: tuple[ReportGroup, ...]
    within_exclusive: Share
    within_team: Share
    within_promise: Share
    worked_out_business: Spread
    not_worked_out: int
    pending_by_age: tuple[AgentCount, ...]
    replies_per_resolved: float | None
    volume_in: tuple[tuple[int, ...], ...]
    """7 rows (Monday first) of 24 hourly counts of messages in."""
    volume_out: tuple[tuple[int, ...], ...]
    backlog: tuple[AgentCount, ...]
    """(day, open conversations at the end of it)."""
    response_by_day: tuple[AgentCount, ...]
    """(day, how many first responses, median first response in seconds)."""
    escalations: tuple[AgentCount, ...]
    no_action_reasons: tuple[AgentCount, ...]
    reassignments: int
    take_backs: int
    reassignments_by_agent: tuple[AgentCount, ...]
    """(agent who acted, reassignments, of which take-backs)."""
    satisfaction_agents: tuple[AgentCount, ...]
    """(agent, ratings, average score)."""
    satisfaction_teams: tuple[AgentCount, ...]
    alerts_by_kind: tuple[AgentCount, ...]
    """(kind, raised, acknowledged without action)."""
    alerts_by_agent: tuple[AgentCount, ...]
    load_now: tuple[AgentCount, ...]
    """(agent, open conversations they own now)."""
    load_at_day_end: tuple[DayLoad, ...] = ()
    """Each day of the period: what every agent owned when it ended (recorded by the server at midnight)."""


@dataclass(frozen=True)
class DraftView:
    """What an agent was typing to a conversation (core.work.drafts)."""

    conversation_id: int
    kind: str
    """reply | note"""
    body: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    updated_at: datetime


@dataclass(frozen=True)
class ClientSettings:
    """What the app's first screen needs from comptoir.toml, for one agent. The server sends it in its
    welcome, so that a client draws its first screen without loading the config's validating models
    (pydantic: a quarter of a second); the full config is parsed later, when an action needs it."""

    workspace_name: str
    workspace_timezone: str
    bell: bool
    agent_name: str | None
    """This agent's configured name (None: not configured, e.g. a supervisor acting as nobody)."""
    agent_timezone: str | None
    """The zone configured for this agent ([[agents]] timezone), if any."""
    agent_names: dict[str, str]
    keymap: dict[str, str]
    tag_colours: dict[str, str]

    @classmethod
    def of(cls, config: Config, agent: str) -> ClientSettings:
        configured = config.agent(agent)
        return cls(
            workspace_name=config.workspace.name,
            workspace_timezone=config.workspace.timezone,
            bell=config.workspace.bell,
            agent_name=configured.name if configured else None,
            agent_timezone=configured.timezone if configured else None,
            agent_names={a.login: a.name for a in config.agents},
            keymap=dict(config.keymap),
            tag_colours={t.name: t.colour for t in config.tags},
        )
