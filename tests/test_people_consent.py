"""A shared server's sign-in, tried as a stranger would: our consent page names the client before any code
leaves (the confused deputy), only the browser that opened the link can answer it, a decision is kept per
client and can be withdrawn with its tokens; only admitted accounts sign in; and OAuth's hygiene — a code or
a rotated refresh token presented twice revokes what it gave, tokens for another resource are refused,
redirect URIs are https or loopback, unused registrations expire, client_secret_basic works as RFC 6749
allows. Each drives the real `google-mcp` process over HTTP, with the sandbox as Google."""

from __future__ import annotations

import base64
import hashlib
import secrets
import sqlite3
import subprocess
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode, urlparse

import anyio
import httpx2
import pytest

from helpers import control
from redis_server import free_port
from served import EXE, Served, _env
from test_people import ALEX, JORDAN, PERSONAL, Browser, call, shared_server, signed_in, walk

pytestmark = pytest.mark.anyio

STRANGER_REDIRECT = "https://collector.invalid/oauth/cb"  # the stranger's: never connected to
APP_REDIRECT = "http://127.0.0.1:9/callback"


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    return verifier, base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")


async def register(http: httpx2.AsyncClient, url: str, redirect: str, name: str, **extra: Any) -> dict[str, Any]:
    body = {"client_name": name, "redirect_uris": [redirect], "token_endpoint_auth_method": "none", **extra}
    answer = await http.post(url + "/register", json=body)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def authorize_link(url: str, client_id: str, redirect: str, challenge: str) -> str:
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "state": "st",
    }
    return url + "/authorize?" + urlencode(query)


async def redeem(
    http: httpx2.AsyncClient, url: str, client_id: str, code: str, verifier: str, redirect: str = APP_REDIRECT
) -> httpx2.Response:
    form = {
        "grant_type": "authorization_code",
        "client_id": client_id,
        "code": code,
        "code_verifier": verifier,
        "redirect_uri": redirect,
    }
    return await http.post(url + "/token", data=form)


async def refresh(http: httpx2.AsyncClient, url: str, client_id: str, token: str) -> httpx2.Response:
    form = {"grant_type": "refresh_token", "client_id": client_id, "refresh_token": token}
    return await http.post(url + "/token", data=form)


async def works(http: httpx2.AsyncClient, url: str, access: str) -> bool:
    """Whether an access token still opens this server (/chat checks it before anything else)."""
    answer = await http.post(url + "/chat", json={}, headers={"Authorization": f"Bearer {access}"})
    return answer.status_code != 401


async def tokens_for(http: httpx2.AsyncClient, url: str, account: str, redirect: str = APP_REDIRECT) -> Any:
    """A fresh client, signed in by `account` (who allows it): its id, its code's verifier and its tokens."""
    client = await register(http, url, redirect, "Desk")
    verifier, challenge = pkce()
    async with httpx2.AsyncClient(timeout=30) as browser:
        walked = await walk(browser, authorize_link(url, client["client_id"], redirect, challenge), account)
    assert walked.code is not None, walked.end.text if walked.end else walked.visited
    answer = await redeem(http, url, client["client_id"], walked.code, verifier, redirect)
    assert answer.status_code == 200, answer.text
    return client, walked.code, verifier, answer.json()


@pytest.fixture(scope="module")
def server(sandbox: Any, tmp_path_factory: Any) -> Iterator[Served]:
    """One shared server for the tests that need nothing special of it."""
    served = shared_server(sandbox.url, tmp_path_factory.mktemp("people"))
    yield served
    served.stop()


# 1. the consent page -------------------------------------------------------------------------------


