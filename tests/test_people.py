"""Many people on one server: each signs in through the full OAuth flow (the SDK's client auth: discovery,
dynamic registration, PKCE, our /authorize sending them on to Google's consent screen — the sandbox,
where they choose their account — and back through /oauth/callback), and each sees only their own mail,
calendar, pending actions, record and resources; a token for another audience is refused, and a revoked
Google grant affects only its person."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import secrets
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin, urlparse

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.client.auth import OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import AuthorizationCodeResult, OAuthClientInformationFull, OAuthClientMetadata, OAuthToken

from gemini_standin import GeminiStandIn, function_responses, text
from gemini_standin import call as gemini_call
from google_mcp.redisconn import sync_client
from google_mcp.sandbox.seed_sheets import BUDGET, DECK
from helpers import control
from mcp_helpers import call, fails, polled
from redis_server import free_port
from served import Served

pytestmark = pytest.mark.anyio

ALEX, JORDAN = "alex.morgan@example.com", "jordan.lee@example.com"
APPROVAL_KEY = "the-operators-approval-key"
MAIL = {"to": ["dana.whitfield@example.com"], "subject": "Board pack", "body_text": "Attached tonight."}


class Memory:
    """A client's token storage, in memory."""

    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client = client_info


@dataclass
class Walk:
    """Where a person's browser went, following a sign-in link from start to end."""

    visited: list[str] = field(default_factory=list)
    consent: httpx2.Response | None = None  # our consent page, when it was shown
    end: httpx2.Response | None = None  # the page it stopped at, when it stopped at one of ours
    left_to: str | None = None  # the address elsewhere it was sent to (the client's redirect URI)

    @property
    def code(self) -> str | None:
        query = parse_qs(urlparse(self.left_to or "").query)
        return query["code"][0] if "code" in query else None


CONSENT_FORM = re.compile(r'<form method=post action="(/oauth/consent/[^"]+)">.*?name=csrf value="([^"]*)"', re.S)


async def walk(
    http: httpx2.AsyncClient, url: str, account: str, decision: str | None = "allow", ours: tuple[str, ...] = ()
) -> Walk:
    """A person's browser follows `url`: our pages, Google's consent screen (where they choose `account`),
    our consent page (where they click `decision`; None: they stop there), until it is sent elsewhere."""
    walked, where = Walk(), url
    hosts = {urlparse(url).netloc, *ours}
    method, form = "GET", None
    while True:
        walked.visited.append(where)
        if urlparse(where).netloc not in hosts and "/o/oauth2/auth" not in where:
            walked.left_to = where  # never fetched: the client's address
            return walked
        if "/o/oauth2/auth" in where:
            where += "&" + urlencode({"login_hint": account})
        answer = await http.request(method, where, data=form)
        method, form = "GET", None
        if answer.status_code in (302, 303):
            where = urljoin(where, answer.headers["location"])
            continue
        found = CONSENT_FORM.search(answer.text) if answer.status_code == 200 else None
        if found is None or decision is None:
            walked.end = answer
            if found is not None:
                walked.consent = answer
            return walked
        walked.consent = answer
        method, form = "POST", {"csrf": html.unescape(found.group(2)), "decision": decision}
        where = urljoin(where, found.group(1))


class Browser:
    """The person's browser: follows our /authorize to Google's consent screen, where they pick `account`,
    then our consent page, where they allow the client; the client gets the code from its redirect."""

    def __init__(self, account: str) -> None:
        self.account, self.visits, self.consents = account, 0, 0
        self.result: AuthorizationCodeResult | None = None
        self.storage: Memory | None = None

    @property
    def token(self) -> str:
        assert self.storage is not None and self.storage.tokens is not None
        return self.storage.tokens.access_token

    async def open(self, url: str) -> None:
        self.visits += 1
        async with httpx2.AsyncClient(follow_redirects=False, timeout=30) as http:
            walked = await walk(http, url, self.account)
        assert walked.left_to is not None, walked.end.text if walked.end else walked.visited
        self.consents += walked.consent is not None
        query = parse_qs(urlparse(walked.left_to).query)
        self.result = AuthorizationCodeResult(code=query["code"][0], state=query.get("state", [None])[0])

    async def code(self) -> AuthorizationCodeResult:
        assert self.result is not None
        return self.result


