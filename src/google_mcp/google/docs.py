"""Google Docs (and Drive, to find them) as typed operations over the Google client.

No caller sees a character index: every write is computed here from a fresh read, and carries the
revision it was computed from (`requiredRevisionId`), so it lands on that revision or not at all.
"""

from __future__ import annotations

import re
from typing import Any

from google_mcp.errors import InvalidInput, TargetChanged
from google_mcp.google.client import GoogleClient
from google_mcp.google.docs_markdown import to_markdown
from google_mcp.google.docs_models import DocContent, DocInfo, DocList, DocTab, DocWritten, Tab, tabs_of
from google_mcp.google.mailtext import window

DOC_MIME = "application/vnd.google-apps.document"


def _id(document_id: str) -> str:
    found = re.search(r"/d/([\w-]{20,})", document_id)
    doc_id = found.group(1) if found else document_id.strip()
    if not re.fullmatch(r"[\w-]{10,}", doc_id):
        raise InvalidInput(f"{document_id!r} is not a document id; use an id (or link) from docs_search.")
    return doc_id


def link(doc_id: str) -> str:
    return f"https://docs.google.com/document/d/{doc_id}/edit"


class Docs:
    def __init__(self, client: GoogleClient) -> None:
        self.client = client

    async def search(self, query: str, max_results: int, page_token: str | None) -> DocList:
        q = f"mimeType='{DOC_MIME}' and trashed=false"
        if query.strip():
            quoted = query.strip().replace("\\", "\\\\").replace("'", "\\'")
            q += f" and (name contains '{quoted}' or fullText contains '{quoted}')"
        kwargs: dict[str, Any] = {
            "q": q,
            "pageSize": max_results,
            "fields": "nextPageToken,files(id,name,modifiedTime,owners(displayName,emailAddress),webViewLink)",
        }
        if not query.strip():  # Drive refuses to sort a full-text search: that comes by relevance
            kwargs["orderBy"] = "modifiedTime desc"
        if page_token:
            kwargs["pageToken"] = page_token
        got = await self.client.execute("drive", lambda s: s.files().list(**kwargs), what="searching documents")
        docs = []
        for f in got.get("files", []):
            owner = (f.get("owners") or [{}])[0]
            who = owner.get("displayName", "")
            email = owner.get("emailAddress")
            docs.append(
                DocInfo(
                    id=f["id"],
                    title=f.get("name", ""),
                    modified=f.get("modifiedTime", ""),
                    owner=f"{who} <{email}>" if email else who,
                    link=f.get("webViewLink"),
                )
            )
        return DocList(documents=docs, next_page_token=got.get("nextPageToken"))

    async def get(self, document_id: str) -> dict[str, Any]:
        doc_id = _id(document_id)
        doc: dict[str, Any] = await self.client.execute(
            "docs",
            lambda s: s.documents().get(documentId=doc_id, includeTabsContent=True),
            what=f"reading document {doc_id}",
        )
        return doc

    @staticmethod
    def tab(doc: dict[str, Any], wanted: str | None) -> Tab:
        tabs = tabs_of(doc)
        if not tabs:
            raise InvalidInput("This document has no tabs to read.")
        if not wanted:
            return tabs[0]
        for tab in tabs:
            if wanted in (tab.id, tab.title) or wanted.casefold() == tab.title.casefold():
                return tab
        names = ", ".join(f"{t.title!r} ({t.id})" for t in tabs)
        raise InvalidInput(f"No tab {wanted!r} in this document. Its tabs: {names}.")

    async def read(self, document_id: str, tab: str | None, max_chars: int, offset: int) -> DocContent:
        doc = await self.get(document_id)
        chosen = self.tab(doc, tab)
        text = to_markdown(chosen.content, chosen.lists)
        piece, truncated, nxt = window(text, offset, max_chars)
        tabs = [DocTab(id=t.id, title=t.title, level=t.level) for t in tabs_of(doc)]
        notes = []
        if truncated:
            notes.append(f"Cut at {max_chars} characters: call again with offset={nxt} for more.")
        if len(tabs) > 1:
            notes.append(
                f"This is tab {chosen.title!r}; the document has {len(tabs)} tabs (pass tab= to read another)."
            )
        return DocContent(
            id=doc["documentId"],
            title=doc.get("title", ""),
            revision_id=doc.get("revisionId", ""),
            tab=DocTab(id=chosen.id, title=chosen.title, level=chosen.level),
            tabs=tabs,
            markdown=piece,
            total_chars=len(text),
            next_offset=nxt if truncated else None,
            note=" ".join(notes) or None,
        )

    # writing ------------------------------------------------------------------------------------
    async def create(self, title: str, requests: list[dict[str, Any]]) -> DocWritten:
        made = await self.client.execute(
            "docs", lambda s: s.documents().create(body={"title": title}), what="creating a document", retry=False
        )
        doc_id, revision = made["documentId"], made.get("revisionId", "")
        if requests:
            written = await self.write(doc_id, revision, requests, what="writing the new document")
            revision = written.revision_id
        return DocWritten(document_id=doc_id, title=made.get("title", title), revision_id=revision, link=link(doc_id))

    async def write(self, document_id: str, revision: str, requests: list[dict[str, Any]], what: str) -> DocWritten:
        """One batchUpdate, all or nothing, on exactly the revision the requests were computed from."""
        body = {"requests": requests, "writeControl": {"requiredRevisionId": revision}}
        try:
            got = await self.client.execute(
                "docs", lambda s: s.documents().batchUpdate(documentId=document_id, body=body), what=what, retry=False
            )
        except InvalidInput:
            # A 400 on a locked write is the lock failing when the document moved on; otherwise it is ours.
            now = await self.get(document_id)
            if now.get("revisionId") != revision:
                raise TargetChanged(
                    "The document changed since the preview, so nothing was written. Here is a fresh preview."
                ) from None
            raise
        changed = next(
            (
                r["replaceAllText"].get("occurrencesChanged", 0)
                for r in got.get("replies", [])
                if r and "replaceAllText" in r
            ),
            None,
        )
        return DocWritten(
            document_id=document_id,
            title="",
            revision_id=(got.get("writeControl") or {}).get("requiredRevisionId", ""),
            link=link(document_id),
            occurrences_changed=changed,
        )