async def test_a_strangers_client_is_named_on_our_consent_page_and_when_denied_gets_no_code(
    server: Served, sandbox: Any
) -> None:
    url = server.url
    async with httpx2.AsyncClient(timeout=30) as stranger, httpx2.AsyncClient(timeout=30) as person:
        client = await register(stranger, url, STRANGER_REDIRECT, "Mail Helper")
        _, challenge = pkce()
        link = authorize_link(url, client["client_id"], STRANGER_REDIRECT, challenge)  # sent to the person
        walked = await walk(person, link, JORDAN, decision="deny")
        assert walked.consent is not None, f"no consent page: the browser was sent to {walked.left_to}"
        page = walked.consent.text
        for shown in ("Mail Helper", "collector.invalid", "registered itself here", JORDAN, "First seen here"):
            assert shown in page, shown
        assert walked.consent.headers["x-frame-options"] == "DENY"
        policy = walked.consent.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in policy and "form-action 'self' https://collector.invalid" in policy
        assert walked.consent.headers["cache-control"] == "no-store"
        assert walked.end is not None and walked.end.status_code == 200 and "Nothing was sent" in walked.end.text
        assert walked.left_to is None
        assert not any("collector.invalid" in urlparse(v).netloc for v in walked.visited)
        # opened again, it asks again: a denial is never taken for consent
        again = await walk(person, link, JORDAN, decision=None)
        assert again.consent is not None and again.left_to is None


async def test_only_the_browser_that_opened_the_link_can_answer_the_consent_page(server: Served) -> None:
    """The stranger holds the /authorize link and, say, learned the consent page's address and token; the
    page is in the person's browser. A post without that browser's cookie, or without the page's token,
    decides nothing; the link itself cannot be opened by a second browser."""
    url = server.url
    async with (
        httpx2.AsyncClient(timeout=30) as stranger,
        httpx2.AsyncClient(timeout=30) as person,
    ):
        client = await register(stranger, url, STRANGER_REDIRECT, "Mail Helper")
        _, challenge = pkce()
        begin = (await stranger.get(authorize_link(url, client["client_id"], STRANGER_REDIRECT, challenge))).headers
        link = begin["location"]
        assert link.startswith(url + "/oauth/begin?")
        to_google = await person.get(link)
        assert to_google.status_code == 302
        claimed = await stranger.get(link)  # opened in a second browser before Google returned: refused
        assert claimed.status_code == 400 and "location" not in claimed.headers
        walked = await walk(person, to_google.headers["location"], ALEX, decision=None, ours=(urlparse(url).netloc,))
        assert walked.consent is not None
        ask = walked.visited[-1]
        csrf = walked.consent.text.split("name=csrf value=")[1].split('"')[1]
        await stranger.get(url + "/login?next=/accounts")  # the stranger's own, different, login cookie
        assert "google_mcp_login" in stranger.cookies
        forged = await stranger.post(ask, data={"csrf": csrf, "decision": "allow"})
        assert forged.status_code == 403 and "location" not in forged.headers
        assert (await stranger.get(ask)).status_code == 403  # nor does the stranger see the person's page
        assert ALEX not in (await stranger.get(ask)).text
        without_token = await person.post(ask, data={"decision": "allow"})  # a cross-site form has no token
        assert without_token.status_code == 403 and "location" not in without_token.headers
        wrong_token = await person.post(ask, data={"csrf": csrf[:-2] + "xx", "decision": "allow"})
        assert wrong_token.status_code == 403
        denied = await person.post(ask, data={"csrf": csrf, "decision": "deny"})
        assert denied.status_code == 200 and "location" not in denied.headers


