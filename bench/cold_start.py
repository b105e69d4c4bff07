"""Cold start: process start to the `initialize` answer over stdio, ours beside a bare MCP SDK server.

    python bench/cold_start.py [--runs 10] [--tools gmail,calendar]

The floor is what any MCP server in Python pays: a bare SDK server (`MCPServer` with one no-op tool, the
same SDK, interpreter and stdio transport) answering the same `initialize`. Ours is `google-mcp serve
--sandbox-url URL`: configured as in use, its Google elsewhere (nothing is asked of it before the first
tool call, so the URL is never contacted). `serve --sandbox` is reported apart: it also builds an
in-process sandbox's seed in a background thread from the start, which competes with start-up for the
interpreter; it is a demo mode, not what a host starts. `import mcp.server` alone is shown for reference
(it answers nothing: an earlier version of this bench took it as the floor, and so reported ~300 ms
"over the floor" that every SDK server pays). Runs take turns, so a busy moment hits each alike.
Prints medians in milliseconds as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _stdio import INIT, StdioServer

EXE = str(Path(sys.executable).parent / "google-mcp")
BARE = """
from mcp.server import MCPServer

server = MCPServer("bare")


@server.tool()
def noop() -> str:
    \"\"\"Nothing.\"\"\"
    return "ok"


server.run()
"""


def answered(cmd: list[str], env: dict[str, str]) -> float:
    """Seconds from process start to the initialize answer."""
    server = StdioServer(cmd, env)
    try:
        server.request(INIT)
        return time.perf_counter() - server.started
    finally:
        server.proc.kill()  # its exit is not start-up: not timed, not waited on beyond reaping
        server.proc.wait()
        for stream in (server.proc.stdin, server.proc.stdout):
            if stream is not None:
                stream.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--tools", default="", help="tool groups, as serve --tools takes them (default: all)")
    args = parser.parse_args()
    extra = ["--tools", args.tools] if args.tools else []
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOOGLE_MCP_")}
    runs: dict[str, list[float]] = {"import_mcp_server": [], "bare_sdk_server": [], "ours": [], "ours_sandbox": []}
    for _ in range(args.runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import mcp.server"], check=True, env=env)
        runs["import_mcp_server"].append(time.perf_counter() - started)
        runs["bare_sdk_server"].append(answered([sys.executable, "-c", BARE], env))
        runs["ours"].append(answered([EXE, "serve", "--sandbox-url", "http://127.0.0.1:9", *extra], env))
        runs["ours_sandbox"].append(answered([EXE, "serve", "--sandbox", *extra], env))
    ms = {name: round(statistics.median(times) * 1000, 1) for name, times in runs.items()}
    floor = ms["bare_sdk_server"]
    print(
        json.dumps(
            {
                "runs": args.runs,
                "tools": args.tools or "all groups",
                "median_ms": ms,
                "ours_over_floor_ms": round(ms["ours"] - floor, 1),
                "ours_vs_floor": round(ms["ours"] / floor, 2),
                "ours_sandbox_over_floor_ms": round(ms["ours_sandbox"] - floor, 1),
                "target": "ours_over_floor_ms <= 150 (the floor: a bare SDK server's initialize answer)",
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
