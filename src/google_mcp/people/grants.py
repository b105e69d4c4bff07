"""People's Google grants: the refresh token each person gave when they signed in, encrypted at rest
(Fernet, with the key from GOOGLE_MCP_PEOPLE_KEY or a 0600 file), kept in the sign-in store, and held in
memory while the person is active. A grant Google revoked is dropped: that person signs in again, and
nobody else notices."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from google_mcp.people.kv import KV

if TYPE_CHECKING:
    from google.oauth2.credentials import Credentials

    from google_mcp.settings import Settings


@dataclass
class Grant:
    person: str
    email: str
    refresh_token: str
    scopes: list[str]
    revoked: bool = False


@dataclass
class Linked:
    """A person's Google accounts: the one they sign in with (the default) and those they linked."""

    person: str
    default: str
    accounts: dict[str, Grant]


@dataclass(frozen=True)
class GoogleApp:
    """This server's OAuth client at Google (the sandbox's, in sandbox mode)."""

    client_id: str
    client_secret: str
    auth_uri: str
    token_uri: str
    revoke_uri: str


def people_key(settings: Settings) -> bytes:
    if settings.people_key is not None:
        return settings.people_key.get_secret_value().encode()
    from cryptography.fernet import Fernet

    path = settings.people_key_path
    try:
        return str(json.loads(path.read_text())["key"]).encode()
    except (OSError, ValueError, KeyError, TypeError):
        from google_mcp.auth import write_private

        key = Fernet.generate_key()
        write_private(path, {"key": key.decode()})
        return key


