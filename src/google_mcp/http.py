"""The HTTP app: Streamable HTTP at /mcp, SSE at /sse, and /health, /confirm, /chat, behind one guard.

The guard runs before every route: a Host that is not ours (DNS rebinding) gets 421, an Origin that
is not ours (a web page in the person's browser) 403, and with bearer tokens configured every route
but /health needs one (401). Out-of-band approval additionally needs the approval key, which the
model never sees; no state-changing route answers a request a browser could send cross-site
without a preflight (they need a custom header or a JSON body, and no CORS is offered).
Inside the guard, `limits` bounds what one caller may hold (bodies, MCP sessions); `serving` bounds how
long a request's head and body may take.
"""

from __future__ import annotations

import hashlib
import hmac
import sys
from typing import TYPE_CHECKING, Any

import anyio
from mcp.server.auth.middleware.auth_context import auth_context_var
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.auth.provider import AccessToken
from mcp.server.transport_security import TransportSecuritySettings
from starlette.datastructures import Headers
from starlette.responses import JSONResponse, PlainTextResponse, Response

from google_mcp.drain import Refusing
from google_mcp.limits import BodyLimit, SessionLimits
from google_mcp.serving import (
    CLOSE_STREAMS,
    Signalled,
    bind,
    drain_then_exit,
    draining_server,
    http_protocol,
    serve_announced,
)
from google_mcp.settings import LOOPBACK, Settings

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from google_mcp.registry import Server
    from google_mcp.state import AppState


def principal_of(token: str) -> str:
    """A stable name for a bearer token that does not reveal it."""
    return "bearer:" + hashlib.sha256(token.encode()).hexdigest()[:16]


def _allowed(settings: Settings) -> tuple[list[str], list[str]]:
    hosts = ["127.0.0.1:*", "localhost:*", "[::1]:*"]
    origins = ["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*"]
    if not settings.loopback:
        hosts.append(f"{settings.host}:*")
    if settings.public_url:  # where Google's pushes arrive
        from urllib.parse import urlsplit

        public = urlsplit(settings.public_url)
        hosts.append(public.netloc if ":" in public.netloc else f"{public.netloc}:*")
        origins.append(f"{public.scheme}://{public.netloc}")  # our own pages post back (the approval page)
    for host in settings.allowed_hosts:
        hosts.append(host if ":" in host else f"{host}:*")
        origins += [f"http://{host}", f"https://{host}"]
    return hosts, origins


def _matches(value: str, patterns: list[str]) -> bool:
    for pattern in patterns:
        if pattern.endswith(":*"):
            base = pattern[:-2]
            if value == base or (value.startswith(base + ":") and value[len(base) + 1 :].isdigit()):
                return True
        elif value == pattern:
            return True
    return False


def transport_security(settings: Settings) -> TransportSecuritySettings:
    hosts, origins = _allowed(settings)
    return TransportSecuritySettings(enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins)


