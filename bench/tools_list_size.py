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


def main() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOOGLE_MCP_")}
    server = StdioServer([EXE, "serve", "--sandbox"], env)
    server.request(INIT)
    server.notify({"jsonrpc": "2.0", "method": "notifications/initialized"})
    line = server.request({"jsonrpc": "2.0", "id": 2, "method": "tools/list"})
    server.close()
    tools = json.loads(line)["result"]["tools"]
    per_tool = {t["name"]: len(json.dumps(t, separators=(",", ":")).encode()) for t in tools}
    gate = {"confirm_action", "cancel_action", "list_pending_actions", "ask"}
    # the tools/list answer with only the Gmail and Calendar tools, serialised the same way
    google = len(json.dumps([t for t in tools if t["name"] not in gate], separators=(",", ":")).encode())
    print(
        json.dumps(
            {
                "tools": len(tools),
                "answer_bytes": len(line.rstrip(b"\n")),
                "gmail_and_calendar_tools_bytes": google,
                "target": "<= 12000 bytes for the Gmail and Calendar tools (issue 10)",
                "per_tool_bytes": per_tool,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
