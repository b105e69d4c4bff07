"""The promise under attack: nothing without consent, never twice, never other than shown.

Each test is one break of issue #8, tried through public surfaces: MCP client sessions, a TCP proxy
between the server and the sandbox that drops and resets connections, the real Google client, a real
redis-server stopped mid-flow.
"""

from __future__ import annotations

import base64
import os
from email.message import EmailMessage
from typing import Any

import anyio
import pytest

from helpers import calendar, control, gmail
from mcp_helpers import call, connect, fails, writes
from tcp_proxy import TcpProxy

pytestmark = pytest.mark.anyio

MAIL = {"to": ["dana@example.com"], "subject": "quarterly numbers", "body_text": "Attached."}


def sends(url: str, path: str = "/messages/send") -> int:
    """Requests that reached Google and took effect (one the sandbox refused, e.g. a 401 that google-auth
    answers by refreshing and sending again, is not a send)."""
    return len([w for w in writes(url) if w["path"].endswith(path) and w["status"] < 300])


@pytest.fixture
def proxy(fresh_sandbox: Any) -> Any:
    running = TcpProxy.to(fresh_sandbox.url)
    yield running
    running.stop()


# 1. a dropped answer never becomes a second send -------------------------------------------
@pytest.mark.parametrize(
    ("tool", "path", "check"),
    [("gmail_send", "/messages/send", "in:sent"), ("gmail_create_draft", "/drafts", "in:drafts")],
)
async def test_a_write_whose_answer_is_lost_reaches_google_once_and_is_reported_unknown(
    fresh_sandbox: Any, make_settings: Any, proxy: TcpProxy, tool: str, path: str, check: str
) -> None:
    async with connect(make_settings(proxy.url), person=None) as client:
        held = await call(client, tool, MAIL)
        proxy.drop_after("POST", path + r"\?")
        outcome = await call(client, "confirm_action", {"confirmation_id": held["confirmation_id"]})
        assert outcome["status"] == "unknown", outcome
        assert "may or may not have happened" in outcome["message"] and check in outcome["message"]
        assert "Done" not in outcome["message"]
        again = await call(client, "confirm_action", {"confirmation_id": held["confirmation_id"]})
        assert again["status"] == "unknown" and "never re-run" in again["message"]
    assert sends(fresh_sandbox.url, path) == 1
    assert [s.answered for s in proxy.seen if s.path.startswith("/gmail/v1/users/me" + path)] == [False]


async def test_a_direct_approved_send_whose_answer_is_lost_is_not_done(
    fresh_sandbox: Any, make_settings: Any, proxy: TcpProxy
) -> None:
    proxy.drop_after("POST", r"/messages/send\?")
    async with connect(make_settings(proxy.url)) as client:  # the person says yes in the client
        message = await fails(client, "gmail_send", MAIL)
    assert "may or may not have happened" in message and "in:sent" in message
    assert sends(fresh_sandbox.url) == 1


def _updates(url: str, event_id: str) -> list[dict[str, Any]]:
    """The updates the sandbox mailed (or would have) to the event's guests."""
    sent = control(url, "/_sandbox/notifications")["notifications"]
    return [n for n in sent if n["eventId"] == event_id and n["action"] == "updated"]