@asynccontextmanager
async def signed_in(url: str, browser: Browser, mode: str = "legacy", **kwargs: Any) -> AsyncIterator[Client]:
    storage = Memory()
    auth = OAuthClientProvider(
        url + "/mcp",
        OAuthClientMetadata(
            client_name="test client",
            redirect_uris=["http://127.0.0.1:9/callback"],  # type: ignore[list-item]
            grant_types=["authorization_code", "refresh_token"],
        ),
        storage,
        redirect_handler=browser.open,
        callback_handler=browser.code,
    )
    async with httpx2.AsyncClient(auth=auth, timeout=30) as http:
        async with Client(streamable_http_client(url + "/mcp", http_client=http), mode=mode, **kwargs) as client:  # type: ignore[arg-type]
            browser.storage = storage
            yield client


def shared_server(sandbox_url: str, tmp_path: Any, **env: str) -> Served:
    """`google-mcp serve` for many people (OAuth) on a port of its own, against the sandbox."""
    port = free_port()
    return Served.http(
        sandbox_url,
        port,
        **{
            "GOOGLE_MCP_OAUTH": "true",
            "GOOGLE_MCP_PUBLIC_URL": f"http://127.0.0.1:{port}",
            "GOOGLE_MCP_TOKEN_FILE": str(tmp_path / "token.json"),
            "GOOGLE_MCP_PEOPLE_FILE": str(tmp_path / "people.sqlite3"),
            **env,
        },
    )


@pytest.fixture
def shared(fresh_sandbox: Any, tmp_path: Any) -> Iterator[Served]:
    server = shared_server(fresh_sandbox.url, tmp_path, GOOGLE_MCP_APPROVAL_KEY=APPROVAL_KEY)
    yield server
    server.stop()


def subjects(found: dict[str, Any]) -> set[str]:
    return {m["subject"] for m in found["messages"]}


async def test_two_people_each_see_only_their_own(shared: Served, fresh_sandbox: Any) -> None:
    url = shared.url
    alex_browser, jordan_browser = Browser(ALEX), Browser(JORDAN)
    async with signed_in(url, alex_browser) as alex, signed_in(url, jordan_browser, "2026-07-28") as jordan:
        # mail and calendars: each person's own account
        alex_mail = subjects(await call(alex, "gmail_search", {"query": "in:inbox", "max_results": 50}))
        jordan_mail = subjects(await call(jordan, "gmail_search", {"query": "in:inbox", "max_results": 50}))
        assert alex_browser.visits == jordan_browser.visits == 1  # signed in once each, in either protocol era
        assert jordan_mail == {"Jordan: salary review", "Jordan: your appointment"}
        assert alex_mail and not alex_mail & jordan_mail
        for who, mine, theirs in [(alex, alex_mail, jordan_mail), (jordan, jordan_mail, alex_mail)]:
            inbox = (await who.read_resource("gmail://inbox")).contents[0].text  # type: ignore[union-attr]
            assert any(s in inbox for s in mine) and not any(s in inbox for s in theirs)
        jordan_events = await call(jordan, "calendar_list_events", {"max_results": 50})
        assert [e["summary"] for e in jordan_events["events"]] == ["Jordan: dentist"]
        alex_events = await call(alex, "calendar_list_events", {"max_results": 50})
        assert "Jordan: dentist" not in {e["summary"] for e in alex_events["events"]}
        jordan_message = (await call(jordan, "gmail_search", {"query": "salary"}))["messages"][0]["id"]
        await fails(alex, "gmail_get_message", {"message_id": jordan_message})

        # pending actions: Alex's held send is Alex's alone
        held = await call(alex, "gmail_send", MAIL)
        assert held["status"] == "confirmation_required"
        cid = held["confirmation_id"]
        assert (await call(jordan, "list_pending_actions"))["actions"] == []
        assert [a["confirmation_id"] for a in (await call(alex, "list_pending_actions"))["actions"]] == [cid]
        for tool in ("confirm_action", "cancel_action"):
            assert "no pending action" in (await fails(jordan, tool, {"confirmation_id": cid})).lower()
        async with httpx2.AsyncClient(timeout=10) as http:  # and over /confirm, with Jordan's token
            for method in ("GET", "POST"):
                answer = await http.request(
                    method,
                    f"{url}/confirm/{cid}?confirmed=true",
                    headers={"Authorization": f"Bearer {jordan_browser.token}", "X-Approval-Key": APPROVAL_KEY},
                )
                assert answer.status_code == 404, answer.text
        sent = [r for r in control(fresh_sandbox.url, "/_sandbox/requests")["requests"] if r["path"].endswith("/send")]
        assert sent == []
        assert (await call(alex, "confirm_action", {"confirmation_id": cid}))["status"] == "done"

        # the record: each sees their own
        jordan_log = await call(jordan, "activity_log", {"limit": 200})
        assert "gmail_send" not in {e.get("action") for e in jordan_log["entries"]}
        alex_log = await call(alex, "activity_log", {"limit": 200})
        assert "gmail_send" in {e.get("action") for e in alex_log["entries"]}
    assert len(fresh_sandbox.sandbox.accounts[ALEX].mailbox.messages) > 0
    sent_by = [m for m in fresh_sandbox.sandbox.accounts[ALEX].mailbox.messages.values() if "SENT" in m.labels]
    assert any("Board pack" in m.raw.decode(errors="replace") for m in sent_by)
    assert not any("SENT" in m.labels for m in fresh_sandbox.sandbox.accounts[JORDAN].mailbox.messages.values())


