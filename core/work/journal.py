"""The journal: the one writer of the audit trail (`event`), the alerts (`alert`) and the change log
(`change`, with a NOTIFY on PostgreSQL that wakes the change feeds), always inside the caller's transaction.

Two ways in:
- one action, in a Session: `record_event`, `raise_alerts`, `record_change`, `acknowledge_alerts`,
  `prune_changes` (and `alert_supervisors`, which opens its own transaction);
- a batch (ingestion, escalation, the claim's driver-level path): a `JournalBatch` collects the rows,
  then `flush(sql)` writes them with executemany on the DBAPI cursor (core.store.rawsql), which is what
  keeps ingestion at about 1 ms a mail.
tests/foundation/test_journal_only.py fails when any other module writes those tables.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from core.instants import utcnow
from core.store.db import NOTIFY_CHANNEL
from core.store.rawsql import RawSql, column_when
from core.work.acting import acting_login_details

if TYPE_CHECKING:
    from sqlmodel import Session

    from core.workspace.folder import Workspace

EVENT_INSERT_SQL = ("INSERT INTO event (conversation_id, message_id, actor, at, kind, details) "
                    "VALUES (:c, NULL, :actor, :at, :kind, :details)")
ALERT_INSERT_SQL = ("INSERT INTO alert (agent, team, kind, text, conversation_id, source, created_at, acknowledged_at) "
                    "VALUES (:agent, :team, :kind, :text, :c, :source, :at, NULL)")
CHANGE_INSERT_SQL = "INSERT INTO change (conversation_id, kind, at) VALUES (:c, :k, :at)"
NOTIFY_SQL = "SELECT pg_notify(:ch, :p)"
log = logging.getLogger("comptoir.journal")
_SESSION_SEEN = "comptoir_changed"
"""Where a Session remembers the (conversation, kind) pairs it logged, so each is logged once a transaction."""


def alert_recipients(
    ws: Workspace, agents: Iterable[str] = (), teams: Iterable[str] = (), exclude: Iterable[str] = ()
) -> dict[str, str | None]:
    """Known agents to alert, each with the team it is alerted for (None when named personally)."""
    excluded = set(exclude)
    recipients: dict[str, str | None] = {}
    for team in teams:
        for member in ws.config.members_of(team):
            recipients.setdefault(member, team)
    for agent in agents:
        recipients[agent] = None
    known = {a.login for a in ws.config.agents}
    return {agent: team for agent, team in recipients.items() if agent in known and agent not in excluded}


class JournalBatch:
    """Events, alerts and change-log rows gathered by one writer and written together by `flush`.

    Built before the transaction if need be (the claim works its rows out before taking the write
    lock); `sqlite` says how times are stored; `ws` (its agents and teams) is needed only to alert.
    Every event carries the acting login (core.work.acting).
    """

    def __init__(self, ws: Workspace | None, sqlite: bool) -> None:
        self.ws, self.sqlite = ws, sqlite
        self.events: list[dict[str, Any]] = []
        self.alerts: list[dict[str, Any]] = []
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

    def event(self, conversation_id: int | None, actor: str, kind: str, text: str, now: datetime,
              **details: object) -> None:
        """One audit event: who (`actor`) did what (`kind`, `text`), with the details reports read."""
        self.events.append({"c": conversation_id, "actor": actor, "at": self.when(now), "kind": kind,
                            "details": json.dumps({"text": text, **details, **self._login})})

    def alert(self, now: datetime, kind: str, text: str, conversation_id: int | None = None,
              agents: Iterable[str] = (), teams: Iterable[str] = (), exclude: Iterable[str] = (),
              source: str = "comptoir") -> list[str]:
        """One alert per concerned agent (team alerts go to every member); returns who gets one."""
        assert self.ws is not None, "alerts need the workspace's agents and teams"
        got = alert_recipients(self.ws, agents, teams, exclude)
        at = self.when(now)
        for agent, team in got.items():
            self.alerts.append({"agent": agent, "team": team, "kind": kind, "text": text, "c": conversation_id,
                                "source": source, "at": at})
        if got:
            self.changed([None], kind="alert")
        return list(got)

    def changed(self, conversation_ids: Iterable[int | None], kind: str = "conversation") -> None:
        """These conversations (None: something not tied to one, like alerts) changed: the apps look again."""
        for cid in conversation_ids:
            self.changes[cid, kind] = None

    def flush(self, sql: RawSql, session: Session | None = None) -> None:
        """Write what was gathered, in `sql`'s transaction; with the `session` that transaction belongs to,
        a change already logged in it is not logged twice."""
        sql.many(EVENT_INSERT_SQL, self.events)
        sql.many(ALERT_INSERT_SQL, self.alerts)
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
def _write_one(s: Session, ws: Workspace | None, fill) -> Any:
    sql = RawSql(s)
    batch = JournalBatch(ws, sql.sqlite)
    result = fill(batch)
    batch.flush(sql, s)
    return result


def record_event(
    s: Session, conversation_id: int | None, actor: str, kind: str, text: str, now: datetime, **details: object
) -> None:
    """One audit event in the Session's transaction."""
    _write_one(s, None, lambda b: b.event(conversation_id, actor, kind, text, now, **details))


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
    except Exception:  # noqa: BLE001 - the database may be what fails; the log has it
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
    count = sql.run(f"UPDATE alert SET acknowledged_at = :now WHERE {' AND '.join(where)}", params).rowcount or 0
    if count:
        record_change(s, [None], kind="alert")
    return count


def prune_changes(s: Session, before: datetime) -> int:
    """Delete change-log rows older than `before` (running apps have read them long ago); returns how many."""
    sql = RawSql(s)
    return sql.run("DELETE FROM change WHERE at < :c", {"c": sql.when(before)}).rowcount or 0
