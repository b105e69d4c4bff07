"""Gmail's results: what the Gmail tools answer (pydantic, so each tool has an output schema)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field
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
    labels: list[str] = Field(default_factory=list, description="by name, as gmail_modify_labels takes them")
    has_attachments: bool = Field(default=False, description="true for multipart/mixed messages, where they live")
    account: SkipJsonSchema[str | None] = None  # which linked account (account="all", a shared server)


class SearchResult(Result):
    query: str
    messages: list[MessageSummary]
    result_size_estimate: int
    next_page_token: str | None = Field(default=None, description="pass as page_token for the next page")
    failed_ids: list[str] = Field(default_factory=list, description="messages that could not be read this time")

    @classmethod
    def across(cls, answers: dict[str, SearchResult], args: dict[str, Any]) -> SearchResult:
        """One search over several linked accounts: newest first, each message saying whose it is."""
        messages = [m.model_copy(update={"account": email}) for email, found in answers.items() for m in found.messages]
        messages.sort(key=lambda m: m.date, reverse=True)
        return cls(
            query=next(iter(answers.values())).query if answers else "",
            messages=messages,
            result_size_estimate=sum(a.result_size_estimate for a in answers.values()),
            failed_ids=[i for a in answers.values() for i in a.failed_ids],
        )


class AttachmentInfo(Result):
    attachment_id: str
    part_id: str
    filename: str
    mime_type: str
    size: int


class MessageDetail(Result):
    id: str
    thread_id: str | None = Field(default=None, description="absent: the id (a message alone), or said above")
    labels: list[str] = Field(default_factory=list, description="by name, as gmail_modify_labels takes them")
    date: str
    sender: str
    to: str = ""
    cc: str = ""
    bcc: str = ""
    reply_to: str = ""
    subject: str | None = Field(default=None, description="absent in a conversation: the conversation's")
    rfc822_message_id: str = ""
    body: str
    body_source: Literal["text/plain", "text/html", "none"] = "text/plain"
    quoted_history_folded: bool = False
    total_chars: int | None = Field(default=None, description="the whole body's length, when this is a part")
    next_offset: int | None = Field(default=None, description="where the rest of a cut body begins")
    note: str | None = None
    attachments: list[AttachmentInfo] = Field(default_factory=list)


class ThreadDetail(Result):
    id: str
    subject: str = ""
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
    status: Literal["sent"]
    id: str
    thread_id: str
    labels: list[str]


class DraftCreated(Result):
    status: Literal["draft_created"]
    draft_id: str
    message_id: str
    thread_id: str


class LabelsModified(Result):
    status: Literal["modified"]
    message_ids: list[str]
    thread_ids: list[str]
    added: list[str]
    removed: list[str]


class Trashed(Result):
    status: Literal["trashed"]
    message_ids: list[str]
    thread_ids: list[str]
