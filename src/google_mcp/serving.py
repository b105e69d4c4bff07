"""Run a uvicorn server and learn its bound URL (port 0 picks a free one)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import anyio

if TYPE_CHECKING:  # kept out of start-up: stdio never needs uvicorn
    import uvicorn


async def serve_announced(server: uvicorn.Server, on_bound: Callable[[str], None]) -> None:
    """Serve until asked to exit; call `on_bound("http://host:port")` once the socket listens."""

    async def announce() -> None:
        while not server.started:  # noqa: ASYNC110 - uvicorn offers no event to wait on
            await anyio.sleep(0.005)
        host, port = server.servers[0].sockets[0].getsockname()[:2]
        on_bound(f"http://{host}:{port}")

    async with anyio.create_task_group() as tg:
        tg.start_soon(announce)
        await server.serve()
        tg.cancel_scope.cancel()
