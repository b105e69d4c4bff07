"""The Drive tools through an MCP client session against the sandbox: each kind of file read, folder
paths, and each write held, confirmed once, declined, or met by a change (a fresh preview, nothing
written); sharing beyond the person's domain always asks; Drive files in a mail, as links or as files."""

from __future__ import annotations

import base64
import email
import email.policy
import hashlib
import io
import subprocess
import urllib.request
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from googleapiclient.http import MediaInMemoryUpload

from helpers import drive, gmail, run
from mcp_helpers import Person, call, connect, fails, requests, writes
from served import EXE, _env
from tcp_proxy import TcpProxy

pytestmark = pytest.mark.anyio


def file_of(url: str, name: str) -> dict[str, Any]:
    found = run(drive(url).files().list(q=f"name = '{name}'", fields="files(id,name,version,webViewLink)"))["files"]
    return dict(found[0])


def drive_writes(url: str) -> list[dict[str, Any]]:
    return [w for w in writes(url) if "/drive/" in w["path"]]


async def test_a_search_shows_each_file_with_its_folder_path(fresh_sandbox: Any, make_settings: Any) -> None:
    async with connect(make_settings(fresh_sandbox.url)) as client:
        listed = await client.call_tool("drive_search", {"query": "Signed contract"})
        text = listed.content[0].text
        assert text.startswith("1 file. name · type · folder · modified · size · link")
        assert "Signed contract.pdf · PDF · My Drive/Projects/Apollo/Contracts · " in text
        assert "all owned by Alex Morgan <alex.morgan@example.com>" in text
        by_syntax = await call(client, "drive_search", {"query": "mimeType = 'application/pdf'"})
        assert by_syntax["query"] == "(mimeType = 'application/pdf') and trashed = false"
        assert [f["name"] for f in by_syntax["files"]] == ["Signed contract.pdf"]
        by_text = await call(client, "drive_search", {"query": "invoiced quarterly"})  # inside the PDF
        assert [f["name"] for f in by_text["files"]] == ["Signed contract.pdf"]
        bad = await fails(client, "drive_search", {"query": "name contains"})
        assert "Google rejected the request" in bad and "Invalid Value" in bad
        folder = await call(client, "drive_list_folder", {"folder_id": "root"})
        names = [f["name"] for f in folder["files"]]
        assert names[:2] == ["Photos", "Projects"] and "Menu.txt" in names


async def test_each_kind_of_file_reads_as_text_or_is_saved(fresh_sandbox: Any, make_settings: Any) -> None:
    url = fresh_sandbox.url
    settings = make_settings(url)
    async with connect(settings) as client:

        async def read(name: str, **more: Any) -> dict[str, Any]:
            return await call(client, "drive_read", {"file_id": file_of(url, name)["webViewLink"], **more})

        pdf = await read("Signed contract.pdf")
        assert pdf["format"] == "text" and "Fees: 4,000 EUR per month" in pdf["text"]
        assert pdf["path"] == "My Drive/Projects/Apollo/Contracts"
        docx = await read("Launch plan.docx")
        assert docx["text"] == "Launch plan\nBeta opens to 200 customers in October.\nCafé owners get early access.\n"
        assert "Tools,3200,3400.5" in (await read("Budget 2026.xlsx"))["text"]
        assert "## Slide 2\nGoals\nShip the beta" in (await read("Kickoff.pptx"))["text"]
        menu = await read("Menu.txt")  # Latin-1 bytes, no charset given
        assert menu["text"] == "Café du Marché\nCrème brûlée: 7,50\nSoupe à l'oignon: 9,00\n"
        sheet = await read("Q3 budget")
        assert sheet["format"] == "table" and "| Travel | 12000 | 8000 |" in sheet["text"]
        assert (await read("Roadmap deck"))["text"].startswith("Apollo launch\nWhy now\n")
        doc = await read("Apollo launch checklist")
        assert doc["format"] == "markdown" and "| Backend | Priya Raman |" in doc["text"]
        photo = await read("Team photo.png")
        saved = Path(photo["saved_to"])
        original = drive(url).files().get_media(fileId=photo["id"]).execute()
        assert photo["format"] == "saved" and saved.read_bytes() == original
        assert photo["sha256"] == hashlib.sha256(original).hexdigest() and photo["size"] == len(original)
        assert saved.is_relative_to(settings.download_dir) and saved.stat().st_mode & 0o077 == 0
        first = await read("Signed contract.pdf", max_chars=200, offset=100)
        assert first["text"] == pdf["text"][100:] and first.get("next_offset") is None
        part = await read("Launch plan.docx", max_chars=200)
        assert part["total_chars"] == len(docx["text"])
        assert "is a folder" in await fails(client, "drive_read", {"file_id": file_of(url, "Apollo")["id"]})
        assert "not a Drive file id" in await fails(client, "drive_read", {"file_id": "../../etc/passwd"})


