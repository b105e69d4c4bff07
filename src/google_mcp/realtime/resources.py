"""Resources a client reads (and, later, subscribes to): the inbox, a message, upcoming events, an event.

Their text is what a model reads of the matching tool's answer: compact lines for the lists, compact JSON
for one item. Mail and event content is third-party data, as in the tools.
"""

from __future__ import annotations

from urllib.parse import unquote

from google_mcp import render
from google_mcp.registry import Server
from google_mcp.state import AppState

INBOX_SIZE = 20
UPCOMING_SIZE = 25


def register(server: Server, state: AppState) -> None:
    """Static resources get no request context in the SDK: they use the server's state directly."""
    settings = state.settings
    if "gmail" in settings.tools:

        @server.resource(
            "gmail://inbox",
            title="Inbox",
            description="The newest messages in the inbox, one line each.",
            mime_type="text/plain",
        )
        async def inbox() -> str:
            found = await state.gmail.search("in:inbox", INBOX_SIZE, None, False)
            return render.text(found, False, found.label_names)

        @server.resource(
            "gmail://messages/{message_id}",
            title="An email",
            description="One email as clean text with its headers and attachments.",
            mime_type="application/json",
        )
        async def message(message_id: str) -> str:
            detail = await state.gmail.get_message(unquote(message_id), 8000, 0, False)
            return render.compact_json(detail)

    if "calendar" in settings.tools:

        @server.resource(
            "calendar://upcoming",
            title="Upcoming events",
            description="The next events across the person's calendars, one line each.",
            mime_type="text/plain",
        )
        async def upcoming() -> str:
            cal = state.calendar
            ids = [str(c["id"]) for c in await cal.calendars() if c.get("selected", True)]
            found = await cal.list_events(ids or ["primary"], None, None, None, UPCOMING_SIZE, None, None)
            return render.text(found, False, None)

        @server.resource(
            "calendar://events/{calendar_id}/{event_id}",
            title="An event",
            description="One event with its guests and their responses.",
            mime_type="application/json",
        )
        async def event(calendar_id: str, event_id: str) -> str:
            found = await state.calendar.get_event(unquote(event_id), unquote(calendar_id))
            return render.compact_json(found)
