"""Slides v1 over HTTP: presentations get/create/batchUpdate (createSlide, insertText, createParagraphBullets,
replaceAllText), with writeControl's required revision, and speaker notes in each slide's notes page."""

from __future__ import annotations

import copy
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import google_mcp.sandbox.slides as sl
from google_mcp.sandbox.docstore import File

from .errors import ApiError, bad_request, not_found
from .routing import Call, Method, Router

if TYPE_CHECKING:
    from .host import Host

A = "https://www.googleapis.com/auth/"
READ = (A + "presentations", A + "presentations.readonly", A + "drive", A + "drive.readonly", A + "drive.file")
WRITE = (A + "presentations", A + "drive", A + "drive.file")
V = "/v1/presentations"
MIME = "application/vnd.google-apps.presentation"


@dataclass
class DeckFile(File):
    """A presentation as Drive sees it: its text is its slides' text, read when asked."""

    deck: sl.Deck | None = None

    def text(self) -> str:
        if self.deck is None:
            return self.content
        return "\n".join(sh.text for slide in self.deck.slides for sh in [*slide.shapes, slide.notes] if sh.text)

    def export(self, mime_type: str) -> bytes | None:
        if self.deck is None or mime_type != "text/plain":  # Drive exports a deck's slide text, notes left out
            return super().export(mime_type)
        return "\n\n".join("\n".join(sh.text for sh in slide.shapes if sh.text) for slide in self.deck.slides).encode()


