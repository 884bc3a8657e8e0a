"""Search operators, shared tags and the automated lane through the service, on SQLite and PostgreSQL.

Cast (BASIC_CONFIG plus tags): marie is in team hifi only, lea in team computers, paul in both, sophie a
supervisor. The "invoices" rule makes mail to invoices@ confidential for team computers.
"""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime

import pytest
from sqlmodel import select

from core.clock import Clock
from core.errors import SearchSyntaxError, UnknownName
from core.mail.ingest import IncomingMail, ingest_batch
from core.store.models import Event
from core.work import actions
from core.work.escalation import run_escalation
from core.work.service import Comptoir
from tests.conftest import BASIC_CONFIG, NOW, make_workspace
from tests.core.helpers import deliver

TAGS = '\n[[tags]]\nname = "billing"\ncolour = "yellow"\n\n[[tags]]\nname = "vip"\ncolour = "#ff8800"\n'
CONFIG = BASIC_CONFIG.replace("[routing]", TAGS + "\n[routing]", 1)


@pytest.fixture
def tws(tmp_path, backend):
    workspace = make_workspace(tmp_path / "ws", backend, CONFIG)
    workspace.clock = Clock.simulate(workspace.db, NOW, 1.0)
    yield workspace
    workspace.close()


def automated_mail(to: str, subject: str = "Weekly deals", when=NOW) -> IncomingMail:
    m = EmailMessage()
    m["From"] = "news@vendor.test"
    m["To"] = to
    m["Subject"] = subject
    m["Message-ID"] = f"<{subject.replace(' ', '.')}.{to}@vendor.test>"
    m["Date"] = format_datetime(when)
    m["List-Id"] = "<deals.vendor.test>"
    m.set_content("Big savings this week.")
    return IncomingMail(m.as_bytes(), internaldate=when)


@pytest.fixture
def world(tws):
    """Five conversations: a hifi question, a laptop question, a confidential invoice, an old one, a newsletter."""
    amp, _m, _ = deliver(tws, NOW, "hifi@shop.test", sender="ada@client.test", subject="Amplifier hums")
    laptop, _m, _ = deliver(tws, NOW, "computers@shop.test", sender="bob@corp.test", subject="Laptop screen")
    secret, _m, _ = deliver(tws, NOW, "invoices@shop.test", sender="billing@corp.test", subject="Invoice 77 overdue")
    old, _m, _ = deliver(
        tws, NOW - timedelta(days=10), "hifi@shop.test", sender="old@client.test", subject="Turntable belt"
    )
    news = ingest_batch(tws, [automated_mail("support@shop.test")], NOW).conversation_ids[0]
    return {"amp": amp, "laptop": laptop, "secret": secret, "old": old, "news": news}


def ids(ws, agent: str, search: str, queue: str = "search") -> set[int]:
    return set(Comptoir(ws, agent).queue_ids(queue, search))


def test_each_operator_narrows_the_search(tws, world) -> None:
    w = world
    assert ids(tws, "paul", "from:ada@client") == {w["amp"]}
    assert ids(tws, "paul", "to:computers@shop.test") == {w["laptop"]}
    assert ids(tws, "paul", "team:hifi") == {w["amp"], w["old"]}
    assert ids(tws, "paul", "is:automated") == {w["news"]}
    assert ids(tws, "paul", "is:confidential") == {w["secret"]}
    assert ids(tws, "paul", "after:2026-11-20") == {w["amp"], w["laptop"], w["secret"], w["news"]}
    assert ids(tws, "paul", "before:2026-11-20") == {w["old"]}
    assert ids(tws, "paul", "before:3d") == {w["old"]}
    assert ids(tws, "paul", "team:hifi amplifier") == {w["amp"]}
    assert ids(tws, "paul", "is:pending is:unclaimed team:computers laptop") == {w["laptop"]}
    assert actions.claim(tws, "paul", w["laptop"], NOW).ok
    assert ids(tws, "paul", "owner:me") == ids(tws, "paul", "is:mine") == {w["laptop"]}
    assert ids(tws, "lea", "owner:paul") == {w["laptop"]}
    assert w["laptop"] not in ids(tws, "paul", "owner:none")
    assert w["laptop"] not in ids(tws, "paul", "is:unclaimed")
    # Operators narrow any queue, not only the search queue.
    assert ids(tws, "paul", "amplifier", queue="team:hifi") == {w["amp"]}


def test_overdue_is_past_its_deadline(tws, world) -> None:
    later = Comptoir(tws, "paul")
    assert ids(tws, "paul", "is:overdue") == {world["old"]}  # ten days old, its windows long past
    tws.clock = Clock.simulate(tws.db, NOW + timedelta(days=2), 1.0)
    overdue = set(later.queue_ids("search", "is:overdue"))
    assert {world["amp"], world["laptop"]} <= overdue


def test_confidential_conversations_stay_hidden_from_outsiders_whatever_the_operator(tws, world) -> None:
    secret = world["secret"]
    for search in ("from:billing@corp.test", "is:confidential", "team:computers", "invoice", "to:invoices"):
        assert secret not in ids(tws, "marie", search), search
        assert secret in ids(tws, "lea", search), search
        assert secret in ids(tws, "sophie", search), search


