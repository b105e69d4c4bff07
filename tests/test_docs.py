"""Google Docs: the sandbox's Docs v1 and Drive v3 against the discovery documents, and the Docs tools
through an MCP client session (Markdown both ways, sections by heading, revisions that go stale)."""

from __future__ import annotations

from typing import Any

import pytest
from googleapiclient.errors import HttpError

from helpers import docs, drive, run
from mcp_helpers import Person, call, connect, fails, writes

pytestmark = pytest.mark.anyio

ROUND_TRIP = """# Launch plan

Agree the **roadmap**, the *hiring plan* and the ~~old~~ new [brief](https://example.com/brief); run `make test`.

## Steps

1. Draft
2. Review
    1. Legal
    2. Security
3. Ship

- Apollo
    - Beta
        - Internal
- Mobile

* [ ] Book the venue
* [ ] Confirm catering

| Item | Q3 | Q4 |
| --- | --- | --- |
| Travel | **12,000** | 8,000 |
| Tools | 3,500 | [link](https://example.com) |

---

## Notes

```
SELECT *
FROM plans
```

Last line with 😀 and café.
"""


def doc_id(url: str, name: str) -> str:
    found = run(drive(url).files().list(q=f"name contains '{name}' and trashed = false"))
    return str(found["files"][0]["id"])


async def test_the_sandbox_answers_as_docs_and_drive_do(fresh_sandbox: Any) -> None:
    url = fresh_sandbox.url
    api, files = docs(url), drive(url)
    listed = run(files.files().list(q="mimeType = 'application/vnd.google-apps.document'", fields="*"))
    assert {f["name"] for f in listed["files"]} >= {"Q3 planning offsite — agenda", "Apollo launch checklist"}
    run(files.files().get(fileId=listed["files"][0]["id"], fields="id,name,owners,modifiedTime"))
    offsite = doc_id(url, "Q3 planning")
    with_tabs = run(api.documents().get(documentId=offsite, includeTabsContent=True))
    assert [t["tabProperties"]["title"] for t in with_tabs["tabs"]] == ["Agenda", "Notes"]
    assert with_tabs["tabs"][1]["childTabs"][0]["tabProperties"]["parentTabId"] == "t.notes"
    plain = run(api.documents().get(documentId=offsite))
    assert plain["body"] == with_tabs["tabs"][0]["documentTab"]["body"] and "tabs" not in plain
    made = run(api.documents().create(body={"title": "Scratch"}))
    revision = made["revisionId"]
    edit = {"requests": [{"insertText": {"location": {"index": 1}, "text": "Hello 😀\n"}}]}
    done = run(
        api.documents().batchUpdate(
            documentId=made["documentId"], body={**edit, "writeControl": {"requiredRevisionId": revision}}
        )
    )
    assert done["writeControl"]["requiredRevisionId"] != revision  # every write is a new revision
    with pytest.raises(HttpError) as stale:  # the revision the edit was computed from is gone
        api.documents().batchUpdate(
            documentId=made["documentId"], body={**edit, "writeControl": {"requiredRevisionId": revision}}
        ).execute()
    assert stale.value.resp.status == 400
    after = run(api.documents().get(documentId=made["documentId"]))
    paragraph = after["body"]["content"][1]
    assert paragraph["endIndex"] - paragraph["startIndex"] == len("Hello ") + 2 + 1  # an emoji is two UTF-16 units
    end = after["body"]["content"][-1]["endIndex"]
    with pytest.raises(HttpError) as last:  # the body's last newline stays
        api.documents().batchUpdate(
            documentId=made["documentId"],
            body={"requests": [{"deleteContentRange": {"range": {"startIndex": 1, "endIndex": end}}}]},
        ).execute()
    assert last.value.resp.status == 400


