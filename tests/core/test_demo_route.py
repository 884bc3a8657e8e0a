"""`comptoir route --dry-run` on a demo nobody touched: the demo was built with the rules it ships, and a
replay uses the facts each message was routed with, so nothing differs."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.core.helpers import REPO


def _comptoir(tmp_path, *args: str) -> subprocess.CompletedProcess:
    # The demo template is cached in the user's data dir: keep it inside the test's folder.
    env = dict(os.environ, PYTHONPATH=str(REPO), XDG_DATA_HOME=str(tmp_path / "data"))
    env.pop("COMPTOIR_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "tui.launch", *args, "--workspace", str(tmp_path / "demo")],
        capture_output=True,
        text=True,
        env=env,
        cwd=str(REPO),
        timeout=600,
    )


def test_route_dry_run_on_an_untouched_demo_reports_no_differences(tmp_path):
    built = _comptoir(tmp_path, "demo", "--rebuild", "--conversations", "150", "--no-app")
    assert built.returncode == 0, built.stderr
    replay = _comptoir(tmp_path, "route", "--dry-run", "--json")
    assert replay.returncode == 0, replay.stderr
    changes = json.loads(replay.stdout)
    assert changes == [], [(c["conversation"], c["now"], c["would"], c["reasons"][:2]) for c in changes[:5]]
    said = _comptoir(tmp_path, "route", "--dry-run")
    assert said.stdout.strip().endswith(
        "0 messages would route differently under the current rules (nothing was changed)"
    )
