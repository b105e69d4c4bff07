"""The /chat page in headless Chromium against a served server, the sandbox and the Gemini stand-in.

A person signs in (their Google session; or, for one person, their token and approval key), asks, and the
held send appears as a card: Approve sends exactly once (a double click and a reload add nothing), Decline
sends nothing, and their activity shows what was done. A page on another origin cannot drive it. The page
reads at 390 px in light and dark, works by keyboard alone, and axe-core finds nothing serious."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx2
import pytest

from gemini_standin import GeminiStandIn, call, text
from google_mcp.sandbox.seed_sheets import BUDGET
from google_mcp.sandbox.server import SandboxThread
from helpers import control, run
from served import Served
from test_browser import Site
from test_people import ALEX, shared_server
from test_tools_sheets import sheets
from views_harness import axe_source

pytestmark = pytest.mark.xdist_group("chat_page")  # one server and one browser for the module

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
DANA = "dana.whitfield@example.com"
HOSTILE = '<img src="/nothing.png" onerror="document.title=\'owned\'"><b>bold</b>'  # an answer echoing a mail
TIMEOUT = 10_000  # ms, for what the page waits on (a round trip through the router and the sandbox)


def script(body: dict[str, Any], n: int) -> Any:
    """Gemini: a request naming Dana becomes a send to her; anything else, or a function's answer, a reply."""
    last = body["contents"][-1]
    said = " ".join(p.get("text", "") for p in last.get("parts", []))
    if last.get("role") == "user" and "budget" in said.lower():  # March's rent, in the seeded budget
        return call("sheets_update", {"spreadsheet_id": BUDGET, "range": "Budget!B4", "values": [[4300]]})
    if last.get("role") == "user" and "dana" in said.lower():
        note = said.split("note", 1)[-1].strip(" :") or "hello"
        return call("gmail_send", {"to": [DANA], "subject": "A note", "body_text": note})
    if "markup" in said:
        return text(HOSTILE)
    if any("functionResponse" in p for p in last.get("parts", [])):
        return text("The note to Dana is waiting for your approval.")
    return text("Nothing to do.")


def sends(sandbox_url: str) -> int:
    found = control(sandbox_url, "/_sandbox/requests")["requests"]
    return sum(1 for r in found if r["path"].endswith("/send") and r.get("status", 200) < 300)


def rent(sandbox_url: str, value: int | None = None) -> Any:
    """March's rent in the seeded budget (B4), as it is in the sheet; set first when `value` is given (by
    someone else, straight through the Sheets API)."""
    values = sheets(sandbox_url).spreadsheets().values()
    if value is not None:
        body = {"values": [[value]]}
        run(values.update(spreadsheetId=BUDGET, range="Budget!B4", valueInputOption="RAW", body=body))
    got = run(values.get(spreadsheetId=BUDGET, range="Budget!B4", valueRenderOption="UNFORMATTED_VALUE"))
    return got["values"][0][0]


