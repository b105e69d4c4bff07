"""The gate across processes and over HTTP: ownership, the /confirm endpoint, races, shared Redis."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from helpers import control, gmail, run
from mcp_helpers import call, fails, writes
from served import Served

pytestmark = pytest.mark.anyio
TOKENS = "alpha-token,beta-token"
APPROVAL_KEY = "the-persons-own-approval-key"


def _client(server: Served, token: str, http: httpx2.AsyncClient) -> Client:
    return Client(streamable_http_client(server.url + "/mcp", http_client=http), mode="legacy")  # type: ignore[arg-type]


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _person(token: str) -> dict[str, str]:
    """What the person's own channel (`google-mcp approve`) sends: the bearer token and the approval key."""
    return {**_auth(token), "X-Approval-Key": APPROVAL_KEY}


def sends(url: str) -> int:
    """Sends that reached Google and took effect (one refused, e.g. a 401 that google-auth answers by
    refreshing and sending again, is not a send)."""
    return len([w for w in writes(url) if w["path"].endswith("/messages/send") and w["status"] < 300])


def _serve(sandbox_url: str, **env: str) -> Served:
    return Served.http(sandbox_url, GOOGLE_MCP_AUTH_TOKEN=TOKENS, GOOGLE_MCP_APPROVAL_KEY=APPROVAL_KEY, **env)


@pytest.fixture
def own_pair(fresh_sandbox: Any, redis_url: str) -> Iterator[tuple[Served, Served]]:
    """Two server processes sharing one Redis, for a test that may kill one."""
    a = _serve(fresh_sandbox.url, GOOGLE_MCP_REDIS_URL=redis_url)
    b = _serve(fresh_sandbox.url, GOOGLE_MCP_REDIS_URL=redis_url)
    yield a, b
    a.stop()
    b.stop()


@pytest.fixture(scope="module")
def _shared_pair(sandbox: Any, redis_server: Any) -> Iterator[tuple[Served, Served]]:
    if redis_server.proc is None:
        redis_server.start()
    a = _serve(sandbox.url, GOOGLE_MCP_REDIS_URL=redis_server.url)
    b = _serve(sandbox.url, GOOGLE_MCP_REDIS_URL=redis_server.url)
    yield a, b
    a.stop()
    b.stop()


@pytest.fixture
async def pair(_shared_pair: tuple[Served, Served], fresh_sandbox: Any, redis_url: str) -> tuple[Served, Served]:
    """Two server processes sharing one Redis, started once per module; a fresh sandbox and an empty Redis.
    The reset revoked the servers' access tokens: a read on each refreshes them before the test begins."""
    for server in _shared_pair:
        async with httpx2.AsyncClient(headers=_auth("alpha-token")) as http, _client(server, "alpha-token", http) as c:
            await call(c, "gmail_list_labels")
    return _shared_pair


async def _hold(server: Served, token: str, subject: str = "held") -> dict[str, Any]:
    async with httpx2.AsyncClient(headers=_auth(token)) as http, _client(server, token, http) as client:
        return await call(client, "gmail_send", {"to": ["dana@example.com"], "subject": subject, "body_text": "x"})


async def test_created_on_one_process_confirmed_on_another(pair: tuple[Served, Served], fresh_sandbox: Any) -> None:
    a, b = pair
    held = await _hold(a, "alpha-token")
    assert held["status"] == "confirmation_required" and writes(fresh_sandbox.url) == []
    async with httpx2.AsyncClient(headers=_auth("alpha-token")) as http, _client(b, "alpha-token", http) as client:
        listed = await call(client, "list_pending_actions")
        assert [x["confirmation_id"] for x in listed["actions"]] == [held["confirmation_id"]]
        done = await call(client, "confirm_action", {"confirmation_id": held["confirmation_id"]})
    assert done["status"] == "done"
    assert sends(fresh_sandbox.url) == 1


async def test_a_pending_action_belongs_to_the_token_that_made_it(
    pair: tuple[Served, Served], fresh_sandbox: Any
) -> None:
    a, b = pair
    held = await _hold(a, "alpha-token")
    cid = held["confirmation_id"]
    async with httpx2.AsyncClient(headers=_auth("beta-token")) as http, _client(b, "beta-token", http) as client:
        assert (await call(client, "list_pending_actions"))["actions"] == []
        assert "No pending action" in await fails(client, "confirm_action", {"confirmation_id": cid})
        assert "No pending action" in await fails(client, "cancel_action", {"confirmation_id": cid})
    async with httpx2.AsyncClient() as http:
        assert (await http.get(f"{b.url}/confirm/{cid}", headers=_person("beta-token"))).status_code == 404
        assert (
            await http.post(f"{b.url}/confirm/{cid}?confirmed=true", headers=_person("beta-token"))
        ).status_code == 404
        assert (await http.post(f"{b.url}/confirm/{cid}?confirmed=true")).status_code == 401
        assert (await http.get(f"{b.url}/confirm/{cid}", headers=_auth("nope"))).status_code == 401
        shown = await http.get(f"{a.url}/confirm/{cid}", headers=_person("alpha-token"))
        assert shown.status_code == 200 and shown.json()["preview"]["action"] == "Send an email"
    assert writes(fresh_sandbox.url) == []


