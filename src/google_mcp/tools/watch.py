"""The watch tools: Google pushes each change of the mailbox or a calendar to this server, which tells
subscribed clients. They change Google state (a watch, a channel), so they pass the gate. Registered only
where Google can reach the server (GOOGLE_MCP_PUBLIC_URL)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from google_mcp.gate import Plan
from google_mcp.models import Preview
from google_mcp.realtime.engine import Realtime
from google_mcp.realtime.watches import Watches, WatchState, new_channel_id
from google_mcp.registry import WRITE, Registrar
from google_mcp.state import AppState

RESOURCES = "Subscribe to gmail://inbox or gmail://changes to be told."


def _realtime(state: AppState) -> Realtime:
    found = state.extras["realtime"]
    assert isinstance(found, Realtime)
    return found


def _watches(state: AppState) -> Watches:
    return _realtime(state).watches


async def gmail_watch(
    state: AppState,
    label_ids: Annotated[list[str], Field(description="only changes to mail with these labels; default all")] = [],  # noqa: B006
) -> Plan:
    """Have Gmail push each mailbox change here, so subscribers of gmail:// resources are told at once."""
    topic, address = _realtime(state).topic(), _watches(state).address("gmail")
    preview = Preview(
        action="Watch the mailbox",
        summary=f"Gmail publishes every change{' to ' + ', '.join(label_ids) if label_ids else ''} to {topic}",
        details=[
            f"Pub/Sub topic: {topic} (its push subscription delivers to {address})",
            "For 7 days, renewed while this server runs; gmail_unwatch stops it. " + RESOURCES,
        ],
    )
    return Plan(preview, {"labels": label_ids})


async def gmail_watch_op(state: AppState, op: dict[str, Any]) -> WatchState:
    return await _watches(state).start_gmail(list(op["labels"]))


async def gmail_unwatch(state: AppState) -> Plan:
    """Stop Gmail's pushes to this server."""
    await _watches(state).current("gmail")
    return Plan(Preview(action="Stop watching the mailbox", summary="Gmail stops publishing changes"), {})


async def gmail_unwatch_op(state: AppState, op: dict[str, Any]) -> WatchState:
    return await _watches(state).stop_gmail()


async def calendar_watch(state: AppState, calendar_id: str = "primary") -> Plan:
    """Have Google Calendar push each change of a calendar here (calendar:// resource subscribers are told)."""
    address = _watches(state).address("calendar")
    preview = Preview(
        action="Watch a calendar",
        summary=f"Google Calendar notifies {address} of every change to {calendar_id}",
        details=["A channel for up to 7 days, replaced before it lapses; calendar_unwatch stops it."],
    )
    return Plan(preview, {"calendar_id": calendar_id, "channel_id": new_channel_id()})


async def calendar_watch_op(state: AppState, op: dict[str, Any]) -> WatchState:
    return await _watches(state).start_calendar(op["calendar_id"], op["channel_id"])


async def calendar_unwatch(state: AppState, calendar_id: str = "primary") -> Plan:
    """Stop a calendar's pushes to this server."""
    await _watches(state).current("cal:" + calendar_id)
    preview = Preview(action="Stop watching a calendar", summary=f"No more notifications for {calendar_id}")
    return Plan(preview, {"calendar_id": calendar_id})


async def calendar_unwatch_op(state: AppState, op: dict[str, Any]) -> WatchState:
    return await _watches(state).stop_calendar(op["calendar_id"])


def register(tool: Registrar, groups: list[str]) -> None:
    if "gmail" in groups:
        tool(title="Watch the mailbox", annotations=WRITE, execute=gmail_watch_op)(gmail_watch)
        tool(title="Stop watching the mailbox", annotations=WRITE, execute=gmail_unwatch_op)(gmail_unwatch)
    if "calendar" in groups:
        tool(title="Watch a calendar", annotations=WRITE, execute=calendar_watch_op)(calendar_watch)
        tool(title="Stop watching a calendar", annotations=WRITE, execute=calendar_unwatch_op)(calendar_unwatch)
