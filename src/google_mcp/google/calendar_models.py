"""Calendar's results: what the Calendar tools answer (pydantic, so each tool has an output schema)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import Field
from pydantic.json_schema import SkipJsonSchema

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
    account: SkipJsonSchema[str | None] = None  # which linked account (account="all", a shared server)


class EventList(Result):
    events: list[Event]
    time_min: str
    time_max: str | None = None
    next_page_token: str | None = None

    @classmethod
    def across(cls, answers: dict[str, EventList], args: dict[str, Any]) -> EventList:
        """One listing over several linked accounts, in time order, each event saying whose it is."""
        events = [e.model_copy(update={"account": email}) for email, a in answers.items() for e in a.events]

        def when(e: Event) -> datetime:
            moment = datetime.fromisoformat(e.start.date_time or f"{e.start.date}T00:00:00")
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

        events.sort(key=when)
        first = next(iter(answers.values()), None)
        return cls(events=events, time_min=first.time_min if first else "", time_max=first.time_max if first else None)


class BusyBlock(Result):
    start: str
    end: str


class FreeBusy(Result):
    time_zone: str
    busy: dict[str, list[BusyBlock]]
    errors: dict[str, str] = Field(default_factory=dict)
    free_slots: list[BusyBlock] = Field(default_factory=list, description="times when everyone is free")

    @classmethod
    def across(cls, answers: dict[str, FreeBusy], args: dict[str, Any]) -> FreeBusy:
        """Free/busy over several linked accounts: each account's own calendar ("primary") under its address,
        and free slots only where every account is free (at least `slot_minutes` long)."""
        first = next(iter(answers.values()))
        zone = ZoneInfo(first.time_zone)
        busy: dict[str, list[BusyBlock]] = {}
        errors: dict[str, str] = {}
        for email, a in answers.items():
            for who, blocks in a.busy.items():
                busy.setdefault(email if who == "primary" else who, []).extend(blocks)
            errors.update({(email if who == "primary" else who): why for who, why in a.errors.items()})
        windows = [(datetime.fromisoformat(b.start), datetime.fromisoformat(b.end)) for b in first.free_slots]
        for other in list(answers.values())[1:]:
            theirs = [(datetime.fromisoformat(b.start), datetime.fromisoformat(b.end)) for b in other.free_slots]
            windows = [(max(s, t), min(e, u)) for s, e in windows for t, u in theirs if max(s, t) < min(e, u)]
        least = timedelta(minutes=int(args.get("slot_minutes") or 0))
        free = [
            BusyBlock(start=s.astimezone(zone).isoformat(), end=e.astimezone(zone).isoformat())
            for s, e in windows
            if e - s >= least
        ]
        return cls(time_zone=first.time_zone, busy=busy, errors=errors, free_slots=free)


class EventChanged(Result):
    status: Literal["created", "updated", "deleted", "responded"]
    event: Event | None = None
    events: list[Event] = Field(default_factory=list, description="other events the change made")
    invitations_sent: bool = False
    detail: str = ""
