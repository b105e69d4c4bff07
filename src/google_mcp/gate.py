"""The confirmation gate: no state-changing Google call without the person's consent.

Every tool whose annotations say it changes state is registered through `tools.Registrar`, which
puts this gate in front of it. A gated call first builds its `Plan` (arguments fully validated, a
preview read from Google where needed). Then, in order:
- auto-approved tools (GOOGLE_MCP_AUTO_APPROVE) run at once;
- a client that can elicit is asked (MCP elicitation, both protocol eras); yes runs, no does not;
- otherwise a pending action is stored and the call returns `confirmation_required`; it runs only
  when confirmed (confirm_action, or POST /confirm/{id}), exactly once, with the stored arguments.
"""

from __future__ import annotations

import getpass
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from google_mcp.errors import GoogleMCPError, InvalidInput, NotFound, PermissionDenied
from google_mcp.models import Preview, WriteOutcome
from google_mcp.pending import MemoryStore, PendingRecord, PendingStore, RedisStore, make_record

if TYPE_CHECKING:
    from google_mcp.settings import Settings
    from google_mcp.state import AppState

log = logging.getLogger(__name__)


@dataclass
class Plan:
    """A validated write: what a person is shown, and the one call that carries it out."""

    preview: Preview
    run: Callable[[], Awaitable[BaseModel]]


class Approve(BaseModel):
    approve: bool = Field(description="Do it?")


class NoElicitation(BaseModel):
    """The resolver's answer when the person is not asked through the client."""

    reason: str


PlanBuilder = Callable[..., Awaitable[Plan]]


def current_principal() -> str:
    """Who is calling: the bearer token's principal over HTTP, the local user otherwise."""
    from mcp.server.auth.middleware.auth_context import get_access_token

    token = get_access_token()
    if token is not None:
        return token.client_id
    return "local:" + _local_user()


def _local_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def can_elicit(ctx: Any) -> bool:
    try:
        caps = ctx.client_capabilities
    except (AttributeError, LookupError, ValueError):
        return False
    return caps is not None and getattr(caps, "elicitation", None) is not None


