"""The week, inbox and activity views in a real browser, under the reference host bridge (tests/views_harness.py),
each from our server's own resource and our tools' real answers against the sandbox: the week puts a seeded
event in its day's column in the calendar's zone and names the event's own zone; the inbox lists the seeded
conversations with the unread marked, is reachable by keyboard, and opening a row is one tools/call through the
host; the activity view shows a done send under its day; hostile mail runs and loads nothing. Each view is also
checked at 390 px in dark (nothing scrolls sideways; axe, whose contrast rule reads the dark colours, finds nothing
serious or critical) and at desktop width in light."""

from __future__ import annotations

import base64
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from mcp import Client

from helpers import gmail
from views_harness import Harness, Mounted, connect_apps

pytestmark = pytest.mark.anyio

WEEK, INBOX, ACTIVITY = "ui://google-mcp/week", "ui://google-mcp/inbox", "ui://google-mcp/activity"
NY = ZoneInfo("America/New_York")  # the seeded primary calendar's zone


@pytest.fixture(scope="module")
def anyio_backend() -> str:  # the browser (`harness`) lives for the module
    return "asyncio"


def today() -> date:
    return datetime.now(NY).date()


async def read(client: Client, tool: str, args: dict[str, Any]) -> Any:
    result = await client.call_tool(tool, args)
    assert not result.is_error, result.content
    return result


async def seen(view: Mounted, selector: str) -> Any:
    found = view.frame.locator(selector)
    await found.first.wait_for()
    return found


async def test_the_week_puts_an_event_in_its_day_in_the_calendars_zone_and_names_its_own(
    harness: Harness, fresh_sandbox: Any, make_settings: Any
) -> None:
    window = {"time_min": today().isoformat(), "time_max": (today() + timedelta(days=7)).isoformat()}
    async with connect_apps(make_settings(fresh_sandbox.url)) as client:
        events = await read(client, "calendar_list_events", {**window, "max_results": 100})
        tokyo = next(e for e in events.structured_content["events"] if e["summary"] == "Sync with Tokyo team")
        start = datetime.fromisoformat(tokyo["start"]["date_time"]).astimezone(NY)  # Tokyo's morning: NY's evening
        async with harness.mount(client, WEEK, "calendar_list_events", window, events, width=1280) as view:
            column = await seen(view, f'section[data-day="{start.date().isoformat()}"]')
            item = column.locator(".wk-item", has_text="Sync with Tokyo team")
            assert await item.count() == 1
            shown = await item.inner_text()
            assert f"{start:%H:%M}–" in shown and "09:00–10:00 Asia/Tokyo" in shown
            assert "Times in America/New_York" in await view.text()
            box, col = await item.bounding_box(), await column.locator("ul").bounding_box()
            hours = await view.frame.locator(".wk-hours span").all_inner_texts()
            first = int(hours[0][:2])
            height = col["height"] / len(hours)
            assert abs(box["y"] - col["y"] - (start.hour - first + start.minute / 60) * height) < 2, "placed by time"
            ooo = view.frame.locator(".wk-allday li", has_text="Dana OOO")
            assert await ooo.count() == 1
            assert await view.serious_axe_violations() == []
        busy = await read(client, "calendar_free_busy", {**window, "slot_minutes": 30})
        async with harness.mount(client, WEEK, "calendar_free_busy", window, busy, theme="dark") as view:
            await seen(view, ".wk-free")
            in_week = [s for s in busy.structured_content["free_slots"] if s["start"][:10] < window["time_max"]]
            assert await view.frame.locator(".wk-free").count() == len(in_week) > 0
            assert await view.scroll_width() <= 390
            assert await view.serious_axe_violations() == []
            assert view.foreign_requests() == []


