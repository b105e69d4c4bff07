"""Drive v3 over HTTP, as the real client calls it: files list/get/export/create/update/delete, downloads
(`alt=media`), uploads (multipart and resumable, under /upload), permissions, and about.get.

Every change bumps the file's `version`, as Drive's does (sharing included), which is what a write checks
to know the file is still as its preview showed it.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import google_mcp.sandbox.docs as d
from google_mcp.sandbox.blobs import pdf
from google_mcp.sandbox.docstore import FOLDER, File

from .drive_query import mask, parse_q, pick
from .errors import ApiError, bad_request, not_found
from .routing import Call, Method, Reply, Router
from .timeutil import utc_stamp

if TYPE_CHECKING:
    from .host import Host

A = "https://www.googleapis.com/auth/"
READ = (A + "drive", A + "drive.readonly", A + "drive.metadata.readonly", A + "drive.metadata", A + "drive.file")
CONTENT = (A + "drive", A + "drive.readonly", A + "drive.file")  # bytes, not only metadata
WRITE = (A + "drive", A + "drive.file")
F = "/drive/v3/files"
U = "/upload/drive/v3/files"
DOC = "application/vnd.google-apps.document"
DEFAULT_FIELDS = "kind,id,name,mimeType"
ROLES = ("owner", "organizer", "fileOrganizer", "writer", "commenter", "reader")
LINKS = {
    DOC: "https://docs.google.com/document/d/{}/edit",
    "application/vnd.google-apps.spreadsheet": "https://docs.google.com/spreadsheets/d/{}/edit",
    "application/vnd.google-apps.presentation": "https://docs.google.com/presentation/d/{}/edit",
    FOLDER: "https://drive.google.com/drive/folders/{}",
}
Item = File | d.Document


def _user_id(email: str) -> str:
    return str(int(hashlib.sha256(email.encode()).hexdigest()[:15], 16)).rjust(20, "0")[:20]


def permissions_of(item: Item) -> list[dict[str, Any]]:
    name, email = item.owner
    owner = {
        "kind": "drive#permission",
        "id": _user_id(email),
        "type": "user",
        "role": "owner",
        "emailAddress": email,
        "displayName": name,
    }
    return [owner, *item.permissions]


def file_json(item: Item) -> dict[str, Any]:
    name, email = item.owner
    out: dict[str, Any] = {
        "kind": "drive#file",
        "id": item.id,
        "name": item.title,
        "mimeType": item.mime_type,
        "parents": list(item.parents),
        "createdTime": utc_stamp(item.created),
        "modifiedTime": utc_stamp(item.modified),
        "owners": [{"kind": "drive#user", "displayName": name, "emailAddress": email, "me": True}],
        "ownedByMe": True,
        "trashed": item.trashed,
        "version": str(item.version),
        "shared": bool(item.permissions),
        "permissions": permissions_of(item),
        "webViewLink": LINKS.get(item.mime_type, "https://drive.google.com/file/d/{}/view?usp=drivesdk").format(
            item.id
        ),
    }
    if isinstance(item, File) and item.blob:
        out.update(size=str(len(item.data)), md5Checksum=item.md5)
        out["webContentLink"] = f"https://drive.google.com/uc?id={item.id}&export=download"
    elif item.mime_type != FOLDER:
        out["size"] = str(len(item.text().encode()))
    return out


def _multipart(ctype: str, body: bytes) -> tuple[dict[str, Any], str, bytes]:
    """A multipart/related upload: its JSON metadata, and the media's type and bytes."""
    found = re.search(r'boundary="?([^";]+)"?', ctype)
    if found is None:
        raise bad_request("Multipart upload without a boundary.", "badContent")
    parts = []
    for chunk in body.split(b"--" + found.group(1).encode())[1:]:
        if chunk.startswith(b"--"):
            break
        chunk = chunk[2:] if chunk.startswith(b"\r\n") else chunk[1:] if chunk.startswith(b"\n") else chunk
        ends = [(at, sep) for sep in (b"\r\n\r\n", b"\n\n") if (at := chunk.find(sep)) >= 0]
        if not ends:
            raise bad_request("A multipart part has no headers.", "badContent")
        at, sep = min(ends)
        head, data = chunk[:at], chunk[at + len(sep) :]
        data = data[:-2] if data.endswith(b"\r\n") else data[:-1] if data.endswith(b"\n") else data
        kind = re.search(rb"(?im)^content-type:\s*([^\r\n;]+)", head)
        parts.append(((kind.group(1).decode().strip() if kind else "application/octet-stream"), data))
    if len(parts) != 2:
        raise bad_request("A multipart upload has a metadata part and a media part.", "badContent")
    try:
        meta = json.loads(parts[0][1] or b"{}")
    except ValueError:
        raise bad_request("Invalid JSON payload received.", "parseError") from None
    return meta, parts[1][0], parts[1][1]


