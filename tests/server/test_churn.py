"""A small churn run (bench/churn.py at full size is in the closing note): the server, real apps in
tmux and short-lived CLI processes, with clients SIGKILLed at random."""

from __future__ import annotations

import shutil

from bench.churn import make_churn_workspace, run_churn
from tests.conftest import _made_workspaces
from tests.servers import skip_or_fail


def test_clients_come_and_die_and_the_server_stays_whole(tmp_path) -> None:
    if not shutil.which("tmux"):
        skip_or_fail("tmux is not installed: apt-get install tmux")
    workspace = make_churn_workspace(tmp_path / "ws", conversations=60)
    _made_workspaces.append(workspace)
    result = run_churn(workspace, apps=3, cli=30, seconds=15)
    assert result.cli_tracebacks == [] and result.apps_broken == []
    assert result.server_same and result.integrity == "ok"
    assert set(result.cli_exit_codes) <= {0, 1, 2, 3} and sum(result.cli_exit_codes.values()) > 0
