"""The Google Tasks tools: thin declarations over the Tasks adapter (google/tasks.py).

Dates are the person's: "today", "tomorrow" and "overdue" are read in the zone their calendar settings
give. Completing a task may be auto-approved (GOOGLE_MCP_AUTO_APPROVE=tasks_complete); deleting one always
asks, whatever that setting lists."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import Field

from google_mcp.errors import InvalidInput
from google_mcp.gate import Plan
from google_mcp.google.tasks_models import Due, TaskLists, TaskPage, TaskWritten, due_date, rfc3339
from google_mcp.google.times import zone
from google_mcp.models import Preview
from google_mcp.registry import DESTRUCTIVE, IDEMPOTENT, READ, WRITE, Registrar
from google_mcp.state import AppState
from google_mcp.tools.when import person_zone

ListName = Annotated[str | None, Field(description="list title or id; default: every list (reads), your first list")]
TaskId = Annotated[str, Field(description="task id from tasks_list")]
DueText = Annotated[str | None, Field(description="YYYY-MM-DD, today, tomorrow or a weekday")]
MAX_TITLE, MAX_NOTES = 1024, 8192  # Google's limits


def gmail_link(message_id: str) -> str:
    return f"https://mail.google.com/mail/#all/{message_id}"


async def person_today(state: AppState) -> tuple[date, str]:
    """The person's date now, and their zone (their calendar's setting; UTC when it cannot be read)."""
    name = await person_zone(state)
    return datetime.now(zone(name)).date(), name


def _said(day: date, today: date, tz: str) -> str:
    word = {0: "today", 1: "tomorrow"}.get((day - today).days)
    return f"{day:%a} {day.isoformat()}" + (f" ({word} in {tz})" if word else "")


async def _task(state: AppState, task: str, wanted: str | None) -> tuple[dict[str, Any], dict[str, Any]]:
    return await state.tasks.find(task, wanted)


# reads ----------------------------------------------------------------------------------------
async def tasks_lists(state: AppState) -> TaskLists:
    """Your Google Tasks lists: id and title."""
    return await state.tasks.list_lists()


async def tasks_list(
    state: AppState,
    list: ListName = None,
    due: Annotated[Due, Field(description="overdue, today, tomorrow, week (next 7 days), none (undated)")] = "any",
    include_completed: bool = False,
    max_results: Annotated[int, Field(ge=1, le=500)] = 100,
) -> TaskPage:
    """Your tasks, soonest due first, subtasks under their parent; dates in your time zone."""
    today, tz = await person_today(state)
    return await state.tasks.tasks(list, due, today, include_completed, max_results, tz)


# writes ---------------------------------------------------------------------------------------
async def tasks_create(
    state: AppState,
    title: str,
    notes: str | None = None,
    due: DueText = None,
    list: ListName = None,
    parent: Annotated[str | None, Field(description="make it a subtask of this task id")] = None,
    from_message_id: Annotated[str | None, Field(description="a Gmail message id: the task links back to it")] = None,
) -> Plan:
    """Add a task (to a list, as a subtask, from an email)."""
    if not title.strip() and not from_message_id:
        raise InvalidInput("Give the task a title.")
    tasks = state.tasks
    tasklist = await tasks.resolve_list(list)
    details = [f"List: {tasklist.get('title', '')}"]
    body: dict[str, Any] = {"title": title.strip()}
    if parent:
        _, above = await tasks.find(parent, tasklist["id"])
        if above.get("parent"):
            raise InvalidInput("That task is itself a subtask; Google Tasks has one level of subtasks.")
        details.append(f"Subtask of: {above.get('title', '')}")
    if due:
        today, tz = await person_today(state)
        day = due_date(due, today)
        body["due"] = rfc3339(day)
        details.append(f"Due: {_said(day, today, tz)}")
    text = (notes or "").strip()
    if from_message_id:
        found = (await state.gmail.describe_messages([from_message_id]))[0]
        body["title"] = body["title"] or found.subject or "(no subject)"
        link = gmail_link(found.id)
        text = (text + "\n\n" if text else "") + f"From the email “{found.subject}” from {found.sender}: {link}"
        details.append(f"From the email: “{found.subject}” from {found.sender} ({link})")
    if len(body["title"]) > MAX_TITLE or len(text) > MAX_NOTES:
        raise InvalidInput(f"Google takes a title of up to {MAX_TITLE} characters and notes up to {MAX_NOTES}.")
    if text:
        body["notes"] = text
        details.append(f"Notes:\n{text}")
    preview = Preview(action="Add a task", summary=body["title"], details=details)
    return Plan(preview, {"list_id": tasklist["id"], "body": body, "parent": parent})


async def create_op(state: AppState, op: dict[str, Any]) -> TaskWritten:
    return await state.tasks.insert(op["list_id"], op["body"], op.get("parent"))


async def tasks_update(
    state: AppState,
    task: TaskId,
    list: ListName = None,
    title: str | None = None,
    notes: str | None = None,
    due: Annotated[str | None, Field(description="YYYY-MM-DD, today, tomorrow, a weekday, or none to clear")] = None,
) -> Plan:
    """Change a task's title, notes or due date."""
    tasklist, raw = await _task(state, task, list)
    body: dict[str, Any] = {}
    details = [f"Task: {raw.get('title', '')} (list {tasklist.get('title', '')})"]
    if title is not None and title.strip() != raw.get("title", ""):
        if not title.strip() or len(title) > MAX_TITLE:
            raise InvalidInput(f"A title is 1 to {MAX_TITLE} characters.")
        body["title"] = title.strip()
        details.append(f"Title: {raw.get('title', '')} → {body['title']}")
    if notes is not None and notes != raw.get("notes", ""):
        if len(notes) > MAX_NOTES:
            raise InvalidInput(f"Google takes notes of up to {MAX_NOTES} characters.")
        body["notes"] = notes
        details.append(f"Notes now:\n{raw.get('notes', '') or '(none)'}\nNotes become:\n{notes or '(none)'}")
    if due is not None:
        was = (raw.get("due") or "")[:10] or "no date"
        if due.strip().lower() == "none":
            if raw.get("due"):
                body["due"] = None
                details.append(f"Due: {was} → no date")
        else:
            today, tz = await person_today(state)
            day = due_date(due, today)
            if day.isoformat() != was:
                body["due"] = rfc3339(day)
                details.append(f"Due: {was} → {_said(day, today, tz)}")
    if not body:
        raise InvalidInput("Nothing would change: give a new title, notes or due date.")
    preview = Preview(action="Change a task", summary=raw.get("title", ""), details=details)
    return Plan(preview, {"list_id": tasklist["id"], "task_id": raw["id"], "body": body})


