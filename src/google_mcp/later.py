"""Send later and the undo window: an approved send held in the schedule (schedule.py) until its time.

The gate claims an approved action as always (exactly one confirmation wins); then, instead of running it,
`Later.defer` writes "scheduled" to the record (write-ahead, as the gate's "approved"), stores the frozen op
in the schedule and marks the pending action `scheduled`. A send is held when the person gave `send_at`,
or for GOOGLE_MCP_UNDO_SECONDS after every approval. Until the send starts, `cancel_action` stops it; after,
it says it was already sent. What the schedule does is written to the record: scheduled, cancelled, sent,
sent_late, failed, unknown, stale (the thread or event changed: nothing ran, a fresh preview waits for the
person), returned (due while no server ran, past the grace: it waits for the person's approval again).

Multi-person servers (GOOGLE_MCP_OAUTH) do not hold sends yet: running one later needs the person's
Google grant outside their request.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import anyio

from google_mcp.errors import GoogleMCPError, InvalidInput, NotFound
from google_mcp.gate import Gate, Plan
from google_mcp.models import PendingInfo, Preview, WriteOutcome
from google_mcp.pending import PendingRecord, Status, StoreUnavailable, iso
from google_mcp.record import RecordUnavailable
from google_mcp.schedule import Clock, Scheduled, Scheduler, ScheduleStore, State, SystemClock
from google_mcp.schedule_local import LocalSchedule
from google_mcp.schedule_redis import RedisSchedule
from google_mcp.settled import CHECK

if TYPE_CHECKING:
    from google_mcp.settings import Settings

log = logging.getLogger(__name__)

SENDS = frozenset({"gmail_send", "slack_post_message", "sms_send"})  # what the undo window holds
SEND_AT = "_send_at"  # in a frozen op: when it goes (seconds since the epoch)
ZONE = "_zone"  # in a frozen op: the person's zone, for saying when
FURTHEST = timedelta(days=366)
ENDED: dict[State, Status] = {  # the pending action's status once the schedule has run it
    "sent": "done",
    "sent_late": "done",
    "failed": "failed",
    "unknown": "unknown",
    "stale": "stale",
    "returned": "failed",
}


def zone_of(name: str | None) -> ZoneInfo | None:
    try:
        return ZoneInfo(name) if name else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


def said(ts: float, zone: str | None) -> str:
    """A time as the person reads it: in their zone, to the second."""
    found = zone_of(zone)
    when = datetime.fromtimestamp(ts, found or UTC)
    return when.strftime("%Y-%m-%d %H:%M:%S ") + (zone if found and zone else "UTC")


def send_at(plan: Plan, value: str, zone: str, now: float) -> None:
    """Hold a plan until `value` (ISO 8601 with an offset, or a local time in `zone`); its preview says when."""
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(
            f"send_at {value!r} is not a time. Give ISO 8601, e.g. 2026-12-03T08:00 (in {zone}) "
            "or 2026-12-03T08:00:00+01:00."
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=zone_of(zone) or UTC)
    ts = when.timestamp()
    if ts <= now:
        raise InvalidInput(
            f"send_at {value!r} is in the past (it is now {said(now, zone)}). Give a later time, "
            "or leave send_at out to send once approved."
        )
    if ts - now > FURTHEST.total_seconds():
        raise InvalidInput(f"send_at {value!r} is more than a year away; give a time within a year.")
    plan.op = {**plan.op, SEND_AT: ts, ZONE: zone}
    plan.preview.details.append(f"Goes at: {said(ts, zone)} (held until then; cancel_action stops it)")


class Later:
    """The schedule as the gate and the tools see it; also what the scheduler reports to (`Outcome`)."""

    def __init__(self, settings: Settings, gate: Gate, clock: Clock | None = None) -> None:
        self.settings, self.gate = settings, gate
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.store: ScheduleStore = (
            RedisSchedule(settings.redis_url.get_secret_value())
            if settings.redis_url is not None
            else LocalSchedule(settings.schedule_file)
        )
        self.scheduler = Scheduler(self.store, self, self.clock, grace=settings.schedule_grace)
        self.state: Any = None
        if not settings.oauth:
            gate.defer = self.defer

    async def serve(self, state: Any, *, task_status: Any = anyio.TASK_STATUS_IGNORED) -> None:
        self.state = state
        await self.scheduler.serve(task_status=task_status)

    def now(self) -> float:
        return self.clock.now()

    def _due(self, record: PendingRecord) -> float | None:
        at = record.op.get(SEND_AT)
        if at is not None:
            return float(at)
        if self.settings.undo_seconds > 0 and record.tool in SENDS:
            return self.clock.now() + self.settings.undo_seconds
        return None

    async def defer(self, state: Any, record: PendingRecord, via: str) -> WriteOutcome | None:
        """Hold an approved (claimed) action for later; None when it runs now."""
        due = self._due(record)
        if due is None:
            return None
        self.state = self.state or state
        tool, cid, who = record.tool, record.session_id, record.user_id
        where = record.pending_action.get("conversation") or None
        goes = said(due, record.op.get(ZONE))
        common: dict[str, Any] = {"tool": tool, "preview": Preview(**record.preview), "confirmation_id": cid}
        try:  # write-ahead, as the gate's "approved": nothing is held that the record does not know
            await self.gate.note(
                "scheduled", tool, who, where, required=True, approved_by=via, confirmation_id=cid, goes_at=iso(due)
            )
            await self.store.add(
                Scheduled(
                    id=cid,
                    owner=who,
                    due=due,
                    tool=tool,
                    op=record.op,
                    preview=record.preview,
                    parameters=record.parameters,
                    why="send_at" if SEND_AT in record.op else "undo",
                    conversation=where,
                )
            )
        except (RecordUnavailable, StoreUnavailable) as exc:
            await self.gate.store.release(cid, who)
            again = f"confirm_action(confirmation_id='{cid}') tries it again once it is back"
            return WriteOutcome(status="failed", message=f"{exc} So nothing was scheduled; {again}.", **common)
        await self.gate.store.finish(cid, who, "scheduled", {"goes_at": goes}, None)
        return WriteOutcome(
            status="scheduled",
            message=f"Approved; it goes at {goes}. Until then cancel_action(confirmation_id='{cid}') stops it.",
            expires_at=iso(due),
            **common,
        )

    async def cancel(self, cid: str, principal: str) -> WriteOutcome | None:
        """Stop a held action if it has not started; None when it is not in the schedule."""
        found = await self.store.cancel(principal, cid)
        item = await self.store.get(principal, cid) if found is not None else None
        if item is None:
            return None
        if found == "cancelled":
            await self._settle(item, "cancelled", None, None)
            await self.gate.note("cancelled", item.tool, principal, item.conversation, confirmation_id=cid)
            return WriteOutcome(
                status="cancelled", message="Cancelled before it went; nothing was sent.", **self._common(item)
            )
        return self._told(item, "cancel")

    async def decline(self, cid: str, principal: str) -> WriteOutcome:
        """The person's no, on a card or a page: an approved action held for later stopped before it goes, or a
        waiting one declined; nothing is done either way."""
        return await self.cancel(cid, principal) or await self.gate.cancel(cid, principal, "declined")

    async def confirmed(self, cid: str, principal: str) -> WriteOutcome | None:
        """What became of an approved action held for later, asked about again; None when it is not one."""
        item = await self.store.get(principal, cid)
        return self._told(item, "confirm") if item is not None else None

    @staticmethod
    def _common(item: Scheduled) -> dict[str, Any]:
        return {"tool": item.tool, "preview": Preview(**item.preview), "confirmation_id": item.id}

    def _told(self, item: Scheduled, asked: str) -> WriteOutcome:
        common, zone = self._common(item), item.op.get(ZONE)
        if item.state in ("scheduled", "claimed"):
            return WriteOutcome(
                status="scheduled",
                message=f"Already approved; it goes at {said(item.due, zone)}. "
                f"cancel_action(confirmation_id='{item.id}') stops it until then.",
                expires_at=iso(item.due),
                **common,
            )
        if item.state in ("sent", "sent_late"):
            too_late = "Too late to cancel: it" if asked == "cancel" else "It"
            return WriteOutcome(
                status="done",
                message=f"{too_late} was already sent at {said(item.ran_at or item.due, zone)}; not sent again.",
                result=item.result,
                **common,
            )
        if item.state == "sending":
            return WriteOutcome(
                status="executing",
                message="It is being sent right now, too late to cancel; activity_log shows how it ended.",
                **common,
            )
        if item.state == "cancelled":
            return WriteOutcome(status="cancelled", message="It was cancelled; nothing was sent.", **common)
        if item.state == "returned":
            why = (
                f"It was not sent: it was to go at {said(item.due, zone)}, but no server was running then and the "
                "grace period passed. It waits for the person's approval again (list_pending_actions)."
            )
            return WriteOutcome(status="failed", message=why, **common)
        if item.state == "unknown":
            return WriteOutcome(status="unknown", message=f"{item.error} {CHECK}", **common)
        return WriteOutcome(status="failed", message=f"It did not go: {item.error}", **common)

    async def listed(self, principal: str) -> list[PendingInfo]:
        return [
            PendingInfo(
                confirmation_id=s.id,
                tool=s.tool,
                preview=Preview(**s.preview),
                created_at=iso(s.due),
                expires_at=iso(s.due),
                goes_at=said(s.due, s.op.get(ZONE)),
            )
            for s in await self.store.listed(principal)
        ]

    # what the scheduler reports (schedule.Outcome) -------------------------------------
    async def run(self, item: Scheduled) -> dict[str, Any]:
        executor = self.gate.executors.get(item.tool)
        if executor is None:
            raise NotFound(f"The tool {item.tool} is not available on this server (read-only mode?).")
        op = {k: v for k, v in item.op.items() if k not in (SEND_AT, ZONE)}
        result = await executor(self.state, op)
        return result.dump()

    async def ended(self, item: Scheduled, state: State, detail: str | None, late: float) -> None:
        result = None
        if state in ("sent", "sent_late"):
            found = await self.store.get(item.owner, item.id)
            result = found.result if found is not None else None
        await self._settle(item, ENDED.get(state, "failed"), result, detail)
        late_by = round(late, 1) if state == "sent_late" else None
        await self.gate.note(
            state,
            item.tool,
            item.owner,
            item.conversation,
            confirmation_id=item.id,
            error=detail,
            result=result,
            late_seconds=late_by,
        )
        if state == "stale":  # as the gate at confirmation: nothing ran, a fresh preview waits for the person
            await self._again(item, f"{detail} Here is a fresh preview.")

    async def returned(self, item: Scheduled, late: float) -> None:
        why = (
            f"It was to go at {said(item.due, item.op.get(ZONE))}, but no server was running then "
            f"({late:.0f} s ago, past GOOGLE_MCP_SCHEDULE_GRACE), so it was not sent. Ask the person again."
        )
        await self._settle(item, "failed", None, why)
        await self.gate.note("returned", item.tool, item.owner, item.conversation, confirmation_id=item.id)
        await self._again(item, why)

    async def _settle(self, item: Scheduled, status: Status, result: dict[str, Any] | None, error: str | None) -> None:
        """The pending action's status follows, for a confirm_action that asks later (if it is still kept)."""
        try:
            if await self.gate.store.get(item.id, item.owner) is not None:
                await self.gate.store.finish(item.id, item.owner, status, result, error)
        except StoreUnavailable as exc:
            log.warning("later: %s's pending action not updated: %s", item.id, exc)

    async def _again(self, item: Scheduled, why: str) -> None:
        params = {k: v for k, v in item.parameters.items() if k != "send_at"}
        try:
            plan = await self.gate.builders[item.tool](self.state, **params)
            await self.gate.hold(item.tool, params, plan, principal=item.owner, note=why)
        except (GoogleMCPError, KeyError) as exc:
            log.warning("later: %s could not be put back to the person: %s", item.id, exc)

    async def close(self) -> None:
        await self.store.close()