class Gate:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.builders: dict[str, PlanBuilder] = {}
        self._store: PendingStore | None = None
        self._asked: dict[str, tuple[float, Plan]] = {}

    @property
    def store(self) -> PendingStore:
        if self._store is None:
            if self.settings.redis_url is not None:
                self._store = RedisStore(self.settings.redis_url.get_secret_value(), self.settings.pending_ttl)
            else:
                self._store = MemoryStore()
        return self._store

    # the plan a person was asked about is the one that runs (and its preview reads are not repeated)
    def _plan_key(self, tool: str, args: dict[str, Any]) -> str:
        return json.dumps([current_principal(), tool, args], sort_keys=True, default=str)

    def remember(self, tool: str, args: dict[str, Any], plan: Plan) -> None:
        now = time.monotonic()
        for key in [k for k, (expires, _) in self._asked.items() if expires < now]:
            del self._asked[key]
        self._asked[self._plan_key(tool, args)] = (now + 120, plan)

    def recall(self, tool: str, args: dict[str, Any]) -> Plan | None:
        found = self._asked.pop(self._plan_key(tool, args), None)
        return found[1] if found and found[0] >= time.monotonic() else None

    async def health(self) -> dict[str, Any]:
        return {"pending_store": await self.store.health()}

    def auto_approved(self, tool: str) -> bool:
        return tool in self.settings.auto_approve

    # the three paths ----------------------------------------------------------------
    async def run(self, tool: str, plan: Plan, how: str) -> WriteOutcome:
        result = await plan.run()
        log.info("gate: %s executed (%s)", tool, how)
        return WriteOutcome(
            status="done",
            tool=tool,
            message=f"Done ({how}).",
            result=result.model_dump(mode="json"),
            preview=plan.preview,
        )

    async def hold(self, tool: str, args: dict[str, Any], plan: Plan, principal: str | None = None) -> WriteOutcome:
        record = make_record(
            principal or current_principal(),
            tool,
            tool.split("_", 1)[0],
            args,
            plan.preview.model_dump(mode="json"),
            self.settings.pending_ttl,
        )
        await self.store.create(record)
        if self.settings.confirmation == "strict":
            ask = (
                "Nothing was done. Show this preview to the person: they approve it in their client or at "
                f"POST /confirm/{record.session_id}?confirmed=true. You cannot confirm it yourself."
            )
        else:
            ask = (
                "Nothing was done yet. Show this preview to the person and ask; only if they say yes, call "
                f"confirm_action(confirmation_id='{record.session_id}'). If they say no, call cancel_action."
            )
        return WriteOutcome(
            status="confirmation_required",
            tool=tool,
            message=ask,
            preview=plan.preview,
            confirmation_id=record.session_id,
            expires_at=record.expires_at,
        )

    # confirmation --------------------------------------------------------------------
    async def confirm(self, state: AppState, confirmation_id: str, principal: str, via: str) -> WriteOutcome:
        if via == "model" and self.settings.confirmation == "strict":
            raise PermissionDenied(
                "Strict confirmation is on: only the person can approve, in their client or at "
                f"POST /confirm/{confirmation_id}. Ask them to approve it there."
            )
        claim = await self.store.claim(confirmation_id, principal, "executing")
        record = await self.store.get(confirmation_id, principal)
        if claim == "missing" or record is None:
            raise NotFound(
                f"No pending action {confirmation_id!r}. Use list_pending_actions to see yours, or call the tool again."
            )
        preview = Preview(**record.preview)
        if claim == "expired":
            raise InvalidInput(
                "That confirmation expired before it was approved, so nothing was done. "
                "Call the tool again to get a new preview and ask the person again."
            )
        if claim != "claimed":
            return self._settled(record, preview)
        builder = self.builders.get(record.tool)
        if builder is None:
            await self.store.finish(confirmation_id, "failed", None, f"unknown tool {record.tool}")
            raise NotFound(f"The tool {record.tool} is not available on this server (read-only mode?).")
        try:
            plan = await builder(state, **record.parameters)
            outcome = await self.run(record.tool, plan, f"confirmed via {via}")
        except GoogleMCPError as exc:
            await self.store.finish(confirmation_id, "failed", None, str(exc))
            return WriteOutcome(
                status="failed", tool=record.tool, message=str(exc), preview=preview, confirmation_id=confirmation_id
            )
        except BaseException:
            # unknown outcome: it stays "executing" and is never re-run by itself
            log.exception("gate: %s crashed while executing %s", record.tool, confirmation_id)
            raise
        await self.store.finish(confirmation_id, "done", outcome.result, None)
        outcome.confirmation_id = confirmation_id
        return outcome

    def _settled(self, record: PendingRecord, preview: Preview) -> WriteOutcome:
        common: dict[str, Any] = {"tool": record.tool, "preview": preview, "confirmation_id": record.session_id}
        if record.status == "done":
            return WriteOutcome(
                status="done", message="Already done earlier; it was not run again.", result=record.result, **common
            )
        if record.status == "failed":
            return WriteOutcome(
                status="failed", message=f"It failed earlier and was not retried: {record.error}", **common
            )
        if record.status in ("cancelled", "declined"):
            return WriteOutcome(
                status="cancelled",
                message="It was cancelled; nothing was done. Call the tool again if the person still wants it.",
                **common,
            )
        return WriteOutcome(
            status="unknown",
            message="It is executing or was interrupted while executing: its "
            "outcome is unknown. Check Gmail or Calendar before asking again; it is never re-run "
            "by itself.",
            **common,
        )

    async def cancel(
        self, confirmation_id: str, principal: str, status: Literal["cancelled", "declined"] = "cancelled"
    ) -> WriteOutcome:
        claim = await self.store.claim(confirmation_id, principal, status)
        record = await self.store.get(confirmation_id, principal)
        if claim == "missing" or record is None:
            raise NotFound(f"No pending action {confirmation_id!r}.")
        preview = Preview(**record.preview)
        if claim in ("claimed", "expired"):
            return WriteOutcome(
                status="cancelled",
                tool=record.tool,
                message="Cancelled; nothing was done.",
                preview=preview,
                confirmation_id=confirmation_id,
            )
        return self._settled(record, preview)

    async def pending(self, principal: str) -> list[PendingRecord]:
        return await self.store.awaiting(principal)

    async def close(self) -> None:
        if self._store is not None:
            await self._store.close()
