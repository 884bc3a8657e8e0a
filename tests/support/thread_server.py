"""A workspace server running in a thread of the test process (its own Workspace, its own loop), so
tests can reach into it, and it shares the test process's in-memory keyring."""

from __future__ import annotations

import asyncio
import threading

import pytest

from core.server.server import WorkspaceServer
from core.workspace.folder import open_workspace


class ThreadServer:
    def __init__(self, path, **options) -> None:
        self.ws = open_workspace(path)
        self.server = WorkspaceServer(self.ws, **options)
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            await self.server.run(self._stop, ready=self._ready.set)

        asyncio.run(main())

    def start(self) -> ThreadServer:
        self._thread.start()
        assert self._ready.wait(30), "the server did not start"
        return self

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)


@pytest.fixture
def serve_ws():
    """serve_ws(ws_path, **options) starts a server in a thread; all are stopped at the end."""
    started: list[ThreadServer] = []

    def start(path, **options) -> ThreadServer:
        options.setdefault("background", False)
        server = ThreadServer(path, **options).start()
        started.append(server)
        return server

    yield start
    for server in reversed(started):
        server.stop()
