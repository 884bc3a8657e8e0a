"""Queues: keyset pages walk exactly the ids of queue_ids, in order; counts agree with the lists."""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage

from core.mail.ingest import IncomingMail, ingest_batch
from core.work import actions
from core.work.service import Comptoir
from core.workspace.folder import Workspace
from tests.conftest import NOW


def _mails(count: int) -> list[IncomingMail]:
    out = []
    for n in range(count):
        m = EmailMessage()
        m["From"] = f"customer{n}@example.test"
        m["To"] = ["hifi@shop.test", "marie@shop.test", "support@shop.test"][n % 3]
        m["Subject"] = f"Question {n}"
        m["Message-ID"] = f"<q{n}@example.test>"
        m.set_content("amplifier question")
        out.append(IncomingMail(m.as_bytes(), internaldate=NOW - timedelta(minutes=7 * n)))
    return out


def test_queue_ids_match_the_rows_and_counts(ws: Workspace) -> None:
    ingest_batch(ws, _mails(40), NOW)
    svc = Comptoir(ws, "paul")
    for cid in svc.queue_ids("team:hifi")[:6]:
        assert actions.claim(ws, "paul", cid, NOW).ok
    for cid in svc.queue_ids("mine")[:3]:
        actions.reply(ws, "paul", cid, "done", ("x@example.test",), (), NOW)
        assert actions.done(ws, "paul", cid, NOW).ok
    counts = {q.key: q.count for q in svc.queues()}
    for queue in ("mine", "team:hifi", "team:computers", "everyone", "done", "exclusive"):
        ids = svc.queue_ids(queue)
        assert [r.id for r in svc.rows(ids)] == ids, queue
        assert counts[queue] == len(ids), queue
    assert counts["done"] == 3 and counts["mine"] == 3
    done = svc.queue_ids("done")
    assert done == sorted(done, reverse=True), "done: newest first"
    deadlines = [r.deadline for r in svc.rows(svc.queue_ids("team:hifi")) if r.deadline]
    assert deadlines == sorted(deadlines)


def test_list_id_without_cc_is_not_a_shared_reply(ws: Workspace) -> None:
    m = EmailMessage()
    m["From"] = "reader@example.test"
    m["To"] = "hifi@shop.test"
    m["Subject"] = "Question from the list"
    m["Message-ID"] = "<list1@example.test>"
    m["List-Id"] = "<audio.lists.example.test>"
    m.set_content("amplifier question")
    report = ingest_batch(ws, [IncomingMail(m.as_bytes(), internaldate=NOW)], NOW)
    svc = Comptoir(ws, "paul")
    detail = svc.detail(report.conversation_ids[0])
    assert detail.reply_to == ("reader@example.test",) and detail.reply_cc == ()
    assert detail.row.shared_reply is False  # the row's "CC" flag and the composer's warning say the same as reply-all


def test_take_back_of_an_unowned_conversation_is_refused_not_a_claim(ws: Workspace) -> None:
    report = ingest_batch(ws, _mails(1), NOW)
    cid = report.conversation_ids[0]
    result = Comptoir(ws, "paul").take_back(cid)
    assert not result.ok and "claim it instead" in result.message
    assert Comptoir(ws, "paul").rows([cid])[0].owner is None
    assert actions.claim(ws, "marie", cid, NOW).ok
    assert Comptoir(ws, "paul").take_back(cid).ok
    assert Comptoir(ws, "paul").rows([cid])[0].owner == "paul"
