"""Chat v1 over HTTP, as the real client calls it with a person's sign-in: spaces (list, get), members
(list), messages (list with filter and orderBy, get, create in a thread by name or key, with messageReplyOption
and requestId) and reactions (create), each account its own.

Like Google under user authentication: a message's sender carries only its user id and type (names come from
the members list), a thread is named by the space, and a repeated requestId returns the message it made."""

from __future__ import annotations

import re
import secrets
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .errors import ApiError, bad_request, not_found, unknown_fields
from .routing import Call, Method, Router
from .timeutil import parse_rfc3339

if TYPE_CHECKING:
    from .host import Host

A = "https://www.googleapis.com/auth/chat."
SPACES = (A + "spaces", A + "spaces.readonly")
MEMBERS = (A + "memberships", A + "memberships.readonly")
READ = (A + "messages", A + "messages.readonly")
POST = (A + "messages", A + "messages.create")
REACT = (A + "messages", A + "messages.reactions", A + "messages.reactions.create")
S = "/v1/spaces"
MAX_TEXT_BYTES = 32_000
MESSAGE_FIELDS = frozenset(
    {
        "accessoryWidgets",
        "actionResponse",
        "annotations",
        "argumentText",
        "attachedGifs",
        "attachment",
        "cards",
        "cardsV2",
        "clientAssignedMessageId",
        "createTime",
        "deleteTime",
        "deletionMetadata",
        "elements",
        "emojiReactionSummaries",
        "fallbackText",
        "formattedText",
        "lastUpdateTime",
        "markupSyntax",
        "matchedUrl",
        "name",
        "privateMessageViewer",
        "quotedMessageMetadata",
        "sender",
        "silent",
        "slashCommand",
        "space",
        "text",
        "thread",
        "threadReply",
    }
)
_TIME_FILTER = re.compile(r'create_?[tT]ime\s*(>=|<=|>|<)\s*"([^"]+)"')
_THREAD_FILTER = re.compile(r'thread\.name\s*=\s*"?([\w/.-]+)"?')


def user_id(email: str) -> str:
    """A person's Chat user id: the same person, the same id, in every space and every run."""
    return f"users/1{zlib.crc32(email.lower().encode()):011d}"


def stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")


@dataclass
class Space:
    id: str
    display_name: str
    type: str  # SPACE, GROUP_CHAT, DIRECT_MESSAGE
    created: datetime
    members: list[tuple[str, str]] = field(default_factory=list)  # (user id, display name)
    messages: list[dict[str, Any]] = field(default_factory=list)  # oldest first
    threads: dict[str, str] = field(default_factory=dict)  # threadKey -> thread id

    @property
    def name(self) -> str:
        return f"spaces/{self.id}"


@dataclass
class ChatStore:
    me: str  # the account's user id
    spaces: list[Space] = field(default_factory=list)
    requests: dict[str, str] = field(default_factory=dict)  # requestId -> message name
    reactions: set[tuple[str, str, str]] = field(default_factory=set)  # (message, user, emoji)

    def add_message(
        self, space: Space, sender: str, text: str, when: datetime, thread: str | None = None
    ) -> dict[str, Any]:
        thread_id = thread or secrets.token_hex(6)
        message = {
            "name": f"{space.name}/messages/{secrets.token_hex(8)}.{secrets.token_hex(4)}",
            "sender": {"name": sender, "type": "HUMAN"},  # user authentication: no displayName here
            "createTime": stamp(when),
            "text": text,
            "formattedText": text,
            "argumentText": text,
            "thread": {"name": f"{space.name}/threads/{thread_id}"},
            "space": {"name": space.name},
            "threadReply": thread is not None,
        }
        space.messages.append(message)
        return message


def space_json(space: Space) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": space.name,
        "type": "ROOM" if space.type == "SPACE" else "DM",
        "spaceType": space.type,
        "spaceThreadingState": "THREADED_MESSAGES" if space.type == "SPACE" else "UNTHREADED_MESSAGES",
        "membershipCount": {"joinedDirectHumanUserCount": len(space.members)},
        "createTime": stamp(space.created),
        "spaceUri": f"https://mail.google.com/chat/u/0/#chat/space/{space.id}",
        "spaceHistoryState": "HISTORY_ON",
    }
    if space.display_name:
        out["displayName"] = space.display_name
    if space.messages:
        out["lastActiveTime"] = space.messages[-1]["createTime"]
    return out


