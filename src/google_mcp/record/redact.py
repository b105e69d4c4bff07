"""What of a call goes into the record: private by default, by allow-list.

Summary mode (GOOGLE_MCP_LOG_CONTENT=summary, the default) keeps as text only the fields named in SAFE
below — ids, counts, flags, times, enums, label names, recipients and the one-line name of what was done
(a mail's subject, an event's summary, a document's title). Every other value — bodies, Markdown, find
and replace text, headings, queries, locations, file paths, arguments nobody declared, values of any
shape — is kept as its length and SHA-256, which proves what was sent without holding it. An error's
text keeps only its leading plain words (up to the first quote, colon, digit or other mark where
content is interpolated) beside the length and SHA-256 of the whole. Full mode
(GOOGLE_MCP_LOG_CONTENT=full) keeps parameters and errors as text. Results keep ids, counts and status,
in either mode. Anything that looks like a secret is never kept, not even hashed.

Redaction is idempotent (a digest stays the digest), so an entry may pass through it more than once.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

# The allow-list, written once: argument names whose values are recorded as text in summary mode.
SAFE = frozenset(
    {
        # ids and opaque references
        "attachment_id", "calendar_id", "calendar_ids", "confirmation_id", "conversation_id", "document_id",
        "event_id", "ids", "message_id", "message_ids", "reply_to_message_id", "thread_id", "thread_ids",
        "thread_ts",
        # counts, sizes and flags
        "add_meet_link", "include_quoted", "include_spam_trash", "include_weekends", "limit", "match_case",
        "max_chars", "max_chars_per_message", "max_results", "occurrence", "offset", "reminders_minutes",
        "reply_all", "send_invitations", "send_updates", "slot_minutes",
        # times, time zones and rules
        "end", "recurrence", "since", "start", "time_max", "time_min", "time_zone", "working_hours",
        # enums and names of our own
        "detail", "response", "scope", "status", "tool",
        # label names; who it went to
        "add", "remove", "to", "cc", "bcc", "attendees", "channel", "number",
        # the one-line name of what was done ("what did it send, to whom" is the record's point)
        "subject", "summary", "title",
    }
)  # fmt: skip
SECRET = frozenset(
    {"token", "access_token", "refresh_token", "approval_key", "password", "client_secret", "authorization",
     "api_key", "key", "secret"}
)  # fmt: skip
RESULT_KEYS = {"status", "id", "thread_id", "document_id", "event_id", "calendar_id", "confirmation_id", "revision_id",
               "draft_id", "result_size_estimate", "total_chars", "occurrences_changed", "tool", "link", "html_link",
               "count", "message_count", "conversation_id", "steps"}  # fmt: skip
IDS = 50  # ids kept of a list result
SAYS = 120  # characters at most of an error's leading plain words
_PLAIN = re.compile(r"[A-Za-z ,;.\-]*")  # where an error's own words end and interpolated content may begin
_FRAMING = re.compile(r"Error executing tool [A-Za-z0-9_]+: ")
_HEX = re.compile(r"[0-9a-f]{64}")
SECRET_MARK = "[secret]"


def digest(value: Any) -> dict[str, Any]:
    """Length and SHA-256 of a value: of a string, its text; of anything else, its canonical JSON."""
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, ensure_ascii=False, default=repr)
    return {"chars": len(text), "sha256": hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()}


def is_digest(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and set(value) == {"chars", "sha256"}
        and isinstance(value["chars"], int)
        and isinstance(value["sha256"], str)
        and bool(_HEX.fullmatch(value["sha256"]))
    )


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def parameters(args: Any, full: bool = False, key: str = "") -> Any:
    """A call's arguments as the record keeps them."""
    if key.lower() in SECRET:
        return SECRET_MARK
    if is_digest(args) or args == SECRET_MARK:
        return args  # redacted already
    if isinstance(args, dict) and (full or not key):
        return {str(k): parameters(v, full, str(k)) for k, v in args.items()}
    if full:
        return [parameters(v, full, key) for v in args] if isinstance(args, list) else args
    if key in SAFE and (_scalar(args) or (isinstance(args, list) and all(_scalar(v) for v in args))):
        return args
    return digest(parameters(args, True, key))  # a secret inside is not kept even in the hashed text


def error(message: str | None, full: bool = False) -> dict[str, Any]:
    """The record's fields for an error: `error` (its text, or its leading plain words) and, in summary
    mode, `error_digest` (length and SHA-256 of the whole message, which the model was shown)."""
    if message is None:
        return {}
    if full:
        return {"error": message}
    framing = _FRAMING.match(message)  # the SDK's own words before ours: kept, and not counted as content
    head = framing.group(0) if framing else ""
    rest = message[len(head) :]
    says = _PLAIN.match(rest)
    lead = (says.group(0) if says else "")[:SAYS].rstrip(" ,;-")
    shown = head + (lead if len(lead) == len(rest) else (lead + " …").lstrip())
    return {"error": shown, "error_digest": digest(message)}


def entry(entry: dict[str, Any], full: bool = False) -> dict[str, Any]:
    """An entry as the store keeps it: parameters, result, error and a message's content redacted."""
    out = dict(entry)
    if "parameters" in out:
        out["parameters"] = parameters(out["parameters"], full)
    if isinstance(out.get("result"), dict):
        out["result"] = result(out["result"])
    if isinstance(out.get("error"), str) and "error_digest" not in out:
        out.update(error(out["error"], full))
    if "content" in out and not full and not is_digest(out["content"]):
        out["content"] = digest(out["content"])
    return out


def result(data: Any) -> dict[str, Any]:
    """Ids, counts and status of a result; no content."""
    if not isinstance(data, dict):
        return {}
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key in RESULT_KEYS and isinstance(value, str | int | bool):
            out[key] = value
        elif key.endswith("_count") and isinstance(value, int) and not isinstance(value, bool):
            out[key] = value  # a count this made earlier (redaction runs more than once)
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
