"""Send later and undo across server processes sharing one Redis (real `google-mcp serve` processes)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from mcp_helpers import call, writes
from served import Served

pytestmark = pytest.mark.anyio
TOKEN = "alpha-token"


def _client(server: Served, http: httpx2.AsyncClient) -> Client:
    return Client(streamable_http_client(server.url + "/mcp", http_client=http), mode="legacy")  # type: ignore[arg-type]


def sent(url: str) -> list[dict[str, Any]]:
    return [w for w in writes(url) if w["path"].endswith("/messages/send") and w["status"] < 300]


async def test_a_held_send_outlives_the_process_that_accepted_it_and_goes_once_from_the_other(
    fresh_sandbox: Any, redis_url: str
) -> None:
    url = fresh_sandbox.url
    env = {"GOOGLE_MCP_AUTH_TOKEN": TOKEN, "GOOGLE_MCP_REDIS_URL": redis_url, "GOOGLE_MCP_UNDO_SECONDS": "2"}
    a, b = Served.http(url, **env), Served.http(url, **env)
    try:
        async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30) as http:
            async with _client(a, http) as client:
                held = await call(client, "gmail_send", {"to": ["dana@example.com"], "subject": "x", "body_text": "y"})
                out = await call(client, "confirm_action", {"confirmation_id": held["confirmation_id"]})
            a.proc.kill()  # kill -9 before its time: the process that accepted it is gone
            a.proc.wait(10)
            assert out["status"] == "scheduled" and sent(url) == []
            due = datetime.fromisoformat(out["expires_at"]).timestamp()
            async with _client(b, http) as client:
                with anyio.fail_after(20):
                    while (done := await call(client, "confirm_action", {"confirmation_id": out["confirmation_id"]}))[
                        "status"
                    ] in ("scheduled", "executing"):
                        await anyio.sleep(0.1)
                listed = await call(client, "list_pending_actions")
    finally:
        a.stop()
        b.stop()
    assert done["status"] == "done" and "already sent" in done["message"]
    assert listed["actions"] == []
    assert len(sent(url)) == 1
    went = datetime.fromisoformat(sent(url)[0]["time"]).timestamp()
    assert went >= due - 1  # not before its time (the due time is said to the second)


async def test_the_person_undoes_a_held_send_out_of_band_and_nothing_goes(fresh_sandbox: Any, tmp_path: Any) -> None:
    url, key = fresh_sandbox.url, "the-persons-own-approval-key"
    server = Served.http(
        url,
        GOOGLE_MCP_AUTH_TOKEN=TOKEN,
        GOOGLE_MCP_APPROVAL_KEY=key,
        GOOGLE_MCP_UNDO_SECONDS="30",
        GOOGLE_MCP_SCHEDULE_FILE=str(tmp_path / "schedule.sqlite3"),
    )
    person = {"Authorization": f"Bearer {TOKEN}", "X-Approval-Key": key}
    try:
        async with httpx2.AsyncClient(headers=person, timeout=30) as http:
            async with _client(server, http) as client:
                held = await call(client, "gmail_send", {"to": ["dana@example.com"], "subject": "x", "body_text": "y"})
            cid = held["confirmation_id"]
            yes = (await http.post(f"{server.url}/confirm/{cid}?confirmed=true")).json()
            assert yes["status"] == "scheduled" and f"cancel_action(confirmation_id='{cid}')" in yes["message"]
            undo = (await http.post(f"{server.url}/confirm/{cid}?confirmed=false")).json()  # approve --decline
            assert undo["status"] == "cancelled" and "nothing was sent" in undo["message"]
            async with _client(server, http) as client:
                after = await call(client, "confirm_action", {"confirmation_id": cid})
                listed = await call(client, "list_pending_actions")
    finally:
        server.stop()
    assert after["status"] == "cancelled" and listed["actions"] == []
    assert sent(url) == []