async def test_no_token_a_forged_one_or_one_for_another_audience_gets_in(shared: Served) -> None:
    url = shared.url
    async with httpx2.AsyncClient(timeout=10) as http:
        for headers in ({}, {"Authorization": "Bearer made-up"}):
            answer = await http.post(url + "/mcp", json={}, headers=headers)
            assert answer.status_code == 401
            assert "resource_metadata=" in answer.headers["www-authenticate"]
            for method, path in [
                ("GET", "/sse"),
                ("POST", "/messages/?session_id=x"),
                ("POST", "/chat"),
                ("GET", "/confirm/x"),
            ]:
                assert (await http.request(method, url + path, headers=headers)).status_code == 401, path
        metadata = (await http.get(url + "/.well-known/oauth-protected-resource/mcp")).json()
        assert metadata["resource"] == url + "/mcp" and metadata["authorization_servers"][0].rstrip("/") == url
        # a client asks for a token for another server: refused before anyone signs in
        registered = await http.post(
            url + "/register", json={"redirect_uris": ["http://127.0.0.1:9/cb"], "token_endpoint_auth_method": "none"}
        )
        client_id = registered.json()["client_id"]
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
        query = {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": "http://127.0.0.1:9/cb",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "state": "s",
            "resource": "http://127.0.0.1:1/mcp",
        }
        answer = await http.get(url + "/authorize?" + urlencode(query))  # told to the person, not the client:
        assert answer.status_code == 400 and "location" not in answer.headers  # nobody allowed its redirect URI
        assert "invalid_target" in answer.text and "Nothing was sent" in answer.text


async def test_a_revoked_google_grant_signs_out_only_its_person(shared: Served, fresh_sandbox: Any) -> None:
    url, sb = shared.url, fresh_sandbox.sandbox
    alex_browser, jordan_browser = Browser(ALEX), Browser(JORDAN)
    async with signed_in(url, alex_browser) as alex, signed_in(url, jordan_browser) as jordan:
        await call(alex, "gmail_list_labels")
        await call(jordan, "gmail_list_labels")
        for grant in sb.oauth.refresh_tokens.values():  # Jordan withdraws the app's access at Google
            if grant.account == JORDAN:
                grant.revoked = True
        control(fresh_sandbox.url, "/_sandbox/expire-tokens", {})
        refused = await fails(jordan, "gmail_list_labels", {})
        assert "sign in again" in refused.lower(), "".join(shared.lines)[-3000:]
        await call(alex, "gmail_list_labels")  # Alex is not affected
        assert alex_browser.visits == 1
        # Jordan's next request is asked to sign in again, and then works
        await call(jordan, "gmail_list_labels")
        assert jordan_browser.visits == 2
        await anyio.sleep(0)


async def test_chat_acts_for_the_person_whose_token_it_carries(fresh_sandbox: Any, tmp_path: Any) -> None:
    def script(body: dict[str, Any], n: int) -> Any:
        if not function_responses(body):
            return gemini_call("gmail_search", {"query": "in:inbox", "max_results": 50})
        return text("Here is your mail.")

    with GeminiStandIn(script) as gemini:
        server = shared_server(
            fresh_sandbox.url, tmp_path, GOOGLE_MCP_GEMINI_API_KEY="test-key", GOOGLE_MCP_GEMINI_BASE_URL=gemini.url
        )
        try:
            browser = Browser(JORDAN)
            async with signed_in(server.url, browser) as jordan:
                await call(jordan, "gmail_list_labels")
            async with httpx2.AsyncClient(timeout=30) as http:
                body = {"user_id": "ignored", "message": "what is in my inbox?"}
                nobody = await http.post(server.url + "/chat", json=body)
                assert nobody.status_code == 401 and gemini.requests == []
                answer = await http.post(
                    server.url + "/chat", json=body, headers={"Authorization": f"Bearer {browser.token}"}
                )
                assert answer.status_code == 200, answer.text
            seen = str([function_responses(r["body"]) for r in gemini.requests])
            assert "Jordan: salary review" in seen and "Q3 planning offsite" not in seen
        finally:
            server.stop()


