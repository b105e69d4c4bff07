"""Helpers to drive the server through an MCP client session."""

from __future__ import annotations

import json
from typing import Any

from mcp import Client

from google_mcp.server import build_server
from google_mcp.settings import Settings
from helpers import control


class ToolFailed(AssertionError):
    pass


async def call(client: Client, name: str, args: dict[str, Any] | None = None) -> dict[str, Any]:
    result = await client.call_tool(name, args or {})
    if result.is_error:
        raise ToolFailed(result.content[0].text if result.content else "error")
    assert isinstance(result.structured_content, dict)
    # the text block carries the same JSON for hosts that ignore structured content
    assert json.loads(result.content[0].text) == result.structured_content
    return result.structured_content


async def fails(client: Client, name: str, args: dict[str, Any]) -> str:
    result = await client.call_tool(name, args)
    assert result.is_error, f"{name} should have failed: {result.structured_content}"
    return str(result.content[0].text)


def connect(settings: Settings, mode: str = "auto", **kwargs: Any) -> Client:
    return Client(build_server(settings), mode=mode, **kwargs)  # type: ignore[arg-type]


def writes(url: str) -> list[dict[str, Any]]:
    """State-changing requests the sandbox has seen (batch parts included)."""
    return [
        r
        for r in control(url, "/_sandbox/requests")["requests"]
        if r["method"] in ("POST", "PUT", "PATCH", "DELETE")
        and not r["path"].startswith("/batch/")
        and not (r["method"] == "POST" and r["path"].endswith(("/freeBusy",)))
    ]


def requests(url: str) -> list[dict[str, Any]]:
    return list(control(url, "/_sandbox/requests")["requests"])