async def test_a_person_allows_a_client_once_and_withdraws_it_with_its_tokens(server: Served) -> None:
    url = server.url
    async with httpx2.AsyncClient(timeout=30) as http:
        client = await register(http, url, APP_REDIRECT, "Desk")
        cid = client["client_id"]
        first_verifier, challenge = pkce()
        async with httpx2.AsyncClient(timeout=30) as browser:
            first = await walk(browser, authorize_link(url, cid, APP_REDIRECT, challenge), ALEX)
        assert first.consent is not None and first.code is not None
        tokens = (await redeem(http, url, cid, first.code, first_verifier)).json()
        verifier, challenge = pkce()
        async with httpx2.AsyncClient(timeout=30) as browser:  # another day, another browser: no question
            second = await walk(browser, authorize_link(url, cid, APP_REDIRECT, challenge), ALEX)
        assert second.consent is None and second.code is not None
        later = (await redeem(http, url, cid, second.code, verifier)).json()
        assert await works(http, url, tokens["access_token"]) and await works(http, url, later["access_token"])
        # another person is asked for themselves
        _, challenge = pkce()
        async with httpx2.AsyncClient(timeout=30) as browser:
            other = await walk(browser, authorize_link(url, cid, APP_REDIRECT, challenge), JORDAN, decision=None)
        assert other.consent is not None

        async with httpx2.AsyncClient(timeout=30) as browser:  # the person's list of clients, and withdraw
            listed = await walk(browser, url + "/clients", ALEX)
            assert listed.end is not None and listed.end.status_code == 200
            assert "Desk" in listed.end.text and cid in listed.end.text and "127.0.0.1:9" in listed.end.text
            csrf = listed.end.text.split("name=csrf value=")[1].split('"')[1]
            forged = await browser.post(url + "/clients", data={"client_id": cid})
            assert forged.status_code == 403
            assert await works(http, url, tokens["access_token"])
            done = await browser.post(url + "/clients", data={"client_id": cid, "csrf": csrf})
            assert done.status_code == 303
            assert cid not in (await browser.get(url + "/clients")).text
        for issued in (tokens, later):
            assert not await works(http, url, issued["access_token"])
            assert (await refresh(http, url, cid, issued["refresh_token"])).status_code == 400
        _, challenge = pkce()
        async with httpx2.AsyncClient(timeout=30) as browser:  # and the next sign-in asks again
            third = await walk(browser, authorize_link(url, cid, APP_REDIRECT, challenge), ALEX, decision=None)
        assert third.consent is not None and third.code is None


# 2. who may sign in ---------------------------------------------------------------------------------


def grant_rows(path: Any) -> int:
    with sqlite3.connect(path) as db:
        return int(db.execute("SELECT count(*) FROM kv WHERE k LIKE 'grant:%'").fetchone()[0])


@pytest.mark.slow
async def test_only_admitted_accounts_sign_in_and_the_others_are_told_so(fresh_sandbox: Any, tmp_path: Any) -> None:
    served = shared_server(
        fresh_sandbox.url,
        tmp_path,
        GOOGLE_MCP_ALLOWED_ACCOUNTS=f"{PERSONAL.upper()}, nobody@example.org",
        GOOGLE_MCP_ALLOWED_DOMAINS="example.com",
    )
    people = tmp_path / "people.sqlite3"

    async def attempt(account: str) -> Any:
        async with httpx2.AsyncClient(timeout=30) as http:
            client = await register(http, served.url, APP_REDIRECT, "Desk")
            _, challenge = pkce()
            return await walk(http, authorize_link(served.url, client["client_id"], APP_REDIRECT, challenge), account)

    try:
        control(fresh_sandbox.url, "/_sandbox/id-token", {"hd": None})  # a consumer account at the domain
        refused = await attempt(JORDAN)
        assert refused.end is not None and refused.end.status_code == 403, refused.visited
        assert f"{JORDAN} may not sign in" in refused.end.text and "GOOGLE_MCP_ALLOWED_ACCOUNTS" in refused.end.text
        assert refused.left_to is None and grant_rows(people) == 0
        control(fresh_sandbox.url, "/_sandbox/id-token", {"email_verified": False})  # listed, not verified
        assert (await attempt(PERSONAL)).end.status_code == 403  # type: ignore[union-attr]
        assert grant_rows(people) == 0
        control(fresh_sandbox.url, "/_sandbox/id-token", {})
        assert (await attempt(JORDAN)).code is not None  # the domain's (Google says hd=example.com)
        assert (await attempt(PERSONAL)).code is not None  # named (any case)
        assert grant_rows(people) == 2
    finally:
        control(fresh_sandbox.url, "/_sandbox/id-token", {})
        served.stop()


@pytest.mark.slow
def test_a_shared_server_off_loopback_will_not_start_without_naming_who_may_sign_in(tmp_path: Any) -> None:
    port = free_port()
    env = _env(
        GOOGLE_MCP_OAUTH="true",
        GOOGLE_MCP_PUBLIC_URL="https://mcp.example.com",
        GOOGLE_MCP_TOKEN_FILE=str(tmp_path / "token.json"),
        GOOGLE_MCP_PEOPLE_FILE=str(tmp_path / "people.sqlite3"),
    )
    args = [
        EXE,
        "serve",
        "--transport",
        "http",
        "--host",
        "127.0.0.2",
        "--port",
        str(port),
        "--sandbox-url",
        "http://127.0.0.1:9",
    ]
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        _, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise AssertionError("it started, open to every Google account") from None
    assert proc.returncode != 0
    assert "GOOGLE_MCP_ALLOWED_ACCOUNTS" in err and "GOOGLE_MCP_ALLOWED_DOMAINS" in err