def test_doctor_says_where_people_sign_in_and_what_is_missing(tmp_path: Any) -> None:
    from served import doctor as report

    def doctor(**env: str) -> str:
        return report(GOOGLE_MCP_TOKEN_FILE=str(tmp_path / "none.json"), GOOGLE_MCP_OAUTH="true", **env)

    plain = doctor(GOOGLE_MCP_PUBLIC_URL="https://mcp.example.com")
    assert "sign in with their own Google accounts at https://mcp.example.com/authorize" in plain
    assert "GOOGLE_MCP_CLIENT_SECRETS_FILE" in plain and "encrypted with the key in" in plain
    secrets_file = tmp_path / "client.json"
    secrets_file.write_text('{"web": {"client_id": "id", "client_secret": "s"}}')
    ready = doctor(GOOGLE_MCP_PUBLIC_URL="https://mcp.example.com", GOOGLE_MCP_CLIENT_SECRETS_FILE=str(secrets_file))
    assert f"Google OAuth client: {secrets_file}" in ready and "GOOGLE_MCP_CLIENT_SECRETS_FILE" not in ready
    exposed = doctor(GOOGLE_MCP_PUBLIC_URL="http://mcp.example.com", GOOGLE_MCP_HOST="0.0.0.0")
    assert "use an https://" in exposed and "set GOOGLE_MCP_ALLOWED_ACCOUNTS" in exposed
    assert "Who may sign in: every Google account" in plain  # on loopback, said plainly
    listed = doctor(GOOGLE_MCP_ALLOWED_ACCOUNTS=ALEX, GOOGLE_MCP_ALLOWED_DOMAINS="example.org")
    assert f"Who may sign in: {ALEX}, *@example.org (Workspace)" in listed
    assert "Watches serve one person's account" in doctor(GOOGLE_MCP_WATCH="gmail")
    assert "every 5 s for resource updates in this process, each person's to them" in doctor(
        GOOGLE_MCP_POLL_SECONDS="5"
    )


async def test_a_person_signed_in_on_one_process_is_served_by_another(
    fresh_sandbox: Any, tmp_path: Any, shared_redis_url: str
) -> None:
    """Two processes behind one address share Redis and the grants' key: a token from one works on the
    other, as the same person with the same pending actions; nothing of theirs is in the SQLite file."""
    port = free_port()
    public = f"http://127.0.0.1:{port}"
    common = {
        "GOOGLE_MCP_OAUTH": "true",
        "GOOGLE_MCP_PUBLIC_URL": public,
        "GOOGLE_MCP_REDIS_URL": shared_redis_url,
        "GOOGLE_MCP_PEOPLE_KEY": "r8cJ4tN0a6qj7k0l3Xh2cJ1n9Yp5Ww8Zs4Vb6Qe2Tf0=",
        "GOOGLE_MCP_PEOPLE_FILE": str(tmp_path / "unused.sqlite3"),
    }
    first = Served.http(fresh_sandbox.url, port, GOOGLE_MCP_TOKEN_FILE=str(tmp_path / "a.json"), **common)
    second = Served.http(fresh_sandbox.url, GOOGLE_MCP_TOKEN_FILE=str(tmp_path / "b.json"), **common)
    try:
        browser = Browser(JORDAN)
        async with signed_in(first.url, browser) as jordan:
            held = await call(jordan, "gmail_send", {**MAIL, "to": ["priya.shah@example.org"]})
        headers = {"Authorization": f"Bearer {browser.token}"}
        async with httpx2.AsyncClient(headers=headers, timeout=30) as http:
            async with Client(streamable_http_client(second.url + "/mcp", http_client=http), mode="legacy") as other:  # type: ignore[arg-type]
                mail = subjects(await call(other, "gmail_search", {"query": "in:inbox"}))
                assert mail == {"Jordan: salary review", "Jordan: your appointment"}
                # Gmail's quota was charged to Jordan's Google account's window, shared in Redis
                assert sync_client(shared_redis_url).zcard(f"google_mcp:quota:{{{JORDAN}}}") >= 2
                listed = await call(other, "list_pending_actions")
                assert [a["confirmation_id"] for a in listed["actions"]] == [held["confirmation_id"]]
                done = await call(other, "confirm_action", {"confirmation_id": held["confirmation_id"]})
                assert done["status"] == "done"
        assert not (tmp_path / "unused.sqlite3").exists()
        sent = fresh_sandbox.sandbox.accounts[JORDAN].mailbox.messages.values()
        assert sum("SENT" in m.labels for m in sent) == 1
    finally:
        second.stop()
        first.stop()


