"""The polling fallback: where Google cannot push to this server (a desktop over stdio), read Gmail's
history id and each calendar's sync token every GOOGLE_MCP_POLL_SECONDS and publish what changed."""

from __future__ import annotations

import logging

import anyio

from google_mcp.errors import GoogleMCPError
from google_mcp.realtime.updates import Updates
from google_mcp.state import AppState

log = logging.getLogger(__name__)


async def poll(state: AppState, updates: Updates, every: float) -> None:
    settings = state.settings
    history: str | None = None
    tokens: dict[str, str | None] = {}
    while True:
        try:
            if "gmail" in settings.tools:
                now = await state.gmail.history_id()
                if history is not None and now != history:
                    await updates.publish("gmail://inbox")
                history = now
            if "calendar" in settings.tools:
                changed = False
                for cal in await state.calendar.calendars():
                    cal_id = str(cal["id"])
                    moved, tokens[cal_id] = await state.calendar.changes(cal_id, tokens.get(cal_id))
                    changed = changed or moved
                if changed:
                    await updates.publish("calendar://upcoming")
        except GoogleMCPError as exc:
            log.warning("poll: %s", exc)
        await anyio.sleep(every)
