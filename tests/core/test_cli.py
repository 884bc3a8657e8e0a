"""The `comptoir` command line over the core actions: exit codes (0 ok, 1 refused, 3 error), JSON output,
refusals on stderr, and identity (`--as`) rules. Most commands run in-process through the console
script's entry point (tui.launch.main); identity and --version run as real subprocesses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlmodel import select

from core.clock import Clock
from core.store.models import Alert, Conversation, Event
from core.store.rawsql import RawSql
from core.work import actions, listing
from core.workspace.config import CONFIG_NAME
from core.workspace.identity import unix_login
from tests.conftest import BASIC_CONFIG, NOW, make_workspace
from tests.core.helpers import REPO, comptoir, conversation, deliver, message
from tui.launch import main as comptoir_main

ME = unix_login()


def config_with(role: str) -> str:
    return BASIC_CONFIG.replace(
        "[routing]",
        f'[[agents]]\nlogin = "{ME}"\nname = "Test Runner"\nteams = ["hifi"]\nrole = "{role}"\n\n[routing]',
        1,
    )


@pytest.fixture
def cws(tmp_path, backend):
    """The test runner is a supervisor in team hifi; every process's clock starts at NOW."""
    ws = make_workspace(tmp_path / "ws", backend, config_with("supervisor"))
    ws.clock = Clock.simulate(ws.db, NOW, 1.0)
    yield ws
    ws.close()


