"""The schedule: approved actions that run later (send later, the undo window), exactly once.

An approved action's frozen op is stored with its due time, in Redis (schedule_redis.py, shared by every
process) or in a SQLite file on one machine (schedule_local.py). Every process runs a `Scheduler`; of
several, one runs each due action:

- a due action is *claimed* with a lease and a fencing token (the claim counter). Claims are taken a
  batch at a time; an action claimed but not yet started belongs to its claimer only while the lease lives,
  so a process killed before the send leaves it to another (which claims it again, with a new token);
- before the op runs, the holder of the current token moves it to *sending* (refused to a stale token,
  or after a cancel): from then on it is never run again. A process killed while sending leaves it
  `unknown` once its lease lapses — the gate's rule for an interrupted confirmation;
- every time is read from one `Clock` (due times, leases, lateness), which the tests control.

An action found due later than `grace` seconds (no process ran at its time: a desktop that was off) is not
sent: it goes back to the person as a pending action to approve again. Within the grace, and more than
`LATE` seconds after its time, it is sent and recorded "sent late".
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, get_args

import anyio

from google_mcp.errors import GoogleMCPError, NotSent, OutcomeUnknown, TargetChanged

log = logging.getLogger(__name__)

State = Literal[
    "scheduled", "claimed", "sending", "sent", "sent_late", "failed", "unknown", "cancelled", "stale", "returned"
]
STATES: tuple[State, ...] = get_args(State)
OPEN: tuple[State, ...] = ("scheduled", "claimed")  # not started: cancel_action still stops it
LEASE = 10.0  # seconds (on the schedule's clock) a claim lives without a renewal
LATE = 5.0  # sent this long after its time or more: recorded "sent late"
KEEP = 7 * 24 * 3600  # an ended action is kept this long, so a late cancel can be told what happened


def as_state(value: str) -> State:
    if value not in STATES:
        raise ValueError(f"not a schedule state: {value!r}")
    return value


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch."""
        ...


class SystemClock:
    def now(self) -> float:
        return time.time()


@dataclass
class Scheduled:
    """One approved action waiting for its time (or what became of it)."""

    id: str  # the confirmation id the person approved
    owner: str
    due: float
    tool: str
    op: dict[str, Any]
    preview: dict[str, Any]
    parameters: dict[str, Any]
    why: Literal["send_at", "undo"] = "send_at"
    conversation: str | None = None
    state: State = "scheduled"
    token: int = 0
    lease: float = 0.0
    result: dict[str, Any] | None = None
    error: str | None = None
    ran_at: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def body(self) -> str:
        return json.dumps(
            {
                "tool": self.tool,
                "op": self.op,
                "preview": self.preview,
                "parameters": self.parameters,
                "why": self.why,
                "conversation": self.conversation,
            }
        )

    @classmethod
    def load(cls, row: dict[str, str]) -> Scheduled:
        body = json.loads(row["body"])
        return cls(
            id=row["id"],
            owner=row["owner"],
            due=float(row["due"]),
            tool=body["tool"],
            op=body["op"],
            preview=body["preview"],
            parameters=body["parameters"],
            why="undo" if body.get("why") == "undo" else "send_at",
            conversation=body.get("conversation"),
            state=as_state(row["state"]),
            token=int(row.get("token") or 0),
            lease=float(row.get("lease") or 0),
            result=json.loads(row.get("result") or "null"),
            error=row.get("error") or None,
            ran_at=float(row["ran_at"]) if row.get("ran_at") else None,
        )


class ScheduleStore(Protocol):
    async def add(self, item: Scheduled) -> None: ...
    async def get(self, owner: str, item_id: str) -> Scheduled | None: ...
    async def due(self, now: float, limit: int) -> list[tuple[str, str]]:
        """(owner, id) of actions that may be claimable now: due and not claimed, or with a lapsed lease."""
        ...

    async def claim(self, owner: str, item_id: str, now: float, lease: float) -> tuple[int, Scheduled | None]:
        """The new fencing token (> 0) and the action as claimed, or 0 if it is not claimable. A `sending`
        one whose lease lapsed becomes `unknown` here (-1, with the action)."""
        ...

    async def sending(self, owner: str, item_id: str, token: int, now: float, lease: float) -> bool:
        """Claimed with this token, and so not cancelled nor claimed again: now it is being sent."""
        ...

    async def renew(self, owner: str, item_id: str, token: int, now: float, lease: float) -> bool: ...
    async def release(self, owner: str, item_id: str, token: int) -> bool:
        """Give back a claim that has not started sending (the process is stopping): due again at once."""
        ...

    async def finish(
        self, owner: str, item_id: str, token: int, state: State, result: dict[str, Any] | None, error: str | None
    ) -> bool: ...
    async def cancel(self, owner: str, item_id: str) -> State | None:
        """Cancel if not started: "cancelled"; otherwise its state (None: no such action)."""
        ...

    async def listed(self, owner: str) -> list[Scheduled]:
        """The owner's actions that have not started, by due time."""
        ...

    async def close(self) -> None: ...


