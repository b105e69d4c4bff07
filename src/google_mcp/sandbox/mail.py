"""The sandbox mailbox: messages, threads, labels, drafts and history."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from .errors import ApiError, bad_request, not_found
from .mime import Parsed, addresses, parse, valid_address

SYSTEM_LABELS = [
    "INBOX",
    "SENT",
    "DRAFT",
    "SPAM",
    "TRASH",
    "UNREAD",
    "STARRED",
    "IMPORTANT",
    "CHAT",
    "CATEGORY_PERSONAL",
    "CATEGORY_SOCIAL",
    "CATEGORY_PROMOTIONS",
    "CATEGORY_UPDATES",
    "CATEGORY_FORUMS",
]
_HIDDEN_SYSTEM = {
    "CHAT",
    "CATEGORY_PERSONAL",
    "CATEGORY_SOCIAL",
    "CATEGORY_PROMOTIONS",
    "CATEGORY_UPDATES",
    "CATEGORY_FORUMS",
}
_SUBJECT_PREFIX = re.compile(r"^\s*((re|fwd?|aw|sv|wg)\s*:\s*)+", re.I)


def normalise_subject(subject: str) -> str:
    return _SUBJECT_PREFIX.sub("", subject).strip().lower()


@dataclass
class Label:
    id: str
    name: str
    type: str = "user"
    message_list_visibility: str | None = "show"
    label_list_visibility: str | None = "labelShow"
    color: dict[str, str] | None = None


@dataclass
class StoredMessage:
    id: str
    thread_id: str
    raw: bytes
    parsed: Parsed
    internal_date: int
    history_id: int
    labels: list[str] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.raw)


@dataclass
class Draft:
    id: str
    message_id: str


ChangeListener = Callable[[int, list[str]], None]


class Mailbox:
    def __init__(self, account: str, id_base: int = 0x18A0000000000000) -> None:
        self.account = account
        self.id_base = id_base  # each account's ids its own, as Gmail's are
        self.messages: dict[str, StoredMessage] = {}
        self.threads: dict[str, list[str]] = {}
        self.labels: dict[str, Label] = {}
        self.drafts: dict[str, Draft] = {}
        self.by_rfc_id: dict[str, str] = {}
        self.history: list[dict[str, Any]] = []
        self.history_id = 1000
        self.watch: dict[str, Any] | None = None
        self.listeners: list[ChangeListener] = []
        self._next = 0
        self._next_label = 1
        for name in SYSTEM_LABELS:
            hidden = name in _HIDDEN_SYSTEM
            self.labels[name] = Label(
                name,
                name,
                "system",
                None if hidden else "show",
                None if hidden else "labelShow",
            )

    # ids -----------------------------------------------------------------
    def _new_id(self) -> str:
        self._next += 1
        return f"{self.id_base + self._next * 0x1F3D:016x}"

    # labels --------------------------------------------------------------
    def add_label(self, name: str, **kwargs: Any) -> Label:
        name = name.strip()
        if not name:
            raise bad_request("Invalid label name: it is empty.")
        if any(lb.name.lower() == name.lower() for lb in self.labels.values()):
            raise ApiError(409, "Label name exists or conflicts", "duplicate")
        label = Label(f"Label_{self._next_label}", name, **kwargs)
        self._next_label += 1
        self.labels[label.id] = label
        return label

    def label(self, label_id: str) -> Label:
        found = self.labels.get(label_id)
        if found is None:
            raise not_found(f"Invalid label: {label_id}")
        return found

    def check_labels(self, ids: Iterable[str]) -> list[str]:
        out = []
        for lid in ids:
            if lid not in self.labels:
                raise bad_request(f"Invalid label: {lid}", "invalidArgument")
            out.append(lid)
        return out

    # messages ------------------------------------------------------------
    def get(self, message_id: str) -> StoredMessage:
        found = self.messages.get(message_id)
        if found is None:
            raise not_found()
        return found

    def thread(self, thread_id: str) -> list[StoredMessage]:
        ids = self.threads.get(thread_id)
        if not ids:
            raise not_found()
        return sorted((self.messages[i] for i in ids), key=lambda m: m.internal_date)

    def add(
        self,
        raw: bytes,
        labels: Iterable[str],
        *,
        thread_id: str | None = None,
        internal_date: int | None = None,
        now_ms: int,
        message_id: str | None = None,
    ) -> StoredMessage:
        parsed = parse(raw)
        if thread_id is not None and thread_id not in self.threads:
            raise not_found(f"Invalid thread id: {thread_id}")
        if thread_id is None:
            thread_id = self._thread_for(parsed)
        mid = message_id or self._new_id()
        date = internal_date if internal_date is not None else (parsed.date_ms or now_ms)
        msg = StoredMessage(
            mid,
            thread_id or mid,
            raw,
            parsed,
            date,
            self.history_id,
            list(dict.fromkeys(self.check_labels(labels))),
        )
        self.messages[mid] = msg
        self.threads.setdefault(msg.thread_id, []).append(mid)
        if parsed.message_id:
            self.by_rfc_id.setdefault(parsed.message_id, mid)
        self._record(msg, "messagesAdded")
        return msg

    def _thread_for(self, parsed: Parsed) -> str | None:
        for ref in [parsed.in_reply_to, *reversed(parsed.references)]:
            mid = self.by_rfc_id.get(ref)
            if mid and mid in self.messages:
                parent = self.messages[mid]
                if normalise_subject(parent.parsed.subject) == normalise_subject(parsed.subject):
                    return parent.thread_id
        return None

    def modify(self, message_id: str, add: Iterable[str] = (), remove: Iterable[str] = ()) -> StoredMessage:
        msg = self.get(message_id)
        add_ids, remove_ids = self.check_labels(add), self.check_labels(remove)
        if set(add_ids) & set(remove_ids):
            raise bad_request("A label cannot be both added and removed.")
        added = [lid for lid in add_ids if lid not in msg.labels]
        removed = [lid for lid in remove_ids if lid in msg.labels]
        msg.labels = [lid for lid in msg.labels if lid not in removed] + added
        if added:
            self._record(msg, "labelsAdded", added)
        if removed:
            self._record(msg, "labelsRemoved", removed)
        return msg

    def trash(self, message_id: str) -> StoredMessage:
        msg = self.get(message_id)
        return self.modify(message_id, ["TRASH"], [lid for lid in ("INBOX",) if lid in msg.labels])

    def untrash(self, message_id: str) -> StoredMessage:
        msg = self.get(message_id)
        restore = ["INBOX"] if "SENT" not in msg.labels and "DRAFT" not in msg.labels else []
        return self.modify(message_id, restore, ["TRASH"] if "TRASH" in msg.labels else [])

    def delete(self, message_id: str) -> None:
        msg = self.get(message_id)
        del self.messages[message_id]
        ids = self.threads[msg.thread_id]
        ids.remove(message_id)
        if not ids:
            del self.threads[msg.thread_id]
        for draft_id, draft in list(self.drafts.items()):
            if draft.message_id == message_id:
                del self.drafts[draft_id]
        self._record(msg, "messagesDeleted")

    # sending -------------------------------------------------------------
    def check_outgoing(self, parsed: Parsed, *, need_recipient: bool = True) -> None:
        for header in ("To", "Cc", "Bcc"):
            value = parsed.msg.get(header)
            if value is None:
                continue
            for _, addr in addresses(str(value)):
                if not valid_address(addr):
                    raise bad_request(f"Invalid {header} header", "invalidArgument")
        if need_recipient and not (parsed.to or parsed.cc or parsed.bcc):
            raise bad_request("Recipient address required", "invalidArgument")

    def send(self, raw: bytes, thread_id: str | None, now_ms: int) -> StoredMessage:
        self.check_outgoing(parse(raw))
        return self.add(raw, ["SENT"], thread_id=thread_id, internal_date=now_ms, now_ms=now_ms)

    # history -------------------------------------------------------------
    def _record(self, msg: StoredMessage, kind: str, label_ids: list[str] | None = None) -> None:
        self.history_id += 1
        msg.history_id = self.history_id
        ref = {"id": msg.id, "threadId": msg.thread_id, "labelIds": list(msg.labels)}
        entry: dict[str, Any] = {"id": str(self.history_id), "messages": [ref]}
        item: dict[str, Any] = {"message": ref}
        if label_ids is not None:
            item["labelIds"] = label_ids
        entry[kind] = [item]
        self.history.append(entry)
        changed = sorted(set(msg.labels) | set(label_ids or []))
        for listener in self.listeners:
            listener(self.history_id, changed)