async def test_markdown_round_trips_through_create_and_read(fresh_sandbox: Any, make_settings: Any) -> None:
    url = fresh_sandbox.url
    async with connect(make_settings(url)) as client:
        made = await call(client, "docs_create", {"title": "Round trip", "markdown": ROUND_TRIP})
        assert made["status"] == "done"
        read = await call(client, "docs_read", {"document_id": made["result"]["document_id"]})
    assert read["markdown"] == ROUND_TRIP
    # formatting, not Markdown typed into the document
    body = run(docs(url).documents().get(documentId=made["result"]["document_id"]))["body"]["content"]
    runs = [e["textRun"] for el in body if "paragraph" in el for e in el["paragraph"]["elements"] if "textRun" in e]
    assert not any(m in r["content"] for r in runs for m in ("**", "~~", "# ", "](", "`"))
    assert any(r["textStyle"].get("bold") and r["content"] == "roadmap" for r in runs)


async def test_a_seeded_document_reads_as_markdown_with_its_tabs(fresh_sandbox: Any, make_settings: Any) -> None:
    url = fresh_sandbox.url
    offsite = doc_id(url, "Q3 planning")
    async with connect(make_settings(url)) as client:
        read = await call(client, "docs_read", {"document_id": f"https://docs.google.com/document/d/{offsite}/edit"})
        text = read["markdown"]
        assert text.startswith("# Q3 planning offsite\n\n# Goals\n\nAgree the **Q3 roadmap** and the *hiring plan*")
        assert "[planning brief](https://example.com/brief)" in text
        assert "- Roadmap\n    - Apollo launch\n    - Mobile beta\n- Hiring" in text
        assert "1. Welcome\n2. Roadmap review\n3. Lunch" in text
        assert "| Item | Q3 | Q4 |\n| --- | --- | --- |\n| Travel | 12,000 | 8,000 |" in text
        assert "`SELECT * FROM plans`" in text and "~~old~~" in text and "\n---\n" in text
        assert [(t["title"], t.get("level", 0)) for t in read["tabs"]] == [
            ("Agenda", 0),
            ("Notes", 0),
            ("Day 2 details", 1),
        ]
        assert read["revision_id"] and "3 tabs" in read["note"]
        notes = await call(client, "docs_read", {"document_id": offsite, "tab": "notes"})
        assert "- [ ] Book the venue" in notes["markdown"]
        child = await call(client, "docs_read", {"document_id": offsite, "tab": "Day 2 details"})
        assert child["markdown"] == "Buses leave at 08:30 from the office.\n"
        missing = await fails(client, "docs_read", {"document_id": offsite, "tab": "Budget"})
        assert "'Agenda' (t.0)" in missing and "'Day 2 details'" in missing
        first = await call(client, "docs_read", {"document_id": offsite, "max_chars": 200})
        rest = await call(client, "docs_read", {"document_id": offsite, "offset": first["next_offset"]})
        assert first["markdown"] + rest["markdown"] == text and "offset=200" in first["note"]
        assert "not a document id" in await fails(client, "docs_read", {"document_id": "../etc"})


async def test_search_finds_documents_by_title_and_text(fresh_sandbox: Any, make_settings: Any) -> None:
    async with connect(make_settings(fresh_sandbox.url)) as client:
        by_name = (await call(client, "docs_search", {"query": "offsite"}))["documents"]
        assert [d["title"] for d in by_name] == ["Q3 planning offsite — agenda"]  # not the trashed draft
        assert by_name[0]["owner"] == "Alex Morgan <alex.morgan@example.com>" and by_name[0]["modified"]
        by_text = (await call(client, "docs_search", {"query": "buses leave"}))["documents"]  # a child tab's text
        assert [d["title"] for d in by_text] == ["Q3 planning offsite — agenda"]
        quoted = await call(client, "docs_search", {"query": "Dana's 'budget'"})  # quotes cannot break the query
        assert quoted["documents"] == []
        recent = (await call(client, "docs_search", {}))["documents"]
        assert len(recent) == 4 and recent[0]["title"] == "Meeting notes — Team Apollo weekly"
        assert "Q3 budget" not in {d["title"] for d in recent}  # a spreadsheet is not a document


