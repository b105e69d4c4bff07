"""What people do in a real browser (headless Chromium through Playwright).

The approval page: a person signed in to the server approves a held send and the sandbox sees exactly
one; a second click does nothing; a page on another origin cannot approve (no CSRF token), nor can a
signed-out visitor. CORS: a front end on an allowed origin calls /chat; another origin's page is refused
by the browser itself."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx2
import pytest

from gemini_standin import GeminiStandIn, text
from helpers import control
from mcp_helpers import call
from redis_server import free_port
from served import Served
from test_people import ALEX, MAIL, Browser, shared, shared_server, signed_in  # noqa: F401 - `shared` is a fixture
from test_people_consent import authorize_link, pkce

pytestmark = pytest.mark.anyio

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def sends(sandbox_url: str) -> int:
    return sum(1 for r in control(sandbox_url, "/_sandbox/requests")["requests"] if r["path"].endswith("/send"))


class Site:
    """A page served on an origin of its own (another port)."""

    def __init__(self, html: str) -> None:
        page = html.encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


def attack(target: str) -> str:
    """A page on another origin that posts a decision to the approval page as soon as it loads."""
    return (
        f'<!doctype html><form id=f method=post action="{target}">'
        "<input type=hidden name=decision value=approve><input type=hidden name=csrf value=guessed></form>"
        "<script>document.getElementById('f').submit()</script>"
    )


@pytest.fixture
def attacker_factory() -> Iterator[Any]:
    made: list[Site] = []

    def make(target: str) -> Site:
        made.append(Site(attack(target)))
        return made[-1]

    yield make
    for a in made:
        a.close()


async def test_a_signed_in_person_approves_once_and_nobody_else_can(
    shared: Any,  # noqa: F811
    fresh_sandbox: Any,
    attacker_factory: Any,
) -> None:
    from playwright.async_api import async_playwright

    url, sandbox_url = shared.url, fresh_sandbox.url
    async with signed_in(url, Browser(ALEX)) as alex:
        first = await call(alex, "gmail_send", MAIL)
        second = await call(alex, "gmail_send", {**MAIL, "subject": "Second thoughts"})
        assert f"{url}/approve/{first['confirmation_id']}" in first["message"]
        one, two = first["confirmation_id"], second["confirmation_id"]

        async with httpx2.AsyncClient(timeout=10) as http:  # a signed-out visitor
            posted = await http.post(f"{url}/approve/{one}", data={"decision": "approve", "csrf": "x"})
            assert posted.status_code == 401
            shown = await http.get(f"{url}/approve/{one}")
            assert shown.status_code == 302 and shown.headers["location"].startswith("/login")
        assert sends(sandbox_url) == 0

        async with async_playwright() as pw:
            chromium = await pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            try:
                page = await (await chromium.new_context()).new_page()
                response = await page.goto(f"{url}/approve/{one}")  # signs in with Google (the sandbox) first
                assert response is not None and response.headers["x-frame-options"] == "DENY"
                assert "Approve this action?" in await page.title() and "Board pack" in await page.content()
                again = await page.context.new_page()  # the same page open twice: a second click to come
                await again.goto(f"{url}/approve/{one}")
                async with page.expect_navigation():
                    await page.click("button[value=approve]")
                assert await page.title() == "Done", await page.content()
                assert sends(sandbox_url) == 1

                # the second click does nothing more
                async with again.expect_navigation():
                    await again.click("button[value=approve]")
                assert await again.title() == "Nothing to approve"
                await page.go_back()  # and the page itself no longer offers it (never cached)
                assert await page.title() == "Nothing to approve"
                assert sends(sandbox_url) == 1

                # a page on another origin, in the same signed-in browser, cannot approve the other one
                attacker = attacker_factory(f"{url}/approve/{two}")
                async with page.expect_navigation(url=f"{url}/approve/{two}") as landed:
                    await page.goto(attacker.url)
                answer = await landed.value
                assert answer is not None and answer.status == 403
                assert sends(sandbox_url) == 1
                pending = await call(alex, "list_pending_actions")
                assert [a["confirmation_id"] for a in pending["actions"]] == [two]

                # the person declines it on the page
                await page.goto(f"{url}/approve/{two}")
                async with page.expect_navigation():
                    await page.click("button[value=decline]")
                assert await page.title() == "Declined"
            finally:
                await chromium.close()
    assert sends(sandbox_url) == 1


def front_end(chat_url: str) -> str:
    """A browser front end that asks /chat with the person's bearer token and shows what came back."""
    return (
        "<!doctype html><title>waiting</title><script>"
        f"fetch({chat_url!r}, {{method: 'POST', headers: {{'Authorization': 'Bearer front-token', "
        "'Content-Type': 'application/json'}, body: JSON.stringify({user_id: 'u', message: 'my inbox?'})})"
        ".then(r => r.json()).then(j => { document.title = 'answered: ' + j.answer })"
        ".catch(e => { document.title = 'refused' })"
        "</script>"
    )


