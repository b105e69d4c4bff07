"""The HTTP transports: Streamable HTTP at /mcp and SSE at /sse, bearer auth, DNS-rebinding protection."""

from __future__ import annotations

import hashlib
import hmac
from typing import TYPE_CHECKING, Any

from mcp.server.auth.provider import AccessToken
from mcp.server.transport_security import TransportSecuritySettings

from google_mcp.serving import serve_announced
from google_mcp.settings import LOOPBACK, Settings

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Receive, Scope, Send

    from google_mcp.router import Router
    from google_mcp.server import GoogleMCPServer
    from google_mcp.state import AppState


def principal_of(token: str) -> str:
    """A stable name for a bearer token that does not reveal it."""
    return "bearer:" + hashlib.sha256(token.encode()).hexdigest()[:16]


class StaticBearerVerifier:
    """Accepts the configured bearer tokens; each token is its own principal."""

    def __init__(self, tokens: list[str]) -> None:
        self._tokens = [t.encode() for t in tokens]

    async def verify_token(self, token: str) -> AccessToken | None:
        given = token.encode()
        if any(hmac.compare_digest(given, t) for t in self._tokens):
            return AccessToken(token=token, client_id=principal_of(token), scopes=[])
        return None


def transport_security(settings: Settings) -> TransportSecuritySettings:
    hosts = ["127.0.0.1:*", "localhost:*", "[::1]:*"]
    origins = ["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*"]
    if not settings.loopback:
        hosts.append(f"{settings.host}:*")
    for host in settings.allowed_hosts:
        hosts.append(host if ":" in host else f"{host}:*")
        origins += [f"http://{host}", f"https://{host}"]
    return TransportSecuritySettings(enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins)


def check_exposure(settings: Settings) -> None:
    if settings.host not in LOOPBACK and not settings.bearer_tokens():
        raise SystemExit(
            f"Refusing to serve on {settings.host} without a bearer token: set GOOGLE_MCP_AUTH_TOKEN "
            "(or bind to 127.0.0.1)."
        )


def build_http_app(server: GoogleMCPServer, settings: Settings, transport: str) -> ASGIApp:
    """SSE only for `sse`; Streamable HTTP plus SSE for `http`. Both serve /health."""
    security = transport_security(settings)
    sse = server.sse_app(transport_security=security, host=settings.host)
    if transport == "sse":
        return sse
    streamable = server.streamable_http_app(transport_security=security, host=settings.host)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and (path == "/sse" or path.startswith("/messages/")):
            await sse(scope, receive, send)
        else:  # /mcp, /health, auth metadata, and the lifespan that runs the session manager
            await streamable(scope, receive, send)

    return app


async def serve_http(server: GoogleMCPServer, settings: Settings, transport: str) -> None:
    import sys

    import uvicorn

    check_exposure(settings)
    app = build_http_app(server, settings, transport)
    config = uvicorn.Config(app, host=settings.host, port=settings.port, log_level="warning", lifespan="on")
    runner = uvicorn.Server(config)

    paths = "/sse" if transport == "sse" else "/mcp and /sse"

    def announce(url: str) -> None:
        print(f"google-mcp listening on {url} ({paths})", file=sys.stderr, flush=True)

    await serve_announced(runner, announce)


