"""Ingestion of mail that is not routed: history from before an account's cut-over, mail already answered,
and the team's own replies found in the sent folder. Stored closed and worked out: no alert, no step.

A mixin of core.mail.ingest's batch, whose rows, lookups and helpers (`_message`, `_contact`, ...) it uses.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

from core.instants import NO_DEADLINE
from core.mail.mime import ParsedMail
from core.mail.threading_keys import thread_lookup_ids

if TYPE_CHECKING:
    from core.mail.ingest import IncomingMail, IngestReport
    from core.store.rawsql import RawSql
    from core.work.journal import JournalBatch
    from core.work.routing_facts import ContactRef, ConvRef
    from routing import Policy


def first_ours(parsed: ParsedMail, ours: set[str]) -> str:
    """The first team address among To and Cc ("" when none): where a mail was delivered."""
    for _name, addr in (*parsed.to, *parsed.cc):
        if addr.lower() in ours:
            return addr.lower()
    return ""


class HistoryAndSentMail:
    """The part of a batch that stores history and sent-folder replies (see the module's docstring)."""

    # What core.mail.ingest._Batch, the one class this is mixed into, provides.
    sql: RawSql
    policy: Policy | None
    ours: set[str]
    journal: JournalBatch
    thread_ids: dict[str, int]
    outbound_ids: set[str]
    conv_rows: dict[int, tuple[Any, ...]]

    if TYPE_CHECKING:

        def _routing_policy(self) -> Policy: ...
        def when(self, moment: datetime | None) -> object: ...
        def _thread_key(self, subject: str, customer: str) -> str | None: ...
        def _contact(self, address: str, name: str, now: datetime) -> ContactRef: ...
        def _find_thread(self, parsed: ParsedMail, customer: str, now: datetime) -> ConvRef | None: ...
        def _message(
            self,
            conv_id: int,
            mail: IncomingMail,
            customer: str,
            delivered: str,
            now: datetime,
            direction: str = "inbound",
            disposition: str = "pending",
            author: str | None = None,
            disposed_at: datetime | None = None,
            reason: str | None = None,
            disposed_by: str | None = None,
        ) -> int: ...

    def _customer_of_sent(self, parsed: ParsedMail) -> str:
        """Whom a reply from the sent folder went to: its first recipient that is not a team address."""
        for _name, addr in (*parsed.to, *parsed.cc):
            if addr and addr.lower() not in self.ours:
                return addr.lower()
        return "unknown@invalid"

    def _agent_of_sent(self, parsed: ParsedMail) -> str | None:
        """Which agent wrote a reply found in the sent folder: by their own address, else by their name in From
        ("Marie Dupont" or "Marie, Shop Support" for the agent Marie Dupont)."""
        sender = (parsed.from_addr or "").lower()
        words = set(re.findall(r"\w+", (parsed.from_name or "").casefold()))
        policy = self._routing_policy()
        for agent in policy.agents:
            if sender and sender in agent.addresses:
                return agent.login
        for agent in policy.agents:
            names = re.findall(r"\w+", (agent.name or "").casefold())
            if names and (set(names) <= words or names[0] in words):
                return agent.login
        return None

    def _history_conversation(
        self,
        mail: IncomingMail,
        customer: str,
        contact: ContactRef,
        delivered: str,
        owner: str | None,
        now: datetime,
        why: str,
    ) -> int:
        """Insert a closed conversation for history: no deadline, no next step, nothing pending."""
        sql, parsed = self.sql, mail.prepared
        team = self._routing_policy().team_for_address(delivered) if delivered else None
        team_name = team.name if team else None
        reasons = [{"code": "history", "text": why, "inputs": {}}]
        return sql.insert(
            "INSERT INTO conversation (subject, contact_id, customer_address, customer_name, via_address, "
            "team, owner, exclusive_agent, visibility, state, priority, confidential, automated, created_at, "
            "updated_at, last_message_at, exclusive_until, team_until, deadline, next_step_at, snoozed_until, "
            "pending_count, message_count, warned, thread_key, shared_reply, routing_reasons, ladder, version) "
            "VALUES (:subject, :contact, :customer, :name, :via, :team, :owner, NULL, :visibility, 'done', "
            "'normal', :no, :no, :now, :now, :now, NULL, NULL, :deadline, NULL, NULL, 0, 1, '[]', :thread_key, "
            ":no, :reasons, '[]', 1)",
            {
                "subject": parsed.subject or "(no subject)",
                "contact": contact.id,
                "customer": customer,
                "name": parsed.from_name if not mail.sent else "",
                "via": delivered,
                "team": team_name,
                "owner": owner,
                "visibility": "team" if team_name else "everyone",
                "no": sql.flag(False),
                "now": self.when(now),
                "deadline": self.when(NO_DEADLINE),
                "thread_key": self._thread_key(parsed.subject, customer),
                "reasons": sql.json(reasons),
            },
        )

    def _add_to_conversation(self, conv_id: int, now: datetime, owner: str | None = None) -> None:
        """One more history message in an existing conversation: counts and dates only, its state stays."""
        self.sql.run(
            "UPDATE conversation SET message_count = message_count + 1, version = version + 1, "
            "owner = COALESCE(owner, :owner), "
            "last_message_at = CASE WHEN last_message_at IS NULL OR last_message_at < :now THEN :now "
            "ELSE last_message_at END WHERE id = :id",
            {"id": conv_id, "now": self.when(now), "owner": owner},
        )
        self.conv_rows.pop(conv_id, None)

    def _one_history(
        self, mail: IncomingMail, now: datetime, report: IngestReport, answered: tuple[int, str | None, datetime] | None
    ) -> None:
        """Mail older than the cut-over (or answered already): stored closed and worked out; no alert, no step."""
        parsed = mail.prepared
        customer = parsed.from_addr or "unknown@invalid"
        contact = self._contact(customer, parsed.from_name, now)
        conv = self._find_thread(parsed, customer, now)
        conv_id = conv.id if conv is not None else (answered[0] if answered else None)
        delivered = mail.delivered_to or first_ours(parsed, self.ours)
        agent = answered[1] if answered else None
        if conv_id is None:
            why = (
                f"Imported as history: it arrived on {now:%d %b %Y}, before the account's cut-over "
                f"({mail.history_before:%d %b %Y %H:%M} UTC), so nobody is alerted and nothing escalates."
                if answered is None
                else "Answered from the sent folder before Comptoir saw it."
            )
            conv_id = self._history_conversation(mail, customer, contact, delivered, agent, now, why)
        else:
            self._add_to_conversation(conv_id, now, agent)
        if answered is not None:
            msg_id = self._message(
                conv_id, mail, customer, delivered, now, disposition="replied", author=agent, disposed_at=answered[2]
            )
        else:
            msg_id = self._message(conv_id, mail, customer, delivered, now, disposition="history")
        self.journal.event(
            conv_id,
            "sync",
            "history",
            "stored as history: arrived before the cut-over"
            if answered is None
            else "already answered from the sent folder",
            now,
            message_id=msg_id,
        )
        report.new_messages += 1
        report.history += 1
        report.conversation_ids.append(conv_id)
        report.message_ids.append(msg_id)

    def _one_sent(self, mail: IncomingMail, now: datetime, report: IngestReport) -> None:
        """A reply from the sent folder: the mail it answers becomes "replied", and its author the owner."""
        sql, parsed = self.sql, mail.prepared
        if parsed.message_id and parsed.message_id in self.outbound_ids:
            report.already_seen += 1  # our own reply, appended to Sent by the outbox
            return
        customer = self._customer_of_sent(parsed)
        contact = self._contact(customer, "", now)
        agent = self._agent_of_sent(parsed)
        conv_id = next((self.thread_ids[i] for i in thread_lookup_ids(parsed) if i in self.thread_ids), None)
        delivered = (parsed.from_addr or "").lower()
        if conv_id is None:
            why = "A reply found in the sent folder, written before Comptoir (or outside it)."
            conv_id = self._history_conversation(mail, customer, contact, delivered, agent, now, why)
        else:
            self._add_to_conversation(conv_id, now, agent)
            answered = [i for i in (parsed.in_reply_to, *parsed.references) if i]
            replied = sql.all_in(
                "SELECT id, disposition FROM message WHERE conversation_id = :c AND direction = 'inbound' "
                "AND disposition IN ('pending', 'history') AND message_id IN ({})",
                answered,
                {"c": conv_id},
            )
            sql.many(
                "UPDATE message SET disposition = 'replied', disposed_by = :a, disposed_at = :t WHERE id = :id",
                [{"a": agent, "t": self.when(now), "id": mid} for mid, _d in replied],
            )
            if any(d == "pending" for _mid, d in replied):
                self._settle_live(conv_id, now)
        msg_id = self._message(
            conv_id,
            mail,
            parsed.from_addr or "",
            delivered,
            now,
            direction="outbound",
            disposition="none",
            author=agent,
        )
        self.outbound_ids.add(parsed.message_id or "")
        self.journal.event(
            conv_id,
            agent or "sync",
            "sent_found",
            f"a reply by {agent or parsed.from_addr} was found in the sent folder",
            now,
            message_id=msg_id,
        )
        report.new_messages += 1
        report.history += 1
        report.conversation_ids.append(conv_id)
        report.message_ids.append(msg_id)

    def _settle_live(self, conv_id: int, now: datetime) -> None:
        """A live conversation answered from outside Comptoir: recount what is pending; all answered -> waiting."""
        sql = self.sql
        sql.run(
            "UPDATE conversation SET pending_count = (SELECT COUNT(*) FROM message WHERE conversation_id = :id "
            "AND direction = 'inbound' AND disposition = 'pending') WHERE id = :id",
            {"id": conv_id},
        )
        sql.run(
            "UPDATE conversation SET state = 'waiting', deadline = :never, next_step_at = NULL "
            "WHERE id = :id AND pending_count = 0 AND state = 'open'",
            {"id": conv_id, "never": self.when(NO_DEADLINE)},
        )
