"""The record's writer (record/writer.py): entries written in batches off the call's path, on SQLite and on
MongoDB (SecantusDB, a real wire server), through MCP sessions, without giving up what the record promises:
a gated write's `approved` entry is committed before Google sees the write, a read of the record sees every
call before it, close writes everything queued, and concurrent calls are each recorded once, in order."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import AsyncExitStack
from typing import Any

import anyio
import pytest
import uvicorn
from mcp import Client
from pymongo import MongoClient

from google_mcp.sandbox.app import Sandbox
from google_mcp.sandbox.server import SandboxThread
from google_mcp.sandbox.web import create_app
from google_mcp.server import build_server
from google_mcp.serving import serve_announced
from mcp_helpers import Person, call, fails, writes

pytestmark = pytest.mark.anyio
MAIL = {"to": ["dana.whitfield@example.com"], "subject": "Launch date", "body_text": "It slips to March."}


def stored(settings: Any) -> list[dict[str, Any]]:
    """The record's action entries as the store holds them, read with a connection of our own."""
    import json

    if settings.mongodb_url is not None:
        with MongoClient(settings.mongodb_url.get_secret_value(), tz_aware=True) as client:
            buckets = list(client.get_default_database()["conversations"].find({}, {"_id": 0}))
        return [{**e, "conversation": b["session_id"]} for b in buckets for e in b.get("tool_actions", [])]
    with sqlite3.connect(settings.log_file) as db:
        rows = db.execute("SELECT session_id, body FROM entries WHERE kind = 'action' ORDER BY id").fetchall()
    return [{**json.loads(body), "conversation": session} for session, body in rows]


class WatchedSandbox(SandboxThread):
    """The sandbox, with `on_send()` called (in the sandbox's thread) as each Gmail send arrives, before the
    sandbox acts on it: what the record holds at the moment Google would see the write."""

    def __init__(self, on_send: Callable[[], None]) -> None:
        super().__init__()
        self.on_send = on_send

    def _run(self) -> None:
        try:
            self.sandbox = Sandbox()
            inner = create_app(self.sandbox)

            async def app(scope: Any, receive: Any, send: Any) -> None:
                if scope["type"] == "http" and scope["method"] == "POST" and scope["path"].endswith("/send"):
                    self.on_send()
                await inner(scope, receive, send)

            config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
            self._server = uvicorn.Server(config)
            anyio.run(serve_announced, self._server, self._bound)
        except BaseException as exc:
            self._error = exc
            self._ready.set()


async def test_a_gated_writes_approval_is_committed_before_google_sees_the_write(
    make_settings: Any, record_settings: dict[str, Any]
) -> None:
    seen: list[list[str]] = []
    holder: dict[str, Any] = {}

    def on_send() -> None:  # a separate connection to the store: only what is committed shows
        seen.append([e["step"] for e in stored(holder["settings"]) if e["action"] == "gmail_send"])

    with WatchedSandbox(on_send) as sandbox:
        settings = holder["settings"] = make_settings(sandbox.url, **record_settings)
        server = build_server(settings)
        async with Client(server, mode="legacy", elicitation_callback=Person()) as client:  # type: ignore[arg-type]
            assert (await call(client, "gmail_send", MAIL))["status"] == "done"
    assert len(seen) == 1 and seen[0][-1:] == ["approved"], seen


async def test_a_call_then_activity_log_shows_the_call_at_once(
    fresh_sandbox: Any, make_settings: Any, record_settings: dict[str, Any]
) -> None:
    # queries as text (log_content full), so that each entry says which call it was
    settings = make_settings(fresh_sandbox.url, log_content="full", **record_settings)
    async with Client(build_server(settings), mode="legacy") as client:
        for n in range(1, 4):
            await call(client, "gmail_search", {"query": f"is:unread {n}", "max_results": 1})
            log = (await call(client, "activity_log", {"tool": "gmail_search"}))["entries"]
            assert [e["parameters"]["query"] for e in log] == [f"is:unread {k}" for k in range(n, 0, -1)]


