"""Google Tasks: the sandbox's Tasks v1 against the discovery document with the real client, and the Tasks
tools through an MCP client session (dates in the person's zone, each write held, confirmed once or declined,
completion auto-approvable while deletion always asks)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import anyio
import pytest
from googleapiclient.errors import HttpError
from hypothesis import HealthCheck, given, settings
from mcp import Client

from google_mcp.server import build_server
from helpers import control, credentials, run, tasks
from mcp_helpers import Person, call, connect, fails, writes
from test_edges import CRASH_WORDS, arguments

pytestmark = pytest.mark.anyio

TOOLS = ["gmail", "calendar", "tasks"]
READONLY = "https://www.googleapis.com/auth/tasks.readonly"
READS = {"tasks_lists", "tasks_list"}
WRITES = {"tasks_create", "tasks_update", "tasks_complete", "tasks_move", "tasks_delete"}


def task_writes(url: str) -> list[dict[str, Any]]:
    return [w for w in writes(url) if w["path"].startswith("/tasks/")]


def test_the_sandbox_answers_as_tasks_does(fresh_sandbox: Any) -> None:
    api = tasks(fresh_sandbox.url)
    lists = run(api.tasklists().list())["items"]
    assert [tl["title"] for tl in lists] == ["My Tasks", "Work", "Home", "Apollo launch"]
    assert run(api.tasklists().get(tasklist=lists[1]["id"]))["title"] == "Work"
    extra = run(api.tasklists().insert(body={"title": "Errands"}))
    everything = sum(
        len(run(api.tasks().list(tasklist=tl["id"], maxResults=100, showHidden=True)).get("items", [])) for tl in lists
    )
    assert 90 <= everything <= 110
    work = lists[1]["id"]
    shown = run(api.tasks().list(tasklist=work, maxResults=100)).get("items", [])
    hidden = run(api.tasks().list(tasklist=work, maxResults=100, showHidden=True)).get("items", [])
    assert len(hidden) > len(shown) and not any(t.get("hidden") for t in shown)
    open_ = run(api.tasks().list(tasklist=work, maxResults=100, showCompleted=False))["items"]
    assert all(t["status"] == "needsAction" for t in open_)
    day = datetime.now(UTC).astimezone(ZoneInfo("America/New_York")).date()
    window = run(
        api.tasks().list(tasklist=work, maxResults=100, dueMin=f"{day}T00:00:00Z", dueMax=f"{day}T23:59:59Z")
    ).get("items", [])
    assert all(t["due"] == f"{day}T00:00:00.000Z" for t in window)
    paged = run(api.tasks().list(tasklist=work, maxResults=5))
    assert len(paged["items"]) == 5 and paged["nextPageToken"]
    # writes: the time of a due date is dropped, as Google does; one level of subtasks; move; delete
    made = run(api.tasks().insert(tasklist=extra["id"], body={"title": "Milk", "due": "2027-01-05T15:30:00-08:00"}))
    assert made["due"] == "2027-01-05T00:00:00.000Z"  # the date the client sent, at midnight UTC
    child = run(api.tasks().insert(tasklist=extra["id"], parent=made["id"], body={"title": "Oat"}))
    second = run(api.tasks().insert(tasklist=extra["id"], parent=made["id"], previous=child["id"], body={"title": "B"}))
    assert child["parent"] == made["id"] and second["position"] > child["position"]
    done = run(api.tasks().patch(tasklist=extra["id"], task=child["id"], body={"status": "completed"}))
    assert done["status"] == "completed" and done["completed"]
    again = run(api.tasks().patch(tasklist=extra["id"], task=child["id"], body={"status": "needsAction"}))
    assert "completed" not in again
    run(api.tasks().update(tasklist=extra["id"], task=second["id"], body={"id": second["id"], "title": "Barley"}))
    moved = run(api.tasks().move(tasklist=extra["id"], task=second["id"]))
    assert "parent" not in moved and moved["position"] == f"{0:020d}"
    run(api.tasks().delete(tasklist=extra["id"], task=made["id"]))  # and its subtask with it
    left = run(api.tasks().list(tasklist=extra["id"])).get("items", [])
    assert [t["title"] for t in left] == ["Barley"]
    # Google's errors
    for request, status in [
        (api.tasks().get(tasklist=extra["id"], task="nope"), 404),
        (api.tasklists().get(tasklist="nope"), 404),
        (api.tasks().insert(tasklist=extra["id"], body={"title": "x", "due": "soon"}), 400),
        (api.tasks().insert(tasklist=extra["id"], parent=child["id"], body={"title": "grandchild"}), 400),
        (api.tasks().list(tasklist=extra["id"], dueMin="yesterday"), 400),
        (api.tasks().patch(tasklist=extra["id"], task=second["id"], body={"titel": "typo"}), 400),
    ]:
        with pytest.raises(HttpError) as failed:
            request.execute()
        assert failed.value.status_code == status
    readonly = tasks(fresh_sandbox.url, credentials(fresh_sandbox.url, scopes=READONLY))
    assert run(readonly.tasklists().list())["items"]
    with pytest.raises(HttpError) as refused:
        readonly.tasks().insert(tasklist=extra["id"], body={"title": "no"}).execute()
    assert refused.value.status_code == 403


async def test_reads_answer_in_compact_lines_soonest_first_with_subtasks_under_their_parent(
    fresh_sandbox: Any, make_settings: Any
) -> None:
    async with connect(make_settings(fresh_sandbox.url, tools=TOOLS)) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        assert {n for n in tools if n.startswith("tasks_")} == READS | WRITES
        assert all(tools[n].annotations.read_only_hint for n in READS)
        assert not any(tools[n].annotations.read_only_hint for n in WRITES)
        lists = await call(client, "tasks_lists")
        assert [tl["title"] for tl in lists["lists"]] == ["My Tasks", "Work", "Home", "Apollo launch"]
        page = await call(client, "tasks_list", {})
        today = date.fromisoformat(page["today"])
        assert page["time_zone"] == "America/New_York"
        dues = [t.get("due") or "9999-12-31" for t in page["tasks"] if not t.get("parent")]
        assert dues == sorted(dues) and not any(t.get("status") == "completed" for t in page["tasks"])
        overdue = (await call(client, "tasks_list", {"due": "overdue"}))["tasks"]
        assert overdue and all(date.fromisoformat(t["due"]) < today for t in overdue)
        due_today = (await call(client, "tasks_list", {"due": "today"}))["tasks"]
        assert due_today and all(t["due"] == today.isoformat() for t in due_today)
        launch = await client.call_tool("tasks_list", {"list": "apollo LAUNCH"})
        text = launch.content[0].text
        assert "Launch Apollo" in text and "\n↳ " in text and "OVERDUE" not in text.split("\n")[0]
        lines = text.splitlines()
        parent = next(i for i, line in enumerate(lines) if "Launch Apollo" in line)
        assert all(line.startswith("↳ ") for line in lines[parent + 1 : parent + 6])
        done = (await call(client, "tasks_list", {"list": "Work", "include_completed": True}))["tasks"]
        assert any(t.get("status") == "completed" for t in done)
        assert "No task list 'Garden'" in await fails(client, "tasks_list", {"list": "Garden"})


async def write_cases(client: Any) -> dict[str, dict[str, Any]]:
    page = (await call(client, "tasks_list", {"list": "Apollo launch"}))["tasks"]
    by_title = {t["title"]: t["id"] for t in page}
    work = (await call(client, "tasks_list", {"list": "Work"}))["tasks"]
    return {
        "tasks_create": {"title": "Call the orthodontist", "due": "friday", "list": "Home"},
        "tasks_update": {"task": work[0]["id"], "title": "Renamed", "due": "none"},
        "tasks_complete": {"task": work[1]["id"]},
        "tasks_move": {"task": by_title["Retrospective"], "parent": by_title["Launch Apollo"]},
        "tasks_delete": {"task": work[2]["id"], "list": "Work"},
    }


async def test_each_write_asks_and_runs_once_when_approved_and_never_when_declined(
    fresh_sandbox: Any, make_settings: Any
) -> None:
    url = fresh_sandbox.url
    person = Person()
    async with connect(make_settings(url, tools=TOOLS), person=person) as client:
        cases = await write_cases(client)
        for tool, args in cases.items():
            person.action, person.approve = "decline", True
            before = len(task_writes(url))
            assert (await call(client, tool, args))["status"] == "declined"
            assert len(task_writes(url)) == before, f"{tool} wrote after a decline"
            person.action = "accept"
            outcome = await call(client, tool, args)
            assert outcome["status"] == "done", (tool, outcome)
            assert len(task_writes(url)) == before + 1, tool
            assert person.asked[-1].startswith(outcome["preview"]["action"])
    methods = [(w["method"], w["path"].rsplit("/", 1)[-1]) for w in task_writes(url)]
    assert [m for m, _ in methods] == ["POST", "PATCH", "PATCH", "POST", "DELETE"] and methods[3][1] == "move"
    api = tasks(url)
    lists = {tl["title"]: tl["id"] for tl in run(api.tasklists().list())["items"]}
    made = [
        t
        for t in run(api.tasks().list(tasklist=lists["Home"], maxResults=100))["items"]
        if t["title"] == "Call the orthodontist"
    ]
    assert len(made) == 1 and date.fromisoformat(made[0]["due"][:10]).weekday() == 4
    renamed = run(api.tasks().get(tasklist=lists["Work"], task=cases["tasks_update"]["task"]))
    assert renamed["title"] == "Renamed" and "due" not in renamed
    moved = run(api.tasks().get(tasklist=lists["Apollo launch"], task=cases["tasks_move"]["task"]))
    assert moved["parent"] == cases["tasks_move"]["parent"]


async def test_held_writes_run_once_on_confirm_action(fresh_sandbox: Any, make_settings: Any) -> None:
    url = fresh_sandbox.url
    async with connect(make_settings(url, tools=TOOLS), person=None) as client:
        cases = await write_cases(client)
        for tool, args in cases.items():
            before = len(task_writes(url))
            held = await call(client, tool, args)
            assert held["status"] == "confirmation_required" and len(task_writes(url)) == before, tool
            done = await call(client, "confirm_action", {"confirmation_id": held["confirmation_id"]})
            assert done["status"] == "done", (tool, done)
            again = await call(client, "confirm_action", {"confirmation_id": held["confirmation_id"]})
            assert again["status"] == "done" and len(task_writes(url)) == before + 1, tool


async def test_completion_can_be_auto_approved_while_deleting_always_asks(
    fresh_sandbox: Any, make_settings: Any
) -> None:
    url = fresh_sandbox.url
    person = Person(action="decline")
    settings = make_settings(url, tools=TOOLS, auto_approve=["tasks_complete", "tasks_delete"])
    async with connect(settings, person=person) as client:
        work = (await call(client, "tasks_list", {"list": "Work"}))["tasks"]
        done = await call(client, "tasks_complete", {"task": work[0]["id"]})
        assert done["status"] == "done" and "auto-approved" in done["message"] and person.asked == []
        assert done["result"]["status"] == "completed"
        undone = await call(client, "tasks_complete", {"task": work[0]["id"], "done": False})
        assert undone["status"] == "done" and "status" not in undone["result"]  # needsAction: the default
        held = await call(client, "tasks_delete", {"task": work[1]["id"]})  # listed, and still it asks
        assert held["status"] == "confirmation_required"
        assert "deleting a task always asks" in held["message"]
        launch = next(
            t for t in (await call(client, "tasks_list", {"list": "Apollo launch"}))["tasks"] if not t.get("parent")
        )
        assert launch["title"] == "Launch Apollo"
        whole = await call(client, "tasks_delete", {"task": launch["id"]})
        assert "With its 5 subtasks: Freeze the API; Run the load test;" in whole["preview"]["details"][-1]
    assert [w["method"] for w in task_writes(url)] == ["PATCH", "PATCH"]
    async with connect(make_settings(url, tools=TOOLS, auto_approve=["tasks_complete"]), person=person) as client:
        declined = await call(client, "tasks_delete", {"task": work[1]["id"]})
        assert declined["status"] == "declined" and len(person.asked) == 1
    assert len(task_writes(url)) == 2


def _day_off_utc() -> str:
    """A zone whose date is not UTC's right now (so a date taken in UTC instead would show)."""
    return "Pacific/Kiritimati" if datetime.now(UTC).hour >= 10 else "Pacific/Honolulu"


