"""Many people on one server, their channels and files: Slack and SMS run on the operator's bot token and
Twilio account, so only the named operators reach them (every way in: the tools, the router, a held
action confirmed later); each person attaches from and downloads to folders of their own, never the server
account's home nor another person's folder, unless the operator opens the server's disk."""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from gemini_standin import GeminiStandIn, function_responses, last_user_text, text
from gemini_standin import call as gemini_call
from helpers import control
from mcp_helpers import call, fails
from redis_server import free_port
from served import Served
from tcp_proxy import TcpProxy
from test_people import ALEX, JORDAN, Browser, browse, shared_server, signed_in

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

NOT_AN_OPERATOR = "only the operators this server names may use it"
SECRET = b"the operator's own notes: not for anyone else"


class Channels:
    """The Slack and Twilio emulators behind proxies that note every request the server makes to them."""

    def __init__(self, emulator: Any) -> None:
        self.emulator = emulator
        self.slack = TcpProxy.to(emulator.slack_url.removesuffix("/api/"))
        self.twilio = TcpProxy.to(emulator.twilio_url)

    def env(self, operators: str | None) -> dict[str, str]:
        settings = self.emulator.settings()
        env = {
            "GOOGLE_MCP_SLACK_TOKEN": settings["slack_token"],
            "GOOGLE_MCP_SLACK_BASE_URL": self.slack.url + "/api/",
            "GOOGLE_MCP_TWILIO_ACCOUNT_SID": settings["twilio_account_sid"],
            "GOOGLE_MCP_TWILIO_AUTH_TOKEN": settings["twilio_auth_token"],
            "GOOGLE_MCP_TWILIO_FROM": settings["twilio_from"],
            "GOOGLE_MCP_TWILIO_BASE_URL": self.twilio.url,
        }
        if operators is not None:
            env["GOOGLE_MCP_CHANNEL_OPERATORS"] = operators
        return env

    def seen(self) -> list[str]:
        return [f"slack {s.method} {s.path}" for s in self.slack.seen] + [
            f"twilio {s.method} {s.path}" for s in self.twilio.seen
        ]

    def close(self) -> None:
        self.slack.stop()
        self.twilio.stop()


@pytest.fixture
def channels(emulator: Any) -> Iterator[Channels]:
    made = Channels(emulator)
    yield made
    made.close()


def posted(emulator: Any, words: str) -> bool:
    return any(words in m.get("text", "") for m in emulator.posts("general"))


def router_script(body: dict[str, Any], n: int) -> Any:
    """Gemini as the stand-in plays it: the tool the person names (with its arguments), then a sentence."""
    if function_responses(body):
        return text("Done what I could.")
    asked = last_user_text(body)
    if asked.startswith("post"):
        return gemini_call("slack_post_message", {"channel": "#general", "text": "Routed post from the router"})
    if asked.startswith("texts"):
        return gemini_call("sms_list_messages", {"limit": 5})
    return gemini_call("slack_read_channel", {"channel": "#general", "limit": 5})


