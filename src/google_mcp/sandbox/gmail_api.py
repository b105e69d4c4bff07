"""Gmail v1 over HTTP: the paths googleapiclient sends, answered from the sandbox mailbox (messages and
threads in gmail_messages.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .errors import ApiError, bad_request, not_found
from .gmail_messages import GmailMessages, page_of
from .mail import Draft
from .mime import parse, unb64url
from .routing import Call, Method, Reply, Router

if TYPE_CHECKING:
    pass

G = "https://www.googleapis.com/auth/"
FULL = "https://mail.google.com/"
READ = (G + "gmail.readonly", G + "gmail.modify", FULL, G + "gmail.metadata")
MODIFY = (G + "gmail.modify", FULL)
SEND = (G + "gmail.send", G + "gmail.compose", G + "gmail.modify", FULL)
COMPOSE = (G + "gmail.compose", G + "gmail.modify", FULL)
LABELS = (G + "gmail.labels", G + "gmail.modify", FULL)
DELETE = (FULL,)
U = "/gmail/v1/users/{user}"
_HISTORY_TYPE = {
    "messagesAdded": "messageAdded",
    "messagesDeleted": "messageDeleted",
    "labelsAdded": "labelAdded",
    "labelsRemoved": "labelRemoved",
}


_VERBS = {"GET": "get", "DELETE": "delete", "PATCH": "patch", "PUT": "update", "POST": "create"}


def _method_id(method: str, path: str) -> str:
    """Google's method id of a route, e.g. GET /messages/{id} -> gmail.users.messages.get."""
    parts = [p for p in path.split("/") if p and not p.startswith("{")]
    if not parts or parts == ["profile"]:
        return "gmail.users.getProfile"
    if parts[-1] in ("watch", "stop"):
        return "gmail.users." + parts[-1]
    if method == "POST" and len(parts) == 1:
        return f"gmail.users.{parts[0]}." + ("insert" if parts[0] == "messages" else "create")
    if path.endswith("}") or method != "POST":
        verb = "list" if method == "GET" and not path.endswith("}") else _VERBS[method]
        return "gmail.users." + ".".join([*parts, verb] if parts[-1] not in ("history",) else [parts[0], "list"])
    return "gmail.users." + ".".join(parts)