@pytest.mark.parametrize("zone", ["Pacific/Auckland", _day_off_utc()])
async def test_tomorrow_is_the_persons_tomorrow_in_their_zone(
    fresh_sandbox: Any, make_settings: Any, zone: str
) -> None:
    url = fresh_sandbox.url
    control(url, "/_sandbox/time-zone", {"time_zone": zone})
    async with connect(make_settings(url, tools=TOOLS)) as client:
        tomorrow = datetime.now(ZoneInfo(zone)).date() + timedelta(days=1)
        made = await call(client, "tasks_create", {"title": "Call the dentist", "due": "tomorrow"})
        assert made["status"] == "done" and made["result"]["due"] == tomorrow.isoformat()
        assert f"Due: {tomorrow:%a} {tomorrow.isoformat()} (tomorrow in {zone})" in made["preview"]["details"]
        listed = await call(client, "tasks_list", {"due": "tomorrow"})
        assert listed["time_zone"] == zone and made["result"]["id"] in {t["id"] for t in listed["tasks"]}
        assert made["result"]["id"] not in {
            t["id"] for t in (await call(client, "tasks_list", {"due": "today"}))["tasks"]
        }
        line = next(
            x
            for x in (await client.call_tool("tasks_list", {"due": "tomorrow"})).content[0].text.splitlines()
            if made["result"]["id"] in x
        )
        assert f"{tomorrow.isoformat()} (tomorrow)" in line
    stored = [w for w in task_writes(url) if w["method"] == "POST"]
    assert len(stored) == 1


