"""The Calendar tools: thin declarations over the Calendar adapter (google/calendar.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import Field

from google_mcp.errors import InvalidInput
from google_mcp.gate import Plan
from google_mcp.google.calendar_models import CalendarList, Event, EventChanged, EventList, FreeBusy
from google_mcp.models import Preview
from google_mcp.registry import DESTRUCTIVE, IDEMPOTENT, READ, WRITE, Expect, Registrar
from google_mcp.state import AppState

Zone = Annotated[str | None, Field(description="default the calendar's"), Expect("an IANA zone, e.g. Europe/Berlin")]
Bound = Annotated[str, Expect("an ISO 8601 time, e.g. 2026-12-01T15:00:00-05:00, or a date, 2026-12-01")]
ScopeName = Literal["this", "this_and_following", "all"]
Scope = Annotated[
    ScopeName,
    Field(description="for a recurring event"),
]


# reads ----------------------------------------------------------------------------------
async def calendar_list_calendars(state: AppState) -> CalendarList:
    """List calendars: ids, time zones, access."""
    return await state.calendar.list_calendars()


async def calendar_list_events(
    state: AppState,
    calendar_ids: list[str] = ["primary"],  # noqa: B006
    time_min: Annotated[Bound | None, Field(description="default now")] = None,
    time_max: Bound | None = None,
    query: str | None = None,
    time_zone: Zone = None,
    max_results: Annotated[int, Field(ge=1, le=250)] = 25,
    page_token: str | None = None,
) -> EventList:
    """List events in a time window, recurring events expanded."""
    return await state.calendar.list_events(calendar_ids, time_min, time_max, query, max_results, page_token, time_zone)


async def calendar_get_event(state: AppState, event_id: str, calendar_id: str = "primary") -> Event:
    """Read one event with its guests' responses."""
    return await state.calendar.get_event(event_id, calendar_id)


async def calendar_free_busy(
    state: AppState,
    time_min: Bound,
    time_max: Bound,
    ids: Annotated[list[str], Field(description="calendar ids or emails")] = ["primary"],  # noqa: B006
    slot_minutes: Annotated[int | None, Field(description="list free slots this long")] = None,
    working_hours: Annotated[str, Field(pattern=r"^\d\d:\d\d-\d\d:\d\d$")] = "09:00-17:00",
    include_weekends: bool = False,
    time_zone: str | None = None,
) -> FreeBusy:
    """Busy times of calendars and people; free slots for all in working hours."""
    day_start, day_end = working_hours.split("-")
    return await state.calendar.free_busy(
        ids, time_min, time_max, time_zone, slot_minutes, day_start, day_end, include_weekends
    )


# writes ------------------------------------------------------------------------------------
def event_preview(action: str, body: dict[str, Any], tz: str, send: bool, extra: list[str]) -> Preview:
    """Every field that reaches Google, as the person should judge it."""

    def when(node: dict[str, Any] | None) -> str:
        if not node:
            return "unchanged"
        return node.get("date") or f"{node['dateTime']} ({node.get('timeZone', tz)})"

    details = [f"Start: {when(body.get('start'))}", f"End: {when(body.get('end'))}"]
    if "attendees" in body:
        details.append("Guests: " + (", ".join(a["email"] for a in body["attendees"]) or "none"))
    if "recurrence" in body:
        details.append("Repeats: " + ("; ".join(body["recurrence"]) or "no longer"))
    if "location" in body:
        details.append(f"Where: {body['location']}")
    if "description" in body:
        details.append(f"Description: {body['description']}")
    if "reminders" in body:
        minutes = [str(o["minutes"]) for o in body["reminders"].get("overrides", [])]
        details.append("Reminders: " + (", ".join(minutes) + " minutes before" if minutes else "none"))
    if "conferenceData" in body:
        details.append("Adds a Google Meet link")
    details.append("Invitations will be emailed to guests" if send else "No emails will be sent to guests")
    preview = Preview(action=action, summary=body.get("summary") or "(title unchanged)", details=details + extra)
    preview.card = event_card(body, tz, preview.summary)
    return preview