async def test_only_a_named_operator_reaches_slack_and_sms_on_a_shared_server(
    fresh_sandbox: Any, tmp_path: Any, channels: Channels
) -> None:
    emulator = channels.emulator
    with GeminiStandIn(router_script) as gemini:
        server = shared_server(
            fresh_sandbox.url,
            tmp_path,
            GOOGLE_MCP_GEMINI_API_KEY="test-key",
            GOOGLE_MCP_GEMINI_BASE_URL=gemini.url,
            **channels.env(ALEX.upper()),  # named as the operator wrote it; compared as Google gives it
        )
        try:
            jordan_browser = Browser(JORDAN)
            async with signed_in(server.url, Browser(ALEX)) as alex, signed_in(server.url, jordan_browser) as jordan:
                # Jordan is not an operator: every Slack and SMS call is refused, reads and writes alike
                for tool, args in [
                    ("sms_list_messages", {}),
                    ("sms_send", {"to": "+14155550123", "text": "hello from Jordan"}),
                    ("slack_list_channels", {}),
                    ("slack_read_channel", {"channel": "#general"}),
                    ("slack_find_user", {"query": "a"}),
                    ("slack_post_message", {"channel": "#general", "text": "Jordan posts as the bot"}),
                ]:
                    refused = await fails(jordan, tool, args)
                    assert NOT_AN_OPERATOR in refused and "GOOGLE_MCP_CHANNEL_OPERATORS" in refused, tool
                assert (await call(jordan, "list_pending_actions"))["actions"] == []
                # and through the router (/chat): the routed call is refused the same way
                async with httpx2.AsyncClient(timeout=30) as http:
                    for ask in ("read #general", "post to #general", "texts please"):
                        answer = await http.post(
                            server.url + "/chat",
                            json={"user_id": "ignored", "message": ask},
                            headers={"Authorization": f"Bearer {jordan_browser.token}"},
                        )
                        assert answer.status_code == 200, answer.text
                        assert answer.json().get("pending_actions", []) == [], answer.text
                routed = [r for req in gemini.requests for r in function_responses(req["body"])]
                assert len(routed) == 3 and all(NOT_AN_OPERATOR in str(r) for r in routed), routed
                # nothing reached Slack or Twilio on Jordan's behalf (each refusal came before any request;
                # Alex's calls below go through the same proxies, so a request would have been seen)
                assert channels.seen() == []
                assert not posted(emulator, "Jordan posts as the bot")

                # Alex is the operator: reads, and a post once confirmed
                listed = await call(alex, "sms_list_messages", {})
                assert isinstance(listed["messages"], list)
                read = await call(alex, "slack_read_channel", {"channel": "#general", "limit": 5})
                assert any("Standup note" in m["text"] for m in read["messages"])
                held = await call(alex, "slack_post_message", {"channel": "#general", "text": "Alex posts as the bot"})
                assert held["status"] == "confirmation_required"
                done = await call(alex, "confirm_action", {"confirmation_id": held["confirmation_id"]})
                assert done["status"] == "done", done
                assert posted(emulator, "Alex posts as the bot")
                seen = channels.seen()
                assert any(s.startswith("twilio GET") for s in seen) and any("chat.postMessage" in s for s in seen)
        finally:
            server.stop()


async def test_a_held_post_is_refused_when_its_person_is_no_longer_an_operator(
    fresh_sandbox: Any, tmp_path: Any, redis_url: str, channels: Channels
) -> None:
    """Two processes share Redis (pending actions and sign-ins): one still names Jordan an operator, the other
    no longer. Jordan's post held on the first is not run when confirmed on the second."""
    port = free_port()
    common = {
        "GOOGLE_MCP_OAUTH": "true",
        "GOOGLE_MCP_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "GOOGLE_MCP_REDIS_URL": redis_url,
        "GOOGLE_MCP_PEOPLE_KEY": "r8cJ4tN0a6qj7k0l3Xh2cJ1n9Yp5Ww8Zs4Vb6Qe2Tf0=",
        "GOOGLE_MCP_PEOPLE_FILE": str(tmp_path / "people.sqlite3"),
    }
    before = Served.http(
        fresh_sandbox.url,
        port,
        GOOGLE_MCP_TOKEN_FILE=str(tmp_path / "a.json"),
        **common,
        **channels.env(f"{ALEX},{JORDAN}"),
    )
    after = Served.http(
        fresh_sandbox.url, GOOGLE_MCP_TOKEN_FILE=str(tmp_path / "b.json"), **common, **channels.env(ALEX)
    )
    try:
        browser = Browser(JORDAN)
        async with signed_in(before.url, browser) as jordan:
            words = f"Jordan's held post {os.getpid()}"
            held = await call(jordan, "slack_post_message", {"channel": "#general", "text": words})
            assert held["status"] == "confirmation_required"
        previewed = len(channels.seen())
        headers = {"Authorization": f"Bearer {browser.token}"}
        async with httpx2.AsyncClient(headers=headers, timeout=30) as http:
            async with Client(streamable_http_client(after.url + "/mcp", http_client=http), mode="legacy") as other:  # type: ignore[arg-type]
                outcome = await call(other, "confirm_action", {"confirmation_id": held["confirmation_id"]})
                assert outcome["status"] == "failed" and NOT_AN_OPERATOR in outcome["message"], outcome
                again = await call(other, "confirm_action", {"confirmation_id": held["confirmation_id"]})
                assert again["status"] == "failed"  # settled: not tried again
        assert len(channels.seen()) == previewed  # the confirmation sent nothing to Slack
        assert not any("chat.postMessage" in s for s in channels.seen())
        assert not posted(channels.emulator, words)
    finally:
        after.stop()
        before.stop()