async def test_the_inbox_lists_conversations_marks_unread_and_opens_one_by_keyboard_with_one_call(
    harness: Harness, fresh_sandbox: Any, make_settings: Any
) -> None:
    async with connect_apps(make_settings(fresh_sandbox.url)) as client:
        args = {"query": "in:inbox", "max_results": 15}
        found = await read(client, "gmail_search", args)
        messages = found.structured_content["messages"]
        threads = list(dict.fromkeys(m["thread_id"] for m in messages))
        unread = {m["thread_id"] for m in messages if "unread" in m["labels"]}
        async with harness.mount(client, INBOX, "gmail_search", args, found, width=1280) as view:
            rows = await seen(view, ".ib-row")
            assert await rows.count() == len(threads)
            assert await view.frame.locator(".ib-row.ib-unread").count() == len(unread) > 0
            assert await view.frame.locator(".ib-row.ib-unread").first.get_by_text("Unread.").count() == 1
            await view.frame.locator("h1").click()  # focus in the view, before the first row
            reached = []
            for _ in threads:
                await view.page.keyboard.press("Tab")
                reached.append(await view.view_frame().evaluate("() => document.activeElement.className"))
            assert all("ib-row" in r for r in reached)
            alone = next(m for m in messages if [x["thread_id"] for x in messages].count(m["thread_id"]) == 1)
            row = rows.nth(threads.index(alone["thread_id"]))
            await row.focus()
            await view.page.keyboard.press("Enter")
            await view.frame.get_by_role("button", name="Back to the list").wait_for()
            assert view.calls == [("gmail_get_message", {"message_id": alone["id"]})]
            assert alone["subject"] in await view.text()
            await view.frame.get_by_role("button", name="Back to the list").click()
            several = next(t for t in threads if [m["thread_id"] for m in messages].count(t) > 1)
            await rows.nth(threads.index(several)).click()  # a conversation of several opens whole
            await view.frame.get_by_role("button", name="Back to the list").wait_for()
            assert view.calls[1:] == [("gmail_get_thread", {"thread_id": several})]
            assert await view.serious_axe_violations() == []


def hostile(port: int) -> EmailMessage:
    msg = EmailMessage()
    trap = f"http://127.0.0.1:{port}"
    msg["From"] = f'"<img src=x onerror=alert(1)><img src={trap}/from.png>" <mallory@example.com>'
    msg["To"] = "alex.morgan@example.com"
    msg["Subject"] = f"<script>alert(2)</script><img src='{trap}/subject.png'> invoice"
    msg["Message-ID"] = "<hostile-1@example.com>"
    msg.set_content("plain")
    msg.add_alternative(
        f'<p>Hi</p><img src="{trap}/body.png"><script>alert(3)</script>'
        f'<form action="{trap}/form"><input name=x></form><style>p{{background:url({trap}/css.png)}}</style>',
        subtype="html",
    )
    return msg


async def test_hostile_mail_in_the_inbox_runs_nothing_and_loads_nothing(
    harness: Harness, fresh_sandbox: Any, make_settings: Any
) -> None:
    raw = base64.urlsafe_b64encode(hostile(9).as_bytes()).decode()
    gmail(fresh_sandbox.url).users().messages().insert(
        userId="me", body={"raw": raw, "labelIds": ["INBOX", "UNREAD"]}
    ).execute()
    async with connect_apps(make_settings(fresh_sandbox.url)) as client:
        args = {"query": "from:mallory@example.com"}
        found = await read(client, "gmail_search", args)
        async with harness.mount(client, INBOX, "gmail_search", args, found, theme="dark") as view:
            row = (await seen(view, ".ib-row")).first
            assert await view.scroll_width() <= 390
            assert await view.serious_axe_violations() == []
            assert "<script>alert(2)</script>" in await row.inner_text()  # shown as text
            await row.dblclick()  # the second click, while the first is on its way, asks nothing more
            await view.frame.get_by_role("button", name="Back to the list").wait_for()
            assert len(view.calls) == 1
            counts = await view.view_frame().evaluate(
                "() => [document.images.length, document.scripts.length, document.forms.length]"
            )
            assert counts == [0, 2, 0], "no element of the mail's: our bridge and view scripts only"
            assert view.dialogs == [] and view.foreign_requests() == []


async def test_the_activity_view_shows_a_done_send_under_its_day(
    harness: Harness, fresh_sandbox: Any, make_settings: Any
) -> None:
    mail = {"to": ["dana.whitfield@example.com"], "subject": "Board pack", "body_text": "Attached tonight."}
    async with connect_apps(make_settings(fresh_sandbox.url)) as client:
        held = await read(client, "gmail_send", mail)
        done = await read(client, "confirm_action", {"confirmation_id": held.structured_content["confirmation_id"]})
        assert done.structured_content["status"] == "done"
        log = await read(client, "activity_log", {})
        entries = log.structured_content["entries"]
        entry = next(e for e in entries if e["action"] == "gmail_send" and e["step"] == "done")
        day = datetime.fromisoformat(entry["timestamp"]).astimezone(ZoneInfo("Europe/Paris")).date()  # the host's
        async with harness.mount(client, ACTIVITY, "activity_log", {}, log, theme="dark") as view:
            section = await seen(view, f'section[data-day="{day.isoformat()}"]')
            done_step = view.frame.locator(".ac-step", has_text="done")
            sent = section.locator(".ac-entry", has_text="Gmail: send").filter(has=done_step)
            assert await sent.count() == 1
            told = await sent.inner_text()
            assert "dana.whitfield@example.com" in told and "result: sent" in told, told
            assert await view.scroll_width() <= 390
            assert await view.serious_axe_violations() == []
