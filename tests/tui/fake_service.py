"""An in-memory stand-in for core.work.service.Comptoir with the same methods, for fast and hostile TUI tests.

It holds conversations as plain dicts, answers with the real core.work.views dataclasses and feeds
changes through a queue, so tests can play "another session" by calling its methods directly.
"""

from __future__ import annotations

import copy
import dataclasses
import queue
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from core.errors import ActionRefused
from core.work.access import Guard, Reader, hidden_subject
from core.work.views import (
    ActionResult,
    AgentCount,
    AgentView,
    AlertView,
    AttachmentView,
    ClientSettings,
    ContactView,
    ConversationDetail,
    ConversationRow,
    DeliveryCheck,
    DraftView,
    EventView,
    MessageView,
    OutgoingFile,
    PastConversation,
    QueueInfo,
    RatingView,
    ReasonView,
    ReminderView,
    ReportGroup,
    ReportQuery,
    ReportView,
    RequestLink,
    RungView,
    Share,
    Spread,
    TeamView,
    WhyView,
)
from core.workspace.config import parse_config
from routing.wording import when

FIXED_NOW = datetime(2025, 3, 3, 10, 0, tzinfo=UTC)

CONFIG_TOML = """
[workspace]
name = "Acme support"

[[teams]]
name = "support"
title = "Support"
addresses = ["support@acme.test"]
signature = "Acme Support"
saved_replies = { thanks = "Thank you, we are on it.", refund = "Your refund is on its way." }

[[teams]]
name = "sales"
title = "Sales"
addresses = ["sales@acme.test"]

[[tags]]
name = "billing"
colour = "yellow"
description = "Invoices and refunds"

[[tags]]
name = "vip"
colour = "magenta"

[[agents]]
login = "ann"
name = "Ann Archer"
teams = ["support"]

[[agents]]
login = "bob"
name = "Bob Baker"
teams = ["support", "sales"]

[[agents]]
login = "cyd"
name = "Cyd Chen"
teams = ["sales"]
role = "supervisor"
"""


@dataclass(frozen=True)
class FakeBatch:
    conversation_ids: frozenset[int]
    kinds: frozenset[str]
    last_id: int = 0

    def __bool__(self) -> bool:
        return bool(self.kinds)


class FakeFeed:
    def __init__(self, changes: queue.Queue[FakeBatch]) -> None:
        self.changes = changes

    def poll(self, timeout: float = 0.5) -> FakeBatch:
        try:
            first = self.changes.get(timeout=timeout)
        except queue.Empty:
            return FakeBatch(frozenset(), frozenset())
        ids, kinds = set(first.conversation_ids), set(first.kinds)
        while True:
            try:
                more = self.changes.get_nowait()
            except queue.Empty:
                break
            ids |= more.conversation_ids
            kinds |= more.kinds
        return FakeBatch(frozenset(ids), frozenset(kinds))

    def wake(self) -> None:
        self.changes.put(FakeBatch(frozenset(), frozenset()))

    def close(self) -> None:
        pass


@dataclass
class FakeMessage:
    id: int
    direction: str
    from_name: str
    from_addr: str
    text: str
    at: datetime
    subject: str = ""
    to: tuple[str, ...] = ("support@acme.test",)
    cc: tuple[str, ...] = ()
    disposition: str = "pending"
    disposition_reason: str | None = None
    disposed_by: str | None = None
    author: str | None = None
    attachments: tuple[AttachmentView, ...] = ()
    outbox_state: str | None = None
    outbox_answer: str | None = None
    bcc: tuple[str, ...] = ()
    outbound_kind: str = ""


@dataclass
class FakeConversation:
    id: int
    subject: str
    customer_name: str
    customer_address: str
    team: str | None = "support"
    owner: str | None = None
    exclusive_agent: str | None = None
    state: str = "open"
    visibility: str = "team"
    priority: str = "normal"
    confidential: bool = False
    deadline: datetime | None = None
    window: str | None = "team"
    shared_reply: bool = False
    version: int = 1
    messages: list[FakeMessage] = field(default_factory=list)
    cc: tuple[str, ...] = ()
    snoozed_until: datetime | None = None
    tags: list[str] = field(default_factory=list)
    automated: bool = False
    client: str | None = None
    channel: str = "mail"
    kind: str = "mail"
    request_of: int | None = None
    request_state: str | None = None
    requester: str | None = None


