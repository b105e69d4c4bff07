"""Google Chat as typed operations over the Google client: spaces, a space's messages and threads with the
senders' names, search, and the writes the gate carries out (a message or a reply, a reaction).

With a person's sign-in Google gives a message's sender as a user id only; the space's members list names
them, so every answer here carries names. Search is a local filter over each space's recent messages:
messages.list filters by time and thread only."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from google_mcp.errors import InvalidInput
from google_mcp.google.chat_models import (
    SHORT,
    ChatMessage,
    Messages,
    Posted,
    Reacted,
    SpaceInfo,
    Spaces,
    said,
)
from google_mcp.google.client import GoogleClient
from google_mcp.google.times import zone

SPACES_TTL = 60.0  # seconds the spaces (names and titles) are trusted for resolving one by title
MEMBERS_TTL = 300.0  # seconds a space's members (the names of senders) are trusted
SEARCH_SCAN = 500  # messages read per space for a search


def space_id(value: str) -> str | None:
    text = value.strip()
    if text.startswith("spaces/") and SHORT.match(text.split("/")[1]) and text.count("/") == 1:
        return text
    return None


class Chat:
    def __init__(self, client: GoogleClient) -> None:
        self.client = client
        self._spaces: tuple[float, list[dict[str, Any]]] | None = None
        self._members: dict[str, tuple[float, dict[str, str]]] = {}

    async def _exec(self, build: Any, what: str, *, retry: bool = True) -> Any:
        return await self.client.execute("chat", build, what=what, retry=retry)

    # spaces and members ---------------------------------------------------------------------
    async def all_spaces(self, fresh: bool = False) -> list[dict[str, Any]]:
        if fresh or self._spaces is None or self._spaces[0] < time.monotonic():
            found: list[dict[str, Any]] = []
            token: str | None = None
            while len(found) < 1000:
                kwargs: dict[str, Any] = {"pageSize": 1000, **({"pageToken": token} if token else {})}
                got = await self._exec(lambda s, k=kwargs: s.spaces().list(**k), "listing Chat spaces")
                found += got.get("spaces", [])
                token = got.get("nextPageToken")
                if not token:
                    break
            self._spaces = (time.monotonic() + SPACES_TTL, found)
        return self._spaces[1]

    async def members(self, space: str) -> dict[str, str]:
        """A space's members: user id -> display name."""
        kept = self._members.get(space)
        if kept is None or kept[0] < time.monotonic():
            names: dict[str, str] = {}
            token: str | None = None
            while len(names) < 5000:
                kwargs: dict[str, Any] = {"parent": space, "pageSize": 1000, **({"pageToken": token} if token else {})}
                got = await self._exec(lambda s, k=kwargs: s.spaces().members().list(**k), "listing space members")
                for m in got.get("memberships", []):
                    user = m.get("member") or {}
                    if user.get("name"):
                        names[user["name"]] = user.get("displayName") or user["name"]
                token = got.get("nextPageToken")
                if not token:
                    break
            kept = self._members[space] = (time.monotonic() + MEMBERS_TTL, names)
        return kept[1]

    async def title(self, raw: dict[str, Any]) -> str:
        if raw.get("displayName"):
            return str(raw["displayName"])
        names = sorted((await self.members(raw["name"])).values())
        kind = "Direct message" if raw.get("spaceType") == "DIRECT_MESSAGE" else "Group chat"
        return f"{kind} with {', '.join(names[:8])}" + (f" and {len(names) - 8} more" if len(names) > 8 else "")

    @staticmethod
    def count(raw: dict[str, Any]) -> int | None:
        counts = raw.get("membershipCount") or {}
        if not counts:
            return None
        return int(counts.get("joinedDirectHumanUserCount", 0)) + int(counts.get("joinedGroupCount", 0))

    async def spaces(self, max_results: int) -> Spaces:
        raw = await self.all_spaces(fresh=True)
        out = [
            SpaceInfo(
                id=s["name"],
                title=await self.title(s),
                type=s.get("spaceType", ""),
                members=self.count(s),
                last_active=s.get("lastActiveTime"),
                link=s.get("spaceUri"),
            )
            for s in raw[:max_results]
        ]
        note = None if len(raw) <= max_results else f"{len(raw) - max_results} more: raise max_results to see them."
        return Spaces(spaces=out, note=note)

    async def space(self, wanted: str) -> dict[str, Any]:
        """A space by id (spaces/…) or by its title, any case."""
        exact = space_id(wanted)
        if exact:
            got: dict[str, Any] = await self._exec(lambda s: s.spaces().get(name=exact), f"reading space {exact}")
            return got
        for fresh in (False, True):
            spaces = await self.all_spaces(fresh)
            for s in spaces:
                if wanted.strip().casefold() in (s.get("displayName", "").casefold(), s["name"].split("/")[1]):
                    return s
            for s in spaces:  # a direct message or group chat, by who is in it
                if not s.get("displayName") and wanted.strip().casefold() == (await self.title(s)).casefold():
                    return s
        known = "; ".join([await self.title(s) for s in spaces[:20]])
        raise InvalidInput(f"No Chat space {said(wanted)}. Your spaces: {known}.")

    # messages -------------------------------------------------------------------------------
    def _message(self, raw: dict[str, Any], names: dict[str, str], tz: str, where: str | None) -> ChatMessage:
        sender = (raw.get("sender") or {}).get("name", "")
        shown = names.get(sender) or (raw.get("sender") or {}).get("displayName") or "a former member"
        when = datetime.fromisoformat(raw["createTime"].replace("Z", "+00:00")).astimezone(zone(tz))
        reactions = " ".join(
            f"{r['emoji'].get('unicode', '?')} {r.get('reactionCount', 1)}"
            for r in raw.get("emojiReactionSummaries", [])
            if r.get("emoji")
        )
        return ChatMessage(
            id=raw["name"],
            time=when.isoformat(timespec="minutes"),
            sender=shown,
            text=raw.get("text", ""),
            thread=(raw.get("thread") or {}).get("name"),
            reply=bool(raw.get("threadReply")),
            reactions=reactions or None,
            space=where,
        )

    async def _list(self, space: str, filter_: str, size: int, token: str | None) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"parent": space, "pageSize": size, "orderBy": "createTime desc"}
        if filter_:
            kwargs["filter"] = filter_
        if token:
            kwargs["pageToken"] = token
        got: dict[str, Any] = await self._exec(lambda s: s.spaces().messages().list(**kwargs), "reading messages")
        return got

    async def thread_of(self, space: str, thread: str) -> str:
        """A thread's full name from its id, its name, or the name of a message in it."""
        text = thread.strip()
        if "/messages/" in text or (SHORT.match(text) and "." in text):
            name = text if text.startswith("spaces/") else f"{space}/messages/{text}"
            raw = await self.message(name)
            return str((raw.get("thread") or {}).get("name", ""))
        short = text.rsplit("/", 1)[-1]
        whole = text.startswith(space + "/threads/") and text.count("/") == 3
        if not SHORT.match(short) or ("/" in text and not whole):
            raise InvalidInput(f"{said(thread)} is not a thread of this space; use a thread id from chat_read_space.")
        return f"{space}/threads/{short}"

    async def messages(
        self, wanted: str, thread: str | None, max_results: int, page_token: str | None, tz: str
    ) -> Messages:
        raw = await self.space(wanted)
        name = raw["name"]
        filter_ = f'thread.name = "{await self.thread_of(name, thread)}"' if thread else ""
        got = await self._list(name, filter_, max_results, page_token)
        names = await self.members(name)
        items = [self._message(m, names, tz, None) for m in reversed(got.get("messages", []))]
        return Messages(
            space=await self.title(raw),
            space_id=name,
            members=self.count(raw),
            messages=_threaded(items),
            time_zone=tz,
            next_page_token=got.get("nextPageToken"),
        )

    async def search(self, query: str, wanted: str | None, days: int, max_results: int, tz: str) -> Messages:
        words = query.casefold().split()
        if not words:
            raise InvalidInput("Give words to search for.")
        spaces = [await self.space(wanted)] if wanted else await self.all_spaces()
        since = (datetime.now(UTC) - timedelta(days=days)).isoformat(timespec="seconds").replace("+00:00", "Z")
        found: list[ChatMessage] = []
        for raw in spaces:
            got = await self._list(raw["name"], f'createTime > "{since}"', SEARCH_SCAN, None)
            hits = [m for m in got.get("messages", []) if all(w in m.get("text", "").casefold() for w in words)]
            if hits:
                names, where = await self.members(raw["name"]), await self.title(raw)
                found += [self._message(m, names, tz, where) for m in hits]
        found.sort(key=lambda m: m.time)
        note = f"Searched the last {days} days' messages (up to {SEARCH_SCAN} a space)."
        if len(found) > max_results:
            note += f" {len(found) - max_results} older matches not shown."
        return Messages(messages=found[-max_results:], time_zone=tz, note=note)

    async def message(self, name: str) -> dict[str, Any]:
        got: dict[str, Any] = await self._exec(lambda s: s.spaces().messages().get(name=name), "reading a message")
        return got

    async def sender_name(self, raw: dict[str, Any]) -> str:
        space = raw["name"].split("/messages/")[0]
        sender = (raw.get("sender") or {}).get("name", "")
        return (await self.members(space)).get(sender, "a former member")

    # writing ----------------------------------------------------------------------------------
    async def post(self, space: str, text: str, thread: str | None, request_id: str) -> Posted:
        body: dict[str, Any] = {"text": text}
        kwargs: dict[str, Any] = {"parent": space, "body": body, "requestId": request_id}
        if thread:
            body["thread"] = {"name": thread}
            kwargs["messageReplyOption"] = "REPLY_MESSAGE_OR_FAIL"  # never a new thread by surprise
        made = await self._exec(lambda s: s.spaces().messages().create(**kwargs), "posting to Chat", retry=False)
        return Posted(
            id=made["name"],
            space=space,
            thread=(made.get("thread") or {}).get("name"),
            time=made.get("createTime", ""),
        )

    async def react(self, message: str, emoji: str) -> Reacted:
        body = {"emoji": {"unicode": emoji}}
        await self._exec(
            lambda s: s.spaces().messages().reactions().create(parent=message, body=body), "reacting", retry=False
        )
        return Reacted(message=message, emoji=emoji)


def _threaded(items: list[ChatMessage]) -> list[ChatMessage]:
    """Oldest first by each thread's first message here, each thread's replies under it."""
    order: dict[str, list[ChatMessage]] = {}
    for m in items:
        order.setdefault(m.thread or m.id, []).append(m)
    return [m for group in order.values() for m in group]
