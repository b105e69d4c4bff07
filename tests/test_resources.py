"""Mail and calendars as MCP resources, read in both protocol eras through an MCP client session."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest

from mcp_helpers import call, connect

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("mode", ["legacy", "2026-07-28"])
async def test_the_inbox_a_message_upcoming_events_and_an_event_read_as_resources(
    fresh_sandbox: Any, make_settings: Any, mode: str
) -> None:
    async with connect(make_settings(fresh_sandbox.url), mode) as client:
        listed = {str(r.uri) for r in (await client.list_resources()).resources}
        templates = {t.uri_template for t in (await client.list_resource_templates()).resource_templates}
        assert {"gmail://inbox", "calendar://upcoming"} <= listed
        assert {"gmail://messages/{message_id}", "calendar://events/{calendar_id}/{event_id}"} <= templates
        inbox = (await client.read_resource("gmail://inbox")).contents[0]
        newest = (await call(client, "gmail_search", {"query": "in:inbox", "max_results": 20}))["messages"]
        assert inbox.mime_type == "text/plain" and inbox.text.startswith("20 messages")
        assert [line.split("\t")[0].split(" ")[0] for line in inbox.text.splitlines()[1:]] == [m["id"] for m in newest]
        one = json.loads((await client.read_resource(f"gmail://messages/{newest[0]['id']}")).contents[0].text)
        assert one["id"] == newest[0]["id"] and "body" in one
        upcoming = (await client.read_resource("calendar://upcoming")).contents[0].text
        events = (await call(client, "calendar_list_events", {"calendar_ids": ["primary"], "max_results": 5}))["events"]
        assert events[0]["summary"] in upcoming or events[0]["id"] in upcoming
        holiday = "en.usa#holiday@group.v.calendar.google.com"  # '#' and '@' travel percent-encoded
        found = await call(
            client, "calendar_list_events", {"calendar_ids": [holiday], "time_min": "2026-01-01T00:00:00Z"}
        )
        uri = f"calendar://events/{quote(holiday, safe='')}/{quote(found['events'][0]['id'], safe='')}"
        shown = json.loads((await client.read_resource(uri)).contents[0].text)
        assert shown["id"] == found["events"][0]["id"] and shown["calendar_id"] == holiday


async def test_resources_follow_the_tool_groups(fresh_sandbox: Any, make_settings: Any) -> None:
    async with connect(make_settings(fresh_sandbox.url, tools=["calendar"]), "legacy") as client:
        listed = {str(r.uri) for r in (await client.list_resources()).resources}
    assert "calendar://upcoming" in listed and not any(u.startswith("gmail://") for u in listed)


@pytest.mark.parametrize("mode", ["legacy", "2026-07-28"])
async def test_a_missing_message_or_event_is_invalid_params_not_found(
    fresh_sandbox: Any, make_settings: Any, mode: str
) -> None:
    from mcp.shared.exceptions import MCPError
    from mcp.types import INVALID_PARAMS

    async with connect(make_settings(fresh_sandbox.url), mode) as client:
        for uri in ("gmail://messages/does-not-exist", "calendar://events/primary/does-not-exist"):
            with pytest.raises(MCPError) as raised:
                await client.read_resource(uri)
            assert raised.value.error.code == INVALID_PARAMS, raised.value.error
            assert "not found" in raised.value.error.message.lower() and uri in raised.value.error.message