class SlidesApi:
    def __init__(self, sandbox: Host) -> None:
        self.sb = sandbox
        self.decks: dict[str, sl.Deck] = {}

    def reset(self) -> None:
        self.decks.clear()

    def register(self, r: Router) -> None:
        for method, path, handler, method_id, scopes in [
            ("POST", V + "/{id}:batchUpdate", self.batch_update, "slides.presentations.batchUpdate", WRITE),
            ("GET", V + "/{id}", self.get, "slides.presentations.get", READ),
            ("POST", V, self.create, "slides.presentations.create", WRITE),
        ]:
            r.add(method, path, Method(handler, method_id), scopes)

    def new(self, title: str, slides: list[sl.Slide] | None = None, deck_id: str = "") -> sl.Deck:
        deck_id = deck_id or "1" + secrets.token_urlsafe(32).replace("-", "x").replace("_", "y")[:43]
        now, docs = self.sb.now(), self.sb.docs
        deck = sl.Deck(deck_id, title, docs.owner[1], now, now, slides or [])
        self.decks[deck_id] = deck
        docs.files[deck_id] = DeckFile(deck_id, title, MIME, now, now, docs.owner, deck=deck)
        return deck

    def _deck(self, call: Call) -> sl.Deck:
        deck = self.decks.get(call.params["id"])
        if deck is None:
            raise not_found(f"Requested entity was not found. (presentation {call.params['id']})")
        if deck.owner != self.sb.docs.owner[1]:
            raise ApiError(403, "The caller does not have permission", "forbidden")
        return deck

    def get(self, call: Call) -> dict[str, Any]:
        return self._deck(call).json()

    def create(self, call: Call) -> dict[str, Any]:
        title = str(call.json().get("title") or "Untitled presentation")
        # a new presentation has one title slide, as Google makes it
        return self.new(title, [sl.slide("TITLE", {})]).json()

    def batch_update(self, call: Call) -> dict[str, Any]:
        deck = self._deck(call)
        body = call.json()
        requests = body.get("requests")
        if not isinstance(requests, list) or not requests:
            raise bad_request("Must specify at least one request.")
        required = (body.get("writeControl") or {}).get("requiredRevisionId")
        if required and required != deck.revision:
            raise ApiError(
                400,
                "The required revision ID does not match the latest revision of the presentation.",
                "failedPrecondition",
            )
        work = copy.deepcopy(deck)  # all or nothing
        replies = [self._apply(work, request, n) for n, request in enumerate(requests)]
        deck.slides = work.slides
        deck.changed(self.sb.now())
        found = self.sb.docs.files.get(deck.id)
        if found is not None:
            found.modified = deck.modified
        return {"presentationId": deck.id, "replies": replies, "writeControl": {"requiredRevisionId": deck.revision}}

    def _apply(self, deck: sl.Deck, request: Any, n: int) -> dict[str, Any]:
        if not isinstance(request, dict) or len(request) != 1:
            raise bad_request(f"Invalid requests[{n}]: each request names exactly one kind.")
        kind, spec = next(iter(request.items()))
        if not isinstance(spec, dict):
            raise bad_request(f"Invalid requests[{n}].{kind}.")
        if kind == "createSlide":
            return {"createSlide": {"objectId": self._create_slide(deck, spec, n)}}
        if kind == "insertText":
            shape = self._shape(deck, spec, n, kind)
            text = spec.get("text")
            if not isinstance(text, str):
                raise bad_request(f"Invalid requests[{n}].insertText: text is required.")
            at = spec.get("insertionIndex", 0)
            units = shape.text.encode("utf-16-le")
            if not isinstance(at, int) or not 0 <= at <= len(units) // 2:
                raise bad_request(f"Invalid requests[{n}].insertText: the insertion index must be inside the text.")
            shape.text = (units[: at * 2] + text.encode("utf-16-le") + units[at * 2 :]).decode("utf-16-le")
            return {}
        if kind == "createParagraphBullets":
            self._shape(deck, spec, n, kind).bullets = True
            return {}
        if kind == "replaceAllText":
            return {"replaceAllText": {"occurrencesChanged": self._replace(deck, spec, n)}}
        raise bad_request(f"Unsupported request kind {kind!r} in this sandbox.")

    @staticmethod
    def _shape(deck: sl.Deck, spec: dict[str, Any], n: int, kind: str) -> sl.Shape:
        shape = deck.shape(str(spec.get("objectId", "")))
        if shape is None:
            raise bad_request(f"Invalid requests[{n}].{kind}: The object ({spec.get('objectId')}) could not be found.")
        return shape

    @staticmethod
    def _create_slide(deck: sl.Deck, spec: dict[str, Any], n: int) -> str:
        layout = (spec.get("slideLayoutReference") or {}).get("predefinedLayout", "BLANK")
        if layout not in sl.LAYOUTS:
            raise bad_request(f"Invalid requests[{n}].createSlide: unsupported layout {layout!r}.")
        object_id = spec.get("objectId") or sl.new_id("slide")
        ids = {s.object_id for s in deck.slides} | {sh.object_id for s in deck.slides for sh in s.shapes}
        made = sl.slide(layout, {}, object_id=str(object_id))
        for shape in made.shapes:
            shape.bullets = False
        for mapping in spec.get("placeholderIdMappings") or []:
            wanted = (mapping.get("layoutPlaceholder") or {}).get("type")
            target = next((sh for sh in made.shapes if sh.placeholder == wanted), None)
            if target is None:
                raise bad_request(f"Invalid requests[{n}].createSlide: the layout has no {wanted} placeholder.")
            target.object_id = str(mapping.get("objectId"))
        new_ids = [made.object_id, *(sh.object_id for sh in made.shapes)]
        if ids & set(new_ids) or len(set(new_ids)) != len(new_ids):
            raise bad_request(f"Invalid requests[{n}].createSlide: The object ID ({object_id}) should be unique.")
        at = spec.get("insertionIndex", len(deck.slides))
        deck.slides.insert(int(at), made)
        return made.object_id

    @staticmethod
    def _replace(deck: sl.Deck, spec: dict[str, Any], n: int) -> int:
        contains = spec.get("containsText") or {}
        find, repl = contains.get("text"), spec.get("replaceText", "")
        if not isinstance(find, str) or not find:
            raise bad_request(f"Invalid requests[{n}].replaceAllText: containsText.text must not be empty.")
        pages = spec.get("pageObjectIds") or []
        count = 0
        for slide in deck.slides:
            if pages and slide.object_id not in pages:
                continue
            for shape in slide.shapes:  # the slides' text; speaker notes are a notes page, not a slide
                count += _count(shape.text, find, bool(contains.get("matchCase")))
                shape.text = _sub(shape.text, find, str(repl), bool(contains.get("matchCase")))
        return count


def _count(text: str, find: str, match_case: bool) -> int:
    return text.count(find) if match_case else text.lower().count(find.lower())


def _sub(text: str, find: str, repl: str, match_case: bool) -> str:
    if match_case:
        return text.replace(find, repl)
    out, low, needle, at = [], text.lower(), find.lower(), 0
    while (hit := low.find(needle, at)) != -1:
        out += [text[at:hit], repl]
        at = hit + len(find)
    return "".join([*out, text[at:]])
