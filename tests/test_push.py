"""Google's pushes become resource updates, end to end over real processes: the sandbox delivers a Gmail
push (an OIDC token it signed, as Pub/Sub does) or a calendar channel notification to /hooks/*, the
server reads what changed, and subscribed clients of both protocol eras are told — also when the push
lands on another process than the client's (two servers sharing Redis), and through the polling fallback.
Forged, replayed and bursting pushes change nothing they should not."""

from __future__ import annotations

import base64
import json
import time
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from email.message import EmailMessage
from functools import partial
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.client.sse import sse_client
from mcp.client.streamable_http import streamable_http_client

from google_mcp.sandbox.pushsign import PushSigner
from google_mcp.server import build_server
from helpers import calendar, control, gmail
from mcp_helpers import Person, call, connect, polled
from redis_server import free_port
from served import Served
from served import doctor as report

pytestmark = pytest.mark.anyio


def deliver(url: str, subject: str, push: bool = True) -> str:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "dana.whitfield@example.com", "alex.morgan@example.com", subject
    msg.set_content("New numbers attached.")
    raw = base64.urlsafe_b64encode(msg.as_bytes()).decode()
    body = {"raw": raw, "labelIds": ["INBOX", "UNREAD"]}
    return str(gmail(url).users().messages().insert(userId="me", body=body).execute()["id"])


def history_reads(url: str) -> int:
    return sum(1 for r in control(url, "/_sandbox/requests")["requests"] if r["path"].endswith("/history"))


def pushing(sandbox_url: str, server_url: str, **extra: str) -> dict[str, str]:
    """The Pub/Sub push subscription (outside the server): deliver to its /hooks/gmail."""
    return dict(control(sandbox_url, "/_sandbox/push-endpoint", {"url": server_url + "/hooks/gmail", **extra}))


