"""Who is really acting, as the workspace server learnt it from the kernel, for the audit trail.

The server sets `ACTING_LOGIN` around each request it serves; every event written during that
request records the login, so "sophie as paul" survives in the history whatever `--as` said.
In-process callers (tests, one-shot admin tools) leave it unset.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

ACTING_LOGIN: ContextVar[str | None] = ContextVar("comptoir_acting_login", default=None)


def acting_login_details() -> dict[str, str]:
    """The `login` key an event's details carry, when the server knows who acts."""
    login = ACTING_LOGIN.get()
    return {"login": login} if login else {}


def actor_label(actor: str, details: dict[str, Any] | None) -> str:
    """'paul', or 'sophie as paul' when the real login differs from the agent acted as."""
    login = (details or {}).get("login")
    return f"{login} as {actor}" if login and login != actor else actor
