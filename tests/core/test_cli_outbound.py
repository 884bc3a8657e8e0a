"""`comptoir compose / forward / reply --attach / merge / split / remind / reminders` through the workspace
server: the files are read by the CLI process, travel in the request, and come back from the server's store."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from core.clock import Clock
from core.store.models import Alert, Attachment, Message, OutboxItem
from tests.conftest import NOW, make_workspace
from tests.core.helpers import conversation, deliver
from tests.core.test_cli import ME, Cli, config_with


@pytest.fixture
def cws(tmp_path, backend):
    ws = make_workspace(tmp_path / "ws", backend, config_with("supervisor"))
    ws.clock = Clock.simulate(ws.db, NOW, 1.0)
    yield ws
    ws.close()


@pytest.fixture
def cli(cws, capsys):
    return Cli(cws, capsys)


def test_compose_with_files_read_by_the_client(cws, cli, tmp_path) -> None:
    report = tmp_path / "Rapport annuel.pdf"
    report.write_bytes(b"%PDF-1.4 annual")
    code, out, err = cli(
        "compose",
        "--to",
        "lead@client.test",
        "--subject",
        "Our catalogue",
        "--body",
        "Hello!",
        "--attach",
        str(report),
        "--bcc",
        "files@shop.test",
    )
    assert code == 0, err
    assert "new mail to lead@client.test queued for sending" in out
    with cws.db.read() as s:
        item = s.exec(select(OutboxItem)).one()
        att = s.exec(select(Attachment)).one()
    assert item.bcc_addrs == ["files@shop.test"] and item.from_addr == "hifi@shop.test"
    assert (att.filename, att.content_type) == ("Rapport annuel.pdf", "application/pdf")
    assert conversation(cws, item.conversation_id).owner == ME
    code, out, err = cli(
        "compose", "--to", "lead@client.test", "--subject", "x", "--body", "y", "--attach", str(tmp_path / "nope.pdf")
    )
    assert code == 1 and "cannot attach" in err and "there is no such file" in err and "Traceback" not in err
    code, out, err = cli(
        "compose",
        "--to",
        "a@client.test",
        "--to",
        "b@client.test",
        "--cc",
        "c@client.test",
        "--subject",
        "x",
        "--body",
        "y",
    )
    assert code == 1 and "confirm" in out
    with cws.db.read() as s:
        assert len(s.exec(select(OutboxItem)).all()) == 1


def test_forward_and_reply_with_attachment_and_subject(cws, cli, tmp_path) -> None:
    cid, mid, _ = deliver(cws, NOW, "hifi@shop.test", sender="bob@client.test", subject="Amplifier hums")
    result = cli.json("forward", str(mid), "--to", "repairs@vendor.test", "--body", "Please look")
    assert result["ok"] and result["conversation_id"] == cid
    plan = tmp_path / "plan.txt"
    plan.write_text("the plan")
    code, out, err = cli(
        "reply", str(cid), "--body", "See attached", "--subject", "Your amplifier, the plan", "--attach", str(plan)
    )
    assert code == 0, err
    with cws.db.read() as s:
        subjects = [
            m.subject for m in s.exec(select(Message).where(Message.direction == "outbound").order_by(Message.id))
        ]
    assert subjects == ["Fwd: Amplifier hums", "Your amplifier, the plan"]
    code, out, err = cli("show", str(cid))
    assert "attachment" in out and "plan.txt" in out
    code, out, err = cli("why", str(cid))
    assert f"forwarded message {mid} to repairs@vendor.test" in out


def test_merge_split_and_their_undo(cws, cli) -> None:
    a, a_msg, _ = deliver(cws, NOW, "hifi@shop.test", sender="bob@client.test", subject="Amplifier hums")
    b, _, _ = deliver(cws, NOW, "hifi@shop.test", sender="bob@client.test", subject="Amplifier again")
    code, out, err = cli("merge", str(a), str(b))
    assert code == 0 and f"#{a} merged into #{b}" in out, err
    code, out, err = cli("why", str(b))
    [line] = [x for x in out.splitlines() if "undo merge" in x]
    event = int(line.split("[event ")[1].split(":")[0])
    assert f"comptoir merge --undo {event}" in line
    code, out, err = cli("merge", "--undo", str(event))
    assert code == 0 and "merge undone" in out, err
    code, out, err = cli("merge", "--undo", str(event))
    assert code == 1 and "undone already" in out
    code, out, err = cli("merge", str(a))
    assert code == 1 and "SOURCE TARGET" in err
    code, out, err = cli("split", str(a_msg))
    assert code == 1 and "nothing to split it from" in out


def test_remind_then_the_escalation_pass_alerts(cws, cli) -> None:
    cid, _, _ = deliver(cws, NOW, "hifi@shop.test", sender="bob@client.test", subject="Amplifier hums")
    code, out, err = cli("remind", str(cid), "2h", "call", "back")
    assert code == 0, err
    [reminder] = cli.json("reminders")
    assert reminder["conversation_id"] == cid and reminder["text"] == "call back" and not reminder["fired"]
    code, out, err = cli("remind", str(cid), "-2h")
    assert code == 1 and "in the past" in err
    code, out, err = cli("remind", str(cid), "tomorrowish")
    assert code != 0 and "neither a time" in err
    code, out, err = cli("escalate", "--at", (NOW + timedelta(hours=2, minutes=1)).isoformat())
    assert code == 0, err
    with cws.db.read() as s:
        alerts = s.exec(select(Alert).where(Alert.kind == "reminder")).all()
    assert [(a.agent, a.conversation_id) for a in alerts] == [(ME, cid)]
    assert "call back" in alerts[0].text
    assert cli.json("reminders") == [] and len(cli.json("reminders", "--all")) == 1
