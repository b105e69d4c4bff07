"""Draining: what a backend does between SIGTERM and its exit, so a balancer loses nothing.

At SIGTERM `/health/ready` turns 503 at once, new work is answered 503 with Retry-After (the balancer
sends it to another backend), and the work already running (tool calls, approvals) gets up to
GOOGLE_MCP_DRAIN_SECONDS to finish. An approved action still executing at the bound is recorded
`unknown` (it may have reached Google; it is never run again by itself), then the process exits 0.
Replies to the server's own questions (a 2025-era elicitation answer) are still taken while draining:
they finish work that is running here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import anyio
from starlette.datastructures import Headers
from starlette.responses import JSONResponse

from google_mcp.limits import replay

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Receive, Scope, Send

RETRY_AFTER = 1  # seconds: by then the balancer has another backend for it


class Drain:
    """This process's work in progress, and whether it is draining."""

    def __init__(self) -> None:
        self.draining = False
        self.busy = 0
        self._idle: anyio.Event | None = None

    @contextmanager
    def working(self) -> Iterator[None]:
        """Around a unit of work that a drain waits for (a tool call, an approval)."""
        self.busy += 1
        try:
            yield
        finally:
            self.busy -= 1
            if self.busy == 0 and self._idle is not None:
                self._idle.set()

    def begin(self) -> None:
        self.draining = True

    async def settle(self, seconds: float) -> bool:
        """Wait until no work runs here, at most `seconds`; whether it all finished."""
        with anyio.move_on_after(seconds):
            while self.busy:
                self._idle = anyio.Event()
                await self._idle.wait()
            return True
        return False


def _refusal() -> JSONResponse:
    message = "This server is shutting down: send the request again (the balancer routes it to another one)."
    body = {"jsonrpc": "2.0", "id": None, "error": {"code": -32000, "message": message}}
    return JSONResponse(body, status_code=503, headers={"Retry-After": str(RETRY_AFTER), "Connection": "close"})


def _starts_work(body: bytes) -> bool:
    """Whether a JSON-RPC message (or batch) asks for something new; replies and notifications do not."""
    try:
        found = json.loads(body or b"null")
    except ValueError:
        return True
    messages = found if isinstance(found, list) else [found]
    return any(isinstance(m, dict) and "method" in m and "id" in m for m in messages)


class Refusing:
    """While draining: new requests get 503 with Retry-After; health checks and replies to our own
    questions go through. Costs nothing while the process is not draining."""

    def __init__(self, app: ASGIApp, drain: Drain, max_body: int) -> None:
        self.app, self.drain, self.max_body = app, drain, max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.drain.draining or scope.get("path", "").startswith("/health"):
            await self.app(scope, receive, send)
            return
        if scope["method"] == "DELETE":  # a client closing its session
            await self.app(scope, receive, send)
            return
        if scope["method"] != "POST" or not scope.get("path", "").startswith(("/mcp", "/messages/")):
            await _refusal()(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_body:
            await _refusal()(scope, receive, send)
            return
        body, more = b"", True
        while more and len(body) <= self.max_body:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            body += message.get("body", b"")
            more = message.get("more_body", False)
        if more or _starts_work(body):
            await _refusal()(scope, receive, send)
            return
        await self.app(scope, replay(body, receive), send)
