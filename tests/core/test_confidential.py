"""Confidential conversations and personal mail inside its exclusive window, through every request
that can reveal content: list rows of every queue, queue ids and search, detail, why, attachments,
the actions (claim, assign, take back, reply, note, dispose, snooze, done) and the CLI's --json output.

Cast (BASIC_CONFIG plus two agents): marie is in team hifi only (an outsider to team computers);
lea is in team computers; olga (team hifi) owns the confidential conversation; sophie is a
supervisor; paul is addressed personally; the test runner is a supervisor acting `--as` each of them.
The confidential conversation (rule "invoices": team computers) carries a distinctive word in its
subject, body, sender and attachment; the personal mail to paul does too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from itertools import product

import pytest

from core.clock import Clock
from core.errors import ActionRefused
from core.mail.ingest import IncomingMail, ingest_batch
from core.work.access import Guard, Reader
from core.work.service import Comptoir
from core.workspace.identity import unix_login
from tests.conftest import BASIC_CONFIG, NOW, make_workspace
from tests.core.helpers import conversation, deliver
from tui.cli import _jsonable
from tui.cli import run as cli_run

ME = unix_login()
CONFIG = BASIC_CONFIG.replace(
    "[routing]",
    '[[agents]]\nlogin = "olga"\nname = "Olga Petrova"\nteams = ["hifi"]\n\n'
    f'[[agents]]\nlogin = "{ME}"\nname = "Test Runner"\nteams = ["hifi"]\nrole = "supervisor"\n\n[routing]',
    1,
)

SECRET = ("zanzibarquux", "plumbagozebra", "dagobert", "moneybin", "ledgerxyzzy", "attachmentsecretbytes")
"""Words of the confidential conversation: subject, body, sender name, sender address, file name, file content."""
PERSONAL = ("marmaladesecret", "hummingbirdcode", "grandaunt")
"""Words of the personal mail to paul: subject, body, sender name."""
SECRET_IN_ROW = ("zanzibarquux", "dagobert", "moneybin")
PERSONAL_IN_ROW = ("marmaladesecret", "grandaunt")
"""The words a list row shows to those who may read it (subject, customer name and address)."""

CONFIDENTIAL_READERS = ("olga", "lea", "paul", "sophie")
CONFIDENTIAL_OUTSIDERS = ("marie",)
PERSONAL_READERS = ("paul", "sophie")
PERSONAL_OUTSIDERS = ("marie", "lea", "olga")


@dataclass(frozen=True)
class World:
    confidential: int
    confidential_message: int
    attachment: int
    personal: int
    personal_message: int


@pytest.fixture
def cws(tmp_path, backend):
    """The workspace; every process's clock starts at NOW (Tuesday 11:00 in Paris: paul is at work)."""
    ws = make_workspace(tmp_path / "ws", backend, CONFIG)
    ws.clock = Clock.simulate(ws.db, NOW, 1.0)
    yield ws
    ws.close()


def confidential_mail() -> bytes:
    msg = EmailMessage()
    msg["From"] = "Dagobert Duck <dagobert@moneybin.test>"
    msg["To"] = "invoices@shop.test"
    msg["Subject"] = "Zanzibarquux invoice overdue"
    msg["Message-ID"] = "<zanzibar.1@moneybin.test>"
    msg["Date"] = format_datetime(NOW)
    msg.set_content("Our plumbagozebra account is where the money goes.")
    msg.add_attachment(
        b"attachmentsecretbytes", maintype="application", subtype="octet-stream", filename="ledgerxyzzy.bin"
    )
    return msg.as_bytes()


@pytest.fixture
def world(cws) -> World:
    report = ingest_batch(cws, [IncomingMail(raw=confidential_mail(), internaldate=NOW)], NOW)
    cid, cmid = report.conversation_ids[0], report.message_ids[0]
    pid, pmid, _ = deliver(
        cws,
        NOW,
        "paul@shop.test",
        sender="Grandaunt Agatha <agatha@family.test>",
        subject="Marmaladesecret recipe",
        body="The hummingbirdcode is on the back.",
    )
    conf, personal = conversation(cws, cid), conversation(cws, pid)
    assert conf.confidential and conf.team == "computers" and conf.owner is None
    assert personal.exclusive_agent == "paul" and personal.visibility == "personal" and not personal.confidential
    attachment = Comptoir(cws, "sophie").detail(cid).messages[0].attachments[0].id
    return World(cid, cmid, attachment, pid, pmid)


