"""What the approval card shows of one held action, read fresh each time (the view asks when it loads and
before it acts): waiting, or how it ended. The same state feeds the card in a host and the approval page."""

from __future__ import annotations

import time
from typing import Any, Literal

from google_mcp.models import Answer, Preview
from google_mcp.pending import PendingRecord
from google_mcp.state import AppState

State = Literal[
    "waiting",  # the person can approve or decline it
    "executing",
    "scheduled",  # approved, held for later (send_at, the undo window)
    "done",
    "declined",
    "cancelled",
    "expired",
    "failed",
    "unknown",
    "stale",  # the target changed: a fresh preview was made instead
    "missing",
]
SAID: dict[str, str] = {
    "waiting": "Waiting for your answer.",
    "executing": "Being carried out now.",
    "scheduled": "Approved; it goes at the time shown. Until then, Cancel stops it.",
    "done": "Done.",
    "declined": "Declined; nothing was done.",
    "cancelled": "Cancelled; nothing was done.",
    "expired": "This expired before it was approved; nothing was done. Ask again for a new preview.",
    "failed": "It failed; nothing more will be tried by itself.",
    "unknown": "Whether it went through is not known; check before trying again.",
    "stale": "What it would change has changed since the preview; nothing was done. A new preview was made.",
    "missing": "No such action is waiting for you: it was decided, expired or never existed.",
}


class CardState(Answer):
    confirmation_id: str
    state: State
    message: str
    tool: str = ""
    preview: dict[str, Any] | None = None  # action, summary, details: the text the model was given
    card: dict[str, Any] | None = None  # the same values, field by field (Preview.card)
    created_at: str | None = None
    expires_at: str | None = None
    goes_at: str | None = None  # approved, held until then (UTC; the page shows it in the person's zone)
    result: dict[str, Any] | None = None
    outcome: str | None = None  # what was done, said back ("Sent to dana@example.com")
    decided_at: str | None = None  # when it was decided (shown in the person's zone)
    strict: bool = False  # the card cannot approve: the person approves where `approve_where` says
    approve_where: str | None = None
    approve_url: str | None = None


PAST = {"Send an email": "Sent", "Create a draft": "Draft saved", "Post to Slack": "Posted", "Send a text": "Texted"}


def restate(card: CardState) -> str:
    """What was done, said back: "Sent to dana@example.com" (the page adds when, in the person's zone)."""
    preview, fields = card.preview or {}, card.card or {}
    action, summary = str(preview.get("action", "")), str(preview.get("summary", ""))
    if card.state in ("declined", "cancelled"):
        said = "Declined" if card.state == "declined" else "Cancelled"
        return f"{said}: nothing was done ({action.lower() or 'the action'} did not happen)."
    if card.state != "done":
        return card.message
    kind = fields.get("kind")
    target = {
        "mail": ", ".join([*fields.get("to", []), *fields.get("cc", []), *fields.get("bcc", [])]),
        "slack": fields.get("channel"),
        "sms": fields.get("to"),
    }.get(str(kind))
    if action in PAST and target:
        return f"{PAST[action]} to {target}"
    return f"Done: {action}: {summary}" if action else "Done."


def _preview(raw: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    preview = Preview(**raw)
    return preview.dump(), preview.card


def state_of(record: PendingRecord | None, now: float | None = None) -> State:
    if record is None:
        return "missing"
    if record.status == "awaiting_confirmation":
        return "expired" if record.expires_ts <= (now or time.time()) else "waiting"
    if record.status == "scheduled":
        return "scheduled"
    return record.status


async def card_state(state: AppState, confirmation_id: str, principal: str) -> CardState:
    gate, settings = state.gate, state.settings
    where = gate.where_the_person_approves(confirmation_id)
    common: dict[str, Any] = {
        "confirmation_id": confirmation_id,
        "strict": settings.confirmation == "strict",
        "approve_where": where,
        "approve_url": f"{settings.base_url}/approve/{confirmation_id}" if settings.oauth else None,
    }
    held = await state.later().confirmed(confirmation_id, principal)
    if held is not None:  # approved already, held for later (or gone since)
        preview, card = _preview(held.preview.stored()) if held.preview else ({}, None)
        found: State = "scheduled" if held.status == "scheduled" else "done" if held.status == "done" else "failed"
        if held.status in ("cancelled", "unknown"):
            found = held.status
        scheduled = found == "scheduled"
        return CardState(
            state=found,
            message=SAID["scheduled"] if scheduled else held.message,  # the card's own words: it has a Cancel
            tool=held.tool,
            preview=preview,
            card=card,
            goes_at=held.expires_at if scheduled else None,
            result=held.result,
            **common,
        )
    record = await gate.store.get(confirmation_id, principal)
    found = state_of(record)
    if record is None or record.kind != "pending":
        return CardState(state="missing", message=SAID["missing"], **common)
    preview, card = _preview(record.preview)
    message = record.error if found in ("failed", "unknown", "stale") and record.error else SAID[found]
    told = CardState(
        state=found,
        message=message,
        tool=record.tool,
        preview=preview,
        card=card,
        created_at=record.created_at,
        expires_at=record.expires_at,
        decided_at=None if found in ("waiting", "expired") else record.updated_at,
        result=record.result,
        **common,
    )
    return told.model_copy(update={"outcome": restate(told)}) if found in ("done", "declined", "cancelled") else told
