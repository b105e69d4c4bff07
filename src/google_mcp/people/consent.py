"""Our consent step, between Google's return and the client's code (the MCP authorization spec's answer to
the confused deputy: Google's screen names this server, not the client that asked).

GET /oauth/begin: where /authorize sends the browser; it sets a short-lived HttpOnly cookie and goes on to
Google. Only that browser can finish the sign-in and see or answer the consent page: a stranger who sends
someone their client's /authorize link cannot take the page's decision themselves.
GET|POST /oauth/consent/{id}: names the client (its name, whether it registered itself here or is known by
its metadata document, when this server first saw it, the host its code would go to), the access and the
account; Allow sends the code there and remembers the decision for this client and redirect URI; Deny sends
nothing anywhere. GET|POST /clients: the person's allowed clients, each withdrawn with its tokens.
"""

from __future__ import annotations

import hmac
import html
import secrets
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from google_mcp.people.oauth import LOGIN_TTL, Provider
from google_mcp.people.pages import page
from google_mcp.people.tokens import digest

LOGIN_COOKIE = "google_mcp_login"  # binds a sign-in to the browser that began it
SESSION_COOKIE = "google_mcp_session"


def set_login_cookie(response: Response, provider: Provider, value: str) -> None:
    response.set_cookie(
        LOGIN_COOKIE,
        value,
        max_age=LOGIN_TTL,
        path="/oauth/",
        secure=provider.base.startswith("https://"),
        httponly=True,
        samesite="lax",
    )