def own(ws, conversation_id: int, owner: str) -> None:
    """Give the conversation an owner outside its team (as a supervisor can), without changing its team."""
    with ws.db.raw(write=True) as raw:
        raw.run("UPDATE conversation SET owner = :o WHERE id = :id", {"o": owner, "id": conversation_id})


def dump(value: object) -> str:
    return json.dumps(_jsonable(value), ensure_ascii=False).lower()


def reveals(text: str, words: tuple[str, ...]) -> list[str]:
    return [w for w in words if w in text.lower()]


def every_queue(svc: Comptoir) -> list[str]:
    return [q.key for q in svc.queues()] + ["all"]


# -- the rule ---------------------------------------------------------------------------------
def test_python_and_sql_forms_of_the_rule_agree(cws, world):
    """Every combination of the rule's inputs, for an outsider, a team member, the owner-to-be, the
    addressed agent and a supervisor: the row filter in SQL says what `Reader.may_read` says."""
    readers = [Reader.of(cws.config, login) for login in ("marie", "lea", "olga", "paul", "sophie")]
    now = NOW + timedelta(minutes=1)
    cases = product(
        (False, True),
        (None, "olga", "marie"),
        (None, "computers", "hifi"),
        (None, "paul", "lea"),
        ("personal", "team"),
        (None, now - timedelta(hours=1), now + timedelta(hours=1)),
    )
    checked = 0
    with cws.db.raw(write=True) as raw:
        for confidential, owner, team, exclusive, visibility, until in cases:
            raw.run(
                "UPDATE conversation SET confidential = :c, owner = :o, team = :t, exclusive_agent = :x, "
                "visibility = :v, exclusive_until = :u WHERE id = :id",
                {
                    "c": raw.flag(confidential),
                    "o": owner,
                    "t": team,
                    "x": exclusive,
                    "v": visibility,
                    "u": raw.when(until),
                    "id": world.confidential,
                },
            )
            guard = Guard(confidential, owner, team, exclusive, visibility, until)
            for reader in readers:
                where, params = reader.readable_sql(raw.when(now), raw.flag(False))
                in_sql = (
                    raw.one(
                        f"SELECT count(*) FROM conversation WHERE id = :id AND {where}",
                        {**params, "id": world.confidential},
                    )[0]
                    == 1
                )
                assert in_sql is reader.may_read(guard, now), (reader.login, guard)
                checked += 1
    assert checked == 2 * 3 * 3 * 3 * 2 * 3 * len(readers)


def test_who_may_read(cws, world):
    own(cws, world.confidential, "olga")
    conf, personal = Guard.of(conversation(cws, world.confidential)), Guard.of(conversation(cws, world.personal))
    now = NOW + timedelta(minutes=1)
    assert [
        login
        for login in ("marie", "lea", "olga", "paul", "sophie")
        if Reader.of(cws.config, login).may_read(conf, now)
    ] == ["lea", "olga", "paul", "sophie"]
    assert [
        login
        for login in ("marie", "lea", "olga", "paul", "sophie")
        if Reader.of(cws.config, login).may_read(personal, now)
    ] == ["paul", "sophie"]
    after_window = personal.exclusive_until + timedelta(seconds=1)
    assert Reader.of(cws.config, "marie").may_read(personal, after_window), "a window that is over hides nothing"


# -- reads ------------------------------------------------------------------------------------
@pytest.mark.parametrize("who", ["outsider", "reader"])
def test_rows_of_every_queue(cws, world, who):
    own(cws, world.confidential, "olga")
    cases = (
        [(CONFIDENTIAL_OUTSIDERS, SECRET, world.confidential), (PERSONAL_OUTSIDERS, PERSONAL, world.personal)]
        if who == "outsider"
        else [
            (CONFIDENTIAL_READERS, SECRET_IN_ROW, world.confidential),
            (PERSONAL_READERS, PERSONAL_IN_ROW, world.personal),
        ]
    )
    for agents, words, cid in cases:
        for agent in agents:
            svc = Comptoir(cws, agent)
            seen = []
            for queue in every_queue(svc):
                page = svc.rows(svc.queue_ids(queue))
                text = dump(page)
                mine = [r for r in page if r.id == cid]
                seen += mine
                if who == "outsider":
                    assert reveals(text, words) == [], (agent, queue)
                    assert all(r.hidden and r.customer_address == "" for r in mine), (agent, queue)
            assert seen, f"{agent} sees #{cid} exists in some queue"
            if who == "reader":
                assert not any(r.hidden for r in seen)
                assert reveals(dump(svc.rows([cid])), words) == list(words), agent