async def test_an_event_update_whose_answer_is_lost_is_done_once_not_previewed_again(
    fresh_sandbox: Any, make_settings: Any, proxy: TcpProxy
) -> None:
    """Google applies the PATCH, the answer is lost, the If-Match retry gets 412: that is our own update."""
    url = fresh_sandbox.url
    body = {
        "summary": "Budget review",
        "start": {"dateTime": "2027-03-03T10:00:00Z"},
        "end": {"dateTime": "2027-03-03T11:00:00Z"},
        "attendees": [{"email": "dana.whitfield@example.com"}],
    }
    ev = calendar(url).events().insert(calendarId="primary", body=body).execute()
    async with connect(make_settings(proxy.url), person=None) as client:
        args = {"event_id": ev["id"], "start": "2027-03-03T15:00:00Z", "location": "Room 4"}
        held = await call(client, "calendar_update_event", args)
        proxy.drop_after("PATCH", "/events/" + ev["id"])
        outcome = await call(client, "confirm_action", {"confirmation_id": held["confirmation_id"]})
        assert outcome["status"] == "done", outcome
        assert outcome["result"]["event"]["location"] == "Room 4"
        assert (await call(client, "list_pending_actions"))["actions"] == []  # no second preview to approve
    patches = [s for s in proxy.seen if s.method == "PATCH"]
    assert [s.answered for s in patches] == [False, True]  # the retry reached Google, and was refused
    assert len(_updates(url, ev["id"])) == 1  # the guests were told once
    now = calendar(url).events().get(calendarId="primary", eventId=ev["id"]).execute()
    assert now["sequence"] == 1 and now["location"] == "Room 4"


async def test_a_lost_answer_then_someone_elses_change_is_unknown_never_a_fresh_preview(
    fresh_sandbox: Any, make_settings: Any, proxy: TcpProxy
) -> None:
    url = fresh_sandbox.url
    body = {"summary": "Offsite", "start": {"date": "2027-04-01"}, "end": {"date": "2027-04-02"}}
    ev = calendar(url).events().insert(calendarId="primary", body=body).execute()
    async with connect(make_settings(proxy.url), person=None) as client:
        held = await call(client, "calendar_update_event", {"event_id": ev["id"], "location": "Lisbon"})
        # the first try is lost before it reaches Google's answer; by the retry, someone else has edited it
        proxy.answer("PATCH", "/events/" + ev["id"], 503, b'{"error": {"code": 503, "message": "Backend Error"}}')
        calendar(url).events().patch(calendarId="primary", eventId=ev["id"], body={"summary": "Offsite!"}).execute()
        outcome = await call(client, "confirm_action", {"confirmation_id": held["confirmation_id"]})
        assert outcome["status"] == "unknown", outcome
        assert "may or may not have happened" in outcome["message"] and "calendar_list_events" in outcome["message"]
        assert (await call(client, "list_pending_actions"))["actions"] == []


async def test_an_event_delete_whose_answer_is_lost_is_done_once(
    fresh_sandbox: Any, make_settings: Any, proxy: TcpProxy
) -> None:
    url = fresh_sandbox.url
    body = {
        "summary": "Cancelled lunch",
        "start": {"dateTime": "2027-03-04T12:00:00Z"},
        "end": {"dateTime": "2027-03-04T13:00:00Z"},
        "attendees": [{"email": "dana.whitfield@example.com"}],
    }
    ev = calendar(url).events().insert(calendarId="primary", body=body).execute()
    async with connect(make_settings(proxy.url), person=None) as client:
        held = await call(client, "calendar_delete_event", {"event_id": ev["id"]})
        proxy.drop_after("DELETE", "/events/" + ev["id"])
        outcome = await call(client, "confirm_action", {"confirmation_id": held["confirmation_id"]})
        assert outcome["status"] == "done", outcome
        assert (await call(client, "list_pending_actions"))["actions"] == []
    sent = control(url, "/_sandbox/notifications")["notifications"]
    assert [n["action"] for n in sent if n["eventId"] == ev["id"]] == ["created", "cancelled"]


async def test_an_rsvp_whose_answer_is_lost_is_done_once(
    fresh_sandbox: Any, make_settings: Any, proxy: TcpProxy
) -> None:
    url = fresh_sandbox.url
    async with connect(make_settings(proxy.url), person=None) as client:
        guild = (await call(client, "calendar_list_events", {"query": "Architecture guild"}))["events"][0]
        held = await call(client, "calendar_respond_to_event", {"event_id": guild["id"], "response": "declined"})
        proxy.drop_after("PATCH", "/events/" + guild["id"])
        outcome = await call(client, "confirm_action", {"confirmation_id": held["confirmation_id"]})
        assert outcome["status"] == "done", outcome
        assert outcome["result"]["event"]["my_response"] == "declined"
        assert (await call(client, "list_pending_actions"))["actions"] == []
    assert [s.answered for s in proxy.seen if s.method == "PATCH"] == [False, True]
    assert len(_updates(url, guild["id"])) == 1