class FakeComptoir:
    """Same surface as core.work.service.Comptoir, backed by dicts."""

    def __init__(self, agent: str = "ann", now: datetime = FIXED_NOW) -> None:
        self.agent = agent
        self._now = now
        self.config = parse_config(CONFIG_TOML)
        self.lock = threading.RLock()
        self.changes: queue.Queue[FakeBatch] = queue.Queue()
        self.conversations: dict[int, FakeConversation] = {}
        self.alerts_list: list[AlertView] = []
        self.presence = {"ann": "available", "bob": "away", "cyd": "available"}
        self.viewing: dict[str, int | None] = {}
        self.replying: dict[str, int | None] = {}
        self.heartbeats: list[tuple[int | None, int | None]] = []
        self.replies: list[dict] = []
        self.calls: list[tuple] = []
        self.fail_next_reply_with_conflict = False
        self.conflict_new_owner: str | None = None
        """Who owns the conversation after the next conflict (another agent took it meanwhile)."""
        self._next_message_id = 1000
        self._next_alert_id = 1
        self.drafts: dict[tuple[int, str], DraftView] = {}
        self.undoable: dict[int, tuple] = {}
        """event id -> what undo restores (the real rules are core.work.undo's, tested on the real server)."""
        self.undone: list[int] = []
        self.extra_events: dict[int, list[EventView]] = {}
        """History the fake's merge, split, forward and reminders wrote, per conversation."""
        self.undo_log: dict[int, tuple] = {}
        """event id -> what undoing it moves back."""
        self.composed: list[dict] = []
        self.forwards: list[dict] = []
        self.reminder_list: list[ReminderView] = []
        self._next_event_id = 1

    # -- building fixtures -------------------------------------------------------------
    def add_conversation(self, conversation: FakeConversation) -> FakeConversation:
        self.conversations[conversation.id] = conversation
        return conversation

    def add_message(self, conversation_id: int, direction: str, text: str, **kw) -> FakeMessage:
        self._next_message_id += 1
        conversation = self.conversations[conversation_id]
        message = FakeMessage(
            id=self._next_message_id,
            direction=direction,
            from_name=kw.pop("from_name", conversation.customer_name if direction == "inbound" else self.agent),
            from_addr=kw.pop(
                "from_addr", conversation.customer_address if direction == "inbound" else "support@acme.test"
            ),
            text=text,
            at=kw.pop("at", self._now - timedelta(minutes=30)),
            disposition=kw.pop("disposition", "pending" if direction == "inbound" else "none"),
            subject=kw.pop("subject", conversation.subject),
            **kw,
        )
        conversation.messages.append(message)
        return message

    def add_alert(self, kind: str, text: str, conversation_id: int | None = None, minutes_ago: int = 1) -> AlertView:
        alert = AlertView(
            id=self._next_alert_id,
            kind=kind,
            text=text,
            conversation_id=conversation_id,
            created_at=self._now - timedelta(minutes=minutes_ago),
            acknowledged=False,
        )
        self._next_alert_id += 1
        self.alerts_list.append(alert)
        self._changed(conversation_id, "alert")
        return alert

    def _changed(self, conversation_id: int | None, kind: str = "conversation") -> None:
        ids = frozenset({conversation_id}) if conversation_id is not None else frozenset()
        self.changes.put(FakeBatch(ids, frozenset({kind})))

    # -- who may read what (the real rule, core.work.access) -----------------------------------
    def _guard(self, c: FakeConversation) -> Guard:
        # The fake has no window end: a running personal window is open-ended, any other one is over.
        over = None if c.window == "personal" else self._now - timedelta(minutes=1)
        return Guard(c.confidential, c.owner, c.team, c.exclusive_agent, c.visibility, over)

    def _may_read(self, c: FakeConversation, login: str | None = None) -> bool:
        return Reader.of(self.config, login or self.agent).may_read(self._guard(c), self._now)

    def _refusal(self, c: FakeConversation, login: str | None = None) -> ActionResult | None:
        reader = Reader.of(self.config, login or self.agent)
        if reader.may_read(self._guard(c), self._now):
            return None
        return ActionResult(False, f"#{c.id}: {reader.why_not(self._guard(c), self._now)}", c.id)

    # -- reading -----------------------------------------------------------------------
    @property
    def settings(self) -> ClientSettings:
        return ClientSettings.of(self.config, self.agent)

    def now(self) -> datetime:
        return self._now

    def me(self) -> AgentView:
        return next(a for a in self.agents() if a.login == self.agent)

    def _matches(self, c: FakeConversation, search: str) -> bool:
        """A crude stand-in for the search language: tag:NAME, is:automated, and words in subject, name or
        address (M finds the customer's other conversations by searching the address)."""
        for term in search.lower().split():
            if term.startswith("tag:"):
                if term[4:] not in c.tags:
                    return False
            elif term == "is:automated":
                if not c.automated:
                    return False
            elif (
                term not in c.subject.lower()
                and term not in c.customer_name.lower()
                and term not in c.customer_address.lower()
            ):
                return False
        return bool(search.strip()) and self._may_read(c)

    def _in_queue(self, c: FakeConversation, key: str, search: str | None) -> bool:
        if key == "search":
            return self._matches(c, search or "")
        if search and not self._matches(c, search):
            return False
        if key == "done":
            return c.state == "done"
        if key == "snoozed":
            return c.state == "snoozed"
        if key == "waiting":
            return c.state == "waiting"
        if c.state != "open":
            return False
        if key == "mine":
            return c.owner == self.agent or c.exclusive_agent == self.agent
        if key == "exclusive":
            return c.exclusive_agent == self.agent
        if key.startswith("automated:"):
            return c.automated and c.team == key.removeprefix("automated:") and c.owner is None
        if key.startswith("team:"):
            return c.team == key.removeprefix("team:") and c.owner is None and not c.automated
        if key == "everyone":
            return c.owner is None and not c.automated
        return False

    def _ordered(self, key: str, search: str | None) -> list[FakeConversation]:
        far = datetime.max.replace(tzinfo=UTC)
        found = [c for c in self.conversations.values() if self._in_queue(c, key, search)]
        return sorted(found, key=lambda c: (c.deadline or far, c.id))

    def _queue_keys(self) -> list[tuple[str, str]]:
        keys = [("mine", "My work"), ("exclusive", "Exclusive to me")]
        keys += [(f"team:{t}", self.config.team(t).title or t) for t in self.config.teams_of(self.agent)]
        keys += [
            ("everyone", "Everyone (unclaimed)"),
            ("waiting", "Waiting on customer"),
            ("snoozed", "Snoozed"),
            ("done", "Done"),
        ]
        keys += [
            (f"automated:{t}", f"Automated: {self.config.team(t).title or t}") for t in self.config.teams_of(self.agent)
        ]
        return keys + [("search", "Search")]

    def queue_titles(self) -> list[QueueInfo]:
        return [QueueInfo(key, title, None) for key, title in self._queue_keys()]

    def warm_up(self) -> None:
        with self.lock:
            self.calls.append(("warm_up",))

    def queues(self) -> list[QueueInfo]:
        with self.lock:
            self.calls.append(("queues",))
            out = []
            for key, title in self._queue_keys():
                rows = self._ordered(key, None)
                urgent = sum(1 for c in rows if c.deadline and c.deadline - self._now < timedelta(minutes=15))
                out.append(QueueInfo(key, title, len(rows), urgent))
            return out

    def first_page(self, queue: str, limit: int):
        ids = self.queue_ids(queue)
        return ids, self.rows(ids[:limit])

    def page(self, queue: str, search, around, position: int, limit: int, known):
        from core.work.service import page_wanted

        ids = self.queue_ids(queue, search)
        wanted = page_wanted(ids, around, position, limit, known)
        return ids, self.rows(wanted) if wanted else []

    def queue_ids(self, queue: str, search: str | None = None) -> list[int]:
        with self.lock:
            self.calls.append(("queue_ids", queue, search))
            return [c.id for c in self._ordered(queue, search)]

    def _row(self, c: FakeConversation) -> ConversationRow:
        pending = sum(1 for m in c.messages if m.direction == "inbound" and m.disposition == "pending")
        viewers = tuple(a for a, v in self.viewing.items() if v == c.id and a != self.agent)
        repliers = tuple(a for a, v in self.replying.items() if v == c.id and a != self.agent)
        hidden = not self._may_read(c)
        return ConversationRow(
            id=c.id,
            subject=hidden_subject(self._guard(c), self._now) if hidden else c.subject,
            customer_name="" if hidden else c.customer_name,
            customer_address="" if hidden else c.customer_address,
            team=c.team,
            owner=c.owner,
            exclusive_agent=c.exclusive_agent,
            state=c.state,
            visibility=c.visibility,
            priority=c.priority,
            confidential=c.confidential,
            automated=c.automated,
            deadline=c.deadline,
            window=c.window,
            pending_count=pending,
            message_count=len(c.messages),
            last_message_at=c.messages[-1].at if c.messages else None,
            shared_reply=c.shared_reply and not hidden,
            viewers=viewers,
            repliers=repliers,
            version=c.version,
            hidden=hidden,
            tags=() if hidden else tuple(sorted(c.tags)),
        )

    def rows(self, ids) -> list[ConversationRow]:
        with self.lock:
            self.calls.append(("rows", len(ids)))
            return [self._row(self.conversations[i]) for i in ids if i in self.conversations]

    def detail(self, conversation_id: int) -> ConversationDetail:
        with self.lock:
            c = self.conversations[conversation_id]
            if not self._may_read(c):
                return ConversationDetail(
                    row=self._row(c), messages=(), reasons=(), ladder=self.why(c.id).ladder, events=(), hidden=True
                )
            messages = tuple(
                MessageView(
                    id=m.id,
                    direction=m.direction,
                    from_name=m.from_name,
                    from_addr=m.from_addr,
                    to=m.to,
                    cc=m.cc,
                    subject=m.subject,
                    sent_at=m.at,
                    received_at=m.at,
                    text=m.text,
                    disposition=m.disposition,
                    disposition_reason=m.disposition_reason,
                    disposed_by=m.disposed_by,
                    author=m.author,
                    attachments=m.attachments,
                    outbox_state=m.outbox_state,
                    outbox_answer=m.outbox_answer,
                    bcc=m.bcc,
                    outbound_kind=m.outbound_kind,
                )
                for m in c.messages
            )
            why = self.why(conversation_id)
            return ConversationDetail(
                row=self._row(c),
                messages=messages,
                reasons=why.reasons,
                ladder=why.ladder,
                events=why.events,
                reply_from="support@acme.test",
                reply_to=(c.customer_address,),
                reply_cc=c.cc,
                reply_signature=self._signature_block("support@acme.test", c.team),
                client=c.client,
                channel=c.channel,
                kind=c.kind,
                request=self._link(c) if c.kind == "request" else None,
                requests=tuple(self._link(r) for r in self.conversations.values() if r.request_of == c.id),
            )

    def _signature_block(self, address: str, team_name: str | None) -> str:
        """The rule of core.work.queries.signature_block, on this fake's config."""
        signature = next((t.signature for t in self.config.teams if address in t.addresses and t.signature), "")
        if not signature and team_name and (team := self.config.team(team_name)) is not None:
            signature = team.signature
        return f"\n\n-- \n{signature}" if signature else ""

    def _link(self, c: FakeConversation) -> RequestLink:
        return RequestLink(
            c.id, c.team or "", c.request_state or "new", c.subject, c.requester or "", c.request_of, c.owner, self._now
        )

    # -- clients, requests between teams, other channels, the customer panel ----------------------
    def contact(self, conversation_id: int | None = None, address: str | None = None) -> ContactView:
        with self.lock:
            if conversation_id is not None:
                address = self.conversations[conversation_id].customer_address
            past = [
                c
                for c in sorted(self.conversations.values(), key=lambda c: -c.id)
                if c.customer_address == address and c.kind == "mail"
            ]
            client = next((c.client for c in past if c.client), None)
            return ContactView(
                address=address or "",
                name=past[0].customer_name if past else "",
                audiences=("hi-fi",),
                client=client,
                client_notes="Pays by transfer." if client else "",
                ratings=(RatingView("ann", 5, "2025-01-10"),),
                conversations=tuple(
                    PastConversation(
                        c.id,
                        c.subject if self._may_read(c) else hidden_subject(self._guard(c), self._now),
                        c.state,
                        c.team,
                        c.owner,
                        self._now - timedelta(days=c.id),
                        c.channel,
                        c.client,
                        not self._may_read(c),
                    )
                    for c in past
                ),
                total_conversations=len(past),
            )

    def open_request(self, to_team: str, text: str, conversation_id: int | None = None) -> ActionResult:
        with self.lock:
            self.config.require_team(to_team)
            if not text.strip():
                raise ActionRefused("say what you ask for: the request text is empty")
            new_id = max(self.conversations, default=0) + 1
            self.add_conversation(
                FakeConversation(
                    new_id,
                    text.strip().splitlines()[0][:80],
                    self.agent,
                    "",
                    team=to_team,
                    kind="request",
                    channel="internal",
                    request_of=conversation_id,
                    request_state="new",
                    requester=self.agent,
                )
            )
            self.add_message(new_id, "note", text.strip(), author=self.agent)
            self.calls.append(("open_request", to_team, text, conversation_id))
        self._changed(new_id)
        if conversation_id is not None:
            self._changed(conversation_id)
        return ActionResult(True, f"request #{new_id} opened for team {to_team}", new_id)

    def update_request(self, request_id: int, state: str, text: str = "") -> ActionResult:
        with self.lock:
            c = self.conversations[request_id]
            if c.kind != "request":
                return ActionResult(False, f"#{request_id} is not a request", request_id)
            if state != "question":
                c.request_state = state
                c.state = "done" if state in ("done", "declined") else "open"
            if text:
                self.add_message(request_id, "note", text, author=self.agent)
            self.calls.append(("update_request", request_id, state, text))
        self._changed(request_id)
        return ActionResult(True, f"request #{request_id} is {c.request_state}", request_id)

    def requests(self, team: str | None = None, mine: bool = False, include_closed: bool = False) -> list[RequestLink]:
        with self.lock:
            return [
                self._link(c)
                for c in sorted(self.conversations.values(), key=lambda c: -c.id)
                if c.kind == "request"
                and (team is None or c.team == team)
                and (not mine or c.requester == self.agent)
                and (include_closed or c.request_state not in ("done", "declined"))
            ]

    def ingest(self, channel: str, data: bytes, to_address: str | None = None) -> ActionResult:
        self.calls.append(("ingest", channel, data))
        return ActionResult(False, "the fake service stores no channel messages")

    def why(self, conversation_id: int) -> WhyView:
        c = self.conversations[conversation_id]
        if not self._may_read(c):
            return WhyView(c.id, hidden_subject(self._guard(c), self._now), (), self._ladder(), ())
        return WhyView(
            conversation_id=c.id,
            subject=c.subject,
            reasons=(
                ReasonView("history", f"{c.customer_name} was helped by ann on 2 earlier conversations"),
                ReasonView("audience", "audience 'pro' belongs to team support"),
            ),
            ladder=self._ladder(),
            events=(
                EventView(self._now - timedelta(minutes=30), "sync", "received", "mail received"),
                *self.extra_events.get(c.id, ()),
            ),
        )

    def _event(self, conversation_id: int, kind: str, text: str, undo: str | None = None) -> int:
        event_id = self._next_event_id
        self._next_event_id += 1
        self.extra_events.setdefault(conversation_id, []).append(
            EventView(self._now, self.agent, kind, text, event_id, undo)
        )
        return event_id

    def _drop_undo(self, event_id: int) -> None:
        for events in self.extra_events.values():
            for index, e in enumerate(events):
                if e.id == event_id:
                    events[index] = EventView(e.at, e.actor, e.kind, e.text, e.id, None)

    def _ladder(self) -> tuple[RungView, ...]:
        return (
            RungView(self._now - timedelta(minutes=30), "personal", "ann alone (exclusive window, 2h)"),
            RungView(self._now + timedelta(minutes=90), "team", "team support sees it"),
            RungView(self._now + timedelta(hours=5), "everyone", "everyone sees it"),
        )

    def alerts(self, include_acknowledged: bool = False, limit: int = 200) -> list[AlertView]:
        with self.lock:
            found = [a for a in self.alerts_list if include_acknowledged or not a.acknowledged]
            return sorted(found, key=lambda a: (a.created_at, a.id), reverse=True)[:limit]

    def agents(self) -> list[AgentView]:
        out = []
        for agent in self.config.agents:
            load = sum(1 for c in self.conversations.values() if c.owner == agent.login and c.state == "open")
            presence = self.presence.get(agent.login, "offline")
            out.append(
                AgentView(
                    agent.login,
                    agent.name,
                    self.config.teams_of(agent.login),
                    agent.role,
                    presence,
                    None,
                    load,
                    presence == "available",
                )
            )
        return out

    def teams(self) -> list[TeamView]:
        return [
            TeamView(
                t.name,
                t.title or t.name,
                self.config.members_of(t.name),
                sum(1 for c in self.conversations.values() if c.team == t.name and c.state == "open"),
            )
            for t in self.config.teams
        ]

    def saved_replies(self, conversation_id: int) -> dict[str, str]:
        c = self.conversations[conversation_id]
        team = self.config.team(c.team or "support")
        return dict(team.saved_replies) if team else {}

    def _check_attachment(self, attachment_id: int) -> None:
        for c in self.conversations.values():
            if any(a.id == attachment_id for m in c.messages for a in m.attachments) and not self._may_read(c):
                raise ActionRefused(f"#{c.id}: {Reader.of(self.config, self.agent).why_not(self._guard(c), self._now)}")

    def attachment(self, attachment_id: int) -> tuple[str, str, bytes]:
        self._check_attachment(attachment_id)
        return ("file.bin", "application/octet-stream", b"data")

    def save_attachment(self, attachment_id: int, path: Path) -> Path:
        self._check_attachment(attachment_id)
        self.calls.append(("save_attachment", attachment_id, str(path)))
        path = Path(path)
        path.write_bytes(b"data")
        return path

    def subscribe(self) -> FakeFeed:
        return FakeFeed(self.changes)

    # -- acting ------------------------------------------------------------------------
    def _act(self, name: str, conversation_id: int, change, login: str | None = None) -> ActionResult:
        with self.lock:
            self.calls.append((name, conversation_id))
            c = self.conversations[conversation_id]
            before = copy.deepcopy(c)
            result = self._refusal(c, login) or change(c)
            if result.ok:
                self._changed(conversation_id)
                if name != "note" and (login or self.agent) == self.agent:
                    result = replace(result, undo=self._remember(name, before))
            return result

    def _remember(self, name: str, before) -> int:
        event_id, self._next_event_id = self._next_event_id, self._next_event_id + 1
        self.undoable[event_id] = (name, before)
        return event_id

    def undo(self, event_id: int) -> ActionResult:
        with self.lock:
            self.calls.append(("undo", event_id))
            if event_id not in self.undoable:
                return ActionResult(False, "you have no action to undo")
            name, before = self.undoable.pop(event_id)
            self.undone.append(event_id)
            if name == "set_presence":
                self.presence[self.agent] = before
                self._changed(None, "presence")
                return ActionResult(True, f"undone: you are {before} again")
            self.conversations[before.id] = before
            if name == "reply":
                sent = self.replies.pop()
                self.drafts[(before.id, "reply")] = DraftView(
                    before.id, "reply", sent["body"], sent["to"], sent["cc"], self._now
                )
                self._changed(before.id)
                return ActionResult(True, "reply cancelled: it was not sent", before.id)
            self._changed(before.id)
            return ActionResult(True, f"undone: {name}", before.id)

    def draft(self, conversation_id: int, kind: str = "reply") -> DraftView | None:
        return self.drafts.get((conversation_id, kind))

    def save_draft(
        self, conversation_id: int, kind: str, body: str, to: Sequence[str] = (), cc: Sequence[str] = ()
    ) -> None:
        with self.lock:
            self.calls.append(("save_draft", conversation_id, kind, body))
            if body.strip():
                self.drafts[(conversation_id, kind)] = DraftView(
                    conversation_id, kind, body, tuple(to), tuple(cc), self._now
                )
            else:
                self.drafts.pop((conversation_id, kind), None)

    def discard_draft(self, conversation_id: int, kind: str = "reply") -> None:
        with self.lock:
            self.calls.append(("discard_draft", conversation_id, kind))
            self.drafts.pop((conversation_id, kind), None)

    def claim(self, conversation_id: int) -> ActionResult:
        return self.claim_as(self.agent, conversation_id)

    def claim_as(self, who: str, conversation_id: int) -> ActionResult:
        """Another session's claim (tests play the colleague with it)."""

        def change(c: FakeConversation) -> ActionResult:
            if c.owner and c.owner != who:
                return ActionResult(False, f"{c.owner} claimed it first", c.id, winner=c.owner)
            c.owner = who
            return ActionResult(True, "Claimed", c.id)

        return self._act("claim", conversation_id, change, who)

    def release(self, conversation_id: int) -> ActionResult:
        def change(c: FakeConversation) -> ActionResult:
            c.owner = None
            return ActionResult(True, "Released to the team", c.id)

        return self._act("release", conversation_id, change)

    def take_back(self, conversation_id: int) -> ActionResult:
        def change(c: FakeConversation) -> ActionResult:
            if c.owner is None:
                return ActionResult(False, f"nobody owns #{c.id}: claim it instead", c.id)
            previous, c.owner = c.owner, self.agent
            return ActionResult(True, f"Taken back from {previous}", c.id)

        return self._act("take_back", conversation_id, change)

    def assign(self, conversation_id: int, to_agent: str | None = None, to_team: str | None = None, note: str = ""):
        def change(c: FakeConversation) -> ActionResult:
            self.calls.append(("assign-to", to_agent, to_team, note))
            if to_agent:
                c.owner = to_agent
            if to_team:
                c.team, c.owner = to_team, None
            return ActionResult(True, f"Assigned to {to_agent or to_team}", c.id)

        return self._act("assign", conversation_id, change)

    def dispose(self, message_id: int, reason: str) -> ActionResult:
        with self.lock:
            for c in self.conversations.values():
                for m in c.messages:
                    if m.id == message_id:
                        if (refused := self._refusal(c)) is not None:
                            return refused
                        m.disposition, m.disposition_reason, m.disposed_by = "no_action", reason, self.agent
                        self.calls.append(("dispose", message_id, reason))
                        self._changed(c.id)
                        return ActionResult(True, "No action needed", c.id)
        return ActionResult(False, "no such message")

    def dispose_pending(self, conversation_id: int, reason: str, close: bool = False) -> ActionResult:
        def change(c: FakeConversation) -> ActionResult:
            if c.state == "done":
                return ActionResult(False, f"#{c.id} is done already", c.id)
            pending = [m for m in c.messages if m.direction == "inbound" and m.disposition == "pending"]
            for m in pending:
                m.disposition, m.disposition_reason, m.disposed_by = "no_action", reason, self.agent
            if close:
                c.state = "done"
            return ActionResult(True, f"#{c.id}: no action needed ({reason})", c.id)

        return self._act("dispose_pending", conversation_id, change)

    def done(self, conversation_id: int) -> ActionResult:
        def change(c: FakeConversation) -> ActionResult:
            c.state = "done"
            return ActionResult(True, "Done", c.id)

        return self._act("done", conversation_id, change)

    def reopen(self, conversation_id: int) -> ActionResult:
        def change(c: FakeConversation) -> ActionResult:
            c.state = "open"
            return ActionResult(True, "Reopened", c.id)

        return self._act("reopen", conversation_id, change)

    def note(self, conversation_id: int, text: str) -> ActionResult:
        def change(c: FakeConversation) -> ActionResult:
            self.add_message(c.id, "note", text, author=self.agent, from_name=self.agent)
            return ActionResult(True, "Note added", c.id)

        return self._act("note", conversation_id, change)

    def snooze(self, conversation_id: int, until: datetime) -> ActionResult:
        def change(c: FakeConversation) -> ActionResult:
            c.state, c.snoozed_until = "snoozed", until
            return ActionResult(True, f"#{c.id} snoozed until {when(until, None)}", c.id)  # core's words

        return self._act("snooze", conversation_id, change)

    def set_confidential(self, conversation_id: int, confidential: bool) -> ActionResult:
        def change(c: FakeConversation) -> ActionResult:
            c.confidential = confidential
            return ActionResult(True, "Confidential" if confidential else "Not confidential", c.id)

        return self._act("set_confidential", conversation_id, change)

    def set_tags(self, conversation_id: int, add=(), remove=()) -> ActionResult:
        for name in (*add, *remove):
            if self.config.tag(name) is None:
                raise ActionRefused(f"there is no tag {name!r}")

        def change(c: FakeConversation) -> ActionResult:
            c.tags = sorted((set(c.tags) | set(add)) - set(remove))
            return ActionResult(True, f"#{c.id}: tags {', '.join(c.tags) or 'none'}", c.id)

        return self._act("set_tags", conversation_id, change)

    def reply(
        self,
        conversation_id,
        body,
        to,
        cc=(),
        seen_version=None,
        confirmed_recipients=False,
        send_now=False,
        subject=None,
        bcc=(),
        attachments=(),
    ) -> ActionResult:
        def change(c: FakeConversation) -> ActionResult:
            if self.fail_next_reply_with_conflict:
                self.fail_next_reply_with_conflict = False
                self.add_message(c.id, "inbound", "Actually, one more thing...")
                c.owner = self.conflict_new_owner or c.owner
                c.version += 1
                self._changed(c.id)
            if c.owner not in (None, self.agent) and not self.config.is_supervisor(self.agent):
                return ActionResult(False, f"#{c.id} is {c.owner}'s; take it back first (t) to reply", c.id)
            if seen_version is not None and seen_version != c.version:
                return ActionResult(False, "The conversation changed since you opened it", c.id)
            if len(to) + len(cc) + len(bcc) > self.config.routing.recipient_limit and not confirmed_recipients:
                return ActionResult(False, "Too many recipients: confirm", c.id)
            self.replies.append(
                {
                    "id": c.id,
                    "body": body,
                    "to": tuple(to),
                    "cc": tuple(cc),
                    "send_now": send_now,
                    "bcc": tuple(bcc),
                    "subject": subject,
                    "files": [(f.name, f.data) for f in attachments],
                }
            )
            self.drafts.pop((c.id, "reply"), None)
            self.add_message(
                c.id, "outbound", body, author=self.agent, outbox_state="queued", to=tuple(to), cc=tuple(cc)
            )
            for m in c.messages:
                if m.direction == "inbound" and m.disposition == "pending":
                    m.disposition = "replied"
            c.version += 1
            return ActionResult(True, "Reply queued", c.id)

        return self._act("reply", conversation_id, change)

    def read_attachments(self, paths) -> list[OutgoingFile]:
        from core.workspace.files import read_files

        return read_files(paths, self.config.workspace.attachment_limit_mb)

    def compose(
        self, to, subject, body, cc=(), bcc=(), from_addr=None, attachments=(), confirmed_recipients=False
    ) -> ActionResult:
        with self.lock:
            if not to or not subject.strip() or not body.strip():
                raise ActionRefused("new mail needs a recipient, a subject and a text")
            if len(to) + len(cc) + len(bcc) > self.config.routing.recipient_limit and not confirmed_recipients:
                return ActionResult(False, "Too many recipients: confirm")
            new_id = max(self.conversations, default=0) + 1
            c = self.add_conversation(
                FakeConversation(new_id, subject, "", to[0], owner=self.agent, state="waiting", window=None)
            )
            self.add_message(
                new_id,
                "outbound",
                body,
                author=self.agent,
                outbox_state="queued",
                to=tuple(to),
                cc=tuple(cc),
                bcc=tuple(bcc),
                outbound_kind="new",
            )
            self.composed.append(
                {
                    "id": new_id,
                    "to": tuple(to),
                    "cc": tuple(cc),
                    "bcc": tuple(bcc),
                    "subject": subject,
                    "body": body,
                    "from": from_addr,
                    "files": [(f.name, f.data) for f in attachments],
                }
            )
            self._event(new_id, "compose", f"{self.agent} wrote to {', '.join(to)}")
            self._changed(new_id)
            return ActionResult(True, f"new mail to {to[0]} queued (#{c.id}, yours)", new_id, self.agent)

    def _message(self, message_id: int) -> tuple[FakeConversation, FakeMessage]:
        for c in self.conversations.values():
            for m in c.messages:
                if m.id == message_id:
                    return c, m
        raise ActionRefused(f"there is no message {message_id}")

    def forward(
        self, message_id, to, cc=(), bcc=(), body="", subject=None, attachments=(), confirmed_recipients=False
    ) -> ActionResult:
        with self.lock:
            c, m = self._message(message_id)
            if len(to) + len(cc) + len(bcc) > self.config.routing.recipient_limit and not confirmed_recipients:
                return ActionResult(False, "Too many recipients: confirm", c.id)
            self.forwards.append(
                {
                    "message": message_id,
                    "to": tuple(to),
                    "cc": tuple(cc),
                    "bcc": tuple(bcc),
                    "body": body,
                    "subject": subject,
                    "files": [(f.name, f.data) for f in attachments],
                }
            )
            self._event(c.id, "forward", f"{self.agent} forwarded message {message_id} to {', '.join(to)}")
            self._changed(c.id)
            return ActionResult(True, f"message {message_id} forwarded to {', '.join(to)}", c.id)

    def merge(self, source_id: int, target_id: int) -> ActionResult:
        with self.lock:
            source, target = self.conversations[source_id], self.conversations[target_id]
            if source.customer_address != target.customer_address:
                return ActionResult(False, "only conversations of the same customer merge", source_id)
            moved = list(source.messages)
            target.messages.extend(moved)
            source.messages.clear()
            before = source.state
            source.state = "done"
            event_id = self._event(target_id, "merge", f"{self.agent} merged #{source_id} into this one", "undo merge")
            self.undo_log[event_id] = ("merge", source_id, target_id, [m.id for m in moved], before)
            self._changed(source_id)
            self._changed(target_id)
            return ActionResult(True, f"#{source_id} merged into #{target_id}", target_id)

    def split(self, message_id: int) -> ActionResult:
        with self.lock:
            c, m = self._message(message_id)
            if len(c.messages) <= 1:
                return ActionResult(False, "nothing to split it from", c.id)
            new_id = max(self.conversations) + 1
            self.add_conversation(
                FakeConversation(
                    new_id,
                    m.subject or c.subject,
                    c.customer_name,
                    c.customer_address,
                    team=c.team,
                    owner=c.owner or self.agent,
                )
            )
            c.messages.remove(m)
            self.conversations[new_id].messages.append(m)
            event_id = self._event(
                new_id, "split", f"{self.agent} split message {message_id} out of #{c.id}", "undo split"
            )
            self.undo_log[event_id] = ("split", c.id, new_id, [message_id], None)
            self._changed(c.id)
            self._changed(new_id)
            return ActionResult(True, f"message {message_id} is conversation #{new_id} now", new_id)

    def undo_event(self, event_id: int) -> ActionResult:
        with self.lock:
            entry = self.undo_log.pop(event_id, None)
            if entry is None:
                raise ActionRefused(f"event {event_id} is not a merge or a split, or was undone already")
            kind, source_id, target_id, ids, before = entry
            source, target = self.conversations[source_id], self.conversations[target_id]
            back = [m for m in target.messages if m.id in ids]
            target.messages[:] = [m for m in target.messages if m.id not in ids]
            source.messages.extend(back)
            if kind == "merge":
                source.state = before
            else:
                target.state = "done"
            self._drop_undo(event_id)
            self._event(target_id, "un" + kind, f"{self.agent} undid the {kind}")
            self._changed(source_id)
            self._changed(target_id)
            return ActionResult(True, f"{kind} undone", source_id)

    def remind(self, conversation_id: int, at: datetime, text: str = "") -> ActionResult:
        with self.lock:
            if at <= self._now:
                raise ActionRefused("remind at a time in the future")
            reminder = ReminderView(len(self.reminder_list) + 1, conversation_id, self.agent, at, text, False)
            self.reminder_list.append(reminder)
            self._event(conversation_id, "remind", f"{self.agent} set a reminder for {at:%a %d %b %H:%M} UTC")
            self._changed(conversation_id)
            return ActionResult(
                True, f"reminder {reminder.id}: #{conversation_id} at {at:%a %d %b %H:%M} UTC", conversation_id
            )

    def reminders(self, include_fired: bool = False) -> list[ReminderView]:
        return [r for r in self.reminder_list if include_fired or not r.fired]

    def cancel_reminder(self, reminder_id: int) -> ActionResult:
        with self.lock:
            kept = [r for r in self.reminder_list if r.id != reminder_id]
            if len(kept) == len(self.reminder_list):
                raise ActionRefused(f"you have no reminder {reminder_id}")
            self.reminder_list = kept
            return ActionResult(True, f"reminder {reminder_id} cancelled")

    def set_presence(self, status: str, until: datetime | None = None) -> ActionResult:
        before = self.presence[self.agent]
        self.presence[self.agent] = status
        self.calls.append(("set_presence", status))
        self._changed(None, "presence")
        return ActionResult(True, f"You are {status}", undo=self._remember("set_presence", before))

    def vacation_preview(self) -> int:
        return sum(
            1
            for c in self.conversations.values()
            if c.state in ("open", "waiting", "snoozed") and self.agent in (c.owner, c.exclusive_agent)
        )

    def heartbeat(self, viewing: int | None = None, replying: int | None = None) -> None:
        self.heartbeats.append((viewing, replying))
        self.viewing[self.agent] = viewing
        self.replying[self.agent] = replying

    def start_first_page(self, queue: str, limit: int) -> None:
        """Nothing to start early: first_page answers from memory."""

    def alert_count(self) -> int:
        with self.lock:
            return sum(1 for a in self.alerts_list if not a.acknowledged)

    def verify_delivery(self, message_id: int) -> DeliveryCheck:
        self.calls.append(("verify_delivery", message_id))
        return DeliveryCheck(message_id, "failed", False, True, "not in the Sent folder")

    def resend(self, message_id: int) -> ActionResult:
        self.calls.append(("resend", message_id))
        return ActionResult(True, f"message {message_id} queued again")

    def escalate(self, at: datetime | None = None) -> list[dict]:
        self.calls.append(("escalate", at))
        return []

    def raise_alert(
        self,
        text: str,
        to_agent: str | None = None,
        to_team: str | None = None,
        source: str = "cli",
        conversation_id: int | None = None,
    ) -> list[str]:
        self.calls.append(("raise_alert", text))
        return [to_agent] if to_agent else list(self.config.members_of(to_team or ""))

    @property
    def clock_simulated(self) -> bool:
        return False

    @property
    def clock_speed(self) -> float:
        return 1.0

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
        until = until or self._now
        since = since or until - timedelta(days=30)
        self.calls.append(("report", round((until - since).total_seconds() / 86400), team))
        return sample_report(ReportQuery(since, until, team, agent, address, client, group_by, timezone), self._now)

    def acknowledge(self, alert_id: int | None = None) -> int:
        self.calls.append(("acknowledge", alert_id))
        return self._update_alerts(
            lambda a: not a.acknowledged and (alert_id is None or a.id == alert_id), acknowledged=True
        )

    def acknowledge_conversation(self, conversation_id: int) -> int:
        self.calls.append(("acknowledge_conversation", conversation_id))
        return self._update_alerts(
            lambda a: not a.acknowledged and a.conversation_id == conversation_id, acknowledged=True
        )

    def mark_alerts_seen(self, alert_ids: Sequence[int], up_to: datetime) -> int:
        self.calls.append(("mark_alerts_seen", tuple(alert_ids)))
        chosen = set(alert_ids)
        return self._update_alerts(lambda a: not a.seen and a.id in chosen and a.created_at <= up_to, seen=True)

    def _update_alerts(self, which, **changes) -> int:
        with self.lock:
            count = 0
            for index, alert in enumerate(self.alerts_list):
                if which(alert):
                    self.alerts_list[index] = dataclasses.replace(alert, **changes)
                    count += 1
            if count:
                self._changed(None, "alert")
            return count


