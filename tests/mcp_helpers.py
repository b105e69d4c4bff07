"""Helpers to drive the server through an MCP client session."""

from __future__ import annotations

import json
import re
from typing import Any

import anyio
from mcp import Client
from mcp.types import ElicitResult

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
    # the text block is what a model reads: compact lines for long lists, compact JSON otherwise
    text = result.content[0].text
    assert text and "\n  " not in text
    if text.startswith("{"):
        assert json.loads(text) == result.structured_content
    return result.structured_content


async def fails(client: Client, name: str, args: dict[str, Any]) -> str:
    result = await client.call_tool(name, args)
    assert result.is_error, f"{name} should have failed: {result.structured_content}"
    return str(result.content[0].text)


class Person:
    """Answers elicitations as a person would: accept (yes or no), decline or cancel; records what was asked."""

    def __init__(self, action: str = "accept", approve: bool = True) -> None:
        self.action, self.approve = action, approve
        self.asked: list[str] = []

    async def __call__(self, context: Any, params: Any) -> ElicitResult:
        self.asked.append(params.message)
        if self.action == "accept":
            return ElicitResult(action="accept", content={"approve": self.approve})
        return ElicitResult(action=self.action)  # type: ignore[arg-type]


def connect(settings: Settings, mode: str = "auto", person: Person | str | None = "yes", **kwargs: Any) -> Client:
    """An in-process client; by default a person who approves every elicitation."""
    if person == "yes":
        person = Person()
    if isinstance(person, Person):
        kwargs["elicitation_callback"] = person
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


async def polled(url: str, *accounts: str, path: str = "/history$", query: str = "", within: float = 15) -> None:
    """Wait until the poller has read each account's changes once (the sandbox saw a read whose path
    matches `path`, with `query` among its parameters, carrying the account's token): its baseline is
    stored, so that a change made now is news. A bounded poll of the sandbox's log, not a guess at how long
    a first tick takes on a busy machine."""
    wanted = set(accounts) or {"alex.morgan@example.com"}
    with anyio.fail_after(within):
        while True:
            log = await anyio.to_thread.run_sync(requests, url)
            seen = {
                r.get("account")
                for r in log
                if re.search(path, r["path"]) and r["status"] == 200 and (not query or query in r["query"])
            }
            if wanted <= seen:
                return
            await anyio.sleep(0.05)
