"""History import: contacts and ratings from CSV, all or nothing; imported history steers routing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from core.errors import ComptoirError
from core.store.models import Contact, Rating
from core.work import actions
from core.work.importer import import_contacts, import_ratings
from tests.conftest import NOW
from tests.core.helpers import comptoir, conversation, deliver


def counts(ws) -> tuple[int, int]:
    with ws.db.read() as s:
        return (
            s.exec(select(func.count()).select_from(Contact)).one(),
            s.exec(select(func.count()).select_from(Rating)).one(),
        )


def write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("header", [True, False])
def test_import_contacts(ws, tmp_path, header):
    text = ("address,name,audiences\n" if header else "") + (
        "Ann@Client.test,Ann Smith,hi-fi\n\nben@client.test,Ben Jones,hi-fi|computers\ncy@client.test,Cy,\n"
    )
    assert import_contacts(ws, write(tmp_path, "contacts.csv", text)) == 3
    with ws.db.read() as s:
        got = {c.address: (c.name, c.audiences, c.imported) for c in s.exec(select(Contact))}
    assert got == {
        "ann@client.test": ("Ann Smith", ["hi-fi"], True),
        "ben@client.test": ("Ben Jones", ["hi-fi", "computers"], True),
        "cy@client.test": ("Cy", [], True),
    }
    # importing again merges, it does not duplicate
    assert import_contacts(ws, write(tmp_path, "more.csv", "ann@client.test,,computers\n")) == 1
    with ws.db.read() as s:
        ann = s.exec(select(Contact).where(Contact.address == "ann@client.test")).one()
    assert (ann.name, ann.audiences) == ("Ann Smith", ["hi-fi", "computers"])
    assert counts(ws) == (3, 0)


@pytest.mark.parametrize("header", [True, False])
def test_import_ratings(ws, tmp_path, header):
    text = ("address,agent,score,date\n" if header else "") + (
        "ann@client.test,marie,5,2026-10-01\nann@client.test,paul,2,2026-10-02\n"
    )
    assert import_ratings(ws, write(tmp_path, "ratings.csv", text)) == 2
    with ws.db.read() as s:
        rows = sorted((r.agent, r.score, r.rated_on.isoformat()) for r in s.exec(select(Rating)))
    assert rows == [("marie", 5, "2026-10-01"), ("paul", 2, "2026-10-02")]
    assert counts(ws) == (1, 2)


GOOD_RATING = "ann@client.test,marie,4,2026-10-01\n"


@pytest.mark.parametrize(
    ("bad_line", "complaint"),
    [
        ("not-an-address,marie,4,2026-10-01", "is not a mail address"),
        ("ann@client.test,ghost,4,2026-10-01", "'ghost' is not an agent"),
        ("ann@client.test,marie,7,2026-10-01", "score 7 is outside 1-5"),
        ("ann@client.test,marie,four,2026-10-01", "is not a whole number"),
        ("ann@client.test,marie,4,01/10/2026", "is not YYYY-MM-DD"),
    ],
)
def test_bad_rating_line_reported_and_nothing_imported(ws, tmp_path, bad_line, complaint):
    path = write(
        tmp_path,
        "ratings.csv",
        "address,agent,score,date\n" + GOOD_RATING + GOOD_RATING + bad_line + "\n" + GOOD_RATING,
    )
    with pytest.raises(ComptoirError) as info:
        import_ratings(ws, path)
    message = str(info.value)
    assert "line 4" in message and complaint in message and "nothing was imported" in message
    assert counts(ws) == (0, 0)


def test_bad_contact_line_reported_and_nothing_imported(ws, tmp_path):
    path = write(tmp_path, "contacts.csv", "ann@client.test,Ann,hi-fi\nben at client.test,Ben,hi-fi\n")
    with pytest.raises(ComptoirError, match="line 2.*not a mail address"):
        import_contacts(ws, path)
    path = write(tmp_path, "wide.csv", "ann@client.test,Ann,hi-fi\nben@client.test,Ben,hi-fi,extra\n")
    with pytest.raises(ComptoirError, match="line 2"):
        import_contacts(ws, path)
    assert counts(ws) == (0, 0)


def test_cli_import_reports_line_number(ws, tmp_path):
    bad = write(tmp_path, "ratings.csv", GOOD_RATING + "ann@client.test,marie,7,2026-10-01\n")
    proc = comptoir(ws.path, "import", "ratings", str(bad))
    assert proc.returncode != 0
    assert "line 2" in proc.stderr and "Traceback" not in proc.stderr
    assert counts(ws) == (0, 0)
    good = write(tmp_path, "contacts.csv", "address,name,audiences\nann@client.test,Ann,hi-fi\n")
    proc = comptoir(ws.path, "import", "contacts", str(good))
    assert proc.returncode == 0, proc.stderr
    assert "imported 1 contacts" in proc.stdout
    assert counts(ws) == (1, 0)


def test_imported_audience_routes_a_first_mail(ws, tmp_path):
    import_contacts(ws, write(tmp_path, "contacts.csv", "newbie@client.test,Newbie,hi-fi\n"))
    # written to the computers address about nothing in particular: the audience decides, not the address
    cid, _, _ = deliver(ws, NOW, "support@shop.test", sender="newbie@client.test", subject="A question")
    conv = conversation(ws, cid)
    assert conv.team == "hifi"
    assert any(r["code"].startswith("audience") for r in conv.routing_reasons)


def _handled_by_marie(ws, sender: str) -> None:
    cid, mid, _ = deliver(ws, NOW - timedelta(days=7), "hifi@shop.test", sender=sender, subject="amplifier repair")
    assert actions.claim(ws, "marie", cid, NOW - timedelta(days=7)).ok
    assert actions.dispose(ws, "marie", mid, "solved by phone", NOW - timedelta(days=7)).ok
    assert actions.done(ws, "marie", cid, NOW - timedelta(days=7)).ok


def test_good_pairing_is_repeated(ws, tmp_path):
    _handled_by_marie(ws, "ann@client.test")
    import_ratings(ws, write(tmp_path, "ratings.csv", "ann@client.test,marie,5,2026-11-01\n"))
    cid, _, _ = deliver(ws, NOW, "hifi@shop.test", sender="ann@client.test", subject="New turntable question")
    conv = conversation(ws, cid)
    assert (conv.team, conv.visibility, conv.exclusive_agent) == ("hifi", "personal", "marie")


def test_badly_rated_pairing_is_never_repeated(ws, tmp_path):
    _handled_by_marie(ws, "ann@client.test")
    import_ratings(ws, write(tmp_path, "ratings.csv", "ann@client.test,marie,1,2026-11-01\n"))
    for n in range(2):
        cid, _, _ = deliver(
            ws,
            NOW + timedelta(minutes=n),
            "hifi@shop.test",
            sender="ann@client.test",
            subject=f"New turntable question {n}",
        )
        conv = conversation(ws, cid)
        assert conv.exclusive_agent != "marie" and conv.owner != "marie"
        assert conv.team == "hifi" and conv.visibility == "team"
        reasons = " ".join(r["text"] for r in conv.routing_reasons)
        assert "Marie Curie" in reasons  # the reason says why marie was passed over
