"""Slack as typed operations over slack_sdk's WebClient (in worker threads, like the Google client).

Reads are retried on 429 (after Retry-After) and 5xx; a post is sent by a client with no retry handler
at all (slack_sdk's default retries a dropped connection, which would post twice) and a post whose answer
is lost is reported as possibly done, never repeated.
"""

from __future__ import annotations

import time
from typing import Any

import anyio.to_thread
from pydantic import Field

from google_mcp.errors import (
    AuthRequired,
    GoogleMCPError,
    GoogleUnavailable,
    InvalidInput,
    NotFound,
    OutcomeUnknown,
    PermissionDenied,
    RateLimited,
)
from google_mcp.google.mailtext import window
from google_mcp.models import Result

USERS_TTL = 600.0


class SlackChannel(Result):
    id: str
    name: str
    members: int | None = None
    topic: str | None = None
    private: bool = False


class ChannelList(Result):
    channels: list[SlackChannel]
    next_cursor: str | None = None


class SlackMessage(Result):
    ts: str
    user: str
    text: str
    thread_ts: str | None = None
    replies: int | None = None


class ChannelMessages(Result):
    channel: str
    messages: list[SlackMessage]
    next_cursor: str | None = None
    note: str | None = None


class SlackUser(Result):
    id: str
    name: str
    real_name: str | None = None
    email: str | None = None


class UserList(Result):
    users: list[SlackUser]


class Posted(Result):
    channel: str
    ts: str
    thread_ts: str | None = None
    link: str | None = Field(default=None, description="permalink, when Slack gives one")


def _error(exc: Exception, what: str, write: bool) -> GoogleMCPError:
    from slack_sdk.errors import SlackApiError

    if isinstance(exc, SlackApiError):
        code = str(exc.response.get("error", "")) if exc.response is not None else ""
        status = exc.response.status_code if exc.response is not None else 0
        if code in ("channel_not_found", "thread_not_found", "user_not_found", "message_not_found"):
            return NotFound(
                f"Slack: {code.replace('_', ' ')} while {what}. Use slack_list_channels or slack_find_user."
            )
        if code in ("not_in_channel", "is_archived", "restricted_action", "missing_scope", "cant_invite_self"):
            return PermissionDenied(
                f"Slack refused ({code}) while {what}: the app needs to be in the channel or more scopes."
            )
        if code in ("invalid_auth", "not_authed", "token_revoked", "account_inactive", "token_expired"):
            return AuthRequired(f"Slack refused the token ({code}). Check GOOGLE_MCP_SLACK_TOKEN.")
        if code == "ratelimited" or status == 429:
            return RateLimited(f"Slack is rate limiting requests while {what}. Try again in a minute.")
        if status >= 500:
            if write:
                return OutcomeUnknown(
                    f"Slack failed ({status}) while {what}: it may or may not have been posted. "
                    "Check the channel before posting again."
                )
            return GoogleUnavailable(f"Slack failed ({status}) while {what}. Try again later.")
        return InvalidInput(
            f"Slack refused the request ({code or status}) while {what}. Fix the arguments and try again."
        )
    if write:
        return OutcomeUnknown(
            f"The connection to Slack failed while {what} ({type(exc).__name__}): the message may or may not "
            "have been posted. Read the channel before posting again; it is never re-sent by itself."
        )
    return GoogleUnavailable(f"Slack could not be reached while {what} ({type(exc).__name__}). Try again later.")


