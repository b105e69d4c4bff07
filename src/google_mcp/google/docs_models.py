"""Google Docs' results, and the reading of documents.get's structure that previews need (no index leaves
this layer)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import Field

from google_mcp.models import Result

CONTEXT = 40  # characters either side of a match in a preview


# results -------------------------------------------------------------------------------------
class DocInfo(Result):
    id: str
    title: str
    modified: str
    owner: str
    link: str | None = None


class DocList(Result):
    documents: list[DocInfo]
    next_page_token: str | None = None


class DocTab(Result):
    id: str
    title: str
    level: int = 0


class DocContent(Result):
    id: str
    title: str
    revision_id: str = Field(description="the revision this text is of")
    tab: DocTab
    tabs: list[DocTab]
    markdown: str
    total_chars: int
    next_offset: int | None = None
    note: str | None = None


class DocWritten(Result):
    document_id: str
    title: str
    revision_id: str
    link: str
    occurrences_changed: int | None = None


# reading -------------------------------------------------------------------------------------
@dataclass
class Heading:
    text: str
    level: int
    start: int  # the heading paragraph's start
    end: int  # its end: where its section starts
    parent: str  # the nearest heading above of a higher level, for telling same-titled ones apart


@dataclass
class Tab:
    id: str
    title: str
    level: int
    content: list[dict[str, Any]]
    lists: dict[str, Any]

    @property
    def end(self) -> int:
        """The index after the body's last newline."""
        return int(self.content[-1].get("endIndex", 1)) if self.content else 1

    def headings(self) -> list[Heading]:
        out: list[Heading] = []
        for el in self.content:
            para = el.get("paragraph")
            if not para:
                continue
            style = (para.get("paragraphStyle") or {}).get("namedStyleType", "")
            level = 0 if style == "TITLE" else int(style[-1]) if style.startswith("HEADING_") else -1
            if level < 0:
                continue
            text = plain(para).strip()
            parent = next((h.text for h in reversed(out) if h.level < level), "")
            out.append(Heading(text, level, el["startIndex"], el["endIndex"], parent))
        return out


def plain(para: dict[str, Any]) -> str:
    return "".join(e["textRun"].get("content", "") for e in para.get("elements", []) if "textRun" in e)


def tabs_of(doc: dict[str, Any]) -> list[Tab]:
    out: list[Tab] = []

    def walk(nodes: list[dict[str, Any]], level: int) -> None:
        for node in nodes:
            props, body = node.get("tabProperties") or {}, node.get("documentTab") or {}
            content = (body.get("body") or {}).get("content", [])
            out.append(Tab(props.get("tabId", ""), props.get("title", ""), level, content, body.get("lists") or {}))
            walk(node.get("childTabs") or [], level + 1)

    walk(doc.get("tabs") or [], 0)
    return out


def occurrences(tab: Tab, find: str, match_case: bool) -> list[str]:
    """Each place `find` occurs in the tab's text, with some context (as replaceAllText matches: within a
    paragraph, case-insensitively unless match_case)."""
    out: list[str] = []

    def walk(content: list[dict[str, Any]]) -> None:
        for el in content:
            if "table" in el:
                for row in el["table"].get("tableRows", []):
                    for cell in row.get("tableCells", []):
                        walk(cell.get("content", []))
                continue
            if "paragraph" not in el:
                continue
            text = plain(el["paragraph"]).rstrip("\n")
            for at, end in spans(text, find, match_case):
                out.append(f"…{text[max(0, at - CONTEXT) : at]}[{text[at:end]}]{text[end : end + CONTEXT]}…")

    walk(tab.content)
    return out


def spans(text: str, find: str, match_case: bool) -> list[tuple[int, int]]:
    """Where replaceAllText matches `find` in `text`: (start, end) of each match in `text`, left to right.

    Without match_case both sides are case-folded, and a case mapping may change a character's length ('ß'
    folds to 'ss', 'İ' to 'i̇', 'ﬁ' to 'fi'): offsets are taken in the folded text and mapped back to the
    original characters, and a match must begin and end on a whole character. The sandbox's
    replaceAllText (sandbox/docs_api.py) matches the same way, so the preview brackets what is replaced.
    """
    if match_case:
        found, at = [], text.find(find)
        while at != -1:
            found.append((at, at + len(find)))
            at = text.find(find, at + len(find))
        return found
    folded: list[str] = []
    whole: dict[int, int] = {}  # an offset in the folded text where a character begins -> its index
    width = 0
    for i, ch in enumerate(text):
        whole[width] = i
        folded.append(ch.casefold())
        width += len(folded[-1])
    whole[width] = len(text)
    hay, needle = "".join(folded), find.casefold()
    found, at = [], hay.find(needle)
    while at != -1:
        end = at + len(needle)
        if at in whole and end in whole:
            found.append((whole[at], whole[end]))
            at = hay.find(needle, end)
        else:
            at = hay.find(needle, at + 1)
    return found
