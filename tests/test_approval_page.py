"""The approval page (/approve/{id}) is the approval card served as a page: readable at 390 px in light and
dark (no sideways scroll, whatever the address), times in the person's zone, the client that asked named,
Approve primary and Decline secondary (both >= 44 px), reachable by keyboard, the outcome said back, one
post per decision, and a hostile mail shown without running or fetching anything. axe finds nothing serious."""

from __future__ import annotations

import os
import re
from typing import Any

import pytest

from helpers import control
from mcp_helpers import call
from test_browser import sends
from test_people import ALEX, Browser, shared_server, signed_in
from views_harness import Harness, apps_extension, axe_source

pytestmark = pytest.mark.anyio

LONG = "dana.whitfield.board.secretary.of.the.apollo.programme.steering.committee@subsidiary.example.com"


@pytest.fixture(scope="module")
def anyio_backend() -> str:  # the browser (`harness`) lives for the module
    return "asyncio"


async def serious(page: Any) -> list[Any]:
    await page.evaluate(axe_source())  # through the debugger: the page's CSP admits only its own scripts
    return list(
        await page.evaluate(
            "async () => (await axe.run(document)).violations"
            ".filter(v => v.impact === 'serious' || v.impact === 'critical').map(v => v.id)"
        )
    )


async def test_the_approval_page_is_the_card_readable_at_390_px_and_by_keyboard(
    harness: Harness, fresh_sandbox: Any, tmp_path: Any
) -> None:
    server = shared_server(fresh_sandbox.url, tmp_path)
    url = server.url
    try:
        async with signed_in(url, Browser(ALEX)) as alex:
            subject = "Board-pack-for-the-steering-committee-" * 4
            first = await call(alex, "gmail_send", {"to": [LONG], "subject": subject, "body_text": "Attached."})
            hostile = await call(
                alex,
                "gmail_send",
                {
                    "to": [LONG],
                    "subject": "<script>alert('PWNED')</script>",
                    "body_html": f'<p>Hi</p><img src="{url}/track.png" onerror="alert(1)"><script>alert(2)</script>'
                    f"<style>p{{background:url({url}/leak)}}</style>",
                },
            )
            once = {"to": ["sam.okafor@example.com"], "subject": "Once", "body_text": "Once."}
            third = await call(alex, "gmail_send", once)
            context = await harness.browser.new_context(viewport={"width": 390, "height": 800}, color_scheme="light")
            try:
                page = await context.new_page()
                await page.goto(f"{url}/approve/{first['confirmation_id']}")  # signs in with Google first
                assert await page.title() == "Approve this action?"
                viewport = await page.evaluate("() => document.querySelector('meta[name=viewport]').content")
                assert viewport == "width=device-width, initial-scale=1"
                body = await page.inner_text("body")
                assert "Asked by test client" in body and LONG in body
                assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", body)  # times as the person reads them
                approve = page.get_by_role("button", name="Approve")
                decline = page.get_by_role("button", name="Decline")
                for button in (approve, decline):
                    box = await button.bounding_box()
                    assert box is not None and box["height"] >= 44
                looks = "e => getComputedStyle(e).backgroundColor"
                assert await approve.evaluate(looks) != await decline.evaluate(looks)
                for scheme in ("light", "dark"):
                    await page.emulate_media(color_scheme=scheme)
                    if shots := os.environ.get("VIEW_SHOTS"):  # docs/views/: the page as a person sees it
                        await page.screenshot(path=f"{shots}/approval-page-390-{scheme}.png", full_page=True)
                    assert await page.evaluate("() => document.scrollingElement.scrollWidth") <= 390
                    assert await serious(page) == []
                assert await page.evaluate("() => getComputedStyle(document.body).backgroundColor") == "rgb(22, 24, 29)"

                for _ in range(40):  # Tab until Approve has the focus, then Enter
                    await page.keyboard.press("Tab")
                    if await approve.evaluate("e => e === document.activeElement"):
                        break
                else:
                    raise AssertionError("Tab never reached Approve")
                async with page.expect_navigation():
                    await page.keyboard.press("Enter")
                assert await page.title() == "Done"
                assert re.search(rf"Sent to {re.escape(LONG)} at \d\d:\d\d", await page.inner_text("body"))
                assert await page.evaluate("() => document.scrollingElement.scrollWidth") <= 390
                assert sends(fresh_sandbox.url) == 1

                # a hostile mail on the page: nothing runs, nothing is fetched, and the person declines it
                began: list[str] = []
                page.on("request", lambda r: began.append(r.url))
                blocked: list[str] = []
                page.on("requestfailed", lambda r: blocked.append(r.url) if r.failure == "csp" else None)
                dialogs: list[str] = []
                page.on("dialog", lambda d: dialogs.append(d.message))
                await page.goto(f"{url}/approve/{hostile['confirmation_id']}")
                mail = next(f for f in page.frames if f.parent_frame is page.main_frame)
                await mail.wait_for_load_state("load")
                assert "Hi" in await page.frame_locator("iframe.mail").locator("body").inner_text()
                assert "<script>alert('PWNED')</script>" in await page.inner_text("body")
                fetched = [u for u in began if u not in blocked]
                assert fetched == [f"{url}/approve/{hostile['confirmation_id']}"] and dialogs == []
                async with page.expect_navigation():
                    await page.get_by_role("button", name="Decline").click()
                assert await page.title() == "Declined"

                # a double click posts once
                posts: list[str] = []
                page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
                await page.goto(f"{url}/approve/{third['confirmation_id']}")
                control(fresh_sandbox.url, "/_sandbox/latency", {"ms": 400})  # the first post is still out
                async with page.expect_navigation():
                    await page.get_by_role("button", name="Approve").dblclick()
                assert await page.title() == "Done" and len(posts) == 1
            finally:
                await context.close()
        assert sends(fresh_sandbox.url) == 2
    finally:
        server.stop()


async def test_in_strict_mode_the_card_sends_the_person_to_the_approval_page(
    harness: Harness, fresh_sandbox: Any, tmp_path: Any
) -> None:
    server = shared_server(fresh_sandbox.url, tmp_path, GOOGLE_MCP_CONFIRMATION="strict")
    mail = {"to": ["dana.whitfield@example.com"], "subject": "Strictly", "body_text": "Approved on the page."}
    try:
        async with signed_in(server.url, Browser(ALEX), extensions=[apps_extension()]) as alex:
            result = await alex.call_tool("gmail_send", mail)
            cid = result.structured_content["confirmation_id"]  # type: ignore[index]
            async with harness.mount(alex, "ui://google-mcp/card", "gmail_send", mail, result) as view:
                await view.frame.get_by_role("button", name="Open the approval page").click()
                opened = "() => (window.harnessLog || []).filter(m => m.method === 'ui/open-link').map(m => m.url)"
                await view.page.wait_for_function(f"({opened})().length > 0")
                link = (await view.page.evaluate(opened))[0]
                assert link == f"{server.url}/approve/{cid}"
                assert await view.frame.get_by_role("button", name="Approve").count() == 0
                page = await view.page.context.new_page()  # the host opens it in the person's browser
                await page.goto(link)  # signs in with Google first
                async with page.expect_navigation():
                    await page.get_by_role("button", name="Approve").click()
                assert await page.title() == "Done"
        assert sends(fresh_sandbox.url) == 1
    finally:
        server.stop()