# 2. a person who takes their time -------------------------------------------------------------
@pytest.mark.parametrize("after", ["8 s", "60 s", "10 min"])
async def test_approving_long_after_the_preview_sends_exactly_once(
    fresh_sandbox: Any, make_settings: Any, proxy: TcpProxy, after: str
) -> None:
    """While the person reads, the pooled connection is closed under us (the server's keep-alive timeout,
    a NAT): shortened here by closing it, abortively, the moment the preview is shown."""
    async with connect(make_settings(proxy.url), person=None) as client:
        held = await call(client, "gmail_send", {**MAIL, "subject": f"approved after {after}"})
        assert proxy.close_idle(reset=True) >= 1
        done = await call(client, "confirm_action", {"confirmation_id": held["confirmation_id"]})
    assert done["status"] == "done", done
    assert sends(fresh_sandbox.url) == 1


async def test_sends_never_ride_a_kept_alive_connection_that_the_server_closes_as_they_arrive(
    fresh_sandbox: Any, make_settings: Any, proxy: TcpProxy
) -> None:
    """Each send goes out on a connection of its own: a kept-alive one (of reads, or of an earlier send) may
    be closed by the server just as the request arrives, and a send written on it would be unknown (or,
    re-sent on another, possibly twice)."""
    async with connect(make_settings(proxy.url), person=None) as client:
        for n in range(3):
            held = await call(client, "gmail_send", {**MAIL, "subject": f"fresh connection {n}"})
            proxy.swallow_reused()  # every connection used once before is closed as the next request arrives
            done = await call(client, "confirm_action", {"confirmation_id": held["confirmation_id"]})
            assert done["status"] == "done", done
            proxy.swallow_reused(on=False)
    assert sends(fresh_sandbox.url) == 3
    posted = [s for s in proxy.seen if s.path.startswith("/gmail/v1/users/me/messages/send")]
    assert [(s.forwarded, s.answered) for s in posted] == [(True, True)] * 3


async def test_a_send_that_never_went_out_stays_pending_and_can_be_confirmed_again(
    fresh_sandbox: Any, make_settings: Any, proxy: TcpProxy
) -> None:
    async with connect(make_settings(proxy.url), person=None) as client:
        held = await call(client, "gmail_send", MAIL)
        cid = held["confirmation_id"]
        proxy.pause()  # every connection refused: nothing can go out, and the person can simply confirm again
        failed = await call(client, "confirm_action", {"confirmation_id": cid})
        assert failed["status"] == "failed" and "never went out" in failed["message"]
        assert "confirm_action" in failed["message"]
        assert sends(fresh_sandbox.url) == 0
        proxy.resume()
        assert [a["confirmation_id"] for a in (await call(client, "list_pending_actions"))["actions"]] == [cid]
        assert (await call(client, "confirm_action", {"confirmation_id": cid}))["status"] == "done"
    assert sends(fresh_sandbox.url) == 1


