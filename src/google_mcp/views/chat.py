"""The /chat page: a person talks to the router in a browser and approves what it holds, in place.

It adds no authority. It calls only POST /chat, the approval routes and a read of the person's own record:
- Many people (OAuth): the person's browser session (the approval page's HttpOnly cookie) and that session's
  CSRF token, sent in a header the page alone knows (it is in the page, which is never cached nor framed).
  POST /chat and GET /chat/activity take that pair in place of an access token; a decision is the approval
  page's own POST /approve/{id}, with the same session and token.
- One person (bearer token, or none on loopback): the page holds nothing until the person pastes their
  token and their approval key; both stay in this tab's sessionStorage (never a URL, never a cookie) and go
  out as the headers /chat and /confirm already require.
The script and the style carry the response's nonce; nothing inline runs without it.
"""

from __future__ import annotations

import hmac
import html
import secrets
from functools import cache
from importlib.resources import files
from typing import Any

from mcp.server.auth.provider import AccessToken
from starlette.datastructures import Headers
from starlette.requests import Request, cookie_parser
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from google_mcp.errors import GoogleMCPError
from google_mcp.people.setup import COOKIE
from google_mcp.state import AppState
from google_mcp.tools.record import activity_log

CSRF_HEADER = "X-CSRF-Token"
PAGE_PATH = "/chat"
SESSION_PATHS = ("/chat", "/chat/activity")  # what the page's session may call (POST /chat, the record)


@cache
def asset(name: str) -> str:
    return (files("google_mcp.views") / name).read_text(encoding="utf-8")


def headers(nonce: str) -> dict[str, str]:
    csp = (
        f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; connect-src 'self'; "
        "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
    return {
        "Content-Security-Policy": csp,
        "X-Frame-Options": "DENY",
        "Cache-Control": "no-store",
        "Referrer-Policy": "same-origin",
        "X-Content-Type-Options": "nosniff",
    }


def render(mode: str, csrf: str = "", who: str = "") -> HTMLResponse:
    """`mode`: session (signed in with Google), token (a bearer token and the approval key to paste) or
    key (loopback without tokens: the approval key alone)."""
    nonce = secrets.token_urlsafe(18)
    body = asset("chat.html").format(
        nonce=nonce,
        mode=mode,
        csrf=html.escape(csrf),
        who=html.escape(who),
        css=asset("chat.css"),
        js=asset("chat.js"),
    )
    return HTMLResponse(body, headers=headers(nonce))


async def session_caller(provider: Any, headers: Headers, path: str) -> AccessToken | None:
    """The person behind the page's own call: a live session cookie and that session's CSRF token in
    X-CSRF-Token (a page elsewhere has neither the token nor, SameSite=Lax, the cookie on a POST)."""
    if path not in SESSION_PATHS:
        return None
    cookie = cookie_parser(headers.get("cookie", "")).get(COOKIE)
    given = headers.get(CSRF_HEADER, "").encode()
    if not cookie or not given:
        return None
    session = await provider.session(cookie)
    if session is None or not hmac.compare_digest(given, session.csrf.encode()):
        return None
    return AccessToken(token="", client_id="chat page", scopes=[], subject=session.person)


def register(server: Any, state: AppState, provider: Any, needs_token: bool) -> None:
    @server.custom_route(PAGE_PATH, methods=["GET"])  # type: ignore[untyped-decorator]
    async def page(request: Request) -> Response:
        if provider is None:
            return render("token" if needs_token else "key")
        session = await provider.session(request.cookies.get(COOKIE))
        if session is None:
            return RedirectResponse("/login?next=/chat", status_code=302)
        email = provider.grants.active(session.person).default
        return render("session", session.csrf, email)

    @server.custom_route("/chat/activity", methods=["GET"])  # type: ignore[untyped-decorator]
    async def activity(request: Request) -> JSONResponse:
        """The caller's own record, newest first (the activity_log tool's read)."""
        try:
            found = await activity_log(state, limit=30)
        except GoogleMCPError as exc:
            return JSONResponse({"error": str(exc)}, status_code=503)
        return JSONResponse(found.model_dump(mode="json"), headers={"Cache-Control": "no-store"})
