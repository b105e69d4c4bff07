"""Every HTTP route against a web page in the person's browser, a DNS-rebinding attacker and the model.

The server runs as the real `google-mcp serve` process; requests are raw HTTP, as a browser or an
attacker would send them.
"""

from __future__ import annotations

import base64
import subprocess
from typing import Any

import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from gemini_standin import GeminiStandIn, call, function_responses, text
from mcp_helpers import call as tool
from mcp_helpers import writes
from served import EXE, Served, _env

pytestmark = pytest.mark.anyio
MAIL = {"to": ["dana@example.com"], "subject": "from the page", "body_text": "x"}


def _serve(sandbox_url: str, home: Any, **env: str) -> Served:
    return Served.http(sandbox_url, GOOGLE_MCP_TOKEN_FILE=str(home / "token.json"), **env)


async def _hold(server: Served, headers: dict[str, str] | None = None) -> dict[str, Any]:
    async with httpx2.AsyncClient(headers=headers or {}) as http:
        transport = streamable_http_client(server.url + "/mcp", http_client=http)
        async with Client(transport, mode="legacy") as client:  # type: ignore[arg-type]
            return await tool(client, "gmail_send", MAIL)


@pytest.fixture
def served(fresh_sandbox: Any, tmp_path: Any) -> Any:
    server = _serve(fresh_sandbox.url, tmp_path)
    yield server
    server.stop()


