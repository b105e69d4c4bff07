"""Google Slides: the sandbox's Slides v1 against the discovery document with the real client, and the Slides
tools through an MCP client session (text and notes per slide, an outline made a deck, text replaced)."""

from __future__ import annotations

from typing import Any

import pytest
from googleapiclient.discovery import build

from helpers import credentials, discovery, drive, run, validate
from mcp_helpers import Person, call, connect, fails, writes

pytestmark = pytest.mark.anyio


def slides(url: str) -> Any:
    return build("slides", "v1", credentials=credentials(url), client_options={"api_endpoint": url})


def deck_id(url: str) -> str:
    found = run(drive(url).files().list(q="mimeType = 'application/vnd.google-apps.presentation'"))
    return str(next(f["id"] for f in found["files"] if f["name"] == "November product review"))


async def test_the_sandbox_answers_as_slides_does(fresh_sandbox: Any) -> None:
    url = fresh_sandbox.url
    api, schemas = slides(url), discovery("slides.v1")["schemas"]
    got = run(api.presentations().get(presentationId=deck_id(url)))
    notes = got["slides"][1]["slideProperties"]["notesPage"]
    speaker = notes["notesProperties"]["speakerNotesObjectId"]
    assert [e["objectId"] for e in notes["pageElements"]] == [speaker]
    made = run(api.presentations().create(body={"title": "Scratch"}))
    validate(made, {"$ref": "Presentation"}, schemas)
    body = {
        "requests": [
            {
                "createSlide": {
                    "objectId": "s1",
                    "slideLayoutReference": {"predefinedLayout": "TITLE_AND_BODY"},
                    "placeholderIdMappings": [{"layoutPlaceholder": {"type": "TITLE"}, "objectId": "s1t"}],
                }
            },
            {"insertText": {"objectId": "s1t", "text": "Hello Apollo"}},
            {"replaceAllText": {"containsText": {"text": "apollo"}, "replaceText": "Zeus"}},
        ],
        "writeControl": {"requiredRevisionId": made["revisionId"]},
    }
    done = run(api.presentations().batchUpdate(presentationId=made["presentationId"], body=body))
    validate(done, {"$ref": "BatchUpdatePresentationResponse"}, schemas)
    assert done["replies"][2] == {"replaceAllText": {"occurrencesChanged": 1}}


async def test_a_presentation_reads_as_text_per_slide_with_notes(fresh_sandbox: Any, make_settings: Any) -> None:
    url = fresh_sandbox.url
    async with connect(make_settings(url)) as client:
        read = await call(client, "slides_read", {"presentation_id": deck_id(url)})
        text = (await client.call_tool("slides_read", {"presentation_id": deck_id(url)})).content[0].text
        assert "not a presentation id" in await fails(client, "slides_read", {"presentation_id": "../x"})
    assert [s["title"] for s in read["slides"]] == ["Apollo launch review", "Where we are", "Next steps"]
    assert read["slides"][1]["notes"] == "Priya owns the load test; mention the Apollo beta feedback."
    assert "- Security review done\n- Pricing page in review" in text
    assert "Notes: Welcome everyone; Dana joins from Berlin." in text


async def test_an_outline_becomes_a_presentation_once_approved(fresh_sandbox: Any, make_settings: Any) -> None:
    url = fresh_sandbox.url
    person = Person()
    outline = [{"title": "Goals", "bullets": ["Ship Apollo", "Hire two engineers"]}, {"title": "Questions"}]
    async with connect(make_settings(url), person=person) as client:
        done = await call(client, "slides_create", {"title": "Q1 plan", "outline": outline})
        assert done["status"] == "done" and "Slide 2: Goals\n- Ship Apollo" in person.asked[0]
        read = await call(client, "slides_read", {"presentation_id": done["result"]["presentation_id"]})
    assert [(s["title"], s.get("text", [])) for s in read["slides"]] == [
        ("Q1 plan", []),
        ("Goals", ["Ship Apollo", "Hire two engineers"]),
        ("Questions", []),
    ]


async def test_replacing_text_previews_each_occurrence_and_a_changed_deck_gets_a_fresh_preview(
    fresh_sandbox: Any, make_settings: Any
) -> None:
    url = fresh_sandbox.url
    deck = deck_id(url)
    async with connect(make_settings(url), person=None) as client:
        args = {"presentation_id": deck, "find": "Apollo", "replace": "Artemis"}
        held = await call(client, "slides_replace_text", args)
        assert held["preview"]["summary"] == "November product review: 3 × 'Apollo' → 'Artemis'"
        assert "Slide 1: [Apollo] launch review" in held["preview"]["details"]
        assert "Slide 3: Apollo FAQ (Alex)".replace("Apollo", "[Apollo]") in held["preview"]["details"]
        no = await call(client, "cancel_action", {"confirmation_id": held["confirmation_id"]})
        assert no["status"] == "cancelled" and writes(url) == []
        held = await call(client, "slides_replace_text", args)
        slides(url).presentations().batchUpdate(  # someone edits the deck while the preview waits
            presentationId=deck,
            body={"requests": [{"replaceAllText": {"containsText": {"text": "FAQ"}, "replaceText": "Apollo Q&A"}}]},
        ).execute()
        again = await call(client, "confirm_action", {"confirmation_id": held["confirmation_id"]})
        assert again["status"] == "confirmation_required" and "4 × 'Apollo'" in again["preview"]["summary"]
        done = await call(client, "confirm_action", {"confirmation_id": again["confirmation_id"]})
        assert done["status"] == "done" and done["result"]["occurrences_changed"] == 4
        read = await call(client, "slides_read", {"presentation_id": deck})
    assert read["slides"][0]["title"] == "Artemis launch review"
    assert "Apollo" in read["slides"][1]["notes"]  # speaker notes are left as they are