async def approve_on_the_page(url: str, cid: str, account: str) -> httpx2.Response:
    """The person opens the approval link in their browser, signs in with Google there, and clicks Approve."""
    async with httpx2.AsyncClient(timeout=30) as web:
        page = await browse(web, url, f"/approve/{cid}", [account])
        assert page.status_code == 200, page.text
        found = re.search(r'name=csrf value="([^"]+)"', page.text)
        assert found, page.text
        return await web.post(f"{url}/approve/{cid}", data={"decision": "approve", "csrf": found.group(1)})


async def test_what_is_approved_on_the_approval_page_runs_as_the_person_who_approves(
    fresh_sandbox: Any, tmp_path: Any, channels: Channels
) -> None:
    """An operator's held post runs when they approve it on the page (they are recognised there as on their
    client), and a person's mail approved there goes from their own Google account, not the server's."""
    server = shared_server(fresh_sandbox.url, tmp_path, **channels.env(ALEX))
    words = f"Approved on the page {os.getpid()}"
    try:
        async with signed_in(server.url, Browser(ALEX)) as alex, signed_in(server.url, Browser(JORDAN)) as jordan:
            post = await call(alex, "slack_post_message", {"channel": "#general", "text": words})
            mail = await call(jordan, "gmail_send", {**MAIL, "subject": "Approved by Jordan"})
        done = await approve_on_the_page(server.url, post["confirmation_id"], ALEX)
        assert done.status_code == 200 and "<title>Done</title>" in done.text, done.text
        assert posted(channels.emulator, words)
        sent = await approve_on_the_page(server.url, mail["confirmation_id"], JORDAN)
        assert sent.status_code == 200 and "<title>Done</title>" in sent.text, sent.text
        accounts = fresh_sandbox.sandbox.accounts

        def sent_by(who: str) -> bool:
            return any(
                "SENT" in m.labels and b"Approved by Jordan" in m.raw for m in accounts[who].mailbox.messages.values()
            )

        assert sent_by(JORDAN) and not sent_by(ALEX)
    finally:
        server.stop()


def downloaded(saved: dict[str, Any]) -> Path:
    return Path(saved["path"])


async def agenda(client: Client) -> dict[str, Any]:
    """Alex saves the offsite agenda attached to a mail in their inbox."""
    hit = await call(client, "gmail_search", {"query": "filename:agenda.txt", "max_results": 1})
    return await call(
        client, "gmail_get_attachment", {"message_id": hit["messages"][0]["id"], "attachment_id": "agenda.txt"}
    )


def sends(sandbox_url: str) -> int:
    return sum(1 for r in control(sandbox_url, "/_sandbox/requests")["requests"] if r["path"].endswith("/send"))


MAIL = {"to": ["dana.whitfield@example.com"], "subject": "Files", "body_text": "Attached."}


