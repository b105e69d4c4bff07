"""Google Tasks' results, and the compact lines a model reads of them.

A task's `due` is a date: Google keeps it as RFC 3339 at midnight UTC and drops the time, so it is read as
the date it names (never shifted into a zone, which would move it a day west of Greenwich)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

from google_mcp.errors import InvalidInput
from google_mcp.models import Result

Due = Literal["any", "overdue", "today", "tomorrow", "week", "none"]
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


def said(value: str) -> str:
    """An argument as an error quotes it: short, whatever was sent."""
    return repr(value if len(value) <= 60 else value[:57] + "…")


def due_date(value: str, today: date) -> date:
    """A due date from a person: YYYY-MM-DD, today, tomorrow, or a weekday (the next one after today)."""
    word = value.strip().lower()
    if word == "today":
        return today
    if word == "tomorrow":
        return today + timedelta(days=1)
    if word in WEEKDAYS:
        ahead = (WEEKDAYS.index(word) - today.weekday() - 1) % 7 + 1
        return today + timedelta(days=ahead)
    try:
        return date.fromisoformat(word)
    except ValueError:
        raise InvalidInput(
            f"due {said(value)} is not a date: use YYYY-MM-DD, today, tomorrow or a weekday (monday … sunday)."
        ) from None


def rfc3339(day: date) -> str:
    """How Google takes a due date: that date at midnight UTC."""
    return f"{day.isoformat()}T00:00:00.000Z"


class TaskListInfo(Result):
    id: str
    title: str
    updated: str = ""


class TaskLists(Result):
    lists: list[TaskListInfo]


class TaskItem(Result):
    id: str
    title: str
    list_id: str
    list: str = ""  # the list's title
    due: str | None = None  # YYYY-MM-DD
    status: str = "needsAction"  # or completed
    completed: str | None = None  # when, in the person's zone
    notes: str | None = None
    parent: str | None = None  # the parent task's id (a subtask)
    link: str | None = None


class TaskPage(Result):
    tasks: list[TaskItem]
    today: str  # the person's date, in their zone: what "overdue" and "today" were read against
    time_zone: str
    note: str | None = None


class TaskWritten(Result):
    id: str
    list_id: str
    title: str = ""
    status: str = "needsAction"
    due: str | None = None
    parent: str | None = None
    deleted: bool = False
    link: str | None = None


NOTES_SHOWN = 80  # characters of a task's notes on its line


def _when(item: TaskItem, today: date) -> str:
    if not item.due:
        return "no date"
    due = date.fromisoformat(item.due)
    days = (due - today).days
    word = {0: "today", 1: "tomorrow", -1: "yesterday"}.get(days)
    late = " OVERDUE" if days < 0 and item.status != "completed" else ""
    return f"{due:%a} {due.isoformat()}" + (f" ({word})" if word else "") + late


def lines(page: TaskPage) -> str:
    """One line per task: id · due · title · details; subtasks indented under their parent."""
    today = date.fromisoformat(page.today)
    several = len({t.list_id for t in page.tasks}) > 1
    head = f"{len(page.tasks)} tasks; today is {today:%a} {today.isoformat()} ({page.time_zone})."
    if page.note:
        head += f" {page.note}"
    out = [head + " id · due · title · details"]
    for t in page.tasks:
        parts = [t.id, _when(t, today), t.title or "(no title)"]
        if t.status == "completed":
            parts.append("done" + (f" {t.completed[:10]}" if t.completed else ""))
        if several and t.list:
            parts.append(f"list {t.list}")
        if t.notes:
            flat = " ".join(t.notes.split())
            parts.append(flat[:NOTES_SHOWN] + ("…" if len(flat) > NOTES_SHOWN else ""))
        out.append(("↳ " if t.parent else "") + " · ".join(parts))
    return "\n".join(out)