# 3. an approval is single-use ------------------------------------------------------------------
async def test_a_replayed_approval_sends_nothing_more(
    fresh_sandbox: Any, make_settings: Any, store_settings: dict[str, Any]
) -> None:
    from mcp import Client
    from mcp.types import ElicitResult

    from google_mcp.server import build_server
    from mcp_helpers import Person

    url = fresh_sandbox.url
    key = "a-shared-secret-of-32-characters"
    settings = make_settings(url, state_key=key, **store_settings)
    servers = [build_server(settings)]
    if store_settings:  # with Redis, replay on another process too
        servers.append(build_server(make_settings(url, state_key=key, **store_settings)))
    import contextlib

    async with contextlib.AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(Client(s, elicitation_callback=Person(), mode="2026-07-28"))
            for s in servers
        ]
        first, other = clients[0], clients[-1]
        asked = await first.session.call_tool("gmail_send", MAIL, allow_input_required=True)
        assert type(asked).__name__ == "InputRequiredResult"
        yes = {k: ElicitResult(action="accept", content={"approve": True}) for k in asked.input_requests}
        answer = {"input_responses": yes, "request_state": asked.request_state, "allow_input_required": True}
        done = await first.session.call_tool("gmail_send", MAIL, **answer)
        assert done.structured_content["status"] == "done"  # type: ignore[union-attr]
        for client in (first, other, first):
            replay = await client.session.call_tool("gmail_send", MAIL, **answer)
            # the approval is spent: the person is asked again rather than anything being sent
            assert type(replay).__name__ == "InputRequiredResult"
        async with anyio.create_task_group() as tg:  # and replays racing each other
            for _ in range(10):
                tg.start_soon(lambda: other.session.call_tool("gmail_send", MAIL, **answer))
    assert sends(url) == 1, [w for w in writes(url) if w["path"].endswith("/messages/send")]


async def test_the_question_names_the_approval_and_the_model_cannot_confirm_it(
    fresh_sandbox: Any, make_settings: Any
) -> None:
    from mcp_helpers import Person

    person = Person(action="cancel")
    async with connect(make_settings(fresh_sandbox.url), "legacy", person=person) as client:
        assert (await call(client, "gmail_send", MAIL))["status"] == "cancelled"
        approval = person.asked[0].rsplit("(approval ", 1)[1].rstrip(")")
        assert "No pending action" in await fails(client, "confirm_action", {"confirmation_id": approval})
    assert sends(fresh_sandbox.url) == 0


# 5. what runs is what was shown ------------------------------------------------------------------
async def test_a_file_that_changes_after_the_preview_is_sent_as_it_was_shown(
    fresh_sandbox: Any, make_settings: Any, tmp_path: Any
) -> None:
    report = tmp_path / "report.txt"
    report.write_bytes(b"0123456789")
    settings = make_settings(fresh_sandbox.url, attachment_roots=[tmp_path])
    async with connect(settings, person=None) as client:
        held = await call(client, "gmail_send", {**MAIL, "attachments": [str(report)]})
        assert any("report.txt (10 bytes, SHA-256 84d89877f0d4041e" in d for d in held["preview"]["details"])
        report.write_bytes(b"x" * 3_000_000)
        done = await call(client, "confirm_action", {"confirmation_id": held["confirmation_id"]})
    raw = gmail(fresh_sandbox.url).users().messages().get(userId="me", id=done["result"]["id"], format="raw").execute()
    import email

    sent = email.message_from_bytes(base64.urlsafe_b64decode(raw["raw"] + "=="))
    parts = [p for p in sent.walk() if p.get_filename() == "report.txt"]
    assert [p.get_payload(decode=True) for p in parts] == [b"0123456789"]
    assert sent["From"] == "alex.morgan@example.com"


async def test_every_field_that_reaches_google_is_in_the_preview(fresh_sandbox: Any, make_settings: Any) -> None:
    async with connect(make_settings(fresh_sandbox.url), person=None) as client:
        mail = await call(
            client, "gmail_send", {**MAIL, "body_text": "Visible.", "body_html": "<p>Hidden <b>payload</b></p>"}
        )
        text = "\n".join(mail["preview"]["details"])
        assert "From: alex.morgan@example.com" in text and "Body: Visible." in text
        assert "HTML body" in text and "Hidden payload" in text
        event = await call(
            client,
            "calendar_create_event",
            {
                "summary": "Review",
                "start": "2027-03-01T10:00:00Z",
                "description": "Bring the signed NDA",
                "reminders_minutes": [15],
            },
        )
        text = "\n".join(event["preview"]["details"])
        assert "Description: Bring the signed NDA" in text and "Reminders: 15 minutes before" in text