def populated_service(agent: str = "ann") -> FakeComptoir:
    """A small, deterministic workspace: urgent, late, exclusive, shared, confidential and failed cases."""
    service = FakeComptoir(agent)
    now = service.now()
    specs = [
        {
            "subject": "Invoice 2231 is wrong",
            "customer_name": "Marie Curie",
            "customer_address": "marie@radium.test",
            "deadline": now + timedelta(minutes=9),
            "owner": "ann",
        },
        {
            "subject": "Cannot log in since Monday",
            "customer_name": "Alan Turing",
            "customer_address": "alan@bletchley.test",
            "deadline": now - timedelta(minutes=25),
            "exclusive_agent": "ann",
            "window": "personal",
            "visibility": "personal",
            "confidential": True,
        },
        {
            "subject": "Quote for 40 seats",
            "customer_name": "Grace Hopper",
            "customer_address": "grace@navy.test",
            "deadline": now + timedelta(hours=3, minutes=10),
            "team": "sales",
            "shared_reply": True,
            "cc": ("procurement@navy.test",),
        },
        {
            "subject": "Contract renewal",
            "customer_name": "Ada Lovelace",
            "customer_address": "ada@engine.test",
            "deadline": now + timedelta(hours=1, minutes=45),
            "owner": "bob",
            "confidential": True,
        },
        {
            "subject": "Thanks!",
            "customer_name": "Linus T.",
            "customer_address": "linus@kernel.test",
            "deadline": now + timedelta(hours=6),
        },
    ]
    for number, spec in enumerate(specs, start=1):
        cc = spec.pop("cc", ())
        conversation = service.add_conversation(FakeConversation(id=number, cc=cc, **spec))
        service.add_message(
            number,
            "inbound",
            f"Hello,\n\n{conversation.subject}.\n\nRegards,\n{conversation.customer_name}",
            at=now - timedelta(hours=1),
        )
    service.add_message(
        1,
        "outbound",
        "We are looking into it.",
        author="ann",
        from_name="Ann Archer",
        outbox_state="failed",
        outbox_answer="550 5.1.1 mailbox unavailable",
        at=now - timedelta(minutes=50),
    )
    service.add_message(
        1,
        "note",
        "@bob can you check the VAT line?",
        author="ann",
        from_name="Ann Archer",
        at=now - timedelta(minutes=40),
    )
    service.add_message(
        1,
        "inbound",
        "Any news? See the attached scan.",
        at=now - timedelta(minutes=20),
        attachments=(AttachmentView(7, "scan-2231.pdf", "application/pdf", 48213),),
    )
    service.viewing["bob"] = 2
    service.replying["cyd"] = 3
    service.add_alert("window_closing", "Window closes in 9 min: Invoice 2231 is wrong", 1, minutes_ago=3)
    service.add_alert("assigned", "bob assigned you: Contract renewal", 4, minutes_ago=12)
    while not service.changes.empty():
        service.changes.get_nowait()
    return service


