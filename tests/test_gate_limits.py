"""The gate's limits and claims under concurrency, in process, on both pending stores: the per-person cap
taken atomically (direct holds and questions alike), a confirmation racing one that is executing, an
elicitation's approval that confirm_action cannot use, and the write-ahead entry on every path that runs
a write at once."""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.types import CallToolResult, ElicitResult

from gemini_standin import GeminiStandIn, function_responses, text
from gemini_standin import call as gemini_call
from helpers import control, gmail, run
from mcp_helpers import Person, call, connect, fails, writes

pytestmark = pytest.mark.anyio

MAIL = {"to": ["dana@example.com"], "subject": "held", "body_text": "x"}
MODERN = "2026-07-28"


def sends(url: str) -> int:
    return len([w for w in writes(url) if w["path"].endswith("/messages/send") and w["status"] < 300])


async def _hold_many(client: Client, n: int, body: str = "x") -> list[CallToolResult]:
    """n holds of distinct mails, all at once."""
    results: list[CallToolResult] = []

    async def hold(k: int) -> None:
        results.append(await client.call_tool("gmail_send", {**MAIL, "subject": f"held {k:03d}", "body_text": body}))

    async with anyio.create_task_group() as tg:
        for k in range(n):
            tg.start_soon(hold, k)
    return results


# the cap is checked and taken in one step ------------------------------------------------------------
async def test_a_hundred_concurrent_holds_take_exactly_the_cap(
    fresh_sandbox: Any, make_settings: Any, store_settings: dict[str, Any]
) -> None:
    url = fresh_sandbox.url
    async with connect(make_settings(url, max_pending=25, **store_settings), person=None) as client:
        results = await _hold_many(client, 100)
        held = [r.structured_content for r in results if not r.is_error]
        refused = [str(r.content[0].text) for r in results if r.is_error]
        assert len(held) == 25, f"{len(held)} of 100 held against a cap of 25"
        assert all(h is not None and h["status"] == "confirmation_required" for h in held)
        assert len(refused) == 75 and all("limit is 25" in m and "approve or cancel" in m for m in refused)
        listed = (await call(client, "list_pending_actions"))["actions"]
        assert sorted(a["confirmation_id"] for a in listed) == sorted(h["confirmation_id"] for h in held if h)
    assert writes(url) == []


async def test_concurrent_holds_never_hold_more_bytes_than_the_cap(
    fresh_sandbox: Any, make_settings: Any, store_settings: dict[str, Any]
) -> None:
    url = fresh_sandbox.url
    body = "y" * 40_000  # each held mail is a little over twice this; the cap fits a few
    settings = make_settings(url, max_pending=1000, max_pending_bytes=300_000, **store_settings)
    async with connect(settings, person=None) as client:
        fits = 0  # one after another: how many fit under the byte cap
        while not (
            await client.call_tool("gmail_send", {**MAIL, "subject": f"fit {fits:03d}", "body_text": body})
        ).is_error:
            fits += 1
        assert 2 <= fits < 10
        for action in (await call(client, "list_pending_actions"))["actions"]:
            await call(client, "cancel_action", {"confirmation_id": action["confirmation_id"]})
        results = await _hold_many(client, 30, body)
        refused = [str(r.content[0].text) for r in results if r.is_error]
        assert len(results) - len(refused) == fits
        assert all("bytes" in m and "limit is 300000" in m for m in refused)
    assert writes(url) == []


async def test_questions_the_person_never_answers_count_against_the_cap(
    fresh_sandbox: Any, make_settings: Any, store_settings: dict[str, Any]
) -> None:
    """A client that can elicit but never answers: each question holds an approval record, and the
    (max_pending+1)th question is refused rather than held."""
    from google_mcp.server import build_server

    url = fresh_sandbox.url
    server = build_server(make_settings(url, max_pending=3, **store_settings))
    async with Client(server, elicitation_callback=Person(), mode=MODERN) as client:
        for n in range(3):
            asked = await client.session.call_tool(
                "gmail_send", {**MAIL, "subject": f"q{n}"}, allow_input_required=True
            )
            assert type(asked).__name__ == "InputRequiredResult"
        # the same question asked again is the same approval record, not a new one
        again = await client.session.call_tool("gmail_send", {**MAIL, "subject": "q0"}, allow_input_required=True)
        assert type(again).__name__ == "InputRequiredResult"
        refused = await client.session.call_tool("gmail_send", {**MAIL, "subject": "q3"}, allow_input_required=True)
        assert isinstance(refused, CallToolResult) and refused.is_error, refused
        assert "limit is 3" in str(refused.content[0].text)
    assert writes(url) == []


