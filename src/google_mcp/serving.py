"""Run a uvicorn server and learn its bound URL (port 0 picks a free one); the connection-level limits."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import socket
import threading
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any

import anyio

if TYPE_CHECKING:  # kept out of start-up: stdio never needs uvicorn
    from types import FrameType

    import uvicorn

    from google_mcp.drain import Drain

log = logging.getLogger(__name__)


def bind(host: str, port: int) -> socket.socket:
    """The listening socket, or one line that says what to do when the port is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # with the protocol number asyncio turns Nagle off on every accepted connection (else ~40 ms a call)
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
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
    server: uvicorn.Server,
    on_bound: Callable[[str], None],
    sock: socket.socket | None = None,
    also: Callable[[], Coroutine[Any, Any, None]] | None = None,
) -> None:
    """Serve until asked to exit; call `on_bound("http://host:port")` once the socket listens; run `also`
    beside it for the server's life."""

    async def announce() -> None:
        while not server.started:  # noqa: ASYNC110 - uvicorn offers no event to wait on
            await anyio.sleep(0.005)
        host, port = server.servers[0].sockets[0].getsockname()[:2]
        on_bound(f"http://{host}:{port}")

    async with anyio.create_task_group() as tg:
        tg.start_soon(announce)
        if also is not None:
            tg.start_soon(also)
        await server.serve(sockets=[sock] if sock is not None else None)
        tg.cancel_scope.cancel()


CLOSE_STREAMS = 3  # seconds, after a drain, for open streams (SSE) to be closed before their tasks are cut
LAST_RESORT = 10.0  # seconds after that: a process still held by work that ignores cancellation exits anyway


class Signalled:
    """SIGTERM, as an event the server's loop can wait on (the handler runs between two bytecodes of the
    loop's own thread, so it only schedules)."""

    def __init__(self) -> None:
        self._event: anyio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._fired = False

    def set(self) -> None:
        self._fired = True
        if self._loop is not None and self._event is not None:
            self._loop.call_soon_threadsafe(self._event.set)

    async def wait(self) -> None:
        self._loop, self._event = asyncio.get_running_loop(), anyio.Event()
        if self._fired:
            self._event.set()
        await self._event.wait()


def draining_server(config: uvicorn.Config, on_term: Callable[[], None]) -> uvicorn.Server:
    """uvicorn's server, except that SIGTERM calls `on_term` (the drain) instead of stopping at once; a
    second SIGTERM, or SIGINT, stops at once as before."""
    import uvicorn

    class Server(uvicorn.Server):
        draining = False

        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            if sig == signal.SIGTERM and not self.draining:
                self.draining = True
                on_term()
                return
            super().handle_exit(sig, frame)

    return Server(config)


async def drain_then_exit(
    server: uvicorn.Server,
    drain: Drain,
    interrupted: Callable[[str], Awaitable[list[str]]],
    seconds: float,
) -> None:
    """Ready goes false and new work is refused (drain.begin); what runs gets `seconds` to finish; an
    action still executing then is recorded unknown (`interrupted`); then the server exits, with 0."""
    drain.begin()
    log.warning("draining: SIGTERM; %d call(s) running, up to %g s to finish", drain.busy, seconds)
    if not await drain.settle(seconds):
        why = (
            f"The server carrying it out was stopped (its drain bound, {seconds:g} s, passed): its outcome is unknown."
        )
        with anyio.CancelScope(shield=True):
            stopped = await interrupted(why)
        log.warning("draining: bound passed with %d call(s) running; recorded unknown: %s", drain.busy, stopped)
    server.should_exit = True
    last = threading.Timer(CLOSE_STREAMS + LAST_RESORT, os._exit, (0,))
    last.daemon = True
    last.start()


TIMED_OUT = b"HTTP/1.1 408 Request Timeout\r\nContent-Type: application/json\r\nConnection: close\r\n"


def http_protocol(head_seconds: float, body_seconds: float) -> type[Any]:
    """uvicorn's h11 protocol with the deadlines it lacks: a request's head must arrive within
    `head_seconds` of the connection (or of the previous response), its body within `body_seconds` of the
    head; otherwise the connection is answered 408 and closed. Nagle is off on every connection."""

    from uvicorn.protocols.http.h11_impl import H11Protocol

    class Protocol(H11Protocol):
        deadline: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            sock = transport.get_extra_info("socket")
            if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            super().connection_made(transport)
            self._arm(head_seconds, "head")

        def data_received(self, data: bytes) -> None:
            between = self.cycle is None or self.cycle.response_complete
            before = self.cycle
            super().data_received(data)
            if self.cycle is not before:  # a new request's head is in
                self._disarm()
                if not self.cycle.response_complete and self.cycle.more_body:
                    self._arm(body_seconds, "body")
            elif self.cycle is not None and not self.cycle.more_body and self.deadline is not None and not between:
                self._disarm()  # the body is complete
            elif between and self.deadline is None:  # the next request has begun
                self._arm(head_seconds, "head")

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if self.cycle is not None and self.cycle.more_body is False:
                self._disarm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _arm(self, seconds: float, part: str) -> None:
            self._disarm()
            self.deadline = self.loop.call_later(seconds, self._expired, seconds, part)

        def _disarm(self) -> None:
            if self.deadline is not None:
                self.deadline.cancel()
                self.deadline = None

        def _expired(self, seconds: float, part: str) -> None:
            self.deadline = None
            if self.transport.is_closing():
                return
            between = self.cycle is None or self.cycle.response_complete
            if (part == "head" and between) or (part == "body" and not self.cycle.response_started):
                said = f"The request's {part} did not arrive within {seconds:g} s: send the whole request at once."
                body = json.dumps({"error": said}).encode()
                self.transport.write(TIMED_OUT + b"Content-Length: %d\r\n\r\n" % len(body) + body)
            self.transport.close()  # the app, if one runs, sees the disconnect

    return Protocol
