"""The schedule under load: N held sends due within a window, run by two processes sharing one Redis.

    python bench/schedule.py [--n 10000] [--window 60] [--owners 100]

Starts a private redis-server, stores N actions due evenly over the window (starting a few seconds out),
and runs two worker processes (this file with --worker), each a `Scheduler` whose send only notes the time.
Reports whether every action was sent exactly once, lateness (send time minus due time) p50/p99/max in
milliseconds, and Redis commands per action (INFO's total_commands_processed, adding included, over N).
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import anyio
import redis

from google_mcp.schedule import Scheduled, Scheduler, State
from google_mcp.schedule_redis import RedisSchedule

LEAD = 3.0  # seconds before the first is due: the workers start meanwhile


class Noted:
    """A send that notes when it ran (each worker writes its notes at the end)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, float]] = []

    async def run(self, item: Scheduled) -> dict[str, Any]:
        self.sent.append((item.id, time.time() - item.due))
        return {"id": item.id}

    async def ended(self, item: Scheduled, state: State, detail: str | None, late: float) -> None:
        return None

    async def returned(self, item: Scheduled, late: float) -> None:
        raise AssertionError(f"{item.id} came back {late:.1f} s late")


async def worker(url: str, out: Path) -> None:
    noted = Noted()
    store = RedisSchedule(url)
    scheduler = Scheduler(store, noted, batch=256, concurrency=64, tick=0.1)
    stop = anyio.Event()
    token = anyio.lowlevel.current_token()
    # the parent closes stdin when every action has ended
    threading.Thread(target=lambda: (sys.stdin.read(), anyio.from_thread.run_sync(stop.set, token=token))).start()
    async with anyio.create_task_group() as tg:
        await tg.start(scheduler.serve)
        await stop.wait()
        tg.cancel_scope.cancel()
    await store.close()
    out.write_text(json.dumps({"sent": noted.sent, "ops": store.ops}))


async def fill(url: str, n: int, window: float, owners: int) -> tuple[float, int]:
    store = RedisSchedule(url)
    start = time.time() + LEAD
    for i in range(n):
        due = start + window * i / n
        owner = f"p{i % owners}@example.com"
        await store.add(
            Scheduled(id=f"a{i}", owner=owner, due=due, tool="gmail_send", op={}, preview={}, parameters={})
        )
    await store.close()
    return start, store.ops


def run(n: int, window: float, owners: int) -> dict[str, Any]:
    exe = shutil.which("redis-server")
    if exe is None:
        return {"error": "redis-server not installed"}
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"redis://127.0.0.1:{port}/0"
    with tempfile.TemporaryDirectory() as tmp:
        server = subprocess.Popen(
            [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", tmp],
            stdout=subprocess.DEVNULL,
        )
        try:
            client = redis.Redis(port=port)
            for _ in range(200):
                try:
                    client.ping()
                    break
                except redis.ConnectionError:
                    time.sleep(0.02)  # a process we just started; nothing to wait on but its port
            before = int(client.info("stats")["total_commands_processed"])
            outs = [Path(tmp) / f"w{k}.json" for k in range(2)]
            workers = [
                subprocess.Popen([sys.executable, __file__, "--worker", url, str(o)], stdin=subprocess.PIPE)
                for o in outs
            ]
            start, added = anyio.run(fill, url, n, window, owners)
            deadline = start + window + 120
            keys = [f"google_mcp:scheduled:{{p{i}@example.com}}" for i in range(owners)]
            while time.time() < deadline and sum(int(client.zcard(k)) for k in keys) > 0:
                time.sleep(0.2)  # polling the index as the workers empty it
            after = int(client.info("stats")["total_commands_processed"])
            stats = client.info("commandstats")
            ours = sum(int(stats.get(f"cmdstat_{c}", {}).get("calls", 0)) for c in ("zcard", "info", "ping"))
            for w in workers:
                assert w.stdin is not None
                w.stdin.close()
                w.wait(30)
            client.close()
        finally:
            server.terminate()
            server.wait()
        results = [json.loads(o.read_text()) for o in outs]
        sent = [tuple(x) for r in results for x in r["sent"]]
        per = [len(r["sent"]) for r in results]
        sent_ops = added + sum(int(r["ops"]) for r in results)
    ids = [s[0] for s in sent]
    late = sorted(float(s[1]) for s in sent)
    return {
        "n": n,
        "window_s": window,
        "sent": len(ids),
        "sent_once_each": len(ids) == n and len(set(ids)) == n,
        "per_process": per,
        "lateness_p50_ms": round(late[len(late) // 2] * 1000, 1) if late else None,
        "lateness_p99_ms": round(late[int(len(late) * 0.99)] * 1000, 1) if late else None,
        "lateness_max_ms": round(late[-1] * 1000, 1) if late else None,
        # what the schedule sent (a script is one), and what Redis executed (a script's own commands included)
        "redis_commands_sent_per_action": round(sent_ops / n, 2),
        "redis_commands_executed_per_action": round((after - before - ours) / n, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--window", type=float, default=60.0)
    parser.add_argument("--owners", type=int, default=100)
    parser.add_argument("--worker", nargs=2, metavar=("URL", "OUT"))
    args = parser.parse_args()
    if args.worker:
        anyio.run(worker, args.worker[0], Path(args.worker[1]))
        return
    out = run(args.n, args.window, args.owners)
    print(json.dumps(out, indent=2))
    if not out.get("sent_once_each"):
        sys.exit(1)


if __name__ == "__main__":
    main()
