"""What one caller may hold of the HTTP server: request bodies of a bounded size on every route, and a
bounded number of MCP sessions per caller and in all, with sessions nobody uses closed early.

Whoever reaches a limit gets a JSON answer saying which limit (and its setting) and what to do; nobody
else is affected. The connection-level deadlines (a request's head and body) are in `serving`.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import anyio
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from starlette.datastructures import Headers
from starlette.responses import JSONResponse

if TYPE_CHECKING:
    from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from google_mcp.settings import Settings

MCP_PATHS = ("/mcp", "/messages/")  # MCP messages: a larger body than the other routes


def _mcp_error(message: str, status: int, headers: dict[str, str] | None = None) -> JSONResponse:
    """A JSON-RPC error (no request id), the shape MCP clients show their user."""
    body = {"jsonrpc": "2.0", "id": None, "error": {"code": -32000, "message": message}}
    return JSONResponse(body, status_code=status, headers=headers)


class BodyLimit:
    """A request body larger than its route allows is answered 413 as soon as that is known: by its
    Content-Length before a byte of it is read, or by counting while it streams in. What the client still
    sends is discarded as it arrives (never kept) until the body deadline closes the connection: closing
    at once, with its bytes unread, would reset the connection and lose the 413 on the way."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.mcp, self.other = settings.max_mcp_body_bytes, settings.max_body_bytes

    def _refusal(self, path: str, cap: int) -> JSONResponse:
        setting = "GOOGLE_MCP_MAX_MCP_BODY_BYTES" if path.startswith(MCP_PATHS) else "GOOGLE_MCP_MAX_BODY_BYTES"
        message = f"The request body is larger than {cap} bytes, the most {path} accepts ({setting}): send less."
        if path.startswith(MCP_PATHS):
            return _mcp_error(message, 413)
        return JSONResponse({"error": message}, status_code=413)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        cap = self.mcp if path.startswith(MCP_PATHS) else self.other
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > cap:
            await self._refusal(path, cap)(scope, receive, send)
            return
        seen, refused, started = 0, False, False

        async def counting() -> Message:
            nonlocal seen, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > cap:  # the app is told the client went away; the client is told why
                    refused = True
                    if not started:
                        await self._refusal(path, cap)(scope, receive, send)
                    return {"type": "http.disconnect"}
            return message

        async def sending(message: Message) -> None:
            nonlocal started
            if refused:  # our 413 is the answer
                return
            started = True
            await send(message)

        await self.app(scope, counting, sending)


def _principal(user: Any) -> str | None:
    if isinstance(user, AuthenticatedUser):
        token = user.access_token
        return "person:" + token.subject if token.subject else token.client_id
    return None


class SessionLimits:
    """MCP sessions per caller (a bearer token's principal, or a signed-in person) and in all, counted
    over Streamable HTTP sessions and open SSE streams; a Streamable HTTP session that is opened and then
    never used again is closed after `session_unused_timeout` (the SDK's idle timeout covers the rest)."""

    def __init__(
        self,
        app: ASGIApp,
        settings: Settings,
        manager: Callable[[], StreamableHTTPSessionManager | None],
        people: Any = None,
    ) -> None:
        self.app, self.manager, self.people = app, manager, people
        self.total, self.each = settings.max_sessions, settings.max_sessions_per_principal
        self.unused, self.idle = settings.session_unused_timeout, settings.session_idle_timeout
        self.owners: dict[str, str] = {}  # Streamable HTTP session id -> its caller ("" when anonymous)
        self.held: Counter[str] = Counter()  # sessions being opened and SSE streams open, per caller
        self.used: set[str] = set()  # sessions a request has reached since they were opened

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path, method = scope.get("path", ""), scope["method"]
            session = Headers(scope=scope).get("mcp-session-id") if path == "/mcp" else None
            if session is not None:
                self.used.add(session)  # before the SDK sees it: no race with the unused deadline
            elif path == "/mcp" and method == "POST":
                await self._hold(scope, receive, send, opening=True)
                return
            if path == "/sse" and method == "GET":
                await self._hold(scope, receive, send, opening=False)
                return
        await self.app(scope, receive, send)

    def _live(self) -> dict[str, Any]:
        """The SDK's open sessions (it has no public view of them); ours forgotten once it drops them."""
        manager = self.manager()
        live: dict[str, Any] = manager._server_instances if manager is not None else {}
        for gone in [sid for sid in self.owners if sid not in live]:
            del self.owners[gone]
        self.used.intersection_update(live)
        return live

    async def _who(self, scope: Scope) -> str:
        found = _principal(scope.get("user"))
        if found is None and self.people is not None:  # many people: /mcp's token is the SDK's to check later
            header = Headers(scope=scope).get("authorization", "")
            token = header[7:].strip() if header.lower().startswith("bearer ") else ""
            access = await self.people.load_access_token(token) if token else None
            found = _principal(AuthenticatedUser(access)) if access is not None else None
        return found or ""

    async def _hold(self, scope: Scope, receive: Receive, send: Send, opening: bool) -> None:
        who = await self._who(scope)
        live = self._live()
        mine = sum(1 for owner in self.owners.values() if owner == who) + self.held[who]
        later = f"unused sessions close after {self.unused:g} s, idle ones after {self.idle:g} s"
        if len(live) + sum(self.held.values()) >= self.total:
            message = (
                f"The server holds as many MCP sessions as it allows ({self.total}, GOOGLE_MCP_MAX_SESSIONS): "
                f"try again in a minute ({later})."
            )
            await _mcp_error(message, 503, {"Retry-After": "60"})(scope, receive, send)
            return
        if who and mine >= self.each:
            message = (
                f"You hold {mine} open MCP sessions, the most one caller may "
                f"({self.each}, GOOGLE_MCP_MAX_SESSIONS_PER_PRINCIPAL): reuse one, or end those you no longer "
                f"use (HTTP DELETE /mcp with their Mcp-Session-Id header, or close the SSE stream); {later}."
            )
            await _mcp_error(message, 429, {"Retry-After": "60"})(scope, receive, send)
            return
        opened: list[str] = []

        async def watching(message: Message) -> None:
            if opening and message["type"] == "http.response.start" and message["status"] < 400:
                opened.extend(v.decode() for k, v in message.get("headers", []) if k.lower() == b"mcp-session-id")
            await send(message)

        self.held[who] += 1
        try:
            await self.app(scope, receive, watching)
        finally:
            self.held[who] -= 1
            if not self.held[who]:
                del self.held[who]
        for session in opened:
            self.owners[session] = who
            self._expire_unused(session)

    def _expire_unused(self, session: str) -> None:
        """The session closes after `unused` seconds unless a request reaches it first (each request puts
        the SDK's own idle deadline back, to `session_idle_timeout` after it ends)."""
        transport = self._live().get(session)
        scope = getattr(transport, "idle_scope", None)
        if session in self.used:  # a request came first: the SDK's idle deadline stands
            return
        if isinstance(scope, anyio.CancelScope) and scope.deadline != math.inf:  # inf: a request is in flight
            scope.deadline = min(scope.deadline, anyio.current_time() + self.unused)


def replay(body: bytes, receive: Receive) -> Receive:
    """A receive that gives the app the body already read, whole, then whatever comes next (a disconnect)."""
    sent = False

    async def again() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return again