# 3. OAuth hygiene -----------------------------------------------------------------------------------


async def test_a_replayed_code_is_refused_and_revokes_the_tokens_it_gave(server: Served) -> None:
    url = server.url
    async with httpx2.AsyncClient(timeout=30) as http:
        client, code, verifier, tokens = await tokens_for(http, url, JORDAN)
        assert await works(http, url, tokens["access_token"])
        replayed = await redeem(http, url, client["client_id"], code, verifier)
        assert replayed.status_code == 400 and replayed.json()["error"] == "invalid_grant"
        assert not await works(http, url, tokens["access_token"])
        assert (await refresh(http, url, client["client_id"], tokens["refresh_token"])).status_code == 400


async def test_a_rotated_refresh_token_presented_again_revokes_the_whole_family(server: Served) -> None:
    url = server.url
    async with httpx2.AsyncClient(timeout=30) as http:
        client, _, _, first = await tokens_for(http, url, JORDAN)
        cid = client["client_id"]
        second = await refresh(http, url, cid, first["refresh_token"])
        assert second.status_code == 200, second.text
        second_tokens = second.json()
        assert not await works(http, url, first["access_token"])  # rotated out
        third = (await refresh(http, url, cid, second_tokens["refresh_token"])).json()
        assert await works(http, url, third["access_token"])
        reused = await refresh(http, url, cid, first["refresh_token"])  # a thief's copy of the first
        assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"
        assert not await works(http, url, third["access_token"])
        assert (await refresh(http, url, cid, third["refresh_token"])).status_code == 400
        _, _, _, other = await tokens_for(http, url, JORDAN)  # another sign-in of the person is untouched
        assert await works(http, url, other["access_token"])


async def test_a_token_for_another_resource_is_refused_as_invalid_target(server: Served) -> None:
    url = server.url
    async with httpx2.AsyncClient(timeout=30) as http:
        client = await register(http, url, APP_REDIRECT, "Desk")
        verifier, challenge = pkce()
        async with httpx2.AsyncClient(timeout=30) as browser:
            walked = await walk(browser, authorize_link(url, client["client_id"], APP_REDIRECT, challenge), ALEX)
        assert walked.code is not None
        form = {
            "grant_type": "authorization_code",
            "client_id": client["client_id"],
            "code": walked.code,
            "code_verifier": verifier,
            "redirect_uri": APP_REDIRECT,
        }
        other = await http.post(url + "/token", data={**form, "resource": "http://127.0.0.1:1/mcp"})
        assert other.status_code == 400 and other.json()["error"] == "invalid_target"
        ours = await http.post(url + "/token", data={**form, "resource": url + "/mcp"})
        assert ours.status_code == 200, ours.text
        tokens = ours.json()
        wrong = {"grant_type": "refresh_token", "client_id": client["client_id"], "resource": "https://x.example/mcp"}
        answer = await http.post(url + "/token", data={**wrong, "refresh_token": tokens["refresh_token"]})
        assert answer.status_code == 400 and answer.json()["error"] == "invalid_target"


@pytest.mark.parametrize(
    "redirect",
    [
        "javascript:alert(1)",
        "data:text/html,hi",
        "file:///etc/passwd",
        "http://collector.invalid/cb",
        "https://collector.invalid/cb#frag",
        "http://127.0.0.1.collector.invalid/cb",
    ],
)
async def test_a_redirect_uri_that_is_not_https_or_loopback_is_refused_at_registration(
    server: Served, redirect: str
) -> None:
    async with httpx2.AsyncClient(timeout=30) as http:
        body = {"redirect_uris": [APP_REDIRECT, redirect], "token_endpoint_auth_method": "none"}
        answer = await http.post(server.url + "/register", json=body)
        assert answer.status_code == 400, answer.text
        assert answer.json()["error"] in ("invalid_redirect_uri", "invalid_client_metadata")


