"""Resource updates reach subscribed clients in both protocol eras (the polling fallback here; pushes
are still to come): a message arrives in the sandbox, an event moves, and the client is told."""

from __future__ import annotations

import base64
import warnings
from email.message import EmailMessage
from typing import Any

import anyio
import pytest

from helpers import calendar, gmail
from mcp_helpers import call, connect, polled

pytestmark = pytest.mark.anyio


def _deliver(url: str, subject: str) -> None:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "dana.whitfield@example.com", "alex.morgan@example.com", subject
    msg.set_content("New numbers attached.")
    raw = base64.urlsafe_b64encode(msg.as_bytes()).decode()
    gmail(url).users().messages().insert(userId="me", body={"raw": raw, "labelIds": ["INBOX", "UNREAD"]}).execute()


async def test_a_2025_subscriber_is_told_when_mail_arrives(fresh_sandbox: Any, make_settings: Any) -> None:
    url = fresh_sandbox.url
    told = anyio.Event()
    uris: list[str] = []

    async def on_message(message: Any) -> None:
        root = getattr(message, "root", message)
        if getattr(root, "method", "") == "notifications/resources/updated":
            uris.append(str(root.params.uri))
            told.set()

    async with connect(make_settings(url, poll_seconds=0.2), "legacy", message_handler=on_message) as client:
        with warnings.catch_warnings():  # the 2025 call is deprecated in the 2026 SDK, and still served
            warnings.simplefilter("ignore")
            await client.subscribe_resource("gmail://inbox")
        await polled(url)  # the poller has read the mailbox once: a baseline
        _deliver(url, "Q4 numbers are in")
        with anyio.fail_after(5):
            await told.wait()
        inbox = (await client.read_resource("gmail://inbox")).contents[0].text
    assert uris == ["gmail://inbox"] and "Q4 numbers are in" in inbox.splitlines()[1]


async def test_a_2026_listener_is_told_when_an_event_moves(fresh_sandbox: Any, make_settings: Any) -> None:
    url = fresh_sandbox.url
    async with connect(make_settings(url, poll_seconds=0.2), "2026-07-28") as client:
        event = (await call(client, "calendar_list_events", {"max_results": 1}))["events"][0]
        async with client.listen(resource_subscriptions=["calendar://upcoming"]) as sub:
            await polled(url, path="/events$", query="syncToken")  # a baseline sync token for the calendars
            calendar(url).events().patch(
                calendarId="primary", eventId=event["id"], body={"summary": "Moved by someone else"}
            ).execute()
            with anyio.fail_after(5):
                async for update in sub:
                    assert update.uri == "calendar://upcoming"
                    break
        upcoming = (await client.read_resource("calendar://upcoming")).contents[0].text
    assert "Moved by someone else" in upcoming