class GmailApi(GmailMessages):
    def register(self, r: Router) -> None:
        routes = [
            ("GET", "/profile", self.profile, READ),
            ("GET", "/messages", self.list_messages, READ),
            ("POST", "/messages", self.insert, MODIFY),
            ("POST", "/messages/import", self.import_, MODIFY),
            ("POST", "/messages/send", self.send, SEND),
            ("POST", "/messages/batchModify", self.batch_modify, MODIFY),
            ("POST", "/messages/batchDelete", self.batch_delete, DELETE),
            ("GET", "/messages/{id}", self.get_message, READ),
            ("DELETE", "/messages/{id}", self.delete_message, DELETE),
            ("POST", "/messages/{id}/modify", self.modify_message, MODIFY),
            ("POST", "/messages/{id}/trash", self.trash_message, MODIFY),
            ("POST", "/messages/{id}/untrash", self.untrash_message, MODIFY),
            ("GET", "/messages/{mid}/attachments/{id}", self.attachment, READ),
            ("GET", "/threads", self.list_threads, READ),
            ("GET", "/threads/{id}", self.get_thread, READ),
            ("DELETE", "/threads/{id}", self.delete_thread, DELETE),
            ("POST", "/threads/{id}/modify", self.modify_thread, MODIFY),
            ("POST", "/threads/{id}/trash", self.trash_thread, MODIFY),
            ("POST", "/threads/{id}/untrash", self.untrash_thread, MODIFY),
            ("GET", "/labels", self.list_labels, READ + LABELS),
            ("POST", "/labels", self.create_label, LABELS),
            ("GET", "/labels/{id}", self.get_label, READ + LABELS),
            ("PATCH", "/labels/{id}", self.patch_label, LABELS),
            ("PUT", "/labels/{id}", self.update_label, LABELS),
            ("DELETE", "/labels/{id}", self.delete_label, LABELS),
            ("GET", "/drafts", self.list_drafts, READ + COMPOSE),
            ("POST", "/drafts", self.create_draft, COMPOSE),
            ("POST", "/drafts/send", self.send_draft, SEND),
            ("GET", "/drafts/{id}", self.get_draft, READ + COMPOSE),
            ("PUT", "/drafts/{id}", self.update_draft, COMPOSE),
            ("DELETE", "/drafts/{id}", self.delete_draft, COMPOSE),
            ("GET", "/history", self.history, READ),
            ("POST", "/watch", self.watch, READ),
            ("POST", "/stop", self.stop, READ),
        ]
        for method, path, handler, scopes in routes:
            r.add(method, U + path, self._user(handler, _method_id(method, path)), scopes)

    def _user(self, handler: Callable[[Call], Any], method_id: str) -> Method:
        def wrapped(call: Call) -> Any:
            user = call.params.pop("user")
            if user not in ("me", self.box.account):
                raise ApiError(403, "Delegation denied for " + self.box.account, "forbidden")
            return handler(call)

        return Method(wrapped, method_id)

    def label_json(self, lid: str, counts: bool = False) -> dict[str, Any]:
        lb = self.box.label(lid)
        out: dict[str, Any] = {"id": lb.id, "name": lb.name, "type": lb.type}
        if lb.message_list_visibility:
            out["messageListVisibility"] = lb.message_list_visibility
        if lb.label_list_visibility:
            out["labelListVisibility"] = lb.label_list_visibility
        if lb.color:
            out["color"] = lb.color
        if counts:
            msgs = [m for m in self.box.messages.values() if lid in m.labels]
            out["messagesTotal"] = len(msgs)
            out["messagesUnread"] = sum("UNREAD" in m.labels for m in msgs)
            out["threadsTotal"] = len({m.thread_id for m in msgs})
            out["threadsUnread"] = len({m.thread_id for m in msgs if "UNREAD" in m.labels})
        return out

    def list_labels(self, call: Call) -> Any:
        return {"labels": [self.label_json(lid) for lid in self.box.labels]}

    def get_label(self, call: Call) -> Any:
        return self.label_json(call.params["id"], counts=True)

    def _label_fields(self, body: dict[str, Any]) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        if "messageListVisibility" in body:
            fields["message_list_visibility"] = body["messageListVisibility"]
        if "labelListVisibility" in body:
            fields["label_list_visibility"] = body["labelListVisibility"]
        if "color" in body:
            fields["color"] = body["color"]
        return fields

    def create_label(self, call: Call) -> Any:
        body = call.json()
        name = body.get("name")
        if not isinstance(name, str):
            raise bad_request("Invalid label name: a name is required.")
        lb = self.box.add_label(name, **self._label_fields(body))
        return self.label_json(lb.id)

    def patch_label(self, call: Call, replace: bool = False) -> Any:
        lb = self.box.label(call.params["id"])
        if lb.type == "system":
            raise bad_request("Invalid update request: system labels cannot be changed.")
        body = call.json()
        name = body.get("name")
        if replace and not isinstance(name, str):
            raise bad_request("Invalid label name: a name is required.")
        if isinstance(name, str) and name.lower() != lb.name.lower():
            if any(x.name.lower() == name.lower() for x in self.box.labels.values()):
                raise ApiError(409, "Label name exists or conflicts", "duplicate")
            lb.name = name
        for key, value in self._label_fields(body).items():
            setattr(lb, key, value)
        return self.label_json(lb.id)

    def update_label(self, call: Call) -> Any:
        return self.patch_label(call, replace=True)

    def delete_label(self, call: Call) -> Any:
        lb = self.box.label(call.params["id"])
        if lb.type == "system":
            raise bad_request("Invalid delete request: system labels cannot be deleted.")
        for m in self.box.messages.values():
            if lb.id in m.labels:
                self.box.modify(m.id, [], [lb.id])
        del self.box.labels[lb.id]
        return Reply(204)

    # drafts --------------------------------------------------------------
    def _draft(self, draft_id: str) -> Draft:
        draft = self.box.drafts.get(draft_id)
        if draft is None:
            raise not_found()
        return draft

    def _draft_message(self, call: Call) -> tuple[bytes, str | None]:
        msg = call.json().get("message")
        if not isinstance(msg, dict) or not isinstance(msg.get("raw"), str):
            raise bad_request("Missing draft message: message.raw is required.")
        raw = unb64url(msg["raw"])
        self.box.check_outgoing(parse(raw), need_recipient=False)
        return raw, msg.get("threadId")

    def list_drafts(self, call: Call) -> Any:
        drafts = sorted(
            self.box.drafts.values(),
            key=lambda d: self.box.messages[d.message_id].internal_date,
            reverse=True,
        )
        chunk, nxt = page_of(drafts, call, 100, 500)
        out: dict[str, Any] = {"resultSizeEstimate": len(drafts)}
        if chunk:
            out["drafts"] = [
                {
                    "id": d.id,
                    "message": {"id": d.message_id, "threadId": self.box.messages[d.message_id].thread_id},
                }
                for d in chunk
            ]
        if nxt:
            out["nextPageToken"] = nxt
        return out

    def create_draft(self, call: Call) -> Any:
        from .mail import Draft

        raw, thread_id = self._draft_message(call)
        m = self.box.add(raw, ["DRAFT"], thread_id=thread_id, internal_date=self.sb.now_ms(), now_ms=self.sb.now_ms())
        draft = Draft("r" + str(int(m.id, 16) % 10**19), m.id)
        self.box.drafts[draft.id] = draft
        return {"id": draft.id, "message": {"id": m.id, "threadId": m.thread_id, "labelIds": m.labels}}

    def get_draft(self, call: Call) -> Any:
        draft = self._draft(call.params["id"])
        m = self.box.get(draft.message_id)
        return {"id": draft.id, "message": self.render(m, call.arg("format", "full") or "full")}

    def update_draft(self, call: Call) -> Any:
        draft = self._draft(call.params["id"])
        raw, thread_id = self._draft_message(call)
        old = self.box.get(draft.message_id)
        self.box.delete(old.id)
        self.box.drafts[draft.id] = draft
        m = self.box.add(
            raw,
            ["DRAFT"],
            thread_id=thread_id if thread_id in self.box.threads else None,
            internal_date=self.sb.now_ms(),
            now_ms=self.sb.now_ms(),
        )
        draft.message_id = m.id
        return {"id": draft.id, "message": {"id": m.id, "threadId": m.thread_id, "labelIds": m.labels}}

    def send_draft(self, call: Call) -> Any:
        body = call.json()
        draft_id = body.get("id")
        if not isinstance(draft_id, str):
            raise bad_request("A draft id is required.")
        draft = self._draft(draft_id)
        m = self.box.get(draft.message_id)
        self.box.check_outgoing(m.parsed)
        del self.box.drafts[draft_id]
        self.box.modify(m.id, ["SENT"], ["DRAFT"])
        m.internal_date = self.sb.now_ms()
        return {"id": m.id, "threadId": m.thread_id, "labelIds": list(m.labels)}

    def delete_draft(self, call: Call) -> Any:
        draft = self._draft(call.params["id"])
        self.box.delete(draft.message_id)
        self.box.drafts.pop(draft.id, None)
        return Reply(204)

    # history and watch ---------------------------------------------------
    def history(self, call: Call) -> Any:
        start = call.arg("startHistoryId")
        if not start or not start.isdigit():
            raise bad_request("startHistoryId is required and must be a number.")
        first = int(self.box.history[0]["id"]) if self.box.history else self.box.history_id
        if int(start) < first - 1:
            raise not_found("Requested entity was not found. startHistoryId is too old; do a full sync.")
        types = set(call.args("historyTypes"))
        label = call.arg("labelId")
        items = []
        for entry in self.box.history:
            if int(entry["id"]) <= int(start):
                continue
            kinds = [k for k in ("messagesAdded", "messagesDeleted", "labelsAdded", "labelsRemoved") if k in entry]
            if types and not any(_HISTORY_TYPE[k] in types for k in kinds):
                continue
            if label and not any(label in ref["labelIds"] for ref in entry["messages"]):
                continue
            items.append(entry)
        chunk, nxt = page_of(items, call, 100, 500)
        out: dict[str, Any] = {"historyId": str(self.box.history_id)}
        if chunk:
            out["history"] = chunk
        if nxt:
            out["nextPageToken"] = nxt
        return out

    def watch(self, call: Call) -> Any:
        body = call.json()
        topic = body.get("topicName")
        if not isinstance(topic, str) or not topic.startswith("projects/"):
            raise bad_request("Invalid topicName: use projects/PROJECT/topics/TOPIC.")
        expiration = self.sb.now_ms() + 7 * 24 * 3600 * 1000
        self.box.watch = {
            "topicName": topic,
            "labelIds": list(body.get("labelIds") or []),
            "labelFilterBehavior": body.get("labelFilterBehavior") or body.get("labelFilterAction") or "include",
            "expiration": expiration,
        }
        return {"historyId": str(self.box.history_id), "expiration": str(expiration)}

    def stop(self, call: Call) -> Any:
        self.box.watch = None
        return Reply(204)
