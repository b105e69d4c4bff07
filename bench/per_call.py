"""Server CPU and wall time per call for three reads, against direct googleapiclient calls on the same sandbox.

The sandbox and the server run as their own processes (`google-mcp sandbox`, `google-mcp serve --transport
http`), so the server's CPU is read from /proc for its process alone; the direct calls run in this process
and are timed with the process clock. Prints ratios: server CPU per call / direct CPU per call; the MCP SDK's
own cost per call (a bare SDK server); and our adapter beside googleapiclient in one process (no protocol).

    .venv/bin/python bench/per_call.py [--n 100] [--record on|off]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import anyio
import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

sys.path.insert(0, str(Path(__file__).parent.parent / "tests"))
from helpers import calendar, control, gmail

EXE = str(Path(sys.executable).parent / "google-mcp")
TICK = os.sysconf("SC_CLK_TCK")
RECORD = "on"  # the activity record, as the product ships (--record off measures without it)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(args: list[str], pattern: str) -> tuple[subprocess.Popen[str], str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOOGLE_MCP_")}
    env["GOOGLE_MCP_GMAIL_QUOTA_UNITS"] = "0"  # the direct calls do not pace themselves either
    env["GOOGLE_MCP_LOG"] = RECORD
    proc = subprocess.Popen([EXE, *args], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=env)
    assert proc.stderr is not None
    for line in proc.stderr:
        found = re.search(pattern, line)
        if found:
            return proc, found.group(1)
    raise RuntimeError("did not start")


def wait_ready(url: str) -> None:
    for _ in range(500):
        try:
            control(url, "/_sandbox/health")
            return
        except OSError:
            time.sleep(0.02)


async def server_side(url: str, n: int) -> dict[str, dict[str, float]]:
    proc, mcp_url = start(["serve", "--transport", "http", "--port", "0", "--sandbox-url", url], r"listening on (\S+)")
    out = {}
    try:
        async with (
            httpx2.AsyncClient(timeout=60) as http,
            Client(streamable_http_client(mcp_url + "/mcp", http_client=http), mode="legacy") as client,  # type: ignore[arg-type]
        ):
            html_id, plain_id = message_ids(url)
            week = {"time_min": "2026-11-23T00:00:00Z", "time_max": "2026-11-30T00:00:00Z", "max_results": 100}
            calls = {
                "gmail_search (20 results)": ("gmail_search", {"max_results": 20}),
                "gmail_get_message (plain text)": ("gmail_get_message", {"message_id": plain_id}),
                "gmail_get_message (HTML newsletter)": ("gmail_get_message", {"message_id": html_id}),
                "calendar_list_events (a week)": ("calendar_list_events", week),
                # no Google request: what the MCP SDK's JSON-RPC over HTTP costs a call by itself
                "protocol": ("list_pending_actions", {}),
            }
            for label, (name, args) in calls.items():
                await client.call_tool(name, args)  # warm
                cpu0, wall0 = cpu_seconds(proc.pid), time.perf_counter()
                for _ in range(n):
                    result = await client.call_tool(name, args)
                    assert not result.is_error, result.content
                out[label] = {
                    "server_cpu_ms": (cpu_seconds(proc.pid) - cpu0) * 1000 / n,
                    "wall_ms": (time.perf_counter() - wall0) * 1000 / n,
                }
    finally:
        proc.terminate()
        proc.wait(10)
    return out


BARE = """
import sys, uvicorn
from mcp.server import MCPServer
server = MCPServer("bare")
@server.tool()
def noop() -> dict:
    return {"actions": []}