async def test_an_upload_is_held_confirmed_once_and_lands_in_its_folder(
    fresh_sandbox: Any, make_settings: Any, tmp_path: Path
) -> None:
    url = fresh_sandbox.url
    settings = make_settings(url)
    source = settings.attachment_roots[0] / "report.csv"
    source.write_bytes(b"a,b\n1,2\n")
    apollo = file_of(url, "Apollo")["id"]
    async with connect(settings, person=None) as client:
        held = await call(client, "drive_upload", {"path": str(source), "folder_id": apollo})
        assert held["status"] == "confirmation_required" and drive_writes(url) == []
        details = "\n".join(held["preview"]["details"])
        assert "8 bytes, SHA-256 " + hashlib.sha256(b"a,b\n1,2\n").hexdigest() in details
        assert held["preview"]["summary"] == "report.csv → My Drive/Projects/Apollo"
        done = await call(client, "confirm_action", {"confirmation_id": held["confirmation_id"]})
        assert done["status"] == "done" and done["result"]["path"] == "My Drive/Projects/Apollo"
        again = await call(client, "confirm_action", {"confirmation_id": held["confirmation_id"]})
        assert "not run again" in again["message"]
        outside = tmp_path / "elsewhere.txt"
        outside.write_text("no")
        assert "outside the folders" in await fails(client, "drive_upload", {"path": str(outside)})
    assert len([w for w in drive_writes(url) if w["path"].startswith("/upload/")]) == 1
    made = file_of(url, "report.csv")
    assert drive(url).files().get_media(fileId=made["id"]).execute() == b"a,b\n1,2\n"


async def test_a_declined_move_writes_nothing_and_a_folder_is_made_when_approved(
    fresh_sandbox: Any, make_settings: Any
) -> None:
    url = fresh_sandbox.url
    menu, photos = file_of(url, "Menu.txt")["id"], file_of(url, "Photos")["id"]
    person = Person(approve=False)
    async with connect(make_settings(url), person=person) as client:
        declined = await call(client, "drive_move", {"file_id": menu, "folder_id": photos})
        assert declined["status"] == "declined" and drive_writes(url) == []
        assert "Now: 'Menu.txt' (text/plain, 57 bytes) in My Drive" in person.asked[0]
        person.approve = True
        made = await call(client, "drive_create_folder", {"name": "Receipts", "parent_id": photos})
        assert made["status"] == "done" and made["result"]["path"] == "My Drive/Photos"
        moved = await call(client, "drive_move", {"file_id": menu, "folder_id": made["result"]["id"]})
        assert moved["status"] == "done" and moved["result"]["path"] == "My Drive/Photos/Receipts"
        trashed = await call(client, "drive_trash", {"file_id": made["result"]["id"]})
        assert trashed["status"] == "done" and "and everything in it (1 item directly inside)" in person.asked[-1]
        assert "not a folder" in await fails(client, "drive_list_folder", {"folder_id": menu})


async def test_a_file_changed_while_the_preview_waits_is_not_written(fresh_sandbox: Any, make_settings: Any) -> None:
    url = fresh_sandbox.url
    menu = file_of(url, "Menu.txt")["id"]
    async with connect(make_settings(url), person=None) as client:
        held = await call(client, "drive_rename", {"file_id": menu, "name": "Lunch menu.txt"})
        assert held["status"] == "confirmation_required"
        # someone renames it while the person reads the preview
        run(drive(url).files().update(fileId=menu, body={"name": "Dinner menu.txt"}))
        before = len(drive_writes(url))
        again = await call(client, "confirm_action", {"confirmation_id": held["confirmation_id"]})
        assert again["status"] == "confirmation_required" and "changed since the preview" in again["message"]
        assert "'Dinner menu.txt' → 'Lunch menu.txt'" in again["preview"]["summary"]
        assert len(drive_writes(url)) == before  # nothing written
        done = await call(client, "confirm_action", {"confirmation_id": again["confirmation_id"]})
        assert done["status"] == "done" and done["result"]["name"] == "Lunch menu.txt"


