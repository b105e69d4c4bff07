"""This server as an OAuth authorization server for MCP clients (the SDK's provider interface), signing
people in through Google.

The flow: a client registers (dynamic registration) and sends the person to /authorize (PKCE); we send
them on to Google's consent screen with our own state and PKCE; Google returns to /oauth/callback with a
code, which we exchange for the person's Google grant (kept encrypted, never handed to any client); then
we return the person to the client with our own one-time code, which the client exchanges at /token for
our tokens — bound to this server's /mcp (RFC 8707), refreshed with rotation, revocable. Google tokens are
never accepted from MCP clients and never given to them.

Between Google's return and the client's code stands our consent page (consent.py): the person sees which
client asks and where its code would go, and allows it once per client and redirect URI. Every step runs in
the browser that opened the link (a cookie set on the way to Google). Tokens, codes and refresh tokens are
stored by their SHA-256 only (tokens.py): the store never holds one that works.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from mcp.server.auth.provider import (
    AccessToken,
    AuthorizationCode,
    AuthorizationParams,
    AuthorizeError,
    RefreshToken,
    RegistrationError,
    TokenError,
    construct_redirect_uri,
)
from mcp.shared.auth import OAuthClientInformationFull, OAuthToken

from google_mcp.people.cimd import fetch_client_document
from google_mcp.people.decisions import Decisions
from google_mcp.people.grants import Grants
from google_mcp.people.kv import KV
from google_mcp.people.policy import Admission, redirect_uris_problem
from google_mcp.people.tokens import CODE_TTL, REFRESH_TTL, Tokens

log = logging.getLogger(__name__)

LOGIN_TTL = 600
SCOPE = "google-mcp"
SESSION_TTL = 12 * 3600
CIMD_TTL = 3600


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _challenge(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")


def person_of(google_sub: str) -> str:
    """A person's id here: stable for their Google account, revealing nothing of it."""
    return "p" + hashlib.sha256(("google:" + google_sub).encode()).hexdigest()[:24]


class SignInFailed(Exception):
    """Google's side of the sign-in did not complete; the message says what the person can do."""


class NotAdmitted(SignInFailed):
    """The Google account is not one this server admits (GOOGLE_MCP_ALLOWED_ACCOUNTS / _DOMAINS)."""


@dataclass(frozen=True)
class SignedIn:
    where: str  # where the browser goes next
    person: str
    session: str | None = None  # a browser sign-in (the approval page): its session, for the cookie
    to_client: bool = False  # `where` is the client's redirect URI, with our code


@dataclass(frozen=True)
class Session:
    person: str
    csrf: str


