"""Gmail's results: what the Gmail tools answer (pydantic, so each tool has an output schema)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, PrivateAttr
from pydantic.json_schema import SkipJsonSchema

from google_mcp.models import Result


class MessageSummary(Result):
    id: str
    thread_id: str
    date: str = Field(description="ISO 8601 with UTC offset")
    sender: str
    to: str
    subject: str
    snippet: str
    labels: list[str]
    unread: bool
    has_attachments: bool = Field(description="true for multipart/mixed messages, where attachments live")
    account: SkipJsonSchema[str | None] = None  # which linked account (account="all", a shared server)


class SearchResult(Result):
    query: str
    messages: list[MessageSummary]
    result_size_estimate: int
    next_page_token: str | None = Field(default=None, description="pass as page_token for the next page")
    failed_ids: list[str] = Field(default_factory=list, description="messages that could not be read this time")
    _label_names: dict[str, str] = PrivateAttr(default_factory=dict)  # for the text: user labels by name

    @property
    def label_names(self) -> dict[str, str]:
        return self._label_names

    @classmethod
    def across(cls, answers: dict[str, SearchResult], args: dict[str, Any]) -> SearchResult:
        """One search over several linked accounts: newest first, each message saying whose it is; user
        labels by name (their ids are each account's own)."""
        messages: list[MessageSummary] = []
        names: dict[str, str] = {}
        for email, found in answers.items():
            for m in found.messages:
                labels = [found.label_names.get(x, x) if x.startswith("Label_") else x for x in m.labels]
                messages.append(m.model_copy(update={"account": email, "labels": labels}))
            names.update({n: n for n in found.label_names.values()})
        messages.sort(key=lambda m: m.date, reverse=True)
        merged = cls(
            query=next(iter(answers.values())).query if answers else "",
            messages=messages,
            result_size_estimate=sum(a.result_size_estimate for a in answers.values()),
            failed_ids=[i for a in answers.values() for i in a.failed_ids],
        )
        merged._label_names = names
        return merged


class AttachmentInfo(Result):
    attachment_id: str
    part_id: str
    filename: str
    mime_type: str
    size: int


class MessageDetail(Result):
    id: str
    thread_id: str
    labels: list[str]
    date: str
    sender: str
    to: str
    cc: str = ""
    bcc: str = ""
    reply_to: str = ""
    subject: str
    rfc822_message_id: str = ""
    body: str
    body_source: Literal["text/plain", "text/html", "none"]
    quoted_history_folded: bool
    total_chars: int
    next_offset: int | None = Field(default=None, description="where the rest of a cut body begins")
    note: str | None = None
    attachments: list[AttachmentInfo]


class ThreadDetail(Result):
    id: str
    subject: str
    message_count: int
    messages: list[MessageDetail]
    omitted_ids: list[str] = Field(default_factory=list)
    note: str | None = None


class LabelInfo(Result):
    id: str
    name: str
    type: Literal["system", "user"]


class LabelList(Result):
    labels: list[LabelInfo]


class SavedAttachment(Result):
    filename: str
    mime_type: str
    size: int
    path: str
    text: str | None = Field(default=None, description="the content, for small text attachments")


class SentMessage(Result):
    status: Literal["sent"] = "sent"
    id: str
    thread_id: str
    labels: list[str]


class DraftCreated(Result):
    status: Literal["draft_created"] = "draft_created"
    draft_id: str
    message_id: str
    thread_id: str


class LabelsModified(Result):
    status: Literal["modified"] = "modified"
    message_ids: list[str]
    thread_ids: list[str]
    added: list[str]
    removed: list[str]


class Trashed(Result):
    status: Literal["trashed"] = "trashed"
    message_ids: list[str]
    thread_ids: list[str]