async def test_a_conversation_that_grew_since_the_preview_is_not_trashed(
    fresh_sandbox: Any, make_settings: Any
) -> None:
    url = fresh_sandbox.url
    async with connect(make_settings(url), person=None) as client:
        hit = (await call(client, "gmail_search", {"query": "in:inbox", "max_results": 1}))["messages"][0]
        held = await call(client, "gmail_trash", {"thread_ids": [hit["thread_id"]]})
        shown = held["preview"]["details"][0]
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = "dana@example.com", "alex.morgan@example.com", "Re: " + hit["subject"]
        msg.set_content("One more thing.")
        raw = base64.urlsafe_b64encode(msg.as_bytes()).decode()
        gmail(url).users().messages().insert(
            userId="me", body={"raw": raw, "threadId": hit["thread_id"], "labelIds": ["INBOX"]}
        ).execute()
        fresh = await call(client, "confirm_action", {"confirmation_id": held["confirmation_id"]})
        assert fresh["status"] == "confirmation_required" and "changed since the preview" in fresh["message"]
        assert fresh["confirmation_id"] != held["confirmation_id"] and fresh["preview"]["details"][0] != shown
        assert not [w for w in writes(url) if "/trash" in w["path"]]
        done = await call(client, "confirm_action", {"confirmation_id": fresh["confirmation_id"]})
        assert done["status"] == "done"
    assert len([w for w in writes(url) if w["path"].endswith("/trash")]) == 1


async def test_an_event_changed_since_the_preview_is_not_overwritten(fresh_sandbox: Any, make_settings: Any) -> None:
    url = fresh_sandbox.url
    async with connect(make_settings(url), person=None) as client:
        found = await call(
            client, "calendar_list_events", {"query": "Coffee with José", "time_min": "2020-01-01T00:00:00Z"}
        )
        event_id = found["events"][0]["id"]
        held = await call(client, "calendar_update_event", {"event_id": event_id, "summary": "Coffee (moved)"})
        calendar(url).events().patch(calendarId="primary", eventId=event_id, body={"location": "Room 4"}).execute()
        fresh = await call(client, "confirm_action", {"confirmation_id": held["confirmation_id"]})
        assert fresh["status"] == "confirmation_required" and "changed in Google Calendar" in fresh["message"]
        shown = calendar(url).events().get(calendarId="primary", eventId=event_id).execute()
        assert shown["summary"] != "Coffee (moved)" and shown["location"] == "Room 4"
        held = await call(client, "calendar_delete_event", {"event_id": event_id})
        calendar(url).events().patch(calendarId="primary", eventId=event_id, body={"location": "Room 5"}).execute()
        fresh = await call(client, "confirm_action", {"confirmation_id": held["confirmation_id"]})
        assert fresh["status"] == "confirmation_required"
        assert calendar(url).events().get(calendarId="primary", eventId=event_id).execute()["status"] != "cancelled"


async def test_a_repeated_create_cannot_make_a_second_event(
    fresh_sandbox: Any, make_settings: Any, proxy: TcpProxy
) -> None:
    """The insert's answer is lost after Google made the event; the retry carries the same id (chosen with
    the preview), so Google answers 409 and that is the event made, not a second one."""
    url = fresh_sandbox.url
    async with connect(make_settings(proxy.url), person=None) as client:
        held = await call(client, "calendar_create_event", {"summary": "Once only", "start": "2027-03-02T10:00:00Z"})
        proxy.drop_after("POST", r"/calendars/primary/events\?")
        done = await call(client, "confirm_action", {"confirmation_id": held["confirmation_id"]})
    assert done["status"] == "done", done
    inserts = [w for w in writes(url) if w["path"].endswith("/calendars/primary/events")]
    assert [w["status"] for w in inserts] == [200, 409]  # the same event asked for twice
    listed = calendar(url).events().list(calendarId="primary", q="Once only").execute()["items"]
    assert [e["id"] for e in listed] == [done["result"]["event"]["id"]]