class Guard:
    """Host, Origin and bearer token, checked once for every HTTP route."""

    def __init__(self, app: ASGIApp, settings: Settings, people: Any = None) -> None:
        self.app = app
        self.hosts, self.origins = _allowed(settings)
        self.tokens = [t.encode() for t in settings.bearer_tokens()]
        self.people = people  # many people (OAuth): our provider checks their tokens
        self.cors = set(settings.cors_origins)  # browser front ends of /chat and /approve
        self.resource_metadata = settings.base_url + "/.well-known/oauth-protected-resource/mcp"

    def _principal(self, headers: Headers) -> str | None:
        header = headers.get("authorization", "")
        given = header[7:].strip().encode() if header.lower().startswith("bearer ") else b""
        found = None
        for token in self.tokens:  # every token compared, in constant time
            if given and hmac.compare_digest(given, token):
                found = principal_of(token.decode())
        return found

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if not _matches(headers.get("host", ""), self.hosts):
            await PlainTextResponse("Invalid Host header", status_code=421)(scope, receive, send)
            return
        origin = headers.get("origin")
        path = scope.get("path", "")
        front_end = origin is not None and origin in self.cors and path.startswith(CORS_PATHS)
        if origin is not None and not front_end and not _matches(origin, self.origins):
            await PlainTextResponse("Invalid Origin header", status_code=403)(scope, receive, send)
            return
        if front_end:
            assert origin is not None
            if scope["method"] == "OPTIONS" and "access-control-request-method" in headers:  # the preflight
                await Response(status_code=204, headers=_cors(origin, preflight=True))(scope, receive, send)
                return
            send = _with_cors(send, origin)
        if scope["method"] in ("GET", "HEAD") and path == PAGE:  # the /chat page's shell: it signs in itself
            await self.app(scope, receive, send)
            return
        if self.people is not None:
            await self._people(scope, receive, send, headers, path)
            return
        if not self.tokens or path in OPEN:
            await self.app(scope, receive, send)
            return
        principal = self._principal(headers)
        if principal is None:
            response = JSONResponse(
                {"error": "invalid_token", "error_description": "A valid bearer token is required."},
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer realm="google-mcp"'},
            )
            await response(scope, receive, send)
            return
        await self._as(AccessToken(token="", client_id=principal, scopes=[]), scope, receive, send)

    async def _as(self, token: AccessToken, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve the request as the caller the token names (what the tools see as the principal)."""
        user = AuthenticatedUser(token)
        scope["user"] = user
        reset = auth_context_var.set(user)
        try:
            await self.app(scope, receive, send)
        finally:
            auth_context_var.reset(reset)

    async def _people(self, scope: Scope, receive: Receive, send: Send, headers: Headers, path: str) -> None:
        """Many people: /mcp and /sse are the SDK's to check (401 with the resource metadata); the sign-in
        routes are open; our own routes take a person's access token, checked here."""
        if not path.startswith(PERSONAL):
            await self.app(scope, receive, send)
            return
        header = headers.get("authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else ""
        found = await self.people.load_access_token(token) if token else None
        if found is None and not token:  # the /chat page: the browser session and its CSRF token
            from google_mcp.views.chat import session_caller

            found = await session_caller(self.people, headers, path)
        if found is None:
            challenge = f'Bearer error="invalid_token", resource_metadata="{self.resource_metadata}"'
            response = JSONResponse(
                {"error": "invalid_token", "error_description": "Sign in: a valid access token is required."},
                status_code=401,
                headers={"WWW-Authenticate": challenge},
            )
            await response(scope, receive, send)
            return
        await self._as(found, scope, receive, send)


OPEN = ("/health", "/health/live", "/health/ready", "/hooks/gmail", "/hooks/calendar")  # pushes prove themselves
PERSONAL = ("/chat", "/confirm/")  # our routes that act for a person
PAGE = "/chat"  # GET: the page (views/chat.py), which asks for its own sign-in
CORS_PATHS = ("/chat", "/approve/")  # what a browser front end on GOOGLE_MCP_CORS_ORIGINS may call


def _cors(origin: str, preflight: bool = False) -> dict[str, str]:
    """CORS for one allowed origin: credentials for it alone, never a wildcard."""
    out = {"Access-Control-Allow-Origin": origin, "Access-Control-Allow-Credentials": "true", "Vary": "Origin"}
    if preflight:
        out.update(
            {
                "Access-Control-Allow-Methods": "GET, POST",
                "Access-Control-Allow-Headers": "Authorization, Content-Type",
                "Access-Control-Max-Age": "600",
            }
        )
    return out


def _with_cors(send: Send, origin: str) -> Send:
    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            extra = [(k.lower().encode(), v.encode()) for k, v in _cors(origin).items()]
            message = {**message, "headers": [*message.get("headers", []), *extra]}
        await send(message)

    return sending


def check_exposure(settings: Settings) -> None:
    if settings.oauth and not (settings.public_url or settings.port):
        raise SystemExit("Signing people in needs a fixed address: set GOOGLE_MCP_PUBLIC_URL (or a --port).")
    if settings.host not in LOOPBACK and not settings.bearer_tokens() and not settings.oauth:
        raise SystemExit(
            f"Refusing to serve on {settings.host} without a bearer token: set GOOGLE_MCP_AUTH_TOKEN "
            "(or bind to 127.0.0.1)."
        )


def build_http_app(server: Server, state: AppState, settings: Settings, transport: str) -> ASGIApp:
    """SSE only for `sse`; Streamable HTTP plus SSE for `http`. Both serve /health, /confirm and /chat."""
    security = transport_security(settings)
    sse = server.sse_app(transport_security=security, host=settings.host)
    people = state.extras.get("people")
    auth = server.settings.auth
    if people is not None and auth is not None:  # what the SDK's OAuth endpoints lack, and our metadata
        from google_mcp.people.setup import front

        sse = front(sse, settings, auth)
    if transport == "sse":
        limited = BodyLimit(SessionLimits(sse, settings, lambda: None, people), settings)
        return Guard(Refusing(limited, state.drain, settings.max_mcp_body_bytes), settings, people)
    streamable = server.streamable_http_app(
        transport_security=security,
        host=settings.host,
        max_request_body_size=settings.max_mcp_body_bytes,
        session_idle_timeout=settings.session_idle_timeout,
        max_sessions=settings.max_sessions,
    )
    if people is not None and auth is not None:
        streamable = front(streamable, settings, auth)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and (path == "/sse" or path.startswith("/messages/")):
            await sse(scope, receive, send)
        else:  # /mcp, /health, /confirm, /chat, and the lifespan that runs the session manager
            await streamable(scope, receive, send)

    sessions = SessionLimits(app, settings, lambda: server.session_manager, people)
    return Guard(Refusing(BodyLimit(sessions, settings), state.drain, settings.max_mcp_body_bytes), settings, people)


async def serve_http(server: Server, state: AppState, settings: Settings, transport: str) -> None:
    import uvicorn

    check_exposure(settings)
    sock = bind(settings.host, settings.port)
    app = build_http_app(server, state, settings, transport)
    protocol = http_protocol(settings.http_header_timeout, settings.http_body_timeout)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level="warning",
        lifespan="on",
        http=protocol,
        timeout_graceful_shutdown=CLOSE_STREAMS,
    )
    term = Signalled()
    runner = draining_server(config, term.set)
    paths = "/sse" if transport == "sse" else "/mcp and /sse"

    def announce(url: str) -> None:
        print(f"google-mcp listening on {url} ({paths})", file=sys.stderr, flush=True)

    async def drain() -> None:
        await term.wait()
        await drain_then_exit(runner, state.drain, state.gate.interrupted, settings.drain_seconds)

    if not settings.metrics_address:
        await serve_announced(runner, announce, sock, also=drain)
        return
    from google_mcp.metrics_http import serve_metrics

    async with anyio.create_task_group() as tg:
        metrics_runner = await tg.start(serve_metrics, state, settings)
        try:
            await serve_announced(runner, announce, sock, also=drain)
        finally:
            metrics_runner.should_exit = True
