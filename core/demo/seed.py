"""The demo workspace: three teams, six agents, 300 contacts with history and ratings, about 2,000
conversations in every state with deadlines around now, all made through the real ingest and actions."""

from __future__ import annotations

import json
import random
import sqlite3
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

from sqlalchemy import text, update
from sqlmodel import col, select

from core.mail.ingest import IncomingMail, ingest_batch
from core.store.db import SQLITE_NAME
from core.store.models import Contact, Conversation, Message, OutboxItem, Rating, id_of
from core.work import actions
from core.work.escalation import run_escalation
from core.work.journal import acknowledge_alerts
from core.workspace.folder import Workspace, init_workspace, open_workspace

DEMO_AGENT = "marie"
DEMO_VERSION = "7"
"""Bumped when the demo's content or the schema changes, so a cached demo template is rebuilt."""
DOMAIN = "comptoir-demo.test"

DEMO_CONFIG = f'''# The Comptoir demo workspace: fictional shop, fictional customers. Safe to delete.
[workspace]
name = "Comptoir demo: Au Bon Son"
demo = true
timezone = "Europe/Paris"

[[teams]]
name = "hifi"
title = "Hi-fi"
addresses = ["hifi@{DOMAIN}"]
audiences = ["hi-fi", "audiophiles"]
keywords = ["amplifier", "turntable", "speaker", "speakers", "vinyl", "headphones"]
hours = "always"
timezone = "Europe/Paris"
exclusive_window = "2h"
team_window = "4h"
signature = "The hi-fi team, Au Bon Son"
saved_replies = {{ thanks = "Thank you for your message, we are glad it works now.", repair = "Please send the unit back with the repair form attached; we will call you when it arrives." }}

[[teams]]
name = "computers"
title = "Computers"
addresses = ["computers@{DOMAIN}", "support@{DOMAIN}"]
audiences = ["computers", "gamers"]
keywords = ["laptop", "keyboard", "screen", "monitor", "printer", "ssd"]
hours = "always"
timezone = "Europe/Paris"
exclusive_window = "2h"
team_window = "4h"
signature = "The computer team, Au Bon Son"
saved_replies = {{ driver = "You will find the latest driver on the maker's site; tell us if the problem stays." }}

[[teams]]
name = "purchasing"
title = "Purchasing"
addresses = ["invoices@{DOMAIN}", "suppliers@{DOMAIN}"]
audiences = ["suppliers"]
keywords = ["invoice", "quote", "order", "delivery"]
hours = "mon-fri 09:00-18:00"
timezone = "Europe/Paris"
exclusive_window = "2h"
team_window = "4h"

[[agents]]
login = "marie"
name = "Marie Curie"
addresses = ["marie@{DOMAIN}"]
teams = ["hifi"]

[[agents]]
login = "paul"
name = "Paul Martin"
addresses = ["paul@{DOMAIN}"]
teams = ["hifi", "computers"]

[[agents]]
login = "lea"
name = "L\u00e9a Dubois"
addresses = ["lea@{DOMAIN}"]
teams = ["computers"]

[[agents]]
login = "karim"
name = "Karim Benali"
addresses = ["karim@{DOMAIN}"]
teams = ["computers"]

[[agents]]
login = "sophie"
name = "Sophie Laurent"
addresses = ["sophie@{DOMAIN}"]
teams = ["purchasing", "hifi"]
role = "supervisor"

[[agents]]
login = "tom"
name = "Tom Leroy"
addresses = ["tom@{DOMAIN}"]
teams = ["purchasing"]

[[tags]]
name = "vip"
colour = "magenta"
description = "Key account: answer first"

[[tags]]
name = "billing"
colour = "yellow"
description = "Invoices, refunds, payments"

[[tags]]
name = "bug"
colour = "red"
description = "A product defect to report"

[[tags]]
name = "follow-up"
colour = "cyan"
description = "Promised a call back"

[routing]
front_pool = "everyone"
rating_threshold = 3
recipient_limit = 2
warn_before = "15m"

[[routing.rules]]
name = "invoices"
any = [{{ field = "to", contains = "invoices@" }}]
team = "purchasing"
confidential = true
priority = "high"

[[clients]]
name = "Studio Lumi\u00e8re"
addresses = ["studio-lumiere@{DOMAIN}", "studio-lumiere-news@{DOMAIN}"]
team = "hifi"
owner = "marie"
notes = "Recording studio; pays by transfer at 30 days."
informational = ["studio-lumiere-news@{DOMAIN}"]

[[autoack]]
address = "studio-lumiere@{DOMAIN}"
body = """Hello {{name}},

This is the {{client}} desk at Au Bon Son. {{expect}}
"""

[[autoack]]
address = "support@{DOMAIN}"
subject = "We received your message: {{subject}}"
body = """Hello {{name}},

Thank you for writing to Au Bon Son. Your message is number {{ticket}}; one of us will answer within four business hours.
"""
'''