async def update_op(state: AppState, op: dict[str, Any]) -> TaskWritten:
    return await state.tasks.patch(op["list_id"], op["task_id"], op["body"], "changing a task")


async def tasks_complete(state: AppState, task: TaskId, list: ListName = None, done: bool = True) -> Plan:
    """Mark a task done (done=false: not done again)."""
    tasklist, raw = await _task(state, task, list)
    is_done = raw.get("status") == "completed"
    if is_done == done:
        raise InvalidInput(f"The task {raw.get('title', '')!r} is already {'done' if done else 'not done'}.")
    body: dict[str, Any] = {"status": "completed"} if done else {"status": "needsAction", "completed": None}
    preview = Preview(
        action="Mark a task done" if done else "Mark a task not done",
        summary=raw.get("title", ""),
        details=[f"List: {tasklist.get('title', '')}", *([f"Due: {raw['due'][:10]}"] if raw.get("due") else [])],
    )
    # only the status: what auto-approving tasks_complete covers, and all it can do
    return Plan(preview, {"list_id": tasklist["id"], "task_id": raw["id"], "body": body})


async def complete_op(state: AppState, op: dict[str, Any]) -> TaskWritten:
    return await state.tasks.patch(op["list_id"], op["task_id"], op["body"], "marking a task")


async def tasks_move(
    state: AppState,
    task: TaskId,
    list: ListName = None,
    parent: Annotated[str | None, Field(description="make it a subtask of this task id")] = None,
    after: Annotated[str | None, Field(description="place it after this task id; default first")] = None,
    to_list: Annotated[str | None, Field(description="move it to this list (title or id)")] = None,
) -> Plan:
    """Move a task: under another task, after one, to the top level or to another list."""
    tasks = state.tasks
    tasklist, raw = await _task(state, task, list)
    target = await tasks.resolve_list(to_list) if to_list else tasklist
    details = [f"Task: {raw.get('title', '')}", f"List: {tasklist.get('title', '')}"]
    if target["id"] != tasklist["id"]:
        details[-1] += f" → {target.get('title', '')}"
    if parent:
        if parent == raw["id"]:
            raise InvalidInput("A task cannot be its own parent.")
        _, above = await tasks.find(parent, target["id"])
        details.append(f"Under: {above.get('title', '')}")
    else:
        details.append("At the top level")
    if after:
        _, before = await tasks.find(after, target["id"])
        details.append(f"After: {before.get('title', '')}")
    else:
        details.append("First in its place")
    op = {"list_id": tasklist["id"], "task_id": raw["id"], "parent": parent, "previous": after}
    if target["id"] != tasklist["id"]:
        op["destination"] = target["id"]
    return Plan(Preview(action="Move a task", summary=raw.get("title", ""), details=details), op)


async def move_op(state: AppState, op: dict[str, Any]) -> TaskWritten:
    return await state.tasks.move(op["list_id"], op["task_id"], op["parent"], op["previous"], op.get("destination"))


async def tasks_delete(state: AppState, task: TaskId, list: ListName = None) -> Plan:
    """Delete a task (and its subtasks)."""
    tasklist, raw = await _task(state, task, list)
    today, tz = await person_today(state)
    everything = await state.tasks.tasks(tasklist["id"], "any", today, True, 500, tz)
    under = [t.title for t in everything.tasks if t.parent == raw["id"]]
    details = [f"List: {tasklist.get('title', '')}"]
    if raw.get("notes"):
        details.append(f"Notes:\n{raw['notes']}")
    if under:
        details.append(f"With its {len(under)} subtasks: " + "; ".join(under[:20]))
    preview = Preview(action="Delete a task", summary=raw.get("title", ""), details=details)
    return Plan(
        preview,
        {"list_id": tasklist["id"], "task_id": raw["id"]},
        auto_ok=False,
        asks_because="deleting a task always asks",
    )


async def delete_op(state: AppState, op: dict[str, Any]) -> TaskWritten:
    return await state.tasks.delete(op["list_id"], op["task_id"])


def register(tool: Registrar) -> None:
    tool(title="List task lists", annotations=READ)(tasks_lists)
    tool(title="List tasks", annotations=READ)(tasks_list)
    tool(title="Add a task", annotations=WRITE, execute=create_op)(tasks_create)
    tool(title="Change a task", annotations=DESTRUCTIVE, execute=update_op)(tasks_update)
    tool(title="Mark a task done", annotations=IDEMPOTENT, execute=complete_op)(tasks_complete)
    tool(title="Move a task", annotations=IDEMPOTENT, execute=move_op)(tasks_move)
    tool(title="Delete a task", annotations=DESTRUCTIVE, execute=delete_op)(tasks_delete)