PERSONAL = "alex.personal@example.net"


async def browse(web: httpx2.AsyncClient, url: str, path: str, accounts: list[str]) -> httpx2.Response:
    """Follow redirects as a browser does, choosing the next of `accounts` at each Google consent screen."""
    where = url + path
    while True:
        answer = await web.get(where)
        if answer.status_code != 302:
            return answer
        where = answer.headers["location"]
        if where.startswith("/"):
            where = url + where
        elif "/o/oauth2/auth" in where:
            where += "&" + urlencode({"login_hint": accounts.pop(0)})


async def test_a_person_links_a_second_google_account_and_chooses_it_per_call(
    shared: Served, fresh_sandbox: Any
) -> None:
    url, sb = shared.url, fresh_sandbox.sandbox

    def sent() -> dict[str, int]:
        return {a: sum("SENT" in m.labels for m in sb.accounts[a].mailbox.messages.values()) for a in (ALEX, PERSONAL)}

    before = sent()
    async with signed_in(url, Browser(ALEX)) as alex:
        async with httpx2.AsyncClient(timeout=30) as web:  # the person's browser: sign in, then link
            page = await browse(web, url, "/link", [ALEX, PERSONAL])
            assert page.status_code == 200 and ALEX in page.text and PERSONAL in page.text
        personal = subjects(await call(alex, "gmail_search", {"query": "in:inbox", "account": PERSONAL}))
        assert personal == {"Personal: dinner on Saturday?", "Personal: rent receipt"}
        work = subjects(await call(alex, "gmail_search", {"query": "in:inbox", "max_results": 50}))
        assert work and not work & personal  # no account: the first one

        # reads that span every linked account say whose each result is
        both = await alex.call_tool("gmail_search", {"query": "in:inbox", "max_results": 50, "account": "all"})
        found = both.structured_content
        assert found is not None
        assert {m["account"] for m in found["messages"]} == {ALEX, PERSONAL}
        assert {m["subject"] for m in found["messages"]} == work | personal
        assert "account" in both.content[0].text.splitlines()[0]  # type: ignore[union-attr]
        events = await call(alex, "calendar_list_events", {"max_results": 50, "account": "all"})
        assert {e["account"] for e in events["events"] if e["summary"] == "Personal: climbing"} == {PERSONAL}
        now = datetime.fromisoformat(events["time_min"])
        window = {"time_min": now.isoformat(), "time_max": (now + timedelta(days=3)).isoformat()}
        spans = await call(alex, "calendar_free_busy", {**window, "slot_minutes": 30, "account": "all"})
        assert set(spans["busy"]) == {ALEX, PERSONAL}
        climbing = spans["busy"][PERSONAL][0]
        start, end = datetime.fromisoformat(climbing["start"]), datetime.fromisoformat(climbing["end"])
        assert spans["free_slots"]
        for slot in spans["free_slots"]:  # free only where both accounts are
            assert datetime.fromisoformat(slot["end"]) <= start or datetime.fromisoformat(slot["start"]) >= end
        assert "not one of your linked" in await fails(alex, "gmail_search", {"account": JORDAN})
        assert "one account at a time" in await fails(alex, "gmail_search", {"account": "all", "page_token": "x"})

        # a write's preview names the account it acts as, and it runs as that one
        held = await call(alex, "gmail_send", {**MAIL, "account": PERSONAL})
        assert held["preview"]["details"][0] == f"As: {PERSONAL}"
        default = await call(alex, "gmail_send", MAIL)
        assert default["preview"]["details"][0] == f"As: {ALEX}"
        await call(alex, "cancel_action", {"confirmation_id": default["confirmation_id"]})
        assert (await call(alex, "confirm_action", {"confirmation_id": held["confirmation_id"]}))["status"] == "done"
    assert sent() == {ALEX: before[ALEX], PERSONAL: before[PERSONAL] + 1}


