"""Tool results: pydantic models, so every tool has an output schema and structured content."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, PrivateAttr, SerializerFunctionWrapHandler, model_serializer
from pydantic.json_schema import SkipJsonSchema


def _without_none(value: object) -> object:
    if isinstance(value, dict):
        return {k: _without_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_none(v) for v in value]
    return value


class Result(BaseModel):
    """Results leave out fields that have no value, rather than sending null: `dump()` is how they leave.

    (pydantic's own exclude_none, in Rust; a Python serializer on every nested model cost more CPU than the
    Google call behind a list of events.)
    """

    def dump(self) -> dict[str, object]:
        return self.model_dump(mode="json", exclude_none=True)

    def json_size(self) -> int:
        """Characters of its JSON, as an answer carries it."""
        return len(self.model_dump_json(exclude_none=True))


class Answer(Result):
    """A result the MCP SDK serialises itself (the gate's and the router's tools): the same, however dumped."""

    @model_serializer(mode="wrap")
    def _omit_none(self, handler: SerializerFunctionWrapHandler) -> object:
        return _without_none(handler(self))


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
    offset: int = 0
    total_chars: int
    truncated: bool
    next_offset: int | None = None
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
    message_id: str
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


# calendar ---------------------------------------------------------------------
class CalendarInfo(Result):
    id: str
    summary: str
    primary: bool
    time_zone: str
    access_role: str


class CalendarList(Result):
    calendars: list[CalendarInfo]


class EventTime(Result):
    date_time: str | None = Field(default=None, description="ISO 8601 with UTC offset, for timed events")
    date: str | None = Field(default=None, description="YYYY-MM-DD, for all-day events")
    time_zone: str


class Attendee(Result):
    email: str
    name: str = ""
    response: str = "needsAction"
    organizer: bool = False
    optional: bool = False
    is_self: bool = False


class Event(Result):
    id: str
    calendar_id: str
    summary: str
    status: str
    start: EventTime
    end: EventTime
    all_day: bool
    location: str = ""
    description: str = ""
    organizer: str = ""
    attendees: list[Attendee] = Field(default_factory=list)
    my_response: str | None = None
    recurring_event_id: str | None = None
    recurrence: list[str] = Field(default_factory=list)
    meet_link: str | None = None
    html_link: str | None = None


class EventList(Result):
    events: list[Event]
    time_min: str
    time_max: str | None = None
    next_page_token: str | None = None


class BusyBlock(Result):
    start: str
    end: str


class FreeBusy(Result):
    time_zone: str
    busy: dict[str, list[BusyBlock]]
    errors: dict[str, str] = Field(default_factory=dict)
    free_slots: list[BusyBlock] = Field(default_factory=list, description="times when everyone is free")


class EventChanged(Result):
    status: Literal["created", "updated", "deleted", "responded"]
    event: Event | None = None
    events: list[Event] = Field(default_factory=list, description="other events the change made")
    invitations_sent: bool = False
    detail: str = ""


# the gate ---------------------------------------------------------------------
class Preview(Result):
    # what a person needs to judge a write at a glance (no docstring: it would ship in every schema)

    action: str
    summary: str
    details: list[str] = Field(default_factory=list)

    def text(self) -> str:
        return "\n".join([f"{self.action}: {self.summary}", *self.details])


class WriteOutcome(Answer):
    """What a write did, or what it waits for.

    The output schema names the fields a model acts on; the others (repeated in every write tool's
    schema, and plain in the answer itself) are left out of tools/list.
    """

    status: Literal["done", "confirmation_required", "declined", "cancelled", "failed", "executing", "unknown"]
    tool: SkipJsonSchema[str]
    message: str
    result: SkipJsonSchema[dict[str, object] | None] = None
    confirmation_id: str | None = None
    preview: SkipJsonSchema[Preview | None] = None
    expires_at: SkipJsonSchema[str | None] = None


class PendingInfo(Result):
    confirmation_id: str
    tool: str
    preview: Preview
    created_at: str
    expires_at: str


class PendingList(Answer):
    actions: list[PendingInfo]


# the router ---------------------------------------------------------------------
class RoutedCall(Result):
    name: str
    arguments: dict[str, object]
    status: Literal["ok", "held", "error"]
    error: str | None = None


class AskResult(Answer):
    answer: str
    conversation_id: str
    steps: int
    tool_calls: list[RoutedCall]
    pending_actions: list[PendingInfo]
