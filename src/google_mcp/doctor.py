"""`google-mcp doctor`: check the configuration and say what to fix, one line per check."""

from __future__ import annotations

import json
import stat
import urllib.request

from google_mcp.errors import GoogleMCPError
from google_mcp.settings import Settings


def checks(settings: Settings) -> list[tuple[bool, str]]:
    out: list[tuple[bool, str]] = []
    if settings.sandbox:
        out.append((True, "Google: in-process sandbox (no Google account needed)"))
    elif settings.sandbox_url:
        try:
            with urllib.request.urlopen(settings.sandbox_url.rstrip("/") + "/_sandbox/health", timeout=5) as r:  # noqa: S310
                info = json.load(r)
            out.append((True, f"Google: sandbox at {settings.sandbox_url} ({info.get('messages')} messages)"))
        except OSError as exc:
            out.append(
                (
                    False,
                    f"Google: sandbox at {settings.sandbox_url} is unreachable ({exc}); start it with "
                    "`google-mcp sandbox`",
                )
            )
    elif not settings.oauth:
        out += _token_checks(settings)
    if settings.oauth:
        out += _people_checks(settings)
    tokens = settings.bearer_tokens()
    if not settings.oauth and not settings.loopback and not tokens:
        out.append(
            (
                False,
                f"HTTP: host {settings.host} is not loopback and GOOGLE_MCP_AUTH_TOKEN is unset; "
                "the server will refuse to start",
            )
        )
    else:
        out.append(
            (
                True,
                f"HTTP: binds {settings.host}:{settings.port}"
                + (f", {len(tokens)} bearer token(s)" if tokens else ", no bearer token (loopback only)"),
            )
        )
    if settings.redis_url is not None:
        try:
            from google_mcp.redisconn import is_cluster, sync_client

            url = settings.redis_url.get_secret_value()
            client = sync_client(url)
            try:
                client.ping()
            finally:
                client.close()
            kind = "Redis Cluster" if is_cluster(url) else "Redis"
            out.append((True, f"{kind}: reachable (pending confirmations are shared)"))
        except Exception as exc:
            out.append((False, f"Redis: unreachable ({type(exc).__name__}); check GOOGLE_MCP_REDIS_URL"))
    else:
        out.append((True, "Redis: not configured; pending confirmations live in this process"))
    out.append(_record_check(settings))
    out += _realtime_checks(settings)
    if settings.gemini_api_key is None:
        out.append((True, "Gemini router: off (set GOOGLE_MCP_GEMINI_API_KEY to enable the `ask` tool)"))
    else:
        out.append((True, f"Gemini router: on, model {settings.gemini_model}"))
    return out


def _people_checks(settings: Settings) -> list[tuple[bool, str]]:
    """Many people: where they sign in, where their grants are kept, and the Google client it needs."""
    out: list[tuple[bool, str]] = []
    base = settings.base_url
    secure = base.startswith("https://") or settings.loopback
    out.append(
        (
            secure,
            f"People sign in with their own Google accounts at {base}/authorize (Google returns to "
            f"{base}/oauth/callback)" + ("" if secure else " — use an https:// GOOGLE_MCP_PUBLIC_URL off loopback"),
        )
    )
    admitted = [*settings.allowed_accounts, *(f"*@{d} (Workspace)" for d in settings.allowed_domains)]
    if admitted:
        out.append((True, "Who may sign in: " + ", ".join(admitted)))
    else:
        out.append(
            (
                settings.loopback,
                "Who may sign in: every Google account"
                + ("" if settings.loopback else " — set GOOGLE_MCP_ALLOWED_ACCOUNTS or GOOGLE_MCP_ALLOWED_DOMAINS"),
            )
        )
    where = "Redis" if settings.redis_url else f"SQLite at {settings.people_file}"
    key = "GOOGLE_MCP_PEOPLE_KEY" if settings.people_key else f"the key in {settings.people_key_path}"
    out.append((True, f"Their Google grants: encrypted with {key}, kept in {where}"))
    if not (settings.sandbox or settings.sandbox_url):
        try:
            from google_mcp.people.grants import google_app

            google_app(settings, None)
            out.append((True, f"Google OAuth client: {settings.client_secrets_file}"))
        except GoogleMCPError as exc:
            out.append((False, str(exc)))
    if settings.watch:
        out.append(
            (False, "Watches serve one person's account: off with GOOGLE_MCP_OAUTH (polling serves each person)")
        )
    return [*out, _channels_check(settings), _files_check(settings)]


def _channels_check(settings: Settings) -> tuple[bool, str]:
    """Slack and SMS run on the operator's bot token and Twilio account: whom they serve here."""
    from google_mcp.settings import CHANNEL_GROUPS

    wanted = [g for g in CHANNEL_GROUPS if g in settings.tools]
    if not wanted:
        return True, "Slack and SMS: not among GOOGLE_MCP_TOOLS"
    if not settings.channel_operators:
        return (
            True,
            "Slack and SMS: off for everyone on this shared server (they would run on your bot token and Twilio "
            "account); set GOOGLE_MCP_CHANNEL_OPERATORS to the Google accounts that may use them",
        )
    return (
        True,
        f"Slack and SMS: only for the operators {', '.join(settings.channel_operators)} "
        "(on this server's bot token and Twilio account); refused to everyone else",
    )


