"""The byte size of the `tools/list` answer over stdio (what every host sends its model).

python bench/tools_list_size.py
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from _stdio import INIT, StdioServer

EXE = str(Path(sys.executable).parent / "google-mcp")


ELSEWHERE = {  # Slack and SMS are on once configured; no request is made to list tools
    "GOOGLE_MCP_SLACK_TOKEN": "xoxb-bench",
    "GOOGLE_MCP_TWILIO_ACCOUNT_SID": "AC0",
    "GOOGLE_MCP_TWILIO_AUTH_TOKEN": "bench",
    "GOOGLE_MCP_TWILIO_FROM": "+15551234567",
}


def listing(groups: str) -> list[dict[str, object]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOOGLE_MCP_")} | ELSEWHERE
    # a sandbox URL that is never contacted (listing tools asks Google nothing): the same tools as --sandbox,
    # without building an in-process sandbox's seed first
    where = ["--sandbox-url", "http://127.0.0.1:9"]
    server = StdioServer([EXE, "serve", *where, *(["--tools", groups] if groups else [])], env)
    server.request(INIT)
    server.notify({"jsonrpc": "2.0", "method": "notifications/initialized"})
    line = server.request({"jsonrpc": "2.0", "id": 2, "method": "tools/list"})
    server.close()
    tools: list[dict[str, object]] = json.loads(line)["result"]["tools"]
    return tools


def size(tools: list[dict[str, object]]) -> int:
    return len(json.dumps(tools, separators=(",", ":")).encode())


def main() -> None:
    tools = listing("")
    per_tool = {str(t["name"]): size([t]) - 2 for t in tools}
    gate = {"confirm_action", "cancel_action", "list_pending_actions", "ask", "activity_log"}
    gmail_calendar = [t for t in listing("gmail,calendar") if t["name"] not in gate]
    # what hosts such as Claude Desktop put before the model: name, description and input schema
    model_part = [{k: t[k] for k in ("name", "description", "inputSchema")} for t in gmail_calendar]
    print(
        json.dumps(
            {
                "tools_all_groups": len(tools),
                "answer_bytes_all_groups": size(tools),
                "gmail_and_calendar_tools_bytes": size(gmail_calendar),
                "target": "<= 12000 bytes for the Gmail and Calendar tools (issue 10)",
                "gmail_and_calendar_name_description_input_bytes": size(model_part),
                "docs_tools_bytes": size([t for t in tools if str(t["name"]).startswith("docs_")]),
                "slack_and_sms_tools_bytes": size([t for t in tools if str(t["name"]).startswith(("slack_", "sms_"))]),
                "per_tool_bytes": per_tool,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
