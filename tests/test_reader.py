"""Real-world mail read as a person would want it: the corpus in tests/corpus, imported into the sandbox
with the real Google client and read back through gmail_get_message and gmail_get_thread."""

from __future__ import annotations

import base64
import html
import json
import pathlib
import re
from typing import Any

import pytest

from helpers import gmail
from mcp_helpers import call, connect

pytestmark = pytest.mark.anyio
CORPUS = pathlib.Path(__file__).parent / "corpus"


def insert(url: str, name: str, thread_id: str | None = None) -> str:
    body: dict[str, Any] = {"raw": base64.urlsafe_b64encode((CORPUS / name).read_bytes()).decode()}
    if thread_id:
        body["threadId"] = thread_id
    return str(gmail(url).users().messages().insert(userId="me", body=body).execute()["id"])


async def read(url: str, make_settings: Any, name: str, **args: Any) -> dict[str, Any]:
    mid = insert(url, name)
    async with connect(make_settings(url), person=None) as client:
        return await call(client, "gmail_get_message", {"message_id": mid, **args})


# 1. attached messages ---------------------------------------------------------------------------
async def test_a_forward_as_attachment_shows_the_message_and_its_attachment(
    fresh_sandbox: Any, make_settings: Any
) -> None:
    m = await read(fresh_sandbox.url, make_settings, "forward_attached.eml")
    body = m["body"]
    assert body.startswith("FYI, see the forwarded message.")
    for expected in (
        "Attached message 1",
        "From: Lena Fischer <lena.fischer@example.com>",
        "Subject: Quarterly plan",
        "Date: Fri, 30 Oct 2026 16:20:00 +0100",
        "The plan is attached; the budget line is on page 2.",
        "Its attachments: plan.pdf",
    ):
        assert expected in body, expected
    assert [a["filename"] for a in m["attachments"]] == ["plan.pdf"]  # and it can be downloaded
    async with connect(make_settings(fresh_sandbox.url), person=None) as client:
        saved = await call(client, "gmail_get_attachment", {"message_id": m["id"], "attachment_id": "plan.pdf"})
    assert saved["size"] == 13


async def test_a_bounce_shows_why_and_what_bounced(fresh_sandbox: Any, make_settings: Any) -> None:
    body = (await read(fresh_sandbox.url, make_settings, "bounce.eml"))["body"]
    assert "550 5.1.1 User unknown" in body
    assert "Delivery report:\nnobody@example.org: failed 5.1.1\n" in body
    assert "Subject: Meeting notes" in body and "Here are the notes from Monday." in body


async def test_a_bounce_with_only_the_original_headers_is_not_empty(fresh_sandbox: Any, make_settings: Any) -> None:
    body = (await read(fresh_sandbox.url, make_settings, "bounce_headers_only.eml"))["body"]
    assert "Headers of the original message:" in body and "Subject: Invoice 2291" in body


async def test_a_digest_shows_every_message(fresh_sandbox: Any, make_settings: Any) -> None:
    body = (await read(fresh_sandbox.url, make_settings, "digest.eml"))["body"]
    assert body.index("When is the 2.0 release?") < body.index("Planned for the 14th.")
    assert "From: Sam Okafor" in body and "Subject: Re: Release date" in body


async def test_deeply_nested_messages_are_shown_to_a_depth_and_counted_beyond(
    fresh_sandbox: Any, make_settings: Any
) -> None:
    body = (await read(fresh_sandbox.url, make_settings, "nested_deep.eml"))["body"]
    # levels 1 to 3 (the limit) are shown; level 4, one past it, is counted and not shown
    assert "Text of level 3." in body and "Attached message 1.1.1 ---" in body
    assert "Text of level 4." not in body and "Attached message 1.1.1.1" not in body
    assert "Innermost text" not in body and body.count("more deeply attached message(s) left out") == 1
    assert "[1 more deeply attached message(s) left out]" in body


# 2-3. charsets ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("utf8_labelled_ascii.eml", "Grüße aus Köln — café."),
        ("utf8_labelled_latin1.eml", "Grüße aus Köln — café."),
        ("utf8_labelled_gb2312.eml", "会议纪要：请查收附件。"),
        ("latin1_labelled_utf8.eml", "Grüße aus München, schöne Grüße."),
        ("cp1252_labelled_latin1.eml", "“Quoted” – and done."),
        ("ks_c_5601.eml", "안녕하세요, 회의 자료입니다."),
        ("gb2312.eml", "会议纪要：请查收附件。"),
    ],
)
async def test_mislabelled_charsets_read_as_written(
    fresh_sandbox: Any, make_settings: Any, name: str, text: str
) -> None:
    body = (await read(fresh_sandbox.url, make_settings, name))["body"]
    assert body == text and "\ufffd" not in body


