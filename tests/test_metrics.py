"""GET /metrics through the real `google-mcp serve` process: who may read it, and that its numbers are what was
done over MCP (decoded with prometheus_client's own parser)."""

from __future__ import annotations

import re
import time
import warnings
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from prometheus_client.parser import text_string_to_metric_families

from helpers import control
from mcp_helpers import Person, call
from served import Served

pytestmark = pytest.mark.anyio
TOKEN = {"Authorization": "Bearer metrics-token"}
MAIL = {"to": ["dana@example.com"], "subject": "counted", "body_text": "x"}
FAST = {"GOOGLE_MCP_RETRY_WAIT_INITIAL": "0.01", "GOOGLE_MCP_RETRY_WAIT_MAX": "0.02"}

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def _serve(sandbox_url: str, home: Any, **env: str) -> Served:
    return Served.http(sandbox_url, GOOGLE_MCP_TOKEN_FILE=str(home / "token.json"), **FAST, **env)


async def scrape(url: str, headers: dict[str, str] | None = None) -> Samples:
    async with httpx2.AsyncClient(headers=headers or {}) as http:
        answer = await http.get(url)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain; version=")
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(answer.text)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def delta(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


async def test_metrics_on_the_main_port_need_the_bearer_token(fresh_sandbox: Any, tmp_path: Any) -> None:
    guarded = _serve(fresh_sandbox.url, tmp_path, GOOGLE_MCP_AUTH_TOKEN="metrics-token")
    open_server = _serve(fresh_sandbox.url, tmp_path)
    try:
        async with httpx2.AsyncClient() as http:
            assert (await http.get(guarded.url + "/metrics")).status_code == 401
            wrong = await http.get(guarded.url + "/metrics", headers={"Authorization": "Bearer guess"})
            assert wrong.status_code == 401
            # no token configured: nothing on the main port says it, and it says how to turn it on
            untokened = await http.get(open_server.url + "/metrics")
            assert untokened.status_code == 404 and "GOOGLE_MCP_METRICS_ADDRESS" in untokened.json()["error"]
        samples = await scrape(guarded.url + "/metrics", TOKEN)
        assert value(samples, "google_mcp_pending_actions_waiting") == 0
    finally:
        guarded.stop()
        open_server.stop()


async def test_metrics_count_calls_gate_steps_and_googles_retries(fresh_sandbox: Any, tmp_path: Any) -> None:
    url = fresh_sandbox.url
    server = _serve(url, tmp_path, GOOGLE_MCP_AUTH_TOKEN="metrics-token")
    metrics = server.url + "/metrics"
    try:
        before = await scrape(metrics, TOKEN)
        async with httpx2.AsyncClient(headers=TOKEN, timeout=30) as http:
            transport = streamable_http_client(server.url + "/mcp", http_client=http)
            async with Client(transport, mode="legacy") as client:  # type: ignore[arg-type]
                await call(client, "gmail_search", {"max_results": 2})
                fault = {"method": "GET", "path_regex": "/messages$", "status": 503, "count": 1}
                control(url, "/_sandbox/faults", fault)
                await call(client, "gmail_search", {"max_results": 2})  # a 503, then the retry answers
                held = await call(client, "gmail_send", MAIL)
                made_up = await client.call_tool("gmail_send_everything_x1", {})
                assert made_up.is_error
                with warnings.catch_warnings():  # the 2025 call is deprecated in the 2026 SDK, and still served
                    warnings.simplefilter("ignore")
                    await client.subscribe_resource("gmail://inbox")
                middle = await scrape(metrics, TOKEN)
                done = await call(client, "confirm_action", {"confirmation_id": held["confirmation_id"]})
                assert done["status"] == "done"
            person = Person(approve=False)
            transport = streamable_http_client(server.url + "/mcp", http_client=http)
            async with Client(transport, mode="legacy", elicitation_callback=person) as client:  # type: ignore[arg-type]
                declined = await call(client, "gmail_send", {**MAIL, "subject": "not this one"})
                assert declined["status"] == "declined" and person.asked
        after = await scrape(metrics, TOKEN)
    finally:
        server.stop()

    assert delta(before, after, "google_mcp_tool_calls_total", tool="gmail_search", outcome="ok") == 2
    assert delta(before, after, "google_mcp_tool_call_seconds_count", tool="gmail_search") == 2
    assert delta(before, after, "google_mcp_tool_calls_total", tool="gmail_send", outcome="confirmation_required") == 1
    assert delta(before, after, "google_mcp_tool_calls_total", tool="gmail_send", outcome="declined") == 1
    assert delta(before, after, "google_mcp_tool_calls_total", tool="confirm_action", outcome="ok") == 1
    assert delta(before, after, "google_mcp_tool_call_seconds_sum", tool="confirm_action") > 0
    # a name a client made up is one label for all such names, not a label of its own
    assert delta(before, after, "google_mcp_tool_calls_total", tool="unknown_tool", outcome="error") == 1
    assert not [key for key in after if ("tool", "gmail_send_everything_x1") in key[1]]
    steps = {s: delta(before, after, "google_mcp_gate_steps_total", step=s) for s in ("held", "asked", "approved")}
    assert steps == {"held": 1, "asked": 1, "approved": 1}
    assert delta(before, after, "google_mcp_gate_steps_total", step="done") == 1
    assert delta(before, after, "google_mcp_gate_steps_total", step="declined") == 1
    assert delta(before, after, "google_mcp_google_errors_total", api="gmail", status="503") == 1
    assert delta(before, after, "google_mcp_google_retries_total", api="gmail", status="503") == 1
    # while the send waited, and once it was confirmed; the 2025 subscription, open and then gone with its session
    assert value(middle, "google_mcp_pending_actions_waiting") == 1
    assert value(after, "google_mcp_pending_actions_waiting") == 0
    assert value(middle, "google_mcp_subscriptions_open") == 1


async def test_metrics_on_their_own_address_in_multi_process_mode_and_quota_waits(
    fresh_sandbox: Any, tmp_path: Any
) -> None:
    shared = tmp_path / "prometheus"  # where worker processes that share a port would each keep their numbers
    shared.mkdir()
    server = _serve(
        fresh_sandbox.url,
        tmp_path,
        PROMETHEUS_MULTIPROC_DIR=str(shared),
        GOOGLE_MCP_AUTH_TOKEN="metrics-token",
        GOOGLE_MCP_METRICS_ADDRESS="127.0.0.1:0",
        # a budget smaller than one request: every Gmail request after the first waits for the window
        GOOGLE_MCP_GMAIL_QUOTA_UNITS="5",
        GOOGLE_MCP_GMAIL_QUOTA_WINDOW="0.1",
    )
    try:
        found = None
        deadline = time.monotonic() + 10
        while found is None and time.monotonic() < deadline:  # its line may follow "listening on"
            found = re.search(r"metrics on (http://\S+)", "".join(server.lines))
            await anyio.sleep(0.02)
        assert found, server.lines
        async with httpx2.AsyncClient(headers=TOKEN) as http:
            main = await http.get(server.url + "/metrics")  # the token is no key to it: it lives elsewhere
            assert main.status_code == 404 and "127.0.0.1:0" in main.json()["error"]
            transport = streamable_http_client(server.url + "/mcp", http_client=http)
            async with Client(transport, mode="legacy") as client:  # type: ignore[arg-type]
                await call(client, "gmail_search", {"max_results": 2})
        samples = await scrape(found.group(1))
    finally:
        server.stop()
    assert value(samples, "google_mcp_tool_calls_total", tool="gmail_search", outcome="ok") == 1
    assert value(samples, "google_mcp_tool_call_seconds_count", tool="gmail_search") == 1
    assert list(shared.glob("counter_*.db")) and list(shared.glob("histogram_*.db"))  # read back from the files
    waits = value(samples, "google_mcp_quota_waits_total")
    assert waits >= 1 and 0 < value(samples, "google_mcp_quota_wait_seconds_total") <= waits * 0.1 + 0.01
