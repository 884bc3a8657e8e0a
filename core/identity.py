"""Who is acting: the Unix login mapped to an agent in the config; `--as` only for demos and supervisors."""

from __future__ import annotations

import os
import pwd

from core.errors import IdentityError
from core.workspace import Workspace


def unix_login() -> str:
    """The login of the real user id (not $USER, which anyone can set)."""
    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        return str(os.getuid())


def resolve_agent(ws: Workspace, as_agent: str | None = None, login: str | None = None) -> str:
    login = login or unix_login()
    me = ws.config.agent(login)
    if as_agent and as_agent != login:
        target = ws.config.agent(as_agent)
        if target is None:
            known = ", ".join(a.login for a in ws.config.agents) or "none"
            raise IdentityError(f"--as {as_agent}: no such agent in {ws.config_path} (agents: {known}).")
        if ws.is_demo or ws.config.is_supervisor(login):
            return as_agent
        raise IdentityError(
            f"--as is only for demo workspaces and supervisors; you ({login}) are "
            + ("an agent, not a supervisor." if me else "not an agent of this workspace.")
        )
    if me is None:
        if ws.is_demo:
            from core.demo import DEMO_AGENT

            return DEMO_AGENT
        raise IdentityError(
            f"you ({login}) are not an agent of this workspace. Ask a supervisor to add "
            f"[[agents]] login = \"{login}\" to {ws.config_path}."
        )
    return login
