"""The Slack tools: thin declarations over the Slack adapter (messaging/slack.py)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from google_mcp.errors import InvalidInput
from google_mcp.gate import Plan
from google_mcp.messaging.slack import ChannelList, ChannelMessages, Posted, UserList
from google_mcp.models import Preview
from google_mcp.registry import READ, WRITE, Registrar
from google_mcp.state import AppState
from google_mcp.tools.when import SEND_AT, held_until
from google_mcp.unseen import shown_plainly

Channel = Annotated[str, Field(description="#name or id")]
MAX_TEXT = 40_000  # Slack's own limit for a message's text


async def slack_list_channels(
    state: AppState, limit: Annotated[int, Field(ge=1, le=1000)] = 100, cursor: str | None = None
) -> ChannelList:
    """List the Slack channels the app can see, with member counts."""
    return await state.slack.channels(limit, cursor)


async def slack_read_channel(
    state: AppState,
    channel: Channel,
    thread_ts: Annotated[str | None, Field(description="read this thread's replies")] = None,
    limit: Annotated[int, Field(ge=1, le=200)] = 30,
    cursor: str | None = None,
    max_chars: Annotated[int, Field(ge=200, le=100_000)] = 8000,
) -> ChannelMessages:
    """Read a channel's recent messages, newest first, or a thread; names instead of user ids."""
    return await state.slack.read(channel, limit, cursor, thread_ts, max_chars)


async def slack_find_user(
    state: AppState, query: Annotated[str, Field(description="part of a name or email")]
) -> UserList:
    """Find Slack users by name or email."""
    return await state.slack.find_user(query)


async def slack_post_message(
    state: AppState,
    channel: Channel,
    text: str,
    thread_ts: Annotated[str | None, Field(description="reply in this thread")] = None,
    send_at: Annotated[str | None, Field(description=SEND_AT)] = None,
) -> Plan:
    """Post a message to a Slack channel, or reply in a thread."""
    if not text.strip():
        raise InvalidInput("The message is empty.")
    if len(text) > MAX_TEXT:
        raise InvalidInput(f"Slack takes at most {MAX_TEXT} characters in one message; split it.")
    chosen = await state.slack.channel(channel)
    details = [f"Channel: #{chosen.name} ({chosen.members if chosen.members is not None else '?'} members)"]
    if thread_ts:
        replies = await state.slack.read(chosen.id, 1, None, thread_ts, 300)
        first = replies.messages[0] if replies.messages else None
        details.append(f"In the thread of {first.user}: {first.text[:200]}" if first else f"In thread {thread_ts}")
    shown, unseen = shown_plainly(text)
    if unseen:
        details.append("Look closely: the text holds invisible characters (written out as ⟨…⟩). It always asks.")
    details.append(f"Text:\n{shown}")
    preview = Preview(action="Post to Slack", summary=f"#{chosen.name}: {shown[:80]}", details=details)
    preview.card = {"kind": "slack", "channel": details[0].removeprefix("Channel: "), "text": shown}
    preview.card |= {"thread": details[1]} if thread_ts else {}
    why = "the text holds invisible characters" if unseen else ""
    plan = Plan(preview, {"channel": chosen.id, "text": text, "thread_ts": thread_ts}, not unseen, why)
    if send_at is not None:
        await held_until(state, plan, send_at)
    return plan


async def post_op(state: AppState, op: dict[str, Any]) -> Posted:
    return await state.slack.post(op["channel"], op["text"], op.get("thread_ts"))


def register(tool: Registrar) -> None:
    tool(title="List Slack channels", annotations=READ)(slack_list_channels)
    tool(title="Read a Slack channel", annotations=READ)(slack_read_channel)
    tool(title="Find a Slack user", annotations=READ)(slack_find_user)
    tool(title="Post to Slack", annotations=WRITE, execute=post_op)(slack_post_message)