async def test_a_task_made_from_an_email_links_back_to_it(fresh_sandbox: Any, make_settings: Any) -> None:
    url = fresh_sandbox.url
    async with connect(make_settings(url, tools=TOOLS)) as client:
        message = (await call(client, "gmail_search", {"query": "from:dana", "max_results": 1}))["messages"][0]
        made = await call(client, "tasks_create", {"title": "", "from_message_id": message["id"], "due": "today"})
        assert made["status"] == "done" and made["result"]["title"] == message["subject"]
        link = f"https://mail.google.com/mail/#all/{message['id']}"
        assert any(link in d for d in made["preview"]["details"])
        stored = run(tasks(url).tasks().get(tasklist=made["result"]["list_id"], task=made["result"]["id"]))
        assert link in stored["notes"] and message["subject"] in stored["notes"]
        assert "is not a task id" in await fails(client, "tasks_complete", {"task": "no such/task"})
        assert (await call(client, "tasks_complete", {"task": made["result"]["id"]}))["status"] == "done"
        assert "already done" in await fails(client, "tasks_complete", {"task": made["result"]["id"]})


def _fuzz(server: Any, tool: Any) -> None:
    name = tool.name

    @settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(arguments(tool))
    def check(args: dict[str, Any]) -> None:
        async def run() -> None:
            async with Client(server, mode="legacy") as client:
                result = await client.call_tool(name, args)
            if result.is_error:
                text = result.content[0].text
                bare = text.strip() in (f"Error executing tool {name}", "")
                assert not bare and not any(w in text for w in CRASH_WORDS), (name, args, text)
                assert len(text) < 2000, (name, "an error should not echo a huge argument")

        anyio.run(run)

    check()


def test_no_tasks_or_chat_tool_answers_edge_input_with_an_unexplained_internal_error(
    sandbox: Any, make_settings: Any
) -> None:
    """test_edges.py's fuzz, over the two groups that are off by default (so not in its list)."""
    server = build_server(make_settings(sandbox.url, tools=["tasks", "chat"]))
    tools = [t for t in anyio.run(server.list_tools) if t.name.startswith(("tasks_", "chat_"))]
    assert len(tools) == 12
    for tool in tools:
        _fuzz(server, tool)