async def test_a_section_under_a_repeated_heading_is_asked_about_then_replaced(
    fresh_sandbox: Any, make_settings: Any
) -> None:
    url = fresh_sandbox.url
    offsite = doc_id(url, "Q3 planning")
    person = Person()
    async with connect(make_settings(url), person=person) as client:
        args = {"document_id": offsite, "heading": "Notes", "markdown": "Decided: **one** bus.\n\n- Leave at 08:00"}
        asked = await fails(client, "docs_replace_section", args)
        assert "2 headings are titled 'Notes'" in asked and "under 'Day 1'" in asked and "under 'Day 2'" in asked
        assert person.asked == [] and writes(url) == []
        done = await call(client, "docs_replace_section", {**args, "occurrence": 2})
        assert done["status"] == "done"
        question = person.asked[0]
        assert "heading 2 of 2, under 'Day 2'" in question and "SELECT * FROM plans" in question
        text = (await call(client, "docs_read", {"document_id": offsite}))["markdown"]
    assert "## Notes\n\nDana to circulate the **budget** before Friday." in text  # the first one is untouched
    assert text.endswith("## Notes\n\nDecided: **one** bus.\n\n- Leave at 08:00\n")
    assert "| Tools | 3,500 | 3,500 |" in text and "Appendix" not in text


async def test_an_edit_approved_on_a_stale_revision_comes_back_with_a_fresh_preview(
    fresh_sandbox: Any, make_settings: Any
) -> None:
    url = fresh_sandbox.url
    launch = doc_id(url, "Apollo launch")
    async with connect(make_settings(url), person=None) as client:
        held = await call(client, "docs_append", {"document_id": launch, "markdown": "Signed off by **Alex**."})
        assert held["status"] == "confirmation_required"
        # someone edits the document while the person reads the preview
        docs(url).documents().batchUpdate(
            documentId=launch, body={"requests": [{"insertText": {"location": {"index": 1}, "text": "Draft. "}}]}
        ).execute()
        again = await call(client, "confirm_action", {"confirmation_id": held["confirmation_id"]})
        assert again["status"] == "confirmation_required" and "changed since the preview" in again["message"]
        unchanged = (await call(client, "docs_read", {"document_id": launch}))["markdown"]
        assert "Signed off" not in unchanged and unchanged.startswith("# Draft. Apollo launch checklist")
        done = await call(client, "confirm_action", {"confirmation_id": again["confirmation_id"]})
        assert done["status"] == "done"
        twice = await call(client, "confirm_action", {"confirmation_id": again["confirmation_id"]})
        assert "not run again" in twice["message"]
        text = (await call(client, "docs_read", {"document_id": launch}))["markdown"]
        logged = (await call(client, "activity_log", {"tool": "docs_append"}))["entries"]
    # the record tells it as it happened: approved on a stale revision, a fresh preview, approved again, done
    assert [e["step"] for e in reversed(logged)] == ["held", "call", "approved", "stale", "held", "approved", "done"]
    assert text.count("Signed off by **Alex**.") == 1 and text.endswith("Signed off by **Alex**.\n")
    assert "| Backend | Priya Raman |" in text  # the table before it is intact


async def test_replacing_text_previews_each_occurrence_in_context(fresh_sandbox: Any, make_settings: Any) -> None:
    url = fresh_sandbox.url
    weekly = doc_id(url, "Meeting notes")
    person = Person()
    async with connect(make_settings(url), person=person) as client:
        args = {"document_id": weekly, "find": "action items", "replace": "Follow-ups"}
        done = await call(client, "docs_replace_text", args)
        assert done["status"] == "done" and done["result"]["occurrences_changed"] == 2
        assert "2 × 'action items'" in person.asked[0] and "[Action items]" in person.asked[0]
        text = (await call(client, "docs_read", {"document_id": weekly}))["markdown"]
        assert text.count("### Follow-ups") == 2 and "Action items" not in text
        missing = await fails(client, "docs_replace_text", {**args, "find": "no such words"})
        assert "does not occur" in missing


def _paragraphs(url: str, document: str) -> list[str]:
    """The document's paragraphs, as the real Docs client reads them."""
    body = run(docs(url).documents().get(documentId=document))["body"]["content"]
    return [
        "".join(r.get("textRun", {}).get("content", "") for r in el["paragraph"]["elements"]).rstrip("\n")
        for el in body
        if "paragraph" in el
    ][:-1]  # the body's last paragraph is the empty one every document ends with