async def test_everything_queued_is_written_when_the_server_stops(
    fresh_sandbox: Any, make_settings: Any, record_settings: dict[str, Any]
) -> None:
    settings = make_settings(fresh_sandbox.url, **record_settings)
    async with Client(build_server(settings), mode="legacy") as client:
        for _ in range(30):
            await call(client, "list_pending_actions")
    # the lifespan has ended: nothing read the record meanwhile, so only close can have written the last batch
    assert len([e for e in stored(settings) if e["action"] == "list_pending_actions"]) == 30


async def test_200_concurrent_calls_are_each_recorded_once_and_in_order_within_their_session(
    fresh_sandbox: Any, make_settings: Any, record_settings: dict[str, Any]
) -> None:
    settings = make_settings(fresh_sandbox.url, log_content="full", **record_settings)  # queries as text
    server = build_server(settings)
    async with AsyncExitStack() as stack:
        sessions = [await stack.enter_async_context(Client(server, mode="legacy")) for _ in range(20)]

        async def session(k: int, client: Client) -> None:
            for n in range(10):
                await call(client, "gmail_search", {"query": f"s{k} n{n}", "max_results": 1})

        async with anyio.create_task_group() as tg:
            for k, client in enumerate(sessions):
                tg.start_soon(session, k, client)
        log = (await call(sessions[0], "activity_log", {"tool": "gmail_search", "limit": 500}))["entries"]
    assert len(log) == 200  # a read right after sees every one of them
    entries = [e for e in stored(settings) if e["action"] == "gmail_search"]
    queries = [e["parameters"]["query"] for e in entries]
    assert sorted(queries) == sorted(f"s{k} n{n}" for k in range(20) for n in range(10))  # each once
    by_conversation: dict[str, list[str]] = {}
    for e in sorted(entries, key=lambda e: e["timestamp"]) if settings.mongodb_url else entries:
        by_conversation.setdefault(e["conversation"], []).append(e["parameters"]["query"])
    assert len(by_conversation) == 20
    for got in by_conversation.values():
        k = got[0].split()[0]
        assert got == [f"{k} n{n}" for n in range(10)]


async def test_a_conversation_past_a_bucket_keeps_its_order_when_written_in_batches(
    make_settings: Any, record_settings: dict[str, Any]
) -> None:
    from google_mcp.record import open_journal

    settings = make_settings("http://127.0.0.1:9", **record_settings)
    journal = open_journal(settings)
    try:

        async def write(conversation: str) -> None:
            for n in range(450):  # past two MongoDB buckets of 200, in batches that straddle them
                await journal.append(conversation, "local:test", {"action": "gmail_send", "step": str(n)})

        async with anyio.create_task_group() as tg:
            for conversation in ("c1", "c2", "c3"):
                tg.start_soon(write, conversation)
        read = [await journal.conversation(c, "local:test") for c in ("c1", "c2", "c3")]
    finally:
        await journal.close()
    for conversation in read:
        assert conversation is not None
        assert [e["step"] for e in conversation["tool_actions"]] == [str(n) for n in range(450)]


@pytest.mark.slow
async def test_a_write_does_not_run_while_sqlite_refuses_its_approval_and_reads_go_on(
    fresh_sandbox: Any, make_settings: Any, tmp_path: Any
) -> None:
    settings = make_settings(fresh_sandbox.url, log_file=tmp_path / "record.sqlite3")
    server = build_server(settings)
    async with Client(server, mode="legacy", elicitation_callback=Person()) as client:  # type: ignore[arg-type]
        await call(client, "list_pending_actions")
        await call(client, "activity_log")  # the file exists, with its tables
        locker = sqlite3.connect(settings.log_file, isolation_level=None)
        locker.execute("BEGIN EXCLUSIVE")  # another process holds the file: no write gets in
        try:
            refused = await fails(client, "gmail_send", MAIL)
            assert "could not be written" in refused and "database is locked" in refused
            assert "nothing was done" in refused and writes(fresh_sandbox.url) == []
            assert (await call(client, "gmail_search", {"max_results": 1}))["messages"]  # reads go on
        finally:
            locker.execute("ROLLBACK")
            locker.close()
        log = (await call(client, "activity_log", {"limit": 100}))["entries"]
    assert writes(fresh_sandbox.url) == []
    steps = [(e["action"], e["step"]) for e in reversed(log)]
    assert ("gmail_send", "approved") not in steps  # the write that did not run is not recorded as approved
    assert ("gmail_search", "call") in steps and ("gmail_send", "asked") in steps  # kept, written once it could
