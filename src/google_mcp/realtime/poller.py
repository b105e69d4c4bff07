"""The polling fallback: where Google cannot push to this server (a desktop over stdio), read Gmail's
history and each calendar's changes every GOOGLE_MCP_POLL_SECONDS and publish them, as a push would."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import anyio

from google_mcp.errors import GoogleMCPError

if TYPE_CHECKING:
    from google_mcp.realtime.engine import Realtime

log = logging.getLogger(__name__)


async def poll(rt: Realtime, every: float) -> None:
    settings = rt.state.settings
    while True:
        try:
            if "gmail" in settings.tools:
                await rt.sync.gmail()
            if "calendar" in settings.tools:
                for cal in await rt.state.calendar.calendars():
                    await rt.sync.calendar(str(cal["id"]))
        except GoogleMCPError as exc:
            log.warning("poll: %s", exc)
        await anyio.sleep(every)
