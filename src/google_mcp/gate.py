"""The confirmation gate: no state-changing Google call without the person's consent.

Every tool whose annotations say it changes state is registered through `registry.Registrar`, which
puts this gate in front of it. A gated call first builds its `Plan`: arguments fully validated, a
preview read from Google where needed, and `op`, the exact operation that will run (the bytes of a
mail, an event body, the messages and ETags the preview was read from). The op is frozen: what the
person approves is stored with the approval and is what runs; nothing is rebuilt at confirmation.
Then, in order:
- auto-approved tools (GOOGLE_MCP_AUTO_APPROVE) run at once, unless the plan goes beyond what
  auto-approving that tool covers (e.g. labelling as spam);
- a client that can elicit is asked (MCP elicitation, both protocol eras). The question names a
  one-time approval record; the answer consumes it atomically, so a replayed answer runs nothing;
- otherwise a pending action is stored and the call returns `confirmation_required`; it runs only
  when confirmed (confirm_action, or `google-mcp approve` / POST /confirm/{id} with the approval key),
  exactly once. A confirmation that finds it already being carried out waits (bounded) for the outcome
  and reports that (settled.py).
Whatever is held (pending actions and questions alike) counts against the person's cap, which the store
checks and takes in the same atomic step as the write.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import anyio
from pydantic import BaseModel, Field

from google_mcp import metrics
from google_mcp.elicit import asking_key
from google_mcp.errors import (
    GoogleMCPError,
    InvalidInput,
    NotFound,
    NotSent,
    OutcomeUnknown,
    PermissionDenied,
    TargetChanged,
)
from google_mcp.models import Preview, Result, WriteOutcome
from google_mcp.pending import (
    Cap,
    Kind,
    MemoryStore,
    PendingRecord,
    PendingStore,
    Status,
    StoreUnavailable,
    make_record,
)
from google_mcp.pending_redis import RedisStore
from google_mcp.principal import current_client, current_principal
from google_mcp.record import Journal, Off, RecordUnavailable, current_conversation
from google_mcp.settled import leased, outcome_of, settled

if TYPE_CHECKING:
    from google_mcp.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class Plan:
    """A validated write: what a person is shown, and the frozen operation that carries it out."""

    preview: Preview
    op: dict[str, Any]
    auto_ok: bool = True  # False: goes beyond what auto-approving this tool covers; always ask
    asks_because: str = ""  # why it always asks, for the answer that says so


class Approve(BaseModel):
    approve: bool = Field(description="Do it?")


class NoElicitation(BaseModel):
    """The resolver's answer when the person is not asked through the client."""

    reason: str


PlanBuilder = Callable[..., Awaitable[Plan]]
# The request's state (state.AppState) is opaque here: passed through to builders and executors.
Executor = Callable[[Any, dict[str, Any]], Awaitable[Result]]
Defer = Callable[[Any, PendingRecord, str], Awaitable[WriteOutcome | None]]  # None: run it now


