"""The routes besides MCP's own: out-of-band approval (/confirm) and the router for front ends (POST /chat).
They are served behind the HTTP app's guard (http.py)."""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING, Any, Protocol

from starlette.responses import JSONResponse

if TYPE_CHECKING:
    from starlette.requests import Request

    from google_mcp.models import AskResult, WriteOutcome
    from google_mcp.registry import Server
    from google_mcp.state import AppState


def add_confirm_routes(server: Server, state: AppState) -> None:
    """Out-of-band approval, for the person (`google-mcp approve ID`): GET /confirm/{id} shows the preview,
    POST /confirm/{id}?confirmed=true|false decides. Both need the approval key in X-Approval-Key (and the
    bearer token where one is configured); a pending action is visible only to the principal that made it."""
    from google_mcp.approval import HEADER, approval_key
    from google_mcp.errors import GoogleMCPError, NotFound
    from google_mcp.pending import StoreUnavailable
    from google_mcp.principal import current_principal

    def person(request: Request) -> bool:
        given = request.headers.get(HEADER, "").encode()
        return bool(given) and hmac.compare_digest(given, approval_key(state.settings).encode())

    def refused() -> JSONResponse:
        return JSONResponse(
            {
                "error": f"Approving needs the approval key in {HEADER}: only the person has it. "
                "Run `google-mcp approve ID` in a terminal."
            },
            status_code=403,
        )

    @server.custom_route("/confirm/{confirmation_id}", methods=["GET"])  # type: ignore[untyped-decorator]
    async def show(request: Request) -> JSONResponse:
        if not person(request):
            return refused()
        try:
            record = await state.gate.store.get(request.path_params["confirmation_id"], current_principal())
        except GoogleMCPError as exc:
            return JSONResponse({"error": str(exc)}, status_code=503)
        if record is None or record.kind != "pending":
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
        if not person(request):
            return refused()
        answer = request.query_params.get("confirmed", "").lower()
        if answer not in ("true", "false"):
            return JSONResponse({"error": "Give ?confirmed=true or ?confirmed=false."}, status_code=400)
        cid, who = request.path_params["confirmation_id"], current_principal()
        try:
            with state.drain.working():
                outcome = await _decide(cid, who, answer == "true")
        except NotFound as exc:
            return JSONResponse({"error": str(exc)}, status_code=404)
        except StoreUnavailable as exc:
            return JSONResponse({"error": str(exc)}, status_code=503)
        except GoogleMCPError as exc:
            return JSONResponse({"error": str(exc)}, status_code=409)
        return JSONResponse(outcome.model_dump(mode="json"))

    async def _decide(cid: str, who: str, confirmed: bool) -> WriteOutcome:
        if confirmed:
            return await state.gate.confirm(state, cid, who, via="the person with the approval key (/confirm)")
        return await state.later().decline(cid, who)


class Asks(Protocol):
    """The router, as /chat uses it (router.Router): a request in plain language, for a person."""

    async def ask(
        self, state: AppState, owner: str, principal: str, request: str, conversation_id: str | None
    ) -> AskResult: ...


def add_chat_route(server: Server, state: AppState, router: Asks | None) -> None:
    """POST /chat {"user_id", "message", "conversation_id"?}: the router for front ends; JSON only."""
    from google_mcp.errors import GoogleMCPError, NotFound, RouterUnavailable
    from google_mcp.principal import current_principal

    @server.custom_route("/chat", methods=["POST"])  # type: ignore[untyped-decorator]
    async def chat(request: Request) -> JSONResponse:
        if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
            return JSONResponse({"error": "Send Content-Type: application/json."}, status_code=415)
        if router is None:
            return JSONResponse(
                {
                    "error": "The router is off: set GOOGLE_MCP_GEMINI_API_KEY (or GEMINI_API_KEY) "
                    "and restart google-mcp."
                },
                status_code=503,
            )
        try:
            body: Any = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("message"), str):
            return JSONResponse(
                {"error": 'Send JSON {"user_id": "...", "message": "...", "conversation_id": "..." (optional)}.'},
                status_code=400,
            )
        who = current_principal()
        user = str(body.get("user_id") or "anonymous")
        try:
            result = await router.ask(state, f"{who}|{user}", who, body["message"], body.get("conversation_id"))
        except NotFound as exc:
            return JSONResponse({"error": str(exc)}, status_code=404)
        except RouterUnavailable as exc:
            return JSONResponse({"error": str(exc)}, status_code=502)
        except GoogleMCPError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse(result.model_dump(mode="json"))
