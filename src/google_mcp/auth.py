"""Google credentials: the installed-app OAuth flow, and a token file kept with mode 0600."""

from __future__ import annotations

import json
import logging
import os
import tempfile
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from google_mcp.errors import AuthRequired

if TYPE_CHECKING:
    from google.oauth2.credentials import Credentials

    from google_mcp.settings import Settings

log = logging.getLogger(__name__)

G = "https://www.googleapis.com/auth/"
# each tool group's scopes: (to read, to write)
GROUP_SCOPES = {
    "gmail": ((G + "gmail.readonly",), (G + "gmail.modify",)),
    "calendar": ((G + "calendar.readonly",), (G + "calendar.events", G + "calendar.readonly")),
    # finding documents by name and text is Drive's; reading and writing them is Docs'
    "docs": ((G + "documents.readonly", G + "drive.readonly"), (G + "documents", G + "drive.readonly")),
    "tasks": ((G + "tasks.readonly",), (G + "tasks",)),
    # names, not ids: a message's sender is only an id with a person's sign-in; the members list names them
    "chat": (
        (G + "chat.spaces.readonly", G + "chat.messages.readonly", G + "chat.memberships.readonly"),
        (
            G + "chat.spaces.readonly",
            G + "chat.messages.readonly",
            G + "chat.memberships.readonly",
            G + "chat.messages.create",
            G + "chat.messages.reactions.create",
        ),
    ),
    "sheets": ((G + "spreadsheets.readonly",), (G + "spreadsheets",)),
    "slides": ((G + "presentations.readonly",), (G + "presentations",)),
    # Drive's files, any of them (drive.file would reach only what this app made or was handed, not the
    # person's existing files to move, rename, trash or share); Google Docs read as Markdown through Docs
    "drive": ((G + "drive.readonly", G + "documents.readonly"), (G + "drive", G + "documents.readonly")),
    # the person's contacts, the people they wrote to ("other contacts"), and their Workspace domain's directory
    "contacts": (
        (G + "contacts.readonly", G + "contacts.other.readonly", G + "directory.readonly"),
        (G + "contacts", G + "contacts.other.readonly", G + "directory.readonly"),
    ),
}
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"


def group_scopes(group: str, read_only: bool) -> tuple[str, ...]:
    """A tool group's Google scopes (none for Slack and SMS, which do not sign in to Google)."""
    read, write = GROUP_SCOPES.get(group, ((), ()))
    return read if read_only else write


def scopes_for(
    read_only: bool, groups: Sequence[str] = ("gmail", "calendar", "docs", "sheets", "slides")
) -> tuple[str, ...]:
    """The scopes the enabled tool groups need, and no more."""
    return tuple(dict.fromkeys(s for group in groups for s in group_scopes(group, read_only)))


def write_private(path: Path, data: dict[str, Any]) -> None:
    """Write JSON readable by the owner only (0600), atomically."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".token-")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(data, fh)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    os.chmod(path, 0o600)


def sandbox_credentials_info(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url.rstrip("/") + "/_sandbox/credentials", timeout=10) as resp:  # noqa: S310
        data: dict[str, Any] = json.load(resp)
    return data


def credentials_to_json(creds: Credentials) -> dict[str, Any]:
    return {
        "token": creds.token,
        "refresh_token": creds.refresh_token,
        "client_id": creds.client_id,
        "client_secret": creds.client_secret,
        "token_uri": creds.token_uri,
        "scopes": list(creds.scopes or []),
        "expiry": creds.expiry.isoformat() if creds.expiry else None,
    }


def load_credentials(settings: Settings, sandbox_url: str | None) -> Credentials:
    """Credentials for API calls: from the sandbox when one is used, else from the token file."""
    from datetime import datetime

    from google.oauth2.credentials import Credentials

    if sandbox_url:
        info = sandbox_credentials_info(sandbox_url)
        return Credentials(
            None,
            refresh_token=info["refresh_token"],
            client_id=info["client_id"],
            client_secret=info["client_secret"],
            token_uri=info["token_uri"],
            scopes=info.get("scopes"),
        )
    path = settings.token_file
    if not path.exists():
        raise AuthRequired(
            f"No Google sign-in found at {path}. Run `google-mcp auth` to sign in "
            "(or start with --sandbox to try it without a Google account)."
        )
    try:
        data = json.loads(path.read_text())
        expiry = datetime.fromisoformat(data["expiry"]).replace(tzinfo=None) if data.get("expiry") else None
        # Built by hand: from_authorized_user_info would reset token_uri to Google's.
        return Credentials(
            data.get("token"),
            refresh_token=data["refresh_token"],
            client_id=data["client_id"],
            client_secret=data["client_secret"],
            token_uri=data.get("token_uri") or GOOGLE_TOKEN_URI,
            scopes=data.get("scopes"),
            expiry=expiry,
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise AuthRequired(
            f"The token file {path} is unreadable ({type(exc).__name__}). Run `google-mcp auth` to sign in again."
        ) from None


def run_auth_flow(settings: Settings, *, sandbox_url: str | None, open_browser: bool, port: int = 0) -> Path:
    """The installed-app flow with PKCE; stores the token with mode 0600 and returns its path."""
    from google_auth_oauthlib.flow import InstalledAppFlow

    scopes = list(scopes_for(settings.read_only, settings.tools))
    if sandbox_url:
        info = sandbox_credentials_info(sandbox_url)
        os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the sandbox speaks plain http on loopback
        config = {
            "installed": {
                "client_id": info["client_id"],
                "client_secret": info["client_secret"],
                "auth_uri": info["auth_uri"],
                "token_uri": info["token_uri"],
                "redirect_uris": ["http://127.0.0.1"],
            }
        }
        flow = InstalledAppFlow.from_client_config(config, scopes=scopes, autogenerate_code_verifier=True)
    else:
        if settings.client_secrets_file is None or not settings.client_secrets_file.exists():
            raise AuthRequired(
                "Set GOOGLE_MCP_CLIENT_SECRETS_FILE to the OAuth client JSON downloaded from the "
                "Google Cloud console (an OAuth client of type Desktop app), then run again."
            )
        flow = InstalledAppFlow.from_client_secrets_file(
            str(settings.client_secrets_file), scopes=scopes, autogenerate_code_verifier=True
        )
    creds = flow.run_local_server(
        host="127.0.0.1",
        port=port,
        open_browser=open_browser,
        authorization_prompt_message="Open this URL in your browser to sign in:\n{url}",
        success_message="google-mcp is signed in. You can close this window.",
    )
    write_private(settings.token_file, credentials_to_json(creds))
    return settings.token_file
