"""Gmail v1's messages and threads, answered from the sandbox mailbox (labels, drafts, history and the
routes themselves are gmail_api.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import bad_request, not_found
from .mail import Mailbox, StoredMessage
from .mime import find_part, parse, parse_attachment_id, payload, unb64url
from .routing import Call, Reply
from .search import SearchContext, compile_query, mentions_spam_or_trash

if TYPE_CHECKING:
    from .host import Host


def page_of(items: list[Any], call: Call, default: int, cap: int) -> tuple[list[Any], str | None]:
    size = call.int_arg("maxResults", default, lo=1, hi=cap)
    token = call.arg("pageToken") or "0"
    if not token.isdigit():
        raise bad_request("Invalid pageToken.")
    start = int(token)
    chunk = items[start : start + size]
    nxt = str(start + size) if start + size < len(items) else None
    return chunk, nxt


class GmailMessages:
    def __init__(self, sandbox: Host) -> None:
        self.sb = sandbox

    @property
    def box(self) -> Mailbox:
        return self.sb.mailbox

    # rendering -----------------------------------------------------------
    def render(self, m: StoredMessage, fmt: str = "full", headers: list[str] | None = None) -> dict[str, Any]:
        if fmt not in ("minimal", "metadata", "full", "raw"):
            raise bad_request(f"Invalid format: {fmt}. Use minimal, metadata, full or raw.")
        out: dict[str, Any] = {
            "id": m.id,
            "threadId": m.thread_id,
            "labelIds": list(m.labels),
            "snippet": m.parsed.snippet(),
            "sizeEstimate": m.size,
            "historyId": str(m.history_id),
            "internalDate": str(m.internal_date),
        }
        if fmt == "metadata":
            wanted = {h.lower() for h in headers} if headers else None
            out["payload"] = payload(m.parsed.msg, m.id, only_headers=wanted, with_body=False)
        elif fmt == "full":
            out["payload"] = payload(m.parsed.msg, m.id)
        elif fmt == "raw":
            from .mime import b64url

            out["raw"] = b64url(m.raw)
        return out

    def _ctx(self) -> SearchContext:
        from .search import _norm_label

        return SearchContext(
            account=self.box.account,
            now=self.sb.now(),
            tz=self.sb.tz,
            label_names={lid: _norm_label(lb.name) for lid, lb in self.box.labels.items()},
        )

    def _matching(self, call: Call) -> list[StoredMessage]:
        query = call.arg("q") or ""
        pred = compile_query(query)
        label_ids = call.args("labelIds")
        include = call.bool_arg("includeSpamTrash") or mentions_spam_or_trash(query)
        ctx = self._ctx()
        found = []
        for m in self.box.messages.values():
            if not include and ("SPAM" in m.labels or "TRASH" in m.labels):
                continue
            if any(lid not in m.labels for lid in label_ids):
                continue
            if pred(m, ctx):
                found.append(m)
        found.sort(key=lambda m: (m.internal_date, m.id), reverse=True)
        return found

    # handlers ------------------------------------------------------------
    def profile(self, call: Call) -> Any:
        return {
            "emailAddress": self.box.account,
            "messagesTotal": len(self.box.messages),
            "threadsTotal": len(self.box.threads),
            "historyId": str(self.box.history_id),
        }

    def list_messages(self, call: Call) -> Any:
        found = self._matching(call)
        chunk, nxt = page_of(found, call, 100, 500)
        out: dict[str, Any] = {"resultSizeEstimate": len(found)}
        if chunk:
            out["messages"] = [{"id": m.id, "threadId": m.thread_id} for m in chunk]
        if nxt:
            out["nextPageToken"] = nxt
        return out

    def _raw_body(self, call: Call) -> tuple[bytes, dict[str, Any]]:
        body = call.json()
        raw = body.get("raw")
        if not isinstance(raw, str) or not raw:
            raise bad_request("'raw' RFC822 payload message string or uploading message via /upload/* URL required")
        return unb64url(raw), body

    def insert(self, call: Call) -> Any:
        raw, body = self._raw_body(call)
        m = self.box.add(
            raw,
            body.get("labelIds") or [],
            thread_id=body.get("threadId"),
            internal_date=self._internal_date(call, raw, "receivedTime"),
            now_ms=self.sb.now_ms(),
        )
        return self.render(m, "minimal")

    def import_(self, call: Call) -> Any:
        raw, body = self._raw_body(call)
        labels = body.get("labelIds") or ["INBOX", "UNREAD"]
        m = self.box.add(
            raw,
            labels,
            thread_id=body.get("threadId"),
            internal_date=self._internal_date(call, raw, "dateHeader"),
            now_ms=self.sb.now_ms(),
        )
        return self.render(m, "minimal")

    def _internal_date(self, call: Call, raw: bytes, default: str) -> int:
        """Gmail dates an import by its Date header and an insert by the time it arrives, unless asked
        otherwise; a missing or unreadable Date header falls back to the time of arrival."""
        source = call.arg("internalDateSource") or default
        if source not in ("receivedTime", "dateHeader"):
            raise bad_request(f"Invalid value for internalDateSource: {source!r}. Use receivedTime or dateHeader.")
        date = parse(raw).date_ms if source == "dateHeader" else None
        return date if date is not None else self.sb.now_ms()

    def send(self, call: Call) -> Any:
        raw, body = self._raw_body(call)
        m = self.box.send(raw, body.get("threadId"), self.sb.now_ms())
        return {"id": m.id, "threadId": m.thread_id, "labelIds": list(m.labels)}

    def _ids(self, call: Call) -> tuple[list[str], dict[str, Any]]:
        body = call.json()
        ids = body.get("ids")
        if not isinstance(ids, list) or not ids:
            raise bad_request("ids must be a non-empty list of message ids.")
        if len(ids) > 1000:
            raise bad_request("At most 1000 ids per request.")
        return [str(i) for i in ids], body

    def batch_modify(self, call: Call) -> Any:
        ids, body = self._ids(call)
        for mid in ids:
            if mid in self.box.messages:
                self.box.modify(mid, body.get("addLabelIds") or [], body.get("removeLabelIds") or [])
        return Reply(204)

    def batch_delete(self, call: Call) -> Any:
        ids, _ = self._ids(call)
        for mid in ids:
            if mid in self.box.messages:
                self.box.delete(mid)
        return Reply(204)

    def get_message(self, call: Call) -> Any:
        m = self.box.get(call.params["id"])
        return self.render(m, call.arg("format", "full") or "full", call.args("metadataHeaders"))

    def delete_message(self, call: Call) -> Any:
        self.box.delete(call.params["id"])
        return Reply(204)

    def modify_message(self, call: Call) -> Any:
        body = call.json()
        m = self.box.modify(call.params["id"], body.get("addLabelIds") or [], body.get("removeLabelIds") or [])
        return {"id": m.id, "threadId": m.thread_id, "labelIds": list(m.labels)}

    def trash_message(self, call: Call) -> Any:
        return self.render(self.box.trash(call.params["id"]), "minimal")

    def untrash_message(self, call: Call) -> Any:
        return self.render(self.box.untrash(call.params["id"]), "minimal")

    def attachment(self, call: Call) -> Any:
        m = self.box.get(call.params["mid"])
        ref = parse_attachment_id(call.params["id"])
        if ref is None or ref[0] != m.id:
            raise not_found("Invalid attachment id.")
        part = find_part(m.parsed.msg, ref[1])
        if part is None:
            raise not_found("Invalid attachment id.")
        data = part.get_payload(decode=True)
        data = data if isinstance(data, bytes) else b""
        from .mime import b64url

        return {"attachmentId": call.params["id"], "size": len(data), "data": b64url(data)}

    # threads -------------------------------------------------------------
    def _thread_json(self, thread_id: str, fmt: str, headers: list[str]) -> dict[str, Any]:
        msgs = self.box.thread(thread_id)
        return {
            "id": thread_id,
            "historyId": str(max(m.history_id for m in msgs)),
            "messages": [self.render(m, fmt, headers) for m in msgs],
        }

    def list_threads(self, call: Call) -> Any:
        seen: dict[str, StoredMessage] = {}
        for m in self._matching(call):
            seen.setdefault(m.thread_id, m)
        threads = list(seen.values())
        chunk, nxt = page_of(threads, call, 100, 500)
        out: dict[str, Any] = {"resultSizeEstimate": len(threads)}
        if chunk:
            out["threads"] = [
                {"id": m.thread_id, "snippet": m.parsed.snippet(), "historyId": str(m.history_id)} for m in chunk
            ]
        if nxt:
            out["nextPageToken"] = nxt
        return out

    def get_thread(self, call: Call) -> Any:
        fmt = call.arg("format", "full") or "full"
        if fmt == "raw":
            raise bad_request("Invalid format: raw is not supported for threads.")
        return self._thread_json(call.params["id"], fmt, call.args("metadataHeaders"))

    def _each(self, call: Call, op: str) -> list[StoredMessage]:
        msgs: list[StoredMessage] = self.box.thread(call.params["id"])
        body = call.json() if op == "modify" else {}
        for m in msgs:
            if op == "modify":
                self.box.modify(m.id, body.get("addLabelIds") or [], body.get("removeLabelIds") or [])
            elif op == "trash":
                self.box.trash(m.id)
            elif op == "untrash":
                self.box.untrash(m.id)
        return msgs

    def delete_thread(self, call: Call) -> Any:
        for m in self.box.thread(call.params["id"]):
            self.box.delete(m.id)
        return Reply(204)

    def modify_thread(self, call: Call) -> Any:
        self._each(call, "modify")
        return self._thread_json(call.params["id"], "minimal", [])

    def trash_thread(self, call: Call) -> Any:
        self._each(call, "trash")
        return self._thread_json(call.params["id"], "minimal", [])

    def untrash_thread(self, call: Call) -> Any:
        self._each(call, "untrash")
        return self._thread_json(call.params["id"], "minimal", [])

    # labels --------------------------------------------------------------
