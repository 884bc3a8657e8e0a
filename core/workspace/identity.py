"""Who is acting: the Unix login mapped to an agent in the config; `--as` only for demos and supervisors."""

from __future__ import annotations

import os
import pwd
from dataclasses import dataclass

from core.errors import IdentityError
from core.workspace.folder import Workspace


def unix_login() -> str:
    """The login of the real user id (not $USER, which anyone can set)."""
    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        return str(os.getuid())


def resolve_agent(ws: Workspace, as_agent: str | None = None) -> str:
    """The agent this process acts as (admin tools that open the workspace themselves): the same rule
    the server applies to its clients, with this process's own uid."""
    identity = resolve_peer(ws, os.getuid(), as_agent)
    if not identity.agent:
        raise IdentityError(
            f"you ({identity.login}) are not an agent of this workspace: add --as AGENT, or add "
            f'[[agents]] login = "{identity.login}" to {ws.config_path}.'
        )
    return identity.agent


@dataclass(frozen=True)
class PeerIdentity:
    """Who a socket client is: the kernel's uid as a login, the agent it acts as, and whether it is
    the server's own account (or root), which may act as any agent and run admin requests."""

    login: str
    agent: str
    admin: bool

    @property
    def label(self) -> str:
        return self.agent if self.login == self.agent else f"{self.login} as {self.agent or '(no agent)'}"


def login_of(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def resolve_peer(ws: Workspace, uid: int, as_agent: str | None) -> PeerIdentity:
    """Map a client's uid (from SO_PEERCRED, never from the client) to the agent it acts as.
    `--as` is honoured for supervisors, demo workspaces and the server's own account only."""
    login = login_of(uid)
    # The server's own account (or root) may act for anyone only when it is a pure service account;
    # an owner who is also an agent (a single-user workspace) follows the agents' rules.
    admin = uid in (0, os.geteuid()) and ws.config.agent(login) is None
    if as_agent and as_agent != login:
        if ws.config.agent(as_agent) is None and not (ws.is_demo and as_agent == _demo_agent()):
            known = ", ".join(a.login for a in ws.config.agents) or "none"
            raise IdentityError(f"--as {as_agent}: no such agent in {ws.config_path} (agents: {known}).")
        if admin or ws.is_demo or ws.config.is_supervisor(login):
            return PeerIdentity(login, as_agent, admin)
        raise IdentityError(
            f"--as is only for demo workspaces and supervisors; you ({login}) are "
            + ("an agent, not a supervisor." if ws.config.agent(login) else "not an agent of this workspace.")
        )
    if ws.config.agent(login) is not None:
        return PeerIdentity(login, login, admin)
    if ws.is_demo:
        return PeerIdentity(login, _demo_agent(), admin)
    if admin:
        return PeerIdentity(login, "", admin)
    raise IdentityError(
        f"you ({login}) are not an agent of this workspace. Ask a supervisor to add "
        f'[[agents]] login = "{login}" to {ws.config_path}.'
    )


def _demo_agent() -> str:
    from core.demo.seed import DEMO_AGENT

    return DEMO_AGENT
