"""A scripted week of a small shop, on a fixed clock, whose report figures are worked out by hand in
tests/core/test_reports.py. Times are UTC; Paris is UTC+2 until Sunday 25 October 2026 03:00, UTC+1 after."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import insert, update
from sqlmodel import select

from core.store.models import Contact, Conversation, Message, Rating
from core.work import actions
from core.work.escalation import run_escalation
from core.workspace.folder import Workspace
from tests.core.helpers import deliver

SINCE = datetime(2026, 10, 23, 0, 0, tzinfo=UTC)
NOW = datetime(2026, 10, 30, 12, 0, tzinfo=UTC)
"""Friday 30 October, 13:00 in Paris: the report's `now` and the end of its period."""


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 10, day, hour, minute, tzinfo=UTC)


def build_timeline(ws: Workspace) -> dict[str, int]:
    """The five conversations; returns their ids by letter."""
    ids: dict[str, int] = {}
    # A: Friday 17:00 Paris to the hifi team, answered Monday 10:30 Paris, across a weekend and the DST change.
    a, _m, _mid = deliver(ws, at(23, 15), "hifi@shop.test", sender="anne@client-a.test", subject="Turntable hum")
    actions.claim(ws, "marie", a, at(26, 9, 20))
    actions.reply(ws, "marie", a, "Check the ground wire.", ["anne@client-a.test"], [], at(26, 9, 30))
    ids["A"] = a
    # B: Tuesday 10:00 Paris to marie personally; marie claims, sophie takes it back for paul, paul hands it to
    # lea, lea answers at 12:30 Paris and closes it at 13:00.
    b, _m, _mid = deliver(ws, at(27, 9), "marie@shop.test", sender="bob@client-b.test", subject="Amplifier quote")
    actions.claim(ws, "marie", b, at(27, 9, 10))
    actions.assign(ws, "sophie", b, at(27, 9, 30), to_agent="paul")
    actions.assign(ws, "paul", b, at(27, 10), to_agent="lea")
    actions.reply(ws, "lea", b, "Here is the quote.", ["bob@client-b.test"], [], at(27, 11, 30))
    actions.done(ws, "lea", b, at(27, 12))
    ids["B"] = b
    # C: Wednesday 10:00 Paris, a thank-you: no action needed after 20 minutes, closed a minute later.
    c, c_msg, _mid = deliver(ws, at(28, 9), "hifi@shop.test", sender="cat@client-c.test", subject="Thanks!")
    actions.dispose(ws, "marie", c_msg, "thank-you", at(28, 9, 20))
    actions.done(ws, "marie", c, at(28, 9, 21))
    ids["C"] = c
    # D: Wednesday 14:00 Paris, claimed and snoozed until Thursday; never answered.
    d, _m, _mid = deliver(ws, at(28, 13), "hifi@shop.test", sender="dan@client-d.test", subject="Speaker stand")
    actions.claim(ws, "marie", d, at(28, 13, 5))
    actions.snooze(ws, "marie", d, at(29, 8), at(28, 13, 10))
    ids["D"] = d
    # E: history mail (before the account's cut-over) with the reply the team had sent: closed, no events of work.
    e, e_msg, _mid = deliver(ws, at(29, 9), "hifi@shop.test", sender="eve@client-e.test", subject="Old question")
    with ws.db.write() as s:
        s.execute(update(Message).where(Message.id == e_msg).values(disposition="history"))
        s.execute(
            insert(Message.__table__),
            [
                {
                    "conversation_id": e,
                    "direction": "outbound",
                    "from_addr": "hifi@shop.test",
                    "subject": "Re: Old question",
                    "received_at": at(29, 9, 5),
                    "text": "An old answer.",
                    "disposition": "history",
                    "author": "marie",
                    "references": [],
                    "to_addrs": ["eve@client-e.test"],
                    "cc_addrs": [],
                    "delivered_to": [],
                    "headers": {},
                    "defects": [],
                    "size": 0,
                }
            ],
        )
        s.execute(update(Conversation).where(Conversation.id == e).values(state="done", pending_count=0))
    ids["E"] = e
    # F: Thursday 09:30 Paris to paul personally, never answered: it climbs the ladder.
    f, _m, _mid = deliver(ws, at(29, 8, 30), "paul@shop.test", sender="fay@client-f.test", subject="Cable length")
    ids["F"] = f
    # Escalation passes: Wednesday 18:00 Paris (D is snoozed: nothing), Thursday 09:00 Paris (D's snooze is
    # over), then when F's exclusive window (11:30 Paris) and its team window (15:30 Paris) end.
    for moment in (at(28, 17), at(29, 8), at(29, 10, 30), at(29, 14, 30)):
        run_escalation(ws, moment)
    # An alert on C that paul acknowledges without acting; one on D that marie acts on (her snooze came later).
    actions.external_alert(ws, "look at C", at(28, 9, 1), to_agent="paul", conversation_id=c)
    actions.acknowledge(ws, "paul", None, at(28, 9, 30))
    actions.external_alert(ws, "look at D", at(28, 13, 1), to_agent="marie", conversation_id=d)
    actions.acknowledge(ws, "marie", None, at(28, 13, 2))
    # Ratings: three in the period, one before it.
    with ws.db.write() as s:
        contacts = dict(s.exec(select(Contact.address, Contact.id)).all())
        for address, agent, score, day in (
            ("anne@client-a.test", "marie", 4, date(2026, 10, 26)),
            ("bob@client-b.test", "lea", 5, date(2026, 10, 27)),
            ("cat@client-c.test", "marie", 2, date(2026, 10, 29)),
            ("anne@client-a.test", "marie", 1, date(2026, 10, 1)),
        ):
            s.add(Rating(contact_id=contacts[address], agent=agent, score=score, rated_on=day))
    return ids