def test_search_hits_ids_and_pages(cws, world):
    own(cws, world.confidential, "olga")
    for agents, words, cid, readers in (
        (CONFIDENTIAL_OUTSIDERS + CONFIDENTIAL_READERS, SECRET[:4], world.confidential, CONFIDENTIAL_READERS),
        (PERSONAL_OUTSIDERS + PERSONAL_READERS, PERSONAL, world.personal, PERSONAL_READERS),
    ):
        for agent, word in product(agents, words):
            svc = Comptoir(cws, agent)
            may = agent in readers
            for queue in ("search", "all", *every_queue(svc)):
                ids = svc.queue_ids(queue, search=word)
                page = svc.rows(ids)
                if not may:
                    assert ids == [] and page == [], (agent, queue, word)
            if may:
                assert svc.queue_ids("search", search=word) == [cid], (agent, word)
                assert [r.id for r in svc.rows(svc.queue_ids("search", search=word))] == [cid], (agent, word)
    assert Comptoir(cws, "marie").queue_ids("search", search="zanzibarquux OR nothing") == []


def test_detail_and_why(cws, world):
    own(cws, world.confidential, "olga")
    for cid, words, outsiders, readers in (
        (world.confidential, SECRET[:5], CONFIDENTIAL_OUTSIDERS, CONFIDENTIAL_READERS),
        (world.personal, PERSONAL, PERSONAL_OUTSIDERS, PERSONAL_READERS),
    ):
        for agent in outsiders:
            svc = Comptoir(cws, agent)
            d, w = svc.detail(cid), svc.why(cid)
            assert d.hidden and d.messages == () and d.reply_to == () and d.events == ()
            assert reveals(dump(d) + dump(w), words) == [], agent
            assert d.row.id == cid and d.row.team == conversation(cws, cid).team and d.row.state == "open"
        for agent in readers:
            svc = Comptoir(cws, agent)
            d, w = svc.detail(cid), svc.why(cid)
            assert not d.hidden
            assert reveals(dump(d), words) == list(words), agent
            assert words[0] in w.subject.lower()


def test_attachment_and_save_attachment(cws, world, tmp_path):
    own(cws, world.confidential, "olga")
    for agent in CONFIDENTIAL_OUTSIDERS:
        svc = Comptoir(cws, agent)
        with pytest.raises(ActionRefused) as refused:
            svc.attachment(world.attachment)
        assert reveals(str(refused.value), SECRET) == []
        target = tmp_path / agent
        target.mkdir()
        with pytest.raises(ActionRefused):
            svc.save_attachment(world.attachment, target)
        assert list(target.iterdir()) == []
    for agent in CONFIDENTIAL_READERS:
        svc = Comptoir(cws, agent)
        name, _ctype, data = svc.attachment(world.attachment)
        assert name == "ledgerxyzzy.bin" and data == b"attachmentsecretbytes"
        target = tmp_path / f"{agent}-saved"
        target.mkdir()
        assert svc.save_attachment(world.attachment, target).read_bytes() == b"attachmentsecretbytes"


# -- actions ----------------------------------------------------------------------------------
def outsider_attempts(svc: Comptoir, cid: int, message_id: int):
    return {
        "claim": lambda: svc.claim(cid),
        "assign to self": lambda: svc.assign(cid, to_agent=svc.agent),
        "take back": lambda: svc.take_back(cid),
        "assign to a team": lambda: svc.assign(cid, to_team="hifi"),
        "reply": lambda: svc.reply(cid, "hello", ["x@customer.test"]),
        "note": lambda: svc.note(cid, "just looking"),
        "dispose": lambda: svc.dispose(message_id, "thanks only"),
        "snooze": lambda: svc.snooze(cid, svc.now() + timedelta(hours=1)),
        "done": lambda: svc.done(cid),
        "confidential off": lambda: svc.set_confidential(cid, False),
    }