# 6. attachments only from the allowed folders, opened once -----------------------------------------
async def test_links_fifos_and_hidden_files_are_never_attached(
    fresh_sandbox: Any, make_settings: Any, tmp_path: Any
) -> None:
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (outside / "secret.txt").write_text("secret")
    (root / "link.txt").symlink_to(outside / "secret.txt")
    (root / "dir").symlink_to(outside)
    os.mkfifo(root / "pipe")
    (root / ".hidden").mkdir()
    (root / ".hidden" / "x.txt").write_text("x")
    settings = make_settings(fresh_sandbox.url, attachment_roots=[root])
    async with connect(settings, person=None) as client:
        for path, words in [
            (root / "link.txt", "symbolic links are not followed"),
            (root / "dir" / "secret.txt", "symbolic links are not followed"),
            (root / "pipe", "not a readable regular file"),
            (root / ".hidden" / "x.txt", "hidden"),
            (outside / "secret.txt", "outside the folders"),
            (outside / "does-not-exist.txt", "outside the folders"),  # the same answer: nothing about existence
        ]:
            with anyio.fail_after(5):  # a FIFO must not block
                message = await fails(client, "gmail_send", {**MAIL, "attachments": [str(path)]})
            assert words in message, (path, message)
    assert sends(fresh_sandbox.url) == 0


# 7. a store that dies mid-send never makes a false "nothing was done" --------------------------------
async def test_redis_dying_while_a_send_executes_reports_the_send(
    fresh_sandbox: Any, make_settings: Any, redis_url: str, redis_server: Any
) -> None:
    import redis

    url = fresh_sandbox.url
    async with connect(make_settings(url, redis_url=redis_url), person=None) as client:
        held = await call(client, "gmail_send", MAIL)
        cid = held["confirmation_id"]
        control(url, "/_sandbox/faults", {"path_regex": "/messages/send$", "delay_ms": 1500, "count": 1})
        outcome: dict[str, Any] = {}

        async def confirm() -> None:
            outcome.update(await call(client, "confirm_action", {"confirmation_id": cid}))

        async with anyio.create_task_group() as tg:
            tg.start_soon(confirm)
            probe = redis.Redis.from_url(redis_url, decode_responses=True)
            (key,) = probe.scan_iter(match=f"google_mcp:pending:*:{cid}")  # {its owner's hash tag}:its id
            with anyio.fail_after(5):
                while probe.hget(key, "status") != "executing":
                    await anyio.sleep(0.01)
            probe.close()
            redis_server.stop()
    redis_server.start()
    assert outcome["status"] == "done" and "could not be recorded" in outcome["message"]
    assert "nothing was done" not in outcome["message"] and "do not confirm or repeat" in outcome["message"]
    assert sends(url) == 1


async def test_a_restarted_redis_is_used_again_at_once(
    fresh_sandbox: Any, make_settings: Any, redis_url: str, redis_server: Any
) -> None:
    async with connect(make_settings(fresh_sandbox.url, redis_url=redis_url), person=None) as client:
        assert (await call(client, "list_pending_actions"))["actions"] == []
        redis_server.stop()
        redis_server.start()
        held = await call(client, "gmail_send", MAIL)
        assert held["status"] == "confirmation_required"


