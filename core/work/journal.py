"""The journal: the one writer of the audit trail (`event`), the alerts (`alert`) and the change log
(`change`, with a NOTIFY on PostgreSQL that wakes the change feeds), always inside the caller's transaction.

Two ways in:
- one action, in a Session: `record_event`, `raise_alerts`, `record_change`, `acknowledge_alerts`,
  `prune_changes` (and `alert_supervisors`, which opens its own transaction);
- a batch (ingestion, escalation, the claim's driver-level path): a `JournalBatch` collects the rows,
  then `flush(sql)` writes them with executemany on the DBAPI cursor (core.store.rawsql), which is what
  keeps ingestion at about 1 ms a mail.
tests/foundation/test_journal_only.py fails when any other module writes those tables.
Every write about a conversation also touches it in `report_touch`, so the reports' per-day rollup
(core.work.report_rollup) computes its days again: a late event is never missed.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from core.instants import utcnow
from core.store.db import NOTIFY_CHANNEL
from core.store.rawsql import RawSql, column_when
from core.work.acting import acting_login_details
from core.work.alerting import (
    DIGEST_KINDS,
    DIGEST_QUIET,
    KEPT_KINDS,
    PICK_UP_KINDS,
    SINGLE_KINDS,
    NewAlert,
    alerts_for,
)

if TYPE_CHECKING:
    from sqlmodel import Session

    from core.workspace.folder import Workspace

EVENT_INSERT_SQL = (
    "INSERT INTO event (conversation_id, message_id, actor, at, kind, details) "
    "VALUES (:c, NULL, :actor, :at, :kind, :details)"
)
CHANGE_INSERT_SQL = "INSERT INTO change (conversation_id, kind, at) VALUES (:c, :k, :at)"
NOTIFY_SQL = "SELECT pg_notify(:ch, :p)"
_TOUCH_KEEP = (
    " ON CONFLICT (conversation_id) DO UPDATE SET since = CASE WHEN report_touch.since IS NULL THEN excluded.since "
    "WHEN excluded.since IS NULL OR excluded.since >= report_touch.since THEN report_touch.since "
    "ELSE excluded.since END"
)
TOUCH_SQL = "INSERT INTO report_touch (conversation_id, since) VALUES (:c, NULL)" + _TOUCH_KEEP
"""The report rollup (core.work.report_rollup) computes again every day this conversation counts in."""
log = logging.getLogger("comptoir.journal")
_T = TypeVar("_T")
_SESSION_SEEN = "comptoir_changed"
"""Where a Session remembers the (conversation, kind) pairs it logged, so each is logged once a transaction."""


class JournalBatch:
    """Events, alerts and change-log rows gathered by one writer and written together by `flush`.

    Built before the transaction if need be (the claim works its rows out before taking the write
    lock); `sqlite` says how times are stored; `ws` (its agents and teams) is needed only to alert.
    Every event carries the acting login (core.work.acting).
    """

    def __init__(self, ws: Workspace | None, sqlite: bool) -> None:
        self.ws, self.sqlite = ws, sqlite
        self.events: list[dict[str, Any]] = []
        self.alerts: list[tuple[NewAlert, datetime]] = []
        self.changes: dict[tuple[int | None, str], None] = {}
        self._login = acting_login_details()
        self._whens: dict[datetime | None, Any] = {}

    def when(self, moment: datetime | None) -> Any:
        """column_when, remembered: a batch writes the same few moments many times."""
        try:
            return self._whens[moment]
        except KeyError:
            value = self._whens[moment] = column_when(moment, self.sqlite)
            return value

    def event(
        self, conversation_id: int | None, actor: str, kind: str, text: str, now: datetime, **details: object
    ) -> None:
        """One audit event: who (`actor`) did what (`kind`, `text`), with the details reports read."""
        self.events.append(
            {
                "c": conversation_id,
                "actor": actor,
                "at": self.when(now),
                "kind": kind,
                "details": json.dumps({"text": text, **details, **self._login}),
            }
        )

    def alert(
        self,
        now: datetime,
        kind: str,
        text: str,
        conversation_id: int | None = None,
        agents: Iterable[str] = (),
        teams: Iterable[str] = (),
        exclude: Iterable[str] = (),
        source: str = "comptoir",
    ) -> list[str]:
        """Alert every concerned agent (team alerts go to every member), one alert per agent and
        conversation (core.work.alerting); returns who gets one."""
        assert self.ws is not None, "alerts need the workspace's agents and teams"
        return self.add_alerts(alerts_for(self.ws, kind, text, conversation_id, agents, teams, exclude, source), now)

    def add_alerts(self, alerts: Iterable[NewAlert], now: datetime) -> list[str]:
        """Alerts already worked out (a digest, the claim's notice); returns whom they are for."""
        added = [(alert, now) for alert in alerts]
        self.alerts.extend(added)
        if added:
            self.changed([None], kind="alert")
        return [alert.agent for alert, _now in added]

    def changed(self, conversation_ids: Iterable[int | None], kind: str = "conversation") -> None:
        """These conversations (None: something not tied to one, like alerts) changed: the apps look again."""
        for cid in conversation_ids:
            self.changes[cid, kind] = None

    def flush(self, sql: RawSql, session: Session | None = None) -> None:
        """Write what was gathered, in `sql`'s transaction; with the `session` that transaction belongs to,
        a change already logged in it is not logged twice."""
        sql.many(EVENT_INSERT_SQL, self.events)
        touched: set[int] = {e["c"] for e in self.events if e["c"] is not None}
        touched |= {cid for cid, kind in self.changes if kind == "conversation" and cid is not None}
        touched |= {alert.conversation_id for alert, _moment in self.alerts if alert.conversation_id is not None}
        if touched:
            sql.many(TOUCH_SQL, [{"c": cid} for cid in sorted(touched)])  # sorted: PostgreSQL locks in one order
        by_moment: dict[datetime, list[NewAlert]] = {}
        for alert, moment in self.alerts:
            by_moment.setdefault(moment, []).append(alert)
        for moment, alerts in by_moment.items():
            write_alerts(sql, alerts, moment)
        changes = list(self.changes)
        if session is not None:
            seen = session.info.setdefault(_SESSION_SEEN, set())
            changes = [pair for pair in changes if pair not in seen]
            seen.update(changes)
        if changes:
            # The change log's time is the wall clock's, not the workspace clock's: it is pruned by age.
            at = column_when(utcnow(), sql.sqlite)
            sql.many(CHANGE_INSERT_SQL, [{"c": cid, "k": kind, "at": at} for cid, kind in changes])
            if not sql.sqlite:
                payload = ",".join("" if cid is None else str(cid) for cid, _kind in changes)[:7000]
                sql.run(NOTIFY_SQL, {"ch": NOTIFY_CHANNEL, "p": payload})
        self.events, self.alerts, self.changes = [], [], {}


# -- one action, in the caller's Session ------------------------------------------------------------
def _write_one(s: Session, ws: Workspace | None, fill: Callable[[JournalBatch], _T]) -> _T:
    sql = RawSql(s)
    batch = JournalBatch(ws, sql.sqlite)
    result = fill(batch)
    batch.flush(sql, s)
    return result


def record_event_raw(
    sql: RawSql, conversation_id: int | None, actor: str, kind: str, text: str, now: datetime, **details: object
) -> int:
    """One audit event in `sql`'s transaction; returns its id (what `undo` takes, when details carry "undo")."""
    return sql.insert(
        EVENT_INSERT_SQL,
        {
            "c": conversation_id,
            "actor": actor,
            "at": sql.when(now),
            "kind": kind,
            "details": json.dumps({"text": text, **details, **acting_login_details()}),
        },
    )


def record_event(
    s: Session, conversation_id: int | None, actor: str, kind: str, text: str, now: datetime, **details: object
) -> int:
    """One audit event in the Session's transaction; returns its id."""
    return record_event_raw(RawSql(s), conversation_id, actor, kind, text, now, **details)


def amend_event_details(s: Session, event_id: int, details: dict[str, Any]) -> None:
    """Replace an event's details while its transaction is still open (what an action learns after writing it,
    such as the conversations a vacation sent back, which its undo needs)."""
    RawSql(s).run("UPDATE event SET details = :d WHERE id = :id", {"d": json.dumps(details), "id": event_id})


def raise_alerts(
    s: Session,
    ws: Workspace,
    now: datetime,
    kind: str,
    text: str,
    conversation_id: int | None = None,
    agents: Iterable[str] = (),
    teams: Iterable[str] = (),
    exclude: Iterable[str] = (),
    source: str = "comptoir",
) -> list[str]:
    """Write one alert per concerned agent (team alerts go to every member); returns who got one."""
    return _write_one(s, ws, lambda b: b.alert(now, kind, text, conversation_id, agents, teams, exclude, source))


def alert_supervisors(ws: Workspace, kind: str, text: str) -> bool:
    """Alert every supervisor, in a transaction of its own (for trouble the server or the syncer runs into);
    False when the alert could not be written: the database may be what fails, and the log says so."""
    supervisors = [a.login for a in ws.config.agents if a.role == "supervisor"]
    if not supervisors:
        return True
    try:
        with ws.db.write() as s:
            raise_alerts(s, ws, ws.clock.now(), kind, text, agents=supervisors)
        return True
    except Exception:
        log.warning("could not alert the supervisors (%s)", kind, exc_info=True)
        return False


def record_change(s: Session, conversation_ids: Iterable[int | None], kind: str = "conversation") -> None:
    """Record in the change log (and, on PostgreSQL, NOTIFY) that these conversations changed."""
    _write_one(s, None, lambda b: b.changed(conversation_ids, kind))


def acknowledge_alerts(s: Session, now: datetime, agent: str | None = None, alert_id: int | None = None) -> int:
    """Mark open alerts acknowledged: an agent's (one of them with `alert_id`), or everyone's; returns how many."""
    sql = RawSql(s)
    where, params = ["acknowledged_at IS NULL"], {"now": sql.when(now)}
    if agent is not None:
        where.append("agent = :agent")
        params["agent"] = agent
    if alert_id is not None:
        where.append("id = :id")
        params["id"] = alert_id
    # Acknowledging decides whether an alert was "idle": its conversation's days are computed again.
    sql.run(
        "INSERT INTO report_touch (conversation_id, since) SELECT DISTINCT conversation_id, CAST(NULL AS BIGINT) FROM alert "
        f"WHERE {' AND '.join(where)} AND conversation_id IS NOT NULL" + _TOUCH_KEEP,
        params,
    )
    count = sql.run(f"UPDATE alert SET acknowledged_at = :now WHERE {' AND '.join(where)}", params).rowcount or 0
    if count:
        record_change(s, [None], kind="alert")
    return count


def touch_conversations(sql: RawSql, conversation_ids: Iterable[int], previous_alerts: bool = False) -> None:
    """Tell the report rollup these conversations changed; with `previous_alerts`, also the moments their
    alerts were raised at so far (about to be raised again in place, they would leave those days unseen)."""
    ids = sorted(set(conversation_ids))
    if not ids:
        return
    if not previous_alerts:
        sql.many(TOUCH_SQL, [{"c": cid} for cid in ids])
        return
    sql.run_in(
        f"INSERT INTO report_touch (conversation_id, since) SELECT conversation_id, MIN({sql.epoch('created_at')}) "
        "FROM alert WHERE conversation_id IN ({}) GROUP BY conversation_id" + _TOUCH_KEEP.replace("{", "{{"),
        ids,
    )


def prune_changes(s: Session, before: datetime) -> int:
    """Delete change-log rows older than `before` (running apps have read them long ago); returns how many."""
    sql = RawSql(s)
    return sql.run("DELETE FROM change WHERE at < :c", {"c": sql.when(before)}).rowcount or 0


# -- alerts: one per conversation and person, raised again in place (the rule: core.work.alerting) ----------
_UPSERT = (
    "INSERT INTO alert (agent, team, kind, text, conversation_id, source, created_at, acknowledged_at, seen_at) "
    "VALUES (:a, :tm, :k, :x, :c, :src, :t, NULL, NULL) "
    "ON CONFLICT (conversation_id, agent) DO UPDATE SET team = excluded.team, kind = excluded.kind, "
    "text = excluded.text, source = excluded.source, created_at = excluded.created_at, "
    "acknowledged_at = NULL, seen_at = NULL"
)
_INSERT = (
    "INSERT INTO alert (agent, team, kind, text, conversation_id, source, created_at, acknowledged_at, seen_at) "
    "VALUES (:a, :tm, :k, :x, NULL, :src, :t, NULL, NULL)"
)
_DIGEST_KEY = "agent = :a AND kind = :k AND conversation_id IS NULL AND COALESCE(team, '') = COALESCE(:tm, '')"
_DIGEST_REFRESH = (
    f"UPDATE alert SET text = :x WHERE {_DIGEST_KEY} AND (acknowledged_at IS NULL OR acknowledged_at > :quiet)"
)
_DIGEST_RAISE = (
    f"UPDATE alert SET text = :x, source = :src, created_at = :t, acknowledged_at = NULL, seen_at = NULL "
    f"WHERE {_DIGEST_KEY}"
)
_RAISE_SINGLE = (
    "UPDATE alert SET text = :x, source = :src, created_at = :t, seen_at = NULL "
    "WHERE agent = :a AND kind = :k AND conversation_id IS NULL AND acknowledged_at IS NULL"
)


def write_alerts(sql: RawSql, alerts: Sequence[NewAlert], now: datetime) -> int:
    """Write alerts in the caller's transaction; returns how many rows were raised or raised again.

    Of several alerts for the same agent and conversation in one call, the last one wins.
    """
    at = sql.when(now)
    about: dict[tuple[int, str], dict[str, Any]] = {}
    single: dict[tuple[str, str], dict[str, Any]] = {}
    digest: dict[tuple[str, str, str | None], dict[str, Any]] = {}
    loose: list[dict[str, Any]] = []
    for alert in alerts:
        row = {
            "a": alert.agent,
            "tm": alert.team,
            "k": alert.kind,
            "x": alert.text,
            "c": alert.conversation_id,
            "src": alert.source,
            "t": at,
        }
        if alert.conversation_id is not None:
            about[(alert.conversation_id, alert.agent)] = row
        elif alert.kind in SINGLE_KINDS:
            single[(alert.agent, alert.kind)] = row
        elif alert.kind in DIGEST_KINDS:
            digest[(alert.agent, alert.kind, alert.team)] = row
        else:
            loose.append(row)
    touch_conversations(sql, {cid for cid, _agent in about}, previous_alerts=True)
    sql.many(_UPSERT, list(about.values()))
    raised = len(about)
    for row in single.values():
        if sql.run(_RAISE_SINGLE, row).rowcount == 0:
            loose.append(row)
        else:
            raised += 1
    quiet = sql.when(now - DIGEST_QUIET)
    for row in digest.values():
        if sql.run(_DIGEST_REFRESH, {**row, "quiet": quiet}).rowcount:
            continue  # still waiting, or acknowledged a moment ago: its text follows, nobody is called again
        if sql.run(_DIGEST_RAISE, row).rowcount == 0:
            loose.append(row)
        else:
            raised += 1
    sql.many(_INSERT, [{k: v for k, v in row.items() if k != "c"} for row in loose])
    return raised + len(loose)


def settle_alerts(
    sql: RawSql,
    conversation_id: int,
    now: datetime,
    *,
    agent: str | None = None,
    others_than: str | None = None,
    kinds: Sequence[str] | None = None,
) -> int:
    """Acknowledge alerts about a conversation nobody needs any more; returns how many.

    `agent`: only that agent's; `others_than`: everyone's but that agent's; `kinds`: only those kinds
    (else every kind but KEPT_KINDS).
    """
    chosen = tuple(kinds) if kinds is not None else None
    where = ["conversation_id = :c", "acknowledged_at IS NULL"]
    params: dict[str, Any] = {"c": conversation_id, "t": sql.when(now)}
    if agent is not None:
        where.append("agent = :agent")
        params["agent"] = agent
    if others_than is not None:
        where.append("agent != :other")
        params["other"] = others_than
    names = chosen if chosen is not None else KEPT_KINDS
    marks = ", ".join(f":k{i}" for i in range(len(names)))
    where.append(f"kind IN ({marks})" if chosen is not None else f"kind NOT IN ({marks})")
    params.update({f"k{i}": name for i, name in enumerate(names)})
    count = sql.run(f"UPDATE alert SET acknowledged_at = :t WHERE {' AND '.join(where)}", params).rowcount or 0
    if count:
        touch_conversations(sql, [conversation_id])
    return count


def settle_on_claim(sql: RawSql, conversation_id: int, agent: str, now: datetime) -> int:
    """`agent` claimed the conversation: their own alerts about it are done with, and so are the
    others' calls to pick it up (one statement: this runs on the claim's hot path)."""
    kept = ", ".join(f"'{k}'" for k in KEPT_KINDS)
    pick_up = ", ".join(f"'{k}'" for k in PICK_UP_KINDS)
    count = (
        sql.run(
            "UPDATE alert SET acknowledged_at = :t WHERE conversation_id = :c AND acknowledged_at IS NULL AND "
            f"((agent = :me AND kind NOT IN ({kept})) OR (agent != :me AND kind IN ({pick_up})))",
            {"t": sql.when(now), "c": conversation_id, "me": agent},
        ).rowcount
        or 0
    )
    if count:
        touch_conversations(sql, [conversation_id])
    return count


def settle(s: Session, conversation_id: int, now: datetime, **which: Any) -> int:
    """settle_alerts in the Session's transaction; running apps hear of it when any was settled."""
    count = settle_alerts(RawSql(s), conversation_id, now, **which)
    if count:
        record_change(s, [None], kind="alert")
    return count


def settle_claimed(s: Session, conversation_id: int, agent: str, now: datetime) -> int:
    """settle_on_claim in the Session's transaction (a snooze keeps the conversation for its agent too)."""
    count = settle_on_claim(RawSql(s), conversation_id, agent, now)
    if count:
        record_change(s, [None], kind="alert")
    return count


def acknowledge_conversation_alerts(s: Session, agent: str, conversation_id: int, now: datetime) -> int:
    """The agent opened the conversation: every open alert of theirs about it is acknowledged."""
    sql = RawSql(s)
    count = (
        sql.run(
            "UPDATE alert SET acknowledged_at = :t WHERE agent = :a AND conversation_id = :c "
            "AND acknowledged_at IS NULL",
            {"t": sql.when(now), "a": agent, "c": conversation_id},
        ).rowcount
        or 0
    )
    if count:
        touch_conversations(sql, [conversation_id])
        record_change(s, [None], kind="alert")
    return count


def mark_alerts_seen(s: Session, agent: str, alert_ids: Sequence[int], up_to: datetime, now: datetime) -> int:
    """The agent's alert list showed these alerts as raised up to `up_to`: they stop making the bar blink.
    One raised again after `up_to` stays unseen."""
    if not alert_ids:
        return 0
    sql = RawSql(s)
    count = sql.run_in(
        "UPDATE alert SET seen_at = :t WHERE agent = :a AND id IN ({}) AND seen_at IS NULL AND created_at <= :up",
        alert_ids,
        {"t": sql.when(now), "a": agent, "up": sql.when(up_to)},
    )
    if count:
        record_change(s, [None], kind="alert")
    return count


def acknowledge_alerts_raised_at(
    s: Session, conversation_ids: Sequence[int], at: datetime, kinds: Sequence[str], now: datetime
) -> int:
    """Acknowledge the open alerts of these kinds an action raised at `at` about these conversations (its undo)."""
    if not conversation_ids or not kinds:
        return 0
    sql = RawSql(s)
    names = {f"k{n}": kind for n, kind in enumerate(kinds)}
    kind_list = ", ".join(":" + k for k in names)
    count = sql.run_in(
        "UPDATE alert SET acknowledged_at = :t WHERE conversation_id IN ({}) AND created_at = :at "
        f"AND acknowledged_at IS NULL AND kind IN ({kind_list})",
        conversation_ids,
        {"t": sql.when(now), "at": sql.when(at), **names},
    )
    if count:
        touch_conversations(sql, conversation_ids)
        record_change(s, [None], kind="alert")
    return count


def move_events(s: Session, event_ids: Sequence[int], conversation_id: int) -> None:
    """History follows its messages when a conversation is merged or split (core.work.merging)."""
    if not event_ids:
        return
    RawSql(s).run_in("UPDATE event SET conversation_id = :c WHERE id IN ({})", event_ids, {"c": conversation_id})