class DocumentHost:
    """An https server (its own self-signed certificate for 127.0.0.1) serving client metadata documents."""

    def __init__(self, tmp_path: Any) -> None:
        import ssl
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        from cryptography.hazmat.primitives.asymmetric import ec

        from google_mcp.sandbox.pushsign import self_signed

        private, certificate = self_signed(ec.generate_private_key(ec.SECP256R1()), "127.0.0.1", ip="127.0.0.1")
        self.cert = tmp_path / "docs-cert.pem"
        self.cert.write_text(certificate)
        key_file = tmp_path / "docs-key.pem"
        key_file.write_text(private)
        self.documents: dict[str, dict[str, Any]] = {}
        self.dripping: set[str] = set()  # documents sent a byte every 0.5 s
        documents, dripping = self.documents, self.dripping

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                import time

                body = json.dumps(documents.get(self.path, {})).encode()
                self.send_response(200 if self.path in documents else 404)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                if self.path not in dripping:
                    self.wfile.write(body)
                    return
                try:
                    for byte in body:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(0.5)
                except OSError:
                    pass

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, key_file)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.url = f"https://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


async def test_a_client_identified_by_its_metadata_document_signs_a_person_in(
    fresh_sandbox: Any, tmp_path: Any
) -> None:
    docs = DocumentHost(tmp_path)
    client_url = docs.url + "/clients/desk.json"
    docs.documents["/clients/desk.json"] = {
        "client_id": client_url,
        "client_name": "Desk",
        "redirect_uris": ["http://127.0.0.1:9/callback"],
        "token_endpoint_auth_method": "none",
    }
    docs.documents["/clients/liar.json"] = {"client_id": "https://elsewhere.example/c.json", "redirect_uris": ["x"]}
    server = shared_server(
        fresh_sandbox.url,
        tmp_path,
        GOOGLE_MCP_CIMD_ALLOW_PRIVATE="true",  # the document host is on loopback here
        SSL_CERT_FILE=str(docs.cert),
    )
    try:
        url = server.url
        async with httpx2.AsyncClient(timeout=10) as http:
            metadata = (await http.get(url + "/.well-known/oauth-authorization-server")).json()
            assert metadata["client_id_metadata_document_supported"] is True
        browser, storage = Browser(JORDAN), Memory()
        auth = OAuthClientProvider(
            url + "/mcp",
            OAuthClientMetadata(redirect_uris=["http://127.0.0.1:9/callback"], grant_types=["authorization_code"]),  # type: ignore[list-item]
            storage,
            redirect_handler=browser.open,
            callback_handler=browser.code,
            client_metadata_url=client_url,
        )
        async with httpx2.AsyncClient(auth=auth, timeout=30) as http:
            async with Client(streamable_http_client(url + "/mcp", http_client=http), mode="legacy") as jordan:  # type: ignore[arg-type]
                found = await call(jordan, "gmail_search", {"query": "salary"})
                assert subjects(found) == {"Jordan: salary review"}
        assert storage.client is not None and storage.client.client_id == client_url  # no registration
        async with httpx2.AsyncClient(timeout=10) as http:  # a document that is not its own URL's
            query = {
                "response_type": "code",
                "client_id": docs.url + "/clients/liar.json",
                "redirect_uri": "http://127.0.0.1:9/callback",
                "code_challenge": "x" * 43,
                "code_challenge_method": "S256",
            }
            refused = await http.get(url + "/authorize?" + urlencode(query))
            assert refused.status_code == 400 and "not found" in refused.text
        # and by default no document is fetched from a private address (the server's own network)
        from google_mcp.people.oauth import fetch_client_document

        with pytest.raises(ValueError, match="not a public address"):
            await fetch_client_document(client_url, 5, private=False)
    finally:
        server.stop()
        docs.close()


