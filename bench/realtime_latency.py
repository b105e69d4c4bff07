"""Latency from a change in the sandbox to the subscribed client's notification (p50/p99), over real
processes: Gmail's push through /hooks/gmail, the same with the push landing on a second process that
shares Redis with the client's, a calendar channel through /hooks/calendar, and the polling fallback.

    .venv/bin/python bench/realtime_latency.py [--n 100] [--poll 1]

Each sample: the time from just before the change is sent to the sandbox until the 2026-07-28 listen
stream delivers the update. The sandbox runs in this process; the servers are `google-mcp serve` processes.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio

sys.path.insert(0, str(Path(__file__).parent.parent / "tests"))
from google_mcp.sandbox.server import SandboxThread
from helpers import calendar
from redis_server import RedisServer, free_port
from served import Served
from test_push import deliver, session, watching


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1000, 1)


async def measure(client_url: str, sandbox_url: str, n: int, what: str) -> dict[str, Any]:
    uri = "gmail://inbox" if what == "mail" else "calendar://upcoming"
    event = calendar(sandbox_url).events().list(calendarId="primary", maxResults=1).execute()["items"][0]
    times = []
    async with session(client_url, "2026-07-28") as client, client.listen(resource_subscriptions=[uri]) as stream:
        await anyio.sleep(0.3)
        for i in range(n):
            started = time.perf_counter()
            if what == "mail":
                await anyio.to_thread.run_sync(deliver, sandbox_url, f"Bench {i}")
            else:
                patch = calendar(sandbox_url).events()
                request = patch.patch(calendarId="primary", eventId=event["id"], body={"summary": f"Bench {i}"})
                await anyio.to_thread.run_sync(request.execute)
            with anyio.fail_after(10):
                async for update in stream:
                    if update.uri == uri:
                        break
            times.append(time.perf_counter() - started)
            await anyio.sleep(0.02)
    return {"n": n, "p50_ms": pct(times, 0.5), "p99_ms": pct(times, 0.99), "max_ms": pct(times, 1.0)}


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--poll", type=float, default=1.0, help="GOOGLE_MCP_POLL_SECONDS for the fallback")
    args = parser.parse_args()
    out: dict[str, Any] = {}
    tmp = Path(tempfile.mkdtemp())
    (tmp / "redis").mkdir()
    redis = RedisServer(tmp / "redis")
    redis.start()
    with SandboxThread() as sandbox:
        url = sandbox.url
        server = watching(tmp, url, free_port())
        try:
            out["gmail push, one process"] = await measure(server.url, url, args.n, "mail")
            out["calendar push, one process"] = await measure(server.url, url, args.n, "event")
        finally:
            server.stop()
        redis.flush()
        receiver = watching(tmp, url, free_port(), GOOGLE_MCP_REDIS_URL=redis.url)
        client_side = Served.http(url, GOOGLE_MCP_TOKEN_FILE=str(tmp / "b.json"), GOOGLE_MCP_REDIS_URL=redis.url)
        try:
            out["gmail push to the other process (Redis)"] = await measure(client_side.url, url, args.n, "mail")
        finally:
            client_side.stop()
            receiver.stop()
        poller = Served.http(url, GOOGLE_MCP_TOKEN_FILE=str(tmp / "c.json"), GOOGLE_MCP_POLL_SECONDS=str(args.poll))
        try:
            await anyio.sleep(args.poll + 0.5)
            samples = max(min(args.n, 10), args.n // 5)  # fewer: each waits for a poll
            out[f"gmail polling every {args.poll:g} s"] = await measure(poller.url, url, samples, "mail")
        finally:
            poller.stop()
    redis.stop()
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    anyio.run(main)
