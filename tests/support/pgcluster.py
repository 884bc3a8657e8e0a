"""A private PostgreSQL cluster in a temp dir on a loopback port, for the storage tests."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if found:
        return Path(found[-1]).parent
    which = shutil.which("pg_ctl")
    return Path(which).parent if which else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PgCluster:
    """initdb + pg_ctl start as the 'postgres' user when we are root (PostgreSQL refuses to run as root)."""

    def __init__(self) -> None:
        self.bin = pg_bin()
        if self.bin is None:
            raise RuntimeError("PostgreSQL server binaries not found: apt-get install postgresql")
        self.dir = Path(tempfile.mkdtemp(prefix="comptoir-pg-"))
        self.port = _free_port()
        self.user = "postgres" if os.getuid() == 0 else pwd.getpwuid(os.getuid()).pw_name

    def _run(self, *args: str) -> None:
        cmd = [str(self.bin / args[0]), *args[1:]]
        if os.getuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def start(self) -> str:
        data = self.dir / "data"
        if os.getuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        self._run("initdb", "-D", str(data), "-A", "trust", "-U", "comptoir", "--no-sync", "-E", "UTF8")
        self._run(
            "pg_ctl",
            "-D",
            str(data),
            "-l",
            str(self.dir / "log"),
            "-w",
            "-o",
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200",
            "start",
        )
        for _ in range(50):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        return f"postgresql+psycopg://comptoir@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.dir / "data"), "-m", "immediate", "stop")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


@contextmanager
def bench_backends(choice: str) -> Iterator[list[str]]:
    """The backends a bench runs on ("sqlite", "pg" or "both"); starts a private cluster for "pg"
    when COMPTOIR_TEST_PG is unset, and stops it afterwards."""
    backends = ["sqlite", "pg"] if choice == "both" else [choice]
    cluster = None
    if "pg" in backends and not os.environ.get("COMPTOIR_TEST_PG"):
        if pg_bin() is None:
            print("PostgreSQL is not installed: skipping the PostgreSQL run")
            backends.remove("pg")
        else:
            cluster = PgCluster()
            os.environ["COMPTOIR_TEST_PG"] = cluster.start()
    try:
        yield backends
    finally:
        if cluster is not None:
            cluster.stop()
            os.environ.pop("COMPTOIR_TEST_PG", None)