def add_confirm_routes(server: GoogleMCPServer, state: AppState) -> None:
    """Out-of-band approval: GET /confirm/{id} shows the preview, POST /confirm/{id}?confirmed=true|false decides.

    The bearer token is required as for /mcp; a pending action is visible only to the principal that made it.
    """
    from starlette.requests import Request
    from starlette.responses import JSONResponse

    from google_mcp.errors import GoogleMCPError, NotFound

    def principal(request: Request) -> str | None:
        return request_principal(state.settings, request)

    def unauthorized() -> JSONResponse:
        return JSONResponse(
            {"error": "invalid_token", "error_description": "A valid bearer token is required."},
            status_code=401,
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )

    @server.custom_route("/confirm/{confirmation_id}", methods=["GET"])  # type: ignore[untyped-decorator]
    async def show(request: Request) -> JSONResponse:
        who = principal(request)
        if who is None:
            return unauthorized()
        try:
            record = await state.gate.store.get(request.path_params["confirmation_id"], who)
        except GoogleMCPError as exc:
            return JSONResponse({"error": str(exc)}, status_code=503)
        if record is None:
            return JSONResponse({"error": "No such pending action."}, status_code=404)
        return JSONResponse(
            {
                "confirmation_id": record.session_id,
                "status": record.status,
                "tool": record.tool,
                "preview": record.preview,
                "created_at": record.created_at,
                "expires_at": record.expires_at,
            }
        )

    @server.custom_route("/confirm/{confirmation_id}", methods=["POST"])  # type: ignore[untyped-decorator]
    async def decide(request: Request) -> JSONResponse:
        who = principal(request)
        if who is None:
            return unauthorized()
        answer = request.query_params.get("confirmed", "").lower()
        if answer not in ("true", "false"):
            return JSONResponse({"error": "Give ?confirmed=true or ?confirmed=false."}, status_code=400)
        cid = request.path_params["confirmation_id"]
        try:
            if answer == "true":
                outcome = await state.gate.confirm(state, cid, who, via="http")
            else:
                outcome = await state.gate.cancel(cid, who, "declined")
        except NotFound as exc:
            return JSONResponse({"error": str(exc)}, status_code=404)
        except GoogleMCPError as exc:
            status = 503 if type(exc).__name__ == "StoreUnavailable" else 409
            return JSONResponse({"error": str(exc)}, status_code=status)
        return JSONResponse(outcome.model_dump(mode="json"))


def add_chat_route(server: GoogleMCPServer, state: AppState, router: Router | None) -> None:
    """POST /chat {"user_id", "message", "conversation_id"?}: the router for front ends; bearer as for /mcp."""
    from starlette.requests import Request
    from starlette.responses import JSONResponse

    from google_mcp.errors import GoogleMCPError, NotFound

    @server.custom_route("/chat", methods=["POST"])  # type: ignore[untyped-decorator]
    async def chat(request: Request) -> JSONResponse:
        who = request_principal(state.settings, request)
        if who is None:
            return JSONResponse(
                {"error": "invalid_token", "error_description": "A valid bearer token is required."},
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        if router is None:
            return JSONResponse(
                {
                    "error": "The router is off: set GOOGLE_MCP_GEMINI_API_KEY (or GEMINI_API_KEY) "
                    "and restart google-mcp."
                },
                status_code=503,
            )
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("message"), str):
            return JSONResponse(
                {"error": 'Send JSON {"user_id": "...", "message": "...", "conversation_id": "..." (optional)}.'},
                status_code=400,
            )
        user = str(body.get("user_id") or "anonymous")
        try:
            result = await router.ask(state, f"{who}|{user}", body["message"], body.get("conversation_id"))
        except NotFound as exc:
            return JSONResponse({"error": str(exc)}, status_code=404)
        except GoogleMCPError as exc:
            return JSONResponse({"error": str(exc)}, status_code=502 if "Gemini" in str(exc) else 400)
        return JSONResponse(result.model_dump(mode="json"))


def request_principal(settings: Settings, request: Any) -> str | None:
    """The caller of a custom HTTP route: a configured bearer token's principal, or the local user on loopback."""
    tokens = settings.bearer_tokens()
    if not tokens:
        from google_mcp.gate import _local_user

        return "local:" + _local_user()
    header = request.headers.get("authorization", "")
    given = header[7:].strip().encode() if header.lower().startswith("bearer ") else b""
    for token in tokens:
        if given and hmac.compare_digest(given, token.encode()):
            return principal_of(token)
    return None


def auth_kwargs(settings: Settings) -> dict[str, Any]:
    """MCPServer arguments that require the bearer token on both HTTP transports, when one is set."""
    tokens = settings.bearer_tokens()
    if not tokens:
        return {}
    from mcp.server.auth.settings import AuthSettings

    base = f"http://{'127.0.0.1' if settings.loopback else settings.host}:{settings.port}"
    return {
        "token_verifier": StaticBearerVerifier(tokens),
        "auth": AuthSettings(issuer_url=base, resource_server_url=base + "/mcp", required_scopes=[]),  # type: ignore[arg-type]
    }
