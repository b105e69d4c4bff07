"""The approval key: the proof that an out-of-band approval (`google-mcp approve`, POST /confirm) comes from
the person, not from the model. The model holds confirmation ids; it never sees this key, which lives in
a file readable by the person only (or GOOGLE_MCP_APPROVAL_KEY)."""

from __future__ import annotations

import json
import secrets
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from google_mcp.settings import Settings

HEADER = "X-Approval-Key"


def approval_key(settings: Settings) -> str:
    if settings.approval_key is not None:
        return settings.approval_key.get_secret_value()
    path = settings.approval_key_path
    try:
        return str(json.loads(path.read_text())["key"])
    except (OSError, ValueError, KeyError, TypeError):
        from google_mcp.auth import write_private

        key = secrets.token_urlsafe(32)
        write_private(path, {"key": key})
        return key
