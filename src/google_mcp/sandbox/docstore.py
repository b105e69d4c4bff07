"""The documents and other Drive files of the sandbox account."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import google_mcp.sandbox.docs as d


@dataclass
class File:
    """A Drive file that is not a Google Doc (a sheet, a PDF): what a search sees of it."""

    id: str
    title: str
    mime_type: str
    created: datetime
    modified: datetime
    owner: tuple[str, str]
    content: str = ""
    trashed: bool = False

    def text(self) -> str:
        return self.content


@dataclass
class DocStore:
    owner: tuple[str, str]
    documents: dict[str, d.Document] = field(default_factory=dict)
    files: dict[str, File] = field(default_factory=dict)
    listeners: list[Callable[[d.Document], None]] = field(default_factory=list)

    def create(self, title: str, now: datetime, tabs: list[d.Tab] | None = None) -> d.Document:
        doc_id = "1" + secrets.token_urlsafe(32).replace("-", "x").replace("_", "y")[:43]
        tabs = tabs or [d.Tab("t.0", "Tab 1")]
        for tab in tabs + [c for t in tabs for c in t.children]:
            if not tab.content or isinstance(tab.content[-1], d.Table):  # a body always ends with a paragraph
                tab.content.append(d.empty_paragraph())
        doc = d.Document(doc_id, title, tabs, self.owner, now, now)
        self.documents[doc_id] = doc
        return doc

    def changed(self, doc: d.Document) -> None:
        for listener in self.listeners:
            listener(doc)

    def everything(self) -> list[File | d.Document]:
        return [*self.documents.values(), *self.files.values()]
