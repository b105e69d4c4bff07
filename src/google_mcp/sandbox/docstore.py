"""The documents and other Drive files of the sandbox account."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import google_mcp.sandbox.docs as d

FOLDER = "application/vnd.google-apps.folder"


@dataclass
class File:
    """A Drive file that is not a Google Doc: a folder, a sheet, a PDF, an image. `data` is what a download
    serves (a blob's bytes), `exports` what an export of a Google file gives, by MIME type; `content` is the
    text a full-text search sees."""

    id: str
    title: str
    mime_type: str
    created: datetime
    modified: datetime
    owner: tuple[str, str]
    content: str = ""
    trashed: bool = False
    data: bytes = b""
    exports: dict[str, bytes] = field(default_factory=dict)
    parents: list[str] = field(default_factory=lambda: ["root"])
    permissions: list[dict[str, Any]] = field(default_factory=list)
    version: int = 1

    def text(self) -> str:
        return self.content

    def export(self, mime_type: str) -> bytes | None:
        """What files.export gives in `mime_type` (None: not a conversion this file offers)."""
        return self.exports.get(mime_type)

    @property
    def blob(self) -> bool:
        return not self.mime_type.startswith("application/vnd.google-apps.")

    @property
    def md5(self) -> str:
        return hashlib.md5(self.data, usedforsecurity=False).hexdigest()

    def changed(self, now: datetime) -> None:
        self.modified = now
        self.version += 1


def new_id() -> str:
    return "1" + secrets.token_urlsafe(32).replace("-", "x").replace("_", "y")[:32]


@dataclass
class DocStore:
    owner: tuple[str, str]
    documents: dict[str, d.Document] = field(default_factory=dict)
    files: dict[str, File] = field(default_factory=dict)
    listeners: list[Callable[[d.Document], None]] = field(default_factory=list)
    root: File = field(init=False)  # My Drive: a folder of its own id, which "root" also names

    def __post_init__(self) -> None:
        epoch = datetime(2020, 1, 1, tzinfo=UTC)
        self.root = File("0A" + secrets.token_urlsafe(14).replace("-", "x"), "My Drive", FOLDER, epoch, epoch,
                         self.owner, parents=[])  # fmt: skip

    def folder_id(self, given: str) -> str:
        return self.root.id if given == "root" else given

    def create(self, title: str, now: datetime, tabs: list[d.Tab] | None = None) -> d.Document:
        doc_id = "1" + secrets.token_urlsafe(32).replace("-", "x").replace("_", "y")[:43]
        tabs = tabs or [d.Tab("t.0", "Tab 1")]
        for tab in tabs + [c for t in tabs for c in t.children]:
            if not tab.content or isinstance(tab.content[-1], d.Table):  # a body always ends with a paragraph
                tab.content.append(d.empty_paragraph())
        doc = d.Document(doc_id, title, tabs, self.owner, now, now, parents=[self.root.id])
        self.documents[doc_id] = doc
        return doc

    def changed(self, doc: d.Document) -> None:
        for listener in self.listeners:
            listener(doc)

    def everything(self) -> list[File | d.Document]:
        return [*self.documents.values(), *self.files.values()]

    def item(self, item_id: str) -> File | d.Document | None:
        if self.folder_id(item_id) == self.root.id:
            return self.root
        return self.documents.get(item_id) or self.files.get(item_id)

    def add(self, title: str, mime_type: str, now: datetime, parent: str = "root", **kw: Any) -> File:
        made = File(new_id(), title, mime_type, now, now, self.owner, parents=[self.folder_id(parent)], **kw)
        self.files[made.id] = made
        return made
