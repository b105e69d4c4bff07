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
    control(url, "/_sandbox/quota", {"units_per_second": 250})
    api = gmail(url)
    ids = [m["id"] for m in api.users().messages().list(userId="me", maxResults=60).execute()["messages"]]
    answers: dict[str, Any] = {}
    batch = BatchHttpRequest(callback=lambda i, r, e: answers.__setitem__(i, e), batch_uri=url + "/batch/gmail/v1")
    messages = api.users().messages()
    for i in ids:
        batch.add(messages.get(userId="me", id=i, format="minimal"), request_id=i)
    batch.execute()
    refused = [e for e in answers.values() if e is not None]
    # 5 units for the list, 5 per get: 49 gets fit in the first second's 250 units (a few more as it refills)
    assert 5 <= len(refused) <= 11 and {e.status_code for e in refused} == {429}
    assert all("userRateLimitExceeded" in str(e.error_details) for e in refused)


async def test_a_500_result_search_paces_itself_and_takes_the_fewest_requests(
    fresh_sandbox: Any, make_settings: Any
) -> None:
    url = fresh_sandbox.url
    rate = 1000  # Google's is 250 a second; the same pacing at four times the speed keeps the test short
    control(url, "/_sandbox/quota", {"units_per_second": rate})
    async with connect(make_settings(url, gmail_quota_units=rate), person=None) as client:
        await call(client, "gmail_search", {"max_results": 1})  # a session already knows its labels' names
        before = len(requests(url))
        found = await call(client, "gmail_search", {"query": "", "max_results": 500})
        shown = found["messages"]
        while found.get("next_page_token"):  # the answer is paged by size; the rest was read with the first
            found = await call(client, "gmail_search", {"max_results": 500, "page_token": found["next_page_token"]})
            shown += found["messages"]
    made = requests(url)[before:]
    n = len(shown)
    assert n > 450 and found["failed_ids"] == []
    assert [r["status"] for r in made if r["status"] == 429] == []  # paced, not refused
    outer = [r for r in made if not r["batch"]]
    assert len(outer) == 1 + -(-n // 50)  # one list, then batches of at most 50
