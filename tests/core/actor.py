"""A second process for the change-feed test and bench: opens the workspace and acts.

python -m tests.core.actor WORKSPACE AGENT CONVERSATION_ID [REPEAT]
With REPEAT, claims and releases REPEAT times, printing "<n> <time.time() just after commit>" per action,
reading a line from stdin before each action so the subscriber paces it.
"""

from __future__ import annotations

import sys
import time

from core.work import actions
from core.workspace.folder import open_workspace
from tests.conftest import NOW


def main(argv: list[str]) -> int:
    path, agent, cid = argv[0], argv[1], int(argv[2])
    ws = open_workspace(path)
    try:
        if len(argv) < 4:
            result = actions.claim(ws, agent, cid, NOW)
            print("ok" if result.ok else f"refused: {result.message}", flush=True)
            return 0 if result.ok else 1
        for n in range(int(argv[3])):
            if not sys.stdin.readline():
                break
            result = (actions.claim if n % 2 == 0 else actions.release)(ws, agent, cid, NOW)
            committed = time.time()
            if not result.ok:
                print(f"refused: {result.message}", flush=True)
                return 1
            print(f"{n} {committed!r}", flush=True)
        return 0
    finally:
        ws.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
