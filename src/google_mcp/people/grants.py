"""People's Google grants: the refresh token each person gave when they signed in, encrypted at rest
(Fernet, with the key from GOOGLE_MCP_PEOPLE_KEY or a 0600 file), kept in the sign-in store, and held in
memory while the person is active. A grant Google revoked is dropped: that person signs in again, and
nobody else notices."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

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
        self._active: dict[str, Grant] = {}
        self._signed_in: dict[str, int] = {}  # how many times each person signed in, in this process

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
        sealed = self._fernet.encrypt(refresh_token.encode()).decode()
        await self.kv.put("grant:" + person, {"email": email, "token": sealed, "scopes": scopes})
        self._active[person] = Grant(person, email, refresh_token, scopes)
        self._signed_in[person] = self._signed_in.get(person, 0) + 1

    def sign_in_count(self, person: str) -> int:
        """Changes when the person signs in again: what was built on their old grant is stale."""
        return self._signed_in.get(person, 0)

    async def load(self, person: str) -> Grant | None:
        """The person's grant, None when they have none (or Google revoked it: then it is dropped)."""
        found = self._active.get(person)
        if found is not None and not found.revoked:
            return found
        stored = await self.kv.get("grant:" + person)
        token = self._fernet.decrypt(str(stored["token"]).encode()).decode() if stored else None
        if stored is None or token is None or (found is not None and token == found.refresh_token):
            if stored is not None:  # the one Google refused: gone (not a newer one another process saved)
                await self.kv.delete("grant:" + person)
            self._active.pop(person, None)
            return None
        if found is not None:  # signed in again (on another process): what was built on the old one goes
            self._signed_in[person] = self._signed_in.get(person, 0) + 1
        found = self._active[person] = Grant(person, stored["email"], token, list(stored["scopes"]))
        return found

    def active(self, person: str) -> Grant:
        """The grant of a person whose request is being served (loaded when their token was checked)."""
        return self._active[person]

    def credentials(self, person: str) -> Credentials:
        from google.oauth2.credentials import Credentials

        grant = self.active(person)
        return Credentials(
            None,
            refresh_token=grant.refresh_token,
            client_id=self.app.client_id,
            client_secret=self.app.client_secret,
            token_uri=self.app.token_uri,
            scopes=grant.scopes,
        )

    def revoked(self, person: str) -> None:
        """Google refused the person's refresh token: their next request is asked to sign in again."""
        found = self._active.get(person)
        if found is not None:
            found.revoked = True


def new_secret() -> str:
    return secrets.token_urlsafe(32)  # 256 bits
