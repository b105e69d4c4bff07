"""OAuth 2.0 as Google's endpoints speak it: authorization code with PKCE, refresh, revocation."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlparse

from .errors import insufficient_scope, unauthenticated

ALL_SCOPES = (
    "https://mail.google.com/",
    "https://www.googleapis.com/auth/gmail.modify",
    "https://www.googleapis.com/auth/gmail.readonly",
    "https://www.googleapis.com/auth/gmail.send",
    "https://www.googleapis.com/auth/gmail.compose",
    "https://www.googleapis.com/auth/gmail.labels",
    "https://www.googleapis.com/auth/calendar",
    "https://www.googleapis.com/auth/calendar.events",
    "https://www.googleapis.com/auth/calendar.readonly",
    "https://www.googleapis.com/auth/documents",
    "https://www.googleapis.com/auth/documents.readonly",
    "https://www.googleapis.com/auth/drive",
    "https://www.googleapis.com/auth/drive.file",
    "https://www.googleapis.com/auth/drive.readonly",
    "https://www.googleapis.com/auth/drive.metadata.readonly",
    "https://www.googleapis.com/auth/tasks",
    "https://www.googleapis.com/auth/tasks.readonly",
    "https://www.googleapis.com/auth/chat.spaces.readonly",
    "https://www.googleapis.com/auth/chat.messages.readonly",
    "https://www.googleapis.com/auth/chat.memberships.readonly",
    "https://www.googleapis.com/auth/chat.messages.create",
    "https://www.googleapis.com/auth/chat.messages.reactions.create",
    "https://www.googleapis.com/auth/spreadsheets",
    "https://www.googleapis.com/auth/spreadsheets.readonly",
    "https://www.googleapis.com/auth/presentations",
    "https://www.googleapis.com/auth/presentations.readonly",
    "https://www.googleapis.com/auth/contacts",
    "https://www.googleapis.com/auth/contacts.readonly",
    "https://www.googleapis.com/auth/contacts.other.readonly",
    "https://www.googleapis.com/auth/directory.readonly",
)


class OAuthError(Exception):
    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status, self.error, self.description = status, error, description

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


@dataclass
class Grant:
    scopes: frozenset[str]
    revoked: bool = False
    account: str = "alex.morgan@example.com"  # whose data the tokens of this grant reach


@dataclass
class OAuth:
    client_id: str = "sandbox-client.apps.googleusercontent.com"
    client_secret: str = field(default_factory=lambda: "GOCSPX-" + secrets.token_urlsafe(18))
    token_lifetime: int = 3600
    refresh_tokens: dict[str, Grant] = field(default_factory=dict)
    access_tokens: dict[str, tuple[Grant, float]] = field(default_factory=dict)
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    rotate: bool = False  # each refresh hands out a new refresh token and revokes the old (as some servers do)
    workspace_domains: tuple[str, ...] = ("example.com",)  # their accounts' ID tokens carry `hd`, as Google's do
    id_claims: dict[str, Any] = field(default_factory=dict)  # a test's overrides (/_sandbox/id-token): a forged aud

    def new_refresh_token(self, scopes: tuple[str, ...] = ALL_SCOPES, account: str | None = None) -> str:
        token = "1//sandbox-" + secrets.token_urlsafe(32)
        self.refresh_tokens[token] = Grant(frozenset(scopes), account=account or Grant.account)
        return token

    def _access(self, grant: Grant) -> dict[str, Any]:
        token = "ya29.sandbox-" + secrets.token_urlsafe(32)
        self.access_tokens[token] = (grant, time.time() + self.token_lifetime)
        return {
            "access_token": token,
            "expires_in": self.token_lifetime,
            "token_type": "Bearer",
            "scope": " ".join(sorted(grant.scopes)),
        }

    def authorize(self, query: dict[str, str], accounts: tuple[str, ...] = ()) -> str:
        """The consent screen, approved at once: the redirect URL with a code. The account signed in is
        `login_hint`'s (one of `accounts`), the first account otherwise."""
        if query.get("client_id") != self.client_id:
            raise OAuthError(401, "invalid_client", "The OAuth client was not found.")
        redirect = query.get("redirect_uri", "")
        parsed = urlparse(redirect)
        if parsed.scheme not in ("http", "https") or parsed.hostname not in ("127.0.0.1", "localhost", "::1"):
            raise OAuthError(400, "invalid_request", "redirect_uri must be a loopback URL (http, or https).")
        if query.get("response_type") != "code":
            raise OAuthError(400, "unsupported_response_type", "Only response_type=code is supported.")
        scopes = frozenset(query.get("scope", "").split())
        unknown = scopes - set(ALL_SCOPES) - {"openid", "email", "profile"}
        if not scopes or unknown:
            raise OAuthError(400, "invalid_scope", f"Some requested scopes were invalid: {sorted(unknown)}")
        account = query.get("login_hint") or (accounts[0] if accounts else Grant.account)
        if accounts and account not in accounts:
            raise OAuthError(400, "invalid_request", f"No such account here: {account}")
        code = "4/sandbox-" + secrets.token_urlsafe(24)
        self.codes[code] = {
            "account": account,
            "redirect_uri": redirect,
            "scopes": scopes,
            "expires": time.time() + 600,
            "challenge": query.get("code_challenge"),
            "method": query.get("code_challenge_method", "plain"),
        }
        params = {"code": code, "scope": " ".join(sorted(scopes))}
        if "state" in query:
            params["state"] = query["state"]
        return f"{redirect}{'&' if '?' in redirect else '?'}{urlencode(params)}"

    def token(self, form: dict[str, str]) -> dict[str, Any]:
        if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            raise OAuthError(401, "invalid_client", "Unauthorized")
        grant_type = form.get("grant_type")
        if grant_type == "refresh_token":
            grant = self.refresh_tokens.get(form.get("refresh_token", ""))
            if grant is None or grant.revoked:
                raise OAuthError(400, "invalid_grant", "Token has been expired or revoked.")
            if not self.rotate:
                return self._access(grant)
            fresh = self.new_refresh_token(tuple(grant.scopes), grant.account)
            self.refresh_tokens[form.get("refresh_token", "")] = Grant(
                grant.scopes, revoked=True, account=grant.account
            )
            return {**self._access(self.refresh_tokens[fresh]), "refresh_token": fresh}
        if grant_type == "authorization_code":
            info = self.codes.pop(form.get("code", ""), None)
            if info is None or info["expires"] < time.time():
                raise OAuthError(400, "invalid_grant", "Malformed auth code.")
            if form.get("redirect_uri") != info["redirect_uri"]:
                raise OAuthError(400, "redirect_uri_mismatch", "Bad Request")
            if info["challenge"]:
                verifier = form.get("code_verifier", "")
                if info["method"] == "S256":
                    digest = hashlib.sha256(verifier.encode()).digest()
                    expected = base64.urlsafe_b64encode(digest).decode().rstrip("=")
                else:
                    expected = verifier
                if not verifier or not secrets.compare_digest(expected, info["challenge"]):
                    raise OAuthError(400, "invalid_grant", "Invalid code verifier.")
            refresh = self.new_refresh_token(tuple(info["scopes"] & set(ALL_SCOPES)), info["account"])
            out = self._access(self.refresh_tokens[refresh])
            out["refresh_token"] = refresh
            if "openid" in info["scopes"] or "email" in info["scopes"]:
                out["id_token"] = self.id_token(info["account"], form["client_id"])
            return out
        raise OAuthError(400, "unsupported_grant_type", f"Invalid grant_type: {grant_type}")

    def revoke(self, token: str) -> None:
        if token in self.refresh_tokens:
            self.refresh_tokens[token].revoked = True
        elif token in self.access_tokens:
            self.access_tokens[token][0].revoked = True
        else:
            raise OAuthError(400, "invalid_token", "Token is not valid.")

    def id_token(self, account: str, audience: str) -> str:
        """An OpenID Connect ID token for the account (unsigned here: it comes straight from the token
        endpoint over the connection the client opened, which is what makes it trustworthy)."""
        now = int(time.time())
        claims: dict[str, Any] = {"iss": "https://accounts.google.com", "aud": audience, "sub": "sub-" + account}
        claims.update(email=account, email_verified=True, iat=now, exp=now + 3600)
        domain = account.rpartition("@")[2]
        if domain in self.workspace_domains:  # Google names the Workspace domain; consumer accounts have no hd
            claims["hd"] = domain
        claims.update(self.id_claims)
        claims = {k: v for k, v in claims.items() if v is not None}  # an override of None removes the claim

        def part(value: dict[str, Any]) -> str:
            return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

        return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."

    def check(self, authorization: str | None, needed: tuple[str, ...]) -> Grant:
        if not authorization or not authorization.lower().startswith("bearer "):
            raise unauthenticated()
        found = self.access_tokens.get(authorization[7:].strip())
        if found is None or found[1] < time.time() or found[0].revoked:
            raise unauthenticated()
        grant = found[0]
        if needed and not grant.scopes.intersection(needed):
            raise insufficient_scope(needed)
        return grant
