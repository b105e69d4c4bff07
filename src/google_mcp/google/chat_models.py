"""Google Chat's results, and the compact lines a model reads of a space's messages."""

from __future__ import annotations

import re

from google_mcp.errors import InvalidInput
from google_mcp.models import Result

SHORT = re.compile(r"^[\w.-]{1,128}$")  # the last part of a space's, thread's or message's name


def said(value: str) -> str:
    """An argument as an error quotes it: short, whatever was sent."""
    return repr(value if len(value) <= 60 else value[:57] + "…")


class SpaceInfo(Result):
    id: str  # spaces/…
    title: str  # its name; for a direct message or group chat, who is in it
    type: str  # SPACE, GROUP_CHAT or DIRECT_MESSAGE
    members: int | None = None
    last_active: str | None = None
    link: str | None = None


class Spaces(Result):
    spaces: list[SpaceInfo]
    note: str | None = None


class ChatMessage(Result):
    id: str  # spaces/…/messages/…
    time: str  # in the person's zone
    sender: str  # a name, never a user id alone
    text: str
    thread: str | None = None  # spaces/…/threads/…: reply in it with chat_post_message(thread=…)
    reply: bool = False  # a reply inside a thread
    reactions: str | None = None  # e.g. "🎉 2"
    space: str | None = None  # the space's title (search across spaces)


class Messages(Result):
    space: str | None = None  # the space's title (one space)
    space_id: str | None = None
    members: int | None = None
    messages: list[ChatMessage]
    time_zone: str = "UTC"
    next_page_token: str | None = None
    note: str | None = None


TEXT_SHOWN = 500  # characters of one message on its line


def lines(page: Messages) -> str:
    """Messages oldest first, each thread's replies under its first message: time · sender · text."""
    where = f"{page.space} ({page.space_id}, {page.members} members)" if page.space else "several spaces"
    head = f"{len(page.messages)} messages in {where}; times in {page.time_zone}."
    if page.next_page_token:
        head += f" Older: page_token={page.next_page_token}."
    if page.note:
        head += f" {page.note}"
    out = [head + " time · sender · text · (reactions) · thread id (on a thread's first message) · message id"]
    for m in page.messages:
        text = " ".join(m.text.split())
        text = text[:TEXT_SHOWN] + ("…" if len(text) > TEXT_SHOWN else "")
        parts = [m.time[:16].replace("T", " "), m.sender, text]
        if m.reactions:
            parts.append(m.reactions)
        if m.space and not page.space:
            parts.append(f"in {m.space}")
        if not m.reply and m.thread:
            parts.append("thread " + m.thread.rsplit("/", 1)[-1])
        parts.append(m.id.rsplit("/", 1)[-1])
        out.append(("↳ " if m.reply else "") + " · ".join(parts))
    return "\n".join(out)


class Posted(Result):
    id: str
    space: str
    thread: str | None = None
    time: str = ""


class Reacted(Result):
    message: str
    emoji: str


def message_name(space: str, message: str) -> str:
    text = message.strip()
    if text.startswith("spaces/"):
        if not text.startswith(space + "/messages/"):
            raise InvalidInput(f"{said(message)} is not a message of {space}.")
        return text
    if not SHORT.match(text):
        raise InvalidInput(f"{said(message)} is not a message id; use one from chat_read_space.")
    return f"{space}/messages/{text}"
