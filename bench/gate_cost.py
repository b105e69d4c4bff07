"""The gate's own cost: hold a write (pending action) and confirm it, without any Google call.

    python bench/gate_cost.py [--n 2000] [--cluster]

Measures `Gate.hold` + `Gate.confirm` with a plan whose call returns at once, on the in-process
store and on a private redis-server started for the run. With --cluster, also on a private Redis Cluster
(three masters, three replicas, deploy/redis_cluster.py): with the claim made durable on a replica (WAIT 1,
the default) and without (GOOGLE_MCP_REDIS_CLAIM_WAIT=0). Prints p50/p99 in milliseconds as JSON.
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
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
    parser.add_argument("--cluster", action="store_true", help="also on a Redis Cluster, with and without WAIT")
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
    if args.cluster:
        out.update(on_cluster(args.n))
    print(json.dumps(out, indent=2))


def on_cluster(n: int) -> dict[str, Any]:
    sys.path.insert(0, str(Path(__file__).parent.parent / "deploy"))
    from redis_cluster import RedisCluster

    with tempfile.TemporaryDirectory() as tmp, RedisCluster(Path(tmp)) as cluster:
        out: dict[str, Any] = {}
        for name, wait in (("cluster", 1.0), ("cluster_no_wait", 0.0)):
            settings = Settings(_env_file=None, redis_url=cluster.url, redis_claim_wait=wait)  # type: ignore[arg-type]
            out[name] = anyio.run(measure, settings, n)
        out["wait_p50_ms"] = round(out["cluster"]["p50_ms"] - out["cluster_no_wait"]["p50_ms"], 3)
        return out


if __name__ == "__main__":
    main()