async def test_https_and_loopback_redirect_uris_are_registered(server: Served) -> None:
    async with httpx2.AsyncClient(timeout=30) as http:
        for redirect in ("https://app.example/cb", "http://localhost:7/cb", "http://[::1]:7/cb", APP_REDIRECT):
            await register(http, server.url, redirect, "Desk")


@pytest.mark.slow
async def test_an_unused_registration_expires_and_one_with_tokens_is_kept(fresh_sandbox: Any, tmp_path: Any) -> None:
    served = shared_server(fresh_sandbox.url, tmp_path, GOOGLE_MCP_UNUSED_CLIENT_TTL="4")
    url = served.url
    try:
        async with httpx2.AsyncClient(timeout=30) as http:
            unused = await register(http, url, APP_REDIRECT, "Left over")
            used, _, _, tokens = await tokens_for(http, url, ALEX)
            _, challenge = pkce()
            with anyio.fail_after(20):
                while True:  # a bounded wait for the unused one to go
                    answer = await http.get(authorize_link(url, unused["client_id"], APP_REDIRECT, challenge))
                    if answer.status_code == 400:
                        break
                    await anyio.sleep(0.5)
            assert "not found" in answer.text
            assert (await http.get(authorize_link(url, used["client_id"], APP_REDIRECT, challenge))).status_code == 302
            assert (await refresh(http, url, used["client_id"], tokens["refresh_token"])).status_code == 200
    finally:
        served.stop()


async def test_client_secret_basic_needs_no_client_id_in_the_form(server: Served) -> None:
    url = server.url
    async with httpx2.AsyncClient(timeout=30) as http:
        client = await register(http, url, APP_REDIRECT, "Vault", token_endpoint_auth_method="client_secret_basic")
        verifier, challenge = pkce()
        async with httpx2.AsyncClient(timeout=30) as browser:
            walked = await walk(browser, authorize_link(url, client["client_id"], APP_REDIRECT, challenge), ALEX)
        assert walked.code is not None
        basic = base64.b64encode(f"{client['client_id']}:{client['client_secret']}".encode()).decode()
        form = {"grant_type": "authorization_code", "code": walked.code, "code_verifier": verifier}
        form["redirect_uri"] = APP_REDIRECT
        wrong = base64.b64encode(f"{client['client_id']}:not-the-secret".encode()).decode()
        refused = await http.post(url + "/token", data=form, headers={"Authorization": f"Basic {wrong}"})
        assert refused.status_code == 401
        answer = await http.post(url + "/token", data=form, headers={"Authorization": f"Basic {basic}"})
        assert answer.status_code == 200, answer.text
        assert await works(http, url, answer.json()["access_token"])


# 4. the people tests, stronger ----------------------------------------------------------------------


async def test_a_sign_in_is_refused_in_a_browser_holding_a_different_login_cookie(server: Served) -> None:
    url = server.url
    async with httpx2.AsyncClient(timeout=30) as attacker, httpx2.AsyncClient(timeout=30) as victim:
        to_google = await attacker.get(url + "/login?next=/accounts")
        consent = await attacker.get(to_google.headers["location"] + "&" + urlencode({"login_hint": JORDAN}))
        callback = consent.headers["location"]
        await victim.get(url + "/login?next=/accounts")  # the victim's own sign-in, begun: a cookie of its own
        assert victim.cookies.get("google_mcp_login", path="/oauth/") not in (
            None,
            attacker.cookies["google_mcp_login"],
        )
        lured = await victim.get(callback)
        assert lured.status_code == 400 and "another browser" in lured.text
        assert "google_mcp_session" not in victim.cookies


def cookie_flags(answer: httpx2.Response, name: str) -> set[str]:
    for header in answer.headers.get_list("set-cookie"):
        if header.startswith(name + "="):
            return {p.strip().lower() for p in header.split(";")[1:]}
    raise AssertionError(f"no {name} cookie set: {answer.headers}")


