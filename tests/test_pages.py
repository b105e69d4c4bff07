"""Long answers are paged by size as well as by count, never cut mid-item, and the next page asks Google
nothing it already answered; a page token still works on a server that did not make it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from google_mcp.google.pages import ANSWER_BUDGET
from helpers import calendar, control, gmail
from mcp_helpers import call, connect

pytestmark = pytest.mark.anyio
APOLLO = "c_apollo_team@group.calendar.google.com"


def size(items: list[Any]) -> int:
    return len(json.dumps(items, ensure_ascii=False, separators=(",", ":")))


def google_requests(url: str) -> int:
    return len([r for r in control(url, "/_sandbox/requests")["requests"] if not r["batch"]])  # a batch is one


async def test_a_big_search_comes_in_pages_of_whole_results_each_read_once(
    fresh_sandbox: Any, make_settings: Any
) -> None:
    url = fresh_sandbox.url
    every = [m["id"] for m in gmail(url).users().messages().list(userId="me", maxResults=500).execute()["messages"]]
    assert len(every) > 300
    shown: list[str] = []
    async with connect(make_settings(url)) as client:
        page = await call(client, "gmail_search", {"max_results": 500})
        pages = [page]
        while page.get("next_page_token"):
            before = google_requests(url)
            page = await call(client, "gmail_search", {"max_results": 500, "page_token": page["next_page_token"]})
            assert google_requests(url) == before, "the next page was fetched with the first: no request"
            pages.append(page)
    for page in pages:  # each within the tokens a model reads: tests/test_answers.py
        assert page["messages"]
        shown += [m["id"] for m in page["messages"]]
    assert len(pages) > 1
    assert shown == every  # every result once, in Google's order


async def test_a_search_page_token_outlives_the_server_that_made_it(fresh_sandbox: Any, make_settings: Any) -> None:
    url = fresh_sandbox.url
    every = [m["id"] for m in gmail(url).users().messages().list(userId="me", maxResults=500).execute()["messages"]]
    async with connect(make_settings(url)) as client:
        first = await call(client, "gmail_search", {"max_results": 500})
    token = first["next_page_token"]
    async with connect(make_settings(url)) as other:  # a restart, or another process behind the balancer
        rest = await call(other, "gmail_search", {"max_results": 500, "page_token": token})
    got = [m["id"] for m in first["messages"] + rest["messages"]]
    assert got == every[: len(got)] and len(rest["messages"]) > 0


def _crowd(url: str, n: int, calendar_id: str, start: datetime, words: int) -> None:
    api = calendar(url)
    for i in range(n):
        at = start + timedelta(hours=7 * i + (3 if calendar_id == APOLLO else 0))
        api.events().insert(
            calendarId=calendar_id,
            body={
                "summary": f"Crowd {calendar_id[:4]} {i}",
                "description": "agenda item " * words,
                "start": {"dateTime": at.isoformat()},
                "end": {"dateTime": (at + timedelta(minutes=30)).isoformat()},
            },
        ).execute()


async def test_events_of_several_calendars_page_by_size_without_asking_google_again(
    fresh_sandbox: Any, make_settings: Any
) -> None:
    url = fresh_sandbox.url
    start = datetime(2031, 3, 3, 9, tzinfo=UTC)  # a quiet future month: only these events
    _crowd(url, 40, "primary", start, 300)  # about 3,600 characters each
    _crowd(url, 40, APOLLO, start, 300)
    window = {
        "calendar_ids": ["primary", APOLLO],
        "time_min": start.isoformat(),
        "time_max": (start + timedelta(days=30)).isoformat(),
        "max_results": 250,
    }
    async with connect(make_settings(url)) as client:
        await call(client, "calendar_list_calendars")  # zones, cached as in a long session
        before = google_requests(url)
        page = await call(client, "calendar_list_events", window)
        assert google_requests(url) == before + 1, "both calendars in one batch request"
        pages = [page]
        while page.get("next_page_token"):
            before = google_requests(url)
            page = await call(client, "calendar_list_events", {**window, "page_token": page["next_page_token"]})
            assert google_requests(url) == before
            pages.append(page)
    assert len(pages) > 1
    for page in pages:
        assert size(page["events"][:-1]) <= ANSWER_BUDGET
    events = [e for p in pages for e in p["events"]]
    crowd = [e for e in events if e["summary"].startswith("Crowd")]
    assert len(crowd) == 80 and len({e["id"] for e in events}) == len(events)
    starts = [e["start"]["date_time"] for e in events]
    assert starts == sorted(starts, key=datetime.fromisoformat)
    assert all(len(e["description"]) > 3000 for e in crowd)  # whole items, never cut to fit


async def test_an_events_page_token_outlives_the_server_that_made_it(fresh_sandbox: Any, make_settings: Any) -> None:
    url = fresh_sandbox.url
    start = datetime(2031, 5, 5, 9, tzinfo=UTC)
    _crowd(url, 12, "primary", start, 1)
    _crowd(url, 12, APOLLO, start, 1)
    window = {
        "calendar_ids": ["primary", APOLLO],
        "time_min": start.isoformat(),
        "time_max": (start + timedelta(days=30)).isoformat(),
    }
    async with connect(make_settings(url)) as client:
        everything = (await call(client, "calendar_list_events", {**window, "max_results": 250}))["events"]
        first = await call(client, "calendar_list_events", {**window, "max_results": 7})
    async with connect(make_settings(url)) as other:
        paged, token = first["events"], first["next_page_token"]
        while token:
            page = await call(other, "calendar_list_events", {**window, "max_results": 7, "page_token": token})
            paged += page["events"]
            token = page.get("next_page_token")
    assert len([e for e in everything if e["summary"].startswith("Crowd")]) == 24
    assert [e["id"] for e in paged] == [e["id"] for e in everything]
