"""Gmail's per-user quota: the sandbox charges it as Google does, and big reads pace themselves to stay inside."""

from __future__ import annotations

from typing import Any

import pytest
from googleapiclient.http import BatchHttpRequest

from helpers import control, gmail
from mcp_helpers import call, connect, requests

pytestmark = pytest.mark.anyio


def test_the_sandbox_answers_429_past_the_quota(fresh_sandbox: Any) -> None:
    url = fresh_sandbox.url
    control(url, "/_sandbox/quota", {"units_per_second": 2})  # 120 units in a minute's window
    api = gmail(url)
    ids = [m["id"] for m in api.users().messages().list(userId="me", maxResults=60).execute()["messages"]]
    answers: dict[str, Any] = {}
    batch = BatchHttpRequest(callback=lambda i, r, e: answers.__setitem__(i, e), batch_uri=url + "/batch/gmail/v1")
    messages = api.users().messages()
    for i in ids:
        batch.add(messages.get(userId="me", id=i, format="minimal"), request_id=i)
    batch.execute()
    refused = [e for e in answers.values() if e is not None]
    # 5 units for the list, 5 per get: 23 gets fit in the window's 120 units, and none leaves it within a minute
    assert len(refused) == 60 - 23 and {e.status_code for e in refused} == {429}
    assert all("userRateLimitExceeded" in str(e.error_details) for e in refused)


async def test_a_500_result_search_paces_itself_and_takes_the_fewest_requests(
    fresh_sandbox: Any, make_settings: Any
) -> None:
    url = fresh_sandbox.url
    # Google's window is a minute of 250 a second; a window of 1 s at 1,000 a second holds about a third of what
    # 500 results cost (2,500 units), so the search must wait for the window twice and the test stays short
    rate, window = 1000, 1.0
    control(url, "/_sandbox/quota", {"units_per_second": rate, "window_seconds": window})
    settings = make_settings(url, gmail_quota_units=rate, gmail_quota_window=window)
    async with connect(settings, person=None) as client:
        await call(client, "gmail_search", {"max_results": 1})  # a session already knows its labels' names
        before = len(requests(url))
        found = await call(client, "gmail_search", {"query": "", "max_results": 500})
        shown = found["messages"]
        while found.get("next_page_token"):  # the answer is paged by size; the rest was read with the first
            found = await call(client, "gmail_search", {"max_results": 500, "page_token": found["next_page_token"]})
            shown += found["messages"]
    made = requests(url)[before:]
    n = len(shown)
    assert n > 450 and "failed_ids" not in found
    assert [r["status"] for r in made if r["status"] == 429] == []  # paced, not refused
    outer = [r for r in made if not r["batch"]]
    assert len(outer) == 1 + -(-n // 50)  # one list, then batches of at most 50


def test_back_to_back_searches_spend_the_minutes_budget_before_any_wait() -> None:
    from google_mcp.quota import UNITS_PER_SECOND, Window

    window = Window(UNITS_PER_SECOND)  # Google's 15,000 units a minute
    search = 5 + 50 * 5  # a 50-result search: the list and a batch of 50 gets
    waits = [window.wait_for(search) for _ in range(58)]
    assert waits == [0.0] * 58  # a burst of 14,790 units goes at once (a one-second bucket made each wait ~1 s)
    late = window.wait_for(search)
    assert 59.0 < late <= 60.0  # the 59th waits for the first to leave the minute
    assert 59.0 < window.wait_for(1) <= 60.0  # and nobody slips in before it
