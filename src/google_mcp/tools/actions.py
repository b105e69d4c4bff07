"""The gate's own tools. They are not behind the gate: they are how a person's answer reaches it."""

from __future__ import annotations

from typing import Annotated

from mcp.types import ToolAnnotations
from pydantic import Field

from google_mcp.models import PendingInfo, PendingList, Preview, WriteOutcome
from google_mcp.principal import current_principal
from google_mcp.registry import DESTRUCTIVE, LOCAL_READ, Ctx, Server, app


def register(server: Server) -> None:
    @server.tool(title="Confirm a pending action", annotations=DESTRUCTIVE)
    async def confirm_action(
        ctx: Ctx,
        confirmation_id: Annotated[str, Field(description="from a confirmation_required result")],
    ) -> WriteOutcome:
        """Carry out a pending action, only after the person has seen its preview and said yes. Runs exactly
        what the preview showed, once."""
        state, principal = app(ctx), current_principal()
        held = await state.later().confirmed(confirmation_id, principal)  # approved already, held for later
        return held or await state.gate.confirm(state, confirmation_id, principal, via="model")

    @server.tool(
        title="Cancel a pending action",
        annotations=ToolAnnotations(destructive_hint=False, idempotent_hint=True, open_world_hint=False),
    )
    async def cancel_action(ctx: Ctx, confirmation_id: str) -> WriteOutcome:
        """Drop a pending action the person does not want, or stop an approved one held for later (send_at, the
        undo window) before it goes; nothing is done."""
        state, principal = app(ctx), current_principal()
        held = await state.later().cancel(confirmation_id, principal)
        return held or await state.gate.cancel(confirmation_id, principal)

    @server.tool(title="List pending actions", annotations=LOCAL_READ)
    async def list_pending_actions(ctx: Ctx) -> PendingList:
        """List the actions waiting for the person's confirmation, and the approved ones held for later (with
        goes_at), with their previews."""
        state = app(ctx)
        records = await state.gate.pending(current_principal())
        held = await state.later().listed(current_principal())
        return PendingList(
            actions=held
            + [
                PendingInfo(
                    confirmation_id=r.session_id,
                    tool=r.tool,
                    preview=Preview(**r.preview),
                    created_at=r.created_at,
                    expires_at=r.expires_at,
                )
                for r in records
            ]
        )
