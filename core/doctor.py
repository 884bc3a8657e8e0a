"""`comptoir doctor`: every check a new workspace needs, each with what is wrong and the fix."""

from __future__ import annotations

import socket
import ssl
from dataclasses import dataclass

from core import credentials, schema
from core.config import CONFIG_NAME, ServerEndpoint, load_config
from core.db import Database
from core.errors import ComptoirError
from routing.wording import counted
from core.workspace import database_url, find_workspace_dir, permission_problems

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
        checks.append(Check("config", True, f"{counted(len(config.teams), 'team')}, {counted(len(config.agents), 'agent')}, "
                                               f"{counted(len(config.accounts), 'account')}"))
    except ComptoirError as exc:
        checks.append(Check("config", False, str(exc)))
        return checks
    sqlite = config.workspace.database_url is None
    problems = permission_problems(path, sqlite=sqlite)
    checks.append(Check("permissions", not problems, "; ".join(problems) or "group and modes are right"))
    db = Database(database_url(path, config))
    try:
        db.check_reachable()
        current, head = schema.current_revision(db), schema.head_revision()
        checks.append(Check("database", True, db.safe_url))
        checks.append(Check("schema", current == head,
                            f"at {current}" if current == head else f"at {current}, code expects {head}: open it once with comptoir to upgrade"))
    except ComptoirError as exc:
        checks.append(Check("database", False, str(exc)))
    finally:
        db.dispose()
    try:
        info = credentials.describe_backend()
        checks.append(Check("keyring", info.private, f"{info.name}: {info.protection}", warning=info.private and not info.safe))
    except Exception as exc:  # noqa: BLE001 - a broken keyring is a finding, not a crash
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
