"""`send_at` for the tools that send (gmail_send, slack_post_message, sms_send): held until then (later.py)."""

from __future__ import annotations

from google_mcp.errors import GoogleMCPError, InvalidInput
from google_mcp.gate import Plan
from google_mcp.later import send_at
from google_mcp.state import AppState

SEND_AT = "when to send: ISO 8601 with an offset, or a local time in the person's zone; default: once approved"


async def person_zone(state: AppState) -> str:
    """The person's time zone, as their calendar settings say (UTC when they cannot be read)."""
    try:
        return await state.calendar.settings_time_zone()
    except GoogleMCPError:
        return "UTC"


async def held_until(state: AppState, plan: Plan, value: str) -> None:
    if state.settings.oauth:
        raise InvalidInput("send_at is not available on a server many people use yet; leave it out to send now.")
    send_at(plan, value, await person_zone(state), state.later().now())
