"""What the server benches share, without pytest: a workspace on SQLite or PostgreSQL, a workspace
server in its own process, and CPU / memory readings from /proc."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from core.workspace.folder import Workspace, init_workspace, open_workspace  # noqa: E402

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
"""A Tuesday inside business hours (as the tests' NOW)."""
CLK_TCK = os.sysconf("SC_CLK_TCK")
_db_numbers = itertools.count(1)


def fresh_pg_database() -> str:
    """A new empty database on the cluster $COMPTOIR_TEST_PG points at (tests.support.pgcluster)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin = os.environ["COMPTOIR_TEST_PG"]
    name = f"comptoir_b{os.getpid()}_{next(_db_numbers)}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return make_url(admin).set(database=name).render_as_string(hide_password=False)


def make_workspace(path: Path, backend: str, config: str) -> Workspace:
    if backend == "pg":
        config = config.replace("[workspace]\n", f'[workspace]\ndatabase_url = "{fresh_pg_database()}"\n', 1)
    init_workspace(path, config_text=config)
    return open_workspace(path)


class ServerProcess:
    """`python -m core.server --workspace DIR --no-sync` in its own process, until `stop()`."""

    def __init__(self, workspace: Path, *extra: str) -> None:
        from core.server.sockets import connect_unix, socket_path

        self.workspace = workspace
        self.log = open(workspace.parent / f"server-{workspace.name}.stderr", "wb")  # noqa: SIM115 - the server process writes it; stop() closes it
        self.process = subprocess.Popen(
            [sys.executable, "-m", "core.server", "--workspace", str(workspace), "--no-sync", *extra],
            cwd=str(ROOT),
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"the server exited with {self.process.returncode}: "
                    + Path(self.log.name).read_text(errors="replace")
                )
            try:
                connect_unix(socket_path(workspace), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("the server did not answer within 60 s")

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def cpu_ticks(pid: int) -> int | None:
    """utime + stime of one process (all its threads), in clock ticks; None once it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return int(fields[11]) + int(fields[12])


def rss_mb(pid: int) -> tuple[float, float]:
    """(resident now, peak) in MB."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, max(0, round(fraction * len(sorted_values) + 0.5) - 1))]
