"""Gmail tools through an MCP client session, against the sandbox over HTTP with the real Google client."""

from __future__ import annotations

import base64
import email
import email.policy
import os
import stat
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from helpers import control, credentials, gmail, run
from mcp_helpers import call, connect, fails, requests, writes

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["auto", "legacy"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def test_search_returns_summaries_in_exactly_two_requests(
    fresh_sandbox: Any, make_settings: Any, mode: str
) -> None:
    async with connect(make_settings(fresh_sandbox.url), mode) as client:
        before = len(requests(fresh_sandbox.url))
        await call(client, "gmail_search", {"query": "", "max_results": 1})
        warm = requests(fresh_sandbox.url)[before:]
        before = len(requests(fresh_sandbox.url))
        page = await call(client, "gmail_search", {"query": "", "max_results": 50})
        log = requests(fresh_sandbox.url)[before:]
    # the first search of a session also learns the labels' names, in parallel; then a search is two requests
    assert sorted(r["path"] for r in warm if not r["batch"]) == sorted(
        ["/gmail/v1/users/me/labels", "/gmail/v1/users/me/messages", "/batch/gmail/v1"]
    )
    assert len(page["messages"]) == 50 and page["next_page_token"]
    outer = [r for r in log if not r["batch"]]
    assert [r["path"] for r in outer] == ["/gmail/v1/users/me/messages", "/batch/gmail/v1"]
    first = page["messages"][0]
    # what is false or empty is left out (has_attachments); unread is a label, said once
    assert {"id", "thread_id", "date", "sender", "to", "subject", "snippet", "labels"} <= set(first)
    assert "unread" not in first
    from datetime import datetime

    assert datetime.fromisoformat(first["date"]).utcoffset() is not None


async def test_search_pages_and_operators(fresh_sandbox: Any, make_settings: Any) -> None:
    async with connect(make_settings(fresh_sandbox.url)) as client:
        one = await call(client, "gmail_search", {"query": "has:attachment", "max_results": 5})
        two = await call(
            client, "gmail_search", {"query": "has:attachment", "max_results": 5, "page_token": one["next_page_token"]}
        )
        assert not {m["id"] for m in one["messages"]} & {m["id"] for m in two["messages"]}
        assert all(m["has_attachments"] for m in one["messages"] + two["messages"])
        unread = await call(client, "gmail_search", {"query": "is:unread", "max_results": 10})
        assert unread["messages"] and all("unread" in m["labels"] for m in unread["messages"])
        assert "parentheses" in await fails(client, "gmail_search", {"query": "(unbalanced"})


async def test_reading_plain_mail_folds_quoted_history(fresh_sandbox: Any, make_settings: Any) -> None:
    async with connect(make_settings(fresh_sandbox.url)) as client:
        hits = await call(client, "gmail_search", {"query": 'subject:"contract renewal" -from:me', "max_results": 10})
        long = None
        for m in hits["messages"]:
            detail = await call(client, "gmail_get_message", {"message_id": m["id"]})
            if detail.get("quoted_history_folded"):
                long = detail
                break
        assert long is not None
        assert "quoted history folded" in long["body"] and "> " not in long["body"]
        full = await call(client, "gmail_get_message", {"message_id": long["id"], "include_quoted": True})
        assert "wrote:" in full["body"] and len(full["body"]) > len(long["body"])
        assert "body_source" not in long and long["sender"] and long["rfc822_message_id"]  # text/plain: the default


async def test_html_newsletters_become_clean_text_with_links(fresh_sandbox: Any, make_settings: Any) -> None:
    async with connect(make_settings(fresh_sandbox.url)) as client:
        hit = await call(client, "gmail_search", {"query": "category:updates from:morningbrief", "max_results": 1})
        detail = await call(client, "gmail_get_message", {"message_id": hit["messages"][0]["id"]})
    body = detail["body"]
    assert detail["body_source"] == "text/html"
    assert "https://morningbrief.example/a/" in body  # links kept
    assert "Preheader" not in body  # hidden preheader dropped
    assert "trackOpen" not in body and "font-family" not in body  # scripts and styles dropped
    assert "track.morningbrief.example" not in body  # tracking pixel dropped
    assert "Good morning" in body


async def test_long_bodies_are_cut_with_a_way_to_read_on(fresh_sandbox: Any, make_settings: Any) -> None:
    async with connect(make_settings(fresh_sandbox.url)) as client:
        hit = await call(client, "gmail_search", {"query": "from:morningbrief", "max_results": 1})
        mid = hit["messages"][0]["id"]
        first = await call(client, "gmail_get_message", {"message_id": mid, "max_chars": 200})
        assert first["next_offset"] == 200 and "offset=200" in first["note"]
        rest = await call(
            client, "gmail_get_message", {"message_id": mid, "max_chars": 100000, "offset": first["next_offset"]}
        )
        whole = await call(client, "gmail_get_message", {"message_id": mid, "max_chars": 100000})
        assert first["body"] + rest["body"] == whole["body"] and "next_offset" not in rest


async def test_charsets_and_encoded_headers_are_decoded(fresh_sandbox: Any, make_settings: Any) -> None:
    async with connect(make_settings(fresh_sandbox.url)) as client:
        for query, subject_part, body_part in [
            ("会議", "会議", "議事録"),
            ("Отчёт", "Отчёт", "Добрый"),
            ("München", "München", "Grüße"),
        ]:
            hit = await call(client, "gmail_search", {"query": query, "max_results": 1})
            assert subject_part in hit["messages"][0]["subject"]
            detail = await call(client, "gmail_get_message", {"message_id": hit["messages"][0]["id"]})
            assert body_part in detail["body"]


async def test_thread_and_labels(fresh_sandbox: Any, make_settings: Any) -> None:
    async with connect(make_settings(fresh_sandbox.url)) as client:
        hit = await call(client, "gmail_search", {"query": 'subject:"budget numbers"', "max_results": 1})
        thread = await call(client, "gmail_get_thread", {"thread_id": hit["messages"][0]["thread_id"]})
        assert thread["message_count"] == len(thread["messages"]) >= 2
        dates = [m["date"] for m in thread["messages"]]
        assert dates == sorted(dates)
        labels = await call(client, "gmail_list_labels")
        names = {lb["name"]: lb["type"] for lb in labels["labels"]}
        assert names["INBOX"] == "system" and names["Projects/Apollo"] == "user"


async def test_attachments_are_saved_privately_and_small_text_comes_inline(
    fresh_sandbox: Any, make_settings: Any
) -> None:
    settings = make_settings(fresh_sandbox.url)
    async with connect(settings) as client:
        hit = await call(client, "gmail_search", {"query": "filename:invoice-2231.pdf", "max_results": 1})
        detail = await call(client, "gmail_get_message", {"message_id": hit["messages"][0]["id"]})
        att = detail["attachments"][0]
        assert att["filename"] == "invoice-2231.pdf" and att["mime_type"] == "application/pdf" and att["size"] > 0
        saved = await call(
            client, "gmail_get_attachment", {"message_id": detail["id"], "attachment_id": att["attachment_id"]}
        )
        path = Path(saved["path"])
        assert path.read_bytes().startswith(b"%PDF") and saved["size"] == path.stat().st_size
        assert path.is_relative_to(settings.download_dir) and stat.S_IMODE(path.stat().st_mode) == 0o600
        assert saved.get("text") is None
        agenda = await call(client, "gmail_search", {"query": "filename:agenda.txt", "max_results": 1})
        text = await call(
            client, "gmail_get_attachment", {"message_id": agenda["messages"][0]["id"], "attachment_id": "agenda.txt"}
        )
        assert "Roadmap" in text["text"]
        missing = await fails(client, "gmail_get_attachment", {"message_id": detail["id"], "attachment_id": "nope"})
        assert "invoice-2231.pdf" in missing


async def test_a_hostile_attachment_name_stays_in_the_download_folder(fresh_sandbox: Any, make_settings: Any) -> None:
    svc = gmail(fresh_sandbox.url)
    msg = EmailMessage()
    msg["From"] = "x@example.com"
    msg["To"] = "alex.morgan@example.com"
    msg["Subject"] = "evil name"
    msg.set_content("see attached")
    msg.add_attachment(b"owned", maintype="text", subtype="plain", filename="../../../../tmp/evil.txt")
    inserted = run(
        svc.users()
        .messages()
        .insert(userId="me", body={"raw": base64.urlsafe_b64encode(msg.as_bytes()).decode(), "labelIds": ["INBOX"]})
    )
    settings = make_settings(fresh_sandbox.url)
    async with connect(settings) as client:
        saved = await call(
            client, "gmail_get_attachment", {"message_id": inserted["id"], "attachment_id": "../../../../tmp/evil.txt"}
        )
    assert Path(saved["path"]).resolve().is_relative_to(settings.download_dir.resolve())
    assert Path(saved["path"]).name == "evil.txt"


def _sent_raw(url: str, message_id: str) -> email.message.EmailMessage:
    got = run(gmail(url).users().messages().get(userId="me", id=message_id, format="raw"))
    return email.message_from_bytes(base64.urlsafe_b64decode(got["raw"]), policy=email.policy.default)  # type: ignore[return-value]


async def test_send_and_reply_all_thread_properly(fresh_sandbox: Any, make_settings: Any, mode: str) -> None:
    async with connect(make_settings(fresh_sandbox.url), mode) as client:
        sent = await call(
            client,
            "gmail_send",
            {
                "to": ["Dana <dana.whitfield@example.com>"],
                "subject": "Hello",
                "body_text": "Plain body",
                "body_html": "<p>Plain <b>body</b></p>",
            },
        )
        assert sent["status"] == "done" and sent["result"]["status"] == "sent"
        raw = _sent_raw(fresh_sandbox.url, sent["result"]["id"])
        assert raw["Subject"] == "Hello" and raw.get_body(("plain",)).get_content().strip() == "Plain body"
        hit = await call(client, "gmail_search", {"query": 'subject:"offsite" -from:me cc:yamada', "max_results": 1})
        original = await call(client, "gmail_get_message", {"message_id": hit["messages"][0]["id"]})
        reply = await call(
            client,
            "gmail_send",
            {"reply_to_message_id": original["id"], "reply_all": True, "body_text": "Sounds good."},
        )
    result = reply["result"]
    assert result["thread_id"] == original.get("thread_id", original["id"])  # absent: its own
    raw = _sent_raw(fresh_sandbox.url, result["id"])
    assert raw["In-Reply-To"] == original["rfc822_message_id"]
    assert original["rfc822_message_id"] in raw["References"]
    assert raw["Subject"].startswith("Re: ") and "offsite" in raw["Subject"].lower()
    assert "dana.whitfield@example.com" in raw["To"]
    assert "taro.yamada@example.jp" in raw["Cc"] and "alex.morgan" not in raw["Cc"]


async def test_attachments_by_path_and_their_limits(fresh_sandbox: Any, make_settings: Any, tmp_path: Path) -> None:
    settings = make_settings(fresh_sandbox.url, attachment_roots=[tmp_path])
    report = tmp_path / "report.csv"
    report.write_text("a,b\n1,2\n")
    hidden = tmp_path / ".ssh" / "id_rsa"
    hidden.parent.mkdir()
    hidden.write_text("secret")
    async with connect(settings) as client:
        sent = await call(
            client,
            "gmail_send",
            {
                "to": ["sam.okafor@example.com"],
                "subject": "Report",
                "body_text": "attached",
                "attachments": [str(report)],
            },
        )
        raw = _sent_raw(fresh_sandbox.url, sent["result"]["id"])
        parts = [p for p in raw.iter_attachments()]
        assert [p.get_filename() for p in parts] == ["report.csv"] and parts[0].get_content() == "a,b\n1,2\n"
        before = len(writes(fresh_sandbox.url))
        for path, words in [
            (str(hidden), "hidden"),
            ("/etc/passwd", "outside"),
            (str(tmp_path / "nope.txt"), "not a readable regular file"),
        ]:
            msg = await fails(
                client,
                "gmail_send",
                {"to": ["sam.okafor@example.com"], "subject": "x", "body_text": "x", "attachments": [path]},
            )
            assert words in msg
        assert len(writes(fresh_sandbox.url)) == before


@pytest.mark.parametrize(
    ("args", "words"),
    [
        ({"to": ["dana@example.com"], "subject": "Hi\r\nBcc: attacker@evil.test", "body_text": "x"}, "single line"),
        ({"to": ["dana@example.com\r\nBcc: attacker@evil.test"], "subject": "Hi", "body_text": "x"}, "single line"),
        ({"to": ["dana@example.com\nX-Injected: 1"], "subject": "Hi", "body_text": "x"}, "single line"),
        ({"to": ["not an address"], "subject": "Hi", "body_text": "x"}, "not"),
        ({"to": ["dana@"], "subject": "Hi", "body_text": "x"}, "not an email address"),
        ({"to": ["dana@exa mple"], "subject": "Hi", "body_text": "x"}, "valid"),
        ({"to": ["dana@example.com"], "cc": ["@@"], "subject": "Hi", "body_text": "x"}, "cc"),
        ({"subject": "Hi", "body_text": "x"}, "recipient"),
        ({"to": ["dana@example.com"], "subject": "Hi"}, "body"),
        ({"to": ["dana@example.com"], "subject": "Hi", "body_text": "x" * 600_000}, "limit"),
        ({"reply_to_message_id": "ffffffffffffffff", "body_text": "x"}, "not found"),
        ({"reply_to_message_id": "../../etc", "body_text": "x"}, "not a gmail id"),
    ],
)
async def test_bad_mail_is_refused_and_nothing_is_sent(
    fresh_sandbox: Any, make_settings: Any, args: dict[str, Any], words: str
) -> None:
    async with connect(make_settings(fresh_sandbox.url)) as client:
        message = await fails(client, "gmail_send", args)
    assert words.lower() in message.lower()
    assert writes(fresh_sandbox.url) == []


async def test_drafts_labels_and_trash(fresh_sandbox: Any, make_settings: Any) -> None:
    async with connect(make_settings(fresh_sandbox.url)) as client:
        draft = await call(client, "gmail_create_draft", {"subject": "Later", "body_text": "draft body"})
        assert draft["result"]["status"] == "draft_created" and draft["result"]["draft_id"]
        hit = await call(client, "gmail_search", {"query": "is:unread in:inbox", "max_results": 3})
        ids = [m["id"] for m in hit["messages"]]
        changed = await call(
            client,
            "gmail_modify_labels",
            {"message_ids": ids, "remove": ["UNREAD", "INBOX"], "add": ["starred", "Work"]},
        )
        assert changed["result"]["added"] == ["starred", "Work"]  # by name, as given back
        for mid in ids:
            labels = (await call(client, "gmail_get_message", {"message_id": mid}))["labels"]
            assert "unread" not in labels and "inbox" not in labels and "starred" in labels and "Work" in labels
        unknown = await fails(client, "gmail_modify_labels", {"message_ids": ids, "add": ["Nonexistent"]})
        assert "Unknown label" in unknown and "Projects/Apollo" in unknown
        before = len(writes(fresh_sandbox.url))
        missing = await fails(
            client, "gmail_modify_labels", {"message_ids": [ids[0], "ffffffffffffffff"], "remove": ["STARRED"]}
        )
        assert "ffffffffffffffff" in missing and len(writes(fresh_sandbox.url)) == before
        trashed = await call(
            client, "gmail_trash", {"message_ids": ids[:1], "thread_ids": [hit["messages"][1]["thread_id"]]}
        )
        assert trashed["result"]["status"] == "trashed"
        inbox = await call(client, "gmail_search", {"query": "in:trash", "max_results": 50})
        assert ids[0] in {m["id"] for m in inbox["messages"]}
        assert "Give message_ids" in await fails(client, "gmail_trash", {})


async def test_unknown_ids_say_how_to_find_real_ones(fresh_sandbox: Any, make_settings: Any) -> None:
    async with connect(make_settings(fresh_sandbox.url)) as client:
        msg = await fails(client, "gmail_get_message", {"message_id": "ffffffffffffffff"})
        assert "not found" in msg.lower() and "search" in msg.lower()
        msg = await fails(client, "gmail_get_thread", {"thread_id": "ffffffffffffffff"})
        assert "not found" in msg.lower()


async def test_retries_reads_with_retry_after_but_never_a_send(fresh_sandbox: Any, make_settings: Any) -> None:
    url = fresh_sandbox.url
    async with connect(make_settings(url)) as client:
        control(
            url,
            "/_sandbox/faults",
            {"method": "GET", "path_regex": "/messages$", "status": 503, "count": 2, "retry_after": 0},
        )
        page = await call(client, "gmail_search", {"query": "", "max_results": 3})
        assert len(page["messages"]) == 3
        statuses = [r["status"] for r in requests(url) if r["path"] == "/gmail/v1/users/me/messages"]
        assert statuses[-3:] == [503, 503, 200]
        # one batch part rate-limited: only that part is retried, in a batch of its own
        listing = run(gmail(url).users().messages().list(userId="me", maxResults=4))
        victim = listing["messages"][1]["id"]
        control(url, "/_sandbox/faults", {"path_regex": f"/messages/{victim}$", "status": 429, "count": 1})
        before = len(requests(url))
        page = await call(client, "gmail_search", {"query": "", "max_results": 4})
        assert victim in {m["id"] for m in page["messages"]} and "failed_ids" not in page
        log = requests(url)[before:]
        assert [r["status"] for r in log if r["path"].endswith(victim)] == [429, 200]
        assert len([r for r in log if r["path"] == "/batch/gmail/v1"]) == 2
        # a long Retry-After is reported, not waited for
        control(
            url,
            "/_sandbox/faults",
            {"method": "GET", "path_regex": "/labels$", "status": 429, "count": 5, "retry_after": 600},
        )
        msg = await fails(client, "gmail_list_labels", {})
        assert "rate limiting" in msg and "600 seconds" in msg
        # a send that fails is reported as of unknown outcome and is not repeated
        control(url, "/_sandbox/faults", {"path_regex": "/messages/send$", "status": 503, "count": 1})
        msg = await fails(client, "gmail_send", {"to": ["dana@example.com"], "subject": "once", "body_text": "x"})
        assert "may or may not" in msg
        assert len([r for r in requests(url) if r["path"].endswith("/messages/send")]) == 1


async def test_timeouts_are_retried_for_reads_and_reported_for_sends(fresh_sandbox: Any, make_settings: Any) -> None:
    url = fresh_sandbox.url
    async with connect(make_settings(url, http_timeout=0.5)) as client:
        await call(client, "gmail_list_labels")
        control(url, "/_sandbox/faults", {"method": "GET", "path_regex": "/labels$", "delay_ms": 1500, "count": 1})
        assert (await call(client, "gmail_list_labels"))["labels"]
        control(url, "/_sandbox/faults", {"path_regex": "/messages/send$", "delay_ms": 1500, "count": 1})
        msg = await fails(client, "gmail_send", {"to": ["dana@example.com"], "subject": "slow", "body_text": "x"})
        assert "may or may not" in msg


async def test_missing_scope_and_revoked_token_say_what_to_run(
    fresh_sandbox: Any, make_settings: Any, tmp_path: Path
) -> None:
    from google_mcp.auth import credentials_to_json, write_private

    url = fresh_sandbox.url
    token = tmp_path / "token.json"
    write_private(token, credentials_to_json(credentials(url, "https://www.googleapis.com/auth/gmail.readonly")))
    settings = make_settings(url, sandbox_url=None, api_endpoint=url, token_file=token)
    async with connect(settings) as client:
        assert (await call(client, "gmail_search", {"max_results": 1}))["messages"]
        msg = await fails(client, "gmail_send", {"to": ["dana@example.com"], "subject": "x", "body_text": "x"})
        assert "google-mcp auth" in msg and "scope" in msg
    # the refreshed access token was written back, still private
    assert stat.S_IMODE(os.stat(token).st_mode) == 0o600
    import json

    assert json.loads(token.read_text())["token"]
    info = control(url, "/_sandbox/credentials")
    import urllib.request

    urllib.request.urlopen(info["revoke_uri"] + "?token=" + json.loads(token.read_text())["refresh_token"], data=b"")
    control(url, "/_sandbox/expire-tokens", {})
    async with connect(settings) as client:
        msg = await fails(client, "gmail_search", {"max_results": 1})
        assert "google-mcp auth" in msg
    missing = make_settings(url, sandbox_url=None, api_endpoint=url, token_file=tmp_path / "absent.json")
    async with connect(missing) as client:
        msg = await fails(client, "gmail_search", {"max_results": 1})
        assert "google-mcp auth" in msg and "--sandbox" in msg


async def test_search_lines_name_user_labels_and_leave_out_gmails_guesses(
    fresh_sandbox: Any, make_settings: Any
) -> None:
    async with connect(make_settings(fresh_sandbox.url)) as client:
        answer = await client.call_tool("gmail_search", {"query": "in:inbox", "max_results": 30})
    text = answer.content[0].text  # type: ignore[union-attr]
    labels = {label for line in text.splitlines()[1:] for label in line.split("\t")[4].split(",")}
    assert {"inbox", "Work", "Projects/Apollo"} <= labels
    assert not [label for label in labels if label.startswith(("CATEGORY_", "category:", "Label_"))]
    assert not {"IMPORTANT", "important"} & labels
