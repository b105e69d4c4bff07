"""What the gate needs to know about asking the person through their client (MCP elicitation)."""

from __future__ import annotations

import hashlib
import json
from typing import Any


def can_elicit(ctx: Any) -> bool:
    """The client can show the person a form (URL-only elicitation cannot carry a yes/no)."""
    try:
        caps = ctx.client_capabilities
    except (AttributeError, LookupError, ValueError):
        return False
    elicitation = getattr(caps, "elicitation", None) if caps is not None else None
    if elicitation is None:
        return False
    form, url = getattr(elicitation, "form", None), getattr(elicitation, "url", None)
    return form is not None or url is None  # an empty capability means form (the 2025-06-18 shape)


def asking_key(principal: str, tool: str, args: dict[str, Any]) -> str:
    raw = json.dumps([principal, tool, args], sort_keys=True, default=str)
    return hashlib.sha256(raw.encode()).hexdigest()
