"""Outgoing team webhooks (JSON POST, Slack/Mattermost compatible) through a durable queue.

Escalation writes each post as a `webhook_post` row in the same transaction as the step that
caused it, so a one-shot command never loses one. The syncer delivers due rows, each with a
timeout, and retries failures with capped backoff until they succeed (at least once: a crash
between the server's answer and the commit posts that one again). Failures are logged without the
URL's query string, which often holds a token; they never raise into escalation.
"""

from __future__ import annotations

import asyncio
import json
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from core.mail import backoff
from core.store.models import WebhookPost
from core.store.rawsql import column_when
from core.workspace.folder import Workspace

log = logging.getLogger("comptoir.webhook")
TIMEOUT = 5.0
PER_PASS = 200


def enqueue(session: Session, url: str, text_: str, payload: dict[str, Any] | None, now: datetime) -> None:
    """Queue a POST of {"text": ..., **payload} to `url` inside the caller's transaction."""
    body = json.dumps({"text": text_, **(payload or {})}, ensure_ascii=False)
    session.add(WebhookPost(url=url, body=body, created_at=now))


def safe_url(url: str) -> str:
    """The URL without its query string, for logs."""
    return url.split("?")[0]


def post_once(url: str, body: bytes, timeout: float = TIMEOUT) -> None:
    """One blocking POST; raises OSError (or a subclass) when it does not get a 2xx answer."""
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=timeout) as response:
        response.read(1024)


@dataclass(frozen=True)
class _Due:
    id: int
    url: str
    body: str
    attempts: int


class WebhookQueue:
    """Delivers queued webhook posts; one instance per syncer (it assumes it holds the workspace lock)."""

    def __init__(
        self, ws: Workspace, retry_base: float = 10.0, retry_cap: float = 3600.0, timeout: float = TIMEOUT
    ) -> None:
        self.ws = ws
        self.retry_base = retry_base
        self.retry_cap = retry_cap
        self.timeout = timeout

    def _when(self, moment: datetime) -> object:
        return column_when(moment, self.ws.db.is_sqlite)

    def due(self, now: datetime) -> list[_Due]:
        with self.ws.db.read() as s:
            rows = s.execute(
                text(
                    "SELECT id, url, body, attempts FROM webhook_post WHERE state = 'queued' AND "
                    "(next_attempt_at IS NULL OR next_attempt_at <= :now) ORDER BY id LIMIT :n"
                ),
                {"now": self._when(now), "n": PER_PASS},
            ).all()
        return [_Due(*row) for row in rows]

    def _mark_sent(self, post: _Due, now: datetime) -> None:
        with self.ws.db.write() as s:
            s.execute(
                text(
                    "UPDATE webhook_post SET state = 'sent', sent_at = :now, attempts = attempts + 1, "
                    "last_error = NULL WHERE id = :id"
                ),
                {"now": self._when(now), "id": post.id},
            )

    def _retry_later(self, post: _Due, error: str, now: datetime) -> None:
        wait = backoff.delay(post.attempts, base=self.retry_base, cap=self.retry_cap)
        with self.ws.db.write() as s:
            s.execute(
                text(
                    "UPDATE webhook_post SET attempts = attempts + 1, next_attempt_at = :at, last_error = :e "
                    "WHERE id = :id"
                ),
                {"at": self._when(now + timedelta(seconds=wait)), "e": error[:500], "id": post.id},
            )

    async def deliver_due(self) -> int:
        """POST every due row; returns how many were delivered."""
        posts = await asyncio.to_thread(self.due, self.ws.clock.now())
        delivered = 0
        for post in posts:
            try:
                await asyncio.to_thread(post_once, post.url, post.body.encode(), self.timeout)
            except (OSError, ValueError, urllib.error.URLError) as error:
                reason = f"{type(error).__name__}: {getattr(error, 'reason', None) or getattr(error, 'code', '')}"
                log.warning(
                    "webhook %s failed (attempt %d), will retry: %s", safe_url(post.url), post.attempts + 1, reason
                )
                await asyncio.to_thread(self._retry_later, post, reason, self.ws.clock.now())
                continue
            await asyncio.to_thread(self._mark_sent, post, self.ws.clock.now())
            delivered += 1
        return delivered
