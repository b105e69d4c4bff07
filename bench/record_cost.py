"""The record's cost, on SQLite and on MongoDB (SecantusDB started here, as its own process), against the same
calls with the record off:

- latency per call (p50/p99) of `list_pending_actions` (no Google request: the record's cost stands out)
  and `gmail_get_message` against the sandbox (an everyday read), one client, sequential calls;
- the record's share of a call's CPU: this process's CPU time (`time.process_time()`, every thread: the
  record's writer included) per call with the record on, against off. The sandbox runs as its own process
  so that its CPU is not counted; the record's pending entries are flushed (a read of the record's health)
  before the clock stops, so that no work is left uncounted;
- throughput under 20 concurrent clients (each its own MCP session, `gmail_get_message` in a loop), with
  the record on as a share of with it off.

    .venv/bin/python bench/record_cost.py [--n 300] [--clients 20] [--rounds 3]

Each figure is the best of `--rounds` rounds (CPU: the least; throughput: the most, the backends taking
turns): other work on the machine only ever makes a round worse.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import anyio
from mcp import Client

sys.path.insert(0, str(Path(__file__).parent.parent / "tests"))
from google_mcp.server import build_server
from google_mcp.settings import Settings
from helpers import gmail
from mongo_server import MongoServer
from redis_server import free_port

CALLS = [
    ("list_pending_actions", "list_pending_actions", {}),
    ("gmail_get_message", "gmail_get_message", None),
]


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1000, 3)


async def measure(settings: Settings, message_id: str, n: int, rounds: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    server = build_server(settings)
    async with Client(server, mode="legacy") as client:
        journal = server.state.gate.journal
        for label, name, args in CALLS:
            args = args if args is not None else {"message_id": message_id}
            for _ in range(3):
                await client.call_tool(name, args)  # warm
            await journal.health()
            times: list[float] = []
            cpus: list[float] = []
            for _ in range(rounds):
                cpu = time.process_time()
                for _ in range(n):
                    started = time.perf_counter()
                    result = await client.call_tool(name, args)
                    times.append(time.perf_counter() - started)
                    assert not result.is_error
                await journal.health()  # what the record still holds is written, and counted
                cpus.append((time.process_time() - cpu) / n * 1000)
            out[label] = {
                "p50_ms": pct(times, 0.5),
                "p99_ms": pct(times, 0.99),
                "mean_ms": round(statistics.mean(times) * 1000, 3),
                # the least of the rounds: other processes on the machine only ever add to it
                "cpu_ms_per_call": round(min(cpus), 3),
                "cpu_ms_rounds": [round(c, 3) for c in cpus],
            }
    return out


async def throughput(settings: Settings, message_id: str, clients: int, n: int) -> float:
    """Calls a second, `clients` sessions each making `n` calls at once; the record flushed at the end."""
    server = build_server(settings)
    args = {"message_id": message_id}
    async with AsyncExitStack() as stack:
        sessions = [await stack.enter_async_context(Client(server, mode="legacy")) for _ in range(clients)]
        for session in sessions:
            await session.call_tool("gmail_get_message", args)
        await server.state.gate.journal.health()

        async def run(session: Client) -> None:
            for _ in range(n):
                assert not (await session.call_tool("gmail_get_message", args)).is_error

        started = time.perf_counter()
        async with anyio.create_task_group() as tg:
            for session in sessions:
                tg.start_soon(run, session)
        await server.state.gate.journal.health()
        return clients * n / (time.perf_counter() - started)


def start_sandbox() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    exe = shutil.which("google-mcp") or str(Path(sys.executable).parent / "google-mcp")
    proc = subprocess.Popen(
        [exe, "sandbox", "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=os.environ
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/_sandbox/credentials", timeout=1):
                return proc, url
        except (urllib.error.URLError, OSError):
            time.sleep(0.05)  # polling a process just started: there is no event to wait on
    proc.kill()
    raise RuntimeError("the sandbox did not start")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=300, help="sequential calls of each kind, per backend")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--per-client", type=int, default=0, help="calls per client (default: n / 6, at least 2)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of each measure; the best one is reported")
    args = parser.parse_args()
    per_client = args.per_client or max(2, args.n // 6)
    sandbox, url = start_sandbox()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            mongo = MongoServer(Path(tmp) / "mongo")
            (Path(tmp) / "mongo").mkdir()
            mongo.start()
            try:
                mid = gmail(url).users().messages().list(userId="me", maxResults=1).execute()["messages"][0]["id"]
                base = {"_env_file": None, "sandbox_url": url, "gmail_quota_units": 0}
                runs = {
                    "off": lambda tag: Settings(**base, log="off"),
                    "sqlite": lambda tag: Settings(**base, log_file=Path(tmp) / f"record-{tag}.sqlite3"),
                    "mongodb": lambda tag: Settings(**base, mongodb_url=mongo.url("bench" + tag)),
                }
                report: dict[str, Any] = {
                    name: anyio.run(measure, make("seq"), mid, args.n, args.rounds) for name, make in runs.items()
                }
                rates: dict[str, list[float]] = {name: [] for name in runs}
                for r in range(args.rounds):  # interleaved, so that a busy moment of the machine hits each alike
                    for name, make in runs.items():
                        rates[name].append(anyio.run(throughput, make(f"par{r}"), mid, args.clients, per_client))
                for name, got in rates.items():
                    report[name]["concurrent"] = {
                        "clients": args.clients,
                        "calls_per_s": round(max(got), 1),
                        "calls_per_s_rounds": [round(g, 1) for g in got],
                    }
            finally:
                mongo.stop()
    finally:
        sandbox.terminate()
        sandbox.wait(20)
    off = report["off"]
    for backend in ("sqlite", "mongodb"):
        for call, _, _ in CALLS:
            row = report[backend][call]
            row["p50_added_ms"] = round(row["p50_ms"] - off[call]["p50_ms"], 3)
            added = row["cpu_ms_per_call"] - off[call]["cpu_ms_per_call"]
            row["record_cpu_share"] = round(max(0.0, added) / row["cpu_ms_per_call"], 3)
        on, without = report[backend]["concurrent"]["calls_per_s"], off["concurrent"]["calls_per_s"]
        report[backend]["concurrent"]["share_of_off"] = round(on / without, 3)
    print(json.dumps({"calls_each": args.n, "per_client": per_client, **report}, indent=2))


if __name__ == "__main__":
    main()
