"""Property: over any sequence of tool calls and answers, no state-changing request reaches Google
(the sandbox) without a matching approval."""

from __future__ import annotations

import os
from typing import Any

import anyio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mcp import Client

from google_mcp.server import build_server
from helpers import control
from mcp_helpers import Person, writes
from test_gate import WRITE_TOOLS, write_cases

ANSWERS = ["pending", "accept", "say_no", "decline", "cancel"]
step = st.one_of(
    st.tuples(st.just("call"), st.sampled_from(WRITE_TOOLS), st.sampled_from(ANSWERS)),
    st.tuples(st.just("confirm"), st.integers(0, 5), st.sampled_from(["held", "bogus"])),
    st.tuples(st.just("cancel"), st.integers(0, 5), st.just("")),
    st.tuples(st.just("list"), st.just(""), st.just("")),
)


@settings(
    max_examples=int(os.environ.get("GATE_EXAMPLES", "25")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(steps=st.lists(step, min_size=1, max_size=8))
def test_no_write_reaches_google_without_approval(sandbox: Any, make_settings: Any, steps: list[Any]) -> None:
    control(sandbox.url, "/_sandbox/reset", {})
    server = build_server(make_settings(sandbox.url))

    async def scenario() -> None:
        person = Person()
        async with (
            Client(server, elicitation_callback=person, mode="legacy") as asking,
            Client(server, mode="legacy") as silent,
        ):  # type: ignore[arg-type]
            cases = await write_cases(asking)
            held: list[str] = []
            for kind, a, b in steps:
                before = len(writes(sandbox.url))
                approved = False
                if kind == "call":
                    if b == "pending":
                        result = await silent.call_tool(a, cases[a])
                    else:
                        person.action = "accept" if b in ("accept", "say_no") else b
                        person.approve = b == "accept"
                        result = await asking.call_tool(a, cases[a])
                        approved = b == "accept"
                    out = result.structured_content or {}
                    if out.get("status") == "confirmation_required":
                        held.append(out["confirmation_id"])
                elif kind == "confirm":
                    cid = held[a % len(held)] if held and b == "held" else "bogus-id"
                    result = await silent.call_tool("confirm_action", {"confirmation_id": cid})
                    approved = not result.is_error and (result.structured_content or {}).get("status") == "done"
                elif kind == "cancel" and held:
                    await silent.call_tool("cancel_action", {"confirmation_id": held[a % len(held)]})
                elif kind == "list":
                    await silent.call_tool("list_pending_actions", {})
                after = len(writes(sandbox.url))
                if not approved:
                    assert after == before, f"{kind} {a} {b} wrote to Google without approval"

    anyio.run(scenario)
