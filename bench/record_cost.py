"""The record's cost per tool call (p50/p99), on SQLite and on MongoDB (SecantusDB started here, as its
own process), against the same calls with the record off.

    .venv/bin/python bench/record_cost.py [--n 300]

Two calls are timed: `list_pending_actions` (no Google request: the record's cost stands out) and
`gmail_get_message` against the sandbox (an everyday read).
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

sys.path.insert(0, str(Path(__file__).parent.parent / "tests"))
from google_mcp.sandbox.server import SandboxThread
from google_mcp.server import build_server
from google_mcp.settings import Settings
from helpers import gmail
from mongo_server import MongoServer


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1000, 3)


async def measure(settings: Settings, message_id: str, n: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    async with Client(build_server(settings), mode="legacy") as client:
        for label, name, args in [
            ("list_pending_actions", "list_pending_actions", {}),
            ("gmail_get_message", "gmail_get_message", {"message_id": message_id}),
        ]:
            await client.call_tool(name, args)  # warm
            times = []
            for _ in range(n):
                started = time.perf_counter()
                result = await client.call_tool(name, args)
                times.append(time.perf_counter() - started)
                assert not result.is_error
            out[label] = {
                "p50_ms": pct(times, 0.5),
                "p99_ms": pct(times, 0.99),
                "mean_ms": round(statistics.mean(times) * 1000, 3),
            }
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, SandboxThread() as sandbox:
        mongo = MongoServer(Path(tmp) / "mongo")
        (Path(tmp) / "mongo").mkdir()
        mongo.start()
        try:
            mid = gmail(sandbox.url).users().messages().list(userId="me", maxResults=1).execute()["messages"][0]["id"]
            base = {"_env_file": None, "sandbox_url": sandbox.url, "gmail_quota_units": 0}
            runs = {
                "off": Settings(**base, log="off"),
                "sqlite": Settings(**base, log_file=Path(tmp) / "record.sqlite3"),
                "mongodb": Settings(**base, mongodb_url=mongo.url("bench")),
            }
            report = {name: anyio.run(measure, settings, mid, args.n) for name, settings in runs.items()}
        finally:
            mongo.stop()
    for backend in ("sqlite", "mongodb"):
        for call in report[backend]:
            report[backend][call]["p50_added_ms"] = round(
                report[backend][call]["p50_ms"] - report["off"][call]["p50_ms"], 3
            )
    print(json.dumps({"calls_each": args.n, **report}, indent=2))


if __name__ == "__main__":
    main()
