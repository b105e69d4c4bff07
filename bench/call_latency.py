"""Wall time of one small call, sequential, one client over Streamable HTTP: ours (a tool that reaches no
Google API) beside a bare MCP SDK server (one no-op tool) in the same run. What a person waits for on every
call; Nagle's algorithm left on shows as ~40 ms here.

    .venv/bin/python bench/call_latency.py [--n 20]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import anyio
import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

sys.path.insert(0, str(Path(__file__).parent))
from per_call import start, start_bare


async def timed(url: str, tool: str, n: int) -> list[float]:
    async with (
        httpx2.AsyncClient(timeout=60) as http,
        Client(streamable_http_client(url + "/mcp", http_client=http), mode="legacy") as client,  # type: ignore[arg-type]
    ):
        await client.call_tool(tool, {})  # warm
        walls = []
        for _ in range(n):
            began = time.perf_counter()
            result = await client.call_tool(tool, {})
            walls.append((time.perf_counter() - began) * 1000)
            assert not result.is_error, result.content
    return walls


async def main(n: int) -> None:
    sandbox, sandbox_url = start(["sandbox", "--port", "0"], r"(http://\S+)")
    ours, ours_url = start(
        ["serve", "--transport", "http", "--port", "0", "--sandbox-url", sandbox_url], r"listening on (\S+)"
    )
    bare, port = start_bare()
    try:
        mine = await timed(ours_url, "list_pending_actions", n)
        sdk = await timed(f"http://127.0.0.1:{port}", "noop", n)
    finally:
        for proc in (ours, bare, sandbox):
            proc.terminate()
            proc.wait(10)
    out = {
        "calls": n,
        "ours_p50_ms": round(statistics.median(mine), 2),
        "bare_sdk_p50_ms": round(statistics.median(sdk), 2),
        "ratio_p50": round(statistics.median(mine) / statistics.median(sdk), 2),
        "ours_min_ms": round(min(mine), 2),
        "bare_sdk_min_ms": round(min(sdk), 2),
        "ours_mean_ms": round(statistics.fmean(mine), 2),
        "bare_sdk_mean_ms": round(statistics.fmean(sdk), 2),
    }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20)
    anyio.run(main, parser.parse_args().n)
