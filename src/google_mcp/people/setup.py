"""The pieces of a server many people use, made once in `build_server`: the sign-in store, the encrypted
grants, the authorization server, and Google's return to /oauth/callback."""

from __future__ import annotations

from typing import Any

from mcp.server.auth.settings import AuthSettings, ClientRegistrationOptions, RevocationOptions
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from google_mcp.auth import scopes_for
from google_mcp.people import consent
from google_mcp.people.consent import LOGIN_COOKIE
from google_mcp.people.consent import SESSION_COOKIE as COOKIE
from google_mcp.people.grants import Grants, google_app, people_key
from google_mcp.people.kv import KV, RedisKV, SqliteKV
from google_mcp.people.oauth import SCOPE, SESSION_TTL, NotAdmitted, Provider, SignInFailed
from google_mcp.people.pages import page as html_page
from google_mcp.people.policy import Admission, require_admission
from google_mcp.settings import GOOGLE_GROUPS, Settings
from google_mcp.state import AppState

__all__ = ["COOKIE", "LOGIN_COOKIE", "add_callback", "front", "metadata_route", "open_people"]


def open_people(settings: Settings, state: AppState) -> tuple[Provider, AuthSettings]:
    require_admission(settings)
    kv: KV = RedisKV(settings.redis_url.get_secret_value()) if settings.redis_url else SqliteKV(settings.people_file)
    grants = Grants(kv, people_key(settings), lambda: google_app(settings, state.sandbox_url))
    groups = [g for g in settings.tools if g in GOOGLE_GROUPS]
    scopes = list(scopes_for(settings.read_only, groups))
    provider = Provider(
        kv,
        grants,
        settings.base_url,
        scopes,
        settings.http_timeout,
        settings.cimd_allow_private,
        Admission.of(settings),
        settings.unused_client_ttl,
        settings.cimd_timeout,
    )
    state.people = grants
    auth = AuthSettings(
        issuer_url=settings.base_url,  # type: ignore[arg-type]
        resource_server_url=settings.base_url + "/mcp",  # type: ignore[arg-type]
        client_registration_options=ClientRegistrationOptions(
            enabled=True, valid_scopes=[SCOPE], default_scopes=[SCOPE]
        ),
        revocation_options=RevocationOptions(enabled=True),
        validate_token_resource=True,
    )
    return provider, auth


def metadata_route(settings: Settings, auth: AuthSettings) -> Any:
    """The authorization server's metadata, as the SDK builds it, plus what it does not say: that client ids
    may be metadata document URLs, and that public clients (no secret) are welcome."""
    from mcp.server.auth.routes import build_metadata
    from starlette.responses import JSONResponse

    assert auth.client_registration_options is not None and auth.revocation_options is not None
    metadata = build_metadata(
        auth.issuer_url, auth.service_documentation_url, auth.client_registration_options, auth.revocation_options
    )
    body = metadata.model_dump(mode="json", exclude_none=True)
    body["client_id_metadata_document_supported"] = True
    body["token_endpoint_auth_methods_supported"] = ["none", *body["token_endpoint_auth_methods_supported"]]

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await JSONResponse(body, headers={"Cache-Control": "public, max-age=3600"})(scope, receive, send)

    return app


def front(app: Any, settings: Settings, auth: AuthSettings) -> Any:
    """The SDK's app (the one answering /token and /revoke), behind our checks, with our metadata."""
    from google_mcp.people.front import front_door

    return front_door(app, settings.base_url + "/mcp", metadata_route(settings, auth))


def page(title: str, text: str, status: int) -> Response:
    import html

    return html_page(title, f"<p>{html.escape(text)}</p>", status)


def add_callback(server: Any, provider: Provider) -> None:
    consent.register(server, provider)

    @server.custom_route("/oauth/callback", methods=["GET"])  # type: ignore[untyped-decorator]
    async def callback(request: Request) -> Response:
        query = request.query_params
        if query.get("error"):
            return page("Sign-in cancelled", "Google did not sign you in. Start again from your MCP client.", 400)
        try:
            done = await provider.finish_sign_in(
                query.get("state", ""), query.get("code", ""), request.cookies.get(LOGIN_COOKIE)
            )
        except NotAdmitted as exc:
            return page("Not admitted here", str(exc), 403)
        except SignInFailed as exc:
            return page("Sign-in failed", str(exc), 400)
        response = RedirectResponse(done.where, status_code=302)
        if not done.where.startswith("/oauth/consent/"):  # the consent page still needs it
            response.delete_cookie(LOGIN_COOKIE, path="/oauth/")
        if done.session is not None:
            secure = provider.base.startswith("https://")
            response.set_cookie(
                COOKIE, done.session, max_age=SESSION_TTL, path="/", secure=secure, httponly=True, samesite="lax"
            )
        return response