async def test_broken_utf7_reads_without_crashing(fresh_sandbox: Any, make_settings: Any) -> None:
    m = await read(fresh_sandbox.url, make_settings, "utf7.eml")
    assert m["body"] == "Broken +2D0- and fine abc text."  # a run that is no text (a lone surrogate) stays as written
    json.dumps(m).encode("utf-8")  # no lone surrogate anywhere


async def test_header_words_and_8bit_headers_in_any_charset(fresh_sandbox: Any, make_settings: Any) -> None:
    m = await read(fresh_sandbox.url, make_settings, "headers_8bit.eml")
    assert m["sender"] == "Zoë Müller <zoe@example.com>"
    assert m["subject"] == "Grüße von Zoë"  # UTF-8 bytes in a word labelled iso-8859-1
    assert m["reply_to"] == "José García <jose@example.com>"  # raw Latin-1 bytes
    raw = gmail(fresh_sandbox.url).users().messages().get(userId="me", id=m["id"], format="raw").execute()
    stored = base64.urlsafe_b64decode(raw["raw"] + "==")
    assert stored == (CORPUS / "headers_8bit.eml").read_bytes()  # the sandbox keeps the bytes it was given


# 4. forwards are content; replies below a quote stay ---------------------------------------------
@pytest.mark.parametrize(
    ("name", "kept"),
    [
        ("fwd_gmail.eml", "The budget is approved for Q1."),
        ("fwd_apple.eml", "The venue is booked for the 14th."),
        ("fwd_outlook.eml", "The signed contract is in the shared folder."),
    ],
)
async def test_a_forward_is_content_not_quoted_history(
    fresh_sandbox: Any, make_settings: Any, name: str, kept: str
) -> None:
    m = await read(fresh_sandbox.url, make_settings, name)
    assert kept in m["body"] and "quoted_history_folded" not in m and "folded" not in m["body"]


@pytest.mark.parametrize(
    ("name", "kept"),
    [
        ("fwd_gmail_html.eml", ["From: Lena Fischer", "The budget is approved for Q1.", "> Is the budget approved?"]),
        ("fwd_apple_html.eml", ["Begin forwarded message:", "From: Lena Fischer", "Catering is confirmed too."]),
    ],
)
async def test_a_forward_inside_an_html_quote_block_is_content(
    fresh_sandbox: Any, make_settings: Any, name: str, kept: list[str]
) -> None:
    body = (await read(fresh_sandbox.url, make_settings, name))["body"]
    for shown in kept:
        assert shown in body, shown
    assert "folded" not in body and "\\-" not in body


async def test_a_reply_below_the_quote_stays_and_the_quote_folds(fresh_sandbox: Any, make_settings: Any) -> None:
    m = await read(fresh_sandbox.url, make_settings, "bottom_post.eml")
    assert m["body"].endswith("Tuesday at 10 works for me.") and "Can we meet" not in m["body"]
    assert m["quoted_history_folded"]


async def test_inline_replies_stay_between_the_quotes(fresh_sandbox: Any, make_settings: Any) -> None:
    body = (await read(fresh_sandbox.url, make_settings, "inline_reply.eml"))["body"]
    assert body.index("Yes, room 4.") < body.index("Lena does.")


async def test_quoted_history_in_html_is_folded_unless_asked_for(fresh_sandbox: Any, make_settings: Any) -> None:
    url = fresh_sandbox.url
    mid = insert(url, "html_reply.eml")
    async with connect(make_settings(url), person=None) as client:
        folded = await call(client, "gmail_get_message", {"message_id": mid})
        full = await call(client, "gmail_get_message", {"message_id": mid, "include_quoted": True})
    assert folded["body"].startswith("Friday suits me.") and "Which day works" not in folded["body"]
    assert folded["quoted_history_folded"] and "[quoted history folded]" in folded["body"]
    assert "Which day works for the offsite?" in full["body"] and "quoted_history_folded" not in full


