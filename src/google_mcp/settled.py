"""An action's lease while it is carried out, and what a confirmation (or a cancel) that did not claim it
answers: how it ended.

Of several confirmations racing on one action, one claims and executes it; the others find it executing.
They wait, bounded, for its outcome and report that, so a model is told "done" (or why not) rather than
"it may or may not have happened". Past the wait, the answer is that it is being carried out now. An
action whose executing confirmation stopped renewing its lease (its process died) is `unknown`: it may
have reached Google, and it is never run again by itself.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable
from typing import Any, Literal, TypeVar

import anyio

from google_mcp.models import Preview, WriteOutcome
from google_mcp.pending import LEASE, PendingRecord, PendingStore, StoreUnavailable

log = logging.getLogger(__name__)
T = TypeVar("T")

CHECK = "Check Gmail, Calendar, Docs, Slack or the texts sent before asking again; it is never re-run by itself."


async def leased(store: PendingStore, record: PendingRecord, work: Awaitable[T]) -> T:
    """Carry out an approved write while renewing its claim's lease: a confirmation racing this one
    waits for the outcome while the lease lives, and reports `unknown` once it lapses (this process died)."""

    async def renew() -> None:
        while True:
            await anyio.sleep(LEASE / 5)
            try:
                await store.renew(record.session_id, record.user_id)
            except StoreUnavailable as exc:
                log.warning("gate: the lease of %s was not renewed: %s", record.session_id, exc)

    failure: Exception | None = None
    async with anyio.create_task_group() as tg:
        tg.start_soon(renew)
        try:
            result = await work
        except Exception as exc:  # raised below, outside the task group that would wrap it in a group
            failure = exc
        finally:
            tg.cancel_scope.cancel()
    if failure is not None:
        raise failure
    return result


async def outcome_of(store: PendingStore, record: PendingRecord, wait: float) -> tuple[PendingRecord, bool]:
    """The record once it is no longer executing, or as it is after `wait` seconds; and whether it is
    still being carried out (its lease alive) then. Polled with backoff: a send takes a second or so."""
    deadline, pause = time.monotonic() + wait, 0.01
    while record.status == "executing":
        if not await store.running(record.session_id, record.user_id):
            # the lease ends when the outcome is written, too: only a record still executing was interrupted
            again = await store.get(record.session_id, record.user_id)
            return (again or record), False
        left = deadline - time.monotonic()
        if left <= 0:
            return record, True
        await anyio.sleep(min(pause, left))
        pause = min(pause * 2, 0.5)
        record = await store.get(record.session_id, record.user_id) or record
    return record, False


def settled(record: PendingRecord, running: bool, asked: Literal["confirm", "cancel"] = "confirm") -> WriteOutcome:
    cid = record.session_id
    common: dict[str, Any] = {"tool": record.tool, "preview": Preview(**record.preview), "confirmation_id": cid}
    if record.status == "done":
        said = "it was not run again" if asked == "confirm" else "it is too late to cancel it"
        return WriteOutcome(
            status="done",
            message=f"Already done by the confirmation that ran it; {said}.",
            result=record.result,
            **common,
        )
    if record.status == "scheduled":  # approved and held for later (later.py): the schedule says what became of it
        when = (record.result or {}).get("goes_at", "its time")
        return WriteOutcome(
            status="scheduled",
            message=f"Already approved: it goes at {when}. cancel_action(confirmation_id='{cid}') stops it until then.",
            **common,
        )
    if record.status in ("failed", "stale"):
        return WriteOutcome(
            status="failed", message=f"It did not run earlier and is not retried: {record.error}", **common
        )
    if record.status in ("cancelled", "declined"):
        return WriteOutcome(
            status="cancelled",
            message="It was cancelled; nothing was done. Call the tool again if the person still wants it.",
            **common,
        )
    if record.status == "awaiting_confirmation":  # the one that claimed it released it: nothing went out
        again = (
            f"confirm_action(confirmation_id='{cid}') tries it again"
            if record.kind == "pending"
            else "call the tool again to ask the person again"
        )
        return WriteOutcome(
            status="failed",
            message=f"The confirmation that tried it could not carry it out and nothing was done; {again}.",
            **common,
        )
    if record.status == "executing" and running:
        later = (
            f"confirm_action(confirmation_id='{cid}') later reports how it ended"
            if record.kind == "pending"
            else "activity_log shows how it ended"
        )
        now = "It is being carried out right now by the confirmation that started it"
        if asked == "cancel":
            message = f"{now}, so it can no longer be cancelled; {later}."
        else:
            message = (
                f"{now}; this one did not run it again. Do not call the tool again: {later} (it never runs twice)."
            )
        return WriteOutcome(status="executing", message=message, **common)
    if record.status == "executing":
        why = "It was interrupted while executing (the server carrying it out stopped): its outcome is unknown."
    else:
        why = record.error or "Its outcome is unknown."
    return WriteOutcome(status="unknown", message=f"{why} {CHECK}", **common)
