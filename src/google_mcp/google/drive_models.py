"""Drive's results: what the Drive tools answer (pydantic, so each tool has an output schema)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from google_mcp.models import Result

KINDS = {
    "application/vnd.google-apps.folder": "folder",
    "application/vnd.google-apps.document": "Google Doc",
    "application/vnd.google-apps.spreadsheet": "Google Sheet",
    "application/vnd.google-apps.presentation": "Google Slides",
    "application/vnd.google-apps.form": "Google Form",
    "application/vnd.google-apps.shortcut": "shortcut",
    "application/pdf": "PDF",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "PowerPoint",
}


def kind(mime: str) -> str:
    """A file's type as a person says it: "PDF", "Google Sheet", else its MIME type."""
    return KINDS.get(mime, mime)


class DriveFile(Result):
    id: str
    name: str
    type: str = Field(description='"folder", "Google Doc", "PDF", ... or the MIME type')
    path: str = Field(default="", description="the folder it is in, e.g. My Drive/Projects")
    owner: str = ""
    modified: str = ""
    size: int | None = Field(default=None, description="bytes")
    link: str | None = None
    shared: bool = False


class FileList(Result):
    query: str = Field(description="the Drive query that was run")
    files: list[DriveFile]
    next_page_token: str | None = Field(default=None, description="pass as page_token for the next page")

    def lines(self) -> str:
        """What a model reads: one line a file, the owner said once when it is the same for all."""
        owners = {f.owner for f in self.files}
        head = f"{len(self.files)} file{'' if len(self.files) == 1 else 's'}"
        if self.next_page_token:
            head += f"; more with page_token={self.next_page_token}"
        head += ". name · type · folder · modified · size · link (a link works as file_id)"
        if len(owners) == 1 and self.files:
            head += f"; all owned by {owners.pop()}"
            owners = set()
        out = [head]
        for f in self.files:
            parts = [f.name, f.type, f.path or "?", f.modified[:16].replace("T", " ")]
            if f.size is not None:
                parts.append(f"{f.size:,} B")
            if owners:
                parts.append(f"owner {f.owner}")
            if f.shared:
                parts.append("shared")
            parts.append(f.link or f.id)
            out.append(" · ".join(parts))
        return "\n".join(out)


class DriveContent(Result):
    id: str
    name: str
    type: str
    path: str = ""
    version: str = Field(default="", description="changes with every change to the file")
    format: Literal["markdown", "table", "text", "saved"]
    text: str | None = None
    total_chars: int | None = None
    next_offset: int | None = Field(default=None, description="pass as offset for the rest")
    saved_to: str | None = Field(default=None, description="a binary file, saved on this machine")
    size: int | None = None
    sha256: str | None = None
    note: str | None = None


class DriveWritten(Result):
    status: Literal["uploaded", "created", "moved", "renamed", "trashed"]
    id: str
    name: str
    path: str = ""
    link: str | None = None
    version: str = ""


class Grant(Result):
    who: str = Field(description="an email, a domain, or anyone")
    type: Literal["user", "group", "domain", "anyone"]
    role: str
    id: str = ""


class Shared(Result):
    status: Literal["shared"]
    id: str
    name: str
    granted: list[Grant]
    notified: list[str] = Field(default_factory=list)
    failed: list[str] = Field(default_factory=list)