class Cli:
    def __init__(self, ws, capsys):
        self.ws, self.capsys = ws, capsys

    def __call__(self, *args: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        code = comptoir_main([*args, "--workspace", str(self.ws.path)])
        out, err = self.capsys.readouterr()
        return code, out, err

    def json(self, *args: str):
        code, out, err = self(*args, "--json")
        assert code == 0, err
        return json.loads(out)


@pytest.fixture
def cli(cws, capsys):
    return Cli(cws, capsys)


def team_conv(ws, sender="bob@client.test", subject="amplifier hums"):
    cid, mid, _ = deliver(ws, NOW, "hifi@shop.test", sender=sender, subject=subject)
    return cid, mid


def test_version():
    proc = comptoir("/nonexistent", "--version")
    assert proc.returncode == 0 and proc.stdout.startswith("comptoir ")


def test_queue_json_and_show(cws, cli):
    cid, mid = team_conv(cws)
    rows = cli.json("queue", "--team", "hifi")["rows"]
    assert [r["id"] for r in rows] == [cid]
    assert rows[0]["subject"] == "amplifier hums" and rows[0]["team"] == "hifi"
    assert cli.json("queue")["rows"] == []  # nothing is mine yet
    code, out, _ = cli("queue", "--unclaimed")
    assert code == 0
    code, out, err = cli("show", str(cid))
    assert code == 0, err
    assert "amplifier hums" in out and "bob@client.test" in out and f"message {mid}" in out
    detail = cli.json("show", str(cid))
    assert detail["row"]["id"] == cid and detail["messages"][0]["id"] == mid
    code, _, err = cli("show", "999")
    assert code == 1 and "no conversation #999" in err


def test_claim_and_release_exit_codes(cws, cli):
    cid, _ = team_conv(cws)
    assert actions.claim(cws, "paul", cid, NOW).ok
    code, out, err = cli("claim", str(cid), "--as", "marie")
    assert code == 1
    assert "Paul Martin claimed" in out + err
    code, out, _ = cli("claim", str(cid), "--as", "marie", "--json")
    assert code == 1 and json.loads(out)["winner"] == "paul"
    code, out, err = cli("release", str(cid), "--as", "marie")
    assert code == 1 and conversation(cws, cid).owner == "paul"
    code, out, err = cli("release", str(cid), "--as", "paul")
    assert code == 0, err
    assert conversation(cws, cid).owner is None
    code, out, err = cli("claim", str(cid))
    assert code == 0 and conversation(cws, cid).owner == ME
    assert cid in [r["id"] for r in cli.json("queue", "--mine")["rows"]]


def test_assign_dispose_done(cws, cli):
    cid, mid = team_conv(cws)
    code, _, err = cli("assign", str(cid), "--to", "paul", "--note", "you know this one")
    assert code == 0, err
    assert conversation(cws, cid).owner == "paul"
    code, _, err = cli("assign", str(cid))
    assert code == 1 and "exactly one" in err
    # done is refused while the message is pending, naming it
    code, out, err = cli("done", str(cid), "--as", "paul")
    assert code == 1 and f"message {mid} from bob@client.test" in out + err
    assert conversation(cws, cid).state == "open"
    code, out, err = cli("dispose", str(cid), str(mid), "--no-action", "--reason", "just thanks", "--as", "paul")
    assert code == 0, err
    assert message(cws, mid).disposition == "no_action"
    code, _, err = cli("dispose", str(cid), str(mid), "--no-action")
    assert code != 0  # --reason is required
    code, out, err = cli("done", str(cid), "--as", "paul")
    assert code == 0, err
    assert conversation(cws, cid).state == "done"


def test_note_and_snooze(cws, cli):
    cid, _ = team_conv(cws)
    code, out, err = cli("note", str(cid), "@lea please look")
    assert code == 0, err
    assert "@lea alerted" in out
    with cws.db.read() as s:
        assert [a.agent for a in s.exec(select(Alert).where(Alert.kind == "mention"))] == ["lea"]
    code, _, err = cli("note", str(cid), "@ghost hello")
    assert code == 1 and "@ghost" in err
    code, out, err = cli("snooze", str(cid), "2h")
    assert code == 0, err
    conv = conversation(cws, cid)
    assert conv.state == "snoozed"
    # 2 hours from the workspace clock (simulated from NOW; a little real time has passed)
    assert timedelta(hours=2) <= conv.snoozed_until - NOW < timedelta(hours=2, minutes=10)
    code, _, err = cli("snooze", str(cid), "yesterday-ish")
    assert code != 0 and "neither a time" in err


def test_presence_vacation(cws, cli):
    cid, _ = team_conv(cws)
    assert actions.claim(cws, "paul", cid, NOW).ok
    code, out, err = cli("presence", "vacation", "--until", "2026-12-07", "--as", "paul")
    assert code == 0, err
    assert "1 open conversation went back to its team" in out
    assert conversation(cws, cid).owner is None
    agents = {a.login: a for a in listing.agents(cws, NOW)}
    assert agents["paul"].presence == "vacation"
    code, _, err = cli("presence", "vacation", "--until", "2020-01-01", "--as", "paul")
    assert code == 1 and "future" in err


def test_alert_then_ack(cws, cli):
    got = cli.json("alert", "Stock: turntables back", "--to", "lea", "--source", "stock")
    assert got == {"alerted": ["lea"]}
    got = cli.json("alert", "Printer down", "--team", "hifi")
    assert sorted(got["alerted"]) == sorted(["marie", "paul", "sophie", ME])
    code, _, err = cli("alert", "x", "--to", "ghost")
    assert code == 2 and "ghost" in err
    mine = cli.json("alerts")
    assert [a["text"] for a in mine] == ["Printer down"]
    lea = cli.json("alerts", "--as", "lea")
    assert {a["text"] for a in lea} == {"Stock: turntables back"}
    assert cli.json("alerts", "--ack", str(lea[0]["id"]), "--as", "lea") == {"acknowledged": 1}
    assert cli.json("alerts", "--as", "lea") == []
    # someone else's alert id: nothing acknowledged, exit 1
    code, _, _ = cli("alerts", "--ack", str(mine[0]["id"]), "--as", "lea")
    assert code == 1
    assert cli.json("alerts", "--all", "--as", "marie") == {"acknowledged": 1}
    assert cli.json("alerts", "--as", "marie") == []
    assert len(cli.json("alerts")) == 1


def test_route_dry_run_predicts_without_changing(cws, cli):
    invoice, _, _ = deliver(cws, NOW, "invoices@shop.test", sender="dan@client.test", subject="invoice 42")
    other, _ = team_conv(cws)
    assert conversation(cws, invoice).team == "computers"
    code, out, err = cli("route", "--dry-run")
    assert code == 0, err
    assert "0 messages would route differently" in out
    path = cws.path / CONFIG_NAME
    path.write_text(
        path.read_text().replace(
            'any = [{ field = "to", contains = "invoices@" }]\nteam = "computers"',
            'any = [{ field = "to", contains = "invoices@" }]\nteam = "hifi"',
        )
    )
    with cws.db.read() as s:
        before = [(c.id, c.team, c.visibility, c.owner, c.version) for c in s.exec(select(Conversation))]
        events_before = len(list(s.exec(select(Event))))
    changes = cli.json("route", "--dry-run")
    assert [(c["conversation"], c["now"]["team"], c["would"]["team"]) for c in changes] == [
        (invoice, "computers", "hifi")
    ]
    code, out, _ = cli("route", "--dry-run")
    assert "computers -> hifi" in out and "nothing was changed" in out
    with cws.db.read() as s:
        assert [(c.id, c.team, c.visibility, c.owner, c.version) for c in s.exec(select(Conversation))] == before
        assert len(list(s.exec(select(Event)))) == events_before
    code, _, err = cli("route")
    assert code == 1 and "--dry-run" in err
    assert conversation(cws, other).team == "hifi"


def test_non_agent_gets_a_clear_message(tmp_path, backend):
    ws = make_workspace(tmp_path / "ws", backend)  # BASIC_CONFIG: the runner is not an agent
    try:
        proc = comptoir(ws.path, "queue")
        assert proc.returncode == 3
        assert f"you ({ME}) are not an agent of this workspace" in proc.stderr
        assert "Traceback" not in proc.stderr + proc.stdout
    finally:
        ws.close()


def test_as_refused_for_a_plain_agent(tmp_path, backend):
    ws = make_workspace(tmp_path / "ws", backend, config_with("agent"))
    try:
        cid, _ = team_conv(ws)
        proc = comptoir(ws.path, "claim", str(cid), "--as", "marie")
        assert proc.returncode == 3
        assert "--as is only for demo workspaces and supervisors" in proc.stderr
        assert "Traceback" not in proc.stderr
        assert conversation(ws, cid).owner is None
        proc = comptoir(ws.path, "claim", str(cid))
        assert proc.returncode == 0, proc.stderr
        assert conversation(ws, cid).owner == ME
        proc = comptoir(ws.path, "claim", str(cid), "--as", "paul")
        assert proc.returncode == 3
    finally:
        ws.close()


# -- defects found by trying the CLI as a new user (issue 11) ------------------------------------------
def _into_closed_pipe(ws, *args: str) -> tuple[int, bytes]:
    """Run comptoir with its standard output into a pipe whose reader has already left (as `| head` does)."""
    env = dict(os.environ, PYTHONPATH=str(REPO))
    env.pop("COMPTOIR_DEBUG", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui.launch", *args, "--workspace", str(ws.path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=str(REPO),
    )
    proc.stdout.close()  # the reader leaves before comptoir writes a byte
    err = proc.stderr.read()
    return proc.wait(timeout=120), err


def test_queue_json_into_closed_pipe_ends_quietly(cws):
    cid, _ = team_conv(cws)
    for args in (("queue", "--team", "hifi", "--json"), ("why", str(cid)), ("queue", "--team", "hifi")):
        code, err = _into_closed_pipe(cws, *args)
        assert (code, err) == (0, b""), args


def test_queue_json_pages_with_a_total_instead_of_a_silent_cap(cws, cli):
    cids = [team_conv(cws, sender=f"c{n}@client.test", subject=f"amplifier hums {n}")[0] for n in range(5)]
    page = cli.json("queue", "--team", "hifi", "--limit", "2")
    assert (page["total"], page["offset"], page["limit"]) == (5, 0, 2)
    assert [r["id"] for r in page["rows"]] == cids[:2]
    page = cli.json("queue", "--team", "hifi", "--limit", "2", "--offset", "4")
    assert [r["id"] for r in page["rows"]] == cids[4:] and page["total"] == 5
    code, out, _ = cli("queue", "--team", "hifi", "--limit", "2", "--offset", "2")
    assert code == 0 and "(conversations 3-4 of 5; --offset 4 for the next page)" in out
    code, out, _ = cli("queue", "--help")
    assert "--limit N" in out and "--offset N" in out and "default 50" in out
    code, _, err = cli("queue", "--limit", "0")
    assert code == 2 and "--limit" in err


def test_unknown_team_or_agent_is_a_usage_error_listing_the_valid_names(cws, cli):
    cid, _ = team_conv(cws)
    code, out, err = cli("queue", "--team", "nosuch")
    assert code == 2 and out == ""
    assert "there is no team 'nosuch'" in err and "computers, hifi" in err
    code, _, err = cli("assign", str(cid), "--to", "ghost")
    assert code == 2 and "there is no agent 'ghost'" in err and "marie" in err and "paul" in err
    code, _, err = cli("assign", str(cid), "--team", "nosuch")
    assert code == 2 and "the teams are: computers, hifi" in err
    code, _, err = cli("alert", "x", "--team", "nosuch")
    assert code == 2 and "the teams are" in err
    assert conversation(cws, cid).owner is None


def test_ack_of_an_unknown_alert_says_why(cws, cli):
    got = cli.json("alert", "Printer down", "--to", ME)
    assert got == {"alerted": [ME]}
    mine = cli.json("alerts")
    code, out, err = cli("alerts", "--ack", "999999")
    assert code == 1 and out == ""
    assert "no unacknowledged alert 999999" in err and f"yours waiting: {mine[0]['id']}" in err
    assert "(s)" not in out + err
    code, out, _ = cli("alerts", "--ack", str(mine[0]["id"]))
    assert code == 0 and out.strip() == "1 alert acknowledged"


def test_snooze_with_a_negative_duration_says_it_is_in_the_past(cws, cli):
    cid, _ = team_conv(cws)
    code, out, err = cli("snooze", str(cid), "-2h")
    assert code == 1 and "required" not in err
    assert "in the past" in err and "say 2h" in err
    assert conversation(cws, cid).state == "open"


def test_every_exit_code_is_documented_in_help_and_readme(cli):
    from tui.cli import EXIT_CODES

    readme = (REPO / "README.md").read_text()
    for command in ((), ("queue",), ("snooze",)):
        code, out, _ = cli(*command, "--help")
        assert code == 0 and "exit codes:" in out, command
        for number, meaning in EXIT_CODES:
            assert f"  {number:<4} {meaning}" in out
    for number in (0, 1, 2, 3, 130):
        assert f"| {number} |" in readme, number


def test_show_says_who_can_see_it_in_words(cws, cli):
    cid, _, _ = deliver(cws, NOW, "marie@shop.test", sender="alice@client.test", subject="for marie")
    assert conversation(cws, cid).visibility == "personal"
    code, out, err = cli("show", str(cid))
    assert code == 0, err
    assert "visible to personal" not in out and "visible to marie only" in out
    team_cid, _ = team_conv(cws)
    code, out, _ = cli("show", str(team_cid))
    assert "visible to team hifi" in out


def test_done_refusal_numbers_messages_apart_from_conversations_and_counts_in_words(cws, cli):
    cid, mid = team_conv(cws)
    code, out, err = cli("done", str(cid))
    assert code == 1
    said = out + err
    assert f"still has 1 message to work out: message {mid} from bob@client.test" in said
    assert f"#{mid} from" not in said and "(s)" not in said


def test_no_user_facing_text_says_message_s():
    """Only string literals count: code such as `RawSql(s).run("...")` calls a function on `s`."""
    import io
    import re
    import tokenize

    pattern = re.compile(r"[a-z]\(s\)")
    found = []
    for folder in ("core", "tui", "routing"):
        for path in (REPO / folder).rglob("*.py"):
            for token in tokenize.generate_tokens(io.StringIO(path.read_text()).readline):
                if (
                    token.type == tokenize.STRING
                    and not token.string.lstrip("rbfuRBFU").startswith(('"""', "'''"))
                    and pattern.search(token.string)
                ):
                    found.append(f"{path.relative_to(REPO)}:{token.start[0]}: {token.line.strip()}")
    assert found == []


def test_times_are_in_the_users_zone_and_utc_with_the_flag(cws, cli, monkeypatch, tmp_path):
    """No preference and no [[agents]] timezone: $TZ decides; --utc gives scripts UTC; the snooze
    confirmation and `why` name the same instant in the same format."""
    from zoneinfo import ZoneInfo

    from tui.formatting import full_time

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "no-preferences"))
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    cid, _ = team_conv(cws)
    code, out, err = cli("snooze", str(cid), "2h")
    assert code == 0, err
    until = conversation(cws, cid).snoozed_until
    tokyo = full_time(until, ZoneInfo("Asia/Tokyo"))
    assert tokyo.endswith(" JST") and tokyo in out, out
    code, out, err = cli("why", str(cid))
    assert code == 0, err
    assert f"snoozed it until {tokyo}" in out and " UTC" not in out, out
    code, out, err = cli("why", str(cid), "--utc")
    assert code == 0, err
    in_utc = full_time(until, ZoneInfo("UTC"))
    assert f"snoozed it until {in_utc}" in out and "JST" not in out and "Europe/Paris" not in out, out
    monkeypatch.setenv("TZ", "CET-1CEST")  # a POSIX rule, not a zone name: the workspace's zone then
    code, out, err = cli("why", str(cid))
    assert full_time(until, ZoneInfo("Europe/Paris")) in out, out