def _files_check(settings: Settings) -> tuple[bool, str]:
    """Attachments and downloads: each person's own folders, and the server's disk only when opened."""
    from google_mcp.people.files import people_folder

    own = f"each person attaches from and downloads to their own folder under {people_folder(settings)}"
    if settings.server_files:
        roots = ", ".join(str(r) for r in settings.attachment_roots) or "none"
        return True, f"Files: {own}; GOOGLE_MCP_SERVER_FILES also opens {roots} on this server's disk to everyone"
    return True, f"Files: {own}; nothing else of this server's disk (GOOGLE_MCP_SERVER_FILES is off)"


def _realtime_checks(settings: Settings) -> list[tuple[bool, str]]:
    """Which real-time mode is on, and why: pushes (Google reaches GOOGLE_MCP_PUBLIC_URL), polling, or off."""
    out: list[tuple[bool, str]] = []
    shared = " across processes (Redis)" if settings.redis_url else " in this process"
    if settings.oauth:
        shared += ", each person's to them"
    if settings.public_url and not settings.oauth:
        secure = settings.public_url.startswith("https://") or settings.sandbox or bool(settings.sandbox_url)
        out.append(
            (
                secure,
                f"Real time: Google pushes to {settings.public_url.rstrip('/')}/hooks/*, updates{shared}"
                + ("" if secure else " — Google only pushes to https:// addresses: fix GOOGLE_MCP_PUBLIC_URL"),
            )
        )
        if "gmail" in settings.tools and not (settings.pubsub_topic or settings.sandbox or settings.sandbox_url):
            out.append((False, "Gmail watch: set GOOGLE_MCP_PUBSUB_TOPIC (projects/P/topics/T) to watch the mailbox"))
        if "gmail" in settings.tools and not (
            settings.push_service_account or settings.sandbox or settings.sandbox_url
        ):
            out.append(
                (
                    False,
                    "Gmail pushes: set GOOGLE_MCP_PUSH_SERVICE_ACCOUNT (the push subscription's) or all are refused",
                )
            )
        if settings.watch:
            out.append((True, f"Watches opened at start-up: {', '.join(settings.watch)}; renewed before they lapse"))
    if settings.watch and not settings.public_url and not settings.oauth:
        out.append((False, "GOOGLE_MCP_WATCH: set GOOGLE_MCP_PUBLIC_URL too (where Google pushes), or no watch opens"))
    if settings.poll_seconds > 0:
        out.append(
            (
                True,
                f"Real time: polling Gmail and Calendar every {settings.poll_seconds:g} s for resource updates{shared}"
                + ("" if settings.public_url and not settings.oauth else " (Google does not push here)"),
            )
        )
    if (not settings.public_url or settings.oauth) and settings.poll_seconds <= 0:
        out.append(
            (
                True,
                "Real time: off (set GOOGLE_MCP_PUBLIC_URL for Google's pushes, or GOOGLE_MCP_POLL_SECONDS where "
                "Google cannot reach this server, to tell resource subscribers of changes)",
            )
        )
    return out


def _record_check(settings: Settings) -> tuple[bool, str]:
    """Where the activity record goes, and whether it can be written there (a write needs it)."""
    import anyio

    from google_mcp.record import open_journal

    if settings.log == "off":
        return True, "Record: off (GOOGLE_MCP_LOG=off); nothing done on your behalf is recorded"
    journal = open_journal(settings)

    async def health() -> dict[str, object]:
        try:
            return await journal.health()
        finally:
            await journal.close()

    found = anyio.run(health)
    where = "MongoDB" if settings.mongodb_url is not None else f"SQLite at {settings.log_file}"
    if found.get("ok"):
        return True, f"Record: {where}, kept {settings.log_retention_days} days"
    return False, f"Record: {where} cannot be used ({found.get('error')}); writes will not run until it can"


def _token_checks(settings: Settings) -> list[tuple[bool, str]]:
    path = settings.token_file
    if not path.exists():
        hint = "" if settings.client_secrets_file else " (set GOOGLE_MCP_CLIENT_SECRETS_FILE first)"
        return [(False, f"Google: no sign-in at {path}; run `google-mcp auth`{hint}")]
    out: list[tuple[bool, str]] = []
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        out.append((False, f"Google: {path} is readable by others (mode {mode:o}); run `chmod 600 {path}`"))
    try:
        data = json.loads(path.read_text())
    except ValueError:
        return [*out, (False, f"Google: {path} is not valid JSON; run `google-mcp auth` again")]
    scopes = set(data.get("scopes") or [])
    from google_mcp.auth import group_scopes

    for group in settings.tools:
        missing = set(group_scopes(group, settings.read_only)) - scopes
        if missing:
            out.append(
                (
                    False,
                    f"Google: the {group} tools need {sorted(missing)}, which the token lacks; run `google-mcp auth`"
                    + (" --read-only" if settings.read_only else ""),
                )
            )
    try:
        from google.auth.transport.requests import Request

        from google_mcp.auth import load_credentials

        creds = load_credentials(settings, None)
        creds.refresh(Request())
        out.append((True, f"Google: signed in; token refreshes ({len(scopes)} scopes)"))
    except Exception as exc:
        out.append((False, f"Google: the token does not refresh ({type(exc).__name__}); run `google-mcp auth`"))
    return out