class DriveApi:
    def __init__(self, sandbox: Host) -> None:
        self.sb = sandbox
        self.uploads: dict[str, tuple[dict[str, Any], str, bytearray, int]] = {}  # resumable sessions

    def register(self, r: Router) -> None:
        for method, path, handler, method_id, scopes in [
            ("GET", "/drive/v3/about", self.about, "drive.about.get", READ),
            ("GET", F, self.list_files, "drive.files.list", READ),
            ("GET", F + "/{id}", self.get_file, "drive.files.get", READ),
            ("GET", F + "/{id}/export", self.export, "drive.files.export", CONTENT),
            ("POST", F, self.create, "drive.files.create", WRITE),
            ("POST", U, self.upload, "drive.files.create", WRITE),
            ("PUT", U, self.upload_part, "drive.files.create", WRITE),
            ("PATCH", F + "/{id}", self.update, "drive.files.update", WRITE),
            ("DELETE", F + "/{id}", self.delete, "drive.files.delete", WRITE),
            ("GET", F + "/{id}/permissions", self.list_permissions, "drive.permissions.list", READ),
            ("POST", F + "/{id}/permissions", self.share, "drive.permissions.create", WRITE),
            ("DELETE", F + "/{id}/permissions/{pid}", self.unshare, "drive.permissions.delete", WRITE),
        ]:
            r.add(method, path, Method(handler, method_id), scopes)

    def _item(self, call: Call) -> Item:
        item = self.sb.docs.item(call.params["id"])
        if item is None:
            raise ApiError(
                404,
                f"File not found: {call.params['id']}.",
                "notFound",
                extra={"location": "fileId", "locationType": "parameter"},
            )
        return item

    def _answer(self, item: Item, call: Call) -> dict[str, Any]:
        return dict(pick(file_json(item), mask(call.arg("fields") or DEFAULT_FIELDS)))

    # reads --------------------------------------------------------------------------------------
    def about(self, call: Call) -> dict[str, Any]:
        if not call.arg("fields"):
            raise bad_request("The 'fields' parameter is required for this method.", "required")
        name, email = self.sb.docs.owner
        user = {"kind": "drive#user", "displayName": name, "emailAddress": email, "me": True}
        used = sum(len(f.data) for f in self.sb.docs.files.values())
        quota = {"limit": str(15 * 1024**3), "usage": str(used), "usageInDrive": str(used)}
        return dict(pick({"kind": "drive#about", "user": user, "storageQuota": quota}, mask(call.arg("fields") or "")))

    def list_files(self, call: Call) -> dict[str, Any]:
        keep = parse_q(call.arg("q") or "", self.sb.docs.root.id)
        size = call.int_arg("pageSize", 100, lo=1, hi=1000)
        start = call.int_arg("pageToken", 0)
        if "fullText contains" in (call.arg("q") or "") and call.arg("orderBy"):
            raise bad_request("Sorting is not supported for queries with fullText terms.", "invalid")
        keys: dict[str, Callable[[Item], Any]] = {
            "name": lambda f: f.title.lower(),
            "createdTime": lambda f: f.created,
            "modifiedTime": lambda f: f.modified,
            "folder": lambda f: f.mime_type != FOLDER,
        }
        found = [f for f in self.sb.docs.everything() if keep(f)]
        for term in reversed((call.arg("orderBy") or "modifiedTime desc").split(",")):  # stable: last key first
            name, _, way = term.strip().partition(" ")
            if name not in keys:
                raise bad_request(f"Invalid Value: orderBy ({name!r} is not a sort key here)", "invalid")
            found.sort(key=keys[name], reverse=way.strip() == "desc")
        page = found[start : start + size]
        out: dict[str, Any] = {
            "kind": "drive#fileList",
            "incompleteSearch": False,
            "files": [file_json(f) for f in page],
        }
        if start + size < len(found):
            out["nextPageToken"] = str(start + size)
        fields = call.arg("fields")
        spec = (
            mask(fields)
            if fields
            else {"kind": {}, "incompleteSearch": {}, "nextPageToken": {}, "files": mask(DEFAULT_FIELDS)}
        )
        return dict(pick(out, spec))

    def get_file(self, call: Call) -> Any:
        item = self._item(call)
        if call.arg("alt") != "media":
            return self._answer(item, call)
        if not call.scopes & set(CONTENT):
            raise ApiError(403, "Request had insufficient authentication scopes.", "insufficientPermissions")
        if not isinstance(item, File) or not item.blob:
            raise ApiError(
                403,
                "Only files with binary content can be downloaded. Use Export with Docs Editors files.",
                "fileNotDownloadable",
                extra={"location": "alt", "locationType": "parameter"},
            )
        return Reply(200, item.data, {"content-type": item.mime_type})

    def export(self, call: Call) -> Reply:
        item = self._item(call)
        wanted = call.arg("mimeType") or ""
        if not wanted:
            raise bad_request("Required parameter: mimeType", "required")
        if isinstance(item, File) and item.blob:
            raise ApiError(403, "Export only supports Docs Editors files.", "fileNotExportable")
        data: bytes | None
        if isinstance(item, d.Document):
            data = {"text/plain": item.text().encode(), "application/pdf": pdf(item.text().splitlines())}.get(wanted)
        else:
            data = item.export(wanted)
        if data is None:
            raise bad_request("The requested conversion is not supported.", "badRequest")
        return Reply(200, data, {"content-type": wanted})

    def list_permissions(self, call: Call) -> dict[str, Any]:
        out = {"kind": "drive#permissionList", "permissions": permissions_of(self._item(call))}
        fields = call.arg("fields")
        return dict(pick(out, mask(fields))) if fields else out

    # writes -------------------------------------------------------------------------------------
    def _parent(self, meta: dict[str, Any]) -> str:
        parents = meta.get("parents") or ["root"]
        if not isinstance(parents, list) or len(parents) != 1:
            raise bad_request("A file can only have one parent folder.", "cannotAddParent")
        return self._folder(str(parents[0]))

    def _folder(self, folder_id: str) -> str:
        folder_id = self.sb.docs.folder_id(folder_id)
        if folder_id == self.sb.docs.root.id:
            return folder_id
        found = self.sb.docs.files.get(folder_id)
        if found is None or found.trashed:
            raise not_found(f"File not found: {folder_id}.")
        if found.mime_type != FOLDER:
            raise ApiError(403, "The parent is not a folder.", "notAFolder")
        return folder_id

    def _make(self, meta: dict[str, Any], mime: str, data: bytes) -> File:
        name = str(meta.get("name") or "Untitled")
        kind = str(meta.get("mimeType") or mime or "application/octet-stream")
        if kind.startswith("application/vnd.google-apps.") and kind != FOLDER:
            raise bad_request("Conversions on upload are not served by the sandbox.", "badRequest")
        text = data.decode("utf-8", errors="ignore") if kind.startswith("text/") else ""
        return self.sb.docs.add(name, kind, self.sb.now(), self._parent(meta), data=data, content=text)

    def create(self, call: Call) -> dict[str, Any]:
        return self._answer(self._make(call.json(), "", b""), call)

    def upload(self, call: Call) -> Any:
        kind = call.arg("uploadType") or ""
        ctype = call.headers.get("content-type", "")
        if kind == "multipart":
            meta, mime, data = _multipart(ctype, call.body)
            return self._answer(self._make(meta, mime, data), call)
        if kind == "media":
            return self._answer(self._make({}, ctype, call.body), call)
        if kind == "resumable":
            upload_id = secrets.token_urlsafe(16)
            total = int(call.headers.get("x-upload-content-length", "-1") or -1)
            mime = call.headers.get("x-upload-content-type", "application/octet-stream")
            self.uploads[upload_id] = (call.json(), mime, bytearray(), total)
            host = call.headers.get("host", "127.0.0.1")
            fields = f"&fields={call.arg('fields')}" if call.arg("fields") else ""
            where = f"http://{host}{U}?uploadType=resumable&upload_id={upload_id}{fields}"
            return Reply(200, None, {"location": where})
        raise bad_request(f"Invalid upload type: {kind!r}.", "invalid")

    def upload_part(self, call: Call) -> Any:
        session = self.uploads.get(call.arg("upload_id") or "")
        if session is None:
            raise not_found("No upload session with that id.")
        meta, mime, held, total = session
        found = re.match(r"bytes (\d+)-(\d+)/(\d+|\*)", call.headers.get("content-range", ""))
        if found:
            start, total = int(found.group(1)), int(found.group(3)) if found.group(3) != "*" else total
            if start != len(held):
                raise bad_request("The chunk does not start where the last one ended.", "badContent")
        held += call.body
        if total >= 0 and len(held) < total:
            self.uploads[call.arg("upload_id") or ""] = (meta, mime, held, total)
            return Reply(308, None, {"range": f"bytes=0-{len(held) - 1}"})
        del self.uploads[call.arg("upload_id") or ""]
        return self._answer(self._make(meta, mime, bytes(held)), call)

    def update(self, call: Call) -> dict[str, Any]:
        item = self._item(call)
        body = call.json()
        docs = self.sb.docs
        adding = [self._folder(p) for p in (call.arg("addParents") or "").split(",") if p]
        removing = [docs.folder_id(p) for p in (call.arg("removeParents") or "").split(",") if p]
        if item is docs.root:
            raise ApiError(403, "My Drive cannot be changed.", "forbidden")
        kept = [p for p in item.parents if p not in removing]
        parents = kept + [p for p in dict.fromkeys(adding) if p not in kept]  # a parent it has is no change
        if len(parents) > 1:
            raise ApiError(
                403,
                "Increasing the number of parents is not allowed.",
                "cannotAddParent",
            )
        for folder in adding:
            if folder == item.id:
                raise bad_request("A folder cannot be its own parent.", "invalidParent")
        for key in body:
            if key not in ("name", "trashed", "description", "mimeType"):
                raise ApiError(403, f"The resource body includes fields which are not directly writable: {key}")
        if "name" in body:
            if not str(body["name"]).strip():
                raise bad_request("The name of a file cannot be empty.", "invalid")
            item.title = str(body["name"])
        if "trashed" in body:
            item.trashed = bool(body["trashed"])
        item.parents = parents
        item.changed(self.sb.now())
        return self._answer(item, call)

    def delete(self, call: Call) -> Reply:
        item = self._item(call)
        if item is self.sb.docs.root:
            raise ApiError(403, "My Drive cannot be deleted.", "forbidden")
        self.sb.docs.files.pop(item.id, None)
        self.sb.docs.documents.pop(item.id, None)
        return Reply(204, None)

    def share(self, call: Call) -> dict[str, Any]:
        item = self._item(call)
        body = call.json()
        kind, role = body.get("type"), body.get("role")
        if kind not in ("user", "group", "domain", "anyone"):
            raise bad_request("Invalid permission type.", "invalidSharingRequest")
        if role not in ROLES:
            raise bad_request("Invalid permission role.", "invalidSharingRequest")
        if role == "owner" and not call.bool_arg("transferOwnership"):
            raise ApiError(
                403,
                "The transferOwnership parameter must be enabled when the permission role is 'owner'.",
                "forbidden",
            )
        target = body.get("emailAddress") if kind in ("user", "group") else body.get("domain")
        if kind != "anyone" and not target:
            raise bad_request(
                f"The permission {'emailAddress' if kind in ('user', 'group') else 'domain'} field is required.",
                "required",
            )
        if kind in ("domain", "anyone") and call.bool_arg("sendNotificationEmail", False):
            raise bad_request("Notification emails go to people and groups only.", "invalidSharingRequest")
        key = {"user": "emailAddress", "group": "emailAddress", "domain": "domain"}.get(str(kind))
        existing = next(
            (p for p in item.permissions if p["type"] == kind and (key is None or p.get(key) == target)), None
        )
        if existing is None:
            pid = "anyoneWithLink" if kind == "anyone" else _user_id(str(target)) + ("k" if kind == "domain" else "")
            existing = {"kind": "drive#permission", "id": pid, "type": kind}
            if key is not None:
                existing[key] = target
            if kind in ("domain", "anyone"):
                existing["allowFileDiscovery"] = bool(body.get("allowFileDiscovery", False))
            item.permissions.append(existing)
        existing["role"] = role
        item.version += 1
        return dict(pick(existing, mask(call.arg("fields") or "kind,id,type,role")))

    def unshare(self, call: Call) -> Reply:
        item = self._item(call)
        before = len(item.permissions)
        item.permissions = [p for p in item.permissions if p["id"] != call.params["pid"]]
        if len(item.permissions) == before:
            raise not_found(f"Permission not found: {call.params['pid']}.")
        item.version += 1
        return Reply(204, None)