FIRST = [
    "Alice",
    "Bruno",
    "Chlo\u00e9",
    "David",
    "\u00c9milie",
    "Fran\u00e7ois",
    "Gabrielle",
    "Hugo",
    "In\u00e8s",
    "Julien",
    "Karine",
    "Louis",
    "Manon",
    "Nicolas",
    "Oc\u00e9ane",
    "Pierre",
    "Quentin",
    "Rose",
    "Samuel",
    "Th\u00e9o",
    "Ursula",
    "Victor",
    "Wendy",
    "Xavier",
    "Yasmine",
    "Zo\u00e9",
]
LAST = [
    "Bernard",
    "Petit",
    "Robert",
    "Richard",
    "Durand",
    "Moreau",
    "Simon",
    "Michel",
    "Lefebvre",
    "Garcia",
    "David",
    "Bertrand",
    "Roux",
    "Vincent",
    "Fournier",
    "Morel",
    "Girard",
    "Andr\u00e9",
    "Mercier",
    "Blanc",
]
PROVIDERS = ["mail.test", "post.test", "inbox.test", "example.test"]

TOPICS = {
    "hifi": [
        (
            "Amplifier hums when the turntable is on",
            "Since I plugged in the turntable the amplifier hums, even at low volume. Is it the ground wire?",
        ),
        ("Speaker cable length", "Which cable length would you advise for speakers four metres from the amplifier?"),
        ("Headphones: left side silent", "The left side of my new headphones stopped working after two days."),
        ("Vinyl cleaning kit back in stock?", "Do you know when the vinyl cleaning kit will be back in stock?"),
        ("Thank you!", "The speakers arrived today and sound wonderful. Thank you for the advice."),
    ],
    "computers": [
        (
            "Laptop does not start after update",
            "After last night's update my laptop stays on a black screen. What can I do?",
        ),
        ("Monitor flickers at 144 Hz", "The monitor I bought flickers at 144 Hz but is fine at 60 Hz."),
        ("Printer driver for Linux", "Is there a Linux driver for the printer I ordered last week?"),
        ("SSD upgrade question", "Can you install a larger SSD in my laptop, and how long does it take?"),
        ("Keyboard missing a key", "The keyboard arrived with the F7 key missing."),
    ],
    "purchasing": [
        ("Invoice 2026-1187", "Please find attached our invoice for the October delivery."),
        ("Quote request: 40 turntables", "Could you quote us 40 turntables for a school project?"),
        ("Delivery delayed", "The delivery planned for Tuesday will arrive Thursday, sorry for the delay."),
    ],
}
FIRST_CONTACT = [
    (
        "Question about a gift",
        "I want to buy a present for my father, he likes music and computers. What would you suggest?",
    ),
    ("Are you open on Sunday?", "Is the shop open on Sunday afternoon?"),
    ("Partnership proposal", "We run a small concert venue and would like to discuss a partnership."),
]


def _mail(
    frm: tuple[str, str],
    to: str,
    subject: str,
    body: str,
    when: datetime,
    cc: str | None = None,
    reply_to_id: str | None = None,
    headers: dict[str, Any] | None = None,
) -> tuple[bytes, str]:
    m = EmailMessage()
    m["From"] = f"{frm[0]} <{frm[1]}>"
    m["To"] = to
    if cc:
        m["Cc"] = cc
    m["Subject"] = subject
    m["Date"] = format_datetime(when)
    mid = make_msgid(domain=frm[1].rpartition("@")[2])
    m["Message-ID"] = mid
    if reply_to_id:
        m["In-Reply-To"] = reply_to_id
        m["References"] = reply_to_id
    for k, v in (headers or {}).items():
        m[k] = v
    m.set_content(body + f"\n\n{frm[0]}\n")
    return m.as_bytes(), mid


