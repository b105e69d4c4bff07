"""The Drive tools: thin declarations over the Drive adapter (google/drive.py). A write on an existing file
carries the version its preview was read at: if the file changes first, nothing is written and the person
gets a fresh preview."""

from __future__ import annotations

import base64
from typing import Annotated, Any

from pydantic import Field

from google_mcp.errors import InvalidInput
from google_mcp.gate import Plan
from google_mcp.google.compose import read_attachment
from google_mcp.google.drive import FOLDER
from google_mcp.google.drive_models import DriveContent, DriveWritten, FileList
from google_mcp.models import Preview
from google_mcp.registry import DESTRUCTIVE, IDEMPOTENT, READ, WRITE, Registrar
from google_mcp.state import AppState
from google_mcp.tools.drive_share import Role, already, audience, share_op

FileId = Annotated[str, Field(description="id or link")]
Folder = Annotated[str, Field(description='folder id or link; "root" is My Drive')]


def _version(meta: dict[str, Any]) -> str:
    return f"Version: {meta.get('version')} (if the file changes first, you get a fresh preview)"


# reads ----------------------------------------------------------------------------------------
async def drive_search(
    state: AppState,
    query: Annotated[str, Field(description="words, or Drive query syntax (name contains 'x', mimeType = ...)")] = "",
    max_results: Annotated[int, Field(ge=1, le=200)] = 25,
    page_token: str | None = None,
    include_trashed: bool = False,
) -> FileList:
    """Find files in Drive by name and text: type, folder, owner, modified time, size and link; newest first."""
    return await state.drive.search(query, max_results, page_token, include_trashed)


async def drive_list_folder(
    state: AppState,
    folder_id: Folder = "root",
    max_results: Annotated[int, Field(ge=1, le=200)] = 100,
    page_token: str | None = None,
) -> FileList:
    """List a folder: folders first, then files by name."""
    return await state.drive.list_folder(folder_id, max_results, page_token)


async def drive_read(
    state: AppState,
    file_id: FileId,
    max_chars: Annotated[int, Field(ge=200, le=200_000)] = 20_000,
    offset: Annotated[int, Field(ge=0)] = 0,
) -> DriveContent:
    """Read any file as text: Docs as Markdown, Sheets as a table, Slides, PDFs, Office and text files;
    images and other binary files are saved to the download folder (path, size, SHA-256)."""
    return await state.drive.read(file_id, max_chars, offset)


# writes ---------------------------------------------------------------------------------------
async def _folder(state: AppState, folder: str) -> tuple[str, str]:
    """A folder's id and path, checked to be a folder."""
    meta = await state.drive.meta(folder)
    if meta.get("mimeType") != FOLDER:
        raise InvalidInput(f"{meta.get('name')!r} is not a folder; give a folder id (drive_search mimeType = ...).")
    path = (await state.drive.paths([meta.get("parents") or []]))[0]
    return meta["id"], f"{path}/{meta.get('name', '')}".lstrip("/")


async def drive_upload(
    state: AppState,
    path: Annotated[str, Field(description="a local file, from the folders attachments may come from")],
    folder_id: Folder = "root",
    name: Annotated[str | None, Field(description="default: the file's own name")] = None,
) -> Plan:
    """Upload a local file to Drive."""
    data = read_attachment(path, state.drive.files, state.settings.max_attachment_bytes)
    parent, where = await _folder(state, folder_id)
    title = (name or data.filename).strip()
    if not title:
        raise InvalidInput("Give the file a name.")
    preview = Preview(
        action="Upload a file to Drive",
        summary=f"{title} → {where}",
        details=[
            f"From: {path}",
            f"Size: {data.size:,} bytes, SHA-256 {data.sha256}",
            f"Type: {data.mime_type}",
            "Shared with nobody (it takes the folder's sharing)",
        ],
    )
    op = {"name": title, "mime": data.mime_type, "data": base64.b64encode(data.data).decode(), "parent": parent}
    return Plan(preview, op)


async def upload_op(state: AppState, op: dict[str, Any]) -> DriveWritten:
    return await state.drive.upload(op["name"], op["mime"], base64.b64decode(op["data"]), op["parent"])


async def drive_create_folder(state: AppState, name: str, parent_id: Folder = "root") -> Plan:
    """Create a folder."""
    if not name.strip():
        raise InvalidInput("Give the folder a name.")
    parent, where = await _folder(state, parent_id)
    preview = Preview(action="Create a Drive folder", summary=f"{name.strip()} in {where}")
    return Plan(preview, {"name": name.strip(), "parent": parent})


async def folder_op(state: AppState, op: dict[str, Any]) -> DriveWritten:
    return await state.drive.create_folder(op["name"], op["parent"])


