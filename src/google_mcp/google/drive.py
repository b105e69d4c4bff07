"""Google Drive as typed operations over the Google client: find, list and read any file as text (or save
it), and the writes the Drive tools preview (upload, folders, move, rename, trash, share).

Drive v3 has no conditional update, so a write carries the `version` its preview was read at and checks
it just before writing: a file that changed meanwhile is not written, and the person gets a fresh preview.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any, Literal

import anyio

from google_mcp.errors import GoogleMCPError, InvalidInput, TargetChanged
from google_mcp.google import drive_text
from google_mcp.google.client import GoogleClient
from google_mcp.google.compose import AttachmentFile, Files
from google_mcp.google.docs import Docs
from google_mcp.google.downloads import save
from google_mcp.google.drive_models import DriveContent, DriveFile, DriveWritten, FileList, kind
from google_mcp.google.mailtext import window
from google_mcp.settings import Settings

FOLDER = "application/vnd.google-apps.folder"
DOC = "application/vnd.google-apps.document"
SHEET = "application/vnd.google-apps.spreadsheet"
SLIDES = "application/vnd.google-apps.presentation"
GOOGLE = "application/vnd.google-apps."
FIELDS = "id,name,mimeType,parents,owners(displayName,emailAddress),modifiedTime,size,webViewLink,version,shared"
READ_MAX = 50 * 1024 * 1024  # bytes a read downloads at most
RESUMABLE_FROM = 5 * 1024 * 1024  # uploads this big go in chunks, as Google advises
# Drive's query syntax: an operator, a comparison with a quoted value, or one of its fields
_SYNTAX = re.compile(
    r"\bcontains\b|\bin\s+(?:parents|owners|writers|readers)\b|(?:=|!=|<|>)\s*'|\bhas\s*\{|"
    r"\b(?:trashed|starred|sharedWithMe)\s*(?:=|!=)",
    re.IGNORECASE,
)
_ID = re.compile(r"[\w-]{10,}")


def file_id(value: str) -> str:
    """An id from an id or any Drive, Docs, Sheets or Slides link."""
    found = re.search(r"/(?:d|folders)/([\w-]{10,})|[?&]id=([\w-]{10,})", value)
    fid = (found.group(1) or found.group(2)) if found else value.strip()
    if fid != "root" and not _ID.fullmatch(fid):
        raise InvalidInput(f"{value!r} is not a Drive file id; use an id (or link) from drive_search.")
    return fid


def quoted(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def query_of(words: str, include_trashed: bool) -> str:
    """Drive query syntax passes through; plain words become a name or full-text match."""
    q = words.strip()
    if q and not _SYNTAX.search(q):
        q = f"(name contains {quoted(q)} or fullText contains {quoted(q)})"
    if not include_trashed and not re.search(r"\btrashed\b", q):
        q = f"({q}) and trashed = false" if q else "trashed = false"
    return q


def owner_of(meta: dict[str, Any]) -> str:
    owner = (meta.get("owners") or [{}])[0]
    name, email = owner.get("displayName", ""), owner.get("emailAddress")
    return f"{name} <{email}>" if email and name else email or name


class Drive:
    def __init__(self, client: GoogleClient, settings: Settings, files: Files, docs: Docs) -> None:
        self.client, self.settings, self.files, self.docs = client, settings, files, docs
        self._me: str | None = None

    async def _exec(self, build: Any, what: str, retry: bool = True) -> Any:
        return await self.client.execute("drive", build, what=what, retry=retry)

    # metadata, folder paths ---------------------------------------------------------------------
    async def me(self) -> str:
        """The signed-in account's email (whose domain a share stays inside)."""
        if self._me is None:
            got = await self._exec(lambda s: s.about().get(fields="user(emailAddress)"), "reading the account")
            self._me = str(got["user"]["emailAddress"]).lower()
        return self._me

    async def meta(self, value: str) -> dict[str, Any]:
        fid = file_id(value)
        got: dict[str, Any] = await self._exec(
            lambda s: s.files().get(fileId=fid, fields=FIELDS, supportsAllDrives=True), f"reading file {fid}"
        )
        return got

    async def paths(self, parent_lists: list[list[str]]) -> list[str]:
        """Each file's folder as a path, its folders read once each (level by level, a few at a time)."""
        known: dict[str, tuple[str, str | None]] = {}
        limit = anyio.CapacityLimiter(8)

        async def fetch(fid: str) -> None:
            async with limit:
                try:
                    got = await self._exec(
                        lambda s: s.files().get(fileId=fid, fields="id,name,parents", supportsAllDrives=True),
                        "reading a folder",
                    )
                    known[fid] = (got.get("name", ""), (got.get("parents") or [None])[0])
                except GoogleMCPError:  # a folder this account cannot see: the path starts there
                    known[fid] = ("…", None)

        wanted = {p[0] for p in parent_lists if p}
        for _ in range(32):  # Drive nests folders deep, but not without end
            missing = wanted - known.keys()
            if not missing:
                break
            async with anyio.create_task_group() as tg:
                for fid in missing:
                    tg.start_soon(fetch, fid)
            wanted = {parent for _, parent in known.values() if parent}

        def path(parents: list[str]) -> str:
            names, at, seen = [], parents[0] if parents else None, set()
            while at and at in known and at not in seen:
                seen.add(at)
                names.append(known[at][0])
                at = known[at][1]
            return "/".join(reversed(names))

        return [path(p) for p in parent_lists]

    def _file(self, meta: dict[str, Any], path: str) -> DriveFile:
        return DriveFile(
            id=meta["id"],
            name=meta.get("name", ""),
            type=kind(meta.get("mimeType", "")),
            path=path,
            owner=owner_of(meta),
            modified=meta.get("modifiedTime", ""),
            size=int(meta["size"]) if meta.get("size") and meta.get("mimeType") != FOLDER else None,
            link=(meta.get("webViewLink") or "").removesuffix("?usp=drivesdk") or None,  # the same link, shorter
            shared=bool(meta.get("shared")),
        )

    async def describe(self, meta: dict[str, Any]) -> str:
        """One line for a preview: the name, its type and size, and the folder it is in."""
        path = (await self.paths([meta.get("parents") or []]))[0]
        size = f", {int(meta['size']):,} bytes" if meta.get("size") and meta.get("mimeType") != FOLDER else ""
        return f"{meta.get('name', '')!r} ({kind(meta.get('mimeType', ''))}{size}) in {path or '?'}"

    # reads ----------------------------------------------------------------------------------------
    async def search(
        self, query: str, max_results: int, page_token: str | None, include_trashed: bool = False, order: str = ""
    ) -> FileList:
        q = query_of(query, include_trashed)
        kwargs: dict[str, Any] = {"q": q, "pageSize": max_results, "fields": f"nextPageToken,files({FIELDS})"}
        if order or "fullText" not in q:  # Drive refuses to sort a full-text search: that comes by relevance
            kwargs["orderBy"] = order or "modifiedTime desc"
        if page_token:
            kwargs["pageToken"] = page_token
        got = await self._exec(lambda s: s.files().list(**kwargs), "searching Drive")
        found = got.get("files", [])
        paths = await self.paths([f.get("parents") or [] for f in found])
        files = [self._file(f, p) for f, p in zip(found, paths, strict=True)]
        return FileList(query=q, files=files, next_page_token=got.get("nextPageToken"))

    async def list_folder(self, folder: str, max_results: int, page_token: str | None) -> FileList:
        fid = file_id(folder or "root")
        if fid != "root":
            meta = await self.meta(fid)
            if meta.get("mimeType") != FOLDER:
                raise InvalidInput(f"{meta.get('name')!r} is a {kind(meta.get('mimeType', ''))}, not a folder: "
                                   f"read it with drive_read(file_id={fid!r}).")  # fmt: skip
        q = f"{quoted(fid)} in parents"
        return await self.search(q, max_results, page_token, order="folder,name")

    async def _bytes(self, fid: str, export: str | None, what: str) -> bytes:
        if export:
            got = await self._exec(lambda s: s.files().export_media(fileId=fid, mimeType=export), what)
        else:
            got = await self._exec(lambda s: s.files().get_media(fileId=fid, supportsAllDrives=True), what)
        return bytes(got)

    async def read(self, value: str, max_chars: int, offset: int) -> DriveContent:
        meta = await self.meta(value)
        fid, mime, name = meta["id"], meta.get("mimeType", ""), meta.get("name", "")
        path = (await self.paths([meta.get("parents") or []]))[0]
        base: dict[str, Any] = {"id": fid, "name": name, "type": kind(mime), "path": path, "version": meta["version"]}
        if mime == FOLDER:
            raise InvalidInput(f"{name!r} is a folder: list it with drive_list_folder(folder_id={fid!r}).")
        if mime == DOC:
            doc = await self.docs.read(fid, None, max_chars, offset)
            return DriveContent(
                **base,
                format="markdown",
                text=doc.markdown,
                total_chars=doc.total_chars,
                next_offset=doc.next_offset,
                note=doc.note,
            )
        note: str | None = None
        form: Literal["table", "text"] = "text"
        if mime == SHEET:
            csv = drive_text.plain(await self._bytes(fid, "text/csv", f"exporting {name!r}")) or ""
            text, form = drive_text.table(csv), "table"
            note = "The first sheet, as Drive exports it; the sheets tools read the others and any range."
        elif mime == SLIDES:
            text = drive_text.plain(await self._bytes(fid, "text/plain", f"exporting {name!r}")) or ""
            text = text.replace("\r\n", "\n")  # Drive's export ends lines the Windows way
        elif mime.startswith(GOOGLE):
            raise InvalidInput(f"A {kind(mime)} has no text to read here; open it at {meta.get('webViewLink')}.")
        else:
            size = int(meta.get("size") or 0)
            if size > READ_MAX:
                raise InvalidInput(
                    f"{name!r} is {size:,} bytes; files over {READ_MAX:,} bytes are not downloaded here. "
                    f"Open it at {meta.get('webViewLink')}."
                )
            data = await self._bytes(fid, None, f"downloading {name!r}")
            found, note = self._text(data, mime)
            if found is None:
                return await self._saved(base, data, note)
            text = found
        piece, cut, nxt = window(text, offset, max_chars)
        if cut:
            note = f"{note + ' ' if note else ''}Cut at {max_chars} characters: call again with offset={nxt} for more."
        return DriveContent(**base, format=form, text=piece, total_chars=len(text), next_offset=nxt, note=note)

    @staticmethod
    def _text(data: bytes, mime: str) -> tuple[str | None, str | None]:
        """The text of a file's bytes, or None (and why) when it is saved instead."""
        try:
            if mime == "application/pdf":
                text = drive_text.pdf_text(data)
                return (text, None) if text.strip() else (None, "The PDF has no text layer (a scan?).")
            if mime in drive_text.OFFICE:
                return drive_text.office_text(data, mime), None
        except drive_text.Unreadable as exc:
            return None, f"Not read as text: {exc}."
        if drive_text.is_text(mime) or mime == "application/octet-stream":
            return drive_text.plain(data), None
        return None, None

    async def _saved(self, base: dict[str, Any], data: bytes, note: str | None) -> DriveContent:
        where = await anyio.to_thread.run_sync(save, self.files.downloads / base["id"], base["name"], data)
        return DriveContent(
            **base,
            format="saved",
            saved_to=str(where),
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            note=note,
        )

    async def attachment(self, meta: dict[str, Any], max_bytes: int) -> AttachmentFile:
        """A file's bytes to attach to a mail: Google's own files as PDF."""
        mime, name = meta.get("mimeType", ""), meta.get("name", "")
        if mime == FOLDER:
            raise InvalidInput(f"{name!r} is a folder; attach files, or send its link.")
        size = int(meta.get("size") or 0)
        if not mime.startswith(GOOGLE) and size > max_bytes:
            raise InvalidInput(
                f"{name!r} is {size:,} bytes, over Gmail's limit of {max_bytes:,}: send it as a link instead."
            )
        export = "application/pdf" if mime.startswith(GOOGLE) else None
        data = await self._bytes(meta["id"], export, f"downloading {name!r}")
        if len(data) > max_bytes:
            raise InvalidInput(f"{name!r} is {len(data):,} bytes as a file, over Gmail's limit: send it as a link.")
        if export:
            return AttachmentFile(name if name.lower().endswith(".pdf") else name + ".pdf", export, data)
        return AttachmentFile(name, mime or "application/octet-stream", data)

    # writes ---------------------------------------------------------------------------------------
    async def unchanged(self, fid: str, version: str) -> dict[str, Any]:
        """The file as now, if it is still at the version its preview showed; else nothing is written."""
        meta = await self.meta(fid)
        if str(meta.get("version")) != str(version):
            raise TargetChanged(
                f"{meta.get('name', fid)!r} changed since the preview (version {version} → {meta.get('version')}), "
                "so nothing was done. Here is a fresh preview."
            )
        return meta

    def _local(self, request: Any) -> Any:
        """googleapiclient sends media uploads to https on the configured host whatever its scheme (a local
        Drive over http, the sandbox): give them the endpoint's scheme."""
        endpoint = self.settings.endpoint("drive", self.client.sandbox_url)
        if endpoint.startswith("http://") and request.uri.startswith("https://"):
            request.uri = "http://" + request.uri[len("https://") :]
        return request

    async def _written(self, got: dict[str, Any], status: str) -> DriveWritten:
        path = (await self.paths([got.get("parents") or []]))[0]
        return DriveWritten(
            status=status,  # type: ignore[arg-type]
            id=got["id"],
            name=got.get("name", ""),
            path=path,
            link=got.get("webViewLink"),
            version=str(got.get("version", "")),
        )

    async def upload(self, name: str, mime: str, data: bytes, parent: str) -> DriveWritten:
        from googleapiclient.http import MediaInMemoryUpload

        media = MediaInMemoryUpload(data, mime, resumable=len(data) >= RESUMABLE_FROM, chunksize=RESUMABLE_FROM)
        body = {"name": name, "parents": [parent]}
        got = await self._exec(
            lambda s: self._local(s.files().create(body=body, media_body=media, fields=FIELDS, supportsAllDrives=True)),
            f"uploading {name!r}",
            retry=False,
        )
        return await self._written(got, "uploaded")

    async def create_folder(self, name: str, parent: str) -> DriveWritten:
        body = {"name": name, "mimeType": FOLDER, "parents": [parent]}
        got = await self._exec(
            lambda s: s.files().create(body=body, fields=FIELDS, supportsAllDrives=True),
            f"creating the folder {name!r}",
            retry=False,
        )
        return await self._written(got, "created")

    async def update(self, op: dict[str, Any], status: str) -> DriveWritten:
        await self.unchanged(op["file_id"], op["version"])
        kwargs: dict[str, Any] = {"fileId": op["file_id"], "body": op.get("body", {}), "fields": FIELDS}
        if op.get("add"):
            kwargs.update(addParents=op["add"], removeParents=",".join(op.get("remove", [])))
        got = await self._exec(lambda s: s.files().update(**kwargs, supportsAllDrives=True), f"{status} the file")
        return await self._written(got, status)

    async def inside(self, fid: str) -> tuple[int, bool]:
        """How many files a folder holds directly (up to 100), and whether there are more."""
        got = await self._exec(
            lambda s: s.files().list(
                q=f"{quoted(fid)} in parents and trashed = false", pageSize=100, fields="nextPageToken,files(id)"
            ),
            "counting what the folder holds",
        )
        return len(got.get("files", [])), bool(got.get("nextPageToken"))

    async def permissions(self, fid: str) -> list[dict[str, Any]]:
        got = await self._exec(
            lambda s: s.permissions().list(
                fileId=fid, fields="permissions(id,type,role,emailAddress,domain)", supportsAllDrives=True
            ),
            "reading who the file is shared with",
        )
        return list(got.get("permissions", []))

    async def grant(self, fid: str, permission: dict[str, Any], notify: bool, message: str | None) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"fileId": fid, "body": permission, "fields": "id,type,role,emailAddress,domain"}
        if permission["type"] in ("user", "group"):
            kwargs["sendNotificationEmail"] = notify
            if notify and message:
                kwargs["emailMessage"] = message
        got: dict[str, Any] = await self._exec(
            lambda s: s.permissions().create(**kwargs, supportsAllDrives=True), "sharing the file", retry=False
        )
        return got
