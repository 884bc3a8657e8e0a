"""The server's duties and how each is doing: a failure is logged with its traceback, kept for
`doctor` and the app's status line, alerted to supervisors once per run of failures, and retried
after a capped exponential backoff."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from core.mail.backoff import ceiling
from core.work.views import DutyView
from core.workspace.folder import Workspace
from routing.wording import counted

log = logging.getLogger("comptoir.server")


@dataclass
class _Duty:
    name: str
    ok: bool = True
    failures: int = 0
    error: str = ""
    since: datetime | None = None
    alerted: bool = False


class Health:
    def __init__(self, ws: Workspace, on_change: Callable[[], None] | None = None) -> None:
        self.ws = ws
        self.on_change = on_change
        self._duties: dict[str, _Duty] = {}
        self._lock = threading.Lock()

    def ok(self, name: str) -> None:
        with self._lock:
            duty = self._duties.setdefault(name, _Duty(name))
            if duty.ok:
                return
            log.info("%s works again after %s", name, counted(duty.failures, "failure"))
            unreported = not duty.alerted
            error, failed_since = duty.error, duty.since
            duty.ok, duty.failures, duty.alerted, duty.since = True, 0, False, _now()
        if unreported:
            # The alert could not be written while it failed (the database itself, say): say it now.
            self._alert_supervisors(name, f"{error}, from {failed_since:%Y-%m-%d %H:%M} UTC; it works again now")
        self._changed()

    def failed(self, name: str, error: BaseException, alert: bool = True, traceback: bool = True) -> None:
        """`name` failed: logged (with the traceback unless the message says it all), kept, alerted."""
        if traceback:
            log.error("%s failed: %s: %s", name, type(error).__name__, error, exc_info=error)
        with self._lock:
            duty = self._duties.setdefault(name, _Duty(name))
            first = duty.ok
            duty.ok, duty.failures = False, duty.failures + 1
            duty.error = f"{type(error).__name__}: {error}".splitlines()[0][:300]
            if first:
                duty.since = _now()
            must_alert = alert and not duty.alerted
        if must_alert and self._alert_supervisors(name, duty.error):
            with self._lock:
                duty.alerted = True
        self._changed()

    def backoff(self, name: str) -> float:
        """Seconds to wait before trying `name` again: 1 s growing 1.8x a failure, at most 5 minutes."""
        with self._lock:
            failures = self._duties.get(name, _Duty(name)).failures
        return ceiling(max(failures - 1, 0), base=1.0, cap=300.0)

    def views(self) -> list[DutyView]:
        with self._lock:
            return [DutyView(d.name, d.ok, d.error, d.failures, d.since) for d in self._duties.values()]

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()

    def _alert_supervisors(self, name: str, error: str) -> bool:
        """Alert the supervisors; False when the alert could not be written (tried again later)."""
        from core.work.journal import alert_supervisors

        return alert_supervisors(
            self.ws,
            "server_trouble",
            f"The workspace server's {name} fails ({error}); it retries by itself. Details: {self.ws.log_path}",
        )


def _now() -> datetime:
    return datetime.now(UTC)
