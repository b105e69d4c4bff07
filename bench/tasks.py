"""Answer size of the Tasks and Chat reads, and the tools/list bytes of each group.

Tokens are the project's counter (google/pages.py `tokens`, within a few per cent of cl100k). The task answer
is `tasks_list` over exactly 100 tasks (the sandbox's seed, topped up with the real client); the Chat answer
is `chat_read_space` of a space's 30 latest messages. tools/list is read over stdio, per group, without the
gate's own tools.

    .venv/bin/python bench/tasks.py
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import anyio
from mcp import Client

sys.path.insert(0, str(Path(__file__).parent.parent / "tests"))
from _stdio import INIT, StdioServer
from google_mcp.google.pages import tokens
from google_mcp.sandbox import SandboxThread
from google_mcp.server import build_server
from google_mcp.settings import Settings
from helpers import tasks

EXE = str(Path(sys.executable).parent / "google-mcp")
GATE = {"confirm_action", "cancel_action", "list_pending_actions", "ask", "activity_log"}
TASKS = 100


def top_up(url: str) -> int:
    """Exactly TASKS tasks, done and hidden ones included."""
    api = tasks(url)
    lists = api.tasklists().list().execute()["items"]
    have = sum(
        len(api.tasks().list(tasklist=tl["id"], maxResults=100, showHidden=True).execute().get("items", []))
        for tl in lists
    )
    for n in range(TASKS - have):
        api.tasks().insert(tasklist=lists[0]["id"], body={"title": f"Follow up on item {n}"}).execute()
    return max(have, TASKS)


def answer(result: Any) -> dict[str, Any]:
    text = result.content[0].text
    structured = json.dumps(result.structured_content, ensure_ascii=False, separators=(",", ":"))
    return {"text_bytes": len(text.encode()), "text_tokens": tokens(text), "structured_tokens": tokens(structured)}


async def answers(url: str) -> dict[str, Any]:
    home = Path(tempfile.mkdtemp())
    settings = Settings(
        _env_file=None,
        sandbox_url=url,
        tools=["calendar", "tasks", "chat"],
        log="off",
        token_file=home / "token.json",
        schedule_file=home / "schedule.sqlite3",
    )
    async with Client(build_server(settings), mode="legacy") as client:
        listed = await client.call_tool("tasks_list", {"include_completed": True, "max_results": 500})
        chat = await client.call_tool("chat_read_space", {"space": "Apollo launch", "max_results": 30})
    n = len(listed.structured_content["tasks"])  # type: ignore[index]
    out = {"tasks": n, **answer(listed)}
    out["tokens_per_task"] = round(out["text_tokens"] / n, 1)
    m = len(chat.structured_content["messages"])  # type: ignore[index]
    return {"tasks_list_100": out, "chat_read_space": {"messages": m, **answer(chat)}}


def listing(groups: str) -> list[dict[str, Any]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOOGLE_MCP_")}
    server = StdioServer([EXE, "serve", "--sandbox-url", "http://127.0.0.1:9", "--tools", groups], env)
    server.request(INIT)
    server.notify({"jsonrpc": "2.0", "method": "notifications/initialized"})
    line = server.request({"jsonrpc": "2.0", "id": 2, "method": "tools/list"})
    server.close()
    found: list[dict[str, Any]] = json.loads(line)["result"]["tools"]
    return [t for t in found if t["name"] not in GATE]


def size(tools: list[dict[str, Any]]) -> int:
    return len(json.dumps(tools, separators=(",", ":")).encode())


def main() -> None:
    with SandboxThread() as sandbox:
        top_up(sandbox.url)
        figures = anyio.run(answers, sandbox.url)
    for group in ("tasks", "chat", "docs"):
        tools = listing(group)
        figures[f"tools_list_{group}"] = {
            "tools": len(tools),
            "bytes": size(tools),
            "per_tool": {t["name"]: size([t]) - 2 for t in tools},
        }
    print(json.dumps(figures, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