async def test_the_confirmation_id_alone_cannot_approve(served: Served, fresh_sandbox: Any, tmp_path: Any) -> None:
    held = await _hold(served)
    cid = held["confirmation_id"]
    async with httpx2.AsyncClient() as http:
        # what the model (or a page that learnt the id) can send: no approval key
        for method, path in [("POST", f"/confirm/{cid}?confirmed=true"), ("GET", f"/confirm/{cid}")]:
            response = await http.request(method, served.url + path)
            assert response.status_code == 403 and "google-mcp approve" in response.json()["error"]
            wrong = await http.request(method, served.url + path, headers={"X-Approval-Key": "guess"})
            assert wrong.status_code == 403
        # a preflight gets no CORS grant, so a browser never sends the key header cross-site
        pre = await http.options(
            served.url + f"/confirm/{cid}",
            headers={"Origin": "http://127.0.0.1:9", "Access-Control-Request-Method": "POST"},
        )
        assert "access-control-allow-origin" not in pre.headers
    assert writes(fresh_sandbox.url) == []
    # the person's own channel: the key lives in a 0600 file beside the token
    key_file = tmp_path / "approval.key"
    assert key_file.exists() and key_file.stat().st_mode & 0o777 == 0o600
    approved = subprocess.run(
        [EXE, "approve", cid, "--yes", "--url", served.url],
        env=_env(GOOGLE_MCP_TOKEN_FILE=str(tmp_path / "token.json")),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert approved.returncode == 0, approved.stderr
    assert "Send an email: from the page" in approved.stdout and "done:" in approved.stdout
    assert len([w for w in writes(fresh_sandbox.url) if w["path"].endswith("/messages/send")]) == 1


def test_a_confirmation_id_never_begins_with_a_dash() -> None:
    # a person pastes it as `google-mcp approve ID`, where a leading dash reads as an option (CI failed once
    # on an id that began with one: one draw in 64 did)
    from google_mcp.pending import new_id

    drawn = [new_id() for _ in range(5000)]
    assert not [d for d in drawn if d.startswith("-")]
    assert len(set(drawn)) == len(drawn) and all(len(base64.urlsafe_b64decode(d)) == 24 for d in drawn)


def test_approve_takes_an_id_that_begins_with_a_dash_after_double_dash(served: Served, tmp_path: Any) -> None:
    # an id handed out before this release may begin with a dash: `--` ends the options
    answered = subprocess.run(
        [EXE, "approve", "--yes", "--url", served.url, "--", "-BQZqhGN2ChRv4_taxYu9TpI5v5-rI1g"],
        env=_env(GOOGLE_MCP_TOKEN_FILE=str(tmp_path / "token.json")),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert answered.returncode == 2 and "usage:" not in answered.stderr
    assert "confirm" in answered.stderr.lower() or "pending" in answered.stderr.lower(), answered.stderr


@pytest.mark.parametrize("path", ["/health", "/confirm/x", "/chat", "/mcp", "/metrics"])
async def test_every_route_refuses_a_foreign_host_or_origin(served: Served, path: str) -> None:
    async with httpx2.AsyncClient() as http:
        rebound = await http.post(served.url + path, headers={"Host": "attacker.example:80"}, json={})
        assert rebound.status_code == 421
        page = await http.post(served.url + path, headers={"Origin": "https://attacker.example"}, json={})
        assert page.status_code == 403


async def test_chat_answers_no_simple_cross_site_request(fresh_sandbox: Any, tmp_path: Any) -> None:
    def script(body: dict[str, Any], n: int) -> Any:
        if not function_responses(body):
            return call("gmail_search", {"query": "in:inbox", "max_results": 3})
        return text("Three messages.")

    with GeminiStandIn(script) as gemini:
        server = _serve(
            fresh_sandbox.url, tmp_path, GOOGLE_MCP_GEMINI_API_KEY="test-key", GOOGLE_MCP_GEMINI_BASE_URL=gemini.url
        )
        try:
            async with httpx2.AsyncClient(timeout=30) as http:
                body = '{"user_id": "u", "message": "read my mail"}'
                plain = await http.post(server.url + "/chat", content=body, headers={"Content-Type": "text/plain"})
                assert plain.status_code == 415
                foreign = await http.post(
                    server.url + "/chat",
                    content=body,
                    headers={"Content-Type": "text/plain", "Origin": "https://attacker.example"},
                )
                assert foreign.status_code == 403
                assert gemini.requests == []
                ok = await http.post(server.url + "/chat", content=body, headers={"Content-Type": "application/json"})
                assert ok.status_code == 200 and ok.json()["answer"] == "Three messages."
        finally:
            server.stop()


async def test_actions_proposed_through_chat_can_be_approved(fresh_sandbox: Any, tmp_path: Any) -> None:
    def script(body: dict[str, Any], n: int) -> Any:
        if not function_responses(body):
            return call("gmail_send", MAIL)
        return text("Waiting for your approval.")

    token = {"Authorization": "Bearer alpha-token"}
    with GeminiStandIn(script) as gemini:
        server = _serve(
            fresh_sandbox.url,
            tmp_path,
            GOOGLE_MCP_AUTH_TOKEN="alpha-token",
            GOOGLE_MCP_GEMINI_API_KEY="test-key",
            GOOGLE_MCP_GEMINI_BASE_URL=gemini.url,
        )
        try:
            async with httpx2.AsyncClient(timeout=30, headers=token) as http:
                chat = await http.post(server.url + "/chat", json={"user_id": "u1", "message": "tell Dana"})
                cid = chat.json()["pending_actions"][0]["confirmation_id"]
                transport = streamable_http_client(server.url + "/mcp", http_client=http)
                async with Client(transport, mode="legacy") as client:  # type: ignore[arg-type]
                    listed = await tool(client, "list_pending_actions")
                    assert [a["confirmation_id"] for a in listed["actions"]] == [cid]
                    done = await tool(client, "confirm_action", {"confirmation_id": cid})
                    assert done["status"] == "done"
        finally:
            server.stop()
    assert len([w for w in writes(fresh_sandbox.url) if w["path"].endswith("/messages/send")]) == 1


async def test_a_plain_bearer_token_looks_like_one(fresh_sandbox: Any, tmp_path: Any) -> None:
    server = _serve(fresh_sandbox.url, tmp_path, GOOGLE_MCP_AUTH_TOKEN="alpha-token")
    try:
        async with httpx2.AsyncClient() as http:
            denied = await http.post(server.url + "/mcp", json={})
            assert denied.status_code == 401
            assert denied.headers["www-authenticate"] == 'Bearer realm="google-mcp"'
            for path in ("/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-authorization-server"):
                found = await http.get(server.url + path, headers={"Authorization": "Bearer alpha-token"})
                assert found.status_code == 404, path
    finally:
        server.stop()
    assert not any("deprecat" in line.lower() for line in server.lines)


def test_a_port_in_use_is_one_line_saying_what_to_do(served: Served, tmp_path: Any) -> None:
    port = served.url.rsplit(":", 1)[1]
    second = subprocess.run(
        [EXE, "serve", "--transport", "http", "--port", port, "--sandbox-url", "http://127.0.0.1:9"],
        env=_env(GOOGLE_MCP_TOKEN_FILE=str(tmp_path / "t.json")),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert second.returncode != 0
    lines = second.stderr.strip().splitlines()
    assert len(lines) == 1 and "--port" in lines[0] and port in lines[0], second.stderr


async def test_a_client_that_can_only_open_urls_gets_a_pending_action(served: Served, fresh_sandbox: Any) -> None:
    """An elicitation capability of URL mode only cannot carry a yes/no: the write is held instead."""
    import json

    headers = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}

    def answer(response: Any) -> dict[str, Any]:
        if response.headers.get("content-type", "").startswith("text/event-stream"):
            data = [line[5:] for line in response.text.splitlines() if line.startswith("data:")]
            return dict(json.loads(data[-1]))
        return dict(response.json())

    async with httpx2.AsyncClient(timeout=30) as http:
        init = await http.post(
            served.url + "/mcp",
            headers=headers,
            json={
                "jsonrpc": "2.0",
                "id": 1,
                "method": "initialize",
                "params": {
                    "protocolVersion": "2025-11-25",
                    "capabilities": {"elicitation": {"url": {}}},
                    "clientInfo": {"name": "url-only", "version": "1"},
                },
            },
        )
        session = {**headers, "mcp-session-id": init.headers["mcp-session-id"], "mcp-protocol-version": "2025-11-25"}
        await http.post(
            served.url + "/mcp", headers=session, json={"jsonrpc": "2.0", "method": "notifications/initialized"}
        )
        called = await http.post(
            served.url + "/mcp",
            headers=session,
            json={
                "jsonrpc": "2.0",
                "id": 2,
                "method": "tools/call",
                "params": {"name": "gmail_send", "arguments": MAIL},
            },
        )
    result = answer(called)["result"]
    assert not result.get("isError"), result
    assert result["structuredContent"]["status"] == "confirmation_required"
    assert writes(fresh_sandbox.url) == []


async def test_in_process_pending_actions_belong_to_their_token(fresh_sandbox: Any, tmp_path: Any) -> None:
    """Without Redis too: another bearer token sees, confirms and cancels nothing of it."""
    server = _serve(fresh_sandbox.url, tmp_path, GOOGLE_MCP_AUTH_TOKEN="alpha-token,beta-token")
    try:
        held = await _hold(server, {"Authorization": "Bearer alpha-token"})
        cid = held["confirmation_id"]
        async with httpx2.AsyncClient(headers={"Authorization": "Bearer beta-token"}) as http:
            transport = streamable_http_client(server.url + "/mcp", http_client=http)
            async with Client(transport, mode="legacy") as client:  # type: ignore[arg-type]
                assert (await tool(client, "list_pending_actions"))["actions"] == []
                for name in ("confirm_action", "cancel_action"):
                    result = await client.call_tool(name, {"confirmation_id": cid})
                    assert result.is_error and "No pending action" in result.content[0].text
        async with httpx2.AsyncClient(headers={"Authorization": "Bearer alpha-token"}) as http:
            transport = streamable_http_client(server.url + "/mcp", http_client=http)
            async with Client(transport, mode="legacy") as client:  # type: ignore[arg-type]
                assert [a["confirmation_id"] for a in (await tool(client, "list_pending_actions"))["actions"]] == [cid]
    finally:
        server.stop()
    assert writes(fresh_sandbox.url) == []
