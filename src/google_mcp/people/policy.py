"""The rules of a shared server: who may sign in (GOOGLE_MCP_ALLOWED_ACCOUNTS, GOOGLE_MCP_ALLOWED_DOMAINS), and
where an MCP client may have its codes sent (https, or http on this machine; never a fragment)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from google_mcp.settings import Settings

LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")


def redirect_uri_problem(uri: str) -> str | None:
    """Why a client's redirect URI is refused, or None. A code sent over plain http off this machine, to a
    `javascript:`/`data:`/`file:` URL or into a fragment could be read by someone other than the client."""
    try:
        parts = urlsplit(uri)
        host = parts.hostname
    except ValueError:
        return f"{uri!r} is not a URL"
    if "#" in uri:
        return f"{uri!r} has a fragment: redirect URIs must not (RFC 6749 §3.1.2)"
    if parts.scheme == "https" and host:
        return None
    if parts.scheme == "http" and host in LOOPBACK_HOSTS:
        return None
    return f"{uri!r} is neither https nor http on loopback (127.0.0.1, [::1], localhost)"


def redirect_uris_problem(uris: list[Any] | None) -> str | None:
    for uri in uris or []:
        problem = redirect_uri_problem(str(uri))
        if problem:
            return problem
    return None


@dataclass(frozen=True)
class Admission:
    """Who may sign in. Empty lists admit every Google account (allowed only on loopback: see `require`)."""

    accounts: frozenset[str]
    domains: frozenset[str]

    @classmethod
    def of(cls, settings: Settings) -> Admission:
        return cls(
            frozenset(a.strip().lower() for a in settings.allowed_accounts),
            frozenset(d.strip().lower().lstrip("@") for d in settings.allowed_domains),
        )

    def refusal(self, claims: dict[str, Any]) -> str | None:
        """Why these ID token claims may not sign in, or None. An account is named by its email only when
        Google says it verified it; a domain by `hd`, which Google sets only for accounts its Workspace
        manages (a consumer account registered with an address at the domain has none)."""
        if not self.accounts and not self.domains:
            return None
        email = str(claims.get("email", "")).lower()
        verified = claims.get("email_verified") in (True, "true")
        if verified and email in self.accounts:
            return None
        if str(claims.get("hd", "")).lower() in self.domains - {""}:
            return None
        who = email or "This Google account"
        return (
            f"{who} may not sign in to this server. Sign in with an account it admits, or ask its operator to "
            "add yours to GOOGLE_MCP_ALLOWED_ACCOUNTS (or its Workspace domain to GOOGLE_MCP_ALLOWED_DOMAINS)."
        )


def require_admission(settings: Settings) -> None:
    """Off loopback, a shared server must say whose accounts may sign in: otherwise anyone with a Google
    account could use it (and whatever it is configured to reach)."""
    if settings.oauth and not settings.loopback and not (settings.allowed_accounts or settings.allowed_domains):
        raise SystemExit(
            f"Refusing to let every Google account sign in on {settings.host}: set GOOGLE_MCP_ALLOWED_ACCOUNTS "
            "(emails) or GOOGLE_MCP_ALLOWED_DOMAINS (Workspace domains), or bind to 127.0.0.1."
        )