uvicorn.run(server.streamable_http_app(), host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""


def start_bare() -> tuple[subprocess.Popen[bytes], int]:
    """A bare MCP SDK server (one no-op tool) on a free port, once it accepts connections."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", BARE, str(port)], stderr=subprocess.DEVNULL)
    for _ in range(500):
        try:
            socket.create_connection(("127.0.0.1", port), 0.1).close()
            break
        except OSError:
            time.sleep(0.02)
    return proc, port


async def bare_sdk(n: int) -> float:
    """Server CPU per call of the MCP SDK alone (a server of one tool that does nothing, same transport): the
    part of 'protocol' that is not ours."""
    proc, port = start_bare()
    try:
        async with (
            httpx2.AsyncClient(timeout=60) as http,
            Client(streamable_http_client(f"http://127.0.0.1:{port}/mcp", http_client=http), mode="legacy") as client,  # type: ignore[arg-type]
        ):
            await client.call_tool("noop", {})
            cpu0 = cpu_seconds(proc.pid)
            for _ in range(n):
                await client.call_tool("noop", {})
            return (cpu_seconds(proc.pid) - cpu0) * 1000 / n
    finally:
        proc.terminate()
        proc.wait(10)


def message_ids(url: str) -> tuple[str, str]:
    """A newsletter (HTML only) and a conversation message (real text/plain) from the seed."""
    api = gmail(url)

    def first(query: str) -> str:
        return str(api.users().messages().list(userId="me", q=query, maxResults=1).execute()["messages"][0]["id"])

    return first("from:morningbrief"), first('subject:"contract renewal" -from:me')


def direct_side(url: str, n: int) -> dict[str, dict[str, float]]:
    from googleapiclient.http import BatchHttpRequest

    api, cal = gmail(url), calendar(url)
    html_id, plain_id = message_ids(url)

    def search() -> None:
        ids = [m["id"] for m in api.users().messages().list(userId="me", maxResults=20).execute()["messages"]]
        batch = BatchHttpRequest(callback=lambda *a: None, batch_uri=url + "/batch/gmail/v1")
        messages = api.users().messages()
        for i in ids:
            batch.add(messages.get(userId="me", id=i, format="metadata", metadataHeaders=["From", "To", "Subject"]))
        batch.execute()

    calls = {
        "gmail_search (20 results)": search,
        "gmail_get_message (plain text)": lambda: (
            api.users().messages().get(userId="me", id=plain_id, format="full").execute()
        ),
        "gmail_get_message (HTML newsletter)": lambda: (
            api.users().messages().get(userId="me", id=html_id, format="full").execute()
        ),
        "calendar_list_events (a week)": lambda: (
            cal.events()
            .list(
                calendarId="primary",
                singleEvents=True,
                orderBy="startTime",
                timeMin="2026-11-23T00:00:00Z",
                timeMax="2026-11-30T00:00:00Z",
            )
            .execute()
        ),
    }
    out = {}
    for label, fn in calls.items():
        fn()
        cpu0, wall0 = time.process_time(), time.perf_counter()
        for _ in range(n):
            fn()
        out[label] = {
            "direct_cpu_ms": (time.process_time() - cpu0) * 1000 / n,
            "wall_ms": (time.perf_counter() - wall0) * 1000 / n,
        }
    return out


def in_process(url: str, n: int) -> dict[str, dict[str, float]]:
    """The same reads through our Google adapter (what a tool calls) and through googleapiclient, in this
    process with the process clock: our code beside the direct call, with no MCP protocol and no /proc ticks."""
    import tempfile

    from google_mcp.gate import Gate
    from google_mcp.record import open_journal
    from google_mcp.settings import Settings
    from google_mcp.state import AppState

    home = Path(tempfile.mkdtemp())
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        sandbox_url=url,
        token_file=home / "token.json",
        log_file=home / "record.sqlite3",
        download_dir=home / "downloads",
        gmail_quota_units=0,
    )
    state = AppState(settings=settings, gate=Gate(settings, open_journal(settings)))
    api, cal = gmail(url), calendar(url)
    html_id, plain_id = message_ids(url)
    week = ("2026-11-23T00:00:00Z", "2026-11-30T00:00:00Z")

    def adapter(read: Any) -> Any:
        async def many() -> None:
            for _ in range(n):
                await read()

        return lambda: anyio.run(many)

    def direct(call: Any) -> Any:
        def many() -> None:
            for _ in range(n):
                call().execute()

        return many

    pairs = {
        "gmail_get_message (plain text)": (
            adapter(lambda: state.gmail.get_message(plain_id, 8000, 0, False)),
            direct(lambda: api.users().messages().get(userId="me", id=plain_id, format="full")),
        ),
        "gmail_get_message (HTML newsletter)": (
            adapter(lambda: state.gmail.get_message(html_id, 8000, 0, False)),
            direct(lambda: api.users().messages().get(userId="me", id=html_id, format="full")),
        ),
        "calendar_list_events (a week)": (
            adapter(lambda: state.calendar.list_events(["primary"], *week, None, 100, None, None)),
            direct(
                lambda: cal.events().list(
                    calendarId="primary", singleEvents=True, orderBy="startTime", timeMin=week[0], timeMax=week[1]
                )
            ),
        ),
    }
    out = {}
    for label, (ours, theirs) in pairs.items():
        ours(), theirs()  # warm
        cpu0 = time.process_time()
        ours()
        mine = (time.process_time() - cpu0) * 1000 / n
        cpu0 = time.process_time()
        theirs()
        plain = (time.process_time() - cpu0) * 1000 / n
        out[label] = {"adapter_cpu_ms": round(mine, 3), "direct_cpu_ms": round(plain, 3)}
        out[label]["ratio"] = round(mine / plain, 2)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100)  # /proc counts CPU in 10 ms ticks
    parser.add_argument("--record", choices=["on", "off"], default="on")
    args = parser.parse_args()
    global RECORD
    RECORD = args.record
    port = free_port()
    sandbox = subprocess.Popen(
        [EXE, "sandbox", "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url)
        server = anyio.run(server_side, url, args.n)
        bare = anyio.run(bare_sdk, args.n)
        direct = direct_side(url, args.n)
        ours = in_process(url, args.n)
    finally:
        sandbox.terminate()
        sandbox.wait(10)
    report: dict[str, Any] = {}
    protocol = server.pop("protocol")["server_cpu_ms"]
    report["protocol_cpu_ms (a call that reaches no Google API)"] = round(protocol, 2)
    report["sdk_alone_cpu_ms (a bare MCP SDK server, one no-op tool)"] = round(bare, 2)
    for label in server:
        s, d = server[label], direct[label]
        report[label] = {
            "server_cpu_ms": round(s["server_cpu_ms"], 2),
            "direct_cpu_ms": round(d["direct_cpu_ms"], 2),
            "cpu_ratio": round(s["server_cpu_ms"] / d["direct_cpu_ms"], 2) if d["direct_cpu_ms"] else None,
            # the same, less the protocol's own cost: what our code adds to the Google call
            "cpu_ratio_beyond_protocol": round((s["server_cpu_ms"] - protocol) / d["direct_cpu_ms"], 2)
            if d["direct_cpu_ms"]
            else None,
            # less only the SDK's own cost (a bare server): our code, the record and the guard included
            "cpu_ratio_beyond_sdk": round((s["server_cpu_ms"] - bare) / d["direct_cpu_ms"], 2)
            if d["direct_cpu_ms"]
            else None,
            "server_wall_ms": round(s["wall_ms"], 2),
            "direct_wall_ms": round(d["wall_ms"], 2),
        }
    report["in this process, no protocol: our adapter / googleapiclient"] = ours
    report["gmail_search cpu per result (ms)"] = round(server["gmail_search (20 results)"]["server_cpu_ms"] / 20, 3)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