async def test_sharing_outside_the_domain_always_asks_even_when_auto_approved(
    fresh_sandbox: Any, make_settings: Any
) -> None:
    url = fresh_sandbox.url
    budget = file_of(url, "Q3 budget")["id"]
    settings = make_settings(url, auto_approve=["drive_share"])
    async with connect(settings, person=None) as client:
        inside = await call(
            client, "drive_share", {"file_id": budget, "people": ["priya.raman@example.com"], "role": "commenter"}
        )
        assert inside["status"] == "done" and inside["result"]["notified"] == ["priya.raman@example.com"]
        shares = [r for r in requests(url) if r["path"].endswith("/permissions") and r["method"] == "POST"]
        assert shares[-1]["query"]["sendNotificationEmail"] == "true"
        outside = await call(
            client,
            "drive_share",
            {"file_id": budget, "people": ["lena.fischer@example.org"], "groups": ["team@example.com"],
             "notify": False},
        )  # fmt: skip
        assert outside["status"] == "confirmation_required"
        assert "Not auto-approved because it shares outside example.com: lena.fischer@example.org" in outside["message"]
        lines = outside["preview"]["details"]
        assert "lena.fischer@example.org (person): can view (reader); not notified" in lines
        assert "team@example.com (group): can view (reader); not notified" in lines
        assert "⚠ Outside your domain (example.com): lena.fischer@example.org" in lines
        assert any(line.startswith("Already shared with: dana.whitfield@example.com (writer)") for line in lines)
        link = await call(client, "drive_share", {"file_id": budget, "anyone_with_link": True})
        assert link["status"] == "confirmation_required"
        assert link["preview"]["details"][0].startswith("⚠ ANYONE WITH THE LINK")
        everyone = await call(client, "drive_share", {"file_id": budget, "domain": "example.com", "role": "writer"})
        assert everyone["preview"]["details"][0].startswith("⚠ EVERYONE AT EXAMPLE.COM will be able to open it")
        assert everyone["status"] == "confirmation_required"
        done = await call(client, "confirm_action", {"confirmation_id": outside["confirmation_id"]})
        assert done["status"] == "done" and "notified" not in done["result"]  # nobody emailed by Drive
    granted = run(drive(url).permissions().list(fileId=budget))["permissions"]
    assert {p.get("emailAddress") for p in granted} >= {"lena.fischer@example.org", "team@example.com"}
    assert not any(p["type"] == "anyone" for p in granted)  # the link share still waits


def _sent(url: str, message_id: str) -> email.message.EmailMessage:
    raw = gmail(url).users().messages().get(userId="me", id=message_id, format="raw").execute()["raw"]
    return email.message_from_bytes(base64.urlsafe_b64decode(raw + "=="), policy=email.policy.default)  # type: ignore[return-value]


async def test_a_drive_file_goes_into_a_mail_as_a_link_or_as_a_file(fresh_sandbox: Any, make_settings: Any) -> None:
    url = fresh_sandbox.url
    contract = file_of(url, "Signed contract.pdf")
    person = Person()
    async with connect(make_settings(url), person=person) as client:
        mail = {"to": ["lena.fischer@example.org"], "subject": "The contract", "body_text": "Here it is."}
        linked = await call(client, "gmail_send", {**mail, "drive_files": [contract["id"]]})
        assert linked["status"] == "done"
        asked = person.asked[-1]
        assert f"Drive file 'Signed contract.pdf' as a link ({contract['webViewLink']}): grants " in asked
        assert "lena.fischer@example.org view access (reader); Drive sends no notice" in asked
        body = _sent(url, linked["result"]["id"]).get_body(("plain",)).get_content().replace("\r\n", "\n")  # type: ignore[union-attr]
        assert body.startswith("Here it is.\n\nSigned contract.pdf: " + contract["webViewLink"])
        perms = run(drive(url).permissions().list(fileId=contract["id"]))["permissions"]
        assert {"type": "user", "role": "reader", "emailAddress": "lena.fischer@example.org"}.items() <= next(
            p for p in perms if p.get("emailAddress") == "lena.fischer@example.org"
        ).items()
        grant = next(r for r in requests(url) if r["path"].endswith("/permissions") and r["method"] == "POST")
        assert grant["query"]["sendNotificationEmail"] == "false"
        attached = await call(client, "gmail_send", {**mail, "drive_files": [contract["id"]], "drive_as": "file"})
        asked = person.asked[-1]
        data = drive(url).files().get_media(fileId=contract["id"]).execute()
        assert (
            f"Attachment: Signed contract.pdf ({len(data)} bytes, SHA-256 {hashlib.sha256(data).hexdigest()[:16]}…)"
            in asked
        )
        assert "attached as a file: nobody is granted access" in asked
        parts = list(_sent(url, attached["result"]["id"]).iter_attachments())
        assert [(p.get_filename(), p.get_content()) for p in parts] == [("Signed contract.pdf", data)]