HOSTILE_SUBJECT = "[bold red]PWNED[/] \x1b[2J\x1b]0;owned\x07 Refund\rAPPROVED \u202etxt.exe"
HOSTILE_NAME = "[link=file:///etc/passwd]Mallory[/link]\x9b31m"
HOSTILE_BODY = "Hi\x1b[31m red\x1b[0m\n[b]bold?[/b]\n\x1b]8;;http://evil.test\x1b\\click\x1b]8;;\x1b\\\nend\x07"
HOSTILE_FILENAME = "invoice\u202efdp.exe [i]x[/i]\x1b[5m"


def hostile_service(agent: str = "ann") -> FakeComptoir:
    """One conversation whose every mail-derived string tries to attack the terminal or the markup parser."""
    service = FakeComptoir(agent)
    now = service.now()
    service.add_conversation(
        FakeConversation(
            id=1,
            subject=HOSTILE_SUBJECT,
            customer_name=HOSTILE_NAME,
            customer_address="mallory@evil.test\x1b[8m",
            deadline=now + timedelta(minutes=5),
            owner="ann",
        )
    )
    service.add_message(
        1, "inbound", HOSTILE_BODY, attachments=(AttachmentView(9, HOSTILE_FILENAME, "application/pdf", 10),)
    )
    service.add_alert("mention", HOSTILE_SUBJECT, 1)
    while not service.changes.empty():
        service.changes.get_nowait()
    return service


