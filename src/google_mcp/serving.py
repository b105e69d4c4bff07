"""Run a uvicorn server and learn its bound URL (port 0 picks a free one)."""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import TYPE_CHECKING

import anyio

if TYPE_CHECKING:  # kept out of start-up: stdio never needs uvicorn
    import uvicorn


def bind(host: str, port: int) -> socket.socket:
    """The listening socket, or one line that says what to do when the port is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise SystemExit(
            f"error: cannot listen on {host}:{port} ({exc.strerror}). Stop what uses it, or choose another "
            "port with --port (0 picks a free one)."
        ) from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


async def serve_announced(
    server: uvicorn.Server, on_bound: Callable[[str], None], sock: socket.socket | None = None
) -> None:
    """Serve until asked to exit; call `on_bound("http://host:port")` once the socket listens."""

    async def announce() -> None:
        while not server.started:  # noqa: ASYNC110 - uvicorn offers no event to wait on
            await anyio.sleep(0.005)
        host, port = server.servers[0].sockets[0].getsockname()[:2]
        on_bound(f"http://{host}:{port}")

    async with anyio.create_task_group() as tg:
        tg.start_soon(announce)
        await server.serve(sockets=[sock] if sock is not None else None)
        tg.cancel_scope.cancel()
