"""Calendar tools through an MCP client session, against the sandbox over HTTP with the real Google client."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import anyio
import pytest

from helpers import calendar, control, run
from mcp_helpers import call, connect, fails, writes

pytestmark = pytest.mark.anyio
NY = ZoneInfo("America/New_York")


def _next(weekday: int, hour: int) -> datetime:
    today = datetime.now(NY).date()
    day = today + timedelta(days=(weekday - today.weekday()) % 7 + 7)
    return datetime(day.year, day.month, day.day, hour, tzinfo=NY)


async def test_calendars_and_events_show_offsets_and_zones(fresh_sandbox: Any, make_settings: Any) -> None:
    async with connect(make_settings(fresh_sandbox.url)) as client:
        cals = (await call(client, "calendar_list_calendars"))["calendars"]
        assert {c["summary"] for c in cals} >= {"Team Apollo", "Holidays in United States"}
        listed = await call(
            client,
            "calendar_list_events",
            {"max_results": 50, "time_max": (datetime.now(NY) + timedelta(days=14)).isoformat()},
        )
        events = listed["events"]
        assert events
        tokyo = next(e for e in events if e["summary"] == "Sync with Tokyo team")
        assert tokyo["start"]["time_zone"] == "Asia/Tokyo" and tokyo["start"]["date_time"].endswith("+09:00")
        assert tokyo["meet_link"].startswith("https://meet.google.com/")
        all_day = next(e for e in events if e["all_day"])
        assert all_day["start"]["date"] and "date_time" not in all_day["start"]
        standup = next(e for e in events if e.get("recurring_event_id"))
        detail = await call(client, "calendar_get_event", {"event_id": standup["id"]})
        assert detail["id"] == standup["id"] and detail["attendees"]
        starts = [
            datetime.fromisoformat(e["start"].get("date_time") or e["start"]["date"] + "T00:00:00+00:00")
            for e in events
        ]
        assert starts[0] >= datetime.now(NY) - timedelta(days=1)


async def test_several_calendars_merge_and_page_without_gaps(fresh_sandbox: Any, make_settings: Any) -> None:
    ids = ["primary", "c_apollo_team@group.calendar.google.com"]
    window = {"calendar_ids": ids, "time_max": (datetime.now(NY) + timedelta(days=21)).isoformat()}
    async with connect(make_settings(fresh_sandbox.url)) as client:
        everything = (await call(client, "calendar_list_events", {**window, "max_results": 250}))["events"]
        paged: list[dict[str, Any]] = []
        token = None
        while True:
            page = await call(
                client, "calendar_list_events", {**window, "max_results": 4, **({"page_token": token} if token else {})}
            )
            paged += page["events"]
            token = page.get("next_page_token")
            if not token:
                break
    assert [(e["calendar_id"], e["id"]) for e in paged] == [(e["calendar_id"], e["id"]) for e in everything]
    assert {e["calendar_id"] for e in everything} == set(ids)


async def test_free_busy_and_free_slots(fresh_sandbox: Any, make_settings: Any) -> None:
    monday = _next(0, 0)
    async with connect(make_settings(fresh_sandbox.url)) as client:
        fb = await call(
            client,
            "calendar_free_busy",
            {
                "time_min": monday.isoformat(),
                "time_max": (monday + timedelta(days=5)).isoformat(),
                "ids": ["primary", "dana.whitfield@example.com", "ghost@nowhere.example"],
                "slot_minutes": 30,
            },
        )
    assert fb["busy"]["primary"] and fb["busy"]["dana.whitfield@example.com"]
    assert fb["errors"] == {"ghost@nowhere.example": "notFound"}
    busy = [
        (datetime.fromisoformat(b["start"]), datetime.fromisoformat(b["end"]))
        for blocks in fb["busy"].values()
        for b in blocks
    ]
    assert fb["free_slots"]
    for slot in fb["free_slots"]:
        s, e = datetime.fromisoformat(slot["start"]), datetime.fromisoformat(slot["end"])
        assert e - s >= timedelta(minutes=30)
        assert s.astimezone(NY).hour >= 9 and (e.astimezone(NY).hour, e.astimezone(NY).minute) <= (17, 0)
        assert s.astimezone(NY).weekday() < 5
        assert all(e <= bs or s >= be for bs, be in busy)


async def test_a_read_window_may_be_given_as_dates(fresh_sandbox: Any, make_settings: Any) -> None:
    """'What is on next week?': dates bound a read as the start of those days in the calendar's zone, the same
    answer as the times written out."""
    monday = _next(0, 0)
    dates = {"time_min": monday.date().isoformat(), "time_max": (monday + timedelta(days=5)).date().isoformat()}
    times = {"time_min": monday.isoformat(), "time_max": (monday + timedelta(days=5)).isoformat()}
    async with connect(make_settings(fresh_sandbox.url)) as client:
        by_date = await call(client, "calendar_list_events", {**dates, "max_results": 250})
        by_time = await call(client, "calendar_list_events", {**times, "max_results": 250})
        assert by_date["events"] and by_date["events"] == by_time["events"]
        busy_by_date = await call(client, "calendar_free_busy", dates)
        assert busy_by_date["busy"] == (await call(client, "calendar_free_busy", times))["busy"]
        missing = await fails(client, "calendar_free_busy", {"time_max": dates["time_max"]})
        assert "'time_min': Field required (expected: an ISO 8601 time" in missing and "or a date" in missing


async def test_create_timed_all_day_recurring_and_meet(fresh_sandbox: Any, make_settings: Any) -> None:
    url = fresh_sandbox.url
    start = _next(1, 15)
    async with connect(make_settings(url)) as client:
        made = await call(
            client,
            "calendar_create_event",
            {
                "summary": "Planning",
                "start": start.replace(tzinfo=None).isoformat(timespec="minutes"),
                "time_zone": "Europe/Berlin",
                "attendees": ["dana.whitfield@example.com"],
                "add_meet_link": True,
                "reminders_minutes": [10],
                "location": "Room 1",
            },
        )
        ev = made["result"]["event"]
        assert ev["start"]["time_zone"] == "Europe/Berlin" and ev["start"]["date_time"].endswith(("+01:00", "+02:00"))
        assert ev["meet_link"] and made["result"]["invitations_sent"]
        assert datetime.fromisoformat(ev["end"]["date_time"]) - datetime.fromisoformat(
            ev["start"]["date_time"]
        ) == timedelta(hours=1)
        sent = control(url, "/_sandbox/notifications")["notifications"]
        assert sent[-1]["sendUpdates"] == "all" and sent[-1]["recipients"] == ["dana.whitfield@example.com"]
        day = (datetime.now(NY) + timedelta(days=40)).date()
        allday = await call(
            client,
            "calendar_create_event",
            {
                "summary": "Vacation",
                "start": day.isoformat(),
                "end": (day + timedelta(days=3)).isoformat(),
                "send_invitations": False,
            },
        )
        assert allday["result"]["event"]["all_day"] and allday["result"]["event"]["end"]["date"] == str(
            day + timedelta(days=3)
        )
        weekly = await call(
            client,
            "calendar_create_event",
            {"summary": "Weekly 1:1", "start": start.isoformat(), "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=4"]},
        )
        listed = await call(
            client,
            "calendar_list_events",
            {"query": "Weekly 1:1", "time_max": (start + timedelta(days=40)).isoformat()},
        )
        assert len(listed["events"]) == 4
        assert all(e["recurring_event_id"] == weekly["result"]["event"]["id"] for e in listed["events"])


async def test_inserts_are_safe_to_retry(fresh_sandbox: Any, make_settings: Any) -> None:
    """The first insert is slow: the client gives up and tries again, and the first lands after the retry."""
    url = fresh_sandbox.url
    control(url, "/_sandbox/faults", {"method": "POST", "path_regex": "/events$", "delay_ms": 1500, "count": 1})
    start = _next(2, 10)
    async with connect(make_settings(url, http_timeout=0.5)) as client:
        made = await call(client, "calendar_create_event", {"summary": "Retry me", "start": start.isoformat()})
        with anyio.fail_after(10):  # until the slow first insert has landed too
            while len(inserts := [w for w in writes(url) if w["path"].endswith("/events")]) < 2:
                await anyio.sleep(0.05)
        listed = await call(
            client, "calendar_list_events", {"query": "Retry me", "time_max": (start + timedelta(days=1)).isoformat()}
        )
    assert [w["status"] for w in inserts] == [200, 409]  # the late one found its event already made
    assert [e["id"] for e in listed["events"]] == [made["result"]["event"]["id"]]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        ({"start": "2027-03-14T02:30", "time_zone": "America/New_York"}, "does not exist"),
        ({"start": "2026-11-01T01:30", "time_zone": "America/New_York"}, "happens twice"),
        ({"start": "2027-01-05T10:00", "time_zone": "Mars/Olympus"}, "Unknown time zone"),
        ({"start": "next tuesday"}, "ISO 8601"),
        ({"start": "2027-01-05T10:00:00Z", "end": "2027-01-05T09:00:00Z"}, "after start"),
        ({"start": "2027-01-05", "end": "2027-01-05"}, "after start"),
        ({"start": "2027-01-05T10:00:00Z", "attendees": ["bob@localhost"]}, "not a valid email"),  # "bob" is a name
        ({"start": "2027-01-05T10:00:00Z", "recurrence": ["FREQ=DAILY"]}, "RRULE:"),
        ({"start": "2027-01-05T10:00:00Z", "recurrence": ["RRULE:FREQ=SOMETIMES"]}, "recurrence"),
        (
            {"start": "2027-01-05T10:00:00Z", "calendar_id": "en.usa#holiday@group.v.calendar.google.com"},
            "writer access",
        ),
    ],
)
async def test_bad_event_input_is_refused_clearly(
    fresh_sandbox: Any, make_settings: Any, args: dict[str, Any], words: str
) -> None:
    async with connect(make_settings(fresh_sandbox.url)) as client:
        message = await fails(client, "calendar_create_event", {"summary": "x", **args})
    assert words in message
    assert not [w for w in writes(fresh_sandbox.url) if "/events" in w["path"] and w["status"] < 400]


async def test_a_naive_time_is_read_in_the_calendars_zone(fresh_sandbox: Any, make_settings: Any) -> None:
    async with connect(make_settings(fresh_sandbox.url)) as client:
        made = await call(client, "calendar_create_event", {"summary": "Local", "start": "2027-01-05T10:00"})
    ev = made["result"]["event"]
    assert ev["start"] == {"date_time": "2027-01-05T10:00:00-05:00", "time_zone": "America/New_York"}


async def _series(client: Any, summary: str, start: datetime, count: int = 6) -> tuple[str, list[dict[str, Any]]]:
    made = await call(
        client,
        "calendar_create_event",
        {
            "summary": summary,
            "start": start.isoformat(),
            "recurrence": [f"RRULE:FREQ=WEEKLY;COUNT={count}"],
            "attendees": ["lena.fischer@example.com"],
        },
    )
    listed = await call(
        client,
        "calendar_list_events",
        {"query": summary, "time_min": start.isoformat(), "time_max": (start + timedelta(weeks=count + 1)).isoformat()},
    )
    return made["result"]["event"]["id"], listed["events"]


async def test_update_scopes_of_a_recurring_event(fresh_sandbox: Any, make_settings: Any) -> None:
    start = _next(3, 9)
    async with connect(make_settings(fresh_sandbox.url)) as client:
        master, inst = await _series(client, "Scoped", start)
        one = await call(
            client,
            "calendar_update_event",
            {
                "event_id": inst[1]["id"],
                "scope": "this",
                "summary": "Scoped (moved)",
                "start": (start + timedelta(weeks=1, hours=2)).isoformat(),
                "end": (start + timedelta(weeks=1, hours=3)).isoformat(),
            },
        )
        assert one["result"]["event"]["summary"] == "Scoped (moved)"
        assert "this occurrence" in " ".join(one["preview"]["details"]).lower()
        whole = await call(
            client, "calendar_update_event", {"event_id": inst[0]["id"], "scope": "all", "location": "Room 7"}
        )
        assert whole["result"]["event"]["id"] == master
        split = await call(
            client,
            "calendar_update_event",
            {"event_id": inst[3]["id"], "scope": "this_and_following", "summary": "Scoped v2"},
        )
        window = {"time_min": start.isoformat(), "time_max": (start + timedelta(weeks=8)).isoformat()}
        old = await call(client, "calendar_list_events", {"query": "Scoped", **window})
    titles = [e["summary"] for e in old["events"]]
    assert titles == ["Scoped", "Scoped (moved)", "Scoped", "Scoped v2", "Scoped v2", "Scoped v2"], titles
    assert split["result"]["event"]["id"] != master
    first_locations = {e["location"] for e in old["events"][:3] if e["summary"] == "Scoped"}
    assert first_locations == {"Room 7"}
    async with connect(make_settings(fresh_sandbox.url)) as client:
        msg = await fails(client, "calendar_update_event", {"event_id": master, "scope": "this", "summary": "x"})
        assert "occurrence" in msg
        assert "Nothing to change" in await fails(client, "calendar_update_event", {"event_id": master, "scope": "all"})


async def test_a_new_start_alone_keeps_the_events_length(fresh_sandbox: Any, make_settings: Any) -> None:
    """'Move my 9:00 to 14:00' moves a 30-minute meeting, and a three-day trip, without changing their length;
    the preview shows the end it will have."""
    start = _next(2, 9)
    day = (datetime.now(NY) + timedelta(days=50)).date()
    async with connect(make_settings(fresh_sandbox.url)) as client:
        short = await call(
            client,
            "calendar_create_event",
            {"summary": "Short", "start": start.isoformat(), "end": (start + timedelta(minutes=30)).isoformat()},
        )
        trip = await call(
            client,
            "calendar_create_event",
            {"summary": "Trip", "start": day.isoformat(), "end": (day + timedelta(days=3)).isoformat()},
        )
        later = start.replace(hour=14)
        moved = await call(
            client, "calendar_update_event", {"event_id": short["result"]["event"]["id"], "start": later.isoformat()}
        )
        ev = moved["result"]["event"]
        assert datetime.fromisoformat(ev["end"]["date_time"]) == later + timedelta(minutes=30)
        assert any(d.startswith("End: ") and "14:30" in d for d in moved["preview"]["details"]), moved["preview"]
        week_on = day + timedelta(days=7)
        shifted = await call(
            client, "calendar_update_event", {"event_id": trip["result"]["event"]["id"], "start": week_on.isoformat()}
        )
        assert shifted["result"]["event"]["end"]["date"] == str(week_on + timedelta(days=3))
        # a timed event made all-day (or the reverse) takes the default length: one day
        whole = await call(client, "calendar_update_event", {"event_id": ev["id"], "start": later.date().isoformat()})
        assert whole["result"]["event"]["end"]["date"] == str(later.date() + timedelta(days=1))


async def test_delete_scopes_of_a_recurring_event(fresh_sandbox: Any, make_settings: Any) -> None:
    start = _next(4, 14)
    window = {"time_min": start.isoformat(), "time_max": (start + timedelta(weeks=8)).isoformat()}
    async with connect(make_settings(fresh_sandbox.url)) as client:
        _master, inst = await _series(client, "Deletable", start)
        await call(client, "calendar_delete_event", {"event_id": inst[1]["id"], "scope": "this"})
        left = (await call(client, "calendar_list_events", {"query": "Deletable", **window}))["events"]
        assert [e["id"] for e in left] == [i["id"] for i in inst if i["id"] != inst[1]["id"]]
        await call(client, "calendar_delete_event", {"event_id": inst[3]["id"], "scope": "this_and_following"})
        left = (await call(client, "calendar_list_events", {"query": "Deletable", **window}))["events"]
        assert [e["id"] for e in left] == [inst[0]["id"], inst[2]["id"]]
        done = await call(client, "calendar_delete_event", {"event_id": inst[0]["id"], "scope": "all"})
        assert "series" in done["result"]["detail"]
        left = (await call(client, "calendar_list_events", {"query": "Deletable", **window}))["events"]
        assert left == []
        msg = await fails(client, "calendar_delete_event", {"event_id": "doesnotexist"})
        assert "not found" in msg.lower()


async def test_rsvp(fresh_sandbox: Any, make_settings: Any) -> None:
    async with connect(make_settings(fresh_sandbox.url)) as client:
        events = (await call(client, "calendar_list_events", {"query": "Architecture guild"}))["events"]
        assert events[0]["my_response"] == "needsAction"
        done = await call(
            client,
            "calendar_respond_to_event",
            {"event_id": events[0]["id"], "response": "tentative", "comment": "may be late"},
        )
        assert done["result"]["event"]["my_response"] == "tentative"
        got = run(calendar(fresh_sandbox.url).events().get(calendarId="primary", eventId=events[0]["id"]))
        me = next(a for a in got["attendees"] if a.get("self"))
        assert me["responseStatus"] == "tentative" and me["comment"] == "may be late"
        dentist = (
            await call(
                client,
                "calendar_list_events",
                {"query": "Dentist", "time_min": (date.today() - timedelta(days=5)).isoformat() + "T00:00:00Z"},
            )
        )["events"]
        msg = await fails(client, "calendar_respond_to_event", {"event_id": dentist[0]["id"], "response": "accepted"})
        assert "guest list" in msg
        bad = await client.call_tool("calendar_respond_to_event", {"event_id": dentist[0]["id"], "response": "maybe"})
        assert bad.is_error
