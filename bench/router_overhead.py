"""The router's own overhead per request, excluding the model's latency.

    python bench/router_overhead.py [--n 50]

A local Gemini stand-in answers at once; the time it spends handling each generateContent is
subtracted, so what remains is google-mcp's work: building declarations and the system
instruction, google-genai's request and parsing, conversation storage, and (in the second case)
validating and running one read tool against the sandbox.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio
from mcp import Client

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from gemini_standin import GeminiStandIn, call, function_responses, text
from google_mcp.sandbox import SandboxThread
from google_mcp.server import build_server
from google_mcp.settings import Settings


class Timed:
    def __init__(self, script: Any) -> None:
        self.script = script
        self.spent = 0.0

    def __call__(self, body: dict[str, Any], n: int) -> Any:
        started = time.perf_counter()
        out = self.script(body, n)
        self.spent += time.perf_counter() - started
        return out


def one_step(body: dict[str, Any], n: int) -> Any:
    return text("Nothing to do.")


def two_steps(body: dict[str, Any], n: int) -> Any:
    return text("Done.") if function_responses(body) else call("gmail_list_labels", {})


async def measure(sandbox_url: str, script: Any, n: int) -> dict[str, float]:
    timed = Timed(script)
    with GeminiStandIn(timed) as gemini, tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            _env_file=None,
            sandbox_url=sandbox_url,
            gemini_api_key="k",  # type: ignore[arg-type]
            gemini_base_url=gemini.url,
            download_dir=Path(tmp),
        )
        async with Client(build_server(settings), mode="legacy") as client:
            await client.call_tool("ask", {"request": "warm up"})
            totals, model = [], []
            for _ in range(n):
                timed.spent = 0.0
                started = time.perf_counter()
                result = await client.call_tool("ask", {"request": "what now?"})
                totals.append(time.perf_counter() - started)
                model.append(timed.spent)
                assert not result.is_error
    overhead = sorted(t - m for t, m in zip(totals, model, strict=True))
    return {
        "n": n,
        "total_p50_ms": round(statistics.median(totals) * 1000, 2),
        "overhead_p50_ms": round(overhead[n // 2] * 1000, 2),
        "overhead_p95_ms": round(overhead[int(n * 0.95)] * 1000, 2),
    }


async def main(n: int) -> None:
    with SandboxThread() as sb:
        out = {
            "one model step (text answer)": await measure(sb.url, one_step, n),
            "two model steps (one read tool, then answer)": await measure(sb.url, two_steps, n),
        }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=50)
    anyio.run(main, parser.parse_args().n)
