"""MCP Apps views in a real browser, hosted by the reference host bridge (tests/views_harness.py): the
approval card shows a held write field by field and approves it once, declines it, cannot approve in strict
mode, and renders a hostile mail without running or fetching anything. Clients without the extension see
tools/list and resources/list exactly as before."""

from __future__ import annotations

import json
from typing import Any

import pytest
from mcp import Client

from helpers import control
from mcp_helpers import call
from views_harness import Harness, connect_apps

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def anyio_backend() -> str:  # the browser (`harness`) lives for the module
    return "asyncio"


CARD = "ui://google-mcp/card"
MAIL = {"to": ["dana.whitfield@example.com"], "subject": "Board pack", "body_text": "Attached tonight."}


def sends(sandbox_url: str) -> int:
    return sum(1 for r in control(sandbox_url, "/_sandbox/requests")["requests"] if r["path"].endswith("/send"))


def listed(tools: Any) -> str:
    return json.dumps([t.model_dump(by_alias=True, mode="json", exclude_none=True) for t in tools.tools])


async def test_only_a_client_with_the_extension_is_offered_views(fresh_sandbox: Any, make_settings: Any) -> None:
    settings = make_settings(fresh_sandbox.url)
    for mode in ("legacy", "2026-07-28"):
        async with Client(_server(settings), mode=mode) as plain, connect_apps(settings, mode=mode) as apps:
            without, with_views = await plain.list_tools(), await apps.list_tools()
            assert "_meta" not in listed(without) and "ui://" not in listed(without)
            assert not [r for r in (await plain.list_resources()).resources if str(r.uri).startswith("ui://")]
            viewed = {t.name: (t.meta or {}).get("ui") for t in with_views.tools if (t.meta or {}).get("ui")}
            assert viewed["gmail_send"] == {"resourceUri": CARD}
            assert viewed["view_pending_action"] == {"resourceUri": CARD, "visibility": ["app"]}
            assert "view_pending_action" not in {t.name for t in without.tools}
            # the same tools, byte for byte, once the views' additions are taken away
            stripped = [
                t.model_copy(update={"meta": None}) for t in with_views.tools if t.name != "view_pending_action"
            ]
            assert json.dumps(
                [t.model_dump(by_alias=True, mode="json", exclude_none=True) for t in stripped]
            ) == listed(without)
            resources = {str(r.uri): r for r in (await apps.list_resources()).resources}
            assert resources[CARD].mime_type == "text/html;profile=mcp-app"
            refused = await plain.call_tool("view_pending_action", {"confirmation_id": "x"})
            assert refused.is_error


def _server(settings: Any) -> Any:
    from google_mcp.server import build_server

    return build_server(settings)


async def test_the_card_approves_a_held_send_once(harness: Harness, fresh_sandbox: Any, make_settings: Any) -> None:
    settings = make_settings(fresh_sandbox.url)
    async with connect_apps(settings) as client:
        result = await client.call_tool("gmail_send", MAIL)
        assert result.structured_content["status"] == "confirmation_required"
        async with harness.mount(client, CARD, "gmail_send", MAIL, result) as view:
            approve = view.frame.get_by_role("button", name="Approve")
            await approve.wait_for()
            assert "Board pack" in await view.text()
            assert await view.serious_axe_violations() == []
            await approve.dblclick()
            await view.frame.get_by_text("Done (confirmed").wait_for()
            assert view.foreign_requests() == [] and view.dialogs == []
        assert sends(fresh_sandbox.url) == 1
        pending = await call(client, "list_pending_actions")
        assert pending.get("actions", []) == []
