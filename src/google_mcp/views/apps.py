"""MCP Apps on this server: the views are offered only to a client that declares the extension
(`capabilities.extensions["io.modelcontextprotocol/ui"]` with our MIME type, in `initialize` on the
handshake era and in each request on 2026-07-28). Such a client sees each view's tools carry
`_meta.ui.resourceUri`, the `ui://` resources listed, and the tools only a view calls (visibility "app").
Any other client gets tools/list and resources/list exactly as without views."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver.resources import TextResource
from mcp.types import ClientCapabilities, Resource, Tool, ToolAnnotations
from pydantic import Field

from google_mcp.models import WriteOutcome
from google_mcp.principal import current_principal
from google_mcp.registry import LOCAL_READ, Ctx, Server, app
from google_mcp.views.card import CardState, card_state
from google_mcp.views.resources import CARD, EXTENSION, MIME, TOOL_VIEWS, VIEWS, document

# Tools a view calls and a model never sees (listed only to a client with the extension, visibility "app").
APP_ONLY: set[str] = set()


def supported(capabilities: ClientCapabilities | None) -> bool:
    extensions = capabilities.extensions if capabilities is not None else None
    settings = (extensions or {}).get(EXTENSION)
    if not isinstance(settings, dict):
        return False
    mime_types = settings.get("mimeTypes")
    return isinstance(mime_types, list) and MIME in mime_types


def view_of(tool: str, gated: set[str]) -> str | None:
    """The view a tool's result shows in, if any: a held write shows the approval card."""
    if tool in gated:
        return CARD.uri
    name = TOOL_VIEWS.get(tool)
    return VIEWS[name].uri if name else None


def offered_tools(tools: list[Tool], apps: bool, gated: set[str]) -> list[Tool]:
    """tools/list as this client sees it: untouched without the extension (the app-only tools left out)."""
    if not apps:
        return [t for t in tools if t.name not in APP_ONLY]
    offered = []
    for tool in tools:
        ui: dict[str, Any] = {}
        if tool.name in APP_ONLY:
            ui = {"resourceUri": CARD.uri, "visibility": ["app"]}
        elif uri := view_of(tool.name, gated):
            ui = {"resourceUri": uri}
        if ui:
            tool = tool.model_copy(update={"meta": {**(tool.meta or {}), "ui": ui}})
        offered.append(tool)
    return offered


def offered_resources(resources: list[Resource], apps: bool) -> list[Resource]:
    return resources if apps else [r for r in resources if not str(r.uri).startswith("ui://")]


def register(server: Server) -> None:
    """The view resources, the tools only views call, and the extension in the server's capabilities."""
    for v in VIEWS.values():
        ui = {"csp": {}, "permissions": {}, "prefersBorder": True}  # nothing to connect to, nothing to load
        server.add_resource(
            TextResource(uri=v.uri, name=v.name, title=v.title, mime_type=MIME, meta={"ui": ui}, text=document(v).html)
        )
    server._lowlevel_server.extensions[EXTENSION] = {}

    @server.tool(title="The approval card's state", annotations=LOCAL_READ)
    async def view_pending_action(
        ctx: Ctx, confirmation_id: Annotated[str, Field(description="from a confirmation_required result")]
    ) -> CardState:
        """For the approval card: a held action's preview field by field, and whether it still waits."""
        return await card_state(app(ctx), confirmation_id, current_principal())

    @server.tool(
        title="Decline a pending action",
        annotations=ToolAnnotations(destructive_hint=False, idempotent_hint=True, open_world_hint=False),
    )
    async def decline_pending_action(
        ctx: Ctx, confirmation_id: Annotated[str, Field(description="from a confirmation_required result")]
    ) -> WriteOutcome:
        """For the approval card: the person says no to an action waiting for them, or stops an approved one held
        for later (send_at, the undo window) before it goes; nothing is done."""
        return await app(ctx).later().decline(confirmation_id, current_principal())

    APP_ONLY.update({"view_pending_action", "decline_pending_action"})