@pytest.mark.parametrize("store", ["memory", "redis"])
async def test_another_token_can_neither_confirm_nor_cancel_nor_block_an_action(
    fresh_sandbox: Any, redis_url: str, store: str
) -> None:
    """The claim itself checks the owner: another principal's attempts leave the action waiting, untouched,
    for the one who made it."""
    env = {"GOOGLE_MCP_REDIS_URL": redis_url} if store == "redis" else {}
    server = _serve(fresh_sandbox.url, **env)
    try:
        held = await _hold(server, "alpha-token", "mine alone")
        cid = held["confirmation_id"]
        async with httpx2.AsyncClient(headers=_auth("beta-token")) as http, _client(server, "beta-token", http) as b:
            for tool in ("confirm_action", "cancel_action", "confirm_action"):
                assert "No pending action" in await fails(b, tool, {"confirmation_id": cid})
        async with httpx2.AsyncClient(headers=_person("beta-token")) as http:
            for confirmed in ("true", "false"):
                got = await http.post(f"{server.url}/confirm/{cid}?confirmed={confirmed}")
                assert got.status_code == 404
        assert writes(fresh_sandbox.url) == []
        async with httpx2.AsyncClient(headers=_auth("alpha-token")) as http, _client(server, "alpha-token", http) as a:
            listed = await call(a, "list_pending_actions")
            assert [x["confirmation_id"] for x in listed["actions"]] == [cid]
            done = await call(a, "confirm_action", {"confirmation_id": cid})
        assert done["status"] == "done", done
    finally:
        server.stop()
    assert sends(fresh_sandbox.url) == 1


async def test_a_hundred_holds_across_two_processes_take_exactly_the_cap(
    pair: tuple[Served, Served], fresh_sandbox: Any
) -> None:
    a, b = pair  # the default cap: 25 per person
    outcomes: list[bool] = []
    async with (
        httpx2.AsyncClient(headers=_auth("alpha-token"), timeout=30) as http,
        _client(a, "alpha-token", http) as client_a,
        _client(b, "alpha-token", http) as client_b,
    ):

        async def hold(client: Client, n: int) -> None:
            args = {"to": ["dana@example.com"], "subject": f"cap {n}", "body_text": "x"}
            result = await client.call_tool("gmail_send", args)
            assert not result.is_error or "limit is 25" in str(result.content[0].text)
            outcomes.append(not result.is_error)

        async with anyio.create_task_group() as tg:
            for n in range(50):
                tg.start_soon(hold, client_a, n)
                tg.start_soon(hold, client_b, 50 + n)
        assert len(outcomes) == 100 and sum(outcomes) == 25, f"{sum(outcomes)} held against a cap of 25"
        assert len((await call(client_b, "list_pending_actions"))["actions"]) == 25
    assert writes(fresh_sandbox.url) == []


async def test_twenty_confirmations_racing_a_slow_send_all_report_the_one_send(
    pair: tuple[Served, Served], fresh_sandbox: Any
) -> None:
    a, b = pair
    url = fresh_sandbox.url
    held = await _hold(a, "alpha-token", "raced slowly")
    cid = held["confirmation_id"]
    control(url, "/_sandbox/faults", {"path_regex": "/messages/send$", "delay_ms": 1500, "count": 1})
    outcomes: list[dict[str, Any]] = []
    async with (
        httpx2.AsyncClient(headers=_person("alpha-token"), timeout=30) as http,
        _client(a, "alpha-token", http) as client_a,
        _client(b, "alpha-token", http) as client_b,
    ):

        async def via_tool(client: Client) -> None:
            outcomes.append(await call(client, "confirm_action", {"confirmation_id": cid}))

        async def via_http(server: Served) -> None:
            outcomes.append((await http.post(f"{server.url}/confirm/{cid}?confirmed=true")).json())

        async with anyio.create_task_group() as tg:
            for _ in range(5):
                tg.start_soon(via_tool, client_a)
                tg.start_soon(via_tool, client_b)
                tg.start_soon(via_http, a)
                tg.start_soon(via_http, b)
    assert [o["status"] for o in outcomes] == ["done"] * 20, [o["message"] for o in outcomes]
    assert len({o["result"]["id"] for o in outcomes}) == 1
    assert sum("by the confirmation that ran it" in o["message"] for o in outcomes) == 19
    found = run(gmail(url).users().messages().list(userId="me", q='subject:"raced slowly"'))
    assert len(found.get("messages", [])) == 1
    assert sends(url) == 1


