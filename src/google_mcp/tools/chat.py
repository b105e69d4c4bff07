"""The Google Chat tools: thin declarations over the Chat adapter (google/chat.py). A post's preview shows
the space, how many are in it, the thread and the exact text, as the Slack tool's does."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from pydantic import Field

from google_mcp.errors import InvalidInput
from google_mcp.gate import Plan
from google_mcp.google.chat_models import Messages, Posted, Reacted, Spaces, message_name, said
from google_mcp.models import Preview
from google_mcp.registry import READ, WRITE, Registrar
from google_mcp.state import AppState
from google_mcp.tools.when import person_zone
from google_mcp.unseen import shown_plainly

Space = Annotated[str, Field(description="space title or id (spaces/…)")]
MAX_TEXT = 4096  # characters: Chat takes 32,000 bytes; a message a person reads before it goes stays short


async def chat_list_spaces(state: AppState, max_results: Annotated[int, Field(ge=1, le=1000)] = 100) -> Spaces:
    """The Google Chat spaces, group chats and direct messages you are in, with member counts."""
    return await state.chat.spaces(max_results)


async def chat_read_space(
    state: AppState,
    space: Space,
    thread: Annotated[str | None, Field(description="read only this thread (its id)")] = None,
    max_results: Annotated[int, Field(ge=1, le=200)] = 30,
    page_token: str | None = None,
) -> Messages:
    """A space's recent messages, threads together, with the senders' names."""
    return await state.chat.messages(space, thread, max_results, page_token, await person_zone(state))


async def chat_search(
    state: AppState,
    query: Annotated[str, Field(description="words that must all appear")],
    space: Annotated[str | None, Field(description="one space; default every space")] = None,
    days: Annotated[int, Field(ge=1, le=365)] = 30,
    max_results: Annotated[int, Field(ge=1, le=200)] = 30,
) -> Messages:
    """Find Chat messages by their words in recent messages."""
    return await state.chat.search(query, space, days, max_results, await person_zone(state))


async def chat_post_message(
    state: AppState,
    space: Space,
    text: str,
    thread: Annotated[str | None, Field(description="reply in this thread (its id)")] = None,
) -> Plan:
    """Post a message to a Chat space, or reply in a thread."""
    if not text.strip():
        raise InvalidInput("The message is empty.")
    if len(text) > MAX_TEXT:
        raise InvalidInput(f"Keep a Chat message to {MAX_TEXT} characters; split it.")
    chat = state.chat
    raw = await chat.space(space)
    name, title, count = raw["name"], await chat.title(raw), chat.count(raw)
    details = [f"Space: {title} ({count if count is not None else '?'} members)"]
    full_thread = None
    if thread:
        if raw.get("spaceType") not in (None, "SPACE"):
            raise InvalidInput("Only named spaces have threads; leave thread out to post in this chat.")
        full_thread = await chat.thread_of(name, thread)
        page = await chat.messages(name, full_thread, 100, None, await person_zone(state))
        if not page.messages:
            raise InvalidInput(f"No thread {said(thread)} in {title}; use a thread id from chat_read_space.")
        first = page.messages[0]
        replies = len(page.messages) - 1
        who, _ = shown_plainly(first.sender)
        details.append(f"In the thread of {who} ({replies} replies): {shown_plainly(first.text[:200])[0]}")
    else:
        details.append("A new message in the space (not in a thread)")
    shown, unseen = shown_plainly(text)
    if unseen:
        details.append("Look closely: the text holds invisible characters (written out as ⟨…⟩). It always asks.")
    details.append(f"Text:\n{shown}")
    preview = Preview(action="Post to Google Chat", summary=f"{title}: {shown[:80]}", details=details)
    op = {"space": name, "text": text, "thread": full_thread, "request_id": str(uuid.uuid4())}
    return Plan(preview, op, not unseen, "the text holds invisible characters" if unseen else "")


async def post_op(state: AppState, op: dict[str, Any]) -> Posted:
    return await state.chat.post(op["space"], op["text"], op.get("thread"), op["request_id"])


async def chat_react(
    state: AppState,
    space: Space,
    message: Annotated[str, Field(description="message id from chat_read_space")],
    emoji: Annotated[str, Field(description="one Unicode emoji, e.g. 👍")],
) -> Plan:
    """React to a Chat message with an emoji."""
    mark = emoji.strip()
    if not mark or len(mark) > 16 or mark.isascii():
        raise InvalidInput("Give the emoji itself (e.g. 👍 or 🎉), not a name or shortcode.")
    chat = state.chat
    raw_space = await chat.space(space)
    name = message_name(raw_space["name"], message)
    raw = await chat.message(name)
    title = await chat.title(raw_space)
    who, _ = shown_plainly(await chat.sender_name(raw))
    shown, _ = shown_plainly(raw.get("text", ""))
    preview = Preview(
        action="React in Google Chat",
        summary=f"{mark} on {who}'s message in {title}",
        details=[f"Space: {title}", f"Message from {who}: {shown[:300]}"],
    )
    return Plan(preview, {"message": name, "emoji": mark})


async def react_op(state: AppState, op: dict[str, Any]) -> Reacted:
    return await state.chat.react(op["message"], op["emoji"])


def register(tool: Registrar) -> None:
    tool(title="List Chat spaces", annotations=READ)(chat_list_spaces)
    tool(title="Read a Chat space", annotations=READ)(chat_read_space)
    tool(title="Search Chat", annotations=READ)(chat_search)
    tool(title="Post to Google Chat", annotations=WRITE, execute=post_op)(chat_post_message)
    tool(title="React in Google Chat", annotations=WRITE, execute=react_op)(chat_react)
