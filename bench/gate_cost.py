"""The gate's own cost: hold a write (pending action) and confirm it, without any Google call.

    python bench/gate_cost.py [--n 2000]

Measures `Gate.hold` + `Gate.confirm` with a plan whose call returns at once, on the in-process
store and on a private redis-server started for the run. Prints p50/p99 in milliseconds as JSON.
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import subprocess
import tempfile
import time
from typing import Any

import anyio

from google_mcp.gate import Gate, Plan
from google_mcp.models import Preview, Result
from google_mcp.settings import Settings
from google_mcp.state import AppState


class Sent(Result):
    id: str


async def measure(settings: Settings, n: int) -> dict[str, float]:
    gate = Gate(settings)
    state = AppState(settings=settings, gate=gate)

    async def builder(_: AppState, **args: Any) -> Plan:
        # a frozen operation the size of a short mail, as a real send stores it
        preview = Preview(action="Send an email", summary=args["subject"], details=["To: a@example.com"])
        return Plan(preview, {"raw": "x" * 1400, "thread_id": None, "subject": args["subject"]})

    async def execute(_: AppState, op: dict[str, Any]) -> Sent:
        return Sent(id="m1")

    gate.builders["gmail_send"] = builder
    gate.executors["gmail_send"] = execute
    samples = []
    for i in range(n):
        args = {"to": ["a@example.com"], "subject": f"s{i}", "body_text": "x"}
        started = time.perf_counter()
        plan = await builder(state, **args)
        held = await gate.hold("gmail_send", args, plan, principal="local:bench")
        assert held.confirmation_id is not None
        done = await gate.confirm(state, held.confirmation_id, "local:bench", via="model")
        samples.append(time.perf_counter() - started)
        assert done.status == "done", done
    await gate.close()
    samples.sort()
    return {"n": n, "p50_ms": round(samples[n // 2] * 1000, 3), "p99_ms": round(samples[int(n * 0.99)] * 1000, 3)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2000)
    args = parser.parse_args()
    import google_mcp.gate as gate_module

    gate_module.current_principal = lambda: "local:bench"  # the bench has no request context
    out: dict[str, Any] = {"memory": anyio.run(measure, Settings(_env_file=None), args.n)}
    exe = shutil.which("redis-server")
    if exe:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        with tempfile.TemporaryDirectory() as tmp:
            proc = subprocess.Popen(
                [exe, "--port", str(port), "--save", "", "--appendonly", "no", "--dir", tmp], stdout=subprocess.DEVNULL
            )
            try:
                for _ in range(200):
                    try:
                        socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                        break
                    except OSError:
                        time.sleep(0.02)
                settings = Settings(_env_file=None, redis_url=f"redis://127.0.0.1:{port}/0")  # type: ignore[arg-type]
                out["redis"] = anyio.run(measure, settings, args.n)
            finally:
                proc.terminate()
                proc.wait()
    else:
        out["redis"] = "redis-server not installed"
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
