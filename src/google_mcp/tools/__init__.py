"""The tool surface: one module per service, each a `register(...)` over its typed adapter."""

from __future__ import annotations

from google_mcp.gate import Gate
from google_mcp.registry import Registrar, Server
from google_mcp.settings import Settings
from google_mcp.tools import actions, calendar, docs, gmail, record


def register_tools(server: Server, settings: Settings, gate: Gate) -> Registrar:
    tool = Registrar(server, settings, gate)
    groups = {"gmail": gmail.register, "calendar": calendar.register, "docs": docs.register}
    for name in settings.tools:  # GOOGLE_MCP_TOOLS / --tools: too many tools eat a model's context
        groups[name](tool)
    if settings.log == "on":
        record.register(tool)
    if not settings.read_only and gate.builders:
        actions.register(server)
    return tool