def test_reply_waits_the_send_delay_prints_how_to_cancel_and_undo_cancels_it(cws, cli):
    cid, mid = team_conv(cws)
    code, out, err = cli("reply", str(cid), "--body", "We will call you.", "--as", "paul")
    assert code == 0, err
    assert "goes out in 10 s" in out
    [cancel_line] = [line for line in out.splitlines() if line.startswith("To cancel it within 10 s: comptoir undo ")]
    action = cancel_line.rsplit(" ", 1)[1]
    with cws.db.read() as s:
        held = s.execute(text("SELECT next_attempt_at, created_at FROM outbox")).one()
    assert (RawSql.read_when(held[0]) - RawSql.read_when(held[1])).total_seconds() == pytest.approx(10, abs=0.01)
    code, out, err = cli("undo", action, "--as", "paul")
    assert code == 0, err
    assert "cancelled" in out and "not sent" in out
    code, out, err = cli("undo", action, "--as", "paul")
    assert code == 1 and "already undone" in out + err
    code, out, err = cli("reply", str(cid), "--body", "Right now.", "--now", "--as", "paul")
    assert code == 0 and "comptoir undo" not in out and "goes out in" not in out
    with cws.db.read() as s:
        held = s.execute(text("SELECT next_attempt_at, created_at FROM outbox")).one()
    assert held[0] == held[1]


def test_undo_of_someone_elses_action_is_refused(cws, cli):
    cid, _ = team_conv(cws)
    claimed = actions.claim(cws, "paul", cid, NOW)
    code, out, err = cli("undo", str(claimed.undo), "--as", "marie")
    assert code != 0 and "you have no action" in out + err
