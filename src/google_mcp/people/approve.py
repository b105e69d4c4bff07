"""The approval page: a person signed in to this server in their browser sees a held action's preview
at GET /approve/{id} and approves or declines it there.

What the page needs never travels on the model's channel: the model has the link, the person's browser
has the session (an HttpOnly, SameSite=Lax cookie from signing in with Google) and the page's CSRF token
(bound to that session, sent only in the page). A page on another origin cannot post a decision (no
token; and a foreign Origin is refused before any route), nor frame this one (frame-ancestors 'none').
A decision is taken once: a second click finds nothing pending.
"""

from __future__ import annotations

import hmac
import html
import secrets
from typing import Any
from urllib.parse import quote

from mcp.server.auth.middleware.auth_context import auth_context_var
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.auth.provider import AccessToken
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from google_mcp.errors import GoogleMCPError, NotFound
from google_mcp.pending import PendingRecord
from google_mcp.people.oauth import Provider
from google_mcp.people.pages import page
from google_mcp.people.setup import COOKIE, LOGIN_COOKIE
from google_mcp.state import AppState
from google_mcp.views.card import SAID, CardState, card_state
from google_mcp.views.pages import card_page


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return page(title, body, status)


def register(server: Any, state: AppState, provider: Provider) -> None:
    @server.custom_route("/login", methods=["GET"])  # type: ignore[untyped-decorator]
    async def login(request: Request) -> Response:
        after = request.query_params.get("next", "")
        if not (after.startswith("/approve/") or after in ("/accounts", "/link", "/clients", "/chat")) or "//" in after:
            after = "/accounts"  # only back to our own pages
        return await _to_google(after, None)

    async def _to_google(after: str, link_to: str | None) -> Response:
        browser = secrets.token_urlsafe(32)
        response = RedirectResponse(await provider.browser_login(after, browser, link_to), status_code=302)
        secure = provider.base.startswith("https://")
        response.set_cookie(
            LOGIN_COOKIE, browser, max_age=600, path="/oauth/", secure=secure, httponly=True, samesite="lax"
        )
        return response

    @server.custom_route("/link", methods=["GET"])  # type: ignore[untyped-decorator]
    async def link(request: Request) -> Response:
        """Link another of your Google accounts (say, personal beside work): choose it at Google."""
        session = await provider.session(request.cookies.get(COOKIE))
        if session is None:
            return RedirectResponse("/login?next=/link", status_code=302)
        return await _to_google("/accounts", session.person)

    @server.custom_route("/accounts", methods=["GET"])  # type: ignore[untyped-decorator]
    async def accounts(request: Request) -> Response:
        session = await provider.session(request.cookies.get(COOKIE))
        if session is None:
            return RedirectResponse("/login?next=/accounts", status_code=302)
        linked = provider.grants.active(session.person)
        names = [linked.default, *(a for a in linked.accounts if a != linked.default)]
        items = "".join(f"<li>{html.escape(n)}{' (first)' if n == linked.default else ''}</li>" for n in names)
        body = f"<ul>{items}</ul><p>Tools act as your first account unless given <code>account</code>.</p>"
        more = '<p><a href="/link">Link another Google account</a> · <a href="/clients">Clients you allowed</a></p>'
        return _page("Your Google accounts", body + more)

    async def signed_in(request: Request, cid: str) -> Any:
        session = await provider.session(request.cookies.get(COOKIE))
        if session is None:
            return RedirectResponse("/login?next=" + quote(f"/approve/{cid}", safe="/"), status_code=302)
        return session

    async def client_name(record: PendingRecord | None) -> str | None:
        client_id = record.pending_action.get("client") if record is not None else None
        if not client_id:
            return None
        client = await provider.get_client(str(client_id))
        name = client.client_name if client is not None else None
        return f"{name} ({client_id})" if name else str(client_id)

    @server.custom_route("/approve/{confirmation_id}", methods=["GET"])  # type: ignore[untyped-decorator]
    async def show(request: Request) -> Response:
        cid = request.path_params["confirmation_id"]
        session = await signed_in(request, cid)
        if isinstance(session, Response):
            return session
        who = "person:" + session.person
        try:
            record = await state.gate.store.get(cid, who)
            card = await card_state(state, cid, who)
        except GoogleMCPError as exc:
            return _page("Try again shortly", f"<p>{html.escape(str(exc))}</p>", 503)
        if card.state != "waiting" or record is None or record.kind != "pending":  # shown, not offered again
            said = SAID["missing"] if card.state == "missing" else f"Nothing is waiting: {SAID[card.state]}"
            return card_page(card.model_copy(update={"state": "missing", "message": said}), status=404)
        form = {"action": f"/approve/{cid}", "csrf": session.csrf}
        return card_page(card, client=await client_name(record), form=form)

    @server.custom_route("/approve/{confirmation_id}", methods=["POST"])  # type: ignore[untyped-decorator]
    async def decide(request: Request) -> Response:
        cid = request.path_params["confirmation_id"]
        session = await provider.session(request.cookies.get(COOKIE))
        if session is None:
            return _page("Sign in first", "<p>Open the approval link again to sign in.</p>", 401)
        form = await request.form()
        given = str(form.get("csrf", "")).encode()
        if not given or not hmac.compare_digest(given, session.csrf.encode()):
            return _page("Refused", "<p>This form did not come from the approval page.</p>", 403)
        decision = form.get("decision")
        if decision not in ("approve", "decline"):
            return _page("Refused", "<p>Choose Approve or Decline.</p>", 400)
        who = "person:" + session.person
        try:
            record = await state.gate.store.get(cid, who)
            if record is None or record.kind != "pending" or record.status != "awaiting_confirmation":
                raise NotFound(cid)  # decided already (a second click, another tab): nothing more is done
            if decision == "approve":
                # carried out as this person, as their own call would be: their Google account, and Slack or
                # SMS only if they are an operator (not as the server's account, which serves nobody here)
                as_them = AuthenticatedUser(
                    AccessToken(token="", client_id="approval page", scopes=[], subject=session.person)
                )
                reset = auth_context_var.set(as_them)
                try:
                    outcome = await state.gate.confirm(state, cid, who, via="the person on the approval page")
                finally:
                    auth_context_var.reset(reset)
            else:
                outcome = await state.gate.cancel(cid, who, "declined")
            card = await card_state(state, cid, who)
        except NotFound:
            gone = CardState(
                confirmation_id=cid,
                state="missing",
                message="It was already decided, or it expired. Nothing was done now.",
            )
            return card_page(gone, status=409)
        except GoogleMCPError as exc:
            return _page("Not done", f"<p>{html.escape(str(exc))}</p>", 409)
        if outcome.status == "confirmation_required" and outcome.confirmation_id:  # changed: a fresh preview
            return RedirectResponse(f"/approve/{quote(outcome.confirmation_id)}", status_code=303)
        return card_page(card.model_copy(update={"message": outcome.message}))
