"""The SMS tools: thin declarations over the Twilio adapter (messaging/sms.py)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from google_mcp.errors import InvalidInput
from google_mcp.gate import Plan
from google_mcp.messaging.segments import count
from google_mcp.messaging.sms import SmsList, SmsSent, e164
from google_mcp.models import Preview
from google_mcp.registry import READ, WRITE, Registrar
from google_mcp.state import AppState
from google_mcp.tools.when import SEND_AT, held_until
from google_mcp.unseen import shown_plainly

MAX_SEGMENTS = 10
ENCODINGS = {
    "GSM-7": "GSM-7 (160 a segment, 153 when split; € [ ] { } ~ ^ | \\ take two)",
    "UCS-2": "UCS-2, for a character outside GSM-7 (70 a segment, 67 when split; most emoji take two)",
}


async def sms_list_messages(
    state: AppState,
    number: Annotated[str | None, Field(description="only texts to this number, E.164")] = None,
    limit: Annotated[int, Field(ge=1, le=200)] = 20,
) -> SmsList:
    """List recent texts sent and received, newest first."""
    return await state.sms.messages(limit, e164(number) if number else None)


async def sms_send(
    state: AppState,
    to: Annotated[str, Field(description="E.164, e.g. +14155550123")],
    text: str,
    send_at: Annotated[str | None, Field(description=SEND_AT)] = None,
) -> Plan:
    """Send a text message (SMS)."""
    number = e164(to)
    if not text.strip():
        raise InvalidInput("The text is empty.")
    kind, parts = count(text)
    if parts > MAX_SEGMENTS:
        raise InvalidInput(f"That text takes {parts} SMS segments in {kind} (at most {MAX_SEGMENTS}); shorten it.")
    sender = state.sms.sender
    shown, unseen = shown_plainly(text)
    details = [
        f"To: {number}",
        f"From: {sender}",
        f"Segments: {parts} ({len(text)} characters)",
        f"Encoding: {ENCODINGS[kind]}",
    ]
    if unseen:
        details.append("Look closely: the text holds invisible characters (written out as ⟨…⟩). It always asks.")
    preview = Preview(action="Send a text", summary=f"{number}: {shown[:80]}", details=[*details, f"Text:\n{shown}"])
    card = {"kind": "sms", "to": number, "from": sender, "segments": parts, "encoding": ENCODINGS[kind], "text": shown}
    preview.card = card
    why = "the text holds invisible characters" if unseen else ""
    plan = Plan(preview, {"to": number, "text": text}, not unseen, why)
    if send_at is not None:
        await held_until(state, plan, send_at)
    return plan


async def send_op(state: AppState, op: dict[str, Any]) -> SmsSent:
    return await state.sms.send(op["to"], op["text"])


def register(tool: Registrar) -> None:
    tool(title="List texts", annotations=READ)(sms_list_messages)
    tool(title="Send a text", annotations=WRITE, execute=send_op)(sms_send)