async def test_the_person_approves_or_refuses_over_http(fresh_sandbox: Any, shared_redis_url: str) -> None:
    server = _serve(fresh_sandbox.url, GOOGLE_MCP_REDIS_URL=shared_redis_url, GOOGLE_MCP_CONFIRMATION="strict")
    try:
        yes = await _hold(server, "alpha-token", "approve me")
        no = await _hold(server, "alpha-token", "refuse me")
        assert "cannot confirm it yourself" in yes["message"]
        async with httpx2.AsyncClient(headers=_person("alpha-token")) as http:
            async with _client(server, "alpha-token", http) as client:
                assert "Strict" in await fails(client, "confirm_action", {"confirmation_id": yes["confirmation_id"]})
            refused = await http.post(f"{server.url}/confirm/{no['confirmation_id']}?confirmed=false")
            assert refused.json()["status"] == "declined"
            approved = await http.post(f"{server.url}/confirm/{yes['confirmation_id']}?confirmed=true")
            assert approved.status_code == 200 and approved.json()["status"] == "done"
            late = await http.post(f"{server.url}/confirm/{no['confirmation_id']}?confirmed=true")
            assert late.json()["status"] == "cancelled"
            bad = await http.post(f"{server.url}/confirm/{yes['confirmation_id']}?confirmed=maybe")
            assert bad.status_code == 400
    finally:
        server.stop()
    assert sends(fresh_sandbox.url) == 1


async def test_http_endpoint_racing_confirm_action_sends_once(pair: tuple[Served, Served], fresh_sandbox: Any) -> None:
    a, b = pair
    rounds = 100
    async with (
        httpx2.AsyncClient(headers=_person("alpha-token"), timeout=30) as http,
        _client(a, "alpha-token", http) as client_a,
        _client(b, "alpha-token", http) as client_b,
    ):
        for n in range(rounds):
            held = await call(
                client_a, "gmail_send", {"to": ["dana@example.com"], "subject": f"race {n}", "body_text": "x"}
            )
            cid = held["confirmation_id"]
            statuses: list[str] = []

            async def via_tool(client: Client, into: list[str] = statuses, cid: str = cid) -> None:
                into.append((await call(client, "confirm_action", {"confirmation_id": cid}))["status"])

            async def via_http(server: Served, into: list[str] = statuses, cid: str = cid) -> None:
                resp = await http.post(f"{server.url}/confirm/{cid}?confirmed=true")
                into.append(resp.json()["status"])

            async with anyio.create_task_group() as tg:
                for _ in range(5):
                    tg.start_soon(via_tool, client_a)
                    tg.start_soon(via_tool, client_b)
                    tg.start_soon(via_http, a)
                    tg.start_soon(via_http, b)
            assert statuses == ["done"] * 20  # the losers report the winner's outcome, never "unknown"
    assert sends(fresh_sandbox.url) == rounds


async def test_an_action_interrupted_while_executing_is_never_rerun(
    own_pair: tuple[Served, Served], fresh_sandbox: Any
) -> None:
    a, b = own_pair
    held = await _hold(a, "alpha-token")
    cid = held["confirmation_id"]
    control(fresh_sandbox.url, "/_sandbox/faults", {"path_regex": "/messages/send$", "delay_ms": 3000, "count": 1})
    async with httpx2.AsyncClient(headers=_person("alpha-token"), timeout=30) as http:
        async with anyio.create_task_group() as tg:

            async def confirm_on_a() -> None:
                with contextlib.suppress(httpx2.HTTPError):  # the process dies mid-request
                    await http.post(f"{a.url}/confirm/{cid}?confirmed=true")

            tg.start_soon(confirm_on_a)
            with anyio.fail_after(10):
                while (
                    not any(
                        r["path"].endswith("/messages/send")
                        for r in control(fresh_sandbox.url, "/_sandbox/requests")["requests"]
                    )
                    and not a.proc.poll()
                ):
                    shown = (await http.get(f"{a.url}/confirm/{cid}")).json()
                    if shown["status"] == "executing":
                        break
            a.proc.kill()
            a.proc.wait(10)
        shown = (await http.get(f"{b.url}/confirm/{cid}")).json()
        assert shown["status"] == "executing"
        again = (await http.post(f"{b.url}/confirm/{cid}?confirmed=true")).json()
        assert again["status"] == "unknown" and "never re-run" in again["message"]
    # the delayed send may have landed once; it is never sent a second time
    assert sends(fresh_sandbox.url) <= 1
