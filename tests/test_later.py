"""Send later and undo, through an MCP client session against the sandbox: the undo window, send_at, the
record, a changed conversation, and a desktop restarted across the due time. The schedule reads a clock
the test holds; the scheduler runs in the server as always, and the test waits on its passes."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

from google_mcp.server import build_server
from helpers import gmail
from mcp_helpers import Person, call, fails, writes

pytestmark = pytest.mark.anyio
T0 = 1_900_000_000.0  # 2030-03-17 17:46:40 UTC
MAIL = {"to": ["dana@example.com"], "subject": "later", "body_text": "hello"}


class Clock:
    """The time the schedule reads; each read is counted, so a test can wait for the scheduler's passes."""

    def __init__(self) -> None:
        self.value, self.reads = T0, 0

    def now(self) -> float:
        self.reads += 1
        return self.value

    async def passes(self, n: int = 3) -> None:
        """Wait until the scheduler has read the clock `n` more times (each pass reads it)."""
        goal = self.reads + n
        with anyio.fail_after(10):
            while self.reads < goal:
                await anyio.sleep(0.01)


def sends(url: str) -> list[dict[str, Any]]:
    return [w for w in writes(url) if w["path"].endswith("/messages/send") and w["status"] < 300]


def sent_with(url: str, subject: str) -> list[Any]:
    found = gmail(url).users().messages().list(userId="me", q=f"in:sent subject:{subject}").execute()
    return list(found.get("messages", []))


async def until_sent(url: str, n: int) -> None:
    with anyio.fail_after(10):
        while len(sends(url)) < n:
            await anyio.sleep(0.02)


@asynccontextmanager
async def session(settings: Any, clock: Clock) -> AsyncIterator[Client]:
    async with Client(build_server(settings, clock), mode="auto") as client:  # no elicitation: confirm_action
        yield client


@pytest.fixture(params=["local", "redis"])
def where(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, Any]:
    if request.param == "local":
        return {"schedule_file": tmp_path / "schedule.sqlite3"}
    return {"redis_url": request.getfixturevalue("redis_url"), "schedule_file": tmp_path / "unused.sqlite3"}


async def approve(client: Client, args: dict[str, Any] | None = None) -> dict[str, Any]:
    held = await call(client, "gmail_send", args or MAIL)
    assert held["status"] == "confirmation_required"
    return await call(client, "confirm_action", {"confirmation_id": held["confirmation_id"]})


async def steps(client: Client, cid: str) -> list[str]:
    log = await call(client, "activity_log", {"tool": "gmail_send"})
    return [e["step"] for e in reversed(log["entries"]) if e.get("confirmation_id") == cid]


async def until_step(client: Client, cid: str, step: str) -> None:
    with anyio.fail_after(10):
        while step not in await steps_of(client, cid):
            await anyio.sleep(0.02)


async def test_an_approved_send_is_held_for_the_undo_window_then_goes_once(
    fresh_sandbox: Any, make_settings: Any, where: dict[str, Any]
) -> None:
    url, clock = fresh_sandbox.url, Clock()
    async with session(make_settings(url, undo_seconds=10, **where), clock) as client:
        out = await approve(client)
        cid = out["confirmation_id"]
        assert out["status"] == "scheduled"
        assert (
            "2030-03-17 17:46:50 UTC" in out["message"] and f"cancel_action(confirmation_id='{cid}')" in out["message"]
        )
        listed = (await call(client, "list_pending_actions"))["actions"]
        assert [(a["confirmation_id"], a["goes_at"]) for a in listed] == [(cid, "2030-03-17 17:46:50 UTC")]
        again = await call(client, "confirm_action", {"confirmation_id": cid})
        assert again["status"] == "scheduled" and "17:46:50" in again["message"]  # approved once; not run twice
        clock.value = T0 + 9.9
        await clock.passes()
        assert sends(url) == []
        clock.value = T0 + 10
        await until_step(client, cid, "sent")
        clock.value = T0 + 100
        await clock.passes()
        assert len(sends(url)) == 1
        assert (await call(client, "list_pending_actions"))["actions"] == []
        assert await steps(client, cid) == ["held", "scheduled", "sent"]
        done = await call(client, "confirm_action", {"confirmation_id": cid})
        assert done["status"] == "done"
        sent = gmail(url).users().messages().get(userId="me", id=done["result"]["id"]).execute()
        assert "SENT" in sent["labelIds"]


