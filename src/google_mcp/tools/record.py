"""The record's own read tool: what was done on the caller's behalf (their own entries only)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import Field

from google_mcp.errors import InvalidInput
from google_mcp.models import Result
from google_mcp.principal import current_principal
from google_mcp.registry import LOCAL_READ, Registrar
from google_mcp.state import AppState


class ActivityEntry(Result):
    timestamp: str
    conversation: str
    action: str = Field(description="the tool")
    step: str = Field(description="call, asked, held, approved, done, failed, unknown, cancelled, declined, expired …")
    status: str
    approved_by: str | None = None
    confirmation_id: str | None = None
    parameters: dict[str, Any] | None = None
    result: dict[str, Any] | None = None
    error: str | None = Field(
        default=None, description="what went wrong (summary mode: its leading words; the rest is in error_digest)"
    )
    error_digest: dict[str, Any] | None = Field(default=None, description="length and SHA-256 of the whole error")


class ActivityLog(Result):
    entries: list[ActivityEntry]


def utc_since(value: str | None) -> str | None:
    """An ISO 8601 date or time (a date: its local midnight) as the record's UTC stamp."""
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(
            f"since {value!r} is not an ISO 8601 date or time, e.g. 2026-11-26 or 2026-11-26T09:00+01:00."
        ) from None
    if when.tzinfo is None:
        when = when.astimezone()  # the server's local time
    return when.astimezone(UTC).isoformat(timespec="microseconds")


async def activity_log(
    state: AppState,
    tool: Annotated[str | None, Field(description="e.g. gmail_send")] = None,
    status: Annotated[str | None, Field(description="e.g. done, failed, confirmation_required")] = None,
    since: Annotated[str | None, Field(description="ISO 8601 date or time")] = None,
    conversation_id: str | None = None,
    limit: Annotated[int, Field(ge=1, le=500)] = 50,
) -> ActivityLog:
    """What was done on your behalf, newest first: every call and every step of each approved action."""
    found = await state.gate.journal.actions(
        current_principal(), tool=tool, status=status, since=utc_since(since), conversation=conversation_id, limit=limit
    )
    return ActivityLog(entries=[ActivityEntry.model_validate(e) for e in found])


def register(tool: Registrar) -> None:
    tool(title="Activity log", annotations=LOCAL_READ)(activity_log)