@pytest.mark.slow
async def test_our_cookies_are_httponly_lax_and_secure_when_the_public_address_is_https(
    server: Served, fresh_sandbox: Any, tmp_path: Any
) -> None:
    async with httpx2.AsyncClient(timeout=30) as http:
        client = await register(http, server.url, APP_REDIRECT, "Desk")
        _, challenge = pkce()
        begin = await http.get(authorize_link(server.url, client["client_id"], APP_REDIRECT, challenge))
        to_google = await http.get(begin.headers["location"])
        assert {"httponly", "samesite=lax", "path=/oauth/"} <= cookie_flags(to_google, "google_mcp_login")
        assert "secure" not in cookie_flags(to_google, "google_mcp_login")  # plain http on loopback
        walked = await walk(http, server.url + "/login?next=/accounts", ALEX)
        assert walked.end is not None and walked.end.status_code == 200
    port = free_port()
    secure = Served.http(
        fresh_sandbox.url,
        port,
        GOOGLE_MCP_OAUTH="true",
        GOOGLE_MCP_PUBLIC_URL=f"https://127.0.0.1:{port}",  # behind a TLS proxy; we speak http to it here
        GOOGLE_MCP_TOKEN_FILE=str(tmp_path / "token.json"),
        GOOGLE_MCP_PEOPLE_FILE=str(tmp_path / "people.sqlite3"),
    )
    plain = f"http://127.0.0.1:{port}"
    try:
        async with httpx2.AsyncClient(timeout=30) as http:
            login = await http.get(plain + "/login?next=/accounts")
            assert {"httponly", "samesite=lax", "secure"} <= cookie_flags(login, "google_mcp_login")
            browser = login.headers["set-cookie"].split(";")[0]
            back = await http.get(login.headers["location"] + "&" + urlencode({"login_hint": ALEX}))
            callback = back.headers["location"].replace(f"https://127.0.0.1:{port}", plain)
            session = await http.get(callback, headers={"Cookie": browser})
            assert session.status_code == 302, session.text
            assert {"httponly", "samesite=lax", "secure", "path=/"} <= cookie_flags(session, "google_mcp_session")
            client = await register(http, plain, APP_REDIRECT, "Desk")
            _, challenge = pkce()
            begin = await http.get(authorize_link(plain, client["client_id"], APP_REDIRECT, challenge))
            begun = await http.get(begin.headers["location"].replace(f"https://127.0.0.1:{port}", plain))
            assert {"httponly", "samesite=lax", "secure"} <= cookie_flags(begun, "google_mcp_login")
    finally:
        secure.stop()


@pytest.mark.slow
async def test_the_stored_grants_are_unreadable_without_the_key(fresh_sandbox: Any, tmp_path: Any) -> None:
    from cryptography.fernet import Fernet, InvalidToken

    served = shared_server(fresh_sandbox.url, tmp_path)
    try:
        browser = Browser(JORDAN)
        async with signed_in(served.url, browser) as jordan:
            await call(jordan, "gmail_list_labels")
    finally:
        served.stop()
    google = [t for t, g in fresh_sandbox.sandbox.oauth.refresh_tokens.items() if g.account == JORDAN]
    assert google
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("people.sqlite3*"))
    assert stored  # the store is there, and holds none of these in clear:
    assert browser.storage is not None and browser.storage.tokens is not None
    ours = [browser.storage.tokens.access_token, str(browser.storage.tokens.refresh_token)]
    for secret in [*google, *ours]:
        assert secret.encode() not in stored
    with sqlite3.connect(tmp_path / "people.sqlite3") as db:
        (value,) = db.execute("SELECT v FROM kv WHERE k LIKE 'grant:%'").fetchone()
    import json

    sealed = next(iter(json.loads(value)["accounts"].values()))["token"].encode()
    with pytest.raises(InvalidToken):
        Fernet(Fernet.generate_key()).decrypt(sealed)
    key = json.loads((tmp_path / "people.key").read_text())["key"].encode()
    assert Fernet(key).decrypt(sealed).decode() in google  # and with the key, it is the grant


@pytest.mark.slow
async def test_an_id_token_for_another_application_signs_nobody_in(fresh_sandbox: Any, tmp_path: Any) -> None:
    served = shared_server(fresh_sandbox.url, tmp_path)
    try:
        control(fresh_sandbox.url, "/_sandbox/id-token", {"aud": "another-app.apps.googleusercontent.com"})
        async with httpx2.AsyncClient(timeout=30) as http:
            client = await register(http, served.url, APP_REDIRECT, "Desk")
            _, challenge = pkce()
            walked = await walk(http, authorize_link(served.url, client["client_id"], APP_REDIRECT, challenge), ALEX)
        assert walked.end is not None and walked.end.status_code == 400
        assert "another application" in walked.end.text and walked.left_to is None
        assert grant_rows(tmp_path / "people.sqlite3") == 0
    finally:
        control(fresh_sandbox.url, "/_sandbox/id-token", {})
        served.stop()