def watching(tmp_path: Any, sandbox_url: str, port: int, **env: str) -> Served:
    """A server Google can push to, with both watches opened at start-up."""
    public = f"http://127.0.0.1:{port}"
    pushing(sandbox_url, public)
    server = Served.http(
        sandbox_url,
        port,
        GOOGLE_MCP_TOKEN_FILE=str(tmp_path / f"token{port}.json"),
        GOOGLE_MCP_PUBLIC_URL=public,
        GOOGLE_MCP_WATCH="gmail,calendar",
        **env,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:  # the watches are open once Google has seen them
        paths = [r["path"] for r in control(sandbox_url, "/_sandbox/requests")["requests"]]
        if any(p.endswith("/watch") and "/gmail/" in p for p in paths) and sum(
            1 for p in paths if p.endswith("/events/watch")
        ) >= len(calendar(sandbox_url).calendarList().list().execute()["items"]):
            break
        time.sleep(0.05)
    else:
        raise AssertionError("the watches did not open: " + "".join(server.lines))
    time.sleep(0.3)  # the first sync of each calendar: where changes start
    return server


@asynccontextmanager
async def session(url: str, mode: str, **kwargs: Any) -> AsyncIterator[Client]:
    async with httpx2.AsyncClient(timeout=30) as http:
        transport = streamable_http_client(url + "/mcp", http_client=http)
        async with Client(transport, mode=mode, **kwargs) as client:  # type: ignore[arg-type]
            yield client


class Told:
    """2025 `notifications/resources/updated`, as a message handler collects them."""

    def __init__(self) -> None:
        self.uris: list[tuple[float, str]] = []
        self.changed = anyio.Event()

    async def __call__(self, message: Any) -> None:
        root = getattr(message, "root", message)
        if getattr(root, "method", "") == "notifications/resources/updated":
            self.uris.append((time.monotonic(), str(root.params.uri)))
            self.changed.set()

    async def wait(self, uri: str, timeout: float = 5) -> float:
        with anyio.fail_after(timeout):
            while True:
                for at, seen in self.uris:
                    if seen == uri:
                        return at
                self.changed = anyio.Event()
                await self.changed.wait()


async def subscribe(client: Client, *uris: str) -> None:
    with warnings.catch_warnings():  # the 2025 call is deprecated in the 2026 SDK, and still served
        warnings.simplefilter("ignore")
        for uri in uris:
            await client.subscribe_resource(uri)


async def text(client: Client, uri: str) -> str:
    return str((await client.read_resource(uri)).contents[0].text)  # type: ignore[union-attr]


async def _both_eras_are_told(client_url: str, sandbox_url: str) -> None:
    told, over_sse = Told(), Told()
    async with (
        session(client_url, "legacy", message_handler=told) as old,
        session(client_url, "2026-07-28") as new,
        Client(sse_client(client_url + "/sse"), mode="legacy", message_handler=over_sse) as sse,  # type: ignore[arg-type]
    ):
        await subscribe(old, "gmail://inbox", "calendar://upcoming")
        await subscribe(sse, "gmail://inbox")
        async with new.listen(resource_subscriptions=["gmail://inbox", "calendar://upcoming"]) as stream:
            await anyio.sleep(0.2)
            deliver(sandbox_url, "Contract signed")
            # how fast is bench/realtime_latency.py's to measure (p99 about 150 ms); a test only bounds it
            with anyio.fail_after(10):
                async for update in stream:
                    assert update.uri == "gmail://inbox"
                    break
            await told.wait("gmail://inbox", timeout=10)
            await over_sse.wait("gmail://inbox", timeout=10)
            assert "Contract signed" in (await text(new, "gmail://inbox")).splitlines()[1]
            assert "added" in await text(old, "gmail://changes")

            event = calendar(sandbox_url).events().list(calendarId="primary", maxResults=1).execute()["items"][0]
            calendar(sandbox_url).events().patch(
                calendarId="primary", eventId=event["id"], body={"summary": "Moved by the client"}
            ).execute()
            with anyio.fail_after(10):
                async for update in stream:
                    assert update.uri == "calendar://upcoming"
                    break
            await told.wait("calendar://upcoming", timeout=10)
            assert [u for _, u in over_sse.uris] == ["gmail://inbox"]  # only what it subscribed to
            changes = await text(new, "calendar://changes")
            assert "Moved by the client" in changes and event["id"] in changes


async def test_pushes_reach_subscribers_of_both_eras(fresh_sandbox: Any, tmp_path: Any) -> None:
    url = fresh_sandbox.url
    server = watching(tmp_path, url, free_port())
    try:
        await _both_eras_are_told(server.url, url)
    finally:
        server.stop()
    pushes = control(url, "/_sandbox/pushes")["pushes"]
    assert {p["kind"] for p in pushes if p.get("status") in (200, 204)} == {"gmail", "calendar"}
    # on shutdown the process stops what it opened: Google pushes to no dead address
    assert fresh_sandbox.sandbox.mailbox.watch is None and fresh_sandbox.sandbox.calendar.channels == {}


async def test_a_push_to_another_process_reaches_this_ones_clients(
    fresh_sandbox: Any, tmp_path: Any, shared_redis_url: str
) -> None:
    url, redis_url = fresh_sandbox.url, shared_redis_url
    receiver = watching(tmp_path, url, free_port(), GOOGLE_MCP_REDIS_URL=redis_url)
    client_side = Served.http(url, GOOGLE_MCP_TOKEN_FILE=str(tmp_path / "a.json"), GOOGLE_MCP_REDIS_URL=redis_url)
    try:
        await _both_eras_are_told(client_side.url, url)
        pushed_to = {p["url"].rsplit("/hooks/", 1)[0] for p in control(url, "/_sandbox/pushes")["pushes"]}
        assert pushed_to == {receiver.url}  # every push landed on the other process
    finally:
        client_side.stop()
        receiver.stop()


async def test_the_polling_fallback_tells_both_eras(fresh_sandbox: Any, tmp_path: Any) -> None:
    url = fresh_sandbox.url
    server = Served.http(url, GOOGLE_MCP_TOKEN_FILE=str(tmp_path / "t.json"), GOOGLE_MCP_POLL_SECONDS="0.2")
    try:
        await polled(url)  # a first tick: where changes start
        await polled(url, path="/events$", query="syncToken")
        await _both_eras_are_told(server.url, url)
    finally:
        server.stop()
    assert control(url, "/_sandbox/pushes")["pushes"] == []


# forged, replayed, bursting ------------------------------------------------------------------------
def envelope(history_id: int, address: str = "alex.morgan@example.com") -> bytes:
    data = base64.b64encode(json.dumps({"emailAddress": address, "historyId": history_id}).encode()).decode()
    return json.dumps(
        {"message": {"data": data, "messageId": "1"}, "subscription": "projects/p/subscriptions/s"}
    ).encode()


async def test_forged_pushes_are_refused_and_change_nothing(fresh_sandbox: Any, tmp_path: Any) -> None:
    url, sb = fresh_sandbox.url, fresh_sandbox.sandbox
    server = watching(tmp_path, url, free_port(), GOOGLE_MCP_AUTH_TOKEN="s3cret-token")
    hook = server.url + "/hooks/gmail"
    try:
        control(url, "/_sandbox/push-endpoint", {"url": None})  # from here on, only what the test sends
        deliver(url, "Arrived while forging")
        now = int(gmail(url).users().getProfile(userId="me").execute()["historyId"])
        before = history_reads(url)
        stranger = PushSigner()
        same_kid = PushSigner(key_id=sb.signer.key_id)  # a key of its own under Google's key id
        forged = {
            "no token": {},
            "not a bearer": {"authorization": "Basic eDp5"},
            "garbage": {"authorization": "Bearer not.a.jwt"},
            "wrong audience": {"authorization": "Bearer " + sb.signer.token("https://elsewhere.example/hooks/gmail")},
            "wrong signer": {"authorization": "Bearer " + stranger.token(hook)},
            "wrong signer, Google's key id": {"authorization": "Bearer " + same_kid.token(hook)},
            "wrong account": {"authorization": "Bearer " + sb.signer.token(hook, "someone@evil.example")},
            "unverified email": {"authorization": "Bearer " + sb.signer.token(hook, email_verified=False)},
            "expired": {"authorization": "Bearer " + sb.signer.token(hook, exp=int(time.time()) - 3600)},
            "not Google's issuer": {"authorization": "Bearer " + sb.signer.token(hook, iss="https://evil.example")},
        }
        told = Told()
        async with _authed(server.url, told) as client:
            await subscribe(client, "gmail://inbox", "gmail://changes")
            async with httpx2.AsyncClient(timeout=10) as http:
                for why, headers in forged.items():
                    answer = await http.post(hook, content=envelope(now), headers=headers)
                    assert answer.status_code == 401, why
                good = {"authorization": "Bearer " + sb.signer.token(hook)}
                other = await http.post(hook, content=envelope(now, "someone.else@example.com"), headers=good)
                assert other.status_code == 404
                assert (await http.post(hook, content=b"{}", headers=good)).status_code == 400
                # the calendar hook: an unknown channel, and a known one with the wrong token
                channel = next(iter(sb.calendar.channels.values()))
                for headers, status in [
                    ({"X-Goog-Channel-ID": "made-up", "X-Goog-Channel-Token": "x"}, 404),
                    (
                        {
                            "X-Goog-Channel-ID": channel["id"],
                            "X-Goog-Channel-Token": "guessed",
                            "X-Goog-Resource-ID": channel["resourceId"],
                            "X-Goog-Resource-State": "exists",
                        },
                        401,
                    ),
                ]:
                    assert (await http.post(server.url + "/hooks/calendar", headers=headers)).status_code == status
                # the bearer token still guards everything else
                assert (await http.post(server.url + "/mcp", json={})).status_code == 401
                # a marker: a real push for a message after the forged ones; had a forged push been let
                # in, its read would have come first, and this one would be a second read and update
                assert history_reads(url) == before
                deliver(url, "Arrived after forging")
                last = int(gmail(url).users().getProfile(userId="me").execute()["historyId"])
                assert (await http.post(hook, content=envelope(last), headers=good)).status_code == 204
                await told.wait("gmail://inbox")
            seen = [u for _, u in told.uris]
            assert seen.count("gmail://inbox") == seen.count("gmail://changes") == 1  # one update: the marker's
        assert history_reads(url) == before + 1  # one read: the marker's
    finally:
        server.stop()


@asynccontextmanager
async def _authed(url: str, told: Told) -> AsyncIterator[Client]:
    async with httpx2.AsyncClient(timeout=30, headers={"Authorization": "Bearer s3cret-token"}) as http:
        transport = streamable_http_client(url + "/mcp", http_client=http)
        async with Client(transport, mode="legacy", message_handler=told) as client:  # type: ignore[arg-type]
            yield client


async def test_replays_and_a_burst_of_100_pushes_read_the_history_once_and_lose_nothing(
    fresh_sandbox: Any, tmp_path: Any, store_settings: dict[str, Any]
) -> None:
    url, sb = fresh_sandbox.url, fresh_sandbox.sandbox
    env = {"GOOGLE_MCP_REDIS_URL": store_settings["redis_url"]} if store_settings else {}
    server = watching(tmp_path, url, free_port(), **env)
    hook = server.url + "/hooks/gmail"
    try:
        told = Told()
        async with session(server.url, "legacy", message_handler=told) as client:
            await subscribe(client, "gmail://inbox")
            await text(client, "gmail://changes")  # this reader's place: now
            # one real push, as the sandbox sent it, recorded; then replayed five times
            deliver(url, "The first one")
            await told.wait("gmail://inbox")
            real = next(p for p in reversed(control(url, "/_sandbox/pushes")["pushes"]) if p["kind"] == "gmail")
            reads = history_reads(url)
            async with httpx2.AsyncClient(timeout=10) as http:
                for _ in range(5):
                    replayed = await http.post(hook, content=real["body"], headers=real["headers"])
                    assert replayed.status_code == 204
                await stays(partial(history_reads, url), reads)  # nothing read
                assert len(told.uris) == 1  # nothing published

                # a burst: 100 pushes for three new messages, all at once, in any order
                control(url, "/_sandbox/push-endpoint", {"url": None})
                ids = [deliver(url, f"Burst {n}") for n in range(3)]
                now = int(gmail(url).users().getProfile(userId="me").execute()["historyId"])
                good = {"authorization": "Bearer " + sb.signer.token(hook)}
                order = [now - (n % 3) for n in range(100)]
                control(url, "/_sandbox/latency", {"ms": 150})  # a slow Google: pushes keep arriving during the read
                async with anyio.create_task_group() as tg:
                    for history_id in order:
                        tg.start_soon(partial(http.post, hook, content=envelope(history_id), headers=good))
                        await anyio.sleep(0.002)
                await reaches(lambda: [u for _, u in told.uris].count("gmail://inbox"), 2)  # the burst's update
                await stays(partial(history_reads, url), reads + 1)  # one read for the whole burst
                control(url, "/_sandbox/latency", {"ms": 0})
            assert [u for _, u in told.uris].count("gmail://inbox") == 2  # one update for it
            changes = await text(client, "gmail://changes")
            for n, message_id in enumerate(ids):  # nothing lost
                assert message_id in changes and f"Burst {n}" in changes
            assert changes.startswith("4 change(s)") and "The first one" in changes, changes
    finally:
        server.stop()


# the watch tools, behind the gate; renewal on a clock the test moves ---------------------------------
DAY_MS = 24 * 3600 * 1000


def watch_requests(url: str) -> list[str]:
    return [
        r["path"]
        for r in control(url, "/_sandbox/requests")["requests"]
        if r["method"] == "POST" and r["path"].endswith(("/watch", "/stop", "/channels/stop"))
    ]


async def test_watches_pass_the_gate_and_are_renewed_before_they_lapse(fresh_sandbox: Any, make_settings: Any) -> None:
    url, sb = fresh_sandbox.url, fresh_sandbox.sandbox
    assert "gmail_watch" not in {t.name for t in await build_server(make_settings(url)).list_tools()}
    server = build_server(make_settings(url, public_url="http://127.0.0.1:9"))
    watches = server.state.extras["realtime"].watches
    async with Client(server, mode="legacy") as client:  # no one to ask: held, nothing reaches Google
        for tool in ("gmail_watch", "calendar_watch"):
            held = await call(client, tool)
            assert held["status"] == "confirmation_required" and held["preview"]
        assert "not being watched" in str((await client.call_tool("gmail_unwatch", {})).content[0].text)
    assert watch_requests(url) == []

    person = Person()
    async with Client(server, mode="legacy", elicitation_callback=person) as client:
        mail = await call(client, "gmail_watch")
        cal = await call(client, "calendar_watch", {"calendar_id": "primary"})
        assert mail["status"] == cal["status"] == "done"
        assert "projects/sandbox-project/topics/gmail" in person.asked[0]
        assert "http://127.0.0.1:9/hooks/calendar" in person.asked[1]
        assert sb.mailbox.watch is not None and len(sb.calendar.channels) == 1
        first = next(iter(sb.calendar.channels))
        lapses = min(int(sb.mailbox.watch["expiration"]), int(sb.calendar.channels[first]["expiration"]))

        assert await watches.renew_due(now_ms=lapses - 2 * DAY_MS) == []  # not yet
        assert len(watch_requests(url)) == 2
        renewed = await watches.renew_due(now_ms=lapses - 1000)  # within both margins
        assert sorted(renewed) == ["watch:cal:primary", "watch:gmail"]
        assert list(sb.calendar.channels) != [first] and len(sb.calendar.channels) == 1  # replaced, not doubled
        assert sum(p.endswith("/gmail/v1/users/me/watch") for p in watch_requests(url)) == 2
        assert await watches.renew_due(now_ms=lapses - 2 * DAY_MS) == []  # renewed: not due again

        person.approve = False  # stopping is a write too: the person says no
        for tool in ("gmail_unwatch", "calendar_unwatch"):
            assert (await call(client, tool))["status"] == "declined"
        assert sb.mailbox.watch is not None and len(sb.calendar.channels) == 1
        person.approve = True
        await call(client, "calendar_unwatch", {"calendar_id": "primary"})
        await call(client, "gmail_unwatch")
        assert sb.calendar.channels == {} and sb.mailbox.watch is None
        again = await client.call_tool("calendar_unwatch", {"calendar_id": "primary"})
        assert again.is_error and "not being watched" in str(again.content[0].text)


def test_doctor_says_which_real_time_mode_is_on_and_what_is_missing(tmp_path: Any) -> None:
    def doctor(**env: str) -> str:
        return report(GOOGLE_MCP_TOKEN_FILE=str(tmp_path / "none.json"), **env)

    assert "Real time: off (set GOOGLE_MCP_PUBLIC_URL" in doctor()
    assert "set GOOGLE_MCP_PUBLIC_URL too" in doctor(GOOGLE_MCP_WATCH="gmail")
    polling = doctor(GOOGLE_MCP_POLL_SECONDS="30")
    assert "polling Gmail and Calendar every 30 s" in polling and "Google does not push here" in polling
    plain = doctor(GOOGLE_MCP_PUBLIC_URL="http://mcp.example.com")
    assert "only pushes to https://" in plain and "GOOGLE_MCP_PUBSUB_TOPIC" in plain
    assert "GOOGLE_MCP_PUSH_SERVICE_ACCOUNT" in plain
    ready = doctor(
        GOOGLE_MCP_PUBLIC_URL="https://mcp.example.com",
        GOOGLE_MCP_PUBSUB_TOPIC="projects/p/topics/gmail",
        GOOGLE_MCP_PUSH_SERVICE_ACCOUNT="push@p.iam.gserviceaccount.com",
        GOOGLE_MCP_WATCH="gmail,calendar",
    )
    assert "Google pushes to https://mcp.example.com/hooks/*, updates in this process" in ready
    assert "opened at start-up: gmail, calendar" in ready and "PUBSUB_TOPIC" not in ready


async def test_a_stale_history_id_or_sync_token_reads_afresh_and_says_so(
    fresh_sandbox: Any, make_settings: Any
) -> None:
    url = fresh_sandbox.url
    async with connect(make_settings(url, poll_seconds=0.2), "2026-07-28") as client:
        async with client.listen(resource_subscriptions=["gmail://changes", "calendar://changes"]) as stream:
            await polled(url)  # where changes start
            await polled(url, path="/events$", query="syncToken")
            event = calendar(url).events().list(calendarId="primary", maxResults=1).execute()["items"][0]
            # Google no longer keeps the stored history id (404) nor honours the sync token (410)
            control(url, "/_sandbox/faults", {"method": "GET", "path_regex": "/history$", "status": 404})
            control(
                url,
                "/_sandbox/faults",
                {"method": "GET", "path_regex": "alex.morgan(@|%40)example.com/events$", "status": 410},
            )
            deliver(url, "While the history was lost")
            calendar(url).events().patch(calendarId="primary", eventId=event["id"], body={"summary": "X"}).execute()
            seen: set[str] = set()
            with anyio.fail_after(5):
                async for update in stream:
                    seen.add(update.uri)
                    if seen == {"gmail://changes", "calendar://changes"}:
                        break
        assert "re-read gmail://inbox" in await text(client, "gmail://changes")
        assert "alex.morgan@example.com: too much changed to list: re-read calendar://upcoming" in await text(
            client, "calendar://changes"
        )
        # and from there, changes are listed again
        deliver(url, "After the resync")
        with anyio.fail_after(5):
            while "After the resync" not in await text(client, "gmail://changes"):
                await anyio.sleep(0.05)


async def test_a_watch_the_closing_process_stops_is_reopened_by_one_that_wants_it(
    fresh_sandbox: Any, tmp_path: Any, redis_url: str
) -> None:
    """Two processes with GOOGLE_MCP_WATCH share Redis: the first opens the watches, the second leaves them;
    when the first shuts down (and stops them, as it should), the second opens them again, to itself. A
    watch the person stopped with *_unwatch stays stopped."""
    url, sb = fresh_sandbox.url, fresh_sandbox.sandbox
    quick = {"GOOGLE_MCP_REDIS_URL": redis_url, "GOOGLE_MCP_WATCH_RENEW_SECONDS": "0.3"}
    first = watching(tmp_path, url, free_port(), **quick)
    opened = len(watch_requests(url))
    port = free_port()
    second = Served.http(
        url,
        port,
        GOOGLE_MCP_TOKEN_FILE=str(tmp_path / "second.json"),
        GOOGLE_MCP_PUBLIC_URL=f"http://127.0.0.1:{port}",
        GOOGLE_MCP_WATCH="gmail,calendar",
        **quick,
    )
    try:
        # open already: the second leaves them be (it looks every 0.3 s; a poll that would see it open one)
        await stays(lambda: len(watch_requests(url)), opened, polls=20)
        first.stop()
        with anyio.fail_after(10):
            while sb.mailbox.watch is None or not any(
                c["address"].startswith(second.url) for c in sb.calendar.channels.values()
            ):
                await anyio.sleep(0.1)
        async with session(second.url, "legacy", elicitation_callback=Person()) as client:
            assert (await call(client, "gmail_unwatch"))["status"] == "done"
        await stays(lambda: int(sb.mailbox.watch is None), 1, polls=20)  # the person's word stands
    finally:
        second.stop()
        if first.proc.poll() is None:
            first.stop()


# replays: what a captured push costs -----------------------------------------------------------------
def calendar_reads(url: str) -> int:
    """The sync reads of a calendar (events.list with a sync token) the sandbox has served."""
    return sum(
        1
        for r in control(url, "/_sandbox/requests")["requests"]
        if r["method"] == "GET" and r["path"].endswith("/events") and "syncToken" in r["query"]
    )


async def stays(count: Any, expected: int, polls: int = 10) -> None:
    """A bounded poll that would see a late read: `count()` must stay `expected` for polls × 50 ms."""
    for _ in range(polls):
        assert count() == expected
        await anyio.sleep(0.05)
    assert count() == expected


async def reaches(count: Any, expected: int, timeout: float = 10) -> None:
    with anyio.fail_after(timeout):
        while count() < expected:
            await anyio.sleep(0.02)
    assert count() == expected


async def test_a_captured_calendar_notification_replayed_30_times_costs_no_read(
    fresh_sandbox: Any, tmp_path: Any, store_settings: dict[str, Any]
) -> None:
    url = fresh_sandbox.url
    env = {"GOOGLE_MCP_REDIS_URL": store_settings["redis_url"]} if store_settings else {}
    server = watching(tmp_path, url, free_port(), **env)
    event = calendar(url).events().list(calendarId="primary", maxResults=1).execute()["items"][0]
    hook = server.url + "/hooks/calendar"
    try:
        told = Told()
        async with session(server.url, "legacy", message_handler=told) as client:
            await subscribe(client, "calendar://upcoming")
            before = calendar_reads(url)
            calendar(url).events().patch(calendarId="primary", eventId=event["id"], body={"summary": "Real"}).execute()
            await told.wait("calendar://upcoming")
            real = next(
                p
                for p in reversed(control(url, "/_sandbox/pushes")["pushes"])
                if p["kind"] == "calendar" and p["headers"]["X-Goog-Resource-State"] == "exists"
            )
            assert calendar_reads(url) == before + 1
            async with httpx2.AsyncClient(timeout=10) as http:
                for _ in range(30):  # acknowledged (Google retries what is not), and nothing read
                    assert (await http.post(hook, headers=real["headers"])).status_code == 200
            await stays(partial(calendar_reads, url), before + 1)
            # the next real notification (its number past the replayed one's) is read, and is the only read
            calendar(url).events().patch(calendarId="primary", eventId=event["id"], body={"summary": "Next"}).execute()
            await reaches(lambda: [u for _, u in told.uris].count("calendar://upcoming"), 2)
            assert calendar_reads(url) == before + 2
            assert "Next" in await text(client, "calendar://changes")
    finally:
        server.stop()


@pytest.mark.parametrize(
    "forged",
    ["without the channel token", "with a wrong channel token", "with another channel's resource id"],
)
async def test_a_calendar_notification_is_refused_unread(fresh_sandbox: Any, tmp_path: Any, forged: str) -> None:
    url, sb = fresh_sandbox.url, fresh_sandbox.sandbox
    server = watching(tmp_path, url, free_port())
    hook = server.url + "/hooks/calendar"
    channel = next(c for c in sb.calendar.channels.values() if c["calendarId"] == "alex.morgan@example.com")
    good = {
        "X-Goog-Channel-ID": channel["id"],
        "X-Goog-Channel-Token": channel["token"],
        "X-Goog-Resource-ID": channel["resourceId"],
        "X-Goog-Resource-State": "exists",
        "X-Goog-Message-Number": "1000",
    }
    headers = dict(good)
    if forged == "without the channel token":
        del headers["X-Goog-Channel-Token"]
    elif forged == "with a wrong channel token":
        headers["X-Goog-Channel-Token"] = channel["token"][:-1] + ("A" if channel["token"][-1] != "A" else "B")
    else:
        other = next(c for c in sb.calendar.channels.values() if c["id"] != channel["id"])
        headers["X-Goog-Resource-ID"] = other["resourceId"]
    try:
        before = calendar_reads(url)
        async with httpx2.AsyncClient(timeout=10) as http:
            assert (await http.post(hook, headers=headers)).status_code == 401
            await stays(partial(calendar_reads, url), before)
            # the same notification as Google sends it is read: what was refused was only what was forged
            assert (await http.post(hook, headers=good)).status_code == 200
        await reaches(partial(calendar_reads, url), before + 1)
    finally:
        server.stop()


async def test_a_gmail_push_announcing_a_history_id_beyond_the_mailbox_costs_one_read_however_often_replayed(
    fresh_sandbox: Any, tmp_path: Any, store_settings: dict[str, Any]
) -> None:
    """A captured push token is not bound to the message it came with: a replay may carry any history id.
    One far past the mailbox's is found out by one read and refused from then on; one the stored id
    already covers costs nothing."""
    url, sb = fresh_sandbox.url, fresh_sandbox.sandbox
    env = {"GOOGLE_MCP_REDIS_URL": store_settings["redis_url"]} if store_settings else {}
    server = watching(tmp_path, url, free_port(), **env)
    hook = server.url + "/hooks/gmail"
    try:
        control(url, "/_sandbox/push-endpoint", {"url": None})  # from here on, only what the test sends
        told = Told()
        async with session(server.url, "legacy", message_handler=told) as client:
            await subscribe(client, "gmail://inbox")
            await text(client, "gmail://changes")  # this reader's place: now
            now = int(gmail(url).users().getProfile(userId="me").execute()["historyId"])
            reads = history_reads(url)
            good = {"authorization": "Bearer " + sb.signer.token(hook)}
            async with httpx2.AsyncClient(timeout=10) as http:
                assert (await http.post(hook, content=envelope(now + 10**9), headers=good)).status_code == 204
                with anyio.fail_after(10):  # read once, and found out
                    while not any("beyond the mailbox" in line for line in server.lines):
                        await anyio.sleep(0.02)
                assert history_reads(url) == reads + 1
                for history_id in [now + 10**9] * 9 + [now, now - 1]:  # replays; ids the stored one covers
                    assert (await http.post(hook, content=envelope(history_id), headers=good)).status_code == 204
                await stays(partial(history_reads, url), reads + 1)
                # a real push after them is read: the mailbox's real id was not pushed aside by the lie
                deliver(url, "After the forgeries")
                real = int(gmail(url).users().getProfile(userId="me").execute()["historyId"])
                assert (await http.post(hook, content=envelope(real), headers=good)).status_code == 204
                await told.wait("gmail://inbox")
            assert history_reads(url) == reads + 2
            assert "After the forgeries" in await text(client, "gmail://changes")
            assert told.uris and all(u == "gmail://inbox" for _, u in told.uris) and len(told.uris) == 1
    finally:
        server.stop()
