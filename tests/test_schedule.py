"""The schedule's core: approved actions that run later, exactly once, across processes and restarts.

Time is a clock the test holds (in-process) or a file it writes (the worker processes): nothing sleeps
for the due time. Each store is tested: Redis, a Redis Cluster, and the embedded SQLite file."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import pytest

from google_mcp.errors import TargetChanged
from google_mcp.schedule import LATE, LEASE, Scheduled, Scheduler, ScheduleStore, State
from google_mcp.schedule_local import LocalSchedule
from google_mcp.schedule_redis import RedisSchedule
from redis_server import RedisServer

pytestmark = pytest.mark.anyio
WORKER = str(Path(__file__).parent / "schedule_worker.py")
T0 = 1_900_000_000.0


class Clock:
    def __init__(self, now: float = T0) -> None:
        self.value = now

    def now(self) -> float:
        return self.value


class Recorder:
    """What the schedule did: each run, and each outcome it reported."""

    def __init__(self, fail: Exception | None = None) -> None:
        self.runs: list[str] = []
        self.outcomes: list[tuple[str, State, float]] = []
        self.given_back: list[str] = []
        self.fail = fail

    async def run(self, item: Scheduled) -> dict[str, Any]:
        self.runs.append(item.id)
        if self.fail is not None:
            raise self.fail
        return {"id": item.id}

    async def ended(self, item: Scheduled, state: State, detail: str | None, late: float) -> None:
        self.outcomes.append((item.id, state, late))

    async def returned(self, item: Scheduled, late: float) -> None:
        self.given_back.append(item.id)


def item(item_id: str, due: float, owner: str = "ana@example.com") -> Scheduled:
    return Scheduled(
        id=item_id, owner=owner, due=due, tool="gmail_send", op={"raw": item_id}, preview={}, parameters={}
    )


@pytest.fixture(params=["redis", "cluster", "local"])
def store_spec(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "local":
        return str(tmp_path / "schedule.sqlite3")
    return str(request.getfixturevalue("redis_url" if request.param == "redis" else "redis_cluster_url"))


def open_store(spec: str) -> ScheduleStore:
    return RedisSchedule(spec) if "://" in spec else LocalSchedule(Path(spec))


@pytest.fixture
async def store(store_spec: str) -> AsyncIterator[ScheduleStore]:
    opened = open_store(store_spec)
    yield opened
    await opened.close()


async def one_pass(scheduler: Scheduler) -> int:
    """Claim what is due and wait for every claimed action to end."""
    async with anyio.create_task_group() as tg:
        return await scheduler.pass_once(tg)


async def test_a_scheduled_action_runs_once_at_its_time_and_not_before(store: ScheduleStore) -> None:
    clock, seen = Clock(), Recorder()
    scheduler = Scheduler(store, seen, clock)
    await store.add(item("a1", T0 + 60))
    assert await one_pass(scheduler) == 0
    clock.value = T0 + 59.9
    assert await one_pass(scheduler) == 0
    assert (await store.claim("ana@example.com", "a1", T0 + 59.9, LEASE))[0] == 0  # not even asked directly
    assert seen.runs == []
    clock.value = T0 + 60
    assert await one_pass(scheduler) == 1
    clock.value = T0 + 60 + 3 * LEASE  # long after: nothing left to claim, not even a lapsed lease
    assert await one_pass(scheduler) == 0
    assert seen.runs == ["a1"]
    assert seen.outcomes == [("a1", "sent", 0.0)]
    found = await store.get("ana@example.com", "a1")
    assert found is not None and found.state == "sent" and found.result == {"id": "a1"}
    assert await store.listed("ana@example.com") == []


async def test_two_schedulers_racing_on_one_store_run_each_action_once(store_spec: str) -> None:
    clock = Clock()
    first, second = open_store(store_spec), open_store(store_spec)
    seen_a, seen_b = Recorder(), Recorder()
    try:
        for n in range(120):
            await first.add(item(f"r{n}", T0 + n % 7, owner=f"p{n % 5}@example.com"))
        clock.value = T0 + 10
        a = Scheduler(first, seen_a, clock, batch=16)
        b = Scheduler(second, seen_b, clock, batch=16)
        for _ in range(20):
            async with anyio.create_task_group() as tg:
                tg.start_soon(one_pass, a)
                tg.start_soon(one_pass, b)
    finally:
        await first.close()
        await second.close()
    runs = seen_a.runs + seen_b.runs
    assert sorted(runs) == sorted(f"r{n}" for n in range(120))
    assert seen_a.runs and seen_b.runs  # both took a share


async def test_a_stale_token_can_neither_start_nor_finish_the_send(store: ScheduleStore) -> None:
    owner = "ana@example.com"
    await store.add(item("s1", T0))
    first = (await store.claim(owner, "s1", T0, LEASE))[0]
    assert first > 0
    assert (await store.claim(owner, "s1", T0 + 1, LEASE))[0] == 0  # the lease lives: not claimable
    second = (await store.claim(owner, "s1", T0 + LEASE + 1, LEASE))[0]  # the first claimer went quiet
    assert second > first
    assert not await store.sending(owner, "s1", first, T0 + LEASE + 2, LEASE)
    assert not await store.renew(owner, "s1", first, T0 + LEASE + 2, LEASE)
    assert await store.sending(owner, "s1", second, T0 + LEASE + 2, LEASE)
    assert not await store.finish(owner, "s1", first, "sent", None, None)
    assert await store.finish(owner, "s1", second, "sent", {"id": "x"}, None)
    found = await store.get(owner, "s1")
    assert found is not None and found.state == "sent"


async def test_cancel_stops_it_until_the_send_starts_then_says_it_is_sent(store: ScheduleStore) -> None:
    owner = "ana@example.com"
    await store.add(item("c1", T0 + 10))
    await store.add(item("c2", T0 + 10))
    assert [s.id for s in await store.listed(owner)] == ["c1", "c2"]
    assert await store.cancel(owner, "c1") == "cancelled"
    token = (await store.claim(owner, "c2", T0 + 10, LEASE))[0]
    assert await store.cancel(owner, "c2") == "cancelled"  # claimed, not yet sending: still stoppable
    assert not await store.sending(owner, "c2", token, T0 + 10, LEASE)
    await store.add(item("c3", T0 + 10))
    token = (await store.claim(owner, "c3", T0 + 10, LEASE))[0]
    assert await store.sending(owner, "c3", token, T0 + 10, LEASE)
    assert await store.cancel(owner, "c3") == "sending"
    assert await store.finish(owner, "c3", token, "sent", None, None)
    assert await store.cancel(owner, "c3") == "sent"
    assert await store.cancel(owner, "nope") is None
    assert await store.listed(owner) == []


async def test_a_cancel_after_the_claim_but_before_the_send_stops_it(store: ScheduleStore) -> None:
    class CancelsTheOther(Recorder):
        async def run(self, item: Scheduled) -> dict[str, Any]:
            other = "u2" if item.id == "u1" else "u1"
            assert await store.cancel(item.owner, other) == "cancelled"  # claimed in the same batch, not started
            return await super().run(item)

    seen = CancelsTheOther()
    await store.add(item("u1", T0))
    await store.add(item("u2", T0))
    assert await one_pass(Scheduler(store, seen, Clock(), concurrency=1)) == 2  # both claimed; one runs at a time
    assert len(seen.runs) == 1 and [s for _, s, _ in seen.outcomes] == ["sent"]
    states = {i: s.state for i in ("u1", "u2") if (s := await store.get("ana@example.com", i))}
    assert sorted(states.values()) == ["cancelled", "sent"]


async def test_due_within_the_grace_goes_sent_late_and_past_it_comes_back(store: ScheduleStore) -> None:
    clock, seen = Clock(), Recorder()
    scheduler = Scheduler(store, seen, clock, grace=600)
    await store.add(item("g1", T0))
    await store.add(item("g2", T0 + 500))
    await store.add(item("g3", T0 + 1000 - LATE / 2))
    clock.value = T0 + 1000  # g1: 1000 s late (past the grace), g2: 500 s (within), g3: on time
    await one_pass(scheduler)
    assert seen.given_back == ["g1"]
    assert sorted(seen.runs) == ["g2", "g3"]
    assert sorted((i, state) for i, state, _ in seen.outcomes) == [("g2", "sent_late"), ("g3", "sent")]
    found = await store.get("ana@example.com", "g1")
    assert found is not None and found.state == "returned"


async def test_a_changed_target_ends_stale_and_nothing_is_reported_sent(store: ScheduleStore) -> None:
    clock, seen = Clock(), Recorder(fail=TargetChanged("The thread gained a message; nothing was done."))
    await store.add(item("t1", T0))
    await one_pass(Scheduler(store, seen, clock))
    assert seen.outcomes == [("t1", "stale", 0.0)]
    found = await store.get("ana@example.com", "t1")
    assert found is not None and found.state == "stale" and "gained a message" in (found.error or "")


def worker(spec: str, clock: Path, log: Path, *flags: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent)}
    proc = subprocess.Popen(
        [sys.executable, WORKER, spec, str(clock), str(log), *flags], stdout=subprocess.PIPE, text=True, env=env
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    return proc


def stop(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    assert proc.stdout is not None
    proc.stdout.close()


def lines(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


def wait_for(log: Path, done: Any, what: str, seconds: float = 15) -> list[str]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = lines(log)
        if done(found):
            return found
        time.sleep(0.02)  # polling a file another process appends to
    raise AssertionError(f"{what}: {lines(log)}")


@pytest.fixture(params=["redis", "local"])
def process_store(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "local":
        return str(tmp_path / "schedule.sqlite3")
    return str(request.getfixturevalue("redis_url"))


async def test_kill_9_before_the_send_leaves_it_to_another_process_and_during_it_leaves_it_unknown(
    process_store: str, tmp_path: Path
) -> None:
    store_spec = process_store
    clock, log = tmp_path / "clock", tmp_path / "sends.log"
    clock.write_text(repr(T0))
    store = open_store(store_spec)
    ids = [f"k{n}" for n in range(4)]
    try:
        for i in ids:
            await store.add(item(i, T0 + 5))
        first = worker(store_spec, clock, log, "--block-first")
        try:
            clock.write_text(repr(T0 + 5))
            # it claims the batch and sends one at a time: the first send never returns
            started = wait_for(log, lambda ls: any(x.startswith("start") for x in ls), "the first send began")
        finally:
            stop(first)  # kill -9: mid-send for one, before the send for the three it had claimed
        in_flight = started[0].split()[1]
        claimed = [await store.get("ana@example.com", i) for i in ids]
        assert sorted(s.state for s in claimed if s) == ["claimed", "claimed", "claimed", "sending"]
        second = worker(store_spec, clock, log)
        try:
            clock.write_text(repr(T0 + 5 + LEASE + 1))  # the dead process's leases lapse
            wait_for(log, lambda ls: sum(x.startswith("ended") for x in ls) == 4, "every action ended")
        finally:
            stop(second)
        states = {i: s.state for i in ids if (s := await store.get("ana@example.com", i))}
    finally:
        await store.close()
    found = lines(log)
    assert [x for x in found if x.startswith("start")].count(f"start {in_flight} {first.pid}") == 1
    assert not any(x.startswith(f"start {in_flight} {second.pid}") for x in found)  # never re-run
    assert states.pop(in_flight) == "unknown"
    assert set(states.values()) == {"sent_late"}  # LEASE + 1 s after their time
    for other in states:  # each of the others sent exactly once, by the second process
        assert [x for x in found if x.startswith(f"sent {other} ")] == [f"sent {other} {second.pid}"]


async def test_a_store_that_fails_mid_send_leaves_the_action_to_its_lease_and_the_scheduler_running(
    tmp_path: Path,
) -> None:
    server = RedisServer(tmp_path)
    server.start()
    store = RedisSchedule(server.url)

    class StopsRedis(Recorder):
        async def run(self, item: Scheduled) -> dict[str, Any]:
            assert server.proc is not None
            server.proc.kill()  # Redis is gone once the send went: its outcome cannot be written
            server.proc.wait(10)
            return await super().run(item)

    seen = StopsRedis()
    try:
        await store.add(item("f1", T0))
        scheduler = Scheduler(store, seen, Clock())
        assert await one_pass(scheduler) == 1  # ends quietly: no error escapes to the server
        assert seen.runs == ["f1"] and seen.outcomes == [] and scheduler.held == {}
    finally:
        await store.close()
        if server.proc is not None and server.proc.poll() is None:
            server.proc.kill()
            server.proc.wait(10)


async def test_a_scheduler_that_stops_gives_back_what_it_claimed_and_did_not_start(store: ScheduleStore) -> None:
    started = anyio.Event()

    class Blocks(Recorder):
        async def run(self, item: Scheduled) -> dict[str, Any]:
            self.runs.append(item.id)
            started.set()
            await anyio.sleep_forever()
            raise AssertionError("never")

    clock, blocked = Clock(), Blocks()
    for n in range(3):
        await store.add(item(f"b{n}", T0))
    async with anyio.create_task_group() as tg:
        await tg.start(Scheduler(store, blocked, clock, concurrency=1).serve)
        await started.wait()
        tg.cancel_scope.cancel()  # the server stops (SIGTERM, drain): one is mid-send, two wait their turn
    states = {f"b{n}": s.state for n in range(3) if (s := await store.get("ana@example.com", f"b{n}"))}
    assert states.pop(blocked.runs[0]) == "sending"  # may have gone: never given back, never re-run
    assert set(states.values()) == {"scheduled"}
    other = Recorder()
    await one_pass(Scheduler(store, other, clock))  # another process, at once: no lease to wait out
    assert sorted(other.runs) == sorted(states)
