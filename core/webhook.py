"""Outgoing team webhooks (JSON POST, Slack/Mattermost compatible); failures are logged, never raised."""

from __future__ import annotations

import json
import logging
import threading
import urllib.request

log = logging.getLogger("comptoir.webhook")
TIMEOUT = 5.0


def post(url: str, text: str, payload: dict | None = None, wait: bool = False) -> threading.Thread:
    """POST {"text": ...} to `url` in a background thread with a timeout."""
    body = json.dumps({"text": text, **(payload or {})}).encode()

    def send() -> None:
        request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"}, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310 - URL is admin config
                response.read(1024)
        except Exception as exc:  # noqa: BLE001 - a webhook must never block or break escalation
            log.warning("webhook %s failed: %s", url.split("?")[0], type(exc).__name__)

    thread = threading.Thread(target=send, name="comptoir-webhook", daemon=True)
    thread.start()
    if wait:
        thread.join(TIMEOUT + 1)
    return thread