def event_card(body: dict[str, Any], tz: str, title: str) -> dict[str, Any]:
    """The approval card's fields: the same times as instants (the card shows them in the person's zone and
    the event's), the same guests, place and description."""

    def instant(node: dict[str, Any] | None) -> str | None:
        if not node or "dateTime" not in node:
            return node.get("date") if node else None
        at = datetime.fromisoformat(node["dateTime"])
        zone = node.get("timeZone", tz)
        return (at if at.tzinfo else at.replace(tzinfo=ZoneInfo(zone))).isoformat()

    start = body.get("start")
    return {
        "kind": "event",
        "title": title,
        "start": instant(start),
        "end": instant(body.get("end")),
        "all_day": bool(start and "date" in start),
        "zone": (start or {}).get("timeZone", tz),
        "guests": [{"email": a["email"]} for a in body.get("attendees", [])],
        "location": body.get("location"),
        "description": body.get("description"),
    }


async def calendar_create_event(
    state: AppState,
    summary: str,
    start: Annotated[str, Field(description="ISO 8601, or YYYY-MM-DD for all-day")],
    end: Annotated[str | None, Field(description="default: 1 hour later, or next day")] = None,
    time_zone: Zone = None,
    attendees: list[str] | None = None,
    description: str | None = None,
    location: str | None = None,
    recurrence: Annotated[list[str] | None, Field(description="e.g. ['RRULE:FREQ=WEEKLY;COUNT=10']")] = None,
    reminders_minutes: Annotated[list[int] | None, Field(description="popup reminders")] = None,
    add_meet_link: bool = False,
    send_invitations: bool = True,
    calendar_id: str = "primary",
) -> Plan:
    """Create an event."""
    cal = state.calendar
    body = await cal.build_event(
        summary=summary,
        start=start,
        end=end,
        time_zone=time_zone,
        attendees=attendees,
        description=description,
        location=location,
        recurrence=recurrence,
        reminders_minutes=reminders_minutes,
        add_meet_link=add_meet_link,
        calendar_id=calendar_id,
        partial=False,
    )
    tz = await cal.time_zone(calendar_id)
    send = send_invitations and bool(attendees)
    preview = event_preview("Create an event", body, tz, send, [f"Calendar: {calendar_id}"])
    return Plan(preview, {"calendar_id": calendar_id, "body": body, "send": send_invitations})


async def create_op(state: AppState, op: dict[str, Any]) -> EventChanged:
    return await state.calendar.create(op["calendar_id"], op["body"], op["send"])


async def scope_lines(
    state: AppState, event_id: str, calendar_id: str, scope: ScopeName
) -> tuple[Event, list[str], Any]:
    cal = state.calendar
    target = await cal.target(event_id, calendar_id, scope)
    ev, master = target
    shown = cal.render(ev, calendar_id, await cal.time_zone(calendar_id))
    when = shown.start.date or shown.start.date_time
    lines = [f"Event: {shown.summary} at {when} ({shown.start.time_zone})"]
    if master is not None:
        lines.append(
            {
                "this": "Only this occurrence",
                "all": "Every occurrence of the series",
                "this_and_following": "This and all later occurrences",
            }[scope]
        )
    return shown, lines, target


