"""Issue 14, items 5-8 and 10 through core and the CLI (over the workspace server), on SQLite and PostgreSQL:
clients' own addresses, informational addresses, acknowledgements that set expectations, on-duty rosters,
requests between teams, channel messages and the customer beside the thread."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlmodel import func, select

from core.clock import Clock
from core.errors import ActionRefused, BadInput
from core.mail.ingest import INFORMATIONAL
from core.store.models import Conversation
from core.work import actions
from core.work.escalation import run_escalation
from core.work.service import Comptoir
from core.workspace.config import CONFIG_NAME
from core.workspace.identity import unix_login
from tests.conftest import BASIC_CONFIG, NOW, make_workspace
from tests.core.helpers import alerted, conversation, deliver, mark, message, outbox
from tui.launch import main as comptoir_main

ME = unix_login()

CONFIG = BASIC_CONFIG.replace(
    "[routing]",
    f'''[[agents]]
login = "{ME}"
name = "Test Runner"
teams = ["hifi"]
role = "supervisor"

[[teams]]
name = "purchasing"
members = ["lea"]
hours = "mon-fri 09:00-18:00"
timezone = "Europe/Paris"

[[clients]]
name = "Joe LLC"
addresses = ["joe-llc@shop.test", "joe-tips@shop.test"]
team = "computers"
owner = "lea"
notes = "Pays by transfer."
informational = ["joe-tips@shop.test"]

[[autoack]]
address = "joe-llc@shop.test"
body = "Hello {{name}}, {{client}} account. {{expect}}"

[[autoack]]
address = "joe-tips@shop.test"
body = "Thanks! {{expect}}"

[routing]''',
    1,
).replace('keywords = ["amplifier", "turntable"]', 'keywords = ["amplifier", "turntable"]\nroster = "round-robin"', 1)


@pytest.fixture
def cws(tmp_path, backend):
    ws = make_workspace(tmp_path / "ws", backend, CONFIG)
    ws.clock = Clock.simulate(ws.db, NOW, 1.0)
    yield ws
    ws.close()


def cli(ws, capsys, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = comptoir_main([*args, "--workspace", str(ws.path)])
    out, err = capsys.readouterr()
    return code, out, err


# -- 5. clients ------------------------------------------------------------------------------------
def test_client_address_lands_in_its_team_with_the_client_shown_and_an_expectation(cws):
    m = mark(cws)
    cid, _mid, _ = deliver(cws, NOW, "joe-llc@shop.test", sender="boss@joe.test", subject="Order 12")
    conv = conversation(cws, cid)
    assert (conv.team, conv.client, conv.exclusive_agent, conv.visibility) == (
        "computers",
        "Joe LLC",
        "lea",
        "personal",
    )
    assert alerted(cws, m) == ["lea"]
    detail = Comptoir(cws, "lea").detail(cid)
    assert detail.client == "Joe LLC" and any(r.code == "client" for r in detail.reasons)
    ack = [o for o in outbox(cws) if o.kind == "autoack"]
    assert len(ack) == 1 and "Joe LLC account" in ack[0].body and "We answer by" in ack[0].body
    assert "{expect}" not in ack[0].body


def test_informational_address_is_worked_out_at_once_and_never_escalates(cws):
    m = mark(cws)
    cid, mid, _ = deliver(cws, NOW, "joe-tips@shop.test", sender="fan@joe.test", subject="A lead")
    msg, conv = message(cws, mid), conversation(cws, cid)
    assert (msg.disposition, msg.disposition_reason, msg.disposed_by) == ("no_action", INFORMATIONAL, "routing")
    assert (conv.pending_count, conv.next_step_at, conv.client, conv.ladder) == (0, None, "Joe LLC", [])
    assert alerted(cws, m) == []
    assert run_escalation(cws, NOW + timedelta(days=3)) == []
    assert alerted(cws, m) == []
    ack = [o for o in outbox(cws) if o.kind == "autoack"]
    assert "usually cannot answer" in ack[0].body
    # Nothing pending, so it can be closed without a reply.
    assert actions.done(cws, "lea", cid, NOW).ok


def test_round_robin_roster_rotates_across_batches_and_why_names_it(cws):
    first, _m, _ = deliver(cws, NOW, "hifi@shop.test", sender="a@new.test", subject="amplifier hum")
    second, _m, _ = deliver(cws, NOW, "hifi@shop.test", sender="b@new.test", subject="amplifier noise")
    a, b = conversation(cws, first), conversation(cws, second)
    assert (a.exclusive_agent, b.exclusive_agent) == ("marie", "paul")
    why = Comptoir(cws, "marie").why(first)
    assert any(r.code == "on_duty" and "round-robin roster" in r.text for r in why.reasons)
    from core.work.reroute import reroute_preview

    assert reroute_preview(cws, None, NOW) == []  # the replay sees where the rotation stood


def test_client_add_writes_a_checked_entry_and_refuses_a_bad_one(cws, capsys):
    before = (cws.path / CONFIG_NAME).read_text()
    code, _out, err = cli(cws, capsys, "client", "add", "Ann SA", "--address", "hifi@shop.test", "--team", "hifi")
    assert code != 0 and "already belongs to team hifi" in err
    assert (cws.path / CONFIG_NAME).read_text() == before
    code, _out, err = cli(cws, capsys, "client", "add", "Ann SA", "--address", "ann@shop.test", "--team", "nope")
    assert code == 2 and "no team 'nope'" in err
    code, out, err = cli(
        cws,
        capsys,
        "client",
        "add",
        "Ann SA",
        "--address",
        "ann-sa@shop.test",
        "--team",
        "hifi",
        "--owner",
        "marie",
        "--informational",
        "ann-news@shop.test",
        "--notes",
        "VIP",
    )
    assert code == 0, err
    from core.workspace.config import load_config

    client = load_config(cws.path / CONFIG_NAME).client("Ann SA")
    assert client.addresses == ("ann-sa@shop.test", "ann-news@shop.test")
    assert (client.team, client.owner, client.informational, client.notes) == (
        "hifi",
        "marie",
        ("ann-news@shop.test",),
        "VIP",
    )


# -- 7. requests between teams ----------------------------------------------------------------------
def test_request_lifecycle_alerts_the_requester_only_when_it_matters(cws):
    cid, _mid, _ = deliver(cws, NOW, "hifi@shop.test", subject="a green one")
    paul, lea = Comptoir(cws, "paul"), Comptoir(cws, "lea")
    m = mark(cws)
    opened = paul.open_request("purchasing", "Buy a green turntable for this customer", cid)
    rid = opened.conversation_id
    assert opened.ok and alerted(cws, m) == ["lea"]
    req = conversation(cws, rid)
    assert (req.kind, req.request_of, req.request_state, req.team, req.requester) == (
        "request",
        cid,
        "new",
        "purchasing",
        "paul",
    )
    assert paul.detail(cid).requests[0].state == "new"
    m = mark(cws)
    assert lea.claim(rid).ok
    assert conversation(cws, rid).request_state == "in_progress"
    assert lea.note(rid, "looking at suppliers").ok
    assert alerted(cws, m) == []  # steps alert nobody
    assert lea.update_request(rid, "question", "Which shade of green?").ok
    assert alerted(cws, m) == ["paul"]
    m = mark(cws)
    assert lea.update_request(rid, "answered", "No green; yellow now, green in a week").ok
    assert alerted(cws, m) == ["paul"]
    customer = paul.detail(cid)
    assert customer.requests[0].state == "answered"
    assert any("request #" in e.text and "answered" in e.text for e in customer.events)
    refused = lea.reply(rid, "hello", ["x@y.test"])
    assert not refused.ok and "request between teams" in refused.message
    assert not paul.update_request(rid, "declined", "no").ok  # only the asked team declines
    m = mark(cws)
    assert paul.update_request(rid, "done").ok  # the requester closes it
    assert conversation(cws, rid).state == "done" and alerted(cws, m) == []
    assert paul.detail(cid).requests[0].state == "done"
    assert not lea.update_request(rid, "answered", "late").ok
    with pytest.raises(ActionRefused):
        lea.update_request(rid, "answered", "")
    assert [r.id for r in paul.requests(mine=True, include_closed=True)] == [rid]
    assert paul.requests(mine=True) == []


def test_request_cli_opens_lists_and_answers_through_the_server(cws, capsys):
    cid, _mid, _ = deliver(cws, NOW, "hifi@shop.test", subject="need stock")
    code, out, err = cli(cws, capsys, "request", "--to", "purchasing", "--on", str(cid), "Two more units please")
    assert code == 0, err
    rid = int(out.split("#")[1].split()[0])
    code, out, _ = cli(cws, capsys, "requests", "--team", "purchasing", "--json")
    listed = json.loads(out)
    assert [(r["id"], r["state"], r["of"]) for r in listed] == [(rid, "new", cid)]
    code, out, err = cli(cws, capsys, "request-state", str(rid), "declined", "Discontinued", "--as", "lea")
    assert code == 0, err
    code, out, err = cli(cws, capsys, "request", "--to", "nope", "x")
    assert code == 2 and "no team 'nope'" in err
    code, out, err = cli(cws, capsys, "request-state", str(cid), "answered", "x")
    assert code == 1 and "not a request" in out


# -- 8. other channels ------------------------------------------------------------------------------
def count_conversations(ws) -> int:
    with ws.db.read() as s:
        return int(s.exec(select(func.count()).select_from(Conversation)).one())


def test_web_channel_message_is_routed_like_mail_and_shows_its_channel(cws):
    me = Comptoir(cws, ME)
    data = json.dumps(
        {
            "name": "Ada",
            "address": "ada@web.test",
            "subject": "Turntable question",
            "text": "Does the amplifier fit?",
            "url": "https://shop.test/p/42",
        }
    ).encode()
    result = me.ingest("web", data, "hifi@shop.test")
    assert result.ok, result.message
    conv = conversation(cws, result.conversation_id)
    assert (conv.channel, conv.customer_address, conv.via_address, conv.team) == (
        "web",
        "ada@web.test",
        "hifi@shop.test",
        "hifi",
    )
    detail = me.detail(conv.id)
    assert detail.channel == "web" and detail.url == "https://shop.test/p/42"
    assert me.contact(conv.id).conversations[0].channel == "web"


@pytest.mark.parametrize(
    "data, says",
    [
        (b"", "nothing on standard input"),
        (b"{not json", "not valid"),
        (b'["a"]', "one object"),
        (b'{"text": "hi"}', "'address' is missing"),
        (b'{"address": "nobody", "text": "hi"}', "not a mail address"),
        (b'{"address": "a@b.test", "text": " "}', "'text' is missing"),
        (b'{"address": "a@b.test", "text": "hi", "url": "javascript:alert(1)"}', "'url'"),
        (b'{"address": "a@b.test", "text": "hi", "phone": "1"}', "unknown field 'phone'"),
        (b"Subject: no sender\n\nhello", "From"),
    ],
)
def test_bad_channel_input_is_refused_whole(cws, data, says):
    before = count_conversations(cws)
    with pytest.raises(BadInput, match=says):
        Comptoir(cws, ME).ingest("web", data)
    assert count_conversations(cws) == before


def test_only_the_service_account_and_supervisors_may_ingest(cws, capsys, monkeypatch):
    with pytest.raises(ActionRefused, match="service account"):
        Comptoir(cws, "paul").ingest("web", b'{"address": "a@b.test", "text": "hi"}')
    with pytest.raises(BadInput, match="--channel"):
        Comptoir(cws, ME).ingest("Mail", b'{"address": "a@b.test", "text": "hi"}')
    eml = b"From: Bo <bo@mail.test>\nTo: hifi@shop.test\nSubject: via form\nMessage-ID: <x1@mail.test>\n\nturntable?\n"
    monkeypatch.setattr("sys.stdin", type("S", (), {"buffer": __import__("io").BytesIO(eml)})())
    code, out, err = cli(cws, capsys, "ingest", "--channel", "web", "--to", "hifi@shop.test")
    assert code == 0, err
    monkeypatch.setattr("sys.stdin", type("S", (), {"buffer": __import__("io").BytesIO(b'{"address": 1}')})())
    before = count_conversations(cws)
    code, out, err = cli(cws, capsys, "ingest", "--channel", "web")
    assert code == 2 and "must be a string" in err and count_conversations(cws) == before


# -- 10. the customer beside the thread --------------------------------------------------------------
def test_contact_lists_past_conversations_ratings_and_client_hiding_what_is_not_readable(cws, capsys):
    first, _m, _ = deliver(cws, NOW, "joe-llc@shop.test", sender="boss@joe.test", subject="First order")
    assert actions.claim(cws, "lea", first, NOW).ok
    secret, _m, _ = deliver(cws, NOW, "invoices@shop.test", sender="boss@joe.test", subject="Invoice 9")
    last, _m, _ = deliver(cws, NOW, "hifi@shop.test", sender="boss@joe.test", subject="Third")
    from core.store.models import Rating

    with cws.db.write() as s:
        contact_id = conversation(cws, last).contact_id
        s.add(Rating(contact_id=contact_id, agent="lea", score=4, rated_on=NOW.date()))
    view = Comptoir(cws, "marie").contact(address="boss@joe.test")
    assert [c.id for c in view.conversations] == [last, secret, first]
    assert view.client == "Joe LLC" and view.client_notes == "Pays by transfer."
    assert [(r.agent, r.score) for r in view.ratings] == [("lea", 4)]
    hidden = next(c for c in view.conversations if c.id == secret)
    assert hidden.hidden and hidden.subject == "(confidential)"
    assert next(c for c in view.conversations if c.id == first).owner == "lea"
    assert Comptoir(cws, "lea").contact(last).conversations[0].subject == "Third"
    with pytest.raises(ActionRefused, match="personal mail"):
        Comptoir(cws, "marie").contact(last)
    code, out, err = cli(cws, capsys, "contact", str(last), "--json")
    assert code == 0, err
    assert json.loads(out)["total_conversations"] == 3
    code, out, err = cli(cws, capsys, "contact", "boss@joe.test", "--as", "marie")
    assert code == 0 and "Invoice 9" not in out and "(confidential)" in out and "Joe LLC" in out
    code, out, err = cli(cws, capsys, "contact", "nobody@nowhere.test")
    assert code == 1 and "no contact" in err