async def drive_move(state: AppState, file_id: FileId, folder_id: Folder) -> Plan:
    """Move a file or folder into another folder."""
    drive = state.drive
    meta = await drive.meta(file_id)
    target, where = await _folder(state, folder_id)
    if target in (meta.get("parents") or []):
        raise InvalidInput(f"{meta.get('name')!r} is already in {where}.")
    if target == meta["id"]:
        raise InvalidInput("A folder cannot go into itself.")
    preview = Preview(
        action="Move a Drive file",
        summary=f"{meta.get('name', '')} → {where}",
        details=[f"Now: {await drive.describe(meta)}", f"Becomes: in {where}", _version(meta)],
    )
    op = {"file_id": meta["id"], "version": meta["version"], "add": target, "remove": meta.get("parents") or []}
    return Plan(preview, op)


async def move_op(state: AppState, op: dict[str, Any]) -> DriveWritten:
    return await state.drive.update(op, "moved")


async def drive_rename(state: AppState, file_id: FileId, name: str) -> Plan:
    """Rename a file or folder."""
    if not name.strip():
        raise InvalidInput("Give the new name.")
    meta = await state.drive.meta(file_id)
    preview = Preview(
        action="Rename a Drive file",
        summary=f"{meta.get('name', '')!r} → {name.strip()!r}",
        details=[f"File: {await state.drive.describe(meta)}", _version(meta)],
    )
    return Plan(preview, {"file_id": meta["id"], "version": meta["version"], "body": {"name": name.strip()}})


async def rename_op(state: AppState, op: dict[str, Any]) -> DriveWritten:
    return await state.drive.update(op, "renamed")


async def drive_trash(state: AppState, file_id: FileId) -> Plan:
    """Move a file or folder to the trash (Drive empties it after 30 days)."""
    meta = await state.drive.meta(file_id)
    within = ""
    if meta.get("mimeType") == FOLDER:
        count, more = await state.drive.inside(meta["id"])
        within = f" and everything in it ({count}{'+' if more else ''} item{'' if count == 1 else 's'} directly inside)"
    preview = Preview(
        action="Move to Drive's trash",
        summary=f"{meta.get('name', '')}{within}",
        details=[f"File: {await state.drive.describe(meta)}", "Restorable from the trash for 30 days", _version(meta)],
    )
    return Plan(preview, {"file_id": meta["id"], "version": meta["version"], "body": {"trashed": True}})


async def trash_op(state: AppState, op: dict[str, Any]) -> DriveWritten:
    return await state.drive.update(op, "trashed")


async def drive_share(
    state: AppState,
    file_id: FileId,
    role: Role = "reader",
    people: Annotated[list[str] | None, Field(description="email addresses")] = None,
    groups: Annotated[list[str] | None, Field(description="Google Groups' addresses")] = None,
    domain: Annotated[str | None, Field(description="everyone at this domain")] = None,
    anyone_with_link: bool = False,
    notify: Annotated[bool, Field(description="Drive emails the people and groups")] = True,
    message: Annotated[str | None, Field(description="added to Drive's email")] = None,
) -> Plan:
    """Share a file or folder: reader (view), commenter or writer (edit)."""
    drive = state.drive
    meta = await drive.meta(file_id)
    me = await drive.me()
    who = audience(me, role, people or [], groups or [], domain, anyone_with_link, notify)
    details = [*who.loud]
    if who.asks:
        details.append(f"⚠ Outside your domain ({me.rpartition('@')[2]}): {', '.join(who.asks)}")
    details += [f"File: {await drive.describe(meta)}", *who.lines]
    if message and notify:
        details.append(f"Message in Drive's email: {message}")
    shared = [p for p in await drive.permissions(meta["id"]) if p.get("role") != "owner"]
    details += [already(shared), _version(meta)]
    names = [p.get("emailAddress") or (f"everyone at {p['domain']}" if "domain" in p else "anyone with the link")
             for p in who.permissions]  # fmt: skip
    preview = Preview(
        action="Share a Drive file",
        summary=f"{meta.get('name', '')} with {', '.join(dict.fromkeys(names))} ({role})",
        details=details,
    )
    op = {
        "file_id": meta["id"],
        "version": meta["version"],
        "permissions": who.permissions,
        "notify": notify,
        "message": message if notify else None,
    }
    because = f"it shares outside {me.rpartition('@')[2]}: {', '.join(who.asks)}" if who.asks else ""
    return Plan(preview, op, auto_ok=not who.asks, asks_because=because)


def register(tool: Registrar) -> None:
    tool(title="Find files in Drive", annotations=READ)(drive_search)
    tool(title="List a Drive folder", annotations=READ)(drive_list_folder)
    tool(title="Read a Drive file", annotations=READ)(drive_read)
    tool(title="Upload to Drive", annotations=WRITE, execute=upload_op)(drive_upload)
    tool(title="Create a Drive folder", annotations=WRITE, execute=folder_op)(drive_create_folder)
    tool(title="Move a Drive file", annotations=IDEMPOTENT, execute=move_op)(drive_move)
    tool(title="Rename a Drive file", annotations=IDEMPOTENT, execute=rename_op)(drive_rename)
    tool(title="Move to Drive's trash", annotations=DESTRUCTIVE, execute=trash_op)(drive_trash)
    tool(title="Share a Drive file", annotations=WRITE, execute=share_op)(drive_share)