class Provider:
    """OAuthAuthorizationServerProvider[AuthorizationCode, RefreshToken, AccessToken] over the KV store."""

    def __init__(
        self,
        kv: KV,
        grants: Grants,
        base_url: str,
        google_scopes: list[str],
        timeout: float,
        private_documents: bool = False,
        admission: Admission | None = None,
        unused_client_ttl: float = 24 * 3600,
        document_timeout: float = 5.0,
    ) -> None:
        self.kv, self.grants = kv, grants
        self.document_timeout = document_timeout  # a stranger's document holds /authorize at most this long
        self.admission = admission or Admission(frozenset(), frozenset())
        self.unused_client_ttl = unused_client_ttl
        self.private_documents = private_documents
        self.base = base_url.rstrip("/")
        self.resource = self.base + "/mcp"
        self.callback = self.base + "/oauth/callback"
        self.google_scopes = google_scopes
        self.timeout = timeout
        self.decisions = Decisions(kv)
        self.tokens = Tokens(kv, grants, self.decisions, self.resource)

    # clients ----------------------------------------------------------------------------------
    async def get_client(self, client_id: str) -> OAuthClientInformationFull | None:
        if client_id.startswith("https://"):  # a Client ID Metadata Document: the id is where it lives
            info = await self._metadata_client(client_id)
        else:
            found = await self.kv.get("client:" + client_id)
            info = None if found is None else OAuthClientInformationFull.model_validate(found)
        if info is not None and redirect_uris_problem(info.redirect_uris):  # no code goes there, ever
            log.warning("client %s refused: %s", client_id, redirect_uris_problem(info.redirect_uris))
            return None
        return info

    async def first_seen(self, client: OAuthClientInformationFull) -> float:
        """When this server first heard of the client: its registration, or its document's first fetch."""
        if client.client_id_issued_at:
            return float(client.client_id_issued_at)
        key = "seen:" + _hash(str(client.client_id))
        found = await self.kv.get(key)
        if found is None:
            found = {"at": time.time()}
            await self.kv.put(key, found, 90 * 24 * 3600)
        return float(found["at"])

    async def _keep_client(self, client: OAuthClientInformationFull) -> None:
        """A registered client that holds tokens is kept while they may be refreshed."""
        if client.client_id and not client.client_id.startswith("https://"):
            await self.kv.put("client:" + client.client_id, client.model_dump(mode="json"), REFRESH_TTL)

    async def _metadata_client(self, url: str) -> OAuthClientInformationFull | None:
        """The client a metadata document describes: fetched over https (small, no redirects, from a public
        address unless allowed otherwise), its client_id equal to its URL, cached for an hour."""
        import httpx2

        cached = await self.kv.get("cimd:" + _hash(url))
        if cached is not None:
            return OAuthClientInformationFull.model_validate(cached)
        try:
            document = await fetch_client_document(url, self.document_timeout, self.private_documents)
            info = OAuthClientInformationFull(
                client_id=url,
                client_name=document.get("client_name"),
                redirect_uris=document["redirect_uris"],
                grant_types=["authorization_code", "refresh_token"],
                response_types=["code"],
                token_endpoint_auth_method="none",
                scope=SCOPE,  # what this server grants any client (the document cannot ask for more)
            )
        except (ValueError, KeyError, TypeError, OSError, httpx2.HTTPError) as exc:
            log.warning("client metadata document %s refused: %s", url, exc)
            return None
        await self.kv.put("cimd:" + _hash(url), info.model_dump(mode="json"), CIMD_TTL)
        return info

    async def register_client(self, client_info: OAuthClientInformationFull) -> None:
        assert client_info.client_id is not None
        problem = redirect_uris_problem(client_info.redirect_uris)
        if problem:
            raise RegistrationError("invalid_redirect_uri", problem)
        # anyone may register: a registration no sign-in ever used is forgotten
        record = client_info.model_dump(mode="json")
        await self.kv.put("client:" + client_info.client_id, record, self.unused_client_ttl)

    # authorization: on to Google, and back -----------------------------------------------------
    async def authorize(self, client: OAuthClientInformationFull, params: AuthorizationParams) -> str:
        if params.resource and params.resource.rstrip("/") != self.resource:
            raise AuthorizeError("invalid_target", f"This server issues tokens for {self.resource} only.")
        login = await self._to_google({"client_id": client.client_id, "params": params.model_dump(mode="json")})
        return self.base + "/oauth/begin?" + urlencode({"login": login})  # which sets the browser's cookie

    async def begin(self, login: str, browser: str) -> str | None:
        """The browser that opens a client's sign-in link claims it: Google's answer is taken only from it.
        Google's consent URL, or None when the link expired or another browser claimed it first."""
        key = "login:" + _hash(login)
        found = await self.kv.get(key)
        if found is None or "google" not in found:
            return None
        if found.get("browser"):
            return str(found["google"]) if hmac.compare_digest(found["browser"], _hash(browser)) else None
        await self.kv.put(key, {**found, "browser": _hash(browser)}, LOGIN_TTL)
        return str(found["google"])

    async def browser_login(self, next_path: str, browser: str, link_to: str | None = None) -> str:
        """A person signs in to this server in their browser (for the approval page), or, signed in already,
        links another of their Google accounts (`link_to`: their id): on to Google. `browser` is a secret in
        a cookie of the browser that started it: only that browser can finish it (no one can make another
        person's browser finish a sign-in they began, and so sign it in as them)."""
        record = {"browser": _hash(browser), "next": next_path, "link": link_to}
        login = await self._to_google(record)
        return str((await self.kv.get("login:" + _hash(login)) or {})["google"])

    async def _to_google(self, login_record: dict[str, Any]) -> str:
        """The sign-in's id (Google's `state`), its record kept with the URL of Google's consent screen."""
        app = await self.grants.ready()
        login, verifier = secrets.token_urlsafe(32), secrets.token_urlsafe(48)
        query = {
            "client_id": app.client_id,
            "redirect_uri": self.callback,
            "response_type": "code",
            "scope": " ".join(["openid", "email", *self.google_scopes]),
            "state": login,
            "access_type": "offline",
            "prompt": "select_account consent" if login_record.get("link") else "consent",
            "code_challenge": _challenge(verifier),
            "code_challenge_method": "S256",
        }
        google = app.auth_uri + "?" + urlencode(query)
        await self.kv.put("login:" + _hash(login), {**login_record, "verifier": verifier, "google": google}, LOGIN_TTL)
        return login

    async def finish_sign_in(self, state: str, code: str, browser: str | None = None) -> SignedIn:
        """Google's callback: the person's grant is kept; then back to the client that asked (with our
        code), or to the page the browser came from (with a session)."""
        login = await self.kv.take("login:" + _hash(state))
        if login is None:
            raise SignInFailed("This sign-in expired or was already used: start again from your MCP client.")
        if not (login.get("browser") and browser and hmac.compare_digest(_hash(browser), str(login["browser"]))):
            raise SignInFailed("This sign-in was started in another browser: start again here.")
        google = await self._exchange(code, login["verifier"])
        claims = _id_claims(str(google.get("id_token", "")), self.grants.app.client_id)
        refusal = self.admission.refusal(claims)
        if refusal:
            raise NotAdmitted(refusal)
        refresh = google.get("refresh_token")
        if not refresh:
            raise SignInFailed("Google gave no lasting access (no refresh token): sign in again and allow access.")
        person = str(login.get("link") or person_of(str(claims["sub"])))  # linking: the signed-in person's
        scopes = str(google.get("scope", "")).split()
        email = str(claims.get("email", ""))
        await self.grants.save(person, email, str(refresh), scopes)
        if login.get("link"):
            return SignedIn(str(login["next"]), person)
        if login.get("next"):
            session = secrets.token_urlsafe(32)
            record = {"person": person, "csrf": secrets.token_urlsafe(32)}
            await self.kv.put("session:" + _hash(session), record, SESSION_TTL)
            return SignedIn(str(login["next"]), person, session)
        client_id, params = str(login["client_id"]), dict(login["params"])
        if await self.decisions.allowed(person, client_id, str(params["redirect_uri"])):
            return SignedIn(await self.issue_code(client_id, params, person), person, to_client=True)
        ask = secrets.token_urlsafe(32)  # the consent page's address, known only to this browser
        pending = {
            "client_id": client_id,
            "params": params,
            "person": person,
            "email": email,
            "google_scopes": scopes,
            "browser": login["browser"],
            "csrf": secrets.token_urlsafe(32),
        }
        await self.kv.put("consent:" + _hash(ask), pending, LOGIN_TTL)
        return SignedIn("/oauth/consent/" + ask, person)

    async def issue_code(self, client_id: str, params_record: dict[str, Any], person: str) -> str:
        """Our one-time code for the client, on its redirect URI (the person allowed this client there)."""
        params = AuthorizationParams.model_validate(params_record)
        ours = secrets.token_urlsafe(32)
        code_record = AuthorizationCode(
            code=ours,
            scopes=params.scopes or [SCOPE],
            expires_at=time.time() + CODE_TTL,
            client_id=client_id,
            code_challenge=params.code_challenge,
            redirect_uri=params.redirect_uri,
            redirect_uri_provided_explicitly=params.redirect_uri_provided_explicitly,
            resource=self.resource,
            subject=person,
        )
        await self.kv.put("code:" + _hash(ours), code_record.model_dump(mode="json"), CODE_TTL)
        return construct_redirect_uri(str(params.redirect_uri), code=ours, state=params.state)

    async def session(self, cookie: str | None) -> Session | None:
        """The browser session a cookie names, if it is live and its person still has their grant."""
        found = await self.kv.get("session:" + _hash(cookie)) if cookie else None
        if found is None or await self.grants.load(str(found["person"])) is None:
            return None
        return Session(str(found["person"]), str(found["csrf"]))

    async def _exchange(self, code: str, verifier: str) -> dict[str, Any]:
        import httpx2

        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.callback,
            "client_id": self.grants.app.client_id,
            "client_secret": self.grants.app.client_secret,
            "code_verifier": verifier,
        }
        try:
            async with httpx2.AsyncClient(timeout=self.timeout) as http:
                response = await http.post(self.grants.app.token_uri, data=form)
        except httpx2.HTTPError as exc:
            raise SignInFailed(f"Google could not be reached ({type(exc).__name__}); try again.") from None
        if response.status_code != 200:
            raise SignInFailed(f"Google refused the sign-in ({response.status_code}); start again.")
        return dict(response.json())

    # codes and tokens (tokens.py) ----------------------------------------------------------------
    async def load_authorization_code(
        self, client: OAuthClientInformationFull, authorization_code: str
    ) -> AuthorizationCode | None:
        return await self.tokens.load_code(str(client.client_id), authorization_code)

    async def exchange_authorization_code(
        self, client: OAuthClientInformationFull, authorization_code: AuthorizationCode
    ) -> OAuthToken:
        issued = await self.tokens.redeem(str(client.client_id), authorization_code)
        await self._keep_client(client)
        return issued

    async def load_refresh_token(self, client: OAuthClientInformationFull, refresh_token: str) -> RefreshToken | None:
        return await self.tokens.load_refresh(str(client.client_id), refresh_token)

    async def exchange_refresh_token(
        self, client: OAuthClientInformationFull, refresh_token: RefreshToken, scopes: list[str]
    ) -> OAuthToken:
        issued = await self.tokens.rotate(str(client.client_id), refresh_token, scopes)
        await self._keep_client(client)
        return issued

    async def load_access_token(self, token: str) -> AccessToken | None:
        return await self.tokens.load_access(token)

    async def revoke_token(self, token: AccessToken | RefreshToken) -> None:
        await self.tokens.revoke(token.token)

    async def exchange_identity_assertion(self, client: OAuthClientInformationFull, params: Any) -> OAuthToken:
        raise TokenError("unsupported_grant_type", "Sign in with Google through /authorize.")


def _id_claims(id_token: str, audience: str) -> dict[str, Any]:
    """The ID token's claims. It came straight from Google's token endpoint over the connection we opened,
    which authenticates it (OpenID Connect Core 3.1.3.7); issuer and audience are still checked."""
    try:
        body = id_token.split(".")[1]
        claims = dict(json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))))
    except (IndexError, ValueError):
        raise SignInFailed("Google's answer had no usable identity; sign in again.") from None
    if claims.get("iss") not in ("accounts.google.com", "https://accounts.google.com") or claims.get("aud") != audience:
        raise SignInFailed("Google's answer was for another application; sign in again.")
    if not claims.get("sub"):
        raise SignInFailed("Google's answer named nobody; sign in again.")
    return claims
