"""Google Slides' results, and the reading of presentations.get that reads and previews need."""

from __future__ import annotations

from typing import Any, NotRequired

from pydantic import Field
from typing_extensions import TypedDict

from google_mcp.models import Result

CONTEXT = 30  # characters either side of a match in a preview


class SlideText(Result):
    n: int
    id: str
    title: str = ""
    text: list[str] = Field(default_factory=list, description="the other text boxes' paragraphs")
    notes: str = ""


class Deck(Result):
    id: str
    title: str
    revision_id: str = ""
    link: str
    slides: list[SlideText]


class SlidesWritten(Result):
    presentation_id: str
    link: str
    slides: int = 0
    occurrences_changed: int | None = None


class OutlineSlide(TypedDict):
    """A slide of an outline (a plain dict: the gate keeps a call's arguments as JSON)."""

    title: str
    bullets: NotRequired[list[str]]


def shape_text(element: dict[str, Any]) -> str:
    runs = element.get("shape", {}).get("text", {}).get("textElements", [])
    return "".join(r.get("textRun", {}).get("content", "") for r in runs).rstrip("\n")


def slides_of(presentation: dict[str, Any]) -> list[SlideText]:
    out = []
    for n, page in enumerate(presentation.get("slides", []), 1):
        title, texts = "", []
        for element in page.get("pageElements", []):
            text = shape_text(element)
            kind = element.get("shape", {}).get("placeholder", {}).get("type", "")
            if kind in ("TITLE", "CENTERED_TITLE") and not title:
                title = text
            elif text:
                texts += text.split("\n")
        notes_page = page.get("slideProperties", {}).get("notesPage", {})
        speaker = notes_page.get("notesProperties", {}).get("speakerNotesObjectId")
        notes = "".join(shape_text(e) for e in notes_page.get("pageElements", []) if e.get("objectId") == speaker)
        out.append(SlideText(n=n, id=page.get("objectId", ""), title=title, text=texts, notes=notes))
    return out


def occurrences(slides: list[SlideText], find: str, match_case: bool) -> list[tuple[int, str]]:
    """(slide number, the match in context with [brackets]) for each occurrence on the slides (not the notes)."""
    found = []
    needle = find if match_case else find.casefold()
    for slide in slides:
        for text in [slide.title, *slide.text]:
            hay = text if match_case else text.casefold()
            at = hay.find(needle)
            while at != -1 and len(hay) == len(text):
                end = at + len(find)
                before, after = text[max(0, at - CONTEXT) : at], text[end : end + CONTEXT]
                found.append((slide.n, f"{before}[{text[at:end]}]{after}"))
                at = hay.find(needle, end)
    return found