# 8. auto-approval covers its own tool's power only ---------------------------------------------------
async def test_auto_approved_label_changes_cannot_trash_or_report_spam(fresh_sandbox: Any, make_settings: Any) -> None:
    url = fresh_sandbox.url
    settings = make_settings(url, auto_approve=["gmail_modify_labels"])
    async with connect(settings, person=None) as client:
        hit = (await call(client, "gmail_search", {"query": "in:inbox", "max_results": 1}))["messages"][0]
        trash = await fails(client, "gmail_modify_labels", {"thread_ids": [hit["thread_id"]], "add": ["TRASH"]})
        assert "gmail_trash" in trash
        spam = await call(client, "gmail_modify_labels", {"message_ids": [hit["id"]], "add": ["SPAM"]})
        assert spam["status"] == "confirmation_required"
        assert writes(url) == []
        star = await call(client, "gmail_modify_labels", {"message_ids": [hit["id"]], "add": ["STARRED"]})
        assert star["status"] == "done"
    assert len(writes(url)) == 1


# lesser defects ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\u0085"])
async def test_unicode_line_separators_are_refused_in_headers(
    fresh_sandbox: Any, make_settings: Any, separator: str
) -> None:
    async with connect(make_settings(fresh_sandbox.url), person=None) as client:
        message = await fails(client, "gmail_send", {**MAIL, "subject": f"hi{separator}Bcc: evil@example.net"})
        assert "single line" in message
    assert writes(fresh_sandbox.url) == []


async def test_a_hostile_subject_cannot_forge_a_line_in_the_reply_preview(
    fresh_sandbox: Any, make_settings: Any
) -> None:
    url = fresh_sandbox.url
    raw = (
        b"From: mallory@example.net\r\nTo: alex.morgan@example.com\r\n"
        b"Subject: =?utf-8?q?Invoice=0D=0ABcc:_everyone@example.net?=\r\n"
        b"Message-ID: <m1@example.net>\r\nReferences: =?utf-8?q?<a@x>=0A=0DBcc:_x@example.net?=\r\n"
        b"\r\nPay now.\r\n"
    )
    inserted = (
        gmail(url)
        .users()
        .messages()
        .insert(userId="me", body={"raw": base64.urlsafe_b64encode(raw).decode(), "labelIds": ["INBOX"]})
        .execute()
    )
    async with connect(make_settings(url), person=None) as client:
        held = await call(client, "gmail_send", {"reply_to_message_id": inserted["id"], "body_text": "Paid."})
        lines = "\n".join(held["preview"]["details"]).splitlines()
        assert not [line for line in lines if line.startswith("Bcc")]
        assert any(line.startswith("Subject: Re: Invoice Bcc: everyone@example.net") for line in lines)
        done = await call(client, "confirm_action", {"confirmation_id": held["confirmation_id"]})
        assert done["status"] == "done"


async def test_every_tool_refuses_an_argument_it_does_not_know(fresh_sandbox: Any, make_settings: Any) -> None:
    async with connect(make_settings(fresh_sandbox.url), person=None) as client:
        message = await fails(client, "gmail_send", {**MAIL, "ccc": ["lena@example.com"]})
        assert "'ccc' is not an argument of gmail_send" in message and "cc" in message.split("takes:")[1]
        message = await fails(client, "confirm_action", {"confirmation_id": "x", "force": True})
        assert "'force' is not an argument" in message
        message = await fails(client, "calendar_free_busy", {})
        assert "'time_min': Field required" in message and "ISO 8601" in message and "{" not in message
    assert writes(fresh_sandbox.url) == []


async def test_pending_actions_are_capped_per_person(
    fresh_sandbox: Any, make_settings: Any, store_settings: dict[str, Any]
) -> None:
    settings = make_settings(fresh_sandbox.url, max_pending=3, max_pending_bytes=4000, **store_settings)
    async with connect(settings, person=None) as client:
        for n in range(3):
            await call(client, "gmail_send", {**MAIL, "subject": f"n{n}"})
        message = await fails(client, "gmail_send", MAIL)
        assert "limit is 3" in message and "approve or cancel" in message
        first = (await call(client, "list_pending_actions"))["actions"][0]["confirmation_id"]
        await call(client, "cancel_action", {"confirmation_id": first})
        big = await fails(client, "gmail_send", {**MAIL, "body_text": "x" * 5000})
        assert "bytes" in big and "limit is 4000" in big
