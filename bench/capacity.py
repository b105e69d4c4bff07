"""What one request costs a backend and Redis: the figures the README's capacity plan is calculated from.

One `google-mcp serve --transport http` backend (its own process) with a private redis-server and a SQLite
record, against the sandbox (its own process, no added latency). For each kind of work, repeated `--n` times:

- confirm: `gmail_send` through the gate, approved by the person in an elicitation (hold, ask, claim, send,
  record), over a 2025-era Streamable HTTP session;
- search: `gmail_search` for 50 results;
- read: `gmail_get_message` of one message;
- push: a Gmail push the sandbox delivers to `/hooks/gmail` for one new message (check the token, read the
  history, publish the update).

It reports per unit of work: the backend's CPU (user + system, from /proc, so the client's own CPU is not
counted), Redis commands and bytes (INFO commandstats and the server's network counters), and Google
requests (the sandbox's log). Redis's idle chatter (none of ours: no poller runs with pushes on) is measured
over the same time and taken off.

    .venv/bin/python bench/capacity.py [--n 50]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import socket
import sys
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import anyio
import httpx2 as httpx
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

sys.path.insert(0, str(Path(__file__).parent.parent / "tests"))
from helpers import control, gmail
from mcp_helpers import Person
from redis_server import RedisServer, free_port
from served import Served
from test_push import pushing, watching

TICK = os.sysconf("SC_CLK_TCK")


def cpu_ms(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / TICK  # utime + stime


def rss_mb(pid: int) -> float:
    """The backend's resident memory after the work, in MiB."""
    line = next(x for x in Path(f"/proc/{pid}/status").read_text().splitlines() if x.startswith("VmRSS:"))
    return round(int(line.split()[1]) / 1024, 1)


def redis_info(port: int) -> dict[str, int]:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(b"INFO all\r\n")
        data = b""
        while True:
            data += sock.recv(1 << 16)
            head, _, body = data.partition(b"\r\n")
            if len(body) >= int(head[1:]):
                break
    out = {"commands": 0, "bytes": 0}
    for line in body.decode().splitlines():
        if line.startswith("cmdstat_") and not line.startswith("cmdstat_info:"):
            out["commands"] += int(line.split("calls=", 1)[1].split(",", 1)[0])
        elif line.startswith(("total_net_input_bytes:", "total_net_output_bytes:")):
            out["bytes"] += int(line.split(":", 1)[1])
    return out


def google_requests(sandbox: str) -> tuple[int, int]:
    """HTTP requests (a batch is one) and API calls (each part of a batch is one)."""
    log = control(sandbox, "/_sandbox/requests")["requests"]
    return sum(1 for r in log if not r["batch"]), sum(1 for r in log if not r["path"].startswith("/batch/"))


def deliver(sandbox: str, i: int) -> None:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "dana.whitfield@example.com", "alex.morgan@example.com", f"Push {i}"
    msg.set_content("New numbers attached.")
    body = {"raw": base64.urlsafe_b64encode(msg.as_bytes()).decode(), "labelIds": ["INBOX", "UNREAD"]}
    gmail(sandbox).users().messages().insert(userId="me", body=body).execute()


def history_reads(sandbox: str) -> int:
    return sum(1 for r in control(sandbox, "/_sandbox/requests")["requests"] if r["path"].endswith("/history"))


class Meter:
    def __init__(self, pid: int, redis_port: int, sandbox: str) -> None:
        self.pid, self.redis_port, self.sandbox = pid, redis_port, sandbox

        first, second = redis_info(redis_port), redis_info(redis_port)
        self.info_bytes = second["bytes"] - first["bytes"]  # what reading INFO itself costs: taken off each span

    def read(self) -> dict[str, float]:
        info = redis_info(self.redis_port)
        http, calls = google_requests(self.sandbox)
        return {
            "cpu_ms": cpu_ms(self.pid),
            "redis_commands": info["commands"],
            "redis_bytes": info["bytes"],
            "google_http_requests": http,
            "google_api_calls": calls,
            "wall_s": time.monotonic(),
        }

    def idle(self, seconds: float) -> dict[str, float]:
        """What the backend and Redis do a second with nothing asked of them."""
        before = self.read()
        time.sleep(seconds)  # measuring background activity over a span: the span is the point
        return self.per(before, self.read(), seconds)

    def per(self, before: dict[str, float], after: dict[str, float], n: float) -> dict[str, float]:
        out = {k: (after[k] - before[k]) / n for k in before}
        out["redis_bytes"] -= self.info_bytes / n  # the INFO that ended the span
        out["wall_s"] = after["wall_s"] - before["wall_s"]  # the span, for taking the idle rate off
        return out


