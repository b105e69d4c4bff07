"""The sandbox's Calendar v3, driven only through googleapiclient over HTTP."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from googleapiclient.errors import HttpError

from helpers import Receiver, calendar, control, run

NY = ZoneInfo("America/New_York")


@pytest.fixture
def cal(fresh_sandbox: Any) -> Any:
    return calendar(fresh_sandbox.url)


def _next_monday() -> datetime:
    today = datetime.now(NY).date()
    monday = today + timedelta(days=7 - today.weekday())
    return datetime(monday.year, monday.month, monday.day, 9, 0, tzinfo=NY)


def _window(start: datetime, days: int) -> dict[str, str]:
    return {
        "timeMin": start.astimezone(UTC).isoformat(),
        "timeMax": (start + timedelta(days=days)).astimezone(UTC).isoformat(),
    }


def test_calendars_and_settings(cal: Any) -> None:
    items = run(cal.calendarList().list())["items"]
    roles = {c["summary"]: c["accessRole"] for c in items}
    assert roles["Team Apollo"] == "owner" and roles["Holidays in United States"] == "reader"
    assert next(c for c in items if c.get("primary"))["timeZone"] == "America/New_York"
    assert run(cal.calendarList().get(calendarId="primary"))["primary"] is True
    assert run(cal.settings().get(setting="timezone"))["value"] == "America/New_York"
    new = run(cal.calendars().insert(body={"summary": "Side project", "timeZone": "Europe/London"}))
    assert run(cal.calendars().get(calendarId=new["id"]))["timeZone"] == "Europe/London"
    run(cal.calendars().delete(calendarId=new["id"]))
    with pytest.raises(HttpError) as err:
        run(cal.calendars().get(calendarId=new["id"]))
    assert err.value.status_code == 404


def test_seed_has_recurring_all_day_multi_zone_and_rsvp_events(cal: Any) -> None:
    now = datetime.now(UTC)
    events = run(
        cal.events().list(
            calendarId="primary",
            singleEvents=True,
            orderBy="startTime",
            **_window(now - timedelta(days=14), 40),
            maxResults=500,
        )
    )["items"]
    assert any("date" in e["start"] for e in events)
    zones = {e["start"].get("timeZone") for e in events}
    assert {"America/New_York", "Asia/Tokyo", "America/Los_Angeles"} <= zones
    statuses = {a["responseStatus"] for e in events for a in e.get("attendees", [])}
    assert statuses == {"accepted", "declined", "tentative", "needsAction"}
    standups = [e for e in events if e.get("recurringEventId") and "stand-up" in e["summary"]]
    assert any(e["summary"].endswith("(moved)") for e in standups)
    masters = run(cal.events().list(calendarId="primary", maxResults=500))["items"]
    assert any("RRULE:FREQ=MONTHLY" in " ".join(e.get("recurrence", [])) for e in masters)
    assert any("EXDATE" in " ".join(e.get("recurrence", [])) for e in masters)
    starts = [e["start"].get("dateTime") or e["start"]["date"] for e in events]
    assert len(starts) > 20


def test_weekly_event_cancel_one_instance_and_list_the_rest(cal: Any) -> None:
    start = _next_monday()
    ev = run(
        cal.events().insert(
            calendarId="primary",
            sendUpdates="all",
            body={
                "summary": "Weekly sync",
                "start": {"dateTime": start.isoformat(), "timeZone": "America/New_York"},
                "end": {
                    "dateTime": (start + timedelta(minutes=30)).isoformat(),
                    "timeZone": "America/New_York",
                },
                "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=6"],
                "attendees": [{"email": "dana.whitfield@example.com"}],
            },
        )
    )
    window = _window(start - timedelta(hours=1), 60)
    instances = run(cal.events().instances(calendarId="primary", eventId=ev["id"], **window))["items"]
    assert len(instances) == 6 and all(i["recurringEventId"] == ev["id"] for i in instances)
    run(cal.events().delete(calendarId="primary", eventId=instances[2]["id"]))
    listed = run(
        cal.events().list(calendarId="primary", singleEvents=True, orderBy="startTime", q="weekly sync", **window)
    )
    ids = [e["id"] for e in listed["items"]]
    assert len(ids) == 5 and instances[2]["id"] not in ids
    # each remains at 09:00 New York time across the DST boundary, if any
    assert all(datetime.fromisoformat(e["start"]["dateTime"]).astimezone(NY).hour == 9 for e in listed["items"])
    with_deleted = run(
        cal.events().list(calendarId="primary", singleEvents=True, showDeleted=True, q="weekly sync", **window)
    )
    assert instances[2]["id"] in [e["id"] for e in with_deleted["items"]]
    # move one instance
    moved = run(
        cal.events().patch(
            calendarId="primary",
            eventId=instances[3]["id"],
            body={
                "start": {
                    "dateTime": (start + timedelta(weeks=3, hours=2)).isoformat(),
                    "timeZone": "America/New_York",
                },
                "end": {
                    "dateTime": (start + timedelta(weeks=3, hours=2, minutes=30)).isoformat(),
                    "timeZone": "America/New_York",
                },
            },
        )
    )
    assert moved["originalStartTime"]["dateTime"] != moved["start"]["dateTime"]
    again = run(cal.events().instances(calendarId="primary", eventId=ev["id"], **window))["items"]
    assert [i["id"] for i in again if i["id"] == moved["id"]] and len(again) == 5
    sent = control(_base(cal), "/_sandbox/notifications")
    assert sent["notifications"][0]["sendUpdates"] == "all"
    assert sent["notifications"][0]["recipients"] == ["dana.whitfield@example.com"]


def _base(cal: Any) -> str:
    return cal._baseUrl.rsplit("/calendar/v3", 1)[0]


def test_all_day_and_multi_zone_events_round_trip(cal: Any) -> None:
    day = (datetime.now(NY) + timedelta(days=30)).date()
    ev = run(
        cal.events().insert(
            calendarId="primary",
            body={
                "summary": "Holiday",
                "start": {"date": day.isoformat()},
                "end": {"date": (day + timedelta(days=1)).isoformat()},
            },
        )
    )
    assert ev["start"] == {"date": day.isoformat()}
    flight = run(
        cal.events().insert(
            calendarId="primary",
            body={
                "summary": "Flight",
                "start": {"dateTime": f"{day}T22:00:00", "timeZone": "America/New_York"},
                "end": {"dateTime": f"{day + timedelta(days=1)}T12:00:00", "timeZone": "Europe/Berlin"},
            },
        )
    )
    got = run(cal.events().get(calendarId="primary", eventId=flight["id"], timeZone="UTC"))
    assert got["start"]["dateTime"].endswith("+00:00")
    assert datetime.fromisoformat(got["end"]["dateTime"]) - datetime.fromisoformat(
        got["start"]["dateTime"]
    ) == timedelta(hours=8)


def test_monthly_rule_with_until_and_byday(cal: Any) -> None:
    start = _next_monday().replace(hour=16)
    ev = run(
        cal.events().insert(
            calendarId="primary",
            body={
                "summary": "Monthly review",
                "start": {"dateTime": start.isoformat(), "timeZone": "America/New_York"},
                "end": {"dateTime": (start + timedelta(hours=1)).isoformat(), "timeZone": "America/New_York"},
                "recurrence": [f"RRULE:FREQ=MONTHLY;BYDAY=1MO;UNTIL={(start + timedelta(days=200)):%Y%m%d}T000000Z"],
            },
        )
    )
    items = run(cal.events().instances(calendarId="primary", eventId=ev["id"]))["items"]
    days = [datetime.fromisoformat(i["start"]["dateTime"]) for i in items]
    assert 5 <= len(days) <= 8 and all(d.weekday() == 0 and d.day <= 7 for d in days[1:])


def test_etag_if_match_and_update(cal: Any) -> None:
    start = _next_monday()
    ev = run(
        cal.events().insert(
            calendarId="primary",
            body={
                "summary": "Etag",
                "start": {"dateTime": start.isoformat()},
                "end": {"dateTime": (start + timedelta(hours=1)).isoformat()},
            },
        )
    )
    first = run(cal.events().patch(calendarId="primary", eventId=ev["id"], body={"summary": "Etag 2"}))
    assert first["etag"] != ev["etag"]
    req = cal.events().patch(calendarId="primary", eventId=ev["id"], body={"summary": "stale"})
    req.headers["If-Match"] = ev["etag"]
    with pytest.raises(HttpError) as err:
        req.execute()
    assert err.value.status_code == 412
    req = cal.events().update(
        calendarId="primary",
        eventId=ev["id"],
        body={"summary": "Replaced", "start": first["start"], "end": first["end"]},
    )
    req.headers["If-Match"] = first["etag"]
    replaced = run(req)
    assert replaced["summary"] == "Replaced" and "description" not in replaced


def test_sync_tokens_return_changes_and_410_when_stale(cal: Any, fresh_sandbox: Any) -> None:
    page = run(cal.events().list(calendarId="primary", maxResults=2500))
    token = page["nextSyncToken"]
    start = _next_monday()
    ev = run(
        cal.events().insert(
            calendarId="primary",
            body={
                "summary": "Synced",
                "start": {"dateTime": start.isoformat()},
                "end": {"dateTime": (start + timedelta(hours=1)).isoformat()},
            },
        )
    )
    run(cal.events().delete(calendarId="primary", eventId=ev["id"]))
    changes = run(cal.events().list(calendarId="primary", syncToken=token))
    assert [(e["id"], e["status"]) for e in changes["items"]] == [(ev["id"], "cancelled")]
    control(fresh_sandbox.url, "/_sandbox/reset", {})
    with pytest.raises(HttpError) as err:
        calendar(fresh_sandbox.url).events().list(calendarId="primary", syncToken=changes["nextSyncToken"]).execute()
    assert err.value.status_code == 410


def test_free_busy_for_calendars_and_people(cal: Any) -> None:
    lo = datetime.now(UTC)
    hi = lo + timedelta(days=7)
    result = run(
        cal.freebusy().query(
            body={
                "timeMin": lo.isoformat(),
                "timeMax": hi.isoformat(),
                "items": [
                    {"id": "primary"},
                    {"id": "dana.whitfield@example.com"},
                    {"id": "nobody@nowhere.example"},
                ],
            }
        )
    )
    cals = result["calendars"]
    assert cals["primary"]["busy"] and cals["dana.whitfield@example.com"]["busy"]
    assert cals["nobody@nowhere.example"]["errors"][0]["reason"] == "notFound"
    blocks = [(datetime.fromisoformat(b["start"]), datetime.fromisoformat(b["end"])) for b in cals["primary"]["busy"]]
    assert all(s < e for s, e in blocks) and all(a[1] <= b[0] for a, b in itertools.pairwise(blocks))


def test_quick_add_and_reader_calendar(cal: Any) -> None:
    ev = run(cal.events().quickAdd(calendarId="primary", text="Coffee with Sam tomorrow at 3pm"))
    start = datetime.fromisoformat(ev["start"]["dateTime"]).astimezone(NY)
    assert ev["summary"] == "Coffee with Sam" and start.hour == 15
    assert start.date() == datetime.now(NY).date() + timedelta(days=1)
    with pytest.raises(HttpError) as err:
        cal.events().insert(
            calendarId="en.usa#holiday@group.v.calendar.google.com",
            body={"summary": "x", "start": {"date": "2026-12-01"}, "end": {"date": "2026-12-02"}},
        ).execute()
    assert err.value.status_code == 403 and err.value.error_details[0]["reason"] == "requiredAccessLevel"


def test_meet_link_created_with_conference_data_version(cal: Any) -> None:
    start = _next_monday()
    ev = run(
        cal.events().insert(
            calendarId="primary",
            conferenceDataVersion=1,
            body={
                "summary": "Meet",
                "start": {"dateTime": start.isoformat()},
                "end": {"dateTime": (start + timedelta(hours=1)).isoformat()},
                "conferenceData": {
                    "createRequest": {"requestId": "r1", "conferenceSolutionKey": {"type": "hangoutsMeet"}}
                },
            },
        )
    )
    assert ev["hangoutLink"].startswith("https://meet.google.com/")
    assert ev["conferenceData"]["entryPoints"][0]["uri"] == ev["hangoutLink"]


@pytest.mark.parametrize(
    ("body", "status", "reason"),
    [
        ({"summary": "no times"}, 400, "required"),
        (
            {"start": {"dateTime": "2026-12-01T10:00:00"}, "end": {"dateTime": "2026-12-01T11:00:00"}},
            400,
            "badRequest",
        ),
        (
            {"start": {"dateTime": "2026-12-01T10:00:00Z"}, "end": {"dateTime": "2026-12-01T09:00:00Z"}},
            400,
            "timeRangeEmpty",
        ),
        (
            {"start": {"dateTime": "yesterday"}, "end": {"dateTime": "2026-12-01T09:00:00Z"}},
            400,
            "badRequest",
        ),
        ({"start": {"date": "2026-13-01"}, "end": {"date": "2026-13-02"}}, 400, "invalidArgument"),
        (
            {
                "start": {"dateTime": "2026-12-01T10:00:00", "timeZone": "Mars/Olympus"},
                "end": {"dateTime": "2026-12-01T11:00:00", "timeZone": "Mars/Olympus"},
            },
            400,
            "timeZoneInvalid",
        ),
        (
            {
                "start": {"dateTime": "2026-12-01T10:00:00", "timeZone": "UTC"},
                "end": {"dateTime": "2026-12-01T11:00:00", "timeZone": "UTC"},
                "recurrence": ["RRULE:FREQ=SOMETIMES"],
            },
            400,
            "invalid",
        ),
        (
            {
                "start": {"dateTime": "2026-12-01T10:00:00", "timeZone": "UTC"},
                "end": {"dateTime": "2026-12-01T11:00:00", "timeZone": "UTC"},
                "recurrence": ["EXDATE:nonsense"],
            },
            400,
            "invalid",
        ),
        (
            {
                "start": {"dateTime": "2026-12-01T10:00:00Z"},
                "end": {"dateTime": "2026-12-01T11:00:00Z"},
                "recurrence": ["RRULE:FREQ=DAILY"],
            },
            400,
            "badRequest",
        ),
        (
            {
                "start": {"dateTime": "2026-12-01T10:00:00Z"},
                "end": {"dateTime": "2026-12-01T11:00:00Z"},
                "attendees": [{"email": "not an address"}],
            },
            400,
            "invalidArgument",
        ),
    ],
)
def test_bad_events_get_400_with_googles_envelope(cal: Any, body: dict[str, Any], status: int, reason: str) -> None:
    with pytest.raises(HttpError) as err:
        cal.events().insert(calendarId="primary", body=body).execute()
    assert err.value.status_code == status
    envelope = json.loads(err.value.content)["error"]
    assert envelope["errors"][0]["reason"] == reason and envelope["message"]


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.events().get(calendarId="primary", eventId="doesnotexist"),
        lambda c: c.events().get(calendarId="nobody@example.com", eventId="x"),
        lambda c: c.events().delete(calendarId="primary", eventId="doesnotexist"),
        lambda c: c.events().instances(calendarId="primary", eventId="doesnotexist"),
    ],
)
def test_unknown_ids_are_404(cal: Any, call: Any) -> None:
    with pytest.raises(HttpError) as err:
        call(cal).execute()
    assert err.value.status_code == 404


def test_list_argument_errors(cal: Any) -> None:
    for kwargs in (
        {"orderBy": "startTime"},
        {"timeMin": "tomorrow"},
        {"timeMin": "2026-12-02T00:00:00Z", "timeMax": "2026-12-01T00:00:00Z"},
    ):
        with pytest.raises(HttpError) as err:
            cal.events().list(calendarId="primary", **kwargs).execute()
        assert err.value.status_code == 400, kwargs


def test_watch_sends_sync_then_exists_with_channel_headers(cal: Any) -> None:
    with Receiver() as rx:
        channel = run(
            cal.events().watch(
                calendarId="primary",
                body={"id": "chan-1", "type": "web_hook", "address": rx.url, "token": "secret-token"},
            )
        )
        headers, _ = rx.next()
        assert headers["x-goog-resource-state"] == "sync" and headers["x-goog-message-number"] == "0"
        assert headers["x-goog-channel-id"] == "chan-1" and headers["x-goog-channel-token"] == "secret-token"
        assert headers["x-goog-resource-id"] == channel["resourceId"] and headers["x-goog-resource-uri"]
        start = _next_monday()
        run(
            cal.events().insert(
                calendarId="primary",
                body={
                    "summary": "pinged",
                    "start": {"dateTime": start.isoformat()},
                    "end": {"dateTime": (start + timedelta(hours=1)).isoformat()},
                },
            )
        )
        headers, _ = rx.next()
        assert headers["x-goog-resource-state"] == "exists" and headers["x-goog-message-number"] == "1"
        run(cal.channels().stop(body={"id": "chan-1", "resourceId": channel["resourceId"]}))
        with pytest.raises(HttpError) as err:
            cal.channels().stop(body={"id": "chan-1", "resourceId": channel["resourceId"]}).execute()
        assert err.value.status_code == 404