async def test_a_replacement_after_a_letter_whose_case_changes_length_brackets_and_replaces_the_match(
    fresh_sandbox: Any, make_settings: Any
) -> None:
    """'İ' lowers to two code points, 'ß' and 'ﬁ' fold to two letters: a match after them (or in them) is
    shown, and replaced, exactly where it is."""
    url = fresh_sandbox.url
    made = run(docs(url).documents().create(body={"title": "Case folding"}))
    text = "İİ Budget A\nStraße ﬁx budget B\nplain budget C\nMaß D\n"
    edit = {"requests": [{"insertText": {"location": {"index": 1}, "text": text}}]}
    run(docs(url).documents().batchUpdate(documentId=made["documentId"], body=edit))
    person = Person()
    async with connect(make_settings(url), person=person) as client:
        for find, replace, shown, after in [
            (
                "budget",
                "plan",
                ["…İİ [Budget] A…", "…Straße ﬁx [budget] B…", "…plain [budget] C…"],
                ["İİ plan A", "Straße ﬁx plan B", "plain plan C", "Maß D"],
            ),
            ("STRASSE", "Street", ["…[Straße] ﬁx plan B…"], ["İİ plan A", "Street ﬁx plan B", "plain plan C", "Maß D"]),
            ("FIX", "mend", ["…Street [ﬁx] plan B…"], ["İİ plan A", "Street mend plan B", "plain plan C", "Maß D"]),
            ("i̇i̇ plan", "Two", ["…[İİ plan] A…"], ["Two A", "Street mend plan B", "plain plan C", "Maß D"]),
        ]:
            person.asked.clear()
            done = await call(
                client, "docs_replace_text", {"document_id": made["documentId"], "find": find, "replace": replace}
            )
            assert done["status"] == "done" and done["result"]["occurrences_changed"] == len(shown), done
            lines = [line for line in person.asked[0].splitlines() if line.startswith("…")]
            assert lines == shown, person.asked[0]
            assert _paragraphs(url, made["documentId"]) == after
        # half of a letter's folding is no match: 'ß' folds to 'ss', and "Mas" would end inside it
        asked = await fails(
            client, "docs_replace_text", {"document_id": made["documentId"], "find": "mas", "replace": "x"}
        )
        assert "does not occur" in asked


SECTIONS = """# Plan

## Budget

Old budget.

### Detail

Old detail.

## Hiring

Two engineers.

# Risks

Vendor delay.
"""


@pytest.mark.parametrize(
    ("heading", "now", "after"),
    [
        # ended by the next heading of its own level; its subsections go with it
        ("Budget", "Old budget.\n\n### Detail\n\nOld detail.", "## Budget\n\nNew.\n\n## Hiring\n\nTwo engineers.\n"),
        # ended by a heading of a higher level
        ("Hiring", "Two engineers.", "## Hiring\n\nNew.\n\n# Risks\n\nVendor delay.\n"),
        # a subsection ends at the next heading of its level or higher (here the parent's sibling)
        ("Detail", "Old detail.", "### Detail\n\nNew.\n\n## Hiring\n\nTwo engineers.\n"),
        # the last section runs to the end
        ("Risks", "Vendor delay.", "# Risks\n\nNew.\n"),
    ],
)
async def test_a_section_runs_to_the_next_heading_of_its_level_or_higher(
    fresh_sandbox: Any, make_settings: Any, heading: str, now: str, after: str
) -> None:
    person = Person()
    async with connect(make_settings(fresh_sandbox.url), person=person) as client:
        made = await call(client, "docs_create", {"title": "Sections", "markdown": SECTIONS})
        document = made["result"]["document_id"]
        args = {"document_id": document, "heading": heading, "markdown": "New."}
        done = await call(client, "docs_replace_section", args)
        assert done["status"] == "done", done
        assert f"Now:\n{now}\n" in person.asked[-1], person.asked[-1]
        text = (await call(client, "docs_read", {"document_id": document}))["markdown"]
    assert after in text and text == SECTIONS.replace(now, "New.", 1), text  # all else as it was
