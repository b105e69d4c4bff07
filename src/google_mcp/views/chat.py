"""The /chat page: a person talks to the router in a browser and decides what it holds on the approval card,
in place.

It adds no authority. It calls POST /chat, reads of the person's own (a held action's card, their record)
and the decision routes they already have:
- Many people (OAuth): the person's browser session (the approval page's HttpOnly cookie) and that session's
  CSRF token, sent in a header only the page knows (it is in the page, which is never cached nor framed).
  /chat and its reads take that pair in place of an access token; a decision is the approval page's own
  POST /approve/{id}, with the same session and token.
- One person (bearer token, or none on loopback): the page holds nothing until the person pastes their
  token and their approval key; both stay in this tab's sessionStorage (never a URL, never a cookie) and go
  out as the headers /chat and /confirm already require.
The scripts are the views' own (bridge.js, card.js) and chat.js, allowed by hash; nothing else runs.
"""

from __future__ import annotations

import hmac
import html
from typing import Any

from mcp.server.auth.provider import AccessToken
from starlette.datastructures import Headers
from starlette.requests import Request, cookie_parser
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from google_mcp.errors import GoogleMCPError
from google_mcp.people.oauth import Provider
from google_mcp.people.setup import COOKIE
from google_mcp.principal import current_principal
from google_mcp.state import AppState
from google_mcp.tools.record import activity_log
from google_mcp.views.card import card_state
from google_mcp.views.pages import HEADERS
from google_mcp.views.resources import asset, script_hash

CSRF_HEADER = "X-CSRF-Token"
STYLES = ("base.css", "card.css", "chat.css")
SCRIPTS = ("bridge.js", "card.js", "chat.js")


def session_path(path: str) -> bool:
    """What the page's session may call in place of an access token: /chat and the page's two reads."""
    return path in ("/chat", "/chat/activity") or path.startswith("/chat/card/")


def headers(hashes: list[str]) -> dict[str, str]:
    # inline styles as the views have them: the card shows a mail's HTML in a sandboxed srcdoc frame, which
    # inherits this policy, and its styles are the mail's look (scripts there run not at all)
    csp = (
        f"default-src 'none'; script-src {' '.join(hashes)}; style-src 'unsafe-inline'; img-src data:; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
    return {**HEADERS, "Content-Security-Policy": csp}


def render(mode: str, csrf: str = "", who: str = "") -> HTMLResponse:
    """`mode`: session (signed in with Google), token (a bearer token and the approval key to paste) or
    key (loopback without tokens: the approval key alone)."""
    scripts = [asset(name) for name in SCRIPTS]
    body = asset("chat.html").format(
        mode=mode,
        csrf=html.escape(csrf),
        who=html.escape(who),
        css="\n".join(asset(name) for name in STYLES),
        scripts="".join(f"<script>{s}</script>" for s in scripts),
    )
    return HTMLResponse(body, headers=headers([script_hash(s) for s in scripts]))


async def session_caller(provider: Provider, headers: Headers, path: str) -> AccessToken | None:
    """The person behind the page's own call: a live session cookie and that session's CSRF token in
    X-CSRF-Token (a page elsewhere has not the token, nor, SameSite=Lax, the cookie on a cross-site POST)."""
    if not session_path(path):
        return None
    cookie = cookie_parser(headers.get("cookie", "")).get(COOKIE)
    given = headers.get(CSRF_HEADER, "").encode()
    if not cookie or not given:
        return None
    session = await provider.session(cookie)
    if session is None or not hmac.compare_digest(given, session.csrf.encode()):
        return None
    return AccessToken(token="", client_id="chat page", scopes=[], subject=session.person)


def register(server: Any, state: AppState, provider: Provider | None, needs_token: bool) -> None:
    @server.custom_route("/chat", methods=["GET"])  # type: ignore[untyped-decorator]
    async def page(request: Request) -> Response:
        if provider is None:
            return render("token" if needs_token else "key")
        session = await provider.session(request.cookies.get(COOKIE))
        if session is None:
            return RedirectResponse("/login?next=/chat", status_code=302)
        return render("session", session.csrf, provider.grants.active(session.person).default)

    @server.custom_route("/chat/card/{confirmation_id}", methods=["GET"])  # type: ignore[untyped-decorator]
    async def card(request: Request) -> JSONResponse:
        """One of the caller's own held actions, as its card shows it (waiting, or how it ended)."""
        try:
            found = await card_state(state, request.path_params["confirmation_id"], current_principal())
        except GoogleMCPError as exc:
            return JSONResponse({"error": str(exc)}, status_code=503)
        return JSONResponse(found.model_dump(mode="json"), headers={"Cache-Control": "no-store"})

    @server.custom_route("/chat/activity", methods=["GET"])  # type: ignore[untyped-decorator]
    async def activity(request: Request) -> JSONResponse:
        """The caller's own record, newest first (the activity_log tool's read)."""
        try:
            found = await activity_log(state, limit=30)
        except GoogleMCPError as exc:
            return JSONResponse({"error": str(exc)}, status_code=503)
        return JSONResponse(found.model_dump(mode="json"), headers={"Cache-Control": "no-store"})