async def test_each_person_is_told_only_of_their_own_changes(fresh_sandbox: Any, tmp_path: Any) -> None:
    """Alex subscribes in the 2025 era, Jordan listens in the 2026-07-28 one, both to gmail://inbox: mail that
    reaches Jordan tells Jordan, not Alex, and the other way round; each one's changes log is their own."""
    from email.message import EmailMessage

    from helpers import credentials, gmail

    server = shared_server(fresh_sandbox.url, tmp_path, GOOGLE_MCP_POLL_SECONDS="0.2")

    def deliver(account: str, subject: str) -> None:
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = "dana.whitfield@example.com", account, subject
        msg.set_content("Hello.")
        raw = base64.urlsafe_b64encode(msg.as_bytes()).decode()
        box = gmail(fresh_sandbox.url, credentials(fresh_sandbox.url, account=account))
        box.users().messages().insert(userId="me", body={"raw": raw, "labelIds": ["INBOX"]}).execute()

    told: list[str] = []

    async def on_message(message: Any) -> None:
        root = getattr(message, "root", message)
        if getattr(root, "method", "") == "notifications/resources/updated":
            told.append(str(root.params.uri))

    try:
        url = server.url
        async with (
            signed_in(url, Browser(ALEX), message_handler=on_message) as alex,
            signed_in(url, Browser(JORDAN), "2026-07-28") as jordan,
        ):
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                await alex.subscribe_resource("gmail://inbox")
            await text_of(alex, "gmail://changes")  # each reader's place: now
            await text_of(jordan, "gmail://changes")
            async with jordan.listen(resource_subscriptions=["gmail://inbox"]) as stream:
                await polled(fresh_sandbox.url, ALEX, JORDAN)  # the poller has read both inboxes once
                deliver(JORDAN, "For Jordan only")
                with anyio.fail_after(5):
                    async for update in stream:
                        assert update.uri == "gmail://inbox"
                        break
                deliver(ALEX, "For Alex only")  # the marker: Alex's own news comes after any of Jordan's
                with anyio.fail_after(5):
                    while "gmail://inbox" not in told:
                        await anyio.sleep(0.05)
                assert told == ["gmail://inbox"]  # one update, Alex's own: Alex heard nothing of Jordan's mail
                with anyio.move_on_after(0.6):  # and Jordan hears nothing of Alex's
                    async for update in stream:
                        raise AssertionError(f"Jordan was told of {update.uri}")
            jordan_changes = await text_of(jordan, "gmail://changes")
            alex_changes = await text_of(alex, "gmail://changes")
        assert "For Jordan only" in jordan_changes and "For Alex only" not in jordan_changes
        assert "For Alex only" in alex_changes and "For Jordan only" not in alex_changes
    finally:
        server.stop()


async def text_of(client: Client, uri: str) -> str:
    return str((await client.read_resource(uri)).contents[0].text)  # type: ignore[union-attr]


async def test_a_sign_in_begun_in_one_browser_cannot_be_finished_in_another(shared: Served) -> None:
    """Login CSRF: an attacker begins a browser sign-in as themselves and sends the person the callback
    link; the person's browser would then be signed in as the attacker (and link its accounts to them)."""
    url = shared.url
    async with httpx2.AsyncClient(timeout=30) as attacker, httpx2.AsyncClient(timeout=30) as victim:
        to_google = await attacker.get(url + "/login?next=/accounts")
        consent = await attacker.get(to_google.headers["location"] + "&" + urlencode({"login_hint": JORDAN}))
        callback = consent.headers["location"]  # the attacker stops here, and sends this link
        lured = await victim.get(callback)
        assert lured.status_code == 400 and "another browser" in lured.text
        assert "google_mcp_session" not in victim.cookies
        assert (await victim.get(url + "/accounts")).status_code == 302  # still signed out
        # the browser that began it finishes it (had the attacker not given it away)
        again = await attacker.get(url + "/login?next=/accounts")
        consent = await attacker.get(again.headers["location"] + "&" + urlencode({"login_hint": JORDAN}))
        finished = await attacker.get(consent.headers["location"])
        assert finished.status_code == 302 and "google_mcp_session" in attacker.cookies