class Gate:
    def __init__(self, settings: Settings, journal: Journal | None = None) -> None:
        self.settings = settings
        self.builders: dict[str, PlanBuilder] = {}
        self.executors: dict[str, Executor] = {}
        self.journal: Journal = journal if journal is not None else Off()
        self.record_failures = 0  # entries that could not be recorded (reads go on; writes do not run)
        self.held = metrics.Held()  # the pending actions this process held, for /metrics
        self.executing: dict[str, PendingRecord] = {}  # approved actions being carried out by this process
        self.direct: dict[object, tuple[str, str]] = {}  # auto-approved writes being carried out: tool, person
        self.defer: Defer | None = None  # send later, the undo window: holds an approved action (later.py)
        self.store: PendingStore = (
            RedisStore(settings.redis_url.get_secret_value(), settings.pending_ttl, settings.redis_claim_wait)
            if settings.redis_url is not None
            else MemoryStore(settings.pending_ttl)
        )

    async def health(self) -> dict[str, Any]:
        record = await self.journal.health()  # its batches' failures are counted there
        return {
            "pending_store": await self.store.health(),
            "record": {**record, "entries_not_recorded": self.record_failures + record.get("entries_not_recorded", 0)},
        }

    async def note(
        self,
        step: str,
        tool: str,
        principal: str,
        conversation: str | None = None,
        *,
        required: bool = False,
        **fields: Any,
    ) -> None:
        """One step of an action into the record. `required`: the write-ahead entry of an approval, without
        which the write does not run; otherwise a failure is counted (in /health) and logged."""
        entry = {"tool_type": tool.split("_", 1)[0], "action": tool, "step": step, "status": step, **fields}
        entry = {k: v for k, v in entry.items() if v is not None}  # time-stamped by the record as it takes it
        try:
            await self.journal.append(conversation or current_conversation(), principal, entry, durable=required)
        except RecordUnavailable as exc:
            metrics.RECORD_FAILURES.labels("approval" if required else "entry").inc()
            if required:
                raise
            self.record_failures += 1
            log.warning("gate: %s of %s not recorded: %s", step, tool, exc)
        if step != "call":  # every call is noted (server.py); the gate's own steps are these
            metrics.GATE.labels(step).inc()

    async def waiting(self) -> int:
        """The pending actions this process held that still wait (for /metrics)."""

        async def status_of(session_id: str, owner: str) -> str | None:
            record = await self.store.get(session_id, owner)
            return record.status if record is not None else None

        return await self.held.count(status_of)

    @staticmethod
    def _where(record: PendingRecord) -> str | None:
        found = record.pending_action.get("conversation")
        return str(found) if found else None

    def auto_approved(self, tool: str) -> bool:
        return tool in self.settings.auto_approve

    def _record(self, principal: str, tool: str, args: dict[str, Any], plan: Plan, kind: Kind) -> PendingRecord:
        record = make_record(
            principal,
            tool,
            tool.split("_", 1)[0],
            args,
            plan.preview.stored(),
            self.settings.pending_ttl,
            plan.op,
            kind,
        )
        record.pending_action["conversation"] = current_conversation()  # its steps go where it began
        if client := current_client():  # the approval page names who asked
            record.pending_action["client"] = client
        return record

    async def _admit(self, record: PendingRecord) -> None:
        """Store the record within its owner's cap, checked and taken in one atomic step."""
        held = await self.store.create(record, Cap(self.settings.max_pending, self.settings.max_pending_bytes))
        if held is None:
            if record.kind == "pending":
                self.held.add(record.session_id, record.user_id, record.expires_ts)
            return
        if held.count >= self.settings.max_pending:
            raise InvalidInput(
                f"{held.count} actions already wait for the person's answer (the limit is "
                f"{self.settings.max_pending}). Ask them to approve or cancel some (list_pending_actions) first."
            )
        size = held.bytes + record.size
        if size > self.settings.max_pending_bytes:
            raise InvalidInput(
                f"The actions waiting for approval would hold {size} bytes (the limit is "
                f"{self.settings.max_pending_bytes}). Ask the person to approve or cancel some first."
            )

    # elicitation: a one-time approval record per question ------------------------------
    async def asking(self, state: Any, tool: str, args: dict[str, Any], principal: str) -> PendingRecord:
        """The approval record the person is asked about for this call: the same one on every round of an
        elicitation (so the question stays the same), a new one once it has been answered."""
        key = asking_key(principal, tool, args)
        found = await self.store.asking(key)
        if found is not None:
            record = await self.store.get(found, principal)
            if record is not None and record.status == "awaiting_confirmation" and record.kind == "elicitation":
                return record
        plan = await self.builders[tool](state, **args)
        record = self._record(principal, tool, args, plan, "elicitation")
        await self._admit(record)
        await self.store.set_asking(key, record.session_id)
        await self.note("asked", tool, principal, parameters=args, confirmation_id=record.session_id)
        return record

    @staticmethod
    def question(record: PendingRecord) -> str:
        # The record's id makes each question unique: an answer is pinned to the question it answered.
        return f"{Preview(**record.preview).text()}\n\nDo it? (approval {record.session_id})"

    async def answered(
        self, state: Any, record_id: str, principal: str, approve: bool, how: Literal["declined", "cancelled"]
    ) -> WriteOutcome:
        if not approve:
            return await self.cancel(record_id, principal, how, kind="elicitation")
        outcome = await self.confirm(state, record_id, principal, via="the person in the client", kind="elicitation")
        # a direct call that failed reads as a failed call, as any tool's would
        if outcome.status == "unknown":
            raise OutcomeUnknown(outcome.message)
        if outcome.status == "failed":
            raise GoogleMCPError(outcome.message)
        return outcome

    # the other two paths ------------------------------------------------------------------
    async def run_now(self, state: Any, tool: str, plan: Plan, how: str) -> WriteOutcome:
        """Auto-approved (or approved by the person through the router's mid-call question)."""
        principal = current_principal()
        with anyio.CancelScope(shield=True):  # as confirm: once approved, it ends known, cancelled or not
            outcome = await self._run_now(state, tool, plan, how, principal)
        return outcome

    async def _run_now(self, state: Any, tool: str, plan: Plan, how: str, principal: str) -> WriteOutcome:
        try:
            await self.note("approved", tool, principal, required=True, status="executing", approved_by=how)
        except RecordUnavailable as exc:
            return WriteOutcome(status="failed", tool=tool, message=f"{exc} So nothing was done.", preview=plan.preview)
        running = object()
        self.direct[running] = (tool, principal)  # a drain that cannot wait for it records it unknown
        try:
            result = await self.executors[tool](state, plan.op)
        except OutcomeUnknown as exc:
            await self.note("unknown", tool, principal, error=str(exc))
            return WriteOutcome(status="unknown", tool=tool, message=str(exc), preview=plan.preview)
        except GoogleMCPError as exc:
            await self.note("failed", tool, principal, error=str(exc))
            raise
        finally:
            self.direct.pop(running, None)
        await self.note("done", tool, principal, result=result.dump())
        log.info("gate: %s executed (%s)", tool, how)
        return WriteOutcome(
            status="done",
            tool=tool,
            message=f"Done ({how}).",
            result=result.dump(),
            preview=plan.preview,
        )

    async def hold(
        self, tool: str, args: dict[str, Any], plan: Plan, principal: str | None = None, note: str = ""
    ) -> WriteOutcome:
        principal = principal or current_principal()
        record = self._record(principal, tool, args, plan, "pending")
        await self._admit(record)
        await self.note("held", tool, principal, parameters=args, confirmation_id=record.session_id)
        cid, where = record.session_id, self.where_the_person_approves(record.session_id)
        if self.settings.confirmation == "strict":
            ask = f"Nothing was done. Show this preview to the person: they approve it {where}. "
            ask += "You cannot confirm it yourself."
        else:
            also = f" (or they approve it {where})" if self.settings.oauth else ""
            ask = (
                "Nothing was done yet. Show this preview to the person and ask; only if they say yes, call "
                f"confirm_action(confirmation_id='{cid}'){also}. If they say no, call cancel_action."
            )
        return WriteOutcome(
            status="confirmation_required",
            tool=tool,
            message=f"{note} {ask}".strip(),
            preview=plan.preview,
            confirmation_id=record.session_id,
            expires_at=record.expires_at,
        )

    def where_the_person_approves(self, cid: str) -> str:
        if self.settings.oauth:  # many people: the approval page, in their browser
            return f"at {self.settings.base_url}/approve/{cid}"
        return f"in a terminal with `google-mcp approve {cid}`"

    # confirmation --------------------------------------------------------------------
    async def confirm(
        self, state: Any, confirmation_id: str, principal: str, via: str, kind: Kind = "pending"
    ) -> WriteOutcome:
        if via == "model" and self.settings.confirmation == "strict":
            raise PermissionDenied(
                "Strict confirmation is on: only the person can approve, in their client or "
                f"{self.where_the_person_approves(confirmation_id)}. Ask them to approve it there."
            )
        # From the claim on, the action runs to a known end even if the client gives up on this request: a
        # cancellation must not leave a send that reached Google recorded as executing (then "unknown").
        with anyio.CancelScope(shield=True):
            claim = await self.store.claim(confirmation_id, principal, "executing", kind)
            record = await self.store.get(confirmation_id, principal)
            if claim == "claimed" and record is not None:  # held for later (later.py), or carried out now
                deferred = await self.defer(state, record, via) if self.defer is not None else None
                return deferred or await self._execute(state, record, via)
        if claim == "missing" or record is None:
            raise NotFound(
                f"No pending action {confirmation_id!r}. Use list_pending_actions to see yours, or call the tool again."
            )
        if claim == "expired":
            await self.note("expired", record.tool, principal, self._where(record), confirmation_id=confirmation_id)
            raise InvalidInput(
                "That confirmation expired before it was approved, so nothing was done. "
                "Call the tool again to get a new preview and ask the person again."
            )
        return settled(*await outcome_of(self.store, record, self.settings.confirm_wait))

    async def _finish(self, record: PendingRecord, status: Status, result: Any = None, error: str | None = None) -> str:
        """Record how an action ended. If the store is gone, say so; never suggest doing it again."""
        try:
            await self.store.finish(record.session_id, record.user_id, status, result, error)
        except StoreUnavailable:
            log.error("gate: could not record that %s ended %s", record.session_id, status)
            return (
                " The confirmation store (Redis) became unreachable, so this outcome could not be recorded: "
                "do not confirm or repeat it."
            )
        return ""

    @staticmethod
    def _again(record: PendingRecord, when: str) -> str:
        """What to do about an action released back to waiting (nothing ran)."""
        if record.kind == "pending":
            return f"It is still waiting: confirm_action(confirmation_id='{record.session_id}') tries it again{when}."
        return f"Call the tool again{when or ' to ask the person again'}."

    async def _execute(self, state: Any, record: PendingRecord, via: str) -> WriteOutcome:
        tool, cid = record.tool, record.session_id
        preview = Preview(**record.preview)
        common: dict[str, Any] = {"tool": tool, "preview": preview, "confirmation_id": cid}
        executor = self.executors.get(tool)
        if executor is None:
            await self._finish(record, "failed", error=f"unknown tool {tool}")
            raise NotFound(f"The tool {tool} is not available on this server (read-only mode?).")
        who, where = record.user_id, self._where(record)
        try:  # write-ahead: no approval runs that the record does not hold
            await self.note(
                "approved", tool, who, where, required=True, status="executing", approved_by=via, confirmation_id=cid
            )
        except RecordUnavailable as exc:
            await self.store.release(cid, who)
            again = self._again(record, " once the record is back")
            return WriteOutcome(status="failed", message=f"{exc} So nothing was done. {again}", **common)
        self.executing[cid] = record
        try:
            result = await leased(self.store, record, executor(state, record.op))
        except NotSent as exc:
            await self.store.release(cid, who)
            again = self._again(record, "")
            await self.note("not_sent", tool, who, where, confirmation_id=cid, error=str(exc))
            return WriteOutcome(status="failed", message=f"{exc} {again}", **common)
        except TargetChanged as exc:
            await self._finish(record, "stale", error=str(exc))
            await self.note("stale", tool, who, where, confirmation_id=cid, error=str(exc))
            return await self._fresh(state, record, str(exc))
        except OutcomeUnknown as exc:
            note = await self._finish(record, "unknown", error=str(exc))
            await self.note("unknown", tool, who, where, confirmation_id=cid, error=str(exc))
            return WriteOutcome(status="unknown", message=str(exc) + note, **common)
        except GoogleMCPError as exc:
            note = await self._finish(record, "failed", error=str(exc))
            await self.note("failed", tool, who, where, confirmation_id=cid, error=str(exc))
            return WriteOutcome(status="failed", message=str(exc) + note, **common)
        except BaseException:
            # unknown outcome: it stays "executing" and is never re-run by itself
            log.exception("gate: %s crashed while executing %s", tool, cid)
            raise
        finally:
            self.executing.pop(cid, None)
        done = result.dump()
        log.info("gate: %s executed (confirmed via %s)", tool, via)
        note = await self._finish(record, "done", done)
        await self.note("done", tool, who, where, confirmation_id=cid, result=done)
        return WriteOutcome(status="done", message=f"Done (confirmed via {via}).{note}", result=done, **common)

    async def _fresh(self, state: Any, record: PendingRecord, why: str) -> WriteOutcome:
        """The target changed since the preview: nothing ran; a new preview goes to the person instead."""
        try:
            plan = await self.builders[record.tool](state, **record.parameters)
        except GoogleMCPError as exc:
            return WriteOutcome(
                status="failed", tool=record.tool, message=f"{why} A new preview could not be made: {exc}"
            )
        return await self.hold(
            record.tool, record.parameters, plan, principal=record.user_id, note=f"{why} Here is a fresh preview."
        )

    async def cancel(
        self,
        confirmation_id: str,
        principal: str,
        status: Literal["cancelled", "declined"] = "cancelled",
        kind: Kind = "pending",
    ) -> WriteOutcome:
        claim = await self.store.claim(confirmation_id, principal, status, kind)
        record = await self.store.get(confirmation_id, principal)
        if claim == "missing" or record is None:
            raise NotFound(f"No pending action {confirmation_id!r}.")
        if claim in ("claimed", "expired"):
            await self.note(status, record.tool, principal, self._where(record), confirmation_id=confirmation_id)
            said = {"cancelled": "Cancelled", "declined": "The person said no"}[status]
            return WriteOutcome(
                status=status,
                tool=record.tool,
                message=f"{said}; nothing was done.",
                preview=Preview(**record.preview),
                confirmation_id=confirmation_id,
            )
        return settled(*await outcome_of(self.store, record, self.settings.confirm_wait), asked="cancel")

    async def interrupted(self, why: str) -> list[str]:
        """The process stops with actions still executing (a drain's bound passed): each is recorded
        `unknown`, in the store and the record, rather than left to a lapsing lease. The ids."""
        stopped = list(self.executing.values())
        for record in stopped:
            await self._finish(record, "unknown", error=why)
            await self.note(
                "unknown",
                record.tool,
                record.user_id,
                self._where(record),
                confirmation_id=record.session_id,
                error=why,
            )
        for tool, principal in list(self.direct.values()):  # auto-approved: no pending action, only the record
            await self.note("unknown", tool, principal, error=why)
        return [r.session_id for r in stopped] + [f"{tool} (auto-approved)" for tool, _ in self.direct.values()]

    async def pending(self, principal: str) -> list[PendingRecord]:
        return await self.store.awaiting(principal)

    async def close(self) -> None:
        await self.store.close()
