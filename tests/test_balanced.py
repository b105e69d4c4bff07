"""The balanced layout (deploy/local.py): three backends behind HAProxy (deploy/haproxy.cfg), one Redis,
a sandbox they all talk to, one shared record. Real processes; clients speak MCP through the balancer.

One topology for the module: b1-b3 share Redis; b4's Redis is unreachable (it must never take a request).
The tests that kill a backend come last and start it again before they end.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError
from mcp.types import ElicitResult

from helpers import control
from local import Topology, free_port
from mcp_helpers import Person, call, writes
from redis_cluster import flush

pytestmark = [pytest.mark.anyio, pytest.mark.xdist_group("balanced")]
MAIL = {"to": ["dana@example.com"], "body_text": "through the balancer"}
GOOD = {"b1", "b2", "b3"}


@pytest.fixture(scope="module")
def topology(tmp_path_factory: pytest.TempPathFactory, redis_cluster: Any) -> Iterator[Topology]:
    """Three backends (and a fourth whose Redis is gone) behind HAProxy, on a Redis Cluster of three masters
    and three replicas."""
    flush(redis_cluster)
    dead = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    with Topology(
        tmp_path_factory.mktemp("balanced"),
        backends=4,
        redis="url",
        redis_url=redis_cluster.url,
        drain_seconds=8,
        backend_env={
            "b3": {"GOOGLE_MCP_DRAIN_SECONDS": "1", "GOOGLE_MCP_AUTO_APPROVE": "gmail_create_draft"},
            "b4": {"GOOGLE_MCP_REDIS_URL": dead},
        },
    ).start() as running:
        yield running


@pytest.fixture
def balanced(topology: Topology) -> Topology:
    """The topology with its sandbox reset."""
    control(topology.sandbox_url, "/_sandbox/reset", {})
    control(topology.sandbox_url, "/_sandbox/faults", method="DELETE")
    return topology


def wait_up(topology: Topology, names: set[str], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not names <= topology.up():
        assert time.monotonic() < deadline, f"HAProxy sees {topology.stats()}"
        time.sleep(0.05)  # HAProxy's checks run every 0.5 s; no event to wait on


class Seen:
    """Every answer an HTTP client got: its status and the backend that gave it (X-Served-By)."""

    def __init__(self) -> None:
        self.answers: list[tuple[int, str]] = []

    async def __call__(self, response: httpx2.Response) -> None:
        self.answers.append((response.status_code, response.headers.get("x-served-by", "")))

    @property
    def backends(self) -> list[str]:
        return [b for _, b in self.answers if b]


@contextlib.asynccontextmanager
async def client(url: str, mode: str, seen: Seen | None = None, **kwargs: Any) -> AsyncIterator[Client]:
    hooks = {"response": [seen]} if seen is not None else {}
    async with (
        httpx2.AsyncClient(timeout=30, event_hooks=hooks) as http,  # type: ignore[arg-type]
        Client(streamable_http_client(url + "/mcp", http_client=http), mode=mode, **kwargs) as connected,  # type: ignore[arg-type]
    ):
        yield connected


def sends(topology: Topology) -> int:
    return len([w for w in writes(topology.sandbox_url) if w["path"].endswith("/messages/send") and w["status"] < 300])


def approve(topology: Topology) -> dict[str, str]:
    return {"X-Approval-Key": topology.approval_key}


async def test_both_eras_through_the_balancer(balanced: Topology) -> None:
    wait_up(balanced, GOOD)
    legacy, modern = Seen(), Seen()
    async with client(balanced.url, "legacy", legacy) as c:
        assert len((await call(c, "gmail_search", {"max_results": 2}))["messages"]) == 2
        assert (await call(c, "calendar_list_calendars"))["calendars"]
    assert len(set(legacy.backends)) == 1, legacy.answers  # the session stays where it began
    async with client(balanced.url, "2026-07-28", modern) as c:
        for _ in range(6):
            assert len((await call(c, "gmail_search", {"max_results": 1}))["messages"]) == 1
    assert set(modern.backends) == GOOD, modern.answers  # stateless: round robin over the ready ones


async def test_fifty_racing_confirms_over_three_backends_send_once(balanced: Topology) -> None:
    wait_up(balanced, GOOD)
    seen = Seen()
    async with client(balanced.url, "2026-07-28", seen) as c:
        held = await call(c, "gmail_send", {**MAIL, "subject": "raced through the balancer"})
        assert held["status"] == "confirmation_required"
        outcomes: list[dict[str, Any]] = []

        async def confirm() -> None:
            outcomes.append(await call(c, "confirm_action", {"confirmation_id": held["confirmation_id"]}))

        async with anyio.create_task_group() as tg:
            for _ in range(50):
                tg.start_soon(confirm)
    assert [o["status"] for o in outcomes] == ["done"] * 50, {o["message"] for o in outcomes}
    assert len({o["result"]["id"] for o in outcomes}) == 1
    assert set(seen.backends) == GOOD
    assert sends(balanced) == 1


async def test_an_elicitation_begun_on_one_backend_is_finished_on_another(balanced: Topology) -> None:
    wait_up(balanced, GOOD)
    seen = Seen()
    args = {**MAIL, "subject": "asked on one, answered on another"}
    async with client(balanced.url, "2026-07-28", seen, elicitation_callback=Person()) as c:
        asked = await c.session.call_tool("gmail_send", args, allow_input_required=True)
        assert type(asked).__name__ == "InputRequiredResult" and sends(balanced) == 0
        first = seen.backends[-1]
        yes = {k: ElicitResult(action="accept", content={"approve": True}) for k in asked.input_requests}  # type: ignore[union-attr]
        done = await c.session.call_tool(
            "gmail_send",
            args,
            input_responses=yes,
            request_state=asked.request_state,  # type: ignore[union-attr]
            allow_input_required=True,
        )
        second = seen.backends[-1]
    assert done.structured_content["status"] == "done"  # type: ignore[union-attr]
    assert first != second, seen.answers
    assert sends(balanced) == 1


async def test_a_backend_whose_redis_is_unreachable_is_not_ready_and_takes_no_requests(balanced: Topology) -> None:
    wait_up(balanced, GOOD)
    b4 = balanced.backend("b4")
    async with httpx2.AsyncClient() as http:
        live = await http.get(b4.url + "/health/live")
        ready = await http.get(b4.url + "/health/ready")
    assert live.status_code == 200
    assert ready.status_code == 503 and ready.json()["pending_store"] is False, ready.text
    # HAProxy starts every server UP and takes it down once a check fails (every 0.5 s): right after
    # the layout starts, b4 may not be down yet
    deadline = time.monotonic() + 10
    while not balanced.stats()["b4"].startswith("DOWN"):
        assert time.monotonic() < deadline, f"HAProxy sees {balanced.stats()}"
        time.sleep(0.05)
    seen = Seen()
    async with client(balanced.url, "2026-07-28", seen) as c:
        for _ in range(8):
            await call(c, "gmail_list_labels")
    assert "b4" not in seen.backends and set(seen.backends) == GOOD


async def test_kill_9_of_a_sessions_backend_the_client_starts_again_and_its_action_waits(
    balanced: Topology,
) -> None:
    wait_up(balanced, GOOD)
    async with contextlib.AsyncExitStack() as stack:  # a session on b1 (round robin: within three tries)
        for _ in range(3):
            seen = Seen()
            c = await stack.enter_async_context(client(balanced.url, "legacy", seen))
            if seen.backends[-1] == "b1":
                break
        holder = balanced.backend("b1")
        assert seen.backends[-1] == holder.name
        held = await call(c, "gmail_send", {**MAIL, "subject": "survives its backend"})
        os.kill(holder.pid, signal.SIGKILL)
        assert holder.proc is not None and holder.proc.wait(10) == -signal.SIGKILL
        with pytest.raises(MCPError, match=r"Session (terminated|not found)"):
            await call(c, "list_pending_actions")
    status, served = seen.answers[-1]
    assert status == 404 and served in GOOD - {holder.name}  # the protocol's answer for a lost session
    again = Seen()
    async with client(balanced.url, "legacy", again) as c:  # a new session, on a backend that lives
        waiting = (await call(c, "list_pending_actions"))["actions"]
        assert [a["confirmation_id"] for a in waiting] == [held["confirmation_id"]]
        done = await call(c, "confirm_action", {"confirmation_id": held["confirmation_id"]})
    assert done["status"] == "done" and sends(balanced) == 1
    assert holder.name not in again.backends
    holder.start()  # for the tests below; they wait for it when they need it


async def _executing(topology: Topology, victim: str, delay_ms: int) -> tuple[str, Any]:
    """An action held through the balancer, its send made slow, and its confirmation running on `victim`."""
    async with client(topology.url, "2026-07-28") as c:
        held = await call(c, "gmail_send", {**MAIL, "subject": f"confirmed while {victim} stops"})
    cid = held["confirmation_id"]
    control(topology.sandbox_url, "/_sandbox/faults", {"path_regex": "/messages/send$", "delay_ms": delay_ms})
    return cid, topology.backend(victim)


async def _confirm_while_stopping(topology: Topology, victim: str, delay_ms: int) -> tuple[str, dict[str, Any]]:
    """Confirm on `victim` directly; once it executes, SIGTERM it. While it drains: it is not ready, refuses
    new work with 503 and Retry-After, and the balancer serves everything elsewhere. Its exit code is 0."""
    cid, backend = await _executing(topology, victim, delay_ms)
    outcome: dict[str, Any] = {}
    async with httpx2.AsyncClient(timeout=30, headers=approve(topology)) as http:

        async def confirm() -> None:
            with contextlib.suppress(httpx2.HTTPError):  # past the bound the process goes, mid-answer
                answer = await http.post(f"{backend.url}/confirm/{cid}?confirmed=true")
                outcome.update(answer.json() if answer.status_code == 200 else {"answer": answer.text})

        async with anyio.create_task_group() as tg:
            tg.start_soon(confirm)
            with anyio.fail_after(10):
                while (await http.get(f"{backend.url}/confirm/{cid}")).json()["status"] != "executing":
                    await anyio.sleep(0.02)
            seen = Seen()
            async with client(topology.url, "2026-07-28", seen) as c:
                await call(c, "gmail_list_labels")  # connected before the signal: the burst starts at once
                seen.answers.clear()
                backend.proc.send_signal(signal.SIGTERM)  # type: ignore[union-attr]
                # calls keep coming until HAProxy's check takes the backend out: those that reach it while it
                # drains are refused with 503 and retried on another backend (how many do is up to timing)
                with anyio.fail_after(20):
                    while victim in topology.up():
                        async with anyio.create_task_group() as burst:
                            for _ in range(6):
                                burst.start_soon(call, c, "gmail_list_labels")
            assert victim not in seen.backends and all(status < 400 for status, _ in seen.answers), seen.answers
            with anyio.fail_after(5):
                while (ready := await http.get(backend.url + "/health/ready")).status_code != 503:
                    await anyio.sleep(0.01)
            assert ready.json()["reason"].startswith("draining")
            refused = await http.post(
                backend.url + "/mcp",
                json={"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}},
                headers={"Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2026-07-28"},
            )
            assert refused.status_code == 503 and refused.headers["retry-after"] == "1"
    assert backend.proc is not None and backend.proc.wait(30) == 0
    # calls that reached it while it drained were refused and retried elsewhere: no client saw a refusal
    # (above); how many reached it is up to timing (HAProxy checks every 0.5 s)
    return cid, outcome


async def test_sigterm_while_a_confirm_executes_lets_it_finish_and_hands_its_watch_over(balanced: Topology) -> None:
    wait_up(balanced, {"b2", "b3"})
    async with client(balanced.backend("b2").url, "2026-07-28", elicitation_callback=Person()) as c:
        assert (await call(c, "gmail_watch"))["status"] == "done"  # opened by b2, the one that stops
    cid, outcome = await _confirm_while_stopping(balanced, "b2", delay_ms=4500)
    assert outcome["status"] == "done", outcome
    assert sends(balanced) == 1
    async with httpx2.AsyncClient(headers=approve(balanced)) as http:
        assert (await http.get(f"{balanced.url}/confirm/{cid}")).json()["status"] == "done"
    stops = [r for r in writes(balanced.sandbox_url) if r["path"].endswith("/stop")]
    assert stops == []  # left open: Google still pushes to the balancer
    async with client(balanced.url, "2026-07-28", elicitation_callback=Person()) as c:
        stopped = await call(c, "gmail_unwatch")  # another backend has its state, from Redis
    assert stopped["status"] == "done" and stopped["result"]["status"] == "stopped", stopped


async def test_sigterm_past_the_drain_bound_records_the_action_unknown(balanced: Topology) -> None:
    wait_up(balanced, {"b1", "b3"})
    cid, outcome = await _confirm_while_stopping(balanced, "b3", delay_ms=5000)  # b3's bound is 1 s
    assert outcome.get("status") in (None, "unknown"), outcome
    async with httpx2.AsyncClient(headers=approve(balanced)) as http:
        shown = (await http.get(f"{balanced.url}/confirm/{cid}")).json()
        again = (await http.post(f"{balanced.url}/confirm/{cid}?confirmed=true")).json()
    assert shown["status"] == "unknown"
    assert again["status"] == "unknown" and "never re-run" in again["message"]
    async with client(balanced.url, "2026-07-28") as c:
        steps = (await call(c, "activity_log", {"tool": "gmail_send"}))["entries"]
    mine = [e["step"] for e in steps if e.get("confirmation_id") == cid]
    assert "unknown" in mine and "approved" in mine, steps
    with anyio.fail_after(10):  # the slow send lands once; nothing sends it again
        while sends(balanced) < 1:
            await anyio.sleep(0.1)
    assert sends(balanced) == 1


async def test_sigterm_past_the_drain_bound_records_an_auto_approved_write_unknown(balanced: Topology) -> None:
    """A write the operator lets run without asking has no pending action: only the record knows it ran.
    When the drain's bound passes during it, the record says `unknown`, not nothing."""
    b3 = balanced.backend("b3")
    if not b3.alive():  # another test stopped it
        b3.start()
    wait_up(balanced, {"b1", "b3"})
    control(balanced.sandbox_url, "/_sandbox/faults", {"path_regex": "/drafts$", "delay_ms": 5000})
    subject = "drafted while b3 stops"

    def steps(entries: list[dict[str, Any]]) -> list[str]:
        """This test's draft's steps, oldest first (only b3 runs drafts without asking)."""
        return [e["step"] for e in sorted(entries, key=lambda e: e["timestamp"]) if e["action"] == "gmail_create_draft"]

    async with client(b3.url, "2026-07-28") as on_b3, client(balanced.url, "2026-07-28") as elsewhere:

        async def draft() -> None:
            with contextlib.suppress(Exception):  # past the bound the process goes, mid-answer
                await on_b3.call_tool("gmail_create_draft", {**MAIL, "subject": subject})

        async with anyio.create_task_group() as tg:
            tg.start_soon(draft)
            with anyio.fail_after(10):  # approved, written ahead, and now at Google
                while "approved" not in steps((await call(elsewhere, "activity_log", {}))["entries"]):
                    await anyio.sleep(0.05)
            b3.proc.send_signal(signal.SIGTERM)  # type: ignore[union-attr]
        assert b3.proc is not None and b3.proc.wait(30) == 0
        log = steps((await call(elsewhere, "activity_log", {"tool": "gmail_create_draft"}))["entries"])
    assert log[:2] == ["approved", "unknown"], log
