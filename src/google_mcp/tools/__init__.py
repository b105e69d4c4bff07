"""The tool surface: one module per service, each a `register(...)` over its typed adapter."""

from __future__ import annotations

from google_mcp.gate import Gate
from google_mcp.registry import Registrar, Server
from google_mcp.settings import CHANNEL_GROUPS, Settings
from google_mcp.tools import (
    actions,
    calendar,
    chat,
    contacts,
    docs,
    drive,
    gmail,
    record,
    sheets,
    slack,
    slides,
    sms,
    tasks,
    watch,
)


def register_tools(server: Server, settings: Settings, gate: Gate) -> Registrar:
    tool = Registrar(server, settings, gate)
    groups = {
        "gmail": gmail.register,
        "calendar": calendar.register,
        "docs": docs.register,
        "tasks": tasks.register,
        "chat": chat.register,
        "sheets": sheets.register,
        "slides": slides.register,
        "drive": drive.register,
        "contacts": contacts.register,
        "slack": slack.register,
        "sms": sms.register,
    }
    configured = {  # Slack and SMS are on once they are set up
        "slack": settings.slack_token is not None,
        "sms": bool(settings.twilio_account_sid and settings.twilio_auth_token and settings.twilio_from),
    }
    if settings.oauth and not settings.channel_operators:  # nobody may use the operator's bot and number
        configured.update(dict.fromkeys(CHANNEL_GROUPS, False))
    for name in settings.tools:  # GOOGLE_MCP_TOOLS / --tools: too many tools eat a model's context
        if configured.get(name, True):
            tool.group = name
            groups[name](tool)
    tool.group = None
    if settings.public_url and not settings.read_only and not settings.oauth:  # Google can push here
        watch.register(tool, list(settings.tools))
    if settings.log == "on":
        record.register(tool)
    if not settings.read_only and gate.builders:
        actions.register(server)
    return tool