async def confirms_and_searches(url: str, meter: Meter, n: int) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    async with httpx.AsyncClient(timeout=60) as http:
        transport = streamable_http_client(url + "/mcp", http_client=http)
        async with Client(transport, mode="legacy", elicitation_callback=Person()) as client:  # type: ignore[arg-type]
            args = {"to": ["dana.whitfield@example.com"], "subject": "warm", "body_text": "x"}
            assert not (await client.call_tool("gmail_send", args)).is_error
            assert not (await client.call_tool("gmail_search", {"query": "", "max_results": 50})).is_error
            before = meter.read()
            for i in range(n):
                args = {"to": ["dana.whitfield@example.com"], "subject": f"Capacity {i}", "body_text": "Numbers."}
                result = await client.call_tool("gmail_send", args)
                assert not result.is_error and (result.structured_content or {}).get("status") == "done", result
            out["confirm"] = meter.per(before, meter.read(), n)
            before = meter.read()
            for _ in range(n):
                result = await client.call_tool("gmail_search", {"query": "", "max_results": 50})
                assert not result.is_error
            out["search"] = meter.per(before, meter.read(), n)
            found = await client.call_tool("gmail_search", {"query": "", "max_results": 1})
            message_id = str((found.structured_content or {})["messages"][0]["id"])
            before = meter.read()
            for _ in range(n):
                result = await client.call_tool("gmail_get_message", {"message_id": message_id})
                assert not result.is_error
            out["read"] = meter.per(before, meter.read(), n)
    return out


def pushes(sandbox: str, meter: Meter, n: int) -> dict[str, float]:
    before, reads = meter.read(), history_reads(sandbox)
    for i in range(n):
        deliver(sandbox, i)
        deadline = time.monotonic() + 20
        while history_reads(sandbox) <= reads + i:  # the backend read what the push announced
            if time.monotonic() > deadline:
                raise RuntimeError("a push was not read")
            time.sleep(0.005)  # polling the sandbox's log: there is no event to wait on from outside
    time.sleep(0.2)  # the update published after the read
    return meter.per(before, meter.read(), n)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=50, help="units of each kind of work")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sandbox = Served("sandbox", "--port", str(free_port()), env={**os.environ})
        redis = RedisServer(Path(tmp))
        redis.start()
        backend: Served | None = None
        try:
            backend = watching(
                Path(tmp),
                sandbox.url,
                free_port(),
                GOOGLE_MCP_REDIS_URL=redis.url,
                GOOGLE_MCP_LOG_FILE=str(Path(tmp) / "record.sqlite3"),
            )
            control(sandbox.url, "/_sandbox/push-endpoint", {"url": None})  # sends push nothing while measured
            meter = Meter(backend.proc.pid, redis.port, sandbox.url)
            idle = meter.idle(1.0)
            work = anyio.run(confirms_and_searches, backend.url, meter, args.n)
            pushing(sandbox.url, backend.url)
            work["push"] = pushes(sandbox.url, meter, args.n)
            rss = rss_mb(backend.proc.pid)
        finally:
            if backend is not None:
                backend.stop()
            redis.stop()
            sandbox.stop()
    quiet = {k: round(v, 3) for k, v in idle.items() if k != "wall_s"}
    report: dict[str, Any] = {"n": args.n, "backend_rss_mb": rss, "idle_per_s": quiet}
    for kind, got in work.items():
        seconds = got.pop("wall_s")
        n = args.n
        report[kind] = {
            "backend_cpu_ms": round(got["cpu_ms"] - idle["cpu_ms"] * seconds / n, 2),
            "redis_commands": round(got["redis_commands"] - idle["redis_commands"] * seconds / n, 1),
            "redis_bytes": round(got["redis_bytes"]),
            "google_http_requests": round(got["google_http_requests"], 2),
            "google_api_calls": round(got["google_api_calls"], 2),
            "wall_ms": round(seconds * 1000 / n, 2),
        }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
