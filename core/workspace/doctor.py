"""`comptoir doctor`: every check a new workspace needs, each with what is wrong and the fix."""

from __future__ import annotations

import os
import socket
import ssl
from dataclasses import dataclass
from pathlib import Path

from core.errors import ComptoirError
from core.store import schema
from core.store.db import SQLITE_NAME, Database
from core.workspace import credentials
from core.workspace.config import CONFIG_NAME, Config, ServerEndpoint, load_config
from core.workspace.folder import database_url, find_workspace_dir, permission_problems
from routing.wording import counted

TIMEOUT = 5.0


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    warning: bool = False
    """Passes, but something is weaker than it should be: printed as [warn], not [ok]."""

    @property
    def label(self) -> str:
        if not self.ok:
            return "FAIL"
        return "warn" if self.warning else "ok"


def run_doctor(explicit: str | None, check_servers: bool = True) -> list[Check]:
    checks: list[Check] = []
    path = find_workspace_dir(explicit)
    if not path.is_dir():
        return [Check("workspace", False, f"no workspace at {path}: run `comptoir init {path}`")]
    checks.append(Check("workspace", True, str(path)))
    try:
        config = load_config(path / CONFIG_NAME)
        checks.append(
            Check(
                "config",
                True,
                f"{counted(len(config.teams), 'team')}, {counted(len(config.agents), 'agent')}, "
                f"{counted(len(config.accounts), 'account')}",
            )
        )
    except ComptoirError as exc:
        checks.append(Check("config", False, str(exc)))
        return checks
    sqlite = config.workspace.database_url is None
    problems = permission_problems(path, sqlite=sqlite)
    checks.append(
        Check(
            "permissions",
            not problems,
            "; ".join(problems) or "only the server's account reads the database; the group reads the config",
        )
    )
    checks.extend(server_checks(path))
    if sqlite and not os.access(path / SQLITE_NAME, os.R_OK):
        checks.append(Check("database", True, "only the workspace server opens it, as it should"))
        return checks + keyring_checks(config, check_servers)
    db = Database(database_url(path, config))
    try:
        db.check_reachable()
        current, head = schema.current_revision(db), schema.head_revision()
        checks.append(Check("database", True, db.safe_url))
        checks.append(
            Check(
                "schema",
                current == head,
                f"at {current}"
                if current == head
                else f"at {current}, code expects {head}: open it once with comptoir to upgrade",
            )
        )
    except ComptoirError as exc:
        checks.append(Check("database", False, str(exc)))
    finally:
        db.dispose()
    return checks + keyring_checks(config, check_servers)


def server_checks(path: Path) -> list[Check]:
    """Does the workspace server answer, and does each of its duties work (as it says itself)?"""
    from core.server.client import RemoteComptoir, ServerUnavailable

    try:
        client = RemoteComptoir(path, autostart=False, client="doctor")
    except ServerUnavailable as exc:
        if os.stat(path).st_uid == os.getuid():
            # Yours: the first `comptoir` starts one, as tmux does; a team should run it as a service.
            return [
                Check(
                    "server",
                    True,
                    "no server runs now; the first `comptoir` you run starts one "
                    "(a team runs it as a service: docs/server.md)",
                    warning=True,
                )
            ]
        return [Check("server", False, str(exc))]
    except ComptoirError as exc:
        return [Check("server", False, str(exc))]
    try:
        duties = client.health()
        checks = [
            Check(
                "server",
                True,
                f"pid {client.server_pid} answers; you are {client.login}"
                + (f" acting as {client.agent}" if client.agent and client.agent != client.login else ""),
            )
        ]
        for duty in duties:
            detail = (
                "works"
                if duty.ok
                else (
                    f"FAILING {counted(duty.failures, 'time')} since {duty.since:%Y-%m-%d %H:%M} UTC: "
                    f"{duty.error} (the server retries by itself; its log has the details)"
                )
            )
            checks.append(Check(f"server duty {duty.name}", duty.ok, detail))
        return checks
    except ComptoirError as exc:
        return [Check("server", False, str(exc))]
    finally:
        client.close()


def keyring_checks(config: Config, check_servers: bool) -> list[Check]:
    checks: list[Check] = []
    try:
        info = credentials.describe_backend()
        checks.append(
            Check("keyring", info.private, f"{info.name}: {info.protection}", warning=info.private and not info.safe)
        )
    except Exception as exc:
        checks.append(Check("keyring", False, f"no usable keyring backend ({type(exc).__name__})"))
    for account in config.accounts:
        try:
            credentials.get_password(account.name)
            checks.append(Check(f"account {account.name} password", True, "stored in the keyring"))
        except ComptoirError as exc:
            checks.append(Check(f"account {account.name} password", False, str(exc)))
        if check_servers:
            for kind, endpoint in (("imap", account.imap), ("smtp", account.smtp)):
                ok, detail = reach(endpoint)
                checks.append(Check(f"account {account.name} {kind}", ok, detail))
    return checks


def reach(endpoint: ServerEndpoint) -> tuple[bool, str]:
    """TCP connect, and the TLS handshake for implicit TLS, within a timeout."""
    where = f"{endpoint.host}:{endpoint.port} ({endpoint.tls})"
    try:
        with socket.create_connection((endpoint.host, endpoint.port), timeout=TIMEOUT) as sock:
            if endpoint.tls == "tls":
                context = ssl.create_default_context(cafile=endpoint.cafile)
                with context.wrap_socket(sock, server_hostname=endpoint.host):
                    pass
    except ssl.SSLCertVerificationError as exc:
        return False, f"{where}: certificate not trusted ({exc.verify_message}); set cafile for a private CA"
    except OSError as exc:
        return False, f"{where}: {exc.strerror or type(exc).__name__}"
    return True, f"{where} reachable"
