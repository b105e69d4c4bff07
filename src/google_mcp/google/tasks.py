"""Google Tasks as typed operations over the Google client: lists, tasks by due date in the person's zone,
and the writes the gate carries out (insert, patch, move, delete).

Google stores a task's `due` as RFC 3339 at midnight UTC and keeps only the date: it goes out and comes back
as the date itself, and "today" and "overdue" are the person's date in their own zone."""

from __future__ import annotations

import re
import time
from datetime import date, timedelta
from typing import Any

from google_mcp.errors import InvalidInput, NotFound
from google_mcp.google.client import GoogleClient
from google_mcp.google.tasks_models import (
    Due,
    TaskItem,
    TaskListInfo,
    TaskLists,
    TaskPage,
    TaskWritten,
    rfc3339,
    said,
)

LISTS_TTL = 60.0  # seconds the task lists (ids and titles) are trusted for resolving a name
PAGE = 100  # Google's largest page of tasks
_ID = re.compile(r"^[\w-]{1,200}$")


def _day(value: str | None) -> str | None:
    return value[:10] if value else None  # the date Google keeps; the time is always midnight UTC


def _check_id(value: str, what: str) -> str:
    if not _ID.match(value):
        raise InvalidInput(f"{said(value)} is not a {what} id; use an id from tasks_list or tasks_lists.")
    return value