def sample_report(query: ReportQuery, now: datetime) -> ReportView:
    """A fixed report whose figures follow the period's length and the team, so a change shows on screen."""
    days = max(1, round((query.until - query.since).total_seconds() / 86400))
    scale = 0.6 if query.team else 1.0
    volume = tuple(
        tuple(int(scale * (2 + (8 if 0 <= d < 5 and 9 <= h < 18 else 0) + (h * 7 + d * 3) % 5)) for h in range(24))
        for d in range(7)
    )
    replies = tuple(tuple(n // 2 for n in row) for row in volume)
    first = Spread(int(40 * days * scale), 2700.0, 9000.0)
    total = ReportGroup(
        "all",
        sum(map(sum, volume)),
        sum(map(sum, replies)),
        first,
        Spread(first.count, 2100.0, 7200.0),
        Spread(int(55 * days * scale), 3000.0, 12600.0),
        int(30 * days * scale),
        Spread(int(30 * days * scale), 20000.0, 172800.0),
    )
    start = query.until - timedelta(days=days - 1)
    day_names = [(start + timedelta(days=i)).date().isoformat() for i in range(days)]
    return ReportView(
        query=query,
        now=now,
        timezone=query.timezone or "Europe/Paris",
        total=total,
        groups=(),
        within_exclusive=Share(int(12 * scale), int(15 * scale)),
        within_team=Share(int(80 * scale), int(96 * scale)),
        within_promise=Share(int(85 * scale), int(100 * scale)),
        worked_out_business=Spread(total.worked_out.count, 2400.0, 9600.0),
        not_worked_out=int(14 * scale),
        pending_by_age=(
            AgentCount("under 1 h", 5),
            AgentCount("1-4 h", 4),
            AgentCount("4-24 h", 3),
            AgentCount("over 1 day", 2),
        ),
        replies_per_resolved=1.4,
        volume_in=volume,
        volume_out=replies,
        backlog=tuple(AgentCount(day, int(scale * (40 + (i * 13) % 17 + i // 3))) for i, day in enumerate(day_names)),
        response_by_day=tuple(AgentCount(day, 5, 1800.0 + (i * 977) % 5400) for i, day in enumerate(day_names)),
        escalations=(
            AgentCount("warn", 9),
            AgentCount("to_team", 6),
            AgentCount("to_everyone", 3),
            AgentCount("alert_supervisors", 1),
        ),
        no_action_reasons=(AgentCount("thank-you note", 7), AgentCount("out of office", 2)),
        reassignments=11,
        take_backs=4,
        reassignments_by_agent=(AgentCount("ann", 6, 3.0), AgentCount("bob", 5, 1.0)),
        satisfaction_agents=(AgentCount("ann", 12, 4.5), AgentCount("bob", 9, 3.9)),
        satisfaction_teams=(AgentCount("support", 21, 4.2),),
        alerts_by_kind=(
            AgentCount("team", 120, 30.0),
            AgentCount("exclusive", 14, 2.0),
            AgentCount("escalation", 10, 4.0),
        ),
        alerts_by_agent=(AgentCount("ann", 80, 20.0), AgentCount("bob", 64, 16.0)),
        load_now=(AgentCount("ann", 7), AgentCount("bob", 5), AgentCount("cyd", 2)),
    )
