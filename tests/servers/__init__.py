"""Real servers for tests: a private Dovecot, an SMTP sink and a TCP proxy that can cut connections.

Only fixtures.py needs pytest: the servers themselves import without it, so bench/ can use them
after a plain install.
"""

import os

REQUIRE_SERVERS_ENV = "COMPTOIR_REQUIRE_SERVERS"


def servers_required() -> bool:
    """True when COMPTOIR_REQUIRE_SERVERS=1: a missing server fails the test instead of skipping it."""
    return os.environ.get(REQUIRE_SERVERS_ENV, "") == "1"


def skip_or_fail(reason: str) -> None:
    """Skip with the reason, or fail when servers are required (CI must not silently skip)."""
    import pytest

    if servers_required():
        pytest.fail(f"{reason} ({REQUIRE_SERVERS_ENV}=1 makes this a failure)", pytrace=False)
    pytest.skip(reason)
