"""Conditional event writes: the If-Match header, and after a refused retry, whether the event as Google
returns it shows the change that was sent (it landed) or was changed by someone else."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

from google_mcp.errors import OutcomeUnknown, TargetChanged
from google_mcp.google.times import parse_date, zone


def landed(body: dict[str, Any], ev: dict[str, Any]) -> bool:
    """Whether event `ev` (as Google returns it) shows every field of patch `body`."""
    for key, sent in body.items():
        have = ev.get(key)
        if key in ("start", "end"):
            if not isinstance(have, dict) or bool(sent.get("date")) != bool(have.get("date")):
                return False
            if sent.get("date") != have.get("date") or (not sent.get("date") and event_time(sent) != event_time(have)):
                return False
        elif key == "attendees":
            if not _same_guests(sent, have or []):
                return False
        elif key == "conferenceData":
            if not have:  # Google fills it in (the link); asking for one is matched by there being one
                return False
        elif (have or None) != (sent or None):
            return False
    return True


def _same_guests(sent: list[dict[str, Any]], have: list[dict[str, Any]]) -> bool:
    """The same guests, and the person's own answer as sent (others may have answered since)."""
    by_email = {str(a.get("email", "")).casefold(): a for a in have}
    if set(by_email) != {str(a.get("email", "")).casefold() for a in sent}:
        return False
    for mine in (a for a in sent if a.get("self")):
        now = by_email[str(mine.get("email", "")).casefold()]
        if any(now.get(k) != mine.get(k) for k in ("responseStatus", "comment") if k in mine):
            return False
    return True


def event_time(node: dict[str, Any]) -> datetime:
    if node.get("date"):
        return datetime.combine(parse_date(node["date"], "date"), time(0), tzinfo=UTC)
    value = datetime.fromisoformat(str(node["dateTime"]).replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone(node.get("timeZone") or "UTC"))
    return value


def if_match(request: Any, etag: str | None) -> Any:
    if etag:
        request.headers["If-Match"] = etag
    return request


def unknown(event_id: str, doing: str) -> OutcomeUnknown:
    """A first try whose answer was lost, then a retry refused because the event has changed since."""
    return OutcomeUnknown(
        f"Google did not answer the first try at {doing} event {event_id}, and the event has changed since in "
        "other ways: it may or may not have happened (and the guests may have been told). Read the event "
        "(calendar_list_events) before doing anything again; it was not repeated."
    )


def changed(event_id: str) -> TargetChanged:
    return TargetChanged(f"The event {event_id} was changed in Google Calendar since the preview; nothing was done.")