async def test_an_html_quote_folds_whole_whatever_it_nests(fresh_sandbox: Any, make_settings: Any) -> None:
    body = (await read(fresh_sandbox.url, make_settings, "yahoo_reply.eml"))["body"]
    assert body == "The 14th is fine by us.\n\n[quoted history folded]"


async def test_a_signed_reply_under_an_original_message_block_is_not_folded_away(
    fresh_sandbox: Any, make_settings: Any
) -> None:
    # the armour and the dash-escaped "Original Message" line above the header block are not text the
    # sender wrote, so this is no top-posted reply
    body = (await read(fresh_sandbox.url, make_settings, "pgp_reply_under_original.eml"))["body"]
    assert "The fingerprint is 3A1F 0C9B 77D2 E415 B8A0 6C2E 9F11 D0A4 5E7B 2C03." in body
    assert "See you on Friday." in body


async def test_an_outlook_original_block_folds_only_under_a_reply_written_above_it(
    fresh_sandbox: Any, make_settings: Any
) -> None:
    below = (await read(fresh_sandbox.url, make_settings, "outlook_reply_below.eml"))["body"]
    assert below.endswith("Room 4, from 10 to 12. I put it in the calendar.") and "folded" not in below
    above = (await read(fresh_sandbox.url, make_settings, "outlook_reply_above.eml"))["body"]
    assert above.startswith("Room 4, from 10 to 12. I put it in the calendar.")
    assert "Which room did you book" not in above and "7 lines of quoted history folded" in above


async def test_answers_written_inside_an_html_quote_are_shown_when_nothing_else_was_written(
    fresh_sandbox: Any, make_settings: Any
) -> None:
    body = (await read(fresh_sandbox.url, make_settings, "html_answers_inside_quote.eml"))["body"]
    assert "Friday." in body and "I do, it leaves at 8." in body
    assert body.index("Which day works") < body.index("Friday.") < body.index("who books the bus")
    assert ">\n>\n" not in body  # the quote's empty lines, once each


# 5. HTML noise --------------------------------------------------------------------------------------
async def test_a_newsletter_reads_as_lines_with_its_links(fresh_sandbox: Any, make_settings: Any) -> None:
    body = (await read(fresh_sandbox.url, make_settings, "newsletter.eml"))["body"]
    assert body.startswith("# The Morning Report")
    assert "Markets rallied today. Read the full story [1]" in body  # the long URL moved to the end
    assert body.rstrip().splitlines()[-1].startswith("[1] https://click.news.example/track?u=")
    assert (
        "[View online](https://report.example/web)" in body
        and "[Unsubscribe](https://report.example/unsubscribe)" in body
    )
    assert "[report.example](https://report.example/ad)" in body  # a banner with no alt: named by its host
    assert "report.example/empty" not in body  # a link with nothing to see or click
    assert "Index| Change" in body and "DAX| +1.2%" in body  # a table with header cells stays a table
    assert body.count("---|") == 1  # and the layout tables leave no rules behind


async def test_an_esp_newsletter_keeps_every_link_once_without_its_analytics(
    fresh_sandbox: Any, make_settings: Any
) -> None:
    body = (await read(fresh_sandbox.url, make_settings, "newsletter_esp.eml"))["body"]
    markup = (CORPUS / "newsletter_esp.eml").read_text()
    targets = {html.unescape(t) for t in re.findall(r'<a href="([^"]+)"', markup)}
    assert len(targets) == 12
    for target in targets:  # every link a person could click, each URL once, working as it was sent
        url = re.sub(r"[?&](?:utm_[a-z]+|mc_[ce]id)=[^&]*", "", target)
        assert len(re.findall(re.escape(url) + r"(?=\)|\s|$)", body)) == 1, url
    assert "utm_" not in body and "mc_eid" not in body and "/wf/open" not in body  # nor the open pixel
    # image-only links are named by their alt text, or by their target's host when they have none
    assert "[The Morning Report](https://morningreport.example/)" in body
    for network in ("Facebook", "LinkedIn", "Instagram"):
        assert f"[{network}](https://{network.lower()}.example/morningreport)" in body
    assert "\nu4821937.ct.sendgrid.example [6]\n" in body
    # a story linked from its image, its title and its button: one number, one URL in the list
    assert "## Rail strike ends after three weeks [2]" in body and "Read more → [2]" in body
    assert body.count("[2]") == 3  # the story's image adds nothing its title does not say
    assert "\n[2] https://morningreport.example/2026/11/03/rail-strike-ends\n" in body
    assert len(body) < 2700  # 3,345 characters before, with 5 fewer links; 2,545 now