def changed_then_approved(tab: Any, sandbox_url: str) -> None:
    """Ask for March's rent to become 4300; someone makes it 4500 while the card waits; Approve writes
    nothing and the card, in its place, becomes a fresh one (a new id) from 4500; Approve on it writes 4300."""
    rent(sandbox_url, 4200)
    card = ask(tab, "raise March's rent in the budget to 4300")
    first = card.get_attribute("data-confirmation-id")
    assert card.get_attribute("data-state") == "waiting" and "B4: 4200 → 4300" in card.inner_text()
    rent(sandbox_url, 4500)
    card.get_by_role("button", name="Approve").click()
    fresh = tab.locator(f".card-slot[data-state=waiting]:not([data-confirmation-id='{first}'])")
    fresh.wait_for()
    assert fresh.evaluate("(slot, card) => slot === card", card.element_handle())  # in the same place
    assert "B4: 4500 → 4300" in card.inner_text() and rent(sandbox_url) == 4500  # nothing written
    card.get_by_role("button", name="Approve").click()
    card.and_(tab.locator("[data-state=done]")).wait_for()
    assert rent(sandbox_url) == 4300


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A sandbox, Gemini, the server for many people (OAuth) and one browser, for the whole module."""
    from playwright.sync_api import sync_playwright

    with SandboxThread() as sandbox, GeminiStandIn(script) as gemini:
        gem = {"GOOGLE_MCP_GEMINI_API_KEY": "test-key", "GOOGLE_MCP_GEMINI_BASE_URL": gemini.url}
        tmp = tmp_path_factory.mktemp("chat")
        gem["GOOGLE_MCP_LOG_FILE"] = str(tmp / "record.sqlite3")  # the activity shown is this module's alone
        server = shared_server(sandbox.url, tmp, **gem)
        pw = sync_playwright().start()
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield {"sandbox": sandbox.url, "gemini": gemini, "server": server, "chromium": chromium, "tmp": tmp}
        finally:
            chromium.close()
            pw.stop()
            server.stop()


@pytest.fixture(scope="module")
def page(world: dict[str, Any]) -> Any:
    """Alex's tab, signed in (the sandbox's Google signs in its first account)."""
    tab = world["chromium"].new_context().new_page()
    tab.set_default_timeout(TIMEOUT)
    answer = tab.goto(world["server"].url + "/chat")
    assert answer is not None and answer.ok and tab.url == world["server"].url + "/chat"
    return tab


def ask(page: Any, request: str) -> Any:
    """Type a request and send it; the card of what it held (the newest one), once it is drawn."""
    before = page.locator(".card-slot").count()
    page.fill("#ask", request)
    page.click("#send")
    page.locator(".card-slot[data-state]").nth(before).wait_for()
    return page.locator(".card-slot").nth(before)


def test_a_person_asks_approves_once_and_sees_it_in_their_activity(world: dict[str, Any], page: Any) -> None:
    url, sandbox = world["server"].url, world["sandbox"]
    shown = page.goto(url + "/chat")
    csp = shown.headers["content-security-policy"]
    policy = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert policy["frame-ancestors"] == "'none'" and policy["default-src"] == "'none'"
    assert all(s.startswith("'sha256-") for s in policy["script-src"].split())  # no inline script but ours
    assert shown.headers["cache-control"] == "no-store"
    assert ALEX in page.inner_text("#who")
    start = sends(sandbox)

    card = ask(page, "send Dana a note: running ten minutes late")
    assert card.get_attribute("data-state") == "waiting"
    shown_card = card.inner_text()
    assert "Send an email" in shown_card and "running ten minutes late" in shown_card
    assert card.locator("dl.fields dt:text-is('To') + dd").inner_text() == DANA  # the card, field by field
    assert "waiting for your approval" in page.inner_text("#transcript")
    assert sends(sandbox) == start  # held, not sent

    card.get_by_role("button", name="Approve").dblclick()
    page.locator(".card-slot[data-state=done]").wait_for()
    assert sends(sandbox) == start + 1
    page.reload()  # the conversation is kept in the tab; the card, read afresh, offers nothing more
    page.locator(".card-slot[data-state=done]").wait_for()
    assert page.get_by_role("button", name="Approve").count() == 0
    assert sends(sandbox) == start + 1
    page.locator("#entries li[data-action=gmail_send][data-step=done]").first.wait_for()


def test_decline_sends_nothing_and_an_answer_is_only_ever_text(world: dict[str, Any], page: Any) -> None:
    page.fill("#ask", "say something with markup")
    page.click("#send")
    page.get_by_text(HOSTILE).wait_for()  # shown as the characters it is
    assert page.locator("#transcript img, #transcript b").count() == 0 and page.title() != "owned"
    start = sends(world["sandbox"])
    card = ask(page, "send Dana a note: never mind")
    card.get_by_role("button", name="Decline").click()
    page.locator(".card-slot").last.and_(page.locator("[data-state=declined]")).wait_for()
    assert "nothing was done" in page.locator(".card-slot").last.inner_text()
    page.locator("#entries li[data-action=gmail_send][data-step=declined]").first.wait_for()
    assert sends(world["sandbox"]) == start


def test_another_origin_cannot_ask_or_approve(world: dict[str, Any], page: Any) -> None:
    url, gemini, sandbox = world["server"].url, world["gemini"], world["sandbox"]
    card = ask(page, "send Dana a note: the attacker wants this one")
    cid = card.get_attribute("data-confirmation-id")
    csrf = page.get_attribute("#chat-app", "data-csrf")
    asked, start = len(gemini.requests), sends(sandbox)
    chat = json.dumps(url + "/chat")
    evil = Site(
        "<!doctype html><title>trying</title>"
        f'<form id=f method=post action="{url}/approve/{cid}"><input type=hidden name=decision value=approve>'
        "<input type=hidden name=csrf value=guessed></form><script>"
        f"const body = JSON.stringify({{user_id: 'x', message: 'send Dana a note: from elsewhere'}});"
        f"Promise.allSettled(["
        f"fetch({chat}, {{method: 'POST', mode: 'no-cors', credentials: 'include', body}}),"
        f"fetch({chat}, {{method: 'POST', credentials: 'include', body,"
        "  headers: {'Content-Type': 'application/json', 'X-CSRF-Token': 'guessed'}})"
        "]).then(r => { document.title = r.map(x => x.status).join(); document.getElementById('f').submit() })"
        "</script>"
    )
    other = page.context.new_page()  # the same signed-in browser
    try:
        with other.expect_navigation(url=f"{url}/approve/{cid}") as landed:
            other.goto(evil.url)
        assert landed.value is not None and landed.value.status == 403
    finally:
        other.close()
        evil.server.shutdown()
    # straight at the server with the person's own cookie, but without the page's token (or a foreign Origin)
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    body = {"user_id": "x", "message": "send Dana a note: by hand"}
    with httpx2.Client(base_url=url, cookies=cookies, timeout=10) as http:
        assert http.post("/chat", json=body).status_code == 401
        assert http.post("/chat", json=body, headers={"X-CSRF-Token": "guessed"}).status_code == 401
        assert http.get("/chat/activity", headers={"X-CSRF-Token": "guessed"}).status_code == 401
        assert http.get(f"/confirm/{cid}", headers={"X-CSRF-Token": str(csrf)}).status_code == 401  # the page's only
        foreign = {"X-CSRF-Token": str(csrf), "Origin": "https://elsewhere.example"}
        assert http.post("/chat", json=body, headers=foreign).status_code == 403
    assert len(gemini.requests) == asked and sends(sandbox) == start
    card.get_by_role("button", name="Decline").click()  # still the person's to decide
    page.locator(f".card-slot[data-confirmation-id='{cid}'][data-state=declined]").wait_for()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_at_390_px_by_keyboard_alone_with_no_serious_axe_findings(
    world: dict[str, Any], page: Any, scheme: str
) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    page.emulate_media(color_scheme=scheme)
    page.goto(world["server"].url + "/chat")
    start = sends(world["sandbox"])
    page.click("#restart")  # a new conversation: the earlier cards go from the page (not from the record)
    assert page.locator(".card-slot").count() == 0
    assert page.evaluate("document.activeElement.id") == "ask"
    page.keyboard.type(f"send Dana a note: typed in {scheme}")
    page.keyboard.press("Enter")
    newest = page.locator(".card-slot").last
    page.locator(".card-slot[data-state=waiting]:focus").wait_for()  # the new card has the focus: read out
    assert newest.evaluate("card => card === document.activeElement")
    if shots := os.environ.get("VIEW_SHOTS"):  # docs/views/: the page as a person sees it, waiting for them
        page.screenshot(path=f"{shots}/chat-390-{scheme}.png")
        page.set_viewport_size({"width": 1280, "height": 900})
        page.screenshot(path=f"{shots}/chat-desktop-{scheme}.png")
        page.set_viewport_size({"width": 390, "height": 844})
    for _ in range(4):  # Tab on into the card (past "the preview as text") to Approve
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "Approve":
            break
    assert page.evaluate("document.activeElement.textContent") == "Approve"
    page.keyboard.press("Enter")
    newest.and_(page.locator("[data-state=done]")).wait_for()
    assert sends(world["sandbox"]) == start + 1

    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scroll
    page.evaluate(axe_source())  # evaluated by the browser's devtools channel: the page's CSP allows no script
    found = page.evaluate("axe.run(document).then(r => r.violations)")
    serious = [(v["id"], [n["target"] for n in v["nodes"]]) for v in found if v["impact"] in ("serious", "critical")]
    assert serious == []


@contextmanager
def one_person(world: dict[str, Any], name: str, **env: str) -> Iterator[tuple[Any, Any]]:
    """A server for one person (the approval key `the-{name}-key`; a bearer token if `env` gives one) beside the
    module's, with the Gemini stand-in, and a new browser context's tab on its /chat page: (tab, context)."""
    server = Served.http(
        world["sandbox"],
        GOOGLE_MCP_TOKEN_FILE=str(world["tmp"] / f"{name}.json"),
        GOOGLE_MCP_APPROVAL_KEY=f"the-{name}-key",
        GOOGLE_MCP_GEMINI_API_KEY="test-key",
        GOOGLE_MCP_GEMINI_BASE_URL=world["gemini"].url,
        GOOGLE_MCP_LOG_FILE=str(world["tmp"] / f"{name}-record.sqlite3"),
        **env,
    )
    context = world["chromium"].new_context()
    try:
        tab = context.new_page()
        tab.set_default_timeout(TIMEOUT)
        tab.goto(server.url + "/chat")
        yield tab, context
    finally:
        context.close()
        server.stop()


def sign_in(tab: Any, token: str, key: str) -> None:
    if token:  # on loopback without tokens there is no token field
        tab.fill("#token", token)
    tab.fill("#key", key)
    tab.click("#signin button[type=submit]")


def test_one_person_pastes_their_token_and_key_once_and_approves(world: dict[str, Any]) -> None:
    """Bearer-token mode: nothing shows before the token and approval key are pasted; they stay in the tab's
    sessionStorage (no cookie, no URL); a wrong token asks nothing, a wrong key approves nothing; the right
    ones approve once."""
    sandbox, gemini = world["sandbox"], world["gemini"]
    with one_person(world, "one", GOOGLE_MCP_AUTH_TOKEN="the-persons-token") as (tab, context):
        assert tab.locator("#signin").is_visible() and not tab.locator("#conversation").is_visible()
        asked = len(gemini.requests)
        sign_in(tab, "not-the-token", "not-the-key")
        tab.fill("#ask", "send Dana a note: with a wrong token")
        tab.click("#send")
        tab.locator(".msg.error", has_text="Your token was refused").wait_for()
        assert len(gemini.requests) == asked

        tab.click("#signout")
        tab.wait_for_load_state()
        sign_in(tab, "the-persons-token", "not-the-key")
        start = sends(sandbox)
        card = ask(tab, "send Dana a note: from the one-person page")
        card.get_by_role("button", name="Approve").click()
        card.locator(".status-bad[role=alert]").wait_for()
        assert sends(sandbox) == start and card.get_by_role("button", name="Approve").is_enabled()

        tab.click("#signout")
        tab.wait_for_load_state()
        sign_in(tab, "the-persons-token", "the-one-key")
        card = ask(tab, "send Dana a note: with the right key")
        card.get_by_role("button", name="Approve").click()
        card.and_(tab.locator("[data-state=done]")).wait_for()
        assert sends(sandbox) == start + 1
        kept = json.loads(tab.evaluate("sessionStorage.getItem('google-mcp-chat-creds')"))
        assert kept == {"token": "the-persons-token", "key": "the-one-key"}
        assert "the-persons" not in tab.url and context.cookies() == []
        tab.locator("#entries li[data-action=gmail_send][data-step=done]").first.wait_for()


def test_a_cell_changed_while_the_card_waits_is_not_overwritten_and_a_fresh_card_takes_its_place(
    world: dict[str, Any], page: Any
) -> None:
    """Signed in with Google: the decision goes through the approval page, whose result names the fresh one."""
    changed_then_approved(page, world["sandbox"])


def test_on_loopback_without_tokens_the_page_asks_for_the_approval_key_alone(world: dict[str, Any]) -> None:
    """One person on loopback, no bearer token: the page asks for the approval key only; a wrong key approves
    nothing; the right one approves, and a change made meanwhile brings a fresh card (through /confirm); an
    approved send held in the undo window shows when it goes, and its Cancel stops it."""
    sandbox = world["sandbox"]
    # an approved send is held ten minutes: its card offers Cancel until then
    with one_person(world, "loopback", GOOGLE_MCP_UNDO_SECONDS="600") as (tab, context):
        assert tab.locator("#signin").is_visible() and not tab.locator("#conversation").is_visible()
        assert not tab.locator("#token-field").is_visible() and tab.evaluate("document.activeElement.id") == "key"

        sign_in(tab, "", "not-the-key")
        start = sends(sandbox)
        card = ask(tab, "send Dana a note: with a wrong key")
        card.get_by_role("button", name="Approve").click()
        card.locator(".status-bad[role=alert]").wait_for()
        assert sends(sandbox) == start and card.get_by_role("button", name="Approve").is_enabled()

        tab.click("#signout")
        tab.wait_for_load_state()
        sign_in(tab, "", "the-loopback-key")
        assert "Signed in with your key" in tab.inner_text("#who")
        changed_then_approved(tab, sandbox)
        kept = json.loads(tab.evaluate("sessionStorage.getItem('google-mcp-chat-creds')"))
        assert kept == {"token": "", "key": "the-loopback-key"} and context.cookies() == []

        card = ask(tab, "send Dana a note: sent in haste")
        card.get_by_role("button", name="Approve").click()
        card.and_(tab.locator("[data-state=scheduled]")).wait_for()
        shown = card.inner_text()
        assert "Until then, Cancel stops it" in shown and "Goes " in shown and "cancel_action" not in shown
        assert card.get_by_role("button", name="Approve").count() == 0
        card.get_by_role("button", name="Cancel").click()
        card.and_(tab.locator("[data-state=cancelled]")).wait_for()
        assert "nothing was sent" in card.inner_text() and card.get_by_role("button").count() == 0
        tab.locator("#entries li[data-action=gmail_send][data-step=cancelled]").first.wait_for()
        assert sends(sandbox) == start
