"""gmail_search of a 50-message page with the sandbox adding latency to every request.

    python bench/search_latency.py [--latency-ms 50] [--runs 5]

Reports the wall time of the tool call (in-process MCP client) and the HTTP requests the sandbox saw; then
the same searches back to back under Gmail's quota (15,000 units a minute), which they fit inside.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import urllib.request
from pathlib import Path

import anyio
from mcp import Client

from google_mcp.sandbox import SandboxThread
from google_mcp.server import build_server
from google_mcp.settings import Settings

PEER_MS = 627.0


def control(url: str, path: str, body: dict[str, object]) -> None:
    req = urllib.request.Request(
        url + path, data=json.dumps(body).encode(), method="POST", headers={"content-type": "application/json"}
    )
    urllib.request.urlopen(req).read()


async def main(latency: int, runs: int) -> None:
    with SandboxThread() as sb, tempfile.TemporaryDirectory() as tmp:
        # no quota pacing: this measures the requests and their latency, not waiting for Gmail's quota
        settings = Settings(_env_file=None, sandbox_url=sb.url, download_dir=Path(tmp), gmail_quota_units=0)
        async with Client(build_server(settings), mode="legacy") as client:
            await client.call_tool("gmail_search", {"query": "", "max_results": 50})  # warm: token, discovery
            control(sb.url, "/_sandbox/latency", {"ms": latency})
            times, counts = [], []
            for _ in range(runs):
                before = len(sb.sandbox.requests)  # type: ignore[union-attr]
                started = time.perf_counter()
                result = await client.call_tool("gmail_search", {"query": "", "max_results": 50})
                times.append(time.perf_counter() - started)
                assert not result.is_error and len(result.structured_content["messages"]) == 50  # type: ignore[index]
                log = sb.sandbox.requests[before:]  # type: ignore[union-attr]
                counts.append(len([r for r in log if not r["batch"]]))
        # back to back under Gmail's quota (both sides: the sandbox refuses past it, the client paces to it)
        control(sb.url, "/_sandbox/quota", {"units_per_second": 250})
        paced = Settings(_env_file=None, sandbox_url=sb.url, download_dir=Path(tmp))
        async with Client(build_server(paced), mode="legacy") as client:
            await client.call_tool("gmail_search", {"query": "", "max_results": 1})
            quota_times = []
            for _ in range(runs):
                started = time.perf_counter()
                result = await client.call_tool("gmail_search", {"query": "", "max_results": 50})
                quota_times.append(time.perf_counter() - started)
                assert not result.is_error
    print(
        json.dumps(
            {
                "latency_added_ms": latency,
                "runs": runs,
                "messages": 50,
                "wall_ms_median": round(statistics.median(times) * 1000, 1),
                "wall_ms_max": round(max(times) * 1000, 1),
                "http_requests_per_search": sorted(set(counts)),
                "under_quota_wall_ms_median": round(statistics.median(quota_times) * 1000, 1),
                # the popular peer's back-to-back time as issue 22 quotes it; the peer is not run here (no
                # network), so the ratio sets our figure at this latency beside a figure measured elsewhere
                "peer_ms_quoted": PEER_MS,
                "under_quota_vs_peer": round(statistics.median(quota_times) * 1000 / PEER_MS, 2),
                "target": "exactly 2 HTTP requests",
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    anyio.run(main, args.latency_ms, args.runs)