async def test_signed_in_clients_each_ask_once_per_person(server: Served) -> None:
    """The SDK's own client: the first sign-in shows the consent page, the refresh needs none."""
    browser = Browser(ALEX)
    async with signed_in(server.url, browser) as alex:
        await call(alex, "gmail_list_labels")
    assert browser.visits == 1 and browser.consents == 1


async def test_a_remembered_decision_covers_only_the_redirect_uri_allowed(server: Served) -> None:
    other = "http://127.0.0.1:9/elsewhere"
    async with httpx2.AsyncClient(timeout=30) as http:
        client = await register(http, server.url, APP_REDIRECT, "Desk", redirect_uris=[APP_REDIRECT, other])
        _, challenge = pkce()
        allowed = await walk(http, authorize_link(server.url, client["client_id"], APP_REDIRECT, challenge), JORDAN)
        assert allowed.consent is not None and allowed.code is not None
        asked = await walk(
            http, authorize_link(server.url, client["client_id"], other, challenge), JORDAN, decision=None
        )
        assert asked.consent is not None and asked.left_to is None
        assert "/elsewhere" in asked.consent.text


@pytest.mark.slow
async def test_a_metadata_document_with_a_redirect_uri_off_https_is_refused(fresh_sandbox: Any, tmp_path: Any) -> None:
    from test_people import DocumentHost

    docs = DocumentHost(tmp_path)
    for name, redirect in (("good", "https://app.example/cb"), ("plain", "http://collector.invalid/cb")):
        docs.documents[f"/clients/{name}.json"] = {
            "client_id": f"{docs.url}/clients/{name}.json",
            "client_name": name,
            "redirect_uris": [redirect],
            "token_endpoint_auth_method": "none",
        }
    served = shared_server(
        fresh_sandbox.url, tmp_path, GOOGLE_MCP_CIMD_ALLOW_PRIVATE="true", SSL_CERT_FILE=str(docs.cert)
    )
    try:
        async with httpx2.AsyncClient(timeout=30) as http:
            _, challenge = pkce()
            good = await http.get(
                authorize_link(served.url, docs.url + "/clients/good.json", "https://app.example/cb", challenge)
            )
            assert good.status_code == 302 and "/oauth/begin?" in good.headers["location"]
            plain = await http.get(
                authorize_link(served.url, docs.url + "/clients/plain.json", "http://collector.invalid/cb", challenge)
            )
            assert plain.status_code == 400 and "location" not in plain.headers
    finally:
        served.stop()
        docs.close()


@pytest.mark.slow
async def test_a_dripping_metadata_document_holds_authorize_no_longer_than_its_deadline(
    fresh_sandbox: Any, tmp_path: Any
) -> None:
    """A stranger's document that arrives a byte at a time (valid in the end, minutes later) is given up on
    at GOOGLE_MCP_CIMD_TIMEOUT for the whole fetch, not at the HTTP timeout (30 s) per read."""
    from test_people import DocumentHost

    docs = DocumentHost(tmp_path)
    docs.documents["/clients/slow.json"] = {
        "client_id": f"{docs.url}/clients/slow.json",
        "client_name": "slow",
        "redirect_uris": ["https://app.example/cb"],
        "token_endpoint_auth_method": "none",
    }
    docs.dripping.add("/clients/slow.json")
    served = shared_server(
        fresh_sandbox.url,
        tmp_path,
        GOOGLE_MCP_CIMD_ALLOW_PRIVATE="true",
        GOOGLE_MCP_CIMD_TIMEOUT="1",
        SSL_CERT_FILE=str(docs.cert),
    )
    try:
        async with httpx2.AsyncClient(timeout=60) as http:
            _, challenge = pkce()
            link = authorize_link(served.url, docs.url + "/clients/slow.json", "https://app.example/cb", challenge)
            with anyio.fail_after(10):
                refused = await http.get(link)
            assert refused.status_code == 400 and "location" not in refused.headers
    finally:
        served.stop()
        docs.close()
