"""The confirmation gate: nothing is sent, changed or deleted without the person's consent."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import anyio
import pytest

from google_mcp.sandbox.seed_sheets import BUDGET, DECK
from mcp_helpers import Person, call, connect, fails, writes

pytestmark = pytest.mark.anyio

WRITE_TOOLS = [
    "gmail_send",
    "gmail_create_draft",
    "gmail_modify_labels",
    "gmail_trash",
    "calendar_create_event",
    "calendar_update_event",
    "calendar_delete_event",
    "calendar_respond_to_event",
    "docs_create",
    "docs_append",
    "docs_replace_text",
    "docs_replace_section",
    "sheets_update",
    "sheets_append",
    "sheets_clear",
    "sheets_create",
    "sheets_add_sheet",
    "slides_create",
    "slides_replace_text",
    "drive_upload",
    "drive_create_folder",
    "drive_move",
    "drive_rename",
    "drive_trash",
    "drive_share",
    "contacts_create",
    "contacts_update",
    "contacts_delete",
    "slack_post_message",
    "sms_send",
]


async def write_cases(client: Any, root: Path) -> dict[str, dict[str, Any]]:
    """Valid arguments for every write tool, against the seed data (`root`: where attachments may come from)."""
    unread = (await call(client, "gmail_search", {"query": "is:unread in:inbox", "max_results": 2}))["messages"]

    async def event(query: str) -> str:
        found = await call(client, "calendar_list_events", {"query": query, "time_min": "2020-01-01T00:00:00Z"})
        return str(found["events"][0]["id"])

    async def doc(query: str) -> str:
        return str((await call(client, "docs_search", {"query": query}))["documents"][0]["id"])

    # a document per tool: an edit approved against one revision never lands on another (a fresh preview)
    launch, offsite, weekly = await doc("launch checklist"), await doc("offsite"), await doc("weekly")

    async def file(name: str) -> str:  # a Drive file per tool too: each write bumps its file's version
        return str((await call(client, "drive_search", {"query": f"name = '{name}'"}))["files"][0]["id"])

    upload = root / "gate upload.txt"
    upload.write_text("uploaded by the gate test")

    async def person(query: str) -> str:
        return str((await call(client, "contacts_search", {"query": query}))["contacts"][0]["resource_name"])

    return {
        "gmail_send": {"to": ["dana.whitfield@example.com"], "subject": "gate test", "body_text": "hello"},
        "gmail_create_draft": {"to": ["dana.whitfield@example.com"], "subject": "gate draft", "body_text": "x"},
        "gmail_modify_labels": {"message_ids": [unread[0]["id"]], "remove": ["UNREAD"]},
        "gmail_trash": {"thread_ids": [unread[1]["thread_id"]]},
        "calendar_create_event": {"summary": "gate event", "start": "2027-02-01T10:00:00Z"},
        "calendar_update_event": {"event_id": await event("Coffee with José"), "summary": "Coffee (moved)"},
        "calendar_delete_event": {"event_id": await event("Budget review")},
        "calendar_respond_to_event": {"event_id": await event("Architecture guild"), "response": "accepted"},
        "docs_create": {"title": "gate doc", "markdown": "# Hello\n\n- one\n- two"},
        "docs_append": {"document_id": launch, "markdown": "Appended **once**."},
        "docs_replace_text": {"document_id": weekly, "find": "FAQ", "replace": "Q&A"},
        "docs_replace_section": {"document_id": offsite, "heading": "Budget", "markdown": "To be decided."},
        "sheets_update": {"spreadsheet_id": BUDGET, "range": "Budget!B2", "values": [[4300]]},
        "sheets_append": {"spreadsheet_id": BUDGET, "range": "Budget", "values": [["Dec", 4200]]},
        "sheets_clear": {"spreadsheet_id": BUDGET, "range": "Notes!A2:B2"},
        "sheets_create": {"title": "gate sheet"},
        "sheets_add_sheet": {"spreadsheet_id": BUDGET, "title": "Gate"},
        "slides_create": {"title": "gate deck", "outline": [{"title": "One", "bullets": ["a"]}]},
        "slides_replace_text": {"presentation_id": DECK, "find": "FAQ", "replace": "Q&A"},
        "drive_upload": {"path": str(upload)},
        "drive_create_folder": {"name": "gate folder"},
        "drive_move": {"file_id": await file("Menu.txt"), "folder_id": await file("Photos")},
        "drive_rename": {"file_id": await file("Launch plan.docx"), "name": "Launch plan v2.docx"},
        "drive_trash": {"file_id": await file("Kickoff.pptx")},
        "drive_share": {"file_id": await file("Budget 2026.xlsx"), "people": ["priya.raman@example.com"]},
        "contacts_create": {"name": "Gate Person", "emails": ["gate.person@example.org"]},
        "contacts_update": {"resource_name": await person("Marcus"), "title": "Principal Engineer"},
        "contacts_delete": {"resource_name": await person("Lena")},
        "slack_post_message": {"channel": "#launch", "text": "gate post"},
        "sms_send": {"to": "+14155550123", "text": "gate text"},
    }


def test_every_state_changing_tool_is_gated_by_its_annotations() -> None:
    from google_mcp.server import build_server
    from google_mcp.settings import Settings

    server = build_server(
        Settings(
            _env_file=None,
            sandbox_url="http://127.0.0.1:9",
            slack_token="xoxb-x",
            twilio_account_sid="AC0",
            twilio_auth_token="t",
            twilio_from="+15551234567",
        )
    )
    tools = anyio.run(server.list_tools)
    changing = {t.name for t in tools if not (t.annotations and t.annotations.read_only_hint)}
    assert changing == {*WRITE_TOOLS, "confirm_action", "cancel_action"}
    assert set(server.state.gate.builders) == set(server.state.gate.executors) == set(WRITE_TOOLS)
    # the exact set of tools that run without asking: a write wrongly marked read-only would show here
    reads = {t.name for t in tools} - changing
    assert reads == {
        "gmail_search",
        "gmail_get_message",
        "gmail_get_thread",
        "gmail_list_labels",
        "gmail_get_attachment",
        "calendar_list_calendars",
        "calendar_list_events",
        "calendar_get_event",
        "calendar_free_busy",
        "docs_search",
        "docs_read",
        "sheets_list",
        "sheets_read",
        "slides_read",
        "drive_search",
        "drive_list_folder",
        "drive_read",
        "contacts_search",
        "contacts_get",
        "contacts_directory_search",
        "slack_list_channels",
        "slack_read_channel",
        "slack_find_user",
        "sms_list_messages",
        "list_pending_actions",
        "activity_log",
    }
    # the hidden elicitation parameter never reaches the model
    for tool in tools:
        assert "decision" not in tool.input_schema.get("properties", {})


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_every_write_tool_asks_the_person_and_obeys_the_answer(
    fresh_sandbox: Any, make_settings: Any, emulator: Any, mode: str
) -> None:
    url = fresh_sandbox.url

    def seen() -> int:  # writes Google, Slack and Twilio saw
        return len(writes(url)) + int(emulator.sent())

    person = Person()
    settings = make_settings(url)
    async with connect(settings, mode, person=person) as client:
        cases = await write_cases(client, settings.attachment_roots[0])
        for tool, args in cases.items():
            for action, approve, status in [
                ("decline", True, "declined"),
                ("cancel", True, "cancelled"),
                ("accept", False, "declined"),
            ]:
                person.action, person.approve = action, approve
                before = seen()
                outcome = await call(client, tool, args)
                assert outcome["status"] == status, (tool, action, outcome)
                assert seen() == before, f"{tool} wrote after {action}/{approve}"
            person.action, person.approve = "accept", True
            asked = len(person.asked)
            before = seen()
            outcome = await call(client, tool, args)
            assert outcome["status"] == "done", (tool, outcome)
            assert seen() > before
            assert len(person.asked) == asked + 1
            question = person.asked[-1]
            assert question.startswith(outcome["preview"]["action"]) and "Do it?" in question


async def test_previews_show_what_a_person_needs(fresh_sandbox: Any, make_settings: Any, tmp_path: Any) -> None:
    attachment = tmp_path / "notes.txt"
    attachment.write_text("hello")
    settings = make_settings(fresh_sandbox.url, attachment_roots=[tmp_path])
    async with connect(settings, person=None) as client:
        cases = await write_cases(client, tmp_path)
        hit = (await call(client, "gmail_search", {"query": 'subject:"lunch on friday" -from:me', "max_results": 1}))[
            "messages"
        ][0]
        mail = await call(
            client,
            "gmail_send",
            {
                **cases["gmail_send"],
                "cc": ["lena.fischer@example.com"],
                "bcc": ["sam.okafor@example.com"],
                "attachments": [str(attachment)],
                "reply_to_message_id": hit["id"],
            },
        )
        text = "\n".join(mail["preview"]["details"])
        for expected in (
            "To: dana.whitfield@example.com",
            "Cc: lena.fischer@example.com",
            "Bcc: sam.okafor@example.com",
            "Subject: gate test",
            "notes.txt (5 bytes, SHA-256",
            "In reply to:",
            "Body: hello",
        ):
            assert expected in text, expected
        event = await call(
            client,
            "calendar_create_event",
            {
                "summary": "Review",
                "start": "2027-02-01T10:00",
                "time_zone": "Europe/Berlin",
                "attendees": ["dana.whitfield@example.com"],
            },
        )
        text = "\n".join(event["preview"]["details"])
        assert "2027-02-01T10:00:00+01:00 (Europe/Berlin)" in text and "dana.whitfield@example.com" in text
        assert "Invitations will be emailed" in text
        trash = await call(client, "gmail_trash", {"message_ids": [hit["id"]]})
        assert "Lunch on Friday?" in trash["preview"]["details"][0]
        standup = (await call(client, "calendar_list_events", {"query": "stand-up"}))["events"][0]
        delete = await call(client, "calendar_delete_event", {"event_id": standup["id"], "scope": "this_and_following"})
        assert "This and all later occurrences" in delete["preview"]["details"]
        assert standup["summary"] in delete["preview"]["details"][0]


async def test_without_elicitation_writes_wait_for_confirm_action(
    fresh_sandbox: Any, make_settings: Any, emulator: Any, every_store: dict[str, Any]
) -> None:
    url = fresh_sandbox.url

    def seen() -> int:  # writes Google, Slack and Twilio saw
        return len(writes(url)) + int(emulator.sent())

    start = seen()
    settings = make_settings(url, max_pending=len(WRITE_TOOLS), **every_store)  # all held at once
    async with connect(settings, person=None) as client:
        cases = await write_cases(client, settings.attachment_roots[0])
        held = {}
        for tool, args in cases.items():
            outcome = await call(client, tool, args)
            assert outcome["status"] == "confirmation_required" and outcome["expires_at"]
            # 192 bits from the OS's CSPRNG, URL-safe
            assert len(base64.urlsafe_b64decode(outcome["confirmation_id"])) * 8 >= 192
            assert "confirm_action" in outcome["message"]
            held[tool] = outcome
        assert seen() == start
        listed = await call(client, "list_pending_actions")
        assert {a["tool"] for a in listed["actions"]} == set(WRITE_TOOLS)
        cancelled = await call(client, "cancel_action", {"confirmation_id": held["gmail_trash"]["confirmation_id"]})
        assert cancelled["status"] == "cancelled" and seen() == start
        for tool, outcome in held.items():
            before = seen()
            done = await call(client, "confirm_action", {"confirmation_id": outcome["confirmation_id"]})
            if tool == "gmail_trash":
                assert done["status"] == "cancelled" and seen() == before
                continue
            assert done["status"] == "done" and done["tool"] == tool and done["result"], done
            assert seen() > before
            after = seen()
            again = await call(client, "confirm_action", {"confirmation_id": outcome["confirmation_id"]})
            assert again["status"] == "done" and "not run again" in again["message"]
            assert again["result"] == done["result"] and seen() == after
        assert (await call(client, "list_pending_actions"))["actions"] == []
        assert "No pending action" in await fails(client, "confirm_action", {"confirmation_id": "nope"})


async def test_confirm_runs_exactly_the_stored_arguments(fresh_sandbox: Any, make_settings: Any) -> None:
    url = fresh_sandbox.url
    async with connect(make_settings(url), person=None) as client:
        held = await call(
            client, "gmail_send", {"to": ["dana.whitfield@example.com"], "subject": "stored", "body_text": "original"}
        )
        # extra arguments at confirm time are refused, not merged
        bad = await client.call_tool(
            "confirm_action",
            {"confirmation_id": held["confirmation_id"], "subject": "changed", "to": ["attacker@evil.test"]},
        )
        done = await call(client, "confirm_action", {"confirmation_id": held["confirmation_id"]})
    assert bad.is_error or done["status"] == "done"
    sent = [w for w in writes(url) if w["path"].endswith("/messages/send")]
    assert len(sent) == 1
    from helpers import gmail, run

    got = run(gmail(url).users().messages().get(userId="me", id=done["result"]["id"], format="metadata"))
    headers = {h["name"]: h["value"] for h in got["payload"]["headers"]}
    assert headers["Subject"] == "stored" and headers["To"] == "dana.whitfield@example.com"


async def test_strict_mode_lets_only_the_person_approve(
    fresh_sandbox: Any, make_settings: Any, store_settings: dict[str, Any]
) -> None:
    url = fresh_sandbox.url
    settings = make_settings(url, confirmation="strict", max_pending=len(WRITE_TOOLS) + 1, **store_settings)
    async with connect(settings, person=None) as client:
        for tool, args in (await write_cases(client, settings.attachment_roots[0])).items():  # every write tool
            held = await call(client, tool, args)
            assert "cannot confirm it yourself" in held["message"], tool
            refused = await fails(client, "confirm_action", {"confirmation_id": held["confirmation_id"]})
            assert "Strict" in refused and writes(url) == [], tool
    async with connect(settings) as client:  # a client that can ask the person still works
        done = await call(client, "gmail_send", {"to": ["dana@example.com"], "subject": "s", "body_text": "x"})
        assert done["status"] == "done"


async def test_auto_approve_skips_the_gate_only_for_listed_tools(fresh_sandbox: Any, make_settings: Any) -> None:
    url = fresh_sandbox.url
    person = Person(action="decline")
    async with connect(make_settings(url, auto_approve=["gmail_modify_labels"]), person=person) as client:
        mid = (await call(client, "gmail_search", {"query": "is:unread", "max_results": 1}))["messages"][0]["id"]
        done = await call(client, "gmail_modify_labels", {"message_ids": [mid], "remove": ["UNREAD"]})
        assert done["status"] == "done" and "auto-approved" in done["message"] and person.asked == []
        refused = await call(client, "gmail_send", {"to": ["dana@example.com"], "subject": "s", "body_text": "x"})
        assert refused["status"] == "declined" and len(person.asked) == 1
    assert [w["path"].rsplit("/", 1)[-1] for w in writes(url)] == ["batchModify"]


async def test_expired_confirmations_say_to_ask_again(
    fresh_sandbox: Any, make_settings: Any, store_settings: dict[str, Any]
) -> None:
    url = fresh_sandbox.url
    async with connect(make_settings(url, pending_ttl=0, **store_settings), person=None) as client:
        held = await call(client, "gmail_send", {"to": ["dana@example.com"], "subject": "s", "body_text": "x"})
        message = await fails(client, "confirm_action", {"confirmation_id": held["confirmation_id"]})
        assert "expired" in message and "again" in message
        assert (await call(client, "list_pending_actions"))["actions"] == []
    assert writes(url) == []


async def test_validation_happens_before_anything_is_held(
    fresh_sandbox: Any, make_settings: Any, store_settings: dict[str, Any]
) -> None:
    async with connect(make_settings(fresh_sandbox.url, **store_settings), person=None) as client:
        assert "single line" in await fails(
            client, "gmail_send", {"to": ["a@example.com"], "subject": "a\nb", "body_text": "x"}
        )
        assert "does not exist" in await fails(
            client,
            "calendar_create_event",
            {"summary": "x", "start": "2027-03-14T02:30", "time_zone": "America/New_York"},
        )
        assert "No message with id" in await fails(client, "gmail_trash", {"message_ids": ["ffffffffffffffff"]})
        assert (await call(client, "list_pending_actions"))["actions"] == []


async def test_a_google_error_while_executing_is_recorded_as_failed(
    fresh_sandbox: Any, make_settings: Any, store_settings: dict[str, Any]
) -> None:
    from helpers import control

    url = fresh_sandbox.url
    async with connect(make_settings(url, **store_settings), person=None) as client:
        held = await call(client, "gmail_send", {"to": ["dana@example.com"], "subject": "s", "body_text": "x"})
        control(url, "/_sandbox/faults", {"path_regex": "/messages/send$", "status": 500, "count": 1})
        failed = await call(client, "confirm_action", {"confirmation_id": held["confirmation_id"]})
        assert failed["status"] == "unknown" and "may or may not" in failed["message"]
        again = await call(client, "confirm_action", {"confirmation_id": held["confirmation_id"]})
        assert again["status"] == "unknown" and "never re-run" in again["message"]
    assert len([w for w in writes(url) if w["path"].endswith("/messages/send")]) == 1


async def test_redis_unreachable_is_a_clear_error_and_nothing_runs(
    fresh_sandbox: Any, make_settings: Any, redis_url: str, redis_server: Any
) -> None:
    url = fresh_sandbox.url
    async with connect(make_settings(url, redis_url=redis_url), person=None) as client:
        held = await call(client, "gmail_send", {"to": ["dana@example.com"], "subject": "s", "body_text": "x"})
        redis_server.stop()
        try:
            message = await fails(client, "confirm_action", {"confirmation_id": held["confirmation_id"]})
            assert "unreachable" in message and "nothing was done" in message
            message = await fails(client, "gmail_send", {"to": ["dana@example.com"], "subject": "t", "body_text": "x"})
            assert "unreachable" in message
            assert (await client.call_tool("list_pending_actions", {})).is_error
        finally:
            redis_server.start()
        # Redis kept nothing on disk: the held action is gone, and says so
        assert "No pending action" in await fails(
            client, "confirm_action", {"confirmation_id": held["confirmation_id"]}
        )
    assert writes(url) == []


@pytest.mark.parametrize("repeat", [40])
async def test_fifty_concurrent_confirms_send_exactly_once(
    fresh_sandbox: Any, make_settings: Any, store_settings: dict[str, Any], repeat: int
) -> None:
    url = fresh_sandbox.url
    async with connect(make_settings(url, **store_settings), person=None) as client:
        for round_ in range(repeat):
            held = await call(
                client, "gmail_send", {"to": ["dana@example.com"], "subject": f"once {round_}", "body_text": "x"}
            )
            outcomes: list[dict[str, Any]] = []

            async def confirm(cid: str = held["confirmation_id"], into: list[dict[str, Any]] = outcomes) -> None:
                into.append(await call(client, "confirm_action", {"confirmation_id": cid}))

            async with anyio.create_task_group() as tg:
                for _ in range(50):
                    tg.start_soon(confirm)
            assert len(outcomes) == 50
            assert {o["status"] for o in outcomes} == {"done"}  # the losers report the winner's outcome
            results = {str(o["result"]) for o in outcomes if o["status"] == "done"}
            assert len(results) == 1  # every "done" reports the one send
    sends = [w for w in writes(url) if w["path"].endswith("/messages/send")]
    assert len(sends) == repeat


async def test_an_elicitation_round_begun_on_one_process_finishes_on_another(
    fresh_sandbox: Any, make_settings: Any, shared_redis_url: str
) -> None:
    from mcp.shared.exceptions import MCPError
    from mcp.types import ElicitResult

    from google_mcp.server import build_server

    url = fresh_sandbox.url
    key = "a-shared-secret-of-32-characters"
    args = {"to": ["dana@example.com"], "subject": "sealed", "body_text": "x"}
    redis_url = shared_redis_url
    first = build_server(make_settings(url, state_key=key, redis_url=redis_url))
    same_key = build_server(make_settings(url, state_key=key, redis_url=redis_url))
    other_key = build_server(make_settings(url, state_key="another-secret-of-32-characters!", redis_url=redis_url))
    modern = "2026-07-28"
    async with connect_to(first, modern) as a, connect_to(same_key, modern) as b, connect_to(other_key, modern) as c:
        asked = await a.session.call_tool("gmail_send", args, allow_input_required=True)
        assert type(asked).__name__ == "InputRequiredResult" and writes(url) == []
        yes = {k: ElicitResult(action="accept", content={"approve": True}) for k in asked.input_requests}
        with pytest.raises(MCPError, match="requestState"):  # sealed with another key: refused
            await c.session.call_tool(
                "gmail_send", args, input_responses=yes, request_state=asked.request_state, allow_input_required=True
            )
        assert writes(url) == []
        done = await b.session.call_tool(
            "gmail_send", args, input_responses=yes, request_state=asked.request_state, allow_input_required=True
        )
        assert done.structured_content["status"] == "done"  # type: ignore[union-attr]
    assert len([w for w in writes(url) if w["path"].endswith("/messages/send")]) == 1


def connect_to(server: Any, mode: str) -> Any:
    from mcp import Client

    return Client(server, elicitation_callback=Person(), mode=mode)


async def test_what_the_person_approved_is_what_runs_without_reading_twice(
    fresh_sandbox: Any, make_settings: Any
) -> None:
    from mcp_helpers import requests

    url = fresh_sandbox.url
    async with connect(make_settings(url), "legacy") as client:
        mid = (await call(client, "gmail_search", {"query": "is:unread", "max_results": 1}))["messages"][0]["id"]
        before = len(requests(url))
        done = await call(client, "gmail_trash", {"message_ids": [mid]})
        log = requests(url)[before:]
    assert done["status"] == "done"
    reads = [r for r in log if r["method"] == "GET" and r["path"].endswith(f"/messages/{mid}")]
    assert len(reads) == 1  # the preview's read, not repeated when the approved plan runs
    assert [
        r["path"].rsplit("/", 1)[-1]
        for r in log
        if r["method"] == "POST" and not r["batch"] and not r["path"].startswith("/batch")
    ] == ["trash"]