async def test_undo_inside_the_window_sends_nothing_and_one_second_late_says_already_sent(
    fresh_sandbox: Any, make_settings: Any, where: dict[str, Any]
) -> None:
    url, clock = fresh_sandbox.url, Clock()
    async with session(make_settings(url, undo_seconds=10, **where), clock) as client:
        first = await approve(client)
        clock.value = T0 + 9.99  # the last moment
        undone = await call(client, "cancel_action", {"confirmation_id": first["confirmation_id"]})
        assert undone["status"] == "cancelled" and "nothing was sent" in undone["message"]
        second = await approve(client, {**MAIL, "subject": "second"})
        clock.value = T0 + 9.99 + 10
        await until_step(client, second["confirmation_id"], "sent")
        clock.value += 1
        late = await call(client, "cancel_action", {"confirmation_id": second["confirmation_id"]})
        assert late["status"] == "done" and "already sent at 2030-03-17 17:46:59 UTC" in late["message"]
        clock.value += 100
        await clock.passes()
        assert len(sends(url)) == 1
        assert len(sent_with(url, "second")) == 1 and sent_with(url, "later") == []
        assert await steps(client, first["confirmation_id"]) == ["held", "scheduled", "cancelled"]


async def test_send_at_is_said_in_the_persons_zone_and_the_mail_goes_then(
    fresh_sandbox: Any, make_settings: Any, where: dict[str, Any]
) -> None:
    url, clock = fresh_sandbox.url, Clock()
    async with session(make_settings(url, **where), clock) as client:
        zone = (await call(client, "calendar_list_calendars"))["calendars"][0]["time_zone"]
        past = await fails(client, "gmail_send", {**MAIL, "send_at": "2030-03-17T08:00"})
        assert "in the past" in past and "send_at" in past
        held = await call(client, "gmail_send", {**MAIL, "send_at": "2030-03-18T08:00"})
        goes = [d for d in held["preview"]["details"] if d.startswith("Goes at:")]
        assert goes == [f"Goes at: 2030-03-18 08:00:00 {zone} (held until then; cancel_action stops it)"]
        out = await call(client, "confirm_action", {"confirmation_id": held["confirmation_id"]})
        assert out["status"] == "scheduled" and f"2030-03-18 08:00:00 {zone}" in out["message"]
        clock.value = out_ts = _ts(out["expires_at"])
        await until_step(client, held["confirmation_id"], "sent")
        assert out_ts > T0 and len(sends(url)) == 1
        assert await steps(client, held["confirmation_id"]) == ["held", "scheduled", "sent"]


