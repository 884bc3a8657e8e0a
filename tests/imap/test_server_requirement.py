"""COMPTOIR_REQUIRE_SERVERS=1 turns a missing server into a failure instead of a skip."""

import pytest

from tests.servers import skip_or_fail


def test_missing_server_skips_by_default(monkeypatch):
    monkeypatch.delenv("COMPTOIR_REQUIRE_SERVERS", raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install dovecot-imapd"):
        skip_or_fail("Dovecot is not installed; run: apt-get install dovecot-imapd")


def test_missing_server_fails_when_servers_are_required(monkeypatch):
    monkeypatch.setenv("COMPTOIR_REQUIRE_SERVERS", "1")
    with pytest.raises(pytest.fail.Exception, match="COMPTOIR_REQUIRE_SERVERS=1"):
        skip_or_fail("Dovecot is not installed; run: apt-get install dovecot-imapd")