# an elicitation's approval is only for the person's answer --------------------------------------------
async def test_confirm_action_cannot_run_the_approval_a_question_names(
    fresh_sandbox: Any, make_settings: Any, store_settings: dict[str, Any]
) -> None:
    from google_mcp.server import build_server

    url = fresh_sandbox.url
    server = build_server(make_settings(url, **store_settings))
    async with Client(server, elicitation_callback=Person(), mode=MODERN) as client:
        asked = await client.session.call_tool("gmail_send", MAIL, allow_input_required=True)
        assert type(asked).__name__ == "InputRequiredResult"
        question = next(iter(asked.input_requests.values())).params.message  # what the model may see too
        approval = question.rsplit("(approval ", 1)[1].rstrip(")")
        for tool in ("confirm_action", "cancel_action"):
            assert "No pending action" in await fails(client, tool, {"confirmation_id": approval})
        assert writes(url) == []
        # still waiting for the person: their answer runs it, once
        yes = {k: ElicitResult(action="accept", content={"approve": True}) for k in asked.input_requests}
        done = await client.session.call_tool(
            "gmail_send", MAIL, input_responses=yes, request_state=asked.request_state, allow_input_required=True
        )
        assert isinstance(done, CallToolResult) and done.structured_content
        assert done.structured_content["status"] == "done"
    assert sends(url) == 1


# a confirmation that finds the action executing -------------------------------------------------------
async def test_a_confirmation_racing_an_executing_one_reports_its_outcome(
    fresh_sandbox: Any, make_settings: Any, store_settings: dict[str, Any]
) -> None:
    url = fresh_sandbox.url
    async with connect(make_settings(url, **store_settings), person=None) as client:
        held = await call(client, "gmail_send", {**MAIL, "subject": "slow send"})
        cid = held["confirmation_id"]
        control(url, "/_sandbox/faults", {"path_regex": "/messages/send$", "delay_ms": 1200, "count": 1})
        outcomes: list[dict[str, Any]] = []

        async def confirm() -> None:
            outcomes.append(await call(client, "confirm_action", {"confirmation_id": cid}))

        async with anyio.create_task_group() as tg:
            tg.start_soon(confirm)
            with anyio.fail_after(5):  # the first one has claimed it: it left the waiting list
                while (await call(client, "list_pending_actions"))["actions"]:
                    await anyio.sleep(0.01)
            for _ in range(5):
                tg.start_soon(confirm)
    assert [o["status"] for o in outcomes] == ["done"] * 6, outcomes
    assert len({o["result"]["id"] for o in outcomes}) == 1
    assert sum("not run again" in o["message"] for o in outcomes) == 5
    assert sends(url) == 1


async def test_a_send_slower_than_the_lease_is_still_reported_done_to_racing_confirmations(
    fresh_sandbox: Any, make_settings: Any, store_settings: dict[str, Any]
) -> None:
    """The executing confirmation renews its lease: a racer that waits longer than one lease still sees the
    action as under way, and then its outcome, not `unknown`."""
    from google_mcp.pending import LEASE

    url = fresh_sandbox.url
    async with connect(make_settings(url, http_timeout=LEASE + 10, **store_settings), person=None) as client:
        held = await call(client, "gmail_send", {**MAIL, "subject": "slow beyond the lease"})
        cid = held["confirmation_id"]
        delay = int((LEASE + 1.5) * 1000)
        control(url, "/_sandbox/faults", {"path_regex": "/messages/send$", "delay_ms": delay, "count": 1})
        outcomes: list[dict[str, Any]] = []

        async def confirm() -> None:
            outcomes.append(await call(client, "confirm_action", {"confirmation_id": cid}))

        async with anyio.create_task_group() as tg:
            tg.start_soon(confirm)
            with anyio.fail_after(5):
                while (await call(client, "list_pending_actions"))["actions"]:
                    await anyio.sleep(0.01)
            tg.start_soon(confirm)
    assert [o["status"] for o in outcomes] == ["done", "done"], outcomes
    assert sends(url) == 1