@pytest.mark.parametrize("owned", [False, True], ids=["unclaimed", "owned-by-olga"])
def test_outsiders_cannot_act(cws, world, owned):
    if owned:
        own(cws, world.confidential, "olga")
    for cid, mid, outsiders, words in (
        (world.confidential, world.confidential_message, CONFIDENTIAL_OUTSIDERS, SECRET),
        (world.personal, world.personal_message, PERSONAL_OUTSIDERS, PERSONAL),
    ):
        before = conversation(cws, cid)
        for agent in outsiders:
            if owned and agent == "olga" and cid == world.personal:
                continue
            svc = Comptoir(cws, agent)
            for name, attempt in outsider_attempts(svc, cid, mid).items():
                result = attempt()
                assert not result.ok, (agent, name, result.message)
                assert reveals(result.message, words) == [], (agent, name, result.message)
        after = conversation(cws, cid)
        assert (after.owner, after.team, after.state, after.message_count, after.pending_count, after.confidential) == (
            before.owner,
            before.team,
            before.state,
            before.message_count,
            before.pending_count,
            before.confidential,
        )


def test_readers_can_act(cws, world):
    lea, paul = Comptoir(cws, "lea"), Comptoir(cws, "paul")
    assert lea.claim(world.confidential).ok, "a member of its team claims a confidential conversation"
    assert lea.note(world.confidential, "on it").ok
    assert paul.claim(world.personal).ok, "the addressed agent claims personal mail in its window"
    assert Comptoir(cws, "sophie").take_back(world.personal).ok, "a supervisor takes it back"
    assert conversation(cws, world.personal).owner == "sophie"


# -- the command line -------------------------------------------------------------------------
def cli_json(cws, capsys, agent: str, *args: str) -> tuple[int, str]:
    capsys.readouterr()
    code = cli_run([*args, "--json", "--as", agent, "--workspace", str(cws.path)])
    out, err = capsys.readouterr()
    return code, out + err


def test_cli_json_queue_show_why(cws, world, capsys):
    own(cws, world.confidential, "olga")
    commands = lambda cid, word: (  # noqa: E731
        ("queue", "--search", word),
        ("queue", "--everyone"),
        ("queue", "--team", "computers"),
        ("queue", "--team", "hifi"),
        ("queue", "--limit", "500", "--exclusive"),
        ("queue",),
        ("show", str(cid)),
        ("why", str(cid)),
    )
    for cid, words, outsiders, readers in (
        (world.confidential, SECRET[:4], CONFIDENTIAL_OUTSIDERS, CONFIDENTIAL_READERS),
        (world.personal, PERSONAL, PERSONAL_OUTSIDERS, PERSONAL_READERS),
    ):
        for agent in outsiders:
            for args in commands(cid, words[1]):
                code, out = cli_json(cws, capsys, agent, *args)
                assert code == 0, (agent, args, out)
                assert reveals(out, words) == [], (agent, args)
            code, out = cli_json(cws, capsys, agent, "claim", str(cid))
            assert code == 1 and reveals(out, words) == [], (agent, out)
        for agent in readers:
            code, out = cli_json(cws, capsys, agent, "queue", "--search", words[1])
            assert code == 0 and [r["id"] for r in json.loads(out)["rows"]] == [cid], agent
            code, out = cli_json(cws, capsys, agent, "show", str(cid))
            assert code == 0 and reveals(out, words) == list(words), agent


def test_cli_route_dry_run_withholds_what_it_may_not_show(cws, world, capsys):
    """Moving rule "invoices" to team hifi would reroute the confidential conversation: lea (team
    computers) sees its subject in the preview, marie only that it would move."""
    own(cws, world.confidential, "olga")
    path = cws.config_path
    path.write_text(
        path.read_text().replace(
            'contains = "invoices@" }]\nteam = "computers"', 'contains = "invoices@" }]\nteam = "hifi"'
        )
    )
    for agent, shown in (("marie", False), ("lea", True), ("sophie", True)):
        code, out = cli_json(cws, capsys, agent, "route", "--dry-run")
        assert code == 0, out
        changes = [c for c in json.loads(out) if c["conversation"] == world.confidential]
        assert [(c["now"]["team"], c["would"]["team"]) for c in changes] == [("computers", "hifi")], agent
        assert (reveals(out, SECRET) != []) is shown, agent


def test_a_mention_tells_an_outsider_nothing_of_the_note(cws, world):
    lea = Comptoir(cws, "lea")
    assert lea.note(world.confidential, "@marie @paul the plumbagozebra account again").ok
    marie_alerts, paul_alerts = Comptoir(cws, "marie").alerts(), Comptoir(cws, "paul").alerts()
    assert [a.conversation_id for a in marie_alerts if a.kind == "mention"] == [world.confidential]
    assert reveals(dump(marie_alerts), SECRET) == []
    assert reveals(dump([a for a in paul_alerts if a.kind == "mention"]), SECRET) == ["plumbagozebra"]
