"""A process that runs the schedule against a shared store, for tests that kill it: its clock is a file the
test writes, its "send" appends to a log (one line per attempt, fsynced before it returns), and with
--block-first the first action it sends never returns (so the test can kill it mid-send).

    python schedule_worker.py STORE CLOCK_FILE LOG_FILE [--block-first]

STORE: a redis:// URL, or the path of the embedded schedule's SQLite file."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import anyio

from google_mcp.schedule import Scheduled, Scheduler, ScheduleStore, State
from google_mcp.schedule_local import LocalSchedule
from google_mcp.schedule_redis import RedisSchedule


class FileClock:
    def __init__(self, path: Path) -> None:
        self.path = path

    def now(self) -> float:
        return float(self.path.read_text())


class Logged:
    def __init__(self, log: Path, block_first: bool) -> None:
        self.log, self.block = log, block_first

    def write(self, line: str) -> None:
        with self.log.open("a") as out:
            out.write(line + "\n")
            out.flush()
            os.fsync(out.fileno())

    async def run(self, item: Scheduled) -> dict[str, Any]:
        self.write(f"start {item.id} {os.getpid()}")
        if self.block:
            self.block = False
            await anyio.sleep_forever()
        self.write(f"sent {item.id} {os.getpid()}")
        return {"id": item.id}

    async def ended(self, item: Scheduled, state: State, detail: str | None, late: float) -> None:
        self.write(f"ended {item.id} {state}")

    async def returned(self, item: Scheduled, late: float) -> None:
        self.write(f"returned {item.id}")


async def main() -> None:
    spec, clock, log = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    store: ScheduleStore = RedisSchedule(spec) if "://" in spec else LocalSchedule(Path(spec))
    scheduler = Scheduler(store, Logged(log, "--block-first" in sys.argv), FileClock(clock), concurrency=1, tick=0.05)
    async with anyio.create_task_group() as tg:
        await tg.start(scheduler.serve)
        print("ready", flush=True)


if __name__ == "__main__":
    anyio.run(main)
