"""Google Slides as typed operations over the Google client: read text and notes, create from an outline,
replace text on exactly the revision a preview was read from (`requiredRevisionId`)."""

from __future__ import annotations

import re
import secrets
from typing import Any

from google_mcp.errors import InvalidInput, TargetChanged
from google_mcp.google.client import GoogleClient
from google_mcp.google.slides_models import Deck, OutlineSlide, SlidesWritten, slides_of


def presentation_id(text: str) -> str:
    found = re.search(r"/presentation/d/([\w-]{20,})", text)
    pid = found.group(1) if found else text.strip()
    if not re.fullmatch(r"[\w-]{10,}", pid):
        raise InvalidInput(f"{text!r} is not a presentation id; use an id or link (Drive search finds them).")
    return pid


def link(pid: str) -> str:
    return f"https://docs.google.com/presentation/d/{pid}/edit"


def outline_requests(outline: list[OutlineSlide]) -> list[dict[str, Any]]:
    """createSlide + insertText (+ bullets) per slide, with object ids chosen here so the requests can name them."""
    requests: list[dict[str, Any]] = []
    for n, item in enumerate(outline):
        tag = f"o{n}_{secrets.token_hex(4)}"
        bullets = item.get("bullets") or []
        mappings = [{"layoutPlaceholder": {"type": "TITLE"}, "objectId": f"{tag}_t"}]
        if bullets:
            mappings.append({"layoutPlaceholder": {"type": "BODY"}, "objectId": f"{tag}_b"})
        layout = "TITLE_AND_BODY" if bullets else "TITLE_ONLY"
        requests.append(
            {
                "createSlide": {
                    "objectId": tag,
                    "slideLayoutReference": {"predefinedLayout": layout},
                    "placeholderIdMappings": mappings,
                }
            }
        )
        requests.append({"insertText": {"objectId": f"{tag}_t", "text": item["title"]}})
        if bullets:
            requests.append({"insertText": {"objectId": f"{tag}_b", "text": "\n".join(bullets)}})
            requests.append(
                {
                    "createParagraphBullets": {
                        "objectId": f"{tag}_b",
                        "textRange": {"type": "ALL"},
                        "bulletPreset": "BULLET_DISC_CIRCLE_SQUARE",
                    }
                }
            )
    return requests


class Slides:
    def __init__(self, client: GoogleClient) -> None:
        self.client = client

    async def get(self, pid: str) -> dict[str, Any]:
        pid = presentation_id(pid)
        got: dict[str, Any] = await self.client.execute(
            "slides", lambda s: s.presentations().get(presentationId=pid), what=f"reading presentation {pid}"
        )
        return got

    async def read(self, pid: str) -> Deck:
        got = await self.get(pid)
        return Deck(
            id=got["presentationId"],
            title=got.get("title", ""),
            revision_id=got.get("revisionId", ""),
            link=link(got["presentationId"]),
            slides=slides_of(got),
        )

    async def write(self, pid: str, revision: str, requests: list[dict[str, Any]], what: str) -> dict[str, Any]:
        body: dict[str, Any] = {"requests": requests}
        if revision:
            body["writeControl"] = {"requiredRevisionId": revision}
        try:
            got: dict[str, Any] = await self.client.execute(
                "slides",
                lambda s: s.presentations().batchUpdate(presentationId=pid, body=body),
                what=what,
                retry=False,
            )
        except InvalidInput:
            if revision and (await self.get(pid)).get("revisionId") != revision:
                raise TargetChanged(
                    "The presentation changed since the preview, so nothing was written. Here is a fresh preview."
                ) from None
            raise
        return got

    async def create(self, title: str, outline: list[OutlineSlide]) -> SlidesWritten:
        made = await self.client.execute(
            "slides",
            lambda s: s.presentations().create(body={"title": title}),
            what="creating a presentation",
            retry=False,
        )
        pid = made["presentationId"]
        requests: list[dict[str, Any]] = []
        first = (made.get("slides") or [{}])[0]
        for element in first.get("pageElements", []):  # the title slide Google makes: the title goes on it
            if element.get("shape", {}).get("placeholder", {}).get("type") in ("CENTERED_TITLE", "TITLE"):
                requests.append({"insertText": {"objectId": element["objectId"], "text": title}})
                break
        requests += outline_requests(outline)
        if requests:
            await self.write(pid, made.get("revisionId", ""), requests, what="writing the new presentation")
        return SlidesWritten(presentation_id=pid, link=link(pid), slides=len(outline) + 1)

    async def replace(self, pid: str, revision: str, find: str, replace: str, match_case: bool) -> SlidesWritten:
        request = {"replaceAllText": {"containsText": {"text": find, "matchCase": match_case}, "replaceText": replace}}
        got = await self.write(pid, revision, [request], what="replacing text in the presentation")
        changed = next(
            (r["replaceAllText"].get("occurrencesChanged", 0) for r in got.get("replies", []) if "replaceAllText" in r),
            0,
        )
        return SlidesWritten(presentation_id=pid, link=link(pid), occurrences_changed=changed)
