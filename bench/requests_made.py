"""HTTP requests and wall time for everyday tasks at 50 ms added latency, each beside the minimum Google allows.

The sandbox runs as its own process with `--latency-ms`; requests are counted in its log (a batch is one
request). The last line times a 500-result search under Gmail's real quota (250 units a second, charged
by the sandbox, paced by the client).

    .venv/bin/python bench/requests_made.py [--latency-ms 50]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import socket
import subprocess
import sys
import time
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import anyio
from mcp import Client
from mcp.types import ElicitResult

sys.path.insert(0, str(Path(__file__).parent.parent / "tests"))
from google_mcp.server import build_server
from google_mcp.settings import Settings
from helpers import control, gmail

EXE = str(Path(sys.executable).parent / "google-mcp")
PEOPLE = ["dana.whitfield@example.com", "lena.fischer@example.com"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http_requests(url: str) -> int:
    return len([r for r in control(url, "/_sandbox/requests")["requests"] if not r["batch"]])


def a_thread_of(url: str, n: int) -> str:
    api, thread = gmail(url), None
    for i in range(n):
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = "dana.whitfield@example.com", "alex.morgan@example.com", "Long one"
        msg.set_content(f"Message {i}: " + "a few words of reply " * 20)
        body: dict[str, Any] = {"raw": base64.urlsafe_b64encode(msg.as_bytes()).decode()}
        if thread:
            body["threadId"] = thread
        thread = api.users().messages().insert(userId="me", body=body).execute()["threadId"]
    assert thread is not None
    return str(thread)


async def yes(context: Any, params: Any) -> ElicitResult:
    return ElicitResult(action="accept", content={"approve": True})


async def search(client: Client, n: int) -> int:
    """A search of n results with as few calls as the tool allows, following next_page_token."""
    calls, token, left = 0, None, n
    while left > 0:
        args: dict[str, Any] = {"max_results": left}
        if token:
            args["page_token"] = token
        result = await client.call_tool("gmail_search", args)
        if result.is_error:  # an older server: at most 50 a page
            args["max_results"] = min(50, left)
            result = await client.call_tool("gmail_search", args)
        page = result.structured_content or {}
        calls, left, token = calls + 1, left - len(page.get("messages", [])), page.get("next_page_token")
        if not token:
            break
    return calls


async def tasks(url: str) -> dict[str, Any]:
    settings = Settings(_env_file=None, sandbox_url=url, gmail_quota_units=0)
    thread = a_thread_of(url, 20)
    cals = ["primary", "c_apollo_team@group.calendar.google.com", "en.usa#holiday@group.v.calendar.google.com"]
    week = {"time_min": "2026-11-23T00:00:00Z", "time_max": "2026-11-30T00:00:00Z"}
    plan: list[tuple[str, int, Any]] = [
        # the first search of a session also lists the labels (to show user labels by name), beside
        # messages.list rather than after it; later searches reuse the names for ten minutes
        ("search 50, the first of a session (+ labels.list, in parallel)", 3, lambda c: search(c, 50)),
        ("search 50", 2, lambda c: search(c, 50)),
        ("read a 20-message thread", 1, lambda c: c.call_tool("gmail_get_thread", {"thread_id": thread})),
        (
            "a week over three calendars",
            1,
            lambda c: c.call_tool("calendar_list_events", {**week, "calendar_ids": cals, "max_results": 100}),
        ),
        (
            "create an event",
            1,
            lambda c: c.call_tool("calendar_create_event", {"summary": "Bench", "start": "2027-03-01T10:00:00Z"}),
        ),
        (
            "free/busy for three people",
            1,
            lambda c: c.call_tool("calendar_free_busy", {**week, "ids": ["primary", *PEOPLE]}),
        ),
        ("search 500", 11, lambda c: search(c, 500)),
    ]
    out: dict[str, Any] = {}
    async with Client(build_server(settings), mode="legacy", elicitation_callback=yes) as client:
        await client.call_tool("calendar_list_calendars", {})  # the calendar list, cached as a long session has it
        for label, minimum, run in plan:
            before, started = http_requests(url), time.perf_counter()
            got = await run(client)
            out[label] = {
                "requests": http_requests(url) - before,
                "minimum": minimum,
                "wall_ms": round((time.perf_counter() - started) * 1000),
            }
            if isinstance(got, int):
                out[label]["tool_calls"] = got
    return out


async def under_quota(url: str) -> dict[str, Any]:
    control(url, "/_sandbox/latency", {"ms": 0})
    control(url, "/_sandbox/quota", {"units_per_second": 250})
    settings = Settings(_env_file=None, sandbox_url=url, gmail_quota_units=250)
    async with Client(build_server(settings), mode="legacy") as client:
        before, started = len(control(url, "/_sandbox/requests")["requests"]), time.perf_counter()
        calls = await search(client, 500)
        seen = control(url, "/_sandbox/requests")["requests"][before:]
    return {
        "tool_calls": calls,
        "seconds": round(time.perf_counter() - started, 1),
        "refused_429": len([r for r in seen if r["status"] == 429]),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--no-quota", action="store_true", help="skip the run under Gmail's quota")
    args = parser.parse_args()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOOGLE_MCP_")}
    proc = subprocess.Popen(
        [EXE, "sandbox", "--port", str(port), "--latency-ms", str(args.latency_ms)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(500):
            try:
                control(url, "/_sandbox/health")
                break
            except OSError:
                time.sleep(0.02)
        report = anyio.run(tasks, url)
        if not args.no_quota:
            report["search 500 under Gmail's quota (250 units/s)"] = anyio.run(under_quota, url)
    finally:
        proc.terminate()
        proc.wait(10)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
