"""Drive the real `comptoir escalate --at` forward through time: personal, then team, then everyone,
with the right alerts and an audit event for each step; business hours carry a Friday evening to Monday."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from core.store.models import Alert
from core.workspace.identity import unix_login
from tests.conftest import BASIC_CONFIG, make_workspace
from tests.core.helpers import comptoir, conversation, deliver

TUESDAY = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # 11:00 in Paris
FRIDAY_EVENING = datetime(2026, 11, 27, 16, 30, tzinfo=UTC)  # 17:30 in Paris


def config_with_me() -> str:
    """BASIC_CONFIG plus the login running the tests as a supervisor with no team, so `--as` works."""
    return BASIC_CONFIG.replace(
        "[routing]",
        f'[[agents]]\nlogin = "{unix_login()}"\nname = "Test Runner"\nrole = "supervisor"\n\n[routing]',
        1,
    )


@pytest.fixture
def cli_ws(tmp_path, backend):
    workspace = make_workspace(tmp_path / "ws", backend, config_with_me())
    yield workspace
    workspace.close()


def escalate(ws, at: datetime) -> list[dict]:
    proc = comptoir(ws.path, "escalate", "--at", at.isoformat(), "--json", check=True)
    return json.loads(proc.stdout)


def alerts(ws, agent: str) -> list[dict]:
    proc = comptoir(ws.path, "alerts", "--json", "--as", agent, check=True)
    return json.loads(proc.stdout)


AGENTS = ("marie", "paul", "lea", "sophie")


def kinds_by_agent(ws, conversation_id: int) -> dict[str, list[str]]:
    """Alert kinds per agent for this conversation, read from the database."""
    with ws.db.read() as s:
        rows = list(s.exec(select(Alert).where(Alert.conversation_id == conversation_id)))
    return {a: sorted(r.kind for r in rows if r.agent == a) for a in AGENTS}


def kinds_by_agent_cli(ws, conversation_id: int) -> dict[str, list[str]]:
    """The same, as each agent sees it with `comptoir alerts --json --as AGENT`."""
    return {a: sorted(x["kind"] for x in alerts(ws, a) if x["conversation_id"] == conversation_id) for a in AGENTS}


def event_kinds(ws, conversation_id: int) -> list[str]:
    proc = comptoir(ws.path, "why", str(conversation_id), "--json", check=True)
    return [e["kind"] for e in json.loads(proc.stdout)["events"]]


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def test_personal_then_team_then_everyone(cli_ws):
    ws = cli_ws
    cid, _, _ = deliver(ws, TUESDAY, "marie@shop.test", sender="alice@customer.test", subject="Question for Marie")
    conv = conversation(ws, cid)
    assert (conv.visibility, conv.exclusive_agent) == ("personal", "marie")
    assert conv.exclusive_until == at(24, 12) and conv.team_until == at(24, 16)
    assert kinds_by_agent(ws, cid) == {"marie": ["exclusive"], "paul": [], "lea": [], "sophie": []}

    # inside the exclusive window, before the warning: nothing
    assert escalate(ws, at(24, 11, 40)) == []
    # 15 minutes before the window closes: marie is warned, and only marie
    steps = escalate(ws, at(24, 11, 46))
    assert [(s["conversation"], s["kind"]) for s in steps] == [(cid, "warn")]
    # one alert per agent and conversation: marie's "exclusive" alert becomes "window closing" in place
    assert kinds_by_agent(ws, cid) == {"marie": ["window_closing"], "paul": [], "lea": [], "sophie": []}
    assert escalate(ws, at(24, 11, 50)) == []  # a warning is given once

    # the exclusive window is over: team hifi sees it and is alerted
    steps = escalate(ws, at(24, 12, 1))
    assert [(s["conversation"], s["kind"]) for s in steps] == [(cid, "to_team")]
    conv = conversation(ws, cid)
    assert (conv.visibility, conv.owner, conv.exclusive_agent, conv.team) == ("team", None, None, "hifi")
    assert kinds_by_agent(ws, cid) == {
        "marie": ["escalation"],
        "paul": ["escalation"],
        "lea": [],
        "sophie": ["escalation"],
    }
    comptoir(ws.path, "alerts", "--all", "--as", "sophie", check=True)
    assert [a for a in alerts(ws, "sophie") if a["conversation_id"] == cid] == []

    # 15 minutes before the team window closes: nobody holds it, so nobody is told the window closes
    assert escalate(ws, at(24, 15, 30)) == []
    steps = escalate(ws, at(24, 15, 46))
    assert [(s["conversation"], s["kind"]) for s in steps] == [(cid, "warn")]
    assert kinds_by_agent(ws, cid) == {
        "marie": ["escalation"],
        "paul": ["escalation"],
        "lea": [],
        "sophie": ["escalation"],
    }

    # the team window is over: everyone sees it; the supervisor of hifi gets the team's one "overdue"
    # alert, which stands for every conversation of hifi past its team window
    steps = escalate(ws, at(24, 16, 1))
    assert [(s["conversation"], s["kind"]) for s in steps] == [(cid, "to_everyone")]
    assert conversation(ws, cid).visibility == "everyone"
    final = {"marie": ["escalation"], "paul": ["escalation"], "lea": [], "sophie": ["escalation"]}
    assert kinds_by_agent(ws, cid) == final
    with ws.db.read() as s:
        overdue = list(s.exec(select(Alert).where(Alert.kind == "overdue")))
    assert [(a.agent, a.team, a.conversation_id, a.acknowledged_at) for a in overdue] == [
        ("sophie", "hifi", None, None)
    ]
    assert overdue[0].created_at == at(24, 16, 1) and f"Conversation {cid}: team hifi did not answer" in overdue[0].text
    # what each agent sees through the command line
    assert kinds_by_agent_cli(ws, cid) == {**final, "sophie": []}  # she acknowledged hers at the team rung
    assert [a["kind"] for a in alerts(ws, "sophie") if a["conversation_id"] is None] == ["overdue"]
    # the supervisor without a team (hifi has its own) is not alerted
    assert [a for a in alerts(ws, unix_login()) if a["conversation_id"] == cid] == []

    # nothing more is due, however late
    assert escalate(ws, at(26, 12)) == []
    assert event_kinds(ws, cid) == ["routed", "warn", "to_team", "warn", "to_everyone"]

    # it shows in the everyone queue
    queue = json.loads(comptoir(ws.path, "queue", "--everyone", "--json", "--as", "lea", check=True).stdout)
    assert cid in [row["id"] for row in queue["rows"]]


def test_friday_evening_escalates_monday_morning(cli_ws):
    ws = cli_ws
    cid, _, _ = deliver(ws, FRIDAY_EVENING, "marie@shop.test", sender="alice@customer.test", subject="Weekend question")
    conv = conversation(ws, cid)
    # 30 business minutes on Friday, 90 on Monday from 09:00 Paris: Monday 10:30 Paris = 09:30 UTC
    assert conv.visibility == "personal"
    assert conv.exclusive_until == at(30, 9, 30)
    assert escalate(ws, at(27, 17, 0)) == []  # Friday after hours
    assert escalate(ws, at(28, 12, 0)) == []  # Saturday
    assert escalate(ws, at(29, 18, 0)) == []  # Sunday
    assert escalate(ws, at(30, 9, 0)) == []  # Monday 10:00 Paris
    assert [s["kind"] for s in escalate(ws, at(30, 9, 16))] == ["warn"]
    assert conversation(ws, cid).visibility == "personal"
    assert [s["kind"] for s in escalate(ws, at(30, 9, 31))] == ["to_team"]
    assert conversation(ws, cid).visibility == "team"
    assert event_kinds(ws, cid) == ["routed", "warn", "to_team"]


def test_why_prints_reasons_and_ladder(cli_ws):
    ws = cli_ws
    cid, _, _ = deliver(ws, TUESDAY, "marie@shop.test", sender="alice@customer.test", subject="Question for Marie")
    proc = comptoir(ws.path, "why", str(cid), check=True)
    out = proc.stdout
    assert "Why it went where it did:" in out
    assert "Addressed personally to Marie Curie (marie@shop.test), who is at work" in out
    assert "Escalation ladder:" in out
    assert "team hifi sees it and is alerted" in out
    ladder = out.split("Escalation ladder:")[1].split("History:")[0]
    rungs = [line for line in ladder.splitlines() if line.strip()]
    assert len(rungs) == 3
    # Times are in the user's zone (the workspace's Paris time here); --utc gives UTC, for scripts.
    assert "Tue 24 Nov 11:00 CET" in rungs[0] and "personal" in rungs[0] and "marie" in rungs[0]
    assert "Tue 24 Nov 13:00 CET" in rungs[1] and "team" in rungs[1] and "hifi" in rungs[1]
    assert "Tue 24 Nov 17:00 CET" in rungs[2] and "everyone" in rungs[2] and "sophie" in rungs[2]
    utc = comptoir(ws.path, "why", "--utc", str(cid), check=True).stdout
    utc_rungs = [line for line in utc.split("Escalation ladder:")[1].split("History:")[0].splitlines() if line.strip()]
    assert [
        "Tue 24 Nov 10:00 UTC" in utc_rungs[0],
        "Tue 24 Nov 12:00 UTC" in utc_rungs[1],
        "Tue 24 Nov 16:00 UTC" in utc_rungs[2],
    ] == [True, True, True], utc_rungs
    assert "History:" in out
