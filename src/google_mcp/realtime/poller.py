"""The polling fallback: where Google cannot push to this server (a desktop over stdio), read Gmail's
history and each calendar's changes every GOOGLE_MCP_POLL_SECONDS and publish them, as a push would.

On a server many people use, it reads for each person who has a subscription open, as that person (their
first Google account), and their updates reach only them."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import anyio
from mcp.server.auth.middleware.auth_context import auth_context_var
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.auth.provider import AccessToken

from google_mcp.errors import GoogleMCPError
from google_mcp.redisconn import unavailable

if TYPE_CHECKING:
    from google_mcp.realtime.sync import Sync
    from google_mcp.realtime.updates import Updates
    from google_mcp.state import AppState

log = logging.getLogger(__name__)
PERSON = "person:"


async def poll(state: AppState, updates: Updates, sync: Sync, every: float) -> None:
    people = state.people
    while True:
        if people is None:
            await _read(state, sync)
        else:
            for principal in list(updates.subscribers):
                if not principal.startswith(PERSON):
                    continue
                person = principal.removeprefix(PERSON)
                as_them = AuthenticatedUser(AccessToken(token="", client_id="poller", scopes=[], subject=person))
                reset = auth_context_var.set(as_them)
                try:
                    if await people.load(person) is not None:  # still signed in
                        await _read(state, sync.of(principal))
                finally:
                    auth_context_var.reset(reset)
        await anyio.sleep(every)


async def _read(state: AppState, sync: Sync) -> None:
    settings = state.settings
    try:
        if "gmail" in settings.tools:
            await sync.gmail()
        if "calendar" in settings.tools:
            for cal in await state.calendar.calendars():
                await sync.calendar(str(cal["id"]))
    except GoogleMCPError as exc:
        log.warning("poll: %s", exc)
    except unavailable() as exc:  # Redis restarting, or a cluster's master failing over: the next tick
        log.warning("poll: Redis did not answer (%s); trying again at the next tick", type(exc).__name__)
