"""The `ask` tool: a request in plain language, routed by Gemini over the other tools."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from pydantic import Field

from google_mcp import progress
from google_mcp.models import AskResult
from google_mcp.principal import current_principal
from google_mcp.registry import WRITE, Ctx, Server, app

if TYPE_CHECKING:
    from google_mcp.router import Router


def register(server: Server, router: Router) -> None:
    @server.tool(title="Ask in plain language", annotations=WRITE)
    async def ask(
        ctx: Ctx,
        request: Annotated[str, Field(description="e.g. 'email Dana that I am late and move our 3 pm to 4'")],
        conversation_id: Annotated[str | None, Field(description="continue an earlier exchange")] = None,
    ) -> AskResult:
        """Carry out a Gmail or Calendar request given in plain language. Reads run; every change comes back as a
        pending action for the person to approve."""
        who = current_principal()
        with progress.reporting(ctx):
            return await router.ask(app(ctx), who, who, request, conversation_id, ctx)
