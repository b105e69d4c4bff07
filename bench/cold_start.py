"""Cold start: process start to the `initialize` answer over stdio, beside a bare `import mcp.server`.

    python bench/cold_start.py [--runs 10] [--tools gmail,calendar]

Runs `google-mcp serve --sandbox` (no Google account; the sandbox seeds in the background).
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--tools", default="", help="tool groups, as serve --tools takes them (default: all)")
    args = parser.parse_args()
    extra = ["--tools", args.tools] if args.tools else []
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOOGLE_MCP_")}
    bare, cold = [], []
    for _ in range(args.runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import mcp.server"], check=True, env=env)
        bare.append(time.perf_counter() - started)
        server = StdioServer([EXE, "serve", "--sandbox", *extra], env)
        server.request(INIT)
        cold.append(time.perf_counter() - server.started)
        server.close()
    bare_ms = statistics.median(bare) * 1000
    cold_ms = statistics.median(cold) * 1000
    print(
        json.dumps(
            {
                "runs": args.runs,
                "tools": args.tools or "all groups",
                "import_mcp_server_median_ms": round(bare_ms, 1),
                "initialize_answer_median_ms": round(cold_ms, 1),
                "difference_ms": round(cold_ms - bare_ms, 1),
                "target": "difference <= 150 ms",
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
