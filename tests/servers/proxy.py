"""A loopback TCP proxy in the running event loop that can cut connections, e.g. in the middle of a FETCH."""

from __future__ import annotations

import asyncio


class TcpProxy:
    """Forwards 127.0.0.1:`port` to a target; `cut_after_bytes` aborts a connection once that much went downstream."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self.cut_after_bytes: int | None = None
        self.bytes_down = 0
        self.cuts = 0
        self.connections = 0
        """Client connections accepted so far."""
        self._server: asyncio.base_events.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task] = set()

    async def start(self) -> TcpProxy:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        self.cut_all()
        if self._server is not None:
            self._server.close()
            await asyncio.wait_for(self._server.wait_closed(), 5)
        for task in list(self._tasks):
            task.cancel()

    def cut_all(self) -> None:
        """Abort every open connection on both sides (an RST, like a dropped link)."""
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()
        self.cuts += 1

    async def __aenter__(self) -> TcpProxy:
        return await self.start()

    async def __aexit__(self, *exc_info) -> None:
        await self.stop()

    async def _serve(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            server_reader, server_writer = await asyncio.wait_for(asyncio.open_connection(*self.target), 5)
        except (TimeoutError, OSError):
            client_writer.transport.abort()
            return
        self._writers.update((client_writer, server_writer))
        up = asyncio.ensure_future(self._pump(client_reader, server_writer, downstream=False))
        down = asyncio.ensure_future(self._pump(server_reader, client_writer, downstream=True))
        self._tasks.update((up, down))
        await asyncio.wait({up, down}, return_when=asyncio.FIRST_COMPLETED)
        for writer in (client_writer, server_writer):
            writer.transport.abort()
            self._writers.discard(writer)
        for task in (up, down):
            task.cancel()
            self._tasks.discard(task)

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, downstream: bool) -> None:
        while True:
            data = await reader.read(65536)
            if not data:
                return
            if downstream and self.cut_after_bytes is not None:
                room = self.cut_after_bytes - self.bytes_down
                if room <= len(data):
                    writer.write(data[: max(room, 0)])
                    self.bytes_down += max(room, 0)
                    self.cut_all()
                    return
            if downstream:
                self.bytes_down += len(data)
            writer.write(data)
            await writer.drain()
