"""The results every service shares: the base Result, and the gate's and the router's answers (each service's own
results live beside its adapter: google/gmail_models.py, google/calendar_models.py, google/docs.py)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, SerializerFunctionWrapHandler, model_serializer
from pydantic.json_schema import SkipJsonSchema, WithJsonSchema


def _without_none(value: object) -> object:
    if isinstance(value, dict):
        return {k: _without_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_none(v) for v in value]
    return value


class Result(BaseModel):
    """Results leave out what says nothing: a field with no value (null) or at its default (an empty list or
    text, false, the usual value), at every depth. `dump()` is how they leave, so every tool answers alike; a
    field that may be left out has a default, so the output schema does not require it.

    (pydantic's own exclude_none and exclude_defaults, in Rust; a Python serializer on every nested model
    cost more CPU than the Google call behind a list of events.)
    """

    def dump(self) -> dict[str, object]:
        return self.model_dump(mode="json", exclude_none=True, exclude_defaults=True)

    def json_size(self) -> int:
        """Characters of its JSON, as an answer carries it."""
        return len(self.model_dump_json(exclude_none=True, exclude_defaults=True))


class Answer(Result):
    """A result the MCP SDK serialises itself (the gate's and the router's tools): the same, however dumped."""

    @model_serializer(mode="wrap")
    def _omit_none(self, handler: SerializerFunctionWrapHandler) -> object:
        return _without_none(handler(self))


# the gate ---------------------------------------------------------------------
class Preview(Result):
    # what a person needs to judge a write at a glance (no docstring: it would ship in every schema)

    action: str
    summary: str
    details: list[str] = Field(default_factory=list)
    # the same values field by field, for the approval card (views/): kept with the held action, never in a
    # dump (the text a model reads, tools/list)
    card: SkipJsonSchema[dict[str, Any] | None] = Field(default=None, exclude=True)

    def stored(self) -> dict[str, Any]:
        """What a held action keeps: the dump, and the card."""
        return self.dump() | ({"card": self.card} if self.card is not None else {})

    def text(self) -> str:
        return "\n".join([f"{self.action}: {self.summary}", *self.details])


Status = Literal[
    "done", "confirmation_required", "declined", "cancelled", "failed", "executing", "unknown", "scheduled"
]


class WriteOutcome(Answer):
    """What a write did, or what it waits for.

    The output schema names the fields a model acts on; the others (repeated in every write tool's
    schema, and plain in the answer itself) are left out of tools/list.
    """

    # done, confirmation_required, declined, cancelled, failed, executing or unknown; the schema says only
    # "string" (the enum, repeated in every write tool's schema, was 600 bytes of tools/list) and the
    # answer's text says what each means
    status: Annotated[Status, WithJsonSchema({"type": "string"})]
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
    goes_at: str | None = None  # approved, held until then (send later, the undo window)


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