async def calendar_update_event(
    state: AppState,
    event_id: str,
    calendar_id: str = "primary",
    scope: Scope = "this",
    summary: str | None = None,
    start: str | None = None,
    end: str | None = None,
    time_zone: str | None = None,
    attendees: Annotated[list[str] | None, Field(description="the full new guest list")] = None,
    description: str | None = None,
    location: str | None = None,
    recurrence: list[str] | None = None,
    reminders_minutes: list[int] | None = None,
    add_meet_link: bool = False,
    send_updates: bool = True,
) -> Plan:
    """Change the given fields of an event; a new start alone keeps its length."""
    cal = state.calendar
    _, lines, target = await scope_lines(state, event_id, calendar_id, scope)
    if start is not None and end is None:
        moved = target[1] if scope != "this" and target[1] is not None else target[0]
        end = cal.same_length(moved, start, time_zone, await cal.time_zone(calendar_id))
    body = await cal.build_event(
        summary=summary,
        start=start,
        end=end,
        time_zone=time_zone,
        attendees=attendees,
        description=description,
        location=location,
        recurrence=recurrence,
        reminders_minutes=reminders_minutes,
        add_meet_link=add_meet_link,
        calendar_id=calendar_id,
        partial=True,
    )
    if not body:
        raise InvalidInput("Nothing to change: give at least one field to update.")
    preview = event_preview("Update an event", body, await cal.time_zone(calendar_id), send_updates, lines)
    op = {
        "event_id": event_id,
        "calendar_id": calendar_id,
        "scope": scope,
        "body": body,
        "send": send_updates,
        "target": list(target),
    }
    return Plan(preview, op)


async def update_op(state: AppState, op: dict[str, Any]) -> EventChanged:
    ev, master = op["target"]
    return await state.calendar.update(
        op["event_id"], op["calendar_id"], op["scope"], op["body"], op["send"], (ev, master)
    )


async def calendar_delete_event(
    state: AppState,
    event_id: str,
    calendar_id: str = "primary",
    scope: Scope = "this",
    send_updates: bool = True,
) -> Plan:
    """Delete an event."""
    shown, lines, target = await scope_lines(state, event_id, calendar_id, scope)
    lines.append("Guests will be told" if send_updates and shown.attendees else "No emails will be sent")
    preview = Preview(action="Delete an event", summary=shown.summary, details=lines)
    op = {
        "event_id": event_id,
        "calendar_id": calendar_id,
        "scope": scope,
        "send": send_updates,
        "target": list(target),
    }
    return Plan(preview, op)


async def delete_op(state: AppState, op: dict[str, Any]) -> EventChanged:
    ev, master = op["target"]
    return await state.calendar.delete(op["event_id"], op["calendar_id"], op["scope"], op["send"], (ev, master))


async def calendar_respond_to_event(
    state: AppState,
    event_id: str,
    response: Literal["accepted", "declined", "tentative"],
    calendar_id: str = "primary",
    comment: str | None = None,
) -> Plan:
    """Answer an invitation."""
    cal = state.calendar
    ev = await cal.raw_event(event_id, calendar_id)
    shown = cal.render(ev, calendar_id, await cal.time_zone(calendar_id))
    if shown.my_response is None:
        raise InvalidInput("You are not on this event's guest list, so there is nothing to respond to.")
    preview = Preview(
        action="Respond to an invitation",
        summary=f"{response}: {shown.summary}",
        details=[
            f"When: {shown.start.date or shown.start.date_time} ({shown.start.time_zone})",
            f"Organiser: {shown.organizer}",
        ]
        + ([f"Comment: {comment}"] if comment else []),
    )
    op = {"event_id": event_id, "calendar_id": calendar_id, "response": response, "comment": comment, "event": ev}
    return Plan(preview, op)


async def respond_op(state: AppState, op: dict[str, Any]) -> EventChanged:
    return await state.calendar.respond(op["event_id"], op["calendar_id"], op["response"], op["comment"], op["event"])


def register(tool: Registrar) -> None:
    tool(title="List calendars", annotations=READ)(calendar_list_calendars)
    tool(title="List events", annotations=READ, detail=True, span=EventList.across)(calendar_list_events)
    tool(title="Read an event", annotations=READ)(calendar_get_event)
    tool(title="Free/busy", annotations=READ, detail=True, span=FreeBusy.across)(calendar_free_busy)
    tool(title="Create an event", annotations=WRITE, execute=create_op)(calendar_create_event)
    tool(title="Update an event", annotations=DESTRUCTIVE, execute=update_op)(calendar_update_event)
    tool(title="Delete an event", annotations=DESTRUCTIVE, execute=delete_op)(calendar_delete_event)
    tool(title="RSVP to an event", annotations=IDEMPOTENT, execute=respond_op)(calendar_respond_to_event)