async def test_no_tool_reaches_anothers_mail_calendar_or_documents_by_id(shared: Served, fresh_sandbox: Any) -> None:
    """Jordan tries every tool that takes an id with Alex's ids: each is refused, and Alex's data is
    neither shown nor changed."""
    url, sb = shared.url, fresh_sandbox.sandbox
    async with signed_in(url, Browser(ALEX)) as alex, signed_in(url, Browser(JORDAN)) as jordan:
        mail = (await call(alex, "gmail_search", {"query": "has:attachment", "max_results": 1}))["messages"][0]
        message = await call(alex, "gmail_get_message", {"message_id": mail["id"]})
        attachment = message["attachments"][0]["attachment_id"]
        event = (await call(alex, "calendar_list_events", {"max_results": 1}))["events"][0]
        doc = (await call(alex, "docs_search", {"query": ""}))["documents"][0]["id"]
        before = {a: len(sb.accounts[a].mailbox.history) for a in (ALEX, JORDAN)}
        secret = message["subject"]
        attempts = {
            "gmail_get_message": {"message_id": mail["id"]},
            "gmail_get_thread": {"thread_id": mail["thread_id"]},
            "gmail_get_attachment": {"message_id": mail["id"], "attachment_id": attachment},
            "gmail_modify_labels": {"message_ids": [mail["id"]], "add": ["STARRED"]},
            "gmail_trash": {"message_ids": [mail["id"]]},
            "gmail_send": {**MAIL, "reply_to_message_id": mail["id"]},
            "calendar_get_event": {"event_id": event["id"], "calendar_id": event["calendar_id"]},
            "calendar_update_event": {"event_id": event["id"], "calendar_id": event["calendar_id"], "summary": "x"},
            "calendar_delete_event": {"event_id": event["id"], "calendar_id": event["calendar_id"]},
            "calendar_respond_to_event": {
                "event_id": event["id"],
                "calendar_id": event["calendar_id"],
                "response": "declined",
            },
            "docs_read": {"document_id": doc},
            "docs_append": {"document_id": doc, "markdown": "x"},
            "docs_replace_text": {"document_id": doc, "find": "a", "replace": "b"},
            "sheets_list": {"spreadsheet_id": BUDGET},
            "sheets_read": {"spreadsheet_id": BUDGET, "range": "Budget"},
            "sheets_update": {"spreadsheet_id": BUDGET, "range": "Budget!B2", "values": [[1]]},
            "sheets_append": {"spreadsheet_id": BUDGET, "range": "Budget", "values": [["x"]]},
            "sheets_clear": {"spreadsheet_id": BUDGET, "range": "Budget"},
            "sheets_add_sheet": {"spreadsheet_id": BUDGET, "title": "x"},
            "slides_read": {"presentation_id": DECK},
            "slides_replace_text": {"presentation_id": DECK, "find": "Apollo", "replace": "x"},
        }
        for tool, args in attempts.items():
            answer = await jordan.call_tool(tool, args)
            shown = str(answer.content[0].text if answer.content else "") + str(answer.structured_content)  # type: ignore[union-attr]
            assert answer.is_error, f"{tool} answered Jordan with Alex's id: {shown[:300]}"
            assert secret not in shown and doc not in str(answer.structured_content or "")
        assert (await call(jordan, "list_pending_actions"))["actions"] == []
        assert {a: len(sb.accounts[a].mailbox.history) for a in (ALEX, JORDAN)} == before


async def test_a_refresh_token_google_replaces_is_kept_for_the_next_process(fresh_sandbox: Any, tmp_path: Any) -> None:
    """Google may hand out a new refresh token on refresh and revoke the old: the person's stored grant
    takes the new one, so after a restart they are still signed in."""
    port = free_port()
    env = {
        "GOOGLE_MCP_OAUTH": "true",
        "GOOGLE_MCP_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "GOOGLE_MCP_TOKEN_FILE": str(tmp_path / "token.json"),
        "GOOGLE_MCP_PEOPLE_FILE": str(tmp_path / "people.sqlite3"),
    }
    control(fresh_sandbox.url, "/_sandbox/rotate-refresh-tokens", {"on": True})
    try:
        server = Served.http(fresh_sandbox.url, port, **env)
        browser = Browser(JORDAN)
        try:
            async with signed_in(server.url, browser) as jordan:
                await call(jordan, "gmail_list_labels")
                control(fresh_sandbox.url, "/_sandbox/expire-tokens", {})
                await call(jordan, "gmail_list_labels")  # refreshed: a new refresh token, the old one revoked
        finally:
            server.stop()
        server = Served.http(fresh_sandbox.url, port, **env)  # a new process: the grant from the store
        try:
            headers = {"Authorization": f"Bearer {browser.token}"}
            async with httpx2.AsyncClient(headers=headers, timeout=30) as http:
                async with Client(
                    streamable_http_client(server.url + "/mcp", http_client=http), mode="legacy"
                ) as again:  # type: ignore[arg-type]
                    assert (await call(again, "gmail_search", {"query": "salary"}))["messages"]
        finally:
            server.stop()
    finally:
        control(fresh_sandbox.url, "/_sandbox/rotate-refresh-tokens", {"on": False})


async def test_in_strict_mode_the_held_result_sends_the_person_to_the_approval_page(
    fresh_sandbox: Any, tmp_path: Any
) -> None:
    server = shared_server(fresh_sandbox.url, tmp_path, GOOGLE_MCP_CONFIRMATION="strict")
    try:
        async with signed_in(server.url, Browser(ALEX)) as alex:
            held = await call(alex, "gmail_send", MAIL)
            assert f"{server.url}/approve/{held['confirmation_id']}" in held["message"]
            refused = await fails(alex, "confirm_action", {"confirmation_id": held["confirmation_id"]})
            assert f"{server.url}/approve/{held['confirmation_id']}" in refused
    finally:
        server.stop()
