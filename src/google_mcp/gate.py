"""The confirmation gate: every tool whose annotations say it changes state passes through here."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from google_mcp.models import Preview, WriteOutcome

if TYPE_CHECKING:
    from google_mcp.settings import Settings


@dataclass
class Plan:
    """A validated write: what a person is shown, and the one call that carries it out."""

    preview: Preview
    run: Callable[[], Awaitable[BaseModel]]


class Gate:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def health(self) -> dict[str, Any]:
        return {}

    async def handle(self, ctx: Any, tool: str, args: dict[str, Any], plan: Plan) -> WriteOutcome:
        result = await plan.run()
        return WriteOutcome(
            status="done", tool=tool, message="Done.", result=result.model_dump(mode="json"), preview=plan.preview
        )