async def test_linking_a_drive_file_outside_the_domain_is_never_auto_approved(
    fresh_sandbox: Any, make_settings: Any
) -> None:
    url = fresh_sandbox.url
    contract = file_of(url, "Signed contract.pdf")["id"]
    async with connect(make_settings(url, auto_approve=["gmail_send"]), person=None) as client:
        args = {"to": ["lena.fischer@example.org"], "subject": "x", "body_text": "y", "drive_files": [contract]}
        held = await call(client, "gmail_send", args)
        assert held["status"] == "confirmation_required"
        assert "opens Drive files to lena.fischer@example.org, outside your domain" in held["message"]
        inside = await call(client, "gmail_send", {**args, "to": ["dana.whitfield@example.com"]})
        assert inside["status"] == "done"


async def test_a_hostile_file_is_saved_in_the_download_folder_and_its_xml_never_expanded(
    fresh_sandbox: Any, make_settings: Any
) -> None:
    url = fresh_sandbox.url
    settings = make_settings(url)
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "hahahahahahahahahahaha"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r>'
        "<w:t>&b;</w:t></w:r></w:p></w:body></w:document>"
    )
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w") as z:
        z.writestr("word/document.xml", laughs)
    docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    api = drive(url)
    made = {}
    for name, mime, data in [
        ("../../evil.docx", docx, packed.getvalue()),
        ("..\u202egnp.exe", "image/png", b"\x89PNG"),
    ]:
        media = MediaInMemoryUpload(data, mime)
        request = api.files().create(body={"name": name}, media_body=media, fields="id")
        request.uri = request.uri.replace("https://", "http://", 1)
        made[name] = run(request)["id"]
    async with connect(settings) as client:
        bomb = await call(client, "drive_read", {"file_id": made["../../evil.docx"]})
        assert bomb["format"] == "saved" and "declares a DOCTYPE" in bomb["note"]
        spoof = await call(client, "drive_read", {"file_id": made["..\u202egnp.exe"]})
    for saved in (Path(bomb["saved_to"]), Path(spoof["saved_to"])):
        assert saved.resolve().is_relative_to(settings.download_dir.resolve()) and saved.exists()
    assert Path(spoof["saved_to"]).name == "gnp.exe"  # the right-to-left override that hid ".exe" is gone


def test_signing_in_for_drive_asks_for_drive_and_docs_reading_only(fresh_sandbox: Any, tmp_path: Path) -> None:
    token = tmp_path / "token.json"
    args = ["auth", "--tools", "drive", "--sandbox-url", fresh_sandbox.url, "--token-file", str(token), "--no-browser"]
    proc = subprocess.Popen([EXE, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env())
    assert proc.stdout is not None
    url = next(line.strip() for line in proc.stdout if line.startswith("http"))
    scopes = set(parse_qs(urlsplit(url).query)["scope"][0].split())
    assert scopes == {"https://www.googleapis.com/auth/drive", "https://www.googleapis.com/auth/documents.readonly"}
    urllib.request.urlopen(url, timeout=10).read()
    proc.communicate(timeout=20)
    proc.stdout.close()
    doctor = subprocess.run(
        [EXE, "doctor"],
        env=_env(GOOGLE_MCP_TOKEN_FILE=str(token), GOOGLE_MCP_TOOLS="drive"),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert doctor.returncode == 0, doctor.stdout


async def test_an_upload_or_share_whose_answer_is_lost_is_never_sent_twice(
    fresh_sandbox: Any, make_settings: Any
) -> None:
    url = fresh_sandbox.url
    proxy = TcpProxy.to(url)
    try:
        settings = make_settings(proxy.url)
        source = settings.attachment_roots[0] / "minutes.txt"
        source.write_text("minutes")
        async with connect(settings) as client:
            proxy.drop_after("POST", r"^/upload/drive/")
            lost = await fails(client, "drive_upload", {"path": str(source)})
            assert "may or may not have happened" in lost
            proxy.drop_after("POST", r"/permissions(\?|$)")
            budget = file_of(url, "Q3 budget")["id"]
            unknown = await fails(client, "drive_share", {"file_id": budget, "people": ["priya.raman@example.com"]})
            assert "may or may not have happened" in unknown
    finally:
        proxy.stop()
    seen = requests(url)
    assert len([r for r in seen if r["path"].startswith("/upload/")]) == 1
    assert len([r for r in seen if r["path"].endswith("/permissions") and r["method"] == "POST"]) == 1