async def test_confirmations_racing_one_that_could_not_send_say_it_still_waits(
    fresh_sandbox: Any, make_settings: Any, store_settings: dict[str, Any]
) -> None:
    """The confirmation that claimed it could not reach Google (nothing went out) and released it: the
    ones that waited on it say so and that it can be confirmed again, not that its outcome is unknown."""
    from tcp_proxy import TcpProxy

    url = fresh_sandbox.url
    proxy = TcpProxy.to(url)
    try:
        async with connect(make_settings(proxy.url, **store_settings), person=None) as client:
            held = await call(client, "gmail_send", {**MAIL, "subject": "not yet"})
            cid = held["confirmation_id"]
            proxy.pause()  # every connection refused
            outcomes: list[dict[str, Any]] = []

            async def confirm() -> None:
                outcomes.append(await call(client, "confirm_action", {"confirmation_id": cid}))

            async with anyio.create_task_group() as tg:
                for _ in range(10):
                    tg.start_soon(confirm)
            assert [o["status"] for o in outcomes] == ["failed"] * 10, [o["message"] for o in outcomes]
            assert all("confirm_action" in o["message"] for o in outcomes)
            proxy.resume()
            assert (await call(client, "confirm_action", {"confirmation_id": cid}))["status"] == "done"
    finally:
        proxy.stop()
    assert sends(url) == 1


async def test_past_the_wait_a_racing_confirmation_says_it_is_being_carried_out(
    fresh_sandbox: Any, make_settings: Any, store_settings: dict[str, Any]
) -> None:
    url = fresh_sandbox.url
    async with connect(make_settings(url, confirm_wait=0.2, **store_settings), person=None) as client:
        held = await call(client, "gmail_send", {**MAIL, "subject": "slower send"})
        cid = held["confirmation_id"]
        control(url, "/_sandbox/faults", {"path_regex": "/messages/send$", "delay_ms": 1500, "count": 1})
        first: list[dict[str, Any]] = []

        async def confirm() -> None:
            first.append(await call(client, "confirm_action", {"confirmation_id": cid}))

        async with anyio.create_task_group() as tg:
            tg.start_soon(confirm)
            with anyio.fail_after(5):
                while (await call(client, "list_pending_actions"))["actions"]:
                    await anyio.sleep(0.01)
            racing = await call(client, "confirm_action", {"confirmation_id": cid})
            assert racing["status"] == "executing", racing
            assert "being carried out" in racing["message"] and "do not" in racing["message"].lower()
            assert not first  # it answered while the send was still under way
        later = await call(client, "confirm_action", {"confirmation_id": cid})
    assert first[0]["status"] == "done" and later["status"] == "done"
    assert later["result"] == first[0]["result"]
    found = run(gmail(url).users().messages().list(userId="me", q='subject:"slower send"'))
    assert len(found.get("messages", [])) == 1 and sends(url) == 1


# write-ahead on the paths that run a write at once ----------------------------------------------------
def _blocked_record(tmp_path: Any) -> Any:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the record's folder should be")
    return blocker / "record.sqlite3"


async def test_an_auto_approved_write_does_not_run_when_its_approval_cannot_be_recorded(
    fresh_sandbox: Any, make_settings: Any, tmp_path: Any
) -> None:
    url = fresh_sandbox.url
    settings = make_settings(url, auto_approve=["gmail_send"], log_file=_blocked_record(tmp_path))
    async with connect(settings, person=None) as client:
        outcome = await call(client, "gmail_send", MAIL)
    assert outcome["status"] == "failed" and "nothing was done" in outcome["message"]
    assert writes(url) == []


async def test_a_write_the_person_approves_through_the_router_does_not_run_unrecorded(
    fresh_sandbox: Any, make_settings: Any, tmp_path: Any
) -> None:
    url = fresh_sandbox.url

    def script(body: dict[str, Any], n: int) -> Any:
        if not function_responses(body):
            return gemini_call(
                "gmail_send", {"to": ["dana.whitfield@example.com"], "subject": "Late", "body_text": "x"}
            )
        return text("Handled.")

    person = Person()
    with GeminiStandIn(script) as gemini:
        settings = make_settings(
            url, gemini_api_key="test-key", gemini_base_url=gemini.url, log_file=_blocked_record(tmp_path)
        )
        async with connect(settings, "legacy", person=person) as client:
            result = await call(client, "ask", {"request": "tell Dana I'm late"})
    assert person.asked and person.asked[0].startswith("Send an email")  # the person said yes
    assert [c["status"] for c in result["tool_calls"]] == ["error"]
    assert writes(url) == []