def _when(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _origin(uri: str) -> str:
    parts = urlsplit(uri)
    return f"{parts.scheme}://{parts.netloc}"


def _same(secret: str | None, hashed: Any) -> bool:
    return bool(secret) and isinstance(hashed, str) and hmac.compare_digest(digest(str(secret)), hashed)


async def _consent_html(provider: Provider, ask: str, pending: dict[str, Any]) -> tuple[str, str]:
    client_id, redirect = str(pending["client_id"]), str(pending["params"]["redirect_uri"])
    client = await provider.get_client(client_id)
    name = (client.client_name if client else None) or "(it gave no name)"
    if client_id.startswith("https://"):
        kind = f"known by its metadata document at <code>{html.escape(client_id)}</code>"
    else:
        kind = "registered itself here (dynamic registration: anyone can do that)"
    seen = _when(await provider.first_seen(client)) if client else "never"
    google = [s for s in pending["google_scopes"] if s not in ("openid", "email", "profile")]
    scopes = "".join(f"<li><code>{html.escape(s)}</code></li>" for s in google)
    host = urlsplit(redirect).netloc
    body = (
        f"<p><strong>{html.escape(name)}</strong> asks to use this server as "
        f"<strong>{html.escape(str(pending['email']))}</strong>: to read what these give and, with your "
        "confirmation of each, to send and change things.</p>"
        "<dl>"
        f"<dt>Client</dt><dd>{html.escape(name)} — {kind}</dd>"
        f"<dt>Its sign-in would go to</dt><dd><strong>{html.escape(host)}</strong> "
        f"(<code>{html.escape(redirect)}</code>)</dd>"
        f"<dt>First seen here</dt><dd>{html.escape(seen)}</dd>"
        f"<dt>Signed in with Google as</dt><dd>{html.escape(str(pending['email']))}</dd>"
        f"<dt>Access</dt><dd><ul>{scopes}</ul></dd>"
        "</dl>"
        "<p>Allow it only if you started this sign-in from that client yourself. Allowing is remembered for "
        'this client at this address; <a href="/clients">your clients</a> lists it, to withdraw it.</p>'
        f'<form method=post action="/oauth/consent/{html.escape(ask)}">'
        f'<input type=hidden name=csrf value="{html.escape(str(pending["csrf"]))}">'
        "<button name=decision value=allow type=submit>Allow</button>"
        "<button name=decision value=deny type=submit>Deny</button></form>"
    )
    return body, _origin(redirect)


def register(server: Any, provider: Provider) -> None:
    kv = provider.kv

    @server.custom_route("/oauth/begin", methods=["GET"])  # type: ignore[untyped-decorator]
    async def begin(request: Request) -> Response:
        browser = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(32)
        google = await provider.begin(request.query_params.get("login", ""), browser)
        if google is None:
            return page(
                "Sign-in link spent",
                "<p>This sign-in link expired, or was opened in another browser. Start again from your MCP client.</p>",
                400,
            )
        response = RedirectResponse(google, status_code=302)
        set_login_cookie(response, provider, browser)
        return response

    async def pending_of(request: Request, ask: str) -> dict[str, Any] | Response:
        pending = await kv.get("consent:" + digest(ask))
        if pending is None:
            return page("Nothing to decide", "<p>This sign-in expired or was decided. Start again.</p>", 404)
        if not _same(request.cookies.get(LOGIN_COOKIE), pending["browser"]):
            return page("Refused", "<p>This sign-in was started in another browser.</p>", 403)
        return pending

    @server.custom_route("/oauth/consent/{ask}", methods=["GET"])  # type: ignore[untyped-decorator]
    async def show(request: Request) -> Response:
        ask = request.path_params["ask"]
        pending = await pending_of(request, ask)
        if isinstance(pending, Response):
            return pending
        body, target = await _consent_html(provider, ask, pending)
        return page("Allow this client?", body, form_to=target)

    @server.custom_route("/oauth/consent/{ask}", methods=["POST"])  # type: ignore[untyped-decorator]
    async def decide(request: Request) -> Response:
        ask = request.path_params["ask"]
        pending = await pending_of(request, ask)
        if isinstance(pending, Response):
            return pending
        form = await request.form()
        given = str(form.get("csrf", "")).encode()
        if not given or not hmac.compare_digest(given, str(pending["csrf"]).encode()):
            return page("Refused", "<p>This form did not come from the consent page.</p>", 403)
        decision = form.get("decision")
        if decision not in ("allow", "deny"):
            return page("Refused", "<p>Choose Allow or Deny.</p>", 400)
        if await kv.take("consent:" + digest(ask)) is None:  # decided already, in another tab
            return page("Nothing to decide", "<p>This sign-in was already decided.</p>", 409)
        client_id, params, person = str(pending["client_id"]), dict(pending["params"]), str(pending["person"])
        redirect = str(params["redirect_uri"])
        if decision == "deny":
            return page(
                "Denied",
                f"<p>Nothing was sent to <strong>{html.escape(urlsplit(redirect).netloc)}</strong>; "
                "that client cannot act for you. You can close this page.</p>",
            )
        client = await provider.get_client(client_id)
        if client is None:  # gone meanwhile (its document now refused, or the registration expired)
            return page("Client gone", "<p>This client is no longer known here. Nothing was sent.</p>", 410)
        about = {"name": client.client_name or "", "kind": "document" if client_id.startswith("https://") else "dcr"}
        await provider.decisions.allow(person, client_id, redirect, about)
        return RedirectResponse(await provider.issue_code(client_id, params, person), status_code=303)

    async def _session(request: Request) -> Any:
        return await provider.session(request.cookies.get(SESSION_COOKIE))

    @server.custom_route("/clients", methods=["GET"])  # type: ignore[untyped-decorator]
    async def clients(request: Request) -> Response:
        session = await _session(request)
        if session is None:
            return RedirectResponse("/login?next=/clients", status_code=302)
        rows = []
        for client_id, entry in (await provider.decisions.listed(session.person)).items():
            name = entry.get("about", {}).get("name") or "(no name)"
            hosts = ", ".join(sorted({urlsplit(u).netloc for u in entry["redirect_uris"]}))
            rows.append(
                f"<li><strong>{html.escape(name)}</strong> — to {html.escape(hosts)}, allowed "
                f"{html.escape(_when(float(entry['since'])))} <small><code>{html.escape(client_id)}</code></small>"
                '<form method=post action="/clients">'
                f'<input type=hidden name=csrf value="{html.escape(session.csrf)}">'
                f'<input type=hidden name=client_id value="{html.escape(client_id)}">'
                "<button type=submit>Withdraw</button></form></li>"
            )
        body = f"<ul>{''.join(rows)}</ul>" if rows else "<p>You have allowed no client.</p>"
        return page("Clients you allowed", body)

    @server.custom_route("/clients", methods=["POST"])  # type: ignore[untyped-decorator]
    async def withdraw(request: Request) -> Response:
        session = await _session(request)
        if session is None:
            return page("Sign in first", '<p><a href="/clients">Sign in</a> to manage your clients.</p>', 401)
        form = await request.form()
        given = str(form.get("csrf", "")).encode()
        if not given or not hmac.compare_digest(given, session.csrf.encode()):
            return page("Refused", "<p>This form did not come from your clients page.</p>", 403)
        for family in await provider.decisions.forget(session.person, str(form.get("client_id", ""))):
            await provider.tokens.revoke_family(family)
        return RedirectResponse("/clients", status_code=303)
