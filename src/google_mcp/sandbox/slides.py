"""The sandbox's presentations: slides of text shapes (title, body) and speaker notes, as Slides v1 shows them."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

EMU = {"magnitude": 9144000, "unit": "EMU"}
LAYOUTS = {  # predefined layout -> the placeholders a slide made from it has
    "BLANK": (),
    "TITLE": ("CENTERED_TITLE", "SUBTITLE"),
    "TITLE_ONLY": ("TITLE",),
    "TITLE_AND_BODY": ("TITLE", "BODY"),
    "SECTION_HEADER": ("TITLE",),
}


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(6)}"


@dataclass
class Shape:
    object_id: str
    placeholder: str | None  # TITLE, BODY, CENTERED_TITLE, SUBTITLE; None: a plain text box
    text: str = ""  # without the final newline every shape's text has once it has any
    bullets: bool = False

    def json(self, parent: str | None = None) -> dict[str, Any]:
        shape: dict[str, Any] = {"shapeType": "TEXT_BOX"}
        if self.placeholder:
            holder: dict[str, Any] = {"type": self.placeholder}
            if parent:
                holder["parentObjectId"] = parent
            shape["placeholder"] = holder
        if self.text:
            shape["text"] = {"textElements": _elements(self.text, self.bullets, self.object_id)}
        return {
            "objectId": self.object_id,
            "size": {"width": EMU, "height": {"magnitude": 1000000, "unit": "EMU"}},
            "transform": {"scaleX": 1, "scaleY": 1, "unit": "EMU"},
            "shape": shape,
        }


def _elements(text: str, bullets: bool, list_id: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    at = 0
    for para in (text + "\n").splitlines(keepends=True):
        size = len(para.encode("utf-16-le")) // 2
        marker: dict[str, Any] = {"style": {}}
        if bullets:
            marker["bullet"] = {"listId": f"{list_id}.list", "glyph": "●"}
        pair: tuple[dict[str, Any], ...] = ({"paragraphMarker": marker}, {"textRun": {"content": para, "style": {}}})
        for element in pair:
            if at:
                element["startIndex"] = at
            element["endIndex"] = at + size
            out.append(element)
        at += size
    return out


@dataclass
class Slide:
    object_id: str
    layout: str
    shapes: list[Shape] = field(default_factory=list)
    notes: Shape = field(default_factory=lambda: Shape(new_id("notes"), "BODY"))
    notes_page: str = field(default_factory=lambda: new_id("notespage"))

    def json(self) -> dict[str, Any]:
        return {
            "objectId": self.object_id,
            "pageType": "SLIDE",
            "pageElements": [sh.json(f"layout_{self.layout.lower()}_{sh.placeholder}") for sh in self.shapes],
            "slideProperties": {
                "layoutObjectId": f"layout_{self.layout.lower()}",
                "masterObjectId": "master",
                "notesPage": {
                    "objectId": self.notes_page,
                    "pageType": "NOTES",
                    "pageElements": [self.notes.json()],
                    "notesProperties": {"speakerNotesObjectId": self.notes.object_id},
                },
            },
        }


@dataclass
class Deck:
    id: str
    title: str
    owner: str
    created: datetime
    modified: datetime
    slides: list[Slide] = field(default_factory=list)
    revision: str = field(default_factory=lambda: secrets.token_urlsafe(12))

    def changed(self, now: datetime) -> None:
        self.modified = now
        self.revision = secrets.token_urlsafe(12)

    def shape(self, object_id: str) -> Shape | None:
        for slide in self.slides:
            for sh in [*slide.shapes, slide.notes]:
                if sh.object_id == object_id:
                    return sh
        return None

    def json(self) -> dict[str, Any]:
        layouts = [
            {
                "objectId": f"layout_{name.lower()}",
                "pageType": "LAYOUT",
                "layoutProperties": {
                    "name": name,
                    "displayName": name.replace("_", " ").title(),
                    "masterObjectId": "master",
                },
            }
            for name in LAYOUTS
        ]
        return {
            "presentationId": self.id,
            "title": self.title,
            "locale": "en",
            "revisionId": self.revision,
            "pageSize": {"width": EMU, "height": {"magnitude": 5143500, "unit": "EMU"}},
            "slides": [slide.json() for slide in self.slides],
            "layouts": layouts,
            "masters": [{"objectId": "master", "pageType": "MASTER"}],
        }


def slide(layout: str, texts: dict[str, str], notes: str = "", object_id: str | None = None) -> Slide:
    made = Slide(object_id or new_id("slide"), layout)
    made.shapes = [Shape(new_id(p.lower()), p, texts.get(p, ""), bullets=p == "BODY") for p in LAYOUTS[layout]]
    made.notes.text = notes
    return made