def google_app(settings: Settings, sandbox_url: str | None) -> GoogleApp:
    """This server's OAuth client at Google: the client secrets file's ("web" or "installed"), or the
    sandbox's."""
    if sandbox_url:
        from google_mcp.auth import sandbox_credentials_info

        info = sandbox_credentials_info(sandbox_url)
        base = sandbox_url.rstrip("/")
        return GoogleApp(
            info["client_id"], info["client_secret"], base + "/o/oauth2/auth", base + "/token", base + "/revoke"
        )
    from google_mcp.errors import AuthRequired

    path = settings.client_secrets_file
    try:
        data = json.loads(path.read_text()) if path else {}
        entry = data.get("web") or data.get("installed")
        if not isinstance(entry, dict):
            raise ValueError("no web or installed client")
        return GoogleApp(
            entry["client_id"],
            entry["client_secret"],
            entry.get("auth_uri", "https://accounts.google.com/o/oauth2/auth"),
            entry.get("token_uri", "https://oauth2.googleapis.com/token"),
            "https://oauth2.googleapis.com/revoke",
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        raise AuthRequired(
            "Signing people in needs this server's Google OAuth client: set GOOGLE_MCP_CLIENT_SECRETS_FILE "
            "to the client JSON from Google Cloud Console (a Web application client whose redirect URI is "
            "GOOGLE_MCP_PUBLIC_URL/oauth/callback)."
        ) from None


class Grants:
    def __init__(self, kv: KV, key: bytes, load_app: Callable[[], GoogleApp]) -> None:
        from cryptography.fernet import Fernet

        self.kv, self._load_app = kv, load_app
        self._app: GoogleApp | None = None
        self._fernet = Fernet(key)
        self._active: dict[str, Linked] = {}
        self._signed_in: dict[tuple[str, str], int] = {}  # grants replaced, per person and account, here

    @property
    def app(self) -> GoogleApp:
        if self._app is None:
            self._app = self._load_app()
        return self._app

    async def ready(self) -> GoogleApp:
        """The Google client, read once (in a worker thread: it may fetch)."""
        if self._app is None:
            import anyio.to_thread

            self._app = await anyio.to_thread.run_sync(self._load_app)
        return self._app

    async def save(self, person: str, email: str, refresh_token: str, scopes: list[str]) -> None:
        """Keep a Google account's grant for the person: their first account (the one they sign in with),
        or another one they link. Signing in again replaces that account's grant and keeps the others."""
        stored = await self.kv.get("grant:" + person) or {"default": email, "accounts": {}}
        sealed = self._fernet.encrypt(refresh_token.encode()).decode()
        stored["accounts"][email] = {"token": sealed, "scopes": scopes}
        await self.kv.put("grant:" + person, stored)
        self._active[person] = self._open(person, stored)
        self._signed_in[(person, email)] = self._signed_in.get((person, email), 0) + 1

    def _open(self, person: str, stored: dict[str, Any]) -> Linked:
        accounts = {
            email: Grant(person, email, self._fernet.decrypt(str(v["token"]).encode()).decode(), list(v["scopes"]))
            for email, v in stored["accounts"].items()
        }
        return Linked(person, str(stored["default"]), accounts)

    def sign_in_count(self, person: str, email: str) -> int:
        """Changes when an account's grant is replaced: what was built on the old one is stale."""
        return self._signed_in.get((person, email), 0)

    async def load(self, person: str) -> Linked | None:
        """The person's accounts; None when they must sign in (none kept, or Google refused the first).
        An account Google refused is dropped, unless another process has kept a newer grant for it."""
        found = self._active.get(person)
        if found is not None and not any(g.revoked for g in found.accounts.values()):
            return found
        stored = await self.kv.get("grant:" + person)
        if stored is None:
            self._active.pop(person, None)
            return None
        fresh = self._open(person, stored)
        for email, grant in (found.accounts if found else {}).items():
            newer = fresh.accounts.get(email)
            if newer is not None and newer.refresh_token != grant.refresh_token:
                self._signed_in[(person, email)] = self._signed_in.get((person, email), 0) + 1
            elif grant.revoked and newer is not None:  # the one Google refused: gone
                del stored["accounts"][email]
                del fresh.accounts[email]
        if fresh.default not in fresh.accounts:
            if stored["accounts"]:
                await self.kv.put("grant:" + person, stored)  # the linked ones wait for their person
            else:
                await self.kv.delete("grant:" + person)
            self._active.pop(person, None)
            return None
        await self.kv.put("grant:" + person, stored)
        self._active[person] = fresh
        return fresh

    def active(self, person: str) -> Linked:
        """The accounts of a person whose request is being served (loaded when their token was checked)."""
        return self._active[person]

    def credentials(self, person: str, email: str) -> Credentials:
        from google.oauth2.credentials import Credentials

        grant = self.active(person).accounts[email]
        return Credentials(
            None,
            refresh_token=grant.refresh_token,
            client_id=self.app.client_id,
            client_secret=self.app.client_secret,
            token_uri=self.app.token_uri,
            scopes=grant.scopes,
        )

    def rotated(self, person: str, email: str, refresh_token: str) -> None:
        """Google replaced the account's refresh token (called from the worker thread that refreshed):
        the new one is kept, encrypted, or the next process to load the grant would hold a dead one."""
        import anyio.from_thread

        found = self._active.get(person)
        if found is None or email not in found.accounts:
            return
        grant = found.accounts[email]
        grant.refresh_token = refresh_token
        anyio.from_thread.run(self._keep, person, email, refresh_token, grant.scopes)

    async def _keep(self, person: str, email: str, refresh_token: str, scopes: list[str]) -> None:
        stored = await self.kv.get("grant:" + person)
        if stored is None or email not in stored["accounts"]:
            return
        stored["accounts"][email] = {"token": self._fernet.encrypt(refresh_token.encode()).decode(), "scopes": scopes}
        await self.kv.put("grant:" + person, stored)

    def revoked(self, person: str, email: str) -> None:
        """Google refused this account's refresh token: it is dropped on the person's next request (and
        when it is their first account, they are asked to sign in again)."""
        found = self._active.get(person)
        if found is not None and email in found.accounts:
            found.accounts[email].revoked = True
