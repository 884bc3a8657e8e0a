"""`python -m core.server`: what `comptoir server` and an auto-starting client run."""

from __future__ import annotations

import sys

from core.server.run import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
