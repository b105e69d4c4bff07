"""Resources a client reads and subscribes to: the inbox, a message, upcoming events, an event, and what
changed since the reader last looked (gmail://changes, calendar://changes).

Their text is what a model reads of the matching tool's answer: compact lines for the lists, compact JSON
for one item. Mail and event content is third-party data, as in the tools.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from google_mcp import render
from google_mcp.google.gmail_labels import name_of
from google_mcp.principal import current_principal
from google_mcp.record import current_conversation
from google_mcp.registry import Server
from google_mcp.state import AppState

if TYPE_CHECKING:
    from google_mcp.realtime.engine import Realtime

INBOX_SIZE = 20
UPCOMING_SIZE = 25


async def _unread(rt: Realtime, log: str) -> tuple[list[dict[str, Any]], int, bool]:
    """The changes this reader has not seen (its place: per principal and MCP session), and moves its place.
    True when some were dropped from the log (more than it keeps happened since). On a shared server each
    person has their own log."""
    who = current_principal()
    if rt.state.people is not None:
        log = rt.sync.of(who).prefix + log
    place = f"cursor:{log}:{who}|{current_conversation()}"
    seen = await rt.store.get(place)
    entries, last = await rt.store.since(log, int(seen or 0))
    await rt.store.put(place, str(last))
    lost = seen is not None and last - int(seen) > len(entries)
    return entries, last, lost


def _heading(entries: list[dict[str, Any]], lost: bool) -> str:
    if not entries:
        return "No changes since your last read."
    head = f"{len(entries)} change(s) since your last read, oldest first"
    return head + (" (older ones were dropped: re-read the list)." if lost else ":")


def register(server: Server, state: AppState, rt: Realtime) -> None:
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
            return render.text(found)

        @server.resource(
            "gmail://messages/{message_id}",
            title="An email",
            description="One email as clean text with its headers and attachments.",
            mime_type="application/json",
        )
        async def message(message_id: str) -> str:
            detail = await state.gmail.get_message(unquote(message_id), 8000, 0, False)
            return render.compact_json(detail)

        @server.resource(
            "gmail://changes",
            title="Mail changes",
            description="What changed in the mailbox since you last read this: new, deleted, relabelled mail.",
            mime_type="text/plain",
        )
        async def mail_changes() -> str:
            entries, _, lost = await _unread(rt, "gmail")
            lines = [_heading(entries, lost)]
            added = [e["id"] for e in entries if e["kind"] == "added"]
            found = {m.id: m for m in await state.gmail.describe_messages(added)} if added else {}
            labels = [c[1:] for e in entries for c in e.get("changed", [])]
            names = await state.gmail.names_for(labels, float("inf")) if labels else {}
            for e in entries:
                if e["kind"] == "resync":
                    lines.append(f"{e['at']} too much changed to list: re-read gmail://inbox")
                    continue
                what = f"{e['at']} {e['kind']} {e['id']}"
                if e["kind"] == "labels":
                    what += " " + " ".join(c[0] + name_of(c[1:], names) for c in e["changed"])
                summary = found.get(e["id"])
                if summary is not None:
                    what += f" from {summary.sender}: {summary.subject}"
                elif e["kind"] == "added":
                    what += " (gone since)"
                lines.append(what)
            return "\n".join(lines)

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
            return render.text(found)

        @server.resource(
            "calendar://events/{calendar_id}/{event_id}",
            title="An event",
            description="One event with its guests and their responses.",
            mime_type="application/json",
        )
        async def event(calendar_id: str, event_id: str) -> str:
            found = await state.calendar.get_event(unquote(event_id), unquote(calendar_id))
            return render.compact_json(found)

        @server.resource(
            "calendar://changes",
            title="Calendar changes",
            description="What changed in the person's calendars since you last read this.",
            mime_type="text/plain",
        )
        async def calendar_changes() -> str:
            entries, _, lost = await _unread(rt, "calendar")
            lines = [_heading(entries, lost)]
            for e in entries:
                if e["kind"] == "resync":
                    lines.append(f"{e['at']} {e['calendar']}: too much changed to list: re-read calendar://upcoming")
                    continue
                what = f"{e['at']} {e['kind']} {e['calendar']}/{e['id']}"
                if e.get("summary"):
                    what += f" {e['summary']!r}"
                if e.get("start"):
                    what += f" at {e['start']}"
                lines.append(what)
            return "\n".join(lines)
