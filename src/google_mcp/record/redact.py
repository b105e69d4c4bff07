"""What of a call goes into the record: private by default.

Bodies (of mail, events, documents, the router's messages) are kept as their length and SHA-256, so the
record proves what was sent without holding it (GOOGLE_MCP_LOG_CONTENT=full keeps the text). Results
keep ids, counts and status, never mail content. Anything that looks like a secret is never kept.
"""

from __future__ import annotations

import hashlib
from typing import Any

CONTENT = {"body_text", "body_html", "markdown", "description", "comment", "replace", "find", "request", "content",
           "text", "body", "snippet", "message"}  # fmt: skip
SECRET = {"token", "access_token", "refresh_token", "approval_key", "password", "client_secret", "authorization",
          "api_key", "key", "secret"}  # fmt: skip
RESULT_KEYS = {"status", "id", "thread_id", "document_id", "event_id", "calendar_id", "confirmation_id", "revision_id",
               "draft_id", "result_size_estimate", "total_chars", "occurrences_changed", "tool", "link", "html_link",
               "count", "message_count", "conversation_id", "steps"}  # fmt: skip
IDS = 50  # ids kept of a list result


def digest(value: Any) -> dict[str, Any]:
    text = value if isinstance(value, str) else repr(value)
    return {"chars": len(text), "sha256": hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()}


def parameters(args: Any, full: bool = False, key: str = "") -> Any:
    if key.lower() in SECRET:
        return "[secret]"
    if isinstance(args, dict):
        return {k: parameters(v, full, str(k)) for k, v in args.items()}
    if isinstance(args, list):
        return [parameters(v, full, key) for v in args]
    if key.lower() in CONTENT and not full and isinstance(args, str):
        return digest(args)
    return args


def result(data: Any) -> dict[str, Any]:
    """Ids, counts and status of a result; no content."""
    if not isinstance(data, dict):
        return {}
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key in RESULT_KEYS and isinstance(value, str | int | bool):
            out[key] = value
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            out[f"{key}_count"] = len(value)
            ids = [v["id"] for v in value if isinstance(v.get("id"), str)]
            if ids:
                out[f"{key}_ids"] = ids[:IDS]
        elif isinstance(value, list) and key.endswith("ids"):
            out[key] = [v for v in value if isinstance(v, str)][:IDS]
        elif key == "result" and isinstance(value, dict):
            out["result"] = result(value)
    return out
