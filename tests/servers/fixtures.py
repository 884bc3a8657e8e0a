"""Pytest plugin with the real-server fixtures; register with pytest_plugins = ["tests.servers.fixtures"]."""

from __future__ import annotations

import itertools

import pytest

from tests.servers import skip_or_fail
from tests.servers.dovecot import Dovecot, DovecotUser, dovecot_available
from tests.servers.smtp import SmtpServer

_user_numbers = itertools.count(1)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "servers: needs real local servers (Dovecot, SMTP) started by fixtures")


@pytest.fixture(scope="session")
def dovecot() -> Dovecot:
    """One private Dovecot for the session (plain/STARTTLS on .port, implicit TLS on .tls_port)."""
    available, reason = dovecot_available()
    if not available:
        skip_or_fail(reason)
    server = Dovecot()
    try:
        server.start()
    except Exception as error:  # a broken install must be visible, with Dovecot's own log
        server.stop()
        skip_or_fail(f"Dovecot could not start: {error}")
    yield server
    server.stop()


@pytest.fixture
def imap_account(dovecot: Dovecot) -> DovecotUser:
    """A fresh, empty Dovecot user per test, so tests never see each other's mail."""
    return dovecot.add_user(f"user{next(_user_numbers)}", 'pa ss"w0rd')


@pytest.fixture
def smtp_server() -> SmtpServer:
    """A recording SMTP server on loopback, stopped after the test."""
    server = SmtpServer().start()
    yield server
    server.stop()
