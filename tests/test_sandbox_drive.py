"""The sandbox's Drive v3 driven by the real google-api-python-client, each answer checked against the
discovery document: lists with folders, downloads and exports, both upload protocols, moves, the trash,
permissions, versions, and Google's errors and quota."""

from __future__ import annotations

from typing import Any

import pytest
from googleapiclient.errors import HttpError
from googleapiclient.http import MediaInMemoryUpload

from helpers import control, credentials, drive, run
from mcp_helpers import requests

FIELDS = "id,name,mimeType,parents,size,version,permissions,owners,webViewLink,modifiedTime,md5Checksum,shared"


def local(request: Any) -> Any:
    """googleapiclient sends media to https whatever the endpoint's scheme (the adapter does the same)."""
    request.uri = request.uri.replace("https://", "http://", 1)
    return request


def one(api: Any, name: str) -> dict[str, Any]:
    found = run(api.files().list(q=f"name = '{name}'", fields=f"files({FIELDS})"))["files"]
    assert len(found) == 1, found
    return dict(found[0])


def test_files_live_in_folders_and_download_or_export_as_drive_serves_them(fresh_sandbox: Any) -> None:
    api = drive(fresh_sandbox.url)
    root = run(api.files().get(fileId="root", fields="id,name,mimeType"))
    assert root["name"] == "My Drive"
    top = run(
        api.files().list(q="'root' in parents and trashed = false", orderBy="folder,name", fields=f"files({FIELDS})")
    )
    assert [f["name"] for f in top["files"]][:2] == ["Photos", "Projects"]  # folders first
    assert all(f["parents"] == [root["id"]] for f in top["files"])
    pdf = one(api, "Signed contract.pdf")
    data = api.files().get_media(fileId=pdf["id"]).execute()
    assert data.startswith(b"%PDF-1.4") and int(pdf["size"]) == len(data)
    sheet = one(api, "Q3 budget")
    assert api.files().export_media(fileId=sheet["id"], mimeType="text/csv").execute().startswith(b"Item,Q3,Q4")
    with pytest.raises(HttpError) as blob_export:
        api.files().export_media(fileId=pdf["id"], mimeType="text/plain").execute()
    assert (
        blob_export.value.resp.status == 403 and blob_export.value.reason == "Export only supports Docs Editors files."
    )
    with pytest.raises(HttpError) as sheet_download:
        api.files().get_media(fileId=sheet["id"]).execute()
    assert sheet_download.value.resp.status == 403
    assert [p["role"] for p in run(api.permissions().list(fileId=sheet["id"]))["permissions"]] == ["owner", "writer"]
    assert run(api.about().get(fields="user"))["user"]["emailAddress"] == "alex.morgan@example.com"


def test_uploads_moves_and_shares_change_the_version(fresh_sandbox: Any) -> None:
    url = fresh_sandbox.url
    api = drive(url)
    apollo = one(api, "Apollo")
    body = b"line one\r\nline two\n\x00\xff"
    small = run(local(api.files().create(body={"name": "notes.bin", "parents": [apollo["id"]]},
                media_body=MediaInMemoryUpload(body, "application/octet-stream"), fields=FIELDS)))  # fmt: skip
    assert api.files().get_media(fileId=small["id"]).execute() == body and small["parents"] == [apollo["id"]]
    big = bytes(range(256)) * 3000  # three chunks of 256 KiB and a bit
    media = MediaInMemoryUpload(big, "application/zip", resumable=True, chunksize=256 * 1024)
    chunked = local(api.files().create(body={"name": "big.bin"}, fields=FIELDS, media_body=media))
    made = chunked.execute()
    assert api.files().get_media(fileId=made["id"]).execute() == big and made["mimeType"] == "application/zip"
    version = int(small["version"])
    moved = run(api.files().update(fileId=small["id"], addParents="root", removeParents=apollo["id"], fields=FIELDS))
    assert moved["parents"] == [run(api.files().get(fileId="root", fields="id"))["id"]]
    shared = run(api.permissions().create(fileId=small["id"], sendNotificationEmail=True,
                 body={"type": "user", "role": "reader", "emailAddress": "lena.fischer@example.org"}))  # fmt: skip
    assert shared["role"] == "reader"
    anyone = run(api.permissions().create(fileId=small["id"], body={"type": "anyone", "role": "reader"}))
    after = run(api.files().get(fileId=small["id"], fields=FIELDS))
    assert int(after["version"]) == version + 3 and after["shared"]
    shares = [r for r in requests(url) if r["path"].endswith("/permissions") and r["method"] == "POST"]
    assert shares[0]["query"]["sendNotificationEmail"] == "true"
    api.permissions().delete(fileId=small["id"], permissionId=anyone["id"]).execute()
    run(api.files().update(fileId=small["id"], body={"trashed": True}))
    assert run(api.files().list(q="name = 'notes.bin' and trashed = false"))["files"] == []
    assert api.files().delete(fileId=small["id"]).execute() == ""


def test_google_errors_and_quota(fresh_sandbox: Any) -> None:
    url = fresh_sandbox.url
    api = drive(url)
    with pytest.raises(HttpError) as missing:
        api.files().get(fileId="1nosuchfile000000000").execute()
    assert missing.value.resp.status == 404 and missing.value.error_details[0]["reason"] == "notFound"
    with pytest.raises(HttpError) as bad:
        api.files().list(q="name contains").execute()
    assert bad.value.resp.status == 400 and "Invalid Value" in bad.value.reason
    reader = drive(url, credentials(url, "https://www.googleapis.com/auth/drive.readonly"))
    with pytest.raises(HttpError) as scope:
        reader.files().update(fileId=one(api, "Menu.txt")["id"], body={"name": "x"}).execute()
    assert scope.value.resp.status == 403 and scope.value.error_details[0]["reason"] == "insufficientPermissions"
    control(url, "/_sandbox/quota", {"drive_queries_per_minute": 2})
    run(api.files().list(pageSize=1))
    run(api.files().list(pageSize=1))
    with pytest.raises(HttpError) as limited:
        api.files().list(pageSize=1).execute()
    assert limited.value.resp.status == 403 and limited.value.error_details[0]["reason"] == "userRateLimitExceeded"
    control(url, "/_sandbox/quota", {"drive_queries_per_minute": 0})