def _ts(iso: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(iso).timestamp()


async def fresh(client: Client, held: str) -> list[dict[str, Any]]:
    """The pending actions, once one other than the held one waits."""
    found = (await call(client, "list_pending_actions"))["actions"]
    return found if any(a["confirmation_id"] != held for a in found) else []


async def test_a_reply_whose_conversation_gained_a_message_is_not_sent_and_a_fresh_preview_waits(
    fresh_sandbox: Any, make_settings: Any, where: dict[str, Any]
) -> None:
    url, clock = fresh_sandbox.url, Clock()
    async with session(make_settings(url, undo_seconds=10, **where), clock) as client:
        hit = (await call(client, "gmail_search", {"query": "in:inbox", "max_results": 1}))["messages"][0]
        out = await approve(client, {"reply_to_message_id": hit["id"], "body_text": "Sounds good."})
        assert out["status"] == "scheduled"
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = "dana@example.com", "alex.morgan@example.com", "Re: " + hit["subject"]
        msg.set_content("Actually, wait.")
        raw = base64.urlsafe_b64encode(msg.as_bytes()).decode()
        gmail(url).users().messages().insert(
            userId="me", body={"raw": raw, "threadId": hit["thread_id"], "labelIds": ["INBOX"]}
        ).execute()
        clock.value = T0 + 10
        with anyio.fail_after(10):
            while not (waiting := await fresh(client, out["confirmation_id"])):
                await anyio.sleep(0.02)
        assert sends(url) == []
        assert len(waiting) == 1 and waiting[0]["confirmation_id"] != out["confirmation_id"]
        assert "goes_at" not in waiting[0] and waiting[0]["tool"] == "gmail_send"  # waits for a new yes
        assert await steps(client, out["confirmation_id"]) == ["held", "scheduled", "stale"]
        told = await call(client, "confirm_action", {"confirmation_id": out["confirmation_id"]})
        assert told["status"] == "failed" and "changed since the preview" in told["message"]


@pytest.mark.parametrize(("after", "grace", "ends"), [(120, 600, "sent_late"), (1000, 600, "returned")])
async def test_a_desktop_restarted_across_the_due_time_sends_late_within_the_grace_and_asks_again_past_it(
    fresh_sandbox: Any, make_settings: Any, tmp_path: Path, after: float, grace: float, ends: str
) -> None:
    url, clock = fresh_sandbox.url, Clock()
    settings = make_settings(
        url,
        undo_seconds=60,
        schedule_grace=grace,
        schedule_file=tmp_path / "s.sqlite3",
        log_file=tmp_path / "r.sqlite3",
    )
    async with session(settings, clock) as client:  # the desktop's server, then it stops (the laptop closes)
        out = await approve(client)
        assert out["status"] == "scheduled"
    assert sends(url) == []
    clock.value = T0 + 60 + after
    async with session(settings, clock) as client:  # started again, `after` seconds past the due time
        cid = out["confirmation_id"]
        await until_step(client, cid, ends)
        if ends == "sent_late":
            assert len(sends(url)) == 1
            log = await call(client, "activity_log", {"tool": "gmail_send"})
            assert next(e for e in log["entries"] if e["step"] == "sent_late")["status"] == "sent_late"
        else:
            with anyio.fail_after(10):
                while not (waiting := await fresh(client, cid)):
                    await anyio.sleep(0.02)
            assert len(waiting) == 1 and "goes_at" not in waiting[0]  # back to the person, to approve again
            told = await call(client, "confirm_action", {"confirmation_id": cid})
            assert told["status"] == "failed" and "no server was running then" in told["message"]
            clock.value += 100
            await clock.passes()
            assert sends(url) == []
            again = await call(client, "confirm_action", {"confirmation_id": waiting[0]["confirmation_id"]})
            assert again["status"] == "scheduled"  # the undo window holds it again, from now
        assert await steps(client, cid) == ["held", "scheduled", ends]


async def test_a_slack_post_and_a_text_with_send_at_go_once_at_their_time(
    fresh_sandbox: Any, make_settings: Any, emulator: Any, tmp_path: Path
) -> None:
    clock = Clock()
    posts, texts = len(emulator.posts()), len(emulator.texts())
    settings = make_settings(fresh_sandbox.url, schedule_file=tmp_path / "s.sqlite3")
    async with session(settings, clock) as client:
        zone = (await call(client, "calendar_list_calendars"))["calendars"][0]["time_zone"]
        at = {"send_at": "2030-03-18T08:00"}
        post = await call(client, "slack_post_message", {"channel": "launch", "text": "Standup at 9:30", **at})
        text = await call(client, "sms_send", {"to": "+14155550123", "text": "Running late", **at})
        for held in (post, text):
            assert (
                f"Goes at: 2030-03-18 08:00:00 {zone} (held until then; cancel_action stops it)"
                in (held["preview"]["details"])
            )
            out = await call(client, "confirm_action", {"confirmation_id": held["confirmation_id"]})
            assert out["status"] == "scheduled"
        clock.value = _ts(out["expires_at"]) - 0.5
        await clock.passes()
        assert len(emulator.posts()) == posts and len(emulator.texts()) == texts  # not before their time
        clock.value += 0.5
        for held in (post, text):
            await until_step(client, held["confirmation_id"], "sent")
        clock.value += 100
        await clock.passes()
    assert len(emulator.posts()) == posts + 1 and len(emulator.texts()) == texts + 1


async def steps_of(client: Client, cid: str) -> list[str]:
    log = await call(client, "activity_log")
    return [e["step"] for e in reversed(log["entries"]) if e.get("confirmation_id") == cid]


async def test_a_person_who_says_yes_in_their_client_gets_the_undo_window_too(
    fresh_sandbox: Any, make_settings: Any, tmp_path: Path
) -> None:
    url, clock, person = fresh_sandbox.url, Clock(), Person()
    settings = make_settings(url, undo_seconds=10, schedule_file=tmp_path / "s.sqlite3")
    async with Client(build_server(settings, clock), mode="auto", elicitation_callback=person) as client:
        out = await call(client, "gmail_send", MAIL)
        assert person.asked and out["status"] == "scheduled" and "cancel_action" in out["message"]
        clock.value = T0 + 10
        await until_step(client, out["confirmation_id"], "sent")
        log = await call(client, "activity_log", {"tool": "gmail_send"})
        sent = next(e for e in log["entries"] if e["step"] == "sent")
        assert sent["result"]["id"] and len(sends(url)) == 1