async def test_each_person_attaches_only_from_their_own_folders_on_a_shared_server(
    fresh_sandbox: Any, tmp_path: Any, channels: Channels
) -> None:
    home = tmp_path / "operator-home"  # the server account's home: the single-person default root
    home.mkdir()
    (home / "notes.txt").write_bytes(SECRET)
    data = tmp_path / "data"
    server = shared_server(
        fresh_sandbox.url,
        data,
        HOME=str(home),
        GOOGLE_MCP_PEOPLE_FILE=str(data / "people.sqlite3"),
        **channels.env(None),  # Slack and SMS set up, but no operator named
    )
    try:
        async with signed_in(server.url, Browser(ALEX)) as alex, signed_in(server.url, Browser(JORDAN)) as jordan:
            # no operator: the operator's bot and number are not offered to anyone
            names = {t.name for t in (await jordan.list_tools()).tools}
            assert "gmail_send" in names and not {n for n in names if n.startswith(("slack_", "sms_"))}

            # the server account's home is nobody's attachment folder here
            for who in (jordan, alex):
                refused = await fails(who, "gmail_send", {**MAIL, "attachments": [str(home / "notes.txt")]})
                assert "outside the folders" in refused and "GOOGLE_MCP_SERVER_FILES" in refused
            assert sends(fresh_sandbox.url) == 0 and (await call(jordan, "list_pending_actions"))["actions"] == []

            # Alex's download lands in Alex's own folder, private, under the data folder
            path = downloaded(await agenda(alex))
            people = data / "people"
            assert path.is_relative_to(people) and path.read_bytes().startswith(b"09:00 Roadmap")
            mine = people / path.relative_to(people).parts[0]
            for folder in (people, mine, mine / "downloads", mine / "files"):
                assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
            assert path.is_relative_to(mine / "downloads")

            # Jordan cannot attach it by its path; Alex can
            refused = await fails(jordan, "gmail_send", {**MAIL, "attachments": [str(path)]})
            assert "outside the folders" in refused
            held = await call(alex, "gmail_send", {**MAIL, "attachments": [str(path)]})
            assert held["status"] == "confirmation_required"
            assert any("agenda.txt" in d for d in held["preview"]["details"])
            # Jordan's folder is apart from Alex's (made when Jordan's mail was first used)
            assert len([p for p in people.iterdir() if p.is_dir()]) == 2
        assert sends(fresh_sandbox.url) == 0
        assert not path.is_relative_to("/tmp/google-mcp-test-downloads")  # not the operator's download folder
    finally:
        server.stop()


async def test_with_server_files_on_the_operators_roots_open_but_never_another_persons_folder(
    fresh_sandbox: Any, tmp_path: Any
) -> None:
    shared_folder = tmp_path / "shared"
    shared_folder.mkdir()
    (shared_folder / "handbook.txt").write_text("The team handbook.")
    server = shared_server(
        fresh_sandbox.url,
        tmp_path,
        GOOGLE_MCP_SERVER_FILES="true",
        GOOGLE_MCP_ATTACHMENT_ROOTS=str(tmp_path),  # the data folder is under it: people's folders too
    )
    try:
        async with signed_in(server.url, Browser(ALEX)) as alex, signed_in(server.url, Browser(JORDAN)) as jordan:
            held = await call(jordan, "gmail_send", {**MAIL, "attachments": [str(shared_folder / "handbook.txt")]})
            assert held["status"] == "confirmation_required"
            assert any("handbook.txt" in d for d in held["preview"]["details"])
            path = downloaded(await agenda(alex))
            assert path.is_relative_to(tmp_path / "people")
            refused = await fails(jordan, "gmail_send", {**MAIL, "attachments": [str(path)]})
            assert "outside the folders" in refused
            assert (await call(alex, "gmail_send", {**MAIL, "attachments": [str(path)]}))["status"] == (
                "confirmation_required"
            )
        assert sends(fresh_sandbox.url) == 0
    finally:
        server.stop()


def test_doctor_says_who_may_use_slack_and_sms_and_where_files_come_from(tmp_path: Any) -> None:
    from google_mcp.doctor import checks
    from google_mcp.settings import Settings

    def doctor(**values: Any) -> str:
        settings = Settings(
            _env_file=None,
            log="off",
            token_file=tmp_path / "none.json",
            people_file=tmp_path / "people.sqlite3",
            public_url="https://mcp.example.com",
            **values,
        )
        return "\n".join(line for _, line in checks(settings))

    off = doctor(oauth=True)
    assert "Slack and SMS: off for everyone on this shared server" in off
    assert f"their own folder under {tmp_path / 'people'}" in off and "GOOGLE_MCP_SERVER_FILES is off" in off
    named = doctor(oauth=True, channel_operators=f"{ALEX}, Ops@Example.com")
    assert f"Slack and SMS: only for the operators {ALEX}, ops@example.com" in named
    opened = doctor(oauth=True, server_files=True, attachment_roots=[tmp_path])
    assert f"GOOGLE_MCP_SERVER_FILES also opens {tmp_path}" in opened
    single = doctor(sandbox_url="http://127.0.0.1:9")
    assert "Slack and SMS:" not in single and "Files:" not in single