async def test_an_allowed_front_end_calls_chat_and_another_origin_is_refused(fresh_sandbox: Any, tmp_path: Any) -> None:
    from playwright.async_api import async_playwright

    def script(body: dict[str, Any], n: int) -> Any:
        return text("Three new messages.")

    with GeminiStandIn(script) as gemini:
        port = free_port()
        chat = f"http://127.0.0.1:{port}/chat"
        allowed, other = Site(front_end(chat)), Site(front_end(chat))
        server = Served.http(
            fresh_sandbox.url,
            port,
            GOOGLE_MCP_TOKEN_FILE=str(tmp_path / "token.json"),
            GOOGLE_MCP_AUTH_TOKEN="front-token",
            GOOGLE_MCP_CORS_ORIGINS=allowed.url.rstrip("/"),
            GOOGLE_MCP_GEMINI_API_KEY="test-key",
            GOOGLE_MCP_GEMINI_BASE_URL=gemini.url,
        )
        try:
            async with async_playwright() as pw:
                chromium = await pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
                try:
                    page = await (await chromium.new_context()).new_page()
                    await page.goto(allowed.url)
                    await page.wait_for_function("document.title !== 'waiting'")
                    assert await page.title() == "answered: Three new messages."
                    asked = len(gemini.requests)
                    await page.goto(other.url)
                    await page.wait_for_function("document.title !== 'waiting'")
                    assert await page.title() == "refused"
                    assert len(gemini.requests) == asked  # the browser never sent it
                finally:
                    await chromium.close()
        finally:
            server.stop()
            allowed.close()
            other.close()


@pytest.mark.slow
async def test_in_chromium_allow_on_the_consent_page_sends_the_code_on(fresh_sandbox: Any, tmp_path: Any) -> None:
    """A real browser applies the page's form-action to the redirect that answers Allow: the client's
    address is allowed there, and the code arrives."""
    from playwright.async_api import async_playwright

    client_site = Site("<!doctype html><title>the client</title>")
    server = shared_server(fresh_sandbox.url, tmp_path)
    try:
        redirect = client_site.url + "callback"
        async with httpx2.AsyncClient(timeout=10) as http:
            body = {"client_name": "Desk", "redirect_uris": [redirect], "token_endpoint_auth_method": "none"}
            client = (await http.post(server.url + "/register", json=body)).json()
        _, challenge = pkce()
        link = authorize_link(server.url, client["client_id"], redirect, challenge)
        async with async_playwright() as pw:
            chromium = await pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            try:
                page = await (await chromium.new_context()).new_page()
                await page.goto(link)  # on to Google (the sandbox signs in its first account), back to us
                assert await page.title() == "Allow this client?", await page.content()
                assert "Desk" in await page.content() and ALEX in await page.content()
                async with page.expect_navigation(url=f"{redirect}?*"):
                    await page.click("button[value=allow]")
                assert "code=" in page.url and await page.title() == "the client"
            finally:
                await chromium.close()
    finally:
        server.stop()
        client_site.close()
