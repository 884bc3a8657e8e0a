"""What every screen and dialog shares: a failed worker becomes a toast instead of passing unnoticed.

Worker state messages do not bubble, so each screen forwards its own workers' failures to the app.
"""

from __future__ import annotations

from textual.worker import Worker, WorkerState


class ReportsWorkerErrors:
    """Mixin for screens whose thread workers call the service."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            self.app.report_worker_error(event.worker)  # type: ignore[attr-defined]
