"""The record: every tool call and every step of a gated action, grouped into conversations.

A conversation is an MCP session (or the stdio process) for direct calls, or the router's conversation
for `ask` and `/chat`. Its shape: `{session_id, user_id, messages: [{role, content, timestamp}],
tool_actions: [{tool_type, action, step, parameters, status, result, approved_by, confirmation_id,
timestamp}], created_at, updated_at}`. Kept in MongoDB when GOOGLE_MCP_MONGODB_URL is set, otherwise in
an embedded SQLite file; both keep GOOGLE_MCP_LOG_RETENTION_DAYS days. Appends are atomic (no
read-modify-write), so several processes can write to one conversation. Every entry passes through
redaction (redact.py: an allow-list) on its way in, whoever wrote it: the store's writer redacts it, off
the caller's path, before anything of it is stored (writer.py).
"""

from __future__ import annotations

import contextvars
import functools
import uuid
from typing import TYPE_CHECKING, Any, Protocol

from google_mcp.record import redact
from google_mcp.record.base import Kind, RecordUnavailable, now_iso

__all__ = [  # Kind, RecordUnavailable and now_iso live in base.py, where the stores import them from
    "PROCESS",
    "Journal",
    "Kind",
    "Off",
    "RecordUnavailable",
    "current_conversation",
    "in_conversation",
    "leave_conversation",
    "now_iso",
    "open_journal",
    "redact",
]

if TYPE_CHECKING:
    from google_mcp.settings import Settings

PROCESS = "process-" + uuid.uuid4().hex[:16]  # the conversation of calls that come with no session
_conversation: contextvars.ContextVar[str | None] = contextvars.ContextVar("google_mcp_conversation", default=None)


def current_conversation() -> str:
    return _conversation.get() or PROCESS


def in_conversation(conversation_id: str) -> contextvars.Token[str | None]:
    return _conversation.set(conversation_id)


def leave_conversation(token: contextvars.Token[str | None]) -> None:
    _conversation.reset(token)


class Journal(Protocol):
    async def append(
        self, conversation: str, user: str, entry: dict[str, Any], kind: Kind = "action", *, durable: bool = False
    ) -> None:
        """Queue an entry (redacted and written within moments, in a batch). `durable`: written and committed
        before this returns, with everything queued before it, or RecordUnavailable (record/writer.py).
        The entry, and what it holds, belongs to the record once handed over: not changed afterwards."""

    async def actions(
        self,
        user: str,
        *,
        tool: str | None = None,
        status: str | None = None,
        since: str | None = None,
        conversation: str | None = None,
        limit: int = 50,
    ) -> list[dict[str, Any]]: ...

    async def conversation(self, conversation_id: str, user: str) -> dict[str, Any] | None: ...

    async def health(self) -> dict[str, Any]: ...

    async def close(self) -> None: ...


class Off:
    """No record (GOOGLE_MCP_LOG=off)."""

    async def append(
        self, conversation: str, user: str, entry: dict[str, Any], kind: Kind = "action", *, durable: bool = False
    ) -> None:
        return None

    async def actions(self, user: str, **filters: Any) -> list[dict[str, Any]]:
        return []

    async def conversation(self, conversation_id: str, user: str) -> dict[str, Any] | None:
        return None

    async def health(self) -> dict[str, Any]:
        return {"backend": "off"}

    async def close(self) -> None:
        return None


def open_journal(settings: Settings) -> Journal:
    if settings.log == "off":
        return Off()
    redacts = functools.partial(redact.entry, full=settings.log_content == "full")  # every store redacts
    if settings.mongodb_url is not None:
        from google_mcp.record.mongo import MongoJournal

        return MongoJournal(settings.mongodb_url.get_secret_value(), settings.log_retention_days, redacts)
    from google_mcp.record.sqlite import SqliteJournal

    return SqliteJournal(settings.log_file, settings.log_retention_days, redacts)
