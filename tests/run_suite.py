"""`make test`: starts a private PostgreSQL cluster (so storage tests run on both databases), then pytest.

Server-backed tests must not silently skip here: COMPTOIR_REQUIRE_SERVERS=1 turns a missing server into a failure.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

from tests.support.pgcluster import PgCluster, pg_bin


def main(argv: list[str]) -> int:
    env = dict(os.environ, COMPTOIR_REQUIRE_SERVERS="1")
    cluster = None
    if not env.get("COMPTOIR_TEST_PG"):
        if pg_bin() is None:
            print("PostgreSQL is not installed: run `sudo apt-get install -y postgresql` (make test does it as root).")
            return 1
        cluster = PgCluster()
        env["COMPTOIR_TEST_PG"] = cluster.start()
        print(f"private PostgreSQL on {env['COMPTOIR_TEST_PG']}")
    workers = [] if any(a.startswith("-n") for a in argv) else ["-n", str(min(os.cpu_count() or 1, 4))]
    started = time.monotonic()
    try:
        code = subprocess.call(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *workers, *argv], env=env
        )
    finally:
        if cluster is not None:
            cluster.stop()
    print(f"suite took {time.monotonic() - started:.0f} s")
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
