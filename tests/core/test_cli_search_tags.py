"""`comptoir search` (operators, --json, clear errors) and `comptoir tag ID +NAME -NAME` over the real server."""

from __future__ import annotations

import pytest

from core.clock import Clock
from tests.conftest import NOW, make_workspace
from tests.core.helpers import deliver
from tests.core.test_cli import Cli, config_with

TAGS = (
    '[[tags]]\nname = "billing"\ncolour = "yellow"\ndescription = "Invoices and refunds"\n\n'
    '[[tags]]\nname = "vip"\ncolour = "magenta"\n\n'
)


@pytest.fixture
def cli(tmp_path, backend, capsys):
    ws = make_workspace(tmp_path / "ws", backend, config_with("supervisor").replace("[routing]", TAGS + "[routing]", 1))
    ws.clock = Clock.simulate(ws.db, NOW, 1.0)
    yield Cli(ws, capsys)
    ws.close()


def test_tag_then_search_by_tag_and_operator(cli):
    amp, _m, _ = deliver(cli.ws, NOW, "hifi@shop.test", sender="ada@client.test", subject="amplifier hums")
    other, _m, _ = deliver(cli.ws, NOW, "computers@shop.test", sender="bob@corp.test", subject="laptop")
    code, out, err = cli("tag", str(amp), "+vip", "+billing")
    assert code == 0, err
    assert "added vip, billing" in out
    code, out, err = cli("tag", str(amp), "-billing")
    assert code == 0 and "removed billing" in out, err
    found = cli.json("search", "tag:vip", "from:ada")
    assert [r["id"] for r in found["rows"]] == [amp] and found["rows"][0]["tags"] == ["vip"]
    assert found["total"] == 1
    code, out, _ = cli("search", "team:computers", "is:unclaimed")
    assert code == 0 and f"#{other}" in out and f"#{amp}" not in out
    code, out, _ = cli("queue", "--search", "tag:vip")
    assert code == 0 and f"#{amp}" in out and "[vip]" in out
    listed = cli.json("tag")
    assert [t["name"] for t in listed["tags"]] == ["billing", "vip"]


@pytest.mark.parametrize(
    "args, says",
    [
        (("search", "colour:red"), "unknown search operator colour:"),
        (("search", "after:someday"), "after:someday is not a day"),
        (("search", "tag:nope"), "there is no tag 'nope' (tags: billing, vip)"),
        (("queue", "--search", "is:late"), "is:late is not a state"),
    ],
)
def test_a_bad_search_exits_2_with_the_reason_and_no_traceback(cli, args, says):
    code, out, err = cli(*args)
    assert code == 2 and out == ""
    assert says in err and "Traceback" not in err


def test_a_bad_tag_change_exits_2_and_writes_nothing(cli):
    amp, _m, _ = deliver(cli.ws, NOW, "hifi@shop.test", subject="amplifier hums")
    code, _, err = cli("tag", str(amp), "+vip", "+urgent")
    assert code == 2 and "there is no tag 'urgent'" in err
    code, _, err = cli("tag", str(amp), "vip")
    assert code == 2 and "write +NAME to add a tag and -NAME to remove one" in err
    assert cli.json("search", "tag:vip")["rows"] == []