async def test_text_a_reader_would_not_see_and_script_links_never_reach_the_model(
    fresh_sandbox: Any, make_settings: Any
) -> None:
    body = (await read(fresh_sandbox.url, make_settings, "hidden_instructions.eml"))["body"]
    for hidden in ("(visibility)", "(opacity)", "(max-height)", "(nested)", "step", "(font-size)", "(unclosed span)"):
        assert hidden not in body, hidden
    assert "Assistant" not in body
    # what is shown stays: a faint but visible paragraph, a box with a real height, the links' texts
    kept = ["Your parcel arrives Thursday.", "Track it any time.", "Signed for at the door."]
    kept += ["See the delivery slot", "Change the address", "[Track parcel 99](https://parcels.example/t/99)"]
    for shown in kept:
        assert shown in body, shown
    for target in ("data:", "base64", "PHNjcmlwdD", "vbscript", "msgbox"):  # the targets of script links go
        assert target not in body, target


# 6. every readable part, in order, once ---------------------------------------------------------------
async def test_signed_mail_shows_its_text_and_lists_the_signature(fresh_sandbox: Any, make_settings: Any) -> None:
    m = await read(fresh_sandbox.url, make_settings, "signed.eml")
    assert m["body"] == "The release is signed off." and [a["filename"] for a in m["attachments"]] == ["signature.asc"]


async def test_a_list_footer_follows_the_body_once(fresh_sandbox: Any, make_settings: Any) -> None:
    m = await read(fresh_sandbox.url, make_settings, "list_footer.eml")
    assert m["body"].count("Minutes are attached.") == 1
    assert m["body"].index("Minutes are attached.") < m["body"].index("team mailing list")
    html = await read(fresh_sandbox.url, make_settings, "html_with_footer.eml")
    assert html["body"].startswith("The agenda for Thursday: budget, hiring.") and "team list footer" in html["body"]


# 7. what Gmail accepts, the sandbox accepts -------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("mime_defects.eml", "The closing boundary is missing but the text is here."),
        ("no_header_start.eml", "This message starts with a line that is not a header."),
        ("nonascii_date.eml", "The date header has 8-bit bytes."),
    ],
)
async def test_malformed_mail_imports_and_reads_back(
    fresh_sandbox: Any, make_settings: Any, name: str, text: str
) -> None:
    assert text in (await read(fresh_sandbox.url, make_settings, name))["body"]


# a conversation of them, and the sandbox's search of a bare phrase ----------------------------------------
async def test_a_conversation_of_real_world_mail_reads_in_order(fresh_sandbox: Any, make_settings: Any) -> None:
    url = fresh_sandbox.url
    first = insert(url, "fwd_gmail.eml")
    thread = gmail(url).users().messages().get(userId="me", id=first, format="minimal").execute()["threadId"]
    for name in ("bottom_post.eml", "forward_attached.eml", "utf8_labelled_latin1.eml"):
        insert(url, name, thread_id=thread)
    async with connect(make_settings(url), person=None) as client:
        t = await call(client, "gmail_get_thread", {"thread_id": thread})
    bodies = [m["body"] for m in t["messages"]]
    assert t["message_count"] == 4
    assert "The budget is approved for Q1." in bodies[0]
    assert bodies[1].endswith("Tuesday at 10 works for me.")
    assert "Subject: Quarterly plan" in bodies[2]
    assert bodies[3] == "Grüße aus Köln — café."


async def test_search_for_a_bare_quoted_phrase_matches_the_phrase_only(fresh_sandbox: Any, make_settings: Any) -> None:
    url = fresh_sandbox.url
    for name in ("fwd_gmail.eml", "fwd_apple.eml", "bottom_post.eml"):
        insert(url, name)
    async with connect(make_settings(url), person=None) as client:
        hits = (await call(client, "gmail_search", {"query": '"venue is booked"'}))["messages"]
        none = (await call(client, "gmail_search", {"query": '"booked is venue"'}))["messages"]
    assert [h["subject"] for h in hits] == ["Fwd: Venue"] and none == []
