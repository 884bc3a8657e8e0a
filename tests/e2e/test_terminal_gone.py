"""The app ends when its terminal goes away (tmux killed, SSH dropped), whether or not SIGHUP reaches it.

With SIGHUP ignored (nohup, some session managers), only end of file on the terminal says it is gone;
Textual's own driver read that as "no input yet" and spun at full CPU for ever.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from core.workspace.folder import Workspace
from tests.e2e.test_tmux_session import ROOT, Pane, wait_until, workspace  # noqa: F401 - workspace is a fixture
from tests.servers import skip_or_fail


def _running(pid: int) -> bool:
    """True while the process exists and is not a zombie waiting to be reaped."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


@pytest.mark.parametrize("hangup", ["sighup-delivered", "sighup-ignored"])
def test_app_exits_when_its_terminal_is_gone(
    workspace: Workspace, isolated_home: Path, tmp_path: Path, hangup: str
) -> None:
    if not shutil.which("tmux"):
        skip_or_fail("tmux is not installed: apt-get install tmux")
    pane = Pane(f"comptoir-hangup-{os.getpid()}")
    pid_file = tmp_path / "app.pid"
    env = {
        "TERM": "xterm-256color",
        "COMPTOIR_KEYRING": "memory",
        "XDG_DATA_HOME": str(isolated_home / "data"),
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
    }
    ignore = "trap '' HUP; " if hangup == "sighup-ignored" else ""
    command = (
        f"cd {ROOT} && {ignore}echo $$ > {pid_file} && exec {sys.executable} -m tui.launch --workspace {workspace.path}"
    )
    try:
        pane.tmux(
            "new-session", "-d", "-s", "e2e", "-x", "160", "-y", "48", *[f"-e{k}={v}" for k, v in env.items()], command
        )
        pane.wait_for("Team hifi")
        pid = int(pid_file.read_text())
        assert _running(pid)
    finally:
        pane.tmux("kill-server")
    wait_until(lambda: not _running(pid), timeout=30)
