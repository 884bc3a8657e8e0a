"""The one place where a service refusal becomes an ActionResult the app shows as a toast.

The service refuses by the rules with a ComptoirError (not yours, changed since you opened it, ...);
the app shows such a refusal like any failed result. Anything else is a defect, and the worker's
failure handler shows it (tui.app.ComptoirApp.report_worker_error).
"""

from __future__ import annotations

from collections.abc import Callable

from core.errors import ComptoirError
from core.work.views import ActionResult


def as_result(call: Callable[[], ActionResult], conversation_id: int | None = None) -> ActionResult:
    """Run one acting service call; a refusal comes back as a failed ActionResult saying why."""
    try:
        return call()
    except ComptoirError as refusal:
        return ActionResult(False, str(refusal), conversation_id)