class Slack:
    def __init__(self, token: str, base_url: str, timeout: float = 30.0) -> None:
        from slack_sdk import WebClient
        from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler, ServerErrorRetryHandler

        # reads: a 429 waits for Retry-After, a 5xx tries again; writes: never retried by any layer
        self._read = WebClient(
            token=token,
            base_url=base_url,
            timeout=int(timeout),
            retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=2), ServerErrorRetryHandler(max_retry_count=2)],
        )
        self._write = WebClient(token=token, base_url=base_url, timeout=int(timeout), retry_handlers=[])
        self._users: tuple[float, dict[str, dict[str, Any]]] | None = None

    async def _call(self, method: str, what: str, write: bool = False, **kwargs: Any) -> dict[str, Any]:
        client = self._write if write else self._read
        try:
            response = await anyio.to_thread.run_sync(
                lambda: client.api_call(method, params=kwargs if not write else None, json=kwargs if write else None)
            )
        except Exception as exc:
            raise _error(exc, what, write) from None
        return dict(response.data) if isinstance(response.data, dict) else {}

    async def users(self) -> dict[str, dict[str, Any]]:
        if self._users is None or self._users[0] < time.monotonic():
            found: dict[str, dict[str, Any]] = {}
            cursor = None
            while True:
                page = await self._call(
                    "users.list", "listing Slack users", limit=200, **({"cursor": cursor} if cursor else {})
                )
                for user in page.get("members", []):
                    found[user["id"]] = user
                cursor = (page.get("response_metadata") or {}).get("next_cursor")
                if not cursor:
                    break
            self._users = (time.monotonic() + USERS_TTL, found)
        return self._users[1]

    async def channels(self, limit: int, cursor: str | None) -> ChannelList:
        kwargs: dict[str, Any] = {"limit": limit, "types": "public_channel,private_channel", "exclude_archived": True}
        if cursor:
            kwargs["cursor"] = cursor
        page = await self._call("conversations.list", "listing Slack channels", **kwargs)
        return ChannelList(
            channels=[
                SlackChannel(
                    id=c["id"],
                    name=c.get("name", ""),
                    members=c.get("num_members"),
                    topic=(c.get("topic") or {}).get("value") or None,
                    private=bool(c.get("is_private")),
                )
                for c in page.get("channels", [])
            ],
            next_cursor=(page.get("response_metadata") or {}).get("next_cursor") or None,
        )

    async def channel(self, channel: str) -> SlackChannel:
        """A channel by id, or by name (with or without '#')."""
        wanted = channel.strip().lstrip("#")
        if not wanted:
            raise InvalidInput("Give a channel name or id, e.g. #general or C0123456789.")
        if wanted[:1] in ("C", "G") and wanted.isupper():
            info = (
                await self._call(
                    "conversations.info", f"reading channel {wanted}", channel=wanted, include_num_members=True
                )
            ).get("channel", {})
            return SlackChannel(
                id=info.get("id", wanted),
                name=info.get("name", ""),
                members=info.get("num_members"),
                private=bool(info.get("is_private")),
            )
        cursor = None
        while True:
            page = await self.channels(200, cursor)
            for c in page.channels:
                if c.name == wanted:
                    return c
            cursor = page.next_cursor
            if not cursor:
                raise NotFound(f"No Slack channel named #{wanted} that the app can see. Use slack_list_channels.")

    def _name(self, users: dict[str, dict[str, Any]], user_id: str) -> str:
        user = users.get(user_id) or {}
        return str(user.get("real_name") or (user.get("profile") or {}).get("real_name") or user.get("name") or user_id)

    async def read(
        self, channel: str, limit: int, cursor: str | None, thread_ts: str | None, max_chars: int
    ) -> ChannelMessages:
        chosen = await self.channel(channel)
        kwargs: dict[str, Any] = {"channel": chosen.id, "limit": limit}
        if cursor:
            kwargs["cursor"] = cursor
        if thread_ts:
            kwargs["ts"] = thread_ts
            page = await self._call("conversations.replies", f"reading a thread in #{chosen.name}", **kwargs)
        else:
            page = await self._call("conversations.history", f"reading #{chosen.name}", **kwargs)
        users = await self.users()
        messages, used, cut = [], 0, False
        for m in page.get("messages", []):
            text, truncated, _ = window(str(m.get("text", "")), 0, max(1, max_chars - used))
            used += len(text)
            messages.append(
                SlackMessage(
                    ts=m.get("ts", ""),
                    user=self._name(users, str(m.get("user") or m.get("bot_id") or "")),
                    text=text,
                    thread_ts=m.get("thread_ts") if m.get("thread_ts") != m.get("ts") or thread_ts else None,
                    replies=m.get("reply_count"),
                )
            )
            if truncated or used >= max_chars:
                cut = True
                break
        nxt = (page.get("response_metadata") or {}).get("next_cursor") or None
        note = f"Cut at {max_chars} characters; ask for fewer messages or a thread." if cut else None
        return ChannelMessages(channel=f"#{chosen.name}", messages=messages, next_cursor=nxt, note=note)

    async def find_user(self, query: str) -> UserList:
        wanted = query.strip().lstrip("@").casefold()
        if not wanted:
            raise InvalidInput("Give part of a name or an email address.")
        found = []
        for user in (await self.users()).values():
            if user.get("deleted"):
                continue
            profile = user.get("profile") or {}
            fields = [
                user.get("name"),
                user.get("real_name"),
                profile.get("real_name"),
                profile.get("display_name"),
                profile.get("email"),
            ]
            if any(wanted in str(f).casefold() for f in fields if f):
                found.append(
                    SlackUser(
                        id=user["id"],
                        name=user.get("name", ""),
                        real_name=user.get("real_name") or profile.get("real_name"),
                        email=profile.get("email"),
                    )
                )
        return UserList(users=found[:50])

    async def post(self, channel_id: str, text: str, thread_ts: str | None) -> Posted:
        kwargs: dict[str, Any] = {"channel": channel_id, "text": text}
        if thread_ts:
            kwargs["thread_ts"] = thread_ts
        got = await self._call("chat.postMessage", "posting to Slack", write=True, **kwargs)
        return Posted(channel=str(got.get("channel", channel_id)), ts=str(got.get("ts", "")), thread_ts=thread_ts)
