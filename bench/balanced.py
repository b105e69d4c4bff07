"""Throughput and p99 through HAProxy: one backend against three, and one Redis against a Redis Cluster.

    python bench/balanced.py [--seconds 10] [--clients 8] [--redis single,cluster]

For each Redis mode and each backend count (1, 3) it starts the balanced layout with `deploy/local.py`
(a subprocess, as an operator would; everything on 127.0.0.1), then runs `--clients` stateless
(2026-07-28) MCP clients through the balancer for `--seconds`, each looping over a read (gmail_search) and
a gated write (gmail_send held, then confirm_action: the pending store in Redis, one send to the sandbox).
Prints calls per second, p50 and p99 per configuration, and the ratios (3 backends / 1, cluster / single).
Gmail's per-user pacing is off (GOOGLE_MCP_GMAIL_QUOTA_UNITS=0): each backend paces on its own bucket, so
with it on, one person's calls would measure the pacing, and three backends would pace three times as fast.

What two cores can show: the cost of the balancer and of Redis on a call, and that three backends do
not lose or slow anything; not how throughput scales: the load generator, HAProxy, three backends,
Redis and the sandbox all share the same two cores, so three backends cannot run three times the work
(expect a ratio near 1, below it when the machine is busy). Scaling is a figure for machines with a
core or more per backend.
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio
import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

ROOT = Path(__file__).resolve().parent.parent


def start(backends: int, redis: str, workdir: Path) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    script = str(ROOT / "deploy" / "local.py")
    layout = ["--backends", str(backends), "--redis", redis, "--workdir", str(workdir)]
    unpaced = ["--env", "GOOGLE_MCP_GMAIL_QUOTA_UNITS=0"]  # the server's cost, not Gmail's per-user pacing
    proc = subprocess.Popen(
        [sys.executable, script, *layout, *unpaced],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stderr is not None
    line = proc.stdout.readline()
    if not line:
        raise SystemExit(f"deploy/local.py did not start: {proc.stderr.read()[-2000:]}")
    return proc, json.loads(line)


async def drive(url: str, clients: int, seconds: float) -> dict[str, float]:
    samples: list[float] = []
    failures = 0
    deadline = time.monotonic() + seconds

    async def timed(client: Client, name: str, args: dict[str, Any]) -> dict[str, Any]:
        nonlocal failures
        began = time.perf_counter()
        result = await client.call_tool(name, args)
        samples.append(time.perf_counter() - began)
        if result.is_error or not isinstance(result.structured_content, dict):
            failures += 1
            return {}
        return result.structured_content

    async def one(k: int) -> None:
        async with (
            httpx2.AsyncClient(timeout=60) as http,
            Client(streamable_http_client(url + "/mcp", http_client=http), mode="2026-07-28") as client,  # type: ignore[arg-type]
        ):
            n = 0
            while time.monotonic() < deadline:
                n += 1
                await timed(client, "gmail_search", {"max_results": 5})
                mail = {"to": ["dana@example.com"], "subject": f"bench {k}-{n}", "body_text": "x"}
                held = await timed(client, "gmail_send", mail)
                if held.get("confirmation_id"):
                    await timed(client, "confirm_action", {"confirmation_id": held["confirmation_id"]})

    began = time.monotonic()
    async with anyio.create_task_group() as tg:
        for k in range(clients):
            tg.start_soon(one, k)
    elapsed = time.monotonic() - began
    samples.sort()
    n = len(samples)
    return {
        "calls": n,
        "failed": failures,
        "calls_per_s": round(n / elapsed, 1),
        "p50_ms": round(samples[n // 2] * 1000, 1),
        "p99_ms": round(samples[min(n - 1, int(n * 0.99))] * 1000, 1),
    }


def measure(backends: int, redis: str, clients: int, seconds: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-balanced-") as tmp:
        proc, layout = start(backends, redis, Path(tmp))
        try:
            figures = anyio.run(drive, layout["url"], clients, seconds)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(60)
            assert proc.stdout is not None and proc.stderr is not None
            proc.stdout.close()
            proc.stderr.close()
    return {"backends": backends, "redis": redis, **figures}


def ratio(a: dict[str, Any], b: dict[str, Any]) -> dict[str, float]:
    return {k: round(a[k] / b[k], 2) if b[k] else 0.0 for k in ("calls_per_s", "p99_ms")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--redis", default="single", help="single, cluster, or both: single,cluster")
    args = parser.parse_args()
    modes = [m.strip() for m in args.redis.split(",") if m.strip()]
    out: dict[str, Any] = {"clients": args.clients, "seconds": args.seconds}
    for mode in modes:
        one = measure(1, mode, args.clients, args.seconds)
        three = measure(3, mode, args.clients, args.seconds)
        out[mode] = {"one_backend": one, "three_backends": three, "three_over_one": ratio(three, one)}
    if "single" in out and "cluster" in out:
        out["cluster_over_single"] = ratio(out["cluster"]["three_backends"], out["single"]["three_backends"])
    out["note"] = (
        "2 cores run the clients, HAProxy, the backends, Redis and the sandbox together: the ratios show the "
        "cost of balancing and of the cluster, not how far more backends scale."
    )
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
