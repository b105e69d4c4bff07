"""The Slides tools: thin declarations over the Slides adapter (google/slides.py)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from google_mcp.errors import InvalidInput
from google_mcp.gate import Plan
from google_mcp.google.slides_models import Deck, OutlineSlide, SlidesWritten, occurrences
from google_mcp.models import Preview
from google_mcp.registry import DESTRUCTIVE, READ, WRITE, Registrar
from google_mcp.state import AppState

Pid = Annotated[str, Field(description="id or link")]


async def slides_read(state: AppState, presentation_id: Pid) -> Deck:
    """Read a presentation: each slide's title, text and speaker notes."""
    return await state.slides.read(presentation_id)


async def slides_create(
    state: AppState,
    title: str,
    outline: Annotated[list[OutlineSlide], Field(description="a slide per item: its title and bullets")],
) -> Plan:
    """Create a presentation from an outline: a title slide, then a slide per item."""
    if not title.strip():
        raise InvalidInput("Give the presentation a title.")
    if not outline or len(outline) > 100:
        raise InvalidInput("Give between 1 and 100 slides in the outline.")
    if any(not item["title"].strip() for item in outline):
        raise InvalidInput("Every slide of the outline needs a title.")
    details = ["Slide 1: " + title]
    for n, item in enumerate(outline, 2):
        details.append(f"Slide {n}: {item['title']}")
        details += [f"- {b}" for b in item.get("bullets") or []]
    preview = Preview(
        action="Create a Google Slides presentation", summary=f"{title} ({len(outline) + 1} slides)", details=details
    )
    return Plan(preview, {"title": title, "outline": [dict(item) for item in outline]})


async def create_op(state: AppState, op: dict[str, Any]) -> SlidesWritten:
    return await state.slides.create(op["title"], op["outline"])


async def slides_replace_text(
    state: AppState, presentation_id: Pid, find: str, replace: str, match_case: bool = False
) -> Plan:
    """Replace every occurrence of a text on the slides; the preview shows each in context, per slide."""
    if not find.strip():
        raise InvalidInput("find must not be empty.")
    deck = await state.slides.read(presentation_id)
    found = occurrences(deck.slides, find, match_case)
    if not found:
        raise InvalidInput(f"{find!r} does not occur on the slides of {deck.title!r}; nothing to replace.")
    lines = [f"Slide {n}: {context}" for n, context in found[:40]]
    if len(found) > 40:
        lines.append(f"… and {len(found) - 40} more")
    preview = Preview(
        action="Replace text in a Google Slides presentation",
        summary=f"{deck.title}: {len(found)} × {find!r} → {replace!r}",
        details=[f"Presentation: {deck.title} ({deck.id}); speaker notes are not changed", *lines],
    )
    op = {"id": deck.id, "revision": deck.revision_id, "find": find, "replace": replace, "match_case": match_case}
    return Plan(preview, op)


async def replace_op(state: AppState, op: dict[str, Any]) -> SlidesWritten:
    return await state.slides.replace(op["id"], op["revision"], op["find"], op["replace"], op["match_case"])


def register(tool: Registrar) -> None:
    tool(title="Read a Google Slides presentation", annotations=READ)(slides_read)
    tool(title="Create a Google Slides presentation", annotations=WRITE, execute=create_op)(slides_create)
    tool(title="Replace text in Google Slides", annotations=DESTRUCTIVE, execute=replace_op)(slides_replace_text)
