"""What pacing Gmail's quota costs a search: the window in this process, in Redis, on a Redis Cluster.

    python bench/quota_pacing.py [--searches 30] [--charges 2000] [--cluster]

Per mode: one charge of the window (`Pacing.wait_for`, p50/p99 in microseconds), and the median wall time
of a 50-result gmail_search (in-process MCP client, sandbox without latency) with pacing off and on; its
pacing is two charges (the list, then one batch of 50 gets). The quota is set so high that nothing waits:
only the pacing's own cost shows. Redis is a private redis-server on 127.0.0.1; --cluster adds a private
Redis Cluster (three masters, three replicas, deploy/redis_cluster.py). Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio
from mcp import Client

from google_mcp.google.pacing import Pacing
from google_mcp.sandbox import SandboxThread
from google_mcp.server import build_server
from google_mcp.settings import Settings

ROOT = Path(__file__).parent.parent
NEVER_WAITS = 10_000_000  # units a second: the window never fills, so only the pacing's own cost is timed


def charges(settings: Settings, n: int) -> dict[str, float]:
    pacing = Pacing(settings)
    pacing.wait_for("bench@example.com", 5)  # the script loaded, the connection made
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        assert pacing.wait_for("bench@example.com", 5) == 0.0
        samples.append(time.perf_counter() - started)
    samples.sort()
    return {"p50_us": round(samples[n // 2] * 1e6, 1), "p99_us": round(samples[int(n * 0.99)] * 1e6, 1)}


async def searches(unpaced: Settings, paced: Settings, n: int) -> tuple[float, float]:
    """Median wall ms of a search, pacing off and on, the two servers' calls alternating (the machine's load
    drifts: both sides see the same)."""
    async with Client(build_server(unpaced), mode="legacy") as off, Client(build_server(paced), mode="legacy") as on:
        times: list[list[float]] = [[], []]
        for client in (off, on):  # warm: token, discovery, labels
            await client.call_tool("gmail_search", {"query": "", "max_results": 50})
        for _ in range(n):
            for side, client in enumerate((off, on)):
                started = time.perf_counter()
                result = await client.call_tool("gmail_search", {"query": "", "max_results": 50})
                times[side].append(time.perf_counter() - started)
                assert not result.is_error and len(result.structured_content["messages"]) == 50  # type: ignore[index]
    return round(statistics.median(times[0]) * 1000, 2), round(statistics.median(times[1]) * 1000, 2)


def measure(sandbox: str, tmp: str, redis_url: str | None, args: argparse.Namespace) -> dict[str, Any]:
    def settings(units: int) -> Settings:
        return Settings(
            _env_file=None,
            sandbox_url=sandbox,
            download_dir=Path(tmp),
            gmail_quota_units=units,
            redis_url=redis_url,  # type: ignore[arg-type]
        )

    # the same server with pacing off and on: whatever else Redis serves costs both the same
    off, on = anyio.run(searches, settings(0), settings(NEVER_WAITS), args.searches)
    return {
        "charge": charges(settings(NEVER_WAITS), args.charges),
        "search_ms_median_unpaced": off,
        "search_ms_median_paced": on,
        "extra_ms_per_search_measured": round(on - off, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--searches", type=int, default=30)
    parser.add_argument("--charges", type=int, default=2000)
    parser.add_argument("--cluster", action="store_true", help="also on a Redis Cluster")
    args = parser.parse_args()
    sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "deploy")]
    from redis_cluster import RedisCluster
    from redis_server import RedisServer

    out: dict[str, Any] = {"searches": args.searches, "charges": args.charges}
    with SandboxThread() as sb, tempfile.TemporaryDirectory() as tmp:
        out["in_process"] = measure(sb.url, tmp, None, args)
        redis = RedisServer(Path(tmp))
        redis.start()
        try:
            out["redis"] = measure(sb.url, tmp, redis.url, args)
        finally:
            redis.stop()
        if args.cluster:
            with RedisCluster(Path(tmp) / "cluster") as cluster:
                out["cluster"] = measure(sb.url, tmp, cluster.url, args)
    for mode in ("in_process", "redis", "cluster"):
        if mode in out:  # a 50-result search charges the window twice: the list, the batch of gets
            out[mode]["extra_ms_per_search_from_charges"] = round(2 * out[mode]["charge"]["p50_us"] / 1000, 3)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
