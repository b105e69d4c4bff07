"""The Docs tools: thin declarations over the Docs adapter (google/docs.py). No tool takes or returns a
character index; every write is computed from a fresh read and bound to the revision its preview showed."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from google_mcp.errors import InvalidInput
from google_mcp.gate import Plan
from google_mcp.google import docmd
from google_mcp.google.docs_markdown import to_markdown
from google_mcp.google.docs_models import DocContent, DocList, DocWritten, Tab, occurrences, plain, tabs_of
from google_mcp.models import Preview
from google_mcp.registry import DESTRUCTIVE, READ, WRITE, Registrar
from google_mcp.state import AppState

SHOWN = 2000  # characters of Markdown a preview shows; the rest is counted
Markdown = Annotated[str, Field(description="headings, lists, tables, links, **bold**, *italic*, `code`")]
TabName = Annotated[str | None, Field(description="tab id or title; default the first")]


def _shown(label: str, text: str) -> str:
    more = f"\n… ({len(text) - SHOWN} more characters)" if len(text) > SHOWN else ""
    return f"{label}:\n{text[:SHOWN]}{more}"


def _blocks(markdown: str) -> list[docmd.Block]:
    blocks = docmd.parse(markdown)
    if not blocks:
        raise InvalidInput("The Markdown has no content to write.")
    return blocks


def _where(doc: dict[str, Any], tab: Tab) -> list[str]:
    return [
        f"Document: {doc.get('title', '')} ({doc['documentId']})",
        f"Tab: {tab.title}",
        f"Revision: {doc.get('revisionId', '')} (if the document changes first, you get a fresh preview)",
    ]


# reads ----------------------------------------------------------------------------------------
async def docs_search(
    state: AppState,
    query: Annotated[str, Field(description="words in the title or text; empty lists recent documents")] = "",
    max_results: Annotated[int, Field(ge=1, le=100)] = 20,
    page_token: str | None = None,
) -> DocList:
    """Find Google Docs by title and full text: title, id, modified time, owner."""
    return await state.docs.search(query, max_results, page_token)


async def docs_read(
    state: AppState,
    document_id: Annotated[str, Field(description="id or link")],
    tab: TabName = None,
    max_chars: Annotated[int, Field(ge=200, le=200_000)] = 20_000,
    offset: Annotated[int, Field(ge=0)] = 0,
) -> DocContent:
    """Read a document (one tab) as Markdown, with its tabs and revision id."""
    return await state.docs.read(document_id, tab, max_chars, offset)


# writes ---------------------------------------------------------------------------------------
async def docs_create(state: AppState, title: str, markdown: Markdown = "") -> Plan:
    """Create a Google Doc from Markdown."""
    if not title.strip():
        raise InvalidInput("Give the document a title.")
    requests = docmd.requests(docmd.parse(markdown), 1, tail_empty=True) if markdown.strip() else []
    details = [_shown("Content (Markdown)", markdown)] if markdown.strip() else ["An empty document"]
    preview = Preview(action="Create a Google Doc", summary=title, details=details)
    preview.card = doc_card(title, "A new document", "", markdown)
    return Plan(preview, {"title": title, "requests": requests})


async def create_op(state: AppState, op: dict[str, Any]) -> DocWritten:
    return await state.docs.create(op["title"], op["requests"])


async def docs_append(state: AppState, document_id: str, markdown: Markdown, tab: TabName = None) -> Plan:
    """Add Markdown at the end of a document."""
    docs = state.docs
    doc = await docs.get(document_id)
    chosen = docs.tab(doc, tab)
    last = chosen.content[-1]
    requests: list[dict[str, Any]] = []
    at = chosen.end - 1  # the last paragraph's newline
    empty = "paragraph" in last and not plain(last["paragraph"]).strip("\n")
    if empty:
        at = last["startIndex"]
    else:  # an empty paragraph to write into, after the last one
        requests.append({"insertText": {"text": "\n", "location": {"index": at, "tabId": chosen.id}}})
        at += 1
    requests += docmd.requests(_blocks(markdown), at, chosen.id, tail_empty=True)
    preview = Preview(
        action="Add to a Google Doc",
        summary=f"{doc.get('title', '')}: add {len(markdown)} characters at the end",
        details=[*_where(doc, chosen), _shown("Adds at the end (Markdown)", markdown)],
    )
    preview.card = doc_card(doc.get("title", ""), f"At the end of tab {chosen.title}", "", markdown)
    return Plan(
        preview, {"document_id": doc["documentId"], "revision": doc.get("revisionId", ""), "requests": requests}
    )


async def revision_op(state: AppState, op: dict[str, Any]) -> DocWritten:
    return await state.docs.write(op["document_id"], op["revision"], op["requests"], what="editing the document")


async def docs_replace_text(
    state: AppState, document_id: str, find: str, replace: str, match_case: bool = False
) -> Plan:
    """Replace every occurrence of a text in a document (all tabs); the preview shows each in context."""
    if not find:
        raise InvalidInput("find must not be empty.")
    if "\n" in find or "\n" in replace:
        raise InvalidInput("find and replace are single lines; to rewrite whole paragraphs use docs_replace_section.")
    docs = state.docs
    doc = await docs.get(document_id)
    found = [(t, c) for t in tabs_of(doc) for c in occurrences(t, find, match_case)]
    if not found:
        raise InvalidInput(f"{find!r} does not occur in this document; nothing to replace.")
    many = len({t.id for t, _ in found}) > 1
    lines = [f"{t.title}: {c}" if many else c for t, c in found[:25]]
    if len(found) > 25:
        lines.append(f"… and {len(found) - 25} more")
    preview = Preview(
        action="Replace text in a Google Doc",
        summary=f"{doc.get('title', '')}: {len(found)} × {find!r} → {replace!r}",
        details=[f"Document: {doc.get('title', '')} ({doc['documentId']})", *lines],
    )
    preview.card = doc_card(doc.get("title", ""), f"Each of {len(found)} occurrences", find, replace)
    request = {"replaceAllText": {"containsText": {"text": find, "matchCase": match_case}, "replaceText": replace}}
    op = {"document_id": doc["documentId"], "revision": doc.get("revisionId", ""), "requests": [request]}
    return Plan(preview, op)


async def docs_replace_section(
    state: AppState,
    document_id: str,
    heading: Annotated[str, Field(description="the heading's text")],
    markdown: Markdown,
    occurrence: Annotated[int | None, Field(ge=1, description="which heading of that title, 1 = first")] = None,
    tab: TabName = None,
) -> Plan:
    """Replace what is under a heading, down to the next heading of the same or a higher level."""
    docs = state.docs
    doc = await docs.get(document_id)
    chosen = docs.tab(doc, tab)
    heads = chosen.headings()
    wanted = heading.strip().lstrip("#").strip().casefold()
    matches = [h for h in heads if h.text.casefold() == wanted]
    if not matches:
        known = "; ".join(f"{'#' * max(h.level, 1)} {h.text}" for h in heads[:30]) or "none"
        raise InvalidInput(f"No heading {heading!r} in tab {chosen.title!r}. Its headings: {known}.")
    if len(matches) > 1 and occurrence is None:
        listed = "; ".join(
            f"{n}) {'#' * max(h.level, 1)} {h.text}" + (f" under {h.parent!r}" if h.parent else "")
            for n, h in enumerate(matches, 1)
        )
        raise InvalidInput(
            f"{len(matches)} headings are titled {heading!r}: {listed}. Ask the person which one, then call "
            f"again with occurrence=1..{len(matches)}."
        )
    if occurrence is not None and occurrence > len(matches):
        raise InvalidInput(f"There are only {len(matches)} headings titled {heading!r}.")
    target = matches[(occurrence or 1) - 1]
    start = target.end
    nxt = next((h for h in heads if h.start > target.start and h.level <= target.level), None)
    end = nxt.start if nxt else chosen.end - 1
    section = [
        el for el in chosen.content if el.get("startIndex", 0) >= start and el.get("endIndex", 0) <= max(end, start)
    ]
    requests: list[dict[str, Any]] = []
    to_end = nxt is None
    if start >= chosen.end:  # the heading is the document's last paragraph: open a paragraph after it
        requests.append({"insertText": {"text": "\n", "location": {"index": chosen.end - 1, "tabId": chosen.id}}})
        start = chosen.end
    elif end > start:
        requests.append({"deleteContentRange": {"range": {"startIndex": start, "endIndex": end, "tabId": chosen.id}}})
    requests += docmd.requests(_blocks(markdown), start, chosen.id, tail_empty=to_end)
    which = f" (heading {(occurrence or 1)} of {len(matches)}" + (
        f", under {target.parent!r})" if target.parent else ")"
    )
    current = to_markdown(section, chosen.lists).strip() or "(nothing)"
    preview = Preview(
        action="Replace a section of a Google Doc",
        summary=f"{doc.get('title', '')}: the section {'#' * max(target.level, 1)} {target.text}"
        + (which if len(matches) > 1 else ""),
        details=[*_where(doc, chosen), _shown("Now", current), _shown("Becomes (Markdown)", markdown)],
    )
    preview.card = doc_card(doc.get("title", ""), f"{'#' * max(target.level, 1)} {target.text}", current, markdown)
    return Plan(
        preview, {"document_id": doc["documentId"], "revision": doc.get("revisionId", ""), "requests": requests}
    )


def doc_card(title: str, where: str, before: str, after: str) -> dict[str, Any]:
    """The approval card's fields: the edit as before and after, as the preview has them."""
    return {"kind": "doc", "title": title, "edits": [{"where": where, "before": before, "after": after}]}


def register(tool: Registrar) -> None:
    tool(title="Find Google Docs", annotations=READ)(docs_search)
    tool(title="Read a Google Doc", annotations=READ)(docs_read)
    tool(title="Create a Google Doc", annotations=WRITE, execute=create_op)(docs_create)
    tool(title="Add to a Google Doc", annotations=WRITE, execute=revision_op)(docs_append)
    tool(title="Replace text in a Google Doc", annotations=DESTRUCTIVE, execute=revision_op)(docs_replace_text)
    tool(title="Replace a section of a Google Doc", annotations=DESTRUCTIVE, execute=revision_op)(docs_replace_section)
