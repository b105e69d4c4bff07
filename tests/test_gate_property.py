"""Property: over any sequence of tool calls, approvals, replayed approvals, racing confirms, cancels,
dropped answers, reset connections and Redis restarts, every state-changing request the sandbox sees
has an approval, and no approval yields two.

A step without an approval adds no state-changing request at all. A step with approvals adds at most
one request per approval to the calls Google does not deduplicate (a send, a draft): a dropped answer
still reaches Google once, a replay never. Idempotent writes (labels, event patches, deletes, inserts
with a client-chosen id) may be retried after a dropped answer, which repeats the request, not the effect.
"""

from __future__ import annotations

import contextlib
import os
from typing import Any

import anyio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mcp import Client
from mcp.types import ElicitResult

from google_mcp.server import build_server
from helpers import control
from mcp_helpers import Person, writes
from tcp_proxy import TcpProxy
from test_gate import WRITE_TOOLS, write_cases

ANSWERS = ["pending", "accept", "say_no", "decline", "cancel"]
step = st.one_of(
    st.tuples(st.just("call"), st.sampled_from(WRITE_TOOLS), st.sampled_from(ANSWERS)),
    st.tuples(st.just("modern"), st.sampled_from(WRITE_TOOLS), st.just(0)),
    st.tuples(st.just("replay"), st.just(""), st.integers(0, 5)),
    st.tuples(st.just("confirm"), st.sampled_from(["held", "bogus"]), st.integers(0, 5)),
    st.tuples(st.just("race"), st.just(""), st.integers(0, 5)),
    st.tuples(st.just("cancel"), st.just(""), st.integers(0, 5)),
    st.tuples(st.just("list"), st.just(""), st.just(0)),
    st.tuples(st.just("drop"), st.just(""), st.just(0)),
    st.tuples(st.just("reset_idle"), st.just(""), st.just(0)),
    st.tuples(st.just("restart_redis"), st.just(""), st.just(0)),
)


@settings(
    max_examples=int(os.environ.get("GATE_EXAMPLES", "25")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(steps=st.lists(step, min_size=1, max_size=10))
def test_every_write_has_an_approval_and_no_approval_yields_two(
    sandbox: Any, make_settings: Any, redis_url: str, redis_server: Any, emulator: Any, steps: list[Any]
) -> None:
    control(sandbox.url, "/_sandbox/reset", {})
    redis_server.flush()
    proxy = TcpProxy.to(sandbox.url)
    settings_ = make_settings(proxy.url, redis_url=redis_url, state_key="a-shared-secret-of-32-characters")
    server = build_server(settings_)

    async def scenario() -> None:
        person = Person()
        async with contextlib.AsyncExitStack() as stack:
            asking = await stack.enter_async_context(Client(server, elicitation_callback=person, mode="legacy"))
            silent = await stack.enter_async_context(Client(server, mode="legacy"))
            modern = await stack.enter_async_context(
                Client(server, elicitation_callback=Person(), mode="2026-07-28")  # answered by hand below
            )
            cases = await write_cases(asking, settings_.attachment_roots[0])
            held: list[str] = []
            answers: list[tuple[str, dict[str, Any]]] = []  # modern approvals that a client may replay

            def elsewhere() -> int:  # posts and texts: what Slack and Twilio saw
                return int(emulator.sent())

            # what Google, Slack and Twilio had seen before the first step; after each step, what they have
            # seen then is what they had before the next (nothing runs between two steps)
            seen = writes(sandbox.url)
            now_elsewhere = elsewhere()
            for kind, a, n in steps:
                before, before_elsewhere = len(seen), now_elsewhere
                approvals = 0
                if kind == "call":
                    if n == "pending":
                        result = await silent.call_tool(a, cases[a])
                    else:
                        person.action = "accept" if n in ("accept", "say_no") else n
                        person.approve = n == "accept"
                        result = await asking.call_tool(a, cases[a])
                        approvals = int(n == "accept")
                    out = result.structured_content or {}
                    if out.get("status") == "confirmation_required":
                        held.append(out["confirmation_id"])
                elif kind == "modern":
                    asked = await modern.session.call_tool(a, cases[a], allow_input_required=True)
                    if type(asked).__name__ == "InputRequiredResult":
                        yes = {
                            k: ElicitResult(action="accept", content={"approve": True}) for k in asked.input_requests
                        }
                        answer = {"input_responses": yes, "request_state": asked.request_state}
                        await modern.session.call_tool(a, cases[a], allow_input_required=True, **answer)
                        answers.append((a, answer))
                        approvals = 1
                elif kind == "replay" and answers:
                    tool, answer = answers[n % len(answers)]
                    await modern.session.call_tool(tool, cases[tool], allow_input_required=True, **answer)
                elif kind == "confirm":
                    cid = held[n % len(held)] if held and a == "held" else "bogus-id"
                    await silent.call_tool("confirm_action", {"confirmation_id": cid})
                    approvals = 1
                elif kind == "race" and held:
                    cid = held[n % len(held)]
                    async with anyio.create_task_group() as tg:
                        for _ in range(5):
                            tg.start_soon(silent.call_tool, "confirm_action", {"confirmation_id": cid})
                    approvals = 1  # five approvals of one action: still one action
                elif kind == "cancel" and held:
                    await silent.call_tool("cancel_action", {"confirmation_id": held[n % len(held)]})
                elif kind == "list":
                    await silent.call_tool("list_pending_actions", {})
                elif kind == "drop":
                    proxy.drop_after("WRITE", r"^/(gmail|calendar|v1/documents|drive|upload/drive)")
                elif kind == "reset_idle":
                    proxy.close_idle(reset=True)
                elif kind == "restart_redis":
                    redis_server.stop()
                    redis_server.start()
                seen, now_elsewhere = writes(sandbox.url), elsewhere()
                assert now_elsewhere - before_elsewhere <= approvals, f"{kind} {a} {n}: a post or text too many"
                if not approvals:
                    assert len(seen) == before, f"{kind} {a} {n} wrote to Google without an approval"
                new = seen[before:]
                for what in (
                    ("/messages/send", "/drafts"),
                    ("/v1/documents",),
                    (":batchUpdate",),
                    ("/upload/drive/v3/files",),
                    ("/permissions",),
                    (":createContact",),
                ):
                    once = [w for w in new if w["path"].endswith(what)]  # calls Google would repeat: sends,
                    # drafts, new documents, document edits (insertText twice is text twice), uploads, shares,
                    # new contacts
                    assert len(once) <= approvals, f"{kind} {a} {n}: {len(once)} × {what} for {approvals} approvals"

    try:
        anyio.run(scenario)
    finally:
        proxy.stop()