class Outcome(Protocol):
    """How the scheduler tells the rest of the product what happened (the record, the pending store)."""

    async def run(self, item: Scheduled) -> dict[str, Any]:
        """Carry out the frozen op; raises the gate's errors (TargetChanged, OutcomeUnknown, …)."""
        ...

    async def ended(self, item: Scheduled, state: State, detail: str | None, late: float) -> None: ...
    async def returned(self, item: Scheduled, late: float) -> None:
        """Past the grace period: hand it back to the person to approve again."""
        ...


@dataclass
class Held:
    """An action this scheduler claimed and has not finished."""

    item: Scheduled
    token: int
    claimed_at: float


class Scheduler:
    """Claims due actions in batches and runs them, `concurrency` at once, renewing their leases."""

    def __init__(
        self,
        store: ScheduleStore,
        outcome: Outcome,
        clock: Clock | None = None,
        *,
        grace: float = 3600.0,
        lease: float = LEASE,
        batch: int = 64,
        concurrency: int = 16,
        tick: float = 0.2,
    ) -> None:
        self.store, self.outcome = store, outcome
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.grace, self.lease, self.batch, self.tick = grace, lease, batch, tick
        self.limit = anyio.CapacityLimiter(concurrency)
        self.held: dict[tuple[str, str], Held] = {}
        self.lateness: list[float] = []  # seconds past due, of each action this scheduler ran

    async def serve(self, *, task_status: Any = anyio.TASK_STATUS_IGNORED) -> None:
        async with anyio.create_task_group() as tg:
            tg.start_soon(self._renewing)
            task_status.started()
            while True:
                try:
                    started = await self.pass_once(tg)
                except GoogleMCPError as exc:  # the store is unreachable: try again on the next tick
                    log.warning("schedule: %s", exc)
                    started = 0
                if started < self.batch:
                    await anyio.sleep(self.tick)

    async def give_back(self, held: Held) -> None:
        """Stopping: a claim that has not started sending goes back, for another process to send now (one
        already sending is not: the store refuses, and it ends `unknown` when its lease lapses)."""
        try:
            await self.store.release(held.item.owner, held.item.id, held.token)
        except GoogleMCPError as exc:
            log.warning("schedule: %s left to its lease: %s", held.item.id, exc)

    async def pass_once(self, tg: Any) -> int:
        """Claim what is due now and start each (in `tg`); how many were claimed."""
        now = self.clock.now()
        claimed: list[Held] = []
        for owner, item_id in await self.store.due(now, self.batch):
            if (owner, item_id) in self.held:
                continue
            token, item = await self.store.claim(owner, item_id, now, self.lease)
            if item is None:
                continue
            if token < 0:  # interrupted while sending
                await self.outcome.ended(item, "unknown", item.error, 0.0)
                continue
            self.held[(owner, item_id)] = Held(item, token, now)
            claimed.append(self.held[(owner, item_id)])
        for held in claimed:  # the whole batch is claimed before any of it starts
            tg.start_soon(self._run, held)
        return len(claimed)

    async def _renewing(self) -> None:
        while True:
            await anyio.sleep(self.lease / 5)  # real seconds: the clock may be a test's, standing still
            for key, held in list(self.held.items()):
                try:
                    ok = await self.store.renew(*key, held.token, self.clock.now(), self.lease)
                except GoogleMCPError as exc:
                    log.warning("schedule: the lease of %s was not renewed: %s", key[1], exc)
                    continue
                if not ok:  # cancelled, or claimed again after our lease lapsed: not ours to run
                    log.info("schedule: %s is no longer held here", key[1])

    async def _run(self, held: Held) -> None:
        item, token = held.item, held.token
        try:
            async with self.limit:
                await self._send(item, token)
        except GoogleMCPError as exc:  # the store failed us: the lease lapses, and the rule for that applies
            log.error("schedule: %s left to its lease: %s", item.id, exc)
        except anyio.get_cancelled_exc_class():  # stopping: not started, it goes back for another process now
            with anyio.CancelScope(shield=True):
                await self.give_back(held)
            raise
        finally:
            self.held.pop((item.owner, item.id), None)

    async def _send(self, item: Scheduled, token: int) -> None:
        key = (item.owner, item.id)
        now = self.clock.now()
        late = max(0.0, now - item.due)
        if late > self.grace:
            if await self.store.finish(*key, token, "returned", None, f"{late:.0f} s late"):
                await self.outcome.returned(item, late)
            return
        if not await self.store.sending(*key, token, now, self.lease):
            return  # cancelled at the last moment, or another process holds it now
        state: State = "sent_late" if late >= LATE else "sent"
        result: dict[str, Any] | None = None
        error: str | None = None
        try:
            result = await self.outcome.run(item)
        except TargetChanged as exc:
            state, error = "stale", str(exc)
        except NotSent as exc:  # nothing left this machine; the person is told and may approve again
            state, error = "failed", str(exc)
        except OutcomeUnknown as exc:
            state, error = "unknown", str(exc)
        except GoogleMCPError as exc:
            state, error = "failed", str(exc)
        self.lateness.append(late)
        with anyio.CancelScope(shield=True):
            if await self.store.finish(*key, token, state, result, error):
                await self.outcome.ended(item, state, error, late)
