"""Long work tells a client that asked how far it is, and stops when the client cancels: between pages of
a big search, never inside a request on the wire."""

from __future__ import annotations

import threading
import time
from typing import Any

import anyio
import pytest

from gemini_standin import GeminiStandIn, function_responses, text
from gemini_standin import call as gemini_call
from helpers import control
from mcp_helpers import call, connect, requests

pytestmark = pytest.mark.anyio


def batches(url: str) -> int:
    return len([r for r in requests(url) if not r["batch"] and r["path"].startswith("/batch/")])


@pytest.mark.parametrize("mode", ["legacy", "2026-07-28"])
async def test_a_500_result_search_reports_each_page_to_a_client_that_asked(
    fresh_sandbox: Any, make_settings: Any, mode: str
) -> None:
    seen: list[tuple[float, float | None, str | None]] = []

    async def progress(done: float, total: float | None, message: str | None) -> None:
        seen.append((done, total, message))

    async with connect(make_settings(fresh_sandbox.url), mode) as client:
        result = await client.call_tool("gmail_search", {"max_results": 500}, progress_callback=progress)
        assert not result.is_error
    assert 5 <= len(seen) <= 9, seen  # one report after each page of 50 but the last
    done = [d for d, _, _ in seen]
    assert done == sorted(done) and done[0] == 50 and all(t == seen[0][1] for _, t, _ in seen)
    assert seen[0][1] is not None and seen[0][1] > 250 and all(m for _, _, m in seen)


async def test_a_cancelled_search_stops_within_one_page(fresh_sandbox: Any, make_settings: Any) -> None:
    url = fresh_sandbox.url
    first = anyio.Event()

    async def progress(done: float, total: float | None, message: str | None) -> None:
        first.set()

    async with connect(make_settings(url), "legacy") as client:
        await call(client, "gmail_search", {"max_results": 1})  # the session knows its labels
        control(url, "/_sandbox/latency", {"ms": 150})  # each page takes a while
        before = batches(url)
        async with anyio.create_task_group() as tg:

            async def search() -> None:
                await client.call_tool("gmail_search", {"max_results": 500}, progress_callback=progress)

            tg.start_soon(search)
            with anyio.fail_after(20):
                await first.wait()  # one page is in, the next is on the wire
            tg.cancel_scope.cancel()
        at_cancel = batches(url) - before
        # the remaining pages would take 150 ms each: watch long enough to see them if they came
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline:
            assert batches(url) - before <= at_cancel + 1, "pages went on after the cancellation"
            await anyio.sleep(0.05)
        control(url, "/_sandbox/latency", {"ms": 0})
        assert (await call(client, "gmail_search", {"max_results": 5}))["messages"]  # the session goes on
    assert batches(url) - before < 10  # a 500-result search is ten pages of 50


async def test_the_router_reports_each_step_it_has_taken(fresh_sandbox: Any, make_settings: Any) -> None:
    def script(body: dict[str, Any], n: int) -> Any:
        responses = function_responses(body)
        if not responses:
            return gemini_call("gmail_search", {"query": "subject:invoice", "max_results": 3})
        if len(responses) == 1:
            first = responses[0]["response"]["untrusted_data"]["messages"][0]["id"]
            return gemini_call("gmail_get_message", {"message_id": first})
        return text("Done reading.")

    seen: list[tuple[float, str | None]] = []

    async def progress(done: float, total: float | None, message: str | None) -> None:
        seen.append((done, message))

    with GeminiStandIn(script) as gemini:
        settings = make_settings(fresh_sandbox.url, gemini_api_key="test-key", gemini_base_url=gemini.url)
        async with connect(settings, person=None) as client:
            result = await client.call_tool("ask", {"request": "Read me the invoice"}, progress_callback=progress)
    assert not result.is_error
    assert seen == [(1, "step 1: gmail_search"), (2, "step 2: gmail_search, gmail_get_message")]


@pytest.mark.parametrize("store", ["memory", "redis"])
async def test_a_confirmation_cancelled_while_its_send_is_on_the_wire_still_records_the_send(
    fresh_sandbox: Any, make_settings: Any, store: str, request: pytest.FixtureRequest
) -> None:
    """A client gives up on confirm_action after the mail reached Google: the send is not 'not done', and not
    unknown either: the record and the action say done, and asking again reports it, never sends it twice."""
    from tcp_proxy import TcpProxy

    extra = {"redis_url": request.getfixturevalue("redis_url")} if store == "redis" else {}
    proxy = TcpProxy.to(fresh_sandbox.url)
    try:
        async with connect(make_settings(proxy.url, **extra), person=None) as client:
            held = await call(
                client, "gmail_send", {"to": ["dana.whitfield@example.com"], "subject": "Q3", "body_text": "x"}
            )
            proxy.hold_answers("POST", r"/messages/send\?")
            async with anyio.create_task_group() as tg:
                tg.start_soon(client.call_tool, "confirm_action", {"confirmation_id": held["confirmation_id"]})
                with anyio.fail_after(20):
                    while proxy.held == 0:  # the send has reached Google; its answer is on its way back
                        await anyio.sleep(0.02)
                # the answer comes back a moment after the client gave up (the in-process cancel lands at once;
                # a client's cancel waits for the server's handler, so the answer cannot wait for the cancel)
                threading.Timer(0.5, proxy.release_answers).start()
                tg.cancel_scope.cancel()
            cid = held["confirmation_id"]
            with anyio.fail_after(20):
                while True:  # the cancelled confirmation finishes its bookkeeping in the server
                    again = await call(client, "confirm_action", {"confirmation_id": cid})
                    if again["status"] != "executing":
                        break
            assert again["status"] == "done" and again["result"]["id"], again
            log = await call(client, "activity_log", {})
            steps = [e["step"] for e in log["entries"] if e.get("confirmation_id") == cid]
            assert "done" in steps and "unknown" not in steps, steps
    finally:
        proxy.stop()
    sent = [r for r in requests(fresh_sandbox.url) if r["path"].endswith("/messages/send") and r["status"] < 300]
    assert len(sent) == 1
