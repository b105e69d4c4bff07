"""Calendar's results: what the Calendar tools answer (pydantic, so each tool has an output schema)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from google_mcp.models import Result


class CalendarInfo(Result):
    id: str
    summary: str
    primary: bool
    time_zone: str
    access_role: str


class CalendarList(Result):
    calendars: list[CalendarInfo]


class EventTime(Result):
    date_time: str | None = Field(default=None, description="ISO 8601 with UTC offset, for timed events")
    date: str | None = Field(default=None, description="YYYY-MM-DD, for all-day events")
    time_zone: str


class Attendee(Result):
    email: str
    name: str = ""
    response: str = "needsAction"
    organizer: bool = False
    optional: bool = False
    is_self: bool = False


class Event(Result):
    id: str
    calendar_id: str
    summary: str
    status: str
    start: EventTime
    end: EventTime
    all_day: bool
    location: str = ""
    description: str = ""
    organizer: str = ""
    attendees: list[Attendee] = Field(default_factory=list)
    my_response: str | None = None
    recurring_event_id: str | None = None
    recurrence: list[str] = Field(default_factory=list)
    meet_link: str | None = None
    html_link: str | None = None


class EventList(Result):
    events: list[Event]
    time_min: str
    time_max: str | None = None
    next_page_token: str | None = None


class BusyBlock(Result):
    start: str
    end: str


class FreeBusy(Result):
    time_zone: str
    busy: dict[str, list[BusyBlock]]
    errors: dict[str, str] = Field(default_factory=dict)
    free_slots: list[BusyBlock] = Field(default_factory=list, description="times when everyone is free")


class EventChanged(Result):
    status: Literal["created", "updated", "deleted", "responded"]
    event: Event | None = None
    events: list[Event] = Field(default_factory=list, description="other events the change made")
    invitations_sent: bool = False
    detail: str = ""