def _page(call: Call, items: list[Any], default: int) -> tuple[list[Any], str | None]:
    size = call.int_arg("pageSize", default, lo=0, hi=1000) or default
    try:
        start = int(call.arg("pageToken") or 0)
    except ValueError:
        raise bad_request("Invalid page token.") from None
    return items[start : start + size], (str(start + size) if start + size < len(items) else None)


class ChatApi:
    def __init__(self, sandbox: Host) -> None:
        self.sb = sandbox
        self.stores: dict[str, ChatStore] = {}

    def reset(self) -> None:
        self.stores = {}

    @property
    def store(self) -> ChatStore:
        account = self.sb.mailbox.account
        found = self.stores.get(account)
        if found is None:
            found = self.stores[account] = ChatStore(me=user_id(account))
        return found

    def register(self, r: Router) -> None:
        m = S + "/{space}/messages"
        for method, path, handler, method_id, scopes in [
            ("GET", S, self.list_spaces, "chat.spaces.list", SPACES),
            ("GET", S + "/{space}", self.get_space, "chat.spaces.get", SPACES),
            ("GET", S + "/{space}/members", self.list_members, "chat.spaces.members.list", MEMBERS),
            ("GET", m, self.list_messages, "chat.spaces.messages.list", READ),
            ("POST", m, self.create_message, "chat.spaces.messages.create", POST),
            ("GET", m + "/{message}", self.get_message, "chat.spaces.messages.get", READ),
            ("POST", m + "/{message}/reactions", self.react, "chat.spaces.messages.reactions.create", REACT),
        ]:
            r.add(method, path, Method(handler, method_id), scopes)

    def _space(self, call: Call) -> Space:
        found = next((s for s in self.store.spaces if s.id == call.params["space"]), None)
        if found is None:
            raise not_found(f"Space spaces/{call.params['space']} not found or the caller is not a member of it.")
        return found

    def _message(self, call: Call) -> tuple[Space, dict[str, Any]]:
        space = self._space(call)
        name = f"{space.name}/messages/{call.params['message']}"
        found = next((m for m in space.messages if m["name"] == name), None)
        if found is None:
            raise not_found(f"Message {name} not found.")
        return space, found

    def list_spaces(self, call: Call) -> dict[str, Any]:
        spaces = self.store.spaces
        wanted = call.arg("filter")
        if wanted:
            types = re.findall(r'space_?[tT]ype\s*=\s*"(\w+)"', wanted)
            if not types or any(t not in ("SPACE", "GROUP_CHAT", "DIRECT_MESSAGE") for t in types):
                raise bad_request(f"Invalid filter: {wanted}")
            spaces = [s for s in spaces if s.type in types]
        items, nxt = _page(call, spaces, 100)
        return {"spaces": [space_json(s) for s in items], **({"nextPageToken": nxt} if nxt else {})}

    def get_space(self, call: Call) -> dict[str, Any]:
        return space_json(self._space(call))

    def list_members(self, call: Call) -> dict[str, Any]:
        space = self._space(call)
        members = [
            {
                "name": f"{space.name}/members/{user.split('/')[1]}",
                "state": "JOINED",
                "role": "ROLE_MEMBER",
                "member": {"name": user, "displayName": shown, "type": "HUMAN"},
                "createTime": stamp(space.created),
            }
            for user, shown in space.members
        ]
        items, nxt = _page(call, members, 100)
        return {"memberships": items, **({"nextPageToken": nxt} if nxt else {})}

    def list_messages(self, call: Call) -> dict[str, Any]:
        space = self._space(call)
        chosen = list(space.messages)
        wanted = call.arg("filter") or ""
        if wanted:
            known = _TIME_FILTER.findall(wanted) or _THREAD_FILTER.findall(wanted)
            if not known:
                raise bad_request(f"Invalid filter: {wanted}")
            for op, raw in _TIME_FILTER.findall(wanted):
                bound = parse_rfc3339(raw, "create_time")
                chosen = [m for m in chosen if _compare(parse_rfc3339(m["createTime"], "createTime"), op, bound)]
            for thread in _THREAD_FILTER.findall(wanted):
                chosen = [m for m in chosen if m["thread"]["name"] == thread]
        order = (call.arg("orderBy") or "create_time ASC").replace("createTime", "create_time").split()
        if order[0] != "create_time" or len(order) > 2 or (len(order) == 2 and order[1].upper() not in ("ASC", "DESC")):
            raise bad_request(f"Invalid orderBy: {call.arg('orderBy')}")
        if len(order) == 2 and order[1].upper() == "DESC":
            chosen.reverse()
        items, nxt = _page(call, chosen, 25)
        return {"messages": items, **({"nextPageToken": nxt} if nxt else {})}

    def get_message(self, call: Call) -> dict[str, Any]:
        return self._message(call)[1]

    def create_message(self, call: Call) -> dict[str, Any]:
        space = self._space(call)
        store = self.store
        rid = call.arg("requestId")
        if rid and rid in store.requests:  # the same request again: the message it made, once
            name = store.requests[rid]
            return next(m for s in store.spaces for m in s.messages if m["name"] == name)
        body = call.json()
        unknown_fields(body, MESSAGE_FIELDS, "message")
        unknown_fields(body.get("thread") or {}, frozenset({"name", "threadKey"}), "message.thread")
        text = body.get("text")
        if not isinstance(text, str) or not text.strip():
            raise bad_request("Message cannot be empty. Discarding the message.")
        if len(text.encode()) > MAX_TEXT_BYTES:
            raise bad_request(f"Message text is too long: at most {MAX_TEXT_BYTES} bytes.")
        option = call.arg("messageReplyOption") or "MESSAGE_REPLY_OPTION_UNSPECIFIED"
        if option not in (
            "MESSAGE_REPLY_OPTION_UNSPECIFIED",
            "REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD",
            "REPLY_MESSAGE_OR_FAIL",
        ):
            raise bad_request(f"Invalid value for messageReplyOption: {option}")
        thread = body.get("thread") or {}
        key = thread.get("threadKey") or call.arg("threadKey")
        thread_id = None
        if option != "MESSAGE_REPLY_OPTION_UNSPECIFIED" and (thread.get("name") or key):
            if space.type != "SPACE":
                raise bad_request("Threaded replies are only supported in named spaces.")
            if thread.get("name"):
                known = {m["thread"]["name"] for m in space.messages}
                if thread["name"] in known:
                    thread_id = thread["name"].rsplit("/", 1)[1]
                elif option == "REPLY_MESSAGE_OR_FAIL":
                    raise not_found(f"Thread {thread['name']} not found.")
            elif key in space.threads:
                thread_id = space.threads[key]
        message = store.add_message(space, store.me, text, self.sb.now(), thread_id)
        if key and thread_id is None:
            space.threads[key] = message["thread"]["name"].rsplit("/", 1)[1]
        if key:
            message["thread"]["threadKey"] = key
        if rid:
            store.requests[rid] = message["name"]
        return message

    def react(self, call: Call) -> dict[str, Any]:
        _, message = self._message(call)
        body = call.json()
        unknown_fields(body, frozenset({"emoji", "name", "user"}), "reaction")
        emoji = (body.get("emoji") or {}).get("unicode")
        if not isinstance(emoji, str) or not emoji or len(emoji) > 16 or emoji.isascii():
            raise bad_request("Invalid emoji: give a Unicode emoji in emoji.unicode.")
        summaries = message.setdefault("emojiReactionSummaries", [])
        mine = (message["name"], self.store.me, emoji)
        if mine in self.store.reactions:
            raise ApiError(409, "The reaction already exists.", "alreadyExists")
        self.store.reactions.add(mine)
        found = next((s for s in summaries if s["emoji"].get("unicode") == emoji), None)
        if found is None:
            summaries.append({"emoji": {"unicode": emoji}, "reactionCount": 1})
        else:
            found["reactionCount"] += 1
        return {
            "name": f"{message['name']}/reactions/{secrets.token_hex(6)}",
            "emoji": {"unicode": emoji},
            "user": {"name": self.store.me, "type": "HUMAN"},
        }


def _compare(value: datetime, op: str, bound: datetime) -> bool:
    return {">": value > bound, ">=": value >= bound, "<": value < bound, "<=": value <= bound}[op]
