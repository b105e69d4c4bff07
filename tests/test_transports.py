"""The server over real stdio, SSE and Streamable HTTP subprocesses, and the CLI's auth flow."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.sse import sse_client
from mcp.client.streamable_http import streamable_http_client

from mcp_helpers import call
from served import EXE, Served, _env

pytestmark = pytest.mark.anyio


@pytest.fixture
def http_server(sandbox: Any) -> Iterator[Served]:
    served = Served.http(sandbox.url, GOOGLE_MCP_AUTH_TOKEN="alpha-token,beta-token")
    yield served
    served.stop()


def _headers(token: str | None = "alpha-token", **extra: str) -> dict[str, str]:
    return ({"Authorization": f"Bearer {token}"} if token else {}) | extra


async def test_stdio_subprocess_serves_tools_and_keeps_stdout_for_the_protocol(sandbox: Any) -> None:
    params = StdioServerParameters(
        command=EXE, args=["serve", "--sandbox-url", sandbox.url], env=_env(GOOGLE_MCP_LOG_LEVEL="DEBUG")
    )
    for mode in ("legacy", "auto"):
        async with Client(params, mode=mode) as client:  # type: ignore[arg-type]
            tools = await client.list_tools()
            assert {t.name for t in tools.tools} >= {"gmail_search", "calendar_create_event"}
            page = await call(client, "gmail_search", {"query": "from:dana", "max_results": 3})
            assert len(page["messages"]) == 3
            bad = await client.call_tool("gmail_get_message", {"message_id": "ffffffffffffffff"})
            assert bad.is_error


def test_under_debug_logging_stdout_carries_only_the_protocol(sandbox: Any) -> None:
    """GOOGLE_MCP_LOG_LEVEL=DEBUG really turns debug logs on (on stderr), and stdout stays pure JSON-RPC."""
    import json

    proc = subprocess.Popen(
        [EXE, "serve", "--sandbox-url", sandbox.url],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(GOOGLE_MCP_LOG_LEVEL="DEBUG"),
        text=True,
    )
    messages = [
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "t", "version": "1"},
            },
        },
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "gmail_search", "arguments": {}}},
    ]
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    errors: list[str] = []
    drain = threading.Thread(target=lambda: errors.extend(proc.stderr), daemon=True)  # type: ignore[arg-type]
    drain.start()
    proc.stdin.write("".join(json.dumps(m) + "\n" for m in messages))
    proc.stdin.flush()
    answers = [json.loads(proc.stdout.readline()) for _ in range(2)]
    proc.stdin.close()
    rest = proc.stdout.read()
    proc.wait(30)
    drain.join(10)
    proc.stdout.close()
    proc.stderr.close()
    assert [a["id"] for a in answers] == [1, 2] and not answers[1]["result"]["isError"]
    assert all(json.loads(line)["jsonrpc"] == "2.0" for line in rest.splitlines() if line.strip())
    assert any(" DEBUG " in line for line in errors)


async def test_read_only_registers_no_write_tools(sandbox: Any) -> None:
    params = StdioServerParameters(command=EXE, args=["serve", "--sandbox-url", sandbox.url, "--read-only"], env=_env())
    async with Client(params, mode="legacy") as client:  # type: ignore[arg-type]
        tools = (await client.list_tools()).tools
    assert tools and all(t.annotations and t.annotations.read_only_hint for t in tools)


async def test_streamable_http_with_bearer_token(http_server: Served) -> None:
    url = http_server.url + "/mcp"
    async with httpx2.AsyncClient(headers=_headers()) as http:
        async with Client(streamable_http_client(url, http_client=http), mode="legacy") as client:  # type: ignore[arg-type]
            page = await call(client, "gmail_search", {"max_results": 2})
            assert len(page["messages"]) == 2
    async with httpx2.AsyncClient(headers=_headers()) as http:
        async with Client(streamable_http_client(url, http_client=http)) as client:  # type: ignore[arg-type]
            assert (await call(client, "calendar_list_calendars"))["calendars"]


async def test_sse_with_bearer_token(http_server: Served) -> None:
    async with Client(sse_client(http_server.url + "/sse", headers=_headers("beta-token")), mode="legacy") as client:  # type: ignore[arg-type]
        labels = await call(client, "gmail_list_labels")
        assert labels["labels"]


async def test_http_refuses_missing_or_wrong_tokens_and_bad_hosts(http_server: Served) -> None:
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
    }
    accept = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
    async with httpx2.AsyncClient() as http:
        for token in (None, "wrong"):
            resp = await http.post(http_server.url + "/mcp", json=body, headers=_headers(token, **accept))
            assert resp.status_code == 401
            assert resp.headers["www-authenticate"].lower().startswith("bearer")
        resp = await http.get(http_server.url + "/sse", headers=_headers(None))
        assert resp.status_code == 401
        resp = await http.post(http_server.url + "/mcp", json=body, headers=_headers(**accept, Host="evil.example:80"))
        assert resp.status_code == 421
        resp = await http.post(
            http_server.url + "/mcp", json=body, headers=_headers(**accept, Origin="http://evil.example")
        )
        assert resp.status_code == 403
        health = await http.get(http_server.url + "/health")
        assert health.status_code == 200
        report = health.json()
        assert report["status"] == "ok" and report["services"]["google"]["ok"]
        assert "alpha-token" not in health.text
    assert not any("alpha-token" in line or "beta-token" in line for line in http_server.lines)


def test_refuses_to_serve_beyond_loopback_without_a_token(sandbox: Any) -> None:
    proc = subprocess.run(
        [EXE, "serve", "--transport", "http", "--host", "0.0.0.0", "--port", "0", "--sandbox-url", sandbox.url],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode != 0 and "GOOGLE_MCP_AUTH_TOKEN" in proc.stderr


def test_auth_flow_end_to_end_stores_a_private_token(fresh_sandbox: Any, tmp_path: Path) -> None:
    token = tmp_path / "cfg" / "token.json"
    proc = subprocess.Popen(
        [EXE, "auth", "--sandbox-url", fresh_sandbox.url, "--token-file", str(token), "--no-browser"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    )
    assert proc.stdout is not None
    url = None
    for line in proc.stdout:
        if line.startswith("http"):
            url = line.strip()
            break
    assert url and "code_challenge=" in url and "code_challenge_method=S256" in url
    assert "gmail.modify" in url and "calendar.events" in url
    urllib.request.urlopen(url, timeout=10).read()  # the person's browser: consent, then the redirect back
    out, err = proc.communicate(timeout=20)
    proc.stdout.close()
    assert proc.returncode == 0, err
    assert stat.S_IMODE(token.stat().st_mode) == 0o600
    data = json.loads(token.read_text())
    assert data["refresh_token"] and data["token_uri"].startswith(fresh_sandbox.url)
    assert data["refresh_token"] not in out + err
    doctor = subprocess.run(
        [EXE, "doctor"], env=_env(GOOGLE_MCP_TOKEN_FILE=str(token)), capture_output=True, text=True, timeout=30
    )
    assert doctor.returncode == 0, doctor.stdout
    assert "signed in" in doctor.stdout


def test_doctor_says_what_to_fix(tmp_path: Path) -> None:
    proc = subprocess.run(
        [EXE, "doctor"],
        env=_env(GOOGLE_MCP_TOKEN_FILE=str(tmp_path / "none.json")),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 1
    assert "google-mcp auth" in proc.stdout and "FIX" in proc.stdout


def test_the_sandbox_command_serves_the_walkthrough(tmp_path: Any) -> None:
    from redis_server import free_port

    port = free_port()
    proc = subprocess.Popen(
        [EXE, "sandbox", "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=_env()
    )
    try:
        assert proc.stderr is not None
        url = f"http://127.0.0.1:{port}"
        for line in proc.stderr:
            if "listening on" in line:
                assert url in line
                break
        walk = subprocess.run(
            [sys.executable, "examples/sandbox_walkthrough.py", url],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=Path(__file__).parent.parent,
        )
        assert walk.returncode == 0, walk.stderr
        seen = json.loads(walk.stdout)
    finally:
        proc.terminate()
        proc.wait(10)
        assert proc.stderr is not None
        proc.stderr.close()
    assert seen["search"] > 0 and seen["reply_in_thread"] and seen["batch_got"] == 50
    assert seen["formats"]["raw"] == sorted(
        ["historyId", "id", "internalDate", "labelIds", "raw", "sizeEstimate", "snippet", "threadId"]
    )
    assert "payload" in seen["formats"]["full"]
    assert seen["instances"] == {"before": 5, "after": 4}
    assert seen["freebusy"]["primary"] >= 4 and seen["freebusy"]["dana.whitfield@example.com"] > 0


async def test_tool_groups_register_and_sign_in_for_what_is_chosen(fresh_sandbox: Any, tmp_path: Path) -> None:
    for how, env, args in [
        ("flag", {}, ["--tools", "calendar"]),
        ("environment", {"GOOGLE_MCP_TOOLS": "calendar"}, []),
    ]:
        params = StdioServerParameters(
            command=EXE, args=["serve", "--sandbox-url", fresh_sandbox.url, *args], env=_env(**env)
        )
        async with Client(params, mode="legacy") as client:  # type: ignore[arg-type]
            names = {t.name for t in (await client.list_tools()).tools}
        assert names and all(
            n.startswith("calendar_") or n.endswith("_action") or n in ("list_pending_actions", "activity_log")
            for n in names
        ), how
        assert "calendar_create_event" in names and not any(n.startswith("gmail_") for n in names), how
    bad = subprocess.run(
        [EXE, "serve", "--tools", "gmail,dropbox", "--sandbox-url", fresh_sandbox.url],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert bad.returncode != 0 and len(bad.stderr.strip().splitlines()) == 1 and "gmail, calendar, docs" in bad.stderr
    params = StdioServerParameters(command=EXE, args=["serve", "--sandbox-url", fresh_sandbox.url, "--tools", "docs"])
    async with Client(params, mode="legacy") as client:  # type: ignore[arg-type]
        names = {t.name for t in (await client.list_tools()).tools}
    assert {n for n in names if not n.endswith("_action") and n not in ("list_pending_actions", "activity_log")} == {
        "docs_search",
        "docs_read",
        "docs_create",
        "docs_append",
        "docs_replace_text",
        "docs_replace_section",
    }
    # the sign-in asks for the chosen groups' scopes only; doctor names a group whose scope is missing
    token = tmp_path / "token.json"
    proc = subprocess.Popen(
        [
            EXE,
            "auth",
            "--tools",
            "calendar",
            "--sandbox-url",
            fresh_sandbox.url,
            "--token-file",
            str(token),
            "--no-browser",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    )
    assert proc.stdout is not None
    url = next(line.strip() for line in proc.stdout if line.startswith("http"))
    assert "calendar.events" in url and "gmail" not in url
    urllib.request.urlopen(url, timeout=10).read()
    proc.communicate(timeout=20)
    proc.stdout.close()
    doctor = subprocess.run(
        [EXE, "doctor"], env=_env(GOOGLE_MCP_TOKEN_FILE=str(token)), capture_output=True, text=True, timeout=30
    )
    assert doctor.returncode == 1 and "the gmail tools need" in doctor.stdout and "google-mcp auth" in doctor.stdout
    assert "the docs tools need" in doctor.stdout
    assert "the sheets tools need" in doctor.stdout and "the slides tools need" in doctor.stdout
    only_calendar = subprocess.run(
        [EXE, "doctor"],
        env=_env(GOOGLE_MCP_TOKEN_FILE=str(token), GOOGLE_MCP_TOOLS="calendar"),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert "tools need" not in only_calendar.stdout, only_calendar.stdout