class DemoWorld:
    """A seeded generator of customers and mail for the demo (also used for the live trickle)."""

    def __init__(self, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        self.contacts: list[tuple[str, str, str]] = []
        for i in range(300):
            first, last = self.rng.choice(FIRST), self.rng.choice(LAST)
            addr = (
                f"{first.lower()}.{last.lower()}{i}@{self.rng.choice(PROVIDERS)}".replace("\u00e9", "e")
                .replace("\u00e7", "c")
                .replace("\u00e8", "e")
                .replace("\u00c9", "e")
                .replace("\u00eb", "e")
            )
            team = self.rng.choices(["hifi", "computers", "purchasing"], [5, 5, 2])[0]
            self.contacts.append((f"{first} {last}", addr, team))

    def mail(self, when: datetime, first_contact: bool = False) -> bytes:
        rng = self.rng
        if first_contact:
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
            addr = f"new.{rng.randrange(10**6)}@{rng.choice(PROVIDERS)}"
            subject, body = rng.choice(FIRST_CONTACT)
            to = f"support@{DOMAIN}"
            return _mail((name, addr), to, subject, body, when)[0]
        name, addr, team = rng.choice(self.contacts)
        subject, body = rng.choice(TOPICS[team])
        roll = rng.random()
        if roll < 0.12:
            agent = rng.choice(
                {"hifi": ["marie", "paul"], "computers": ["lea", "karim", "paul"], "purchasing": ["tom", "sophie"]}[
                    team
                ]
            )
            to = f"{agent}@{DOMAIN}"
        elif team == "purchasing" and roll < 0.4:
            to = f"invoices@{DOMAIN}"
        else:
            to = rng.choice(
                [f"{team}@{DOMAIN}" if team != "purchasing" else f"suppliers@{DOMAIN}", f"support@{DOMAIN}"]
            )
        cc = f"colleague.{rng.randrange(999)}@{addr.rpartition('@')[2]}" if rng.random() < 0.08 else None
        headers = {"List-Id": "<news.partner.test>", "Precedence": "list"} if rng.random() < 0.03 else None
        return _mail((name, addr), to, subject, body, when, cc=cc, headers=headers)[0]


def build_demo(path: Path, now: datetime | None = None, conversations: int = 2000, seed: int = 7) -> Path:
    """Create the demo workspace at `path` (which must not hold one yet)."""
    now = now or datetime.now(UTC).replace(microsecond=0)
    init_workspace(path, config_text=DEMO_CONFIG)
    ws = open_workspace(path, check_permissions=False)
    try:
        world = DemoWorld(seed)
        _import_history(ws, world, now)
        _make_conversations(ws, world, now, conversations)
        run_escalation(ws, now)  # the past catches up now, so the live demo's first tick is not a flood
        with ws.db.write() as s:
            # History is history: only what happens from the demo's start on should make the bar blink.
            acknowledge_alerts(s, now)
        _seed_live_moments(ws, world, now)
        with ws.db.write() as s:
            s.execute(text("INSERT INTO meta (key, value) VALUES ('demo_built_at', :v)"), {"v": now.isoformat()})
            s.execute(text("INSERT INTO meta (key, value) VALUES ('demo_version', :v)"), {"v": DEMO_VERSION})
    finally:
        ws.close()
    with sqlite3.connect(path / SQLITE_NAME) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


def _seed_live_moments(ws: Workspace, world: DemoWorld, now: datetime) -> None:
    """Mail whose windows close in the demo's first simulated minutes, so a newcomer sees them run out."""
    name, addr, _team = world.contacts[3]
    mails = []
    for minutes, subject in (
        (112, "Turntable speed drifts"),
        (108, "Amplifier: which speakers?"),
        (100, "Headphones repair"),
    ):
        when = now - timedelta(minutes=minutes)
        raw, _mid = _mail((name, addr), f"{DEMO_AGENT}@{DOMAIN}", subject, "Could you help me with this?", when)
        mails.append(IncomingMail(raw=raw, internaldate=when))
    name, addr, _team = world.contacts[5]
    when = now - timedelta(minutes=230)
    raw, _mid = _mail((name, addr), f"hifi@{DOMAIN}", "Speaker cable length", "Which cable for four metres?", when)
    mails.append(IncomingMail(raw=raw, internaldate=when))
    ingest_batch(ws, mails, now)
    _seed_clients_and_requests(ws, world, now)


def _seed_clients_and_requests(ws: Workspace, world: DemoWorld, now: datetime) -> None:
    """A client's own address, a message from the website's form, and a request to purchasing about it."""
    from core.work.channel_ingest import ingest_channel
    from core.work.requests import open_request

    name, addr, _team = world.contacts[3]
    when = now - timedelta(minutes=40)
    raw, _mid = _mail(
        ("Studio Lumi\u00e8re", "regie@studio-lumiere.test"),
        f"studio-lumiere@{DOMAIN}",
        "Two more monitor speakers",
        "Could we get two more of the monitors we bought in May?",
        when,
    )
    report = ingest_batch(ws, [IncomingMail(raw=raw, internaldate=when)], when)
    open_request(
        ws,
        DEMO_AGENT,
        "purchasing",
        "Two monitor speakers for Studio Lumi\u00e8re: in stock, or when?",
        now - timedelta(minutes=30),
        report.conversation_ids[0],
    )
    form = json.dumps(
        {
            "name": name,
            "address": addr,
            "subject": "Does the T-200 play 78 rpm records?",
            "text": "I saw the turntable on your site; does it play my grandfather's 78s?",
            "url": "https://au-bon-son.test/turntables/t-200",
        }
    ).encode()
    ingest_channel(ws, "", "web", form, now - timedelta(minutes=20), f"hifi@{DOMAIN}")
    with ws.db.write() as s:
        s.execute(update(OutboxItem).values(state="sent", sent_at=now, last_answer="250 demo history"))


def _import_history(ws: Workspace, world: DemoWorld, now: datetime) -> None:
    rng = world.rng
    agents_by_team = {t.name: ws.config.members_of(t.name) for t in ws.config.teams}
    audiences = {"hifi": ["hi-fi"], "computers": ["computers"], "purchasing": ["suppliers"]}
    with ws.db.write() as s:
        for name, addr, team in world.contacts:
            contact = Contact(
                address=addr,
                name=name,
                audiences=audiences[team] if rng.random() < 0.7 else [],
                imported=True,
                created_at=now - timedelta(days=400),
            )
            s.add(contact)
            s.flush()
            for _ in range(rng.randrange(0, 3)):
                s.add(
                    Rating(
                        contact_id=id_of(contact),
                        agent=rng.choice(agents_by_team[team]),
                        score=rng.choice([1, 2, 4, 5, 5]),
                        rated_on=(now - timedelta(days=rng.randrange(10, 300))).date(),
                    )
                )


def _make_conversations(ws: Workspace, world: DemoWorld, now: datetime, count: int) -> None:
    rng = world.rng
    batch: list[tuple[datetime, bytes]] = []
    for _i in range(count):
        age = timedelta(
            minutes=rng.choice(
                [rng.randrange(1, 240), rng.randrange(1, 60 * 24 * 3), rng.randrange(60 * 24 * 3, 60 * 24 * 60)]
            )
        )
        when = now - age
        batch.append((when, world.mail(when, first_contact=rng.random() < 0.1)))
    batch.sort(key=lambda item: item[0])
    for start in range(0, len(batch), 250):
        ingest_batch(ws, [IncomingMail(raw=raw, internaldate=when) for when, raw in batch[start : start + 250]], now)
    _work_some_out(ws, world, now)


def _work_some_out(ws: Workspace, world: DemoWorld, now: datetime) -> None:
    """Agents have claimed, answered, snoozed and closed much of the older mail."""
    rng = world.rng
    with ws.db.read() as s:
        convs = list(s.exec(select(Conversation).order_by(col(Conversation.id))))
    for conv in convs:
        cid = id_of(conv)
        age = now - (conv.last_message_at or now)
        roll = rng.random()
        members = ws.config.members_of(conv.team) if conv.team else [a.login for a in ws.config.agents]
        agent = conv.exclusive_agent or rng.choice(members)
        at = (conv.last_message_at or now) + timedelta(minutes=rng.randrange(5, 90))
        at = min(at, now - timedelta(minutes=1))
        if age > timedelta(days=3):
            _reply(ws, conv, agent, at)
            if roll < 0.85:
                actions.done(ws, agent, cid, at)
        elif age > timedelta(hours=6):
            if roll < 0.35:
                _reply(ws, conv, agent, at)
            elif roll < 0.5:
                actions.claim(ws, agent, cid, at)
            elif roll < 0.6:
                actions.claim(ws, agent, cid, at)
                actions.snooze(ws, agent, cid, now + timedelta(hours=rng.randrange(1, 48)), at)
            elif roll < 0.7:
                with ws.db.read() as s:
                    first = s.exec(select(Message.id).where(Message.conversation_id == cid).limit(1)).first()
                if first is None:
                    continue
                actions.dispose(ws, agent, first, "thank-you note, nothing to answer", at)
                actions.done(ws, agent, cid, at)
        elif roll < 0.2 and conv.visibility != "personal":
            actions.claim(ws, agent, cid, at)
    # A few tags, picked by id (not from the world's random stream, so the rest of the demo stays as it was).
    for conv in convs:
        tags = [
            name
            for name, every in (("vip", 13), ("billing", 9), ("bug", 17), ("follow-up", 23))
            if id_of(conv) % every == 0
        ]
        if tags:
            actions.set_tags(ws, "sophie", id_of(conv), tags, (), now - timedelta(minutes=2))
    # Demo replies are history: mark them sent so no outbox waits on a server the demo does not have.
    with ws.db.write() as s:
        s.execute(update(OutboxItem).values(state="sent", sent_at=now, last_answer="250 demo history"))


def _reply(ws: Workspace, conv: Conversation, agent: str, at: datetime) -> None:
    actions.claim(ws, agent, id_of(conv), at)
    actions.reply(
        ws,
        agent,
        id_of(conv),
        "Thank you for your message; here is what we suggest.\n",
        (conv.customer_address,),
        (),
        at,
        confirmed_recipients=True,
    )