class Tasks:
    def __init__(self, client: GoogleClient) -> None:
        self.client = client
        self._lists: tuple[float, list[dict[str, Any]]] | None = None

    async def _exec(self, build: Any, what: str, *, retry: bool = True) -> Any:
        return await self.client.execute("tasks", build, what=what, retry=retry)

    # lists ------------------------------------------------------------------------------------
    async def lists(self, fresh: bool = False) -> list[dict[str, Any]]:
        if fresh or self._lists is None or self._lists[0] < time.monotonic():
            found: list[dict[str, Any]] = []
            token: str | None = None
            while True:
                kwargs: dict[str, Any] = {"maxResults": 100, **({"pageToken": token} if token else {})}
                got = await self._exec(lambda s, k=kwargs: s.tasklists().list(**k), "listing task lists")
                found += got.get("items", [])
                token = got.get("nextPageToken")
                if not token or len(found) >= 1000:
                    break
            self._lists = (time.monotonic() + LISTS_TTL, found)
        return self._lists[1]

    async def list_lists(self) -> TaskLists:
        items = await self.lists(fresh=True)
        return TaskLists(
            lists=[TaskListInfo(id=i["id"], title=i.get("title", ""), updated=i.get("updated", "")) for i in items]
        )

    async def resolve_list(self, wanted: str | None) -> dict[str, Any]:
        """A list by id or title (any case); none given: the default list (the first Google gives)."""
        lists = await self.lists()
        if not lists:
            raise NotFound("This account has no task lists.")
        if not wanted:
            return lists[0]
        for fresh in (False, True):
            if fresh:
                lists = await self.lists(fresh=True)
            for item in lists:
                if wanted == item["id"] or wanted.strip().casefold() == item.get("title", "").casefold():
                    return item
        names = ", ".join(f"{i.get('title', '')!r}" for i in lists[:30])
        raise InvalidInput(f"No task list {said(wanted)}. The lists are: {names}.")

    # tasks ------------------------------------------------------------------------------------
    def item(self, raw: dict[str, Any], tasklist: dict[str, Any]) -> TaskItem:
        return TaskItem(
            id=raw["id"],
            title=raw.get("title", ""),
            list_id=tasklist["id"],
            list=tasklist.get("title", ""),
            due=_day(raw.get("due")),
            status=raw.get("status", "needsAction"),
            completed=raw.get("completed"),
            notes=raw.get("notes") or None,
            parent=raw.get("parent"),
            link=raw.get("webViewLink"),
        )

    async def _list_tasks(self, tasklist: dict[str, Any], query: dict[str, Any], limit: int) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        token: str | None = None
        while len(out) < limit:
            kwargs = {
                "tasklist": tasklist["id"],
                "maxResults": PAGE,
                **query,
                **({"pageToken": token} if token else {}),
            }
            got = await self._exec(
                lambda s, k=kwargs: s.tasks().list(**k), f"listing tasks in {tasklist.get('title')!r}"
            )
            out += got.get("items", [])
            token = got.get("nextPageToken")
            if not token:
                break
        return out

    async def tasks(
        self, wanted: str | None, due: Due, today: date, completed: bool, max_results: int, zone: str
    ) -> TaskPage:
        """Tasks of one list (or every list), narrowed by due date against the person's `today`."""
        lists = [await self.resolve_list(wanted)] if wanted else await self.lists()
        lo, hi = {
            "any": (None, None),
            "none": (None, None),
            "overdue": (None, today - timedelta(days=1)),
            "today": (today, today),
            "tomorrow": (today + timedelta(days=1), today + timedelta(days=1)),
            "week": (today, today + timedelta(days=6)),
        }[due]
        query: dict[str, Any] = {"showCompleted": completed and due != "overdue", "showHidden": completed}
        if lo is not None:
            query["dueMin"] = rfc3339(lo)
        if hi is not None:  # the whole last day, however Google reads the bound
            query["dueMax"] = f"{hi.isoformat()}T23:59:59.999Z"
        found: list[TaskItem] = []
        for tasklist in lists:
            for raw in await self._list_tasks(tasklist, query, max_results):
                if raw.get("deleted"):
                    continue
                item = self.item(raw, tasklist)
                day = date.fromisoformat(item.due) if item.due else None
                if due == "none" and day is not None:
                    continue
                if (lo and (day is None or day < lo)) or (hi and (day is None or day > hi)):
                    continue  # kept to the person's dates here too, whatever the bounds matched
                found.append(item)
        ordered = _ordered(found)
        note = None
        if len(ordered) > max_results:
            note = f"{len(ordered) - max_results} more not shown: narrow by list or due, or raise max_results."
        return TaskPage(tasks=ordered[:max_results], today=today.isoformat(), time_zone=zone, note=note)

    async def get(self, list_id: str, task_id: str) -> dict[str, Any]:
        got: dict[str, Any] = await self._exec(
            lambda s: s.tasks().get(tasklist=list_id, task=task_id), f"reading task {task_id}"
        )
        return got

    async def find(self, task_id: str, wanted: str | None) -> tuple[dict[str, Any], dict[str, Any]]:
        """A task and its list: in the list named, or the first list that has it."""
        _check_id(task_id, "task")
        lists = [await self.resolve_list(wanted)] if wanted else await self.lists()
        for tasklist in lists:
            try:
                return tasklist, await self.get(tasklist["id"], task_id)
            except NotFound:
                continue
        where = f"list {lists[0].get('title')!r}" if wanted else "any list"
        raise NotFound(f"No task {task_id} in {where}; use an id from tasks_list.")

    # writing ----------------------------------------------------------------------------------
    def written(self, raw: dict[str, Any], list_id: str) -> TaskWritten:
        return TaskWritten(
            id=raw["id"],
            list_id=list_id,
            title=raw.get("title", ""),
            status=raw.get("status", "needsAction"),
            due=_day(raw.get("due")),
            parent=raw.get("parent"),
            link=raw.get("webViewLink"),
        )

    async def insert(self, list_id: str, body: dict[str, Any], parent: str | None) -> TaskWritten:
        kwargs: dict[str, Any] = {"tasklist": list_id, "body": body, **({"parent": parent} if parent else {})}
        made = await self._exec(lambda s: s.tasks().insert(**kwargs), "adding a task", retry=False)
        return self.written(made, list_id)

    async def patch(self, list_id: str, task_id: str, body: dict[str, Any], what: str) -> TaskWritten:
        got = await self._exec(lambda s: s.tasks().patch(tasklist=list_id, task=task_id, body=body), what, retry=False)
        return self.written(got, list_id)

    async def move(
        self, list_id: str, task_id: str, parent: str | None, previous: str | None, destination: str | None
    ) -> TaskWritten:
        kwargs: dict[str, Any] = {"tasklist": list_id, "task": task_id}
        for key, value in (("parent", parent), ("previous", previous), ("destinationTasklist", destination)):
            if value:
                kwargs[key] = value
        got = await self._exec(lambda s: s.tasks().move(**kwargs), "moving a task", retry=False)
        return self.written(got, destination or list_id)

    async def delete(self, list_id: str, task_id: str) -> TaskWritten:
        await self._exec(lambda s: s.tasks().delete(tasklist=list_id, task=task_id), "deleting a task", retry=False)
        return TaskWritten(id=task_id, list_id=list_id, deleted=True)


def _ordered(items: list[TaskItem]) -> list[TaskItem]:
    """By due date (undated last), each parent followed by its subtasks that are in the page."""
    far = date.max.isoformat()
    present = {i.id for i in items}
    tops = [t for t in items if not t.parent or t.parent not in present]
    tops.sort(key=lambda t: (t.due or far, t.list, t.title.casefold()))
    children: dict[str, list[TaskItem]] = {}
    for t in items:
        if t.parent and t.parent in present:
            children.setdefault(t.parent, []).append(t)
    out: list[TaskItem] = []
    for t in tops:
        out.append(t)
        out += children.get(t.id, [])  # in Google's order: their position under the parent
    return out