@pytest.mark.parametrize(
    "search, says",
    [
        ("colour:red", "unknown search operator colour:"),
        ("before:someday", "before:someday is not a day"),
        ("after:2026-02-30", "after:2026-02-30 is not a day"),
        ("is:urgent", "is:urgent is not a state"),
        ("tag:", "tag: needs a value"),
    ],
)
def test_a_bad_search_is_a_clear_error(tws, search, says) -> None:
    with pytest.raises(SearchSyntaxError, match=says):
        Comptoir(tws, "paul").queue_ids("search", search)


@pytest.mark.parametrize(
    "search, says",
    [
        ("team:nope", "there is no team 'nope'"),
        ("owner:zed", "there is no agent 'zed'"),
        ("tag:urgent", "there is no tag 'urgent' \\(tags: billing, vip\\)"),
    ],
)
def test_unknown_names_are_named(tws, search, says) -> None:
    with pytest.raises(UnknownName, match=says):
        Comptoir(tws, "paul").queue_ids("search", search)


def test_tags_are_added_removed_listed_searched_and_recorded(tws, world) -> None:
    svc = Comptoir(tws, "paul")
    amp = world["amp"]
    result = svc.set_tags(amp, add=["vip", "billing"])
    assert result.ok and "added vip, billing" in result.message
    assert svc.rows([amp])[0].tags == ("billing", "vip")
    assert ids(tws, "marie", "tag:vip") == {amp}
    assert ids(tws, "marie", "tag:vip tag:billing") == {amp}
    assert svc.set_tags(amp, remove=["billing"]).ok
    assert svc.rows([amp])[0].tags == ("vip",)
    assert ids(tws, "marie", "tag:billing") == set()
    history = [e.text for e in svc.detail(amp).events]
    assert any("added vip, billing" in t for t in history) and any("removed billing" in t for t in history)
    assert svc.set_tags(amp, add=["vip"]).message.endswith("has those tags already")


def test_unknown_tags_are_refused_and_nothing_is_written(tws, world) -> None:
    svc = Comptoir(tws, "paul")
    with pytest.raises(UnknownName, match="there is no tag 'urgent'"):
        svc.set_tags(world["amp"], add=["vip", "urgent"])
    assert svc.rows([world["amp"]])[0].tags == ()


def test_tags_of_a_confidential_conversation_are_withheld_and_outsiders_cannot_tag_it(tws, world) -> None:
    secret = world["secret"]
    assert Comptoir(tws, "lea").set_tags(secret, add=["billing"]).ok
    assert Comptoir(tws, "lea").rows([secret])[0].tags == ("billing",)
    assert Comptoir(tws, "marie").rows([secret])[0].tags == ()
    assert secret not in ids(tws, "marie", "tag:billing")
    refused = Comptoir(tws, "marie").set_tags(secret, remove=["billing"])
    assert not refused.ok and "confidential" in refused.message
    assert Comptoir(tws, "lea").rows([secret])[0].tags == ("billing",)


def test_automated_mail_has_its_own_queue_alerts_nobody_and_never_escalates(tws, world) -> None:
    news = world["news"]
    lea = Comptoir(tws, "lea")
    assert news in lea.queue_ids("automated:computers")
    assert news not in lea.queue_ids("team:computers") and news not in lea.queue_ids("everyone")
    keys = [q.key for q in lea.queues()]
    assert keys.index("automated:computers") == keys.index("done") + 1  # the low lanes come last
    counts = {q.key: q.count for q in lea.queues()}
    assert counts["automated:computers"] == 1
    assert not [a for a in lea.alerts() if a.conversation_id == news]
    for days in (1, 3, 10):
        run_escalation(tws, NOW + timedelta(days=days))
    row = lea.rows([news])[0]
    assert (row.visibility, row.team, row.owner) == ("team", "computers", None)
    for agent in ("lea", "paul", "sophie", "marie"):
        assert not [a for a in Comptoir(tws, agent).alerts() if a.conversation_id == news], agent
    why = " ".join(r.text for r in lea.why(news).reasons)
    assert "the Automated queue of team computers" in why and "never alerts supervisors" in why
    # The person-written laptop question, by contrast, reached everyone and alerted the supervisor: the last
    # rung raises one "overdue" alert per team for all its late conversations (no conversation of its own).
    assert world["laptop"] in lea.queue_ids("everyone")
    with tws.db.read() as s:
        laptop_steps = [
            e.details.get("text", "")
            for e in s.exec(select(Event).where(Event.conversation_id == world["laptop"], Event.actor == "escalation"))
        ]
        news_steps = list(s.exec(select(Event).where(Event.conversation_id == news, Event.actor == "escalation")))
    assert any("supervisors are alerted" in text for text in laptop_steps), laptop_steps
    assert news_steps == []
    digests = [a for a in Comptoir(tws, "sophie").alerts() if a.kind == "overdue"]
    assert [a.conversation_id for a in digests if a.text.startswith("Team computers ")] == [None]
    assert not [a for a in digests if f"Conversation {news}" in a.text]
