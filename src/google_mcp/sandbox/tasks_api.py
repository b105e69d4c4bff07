"""Tasks v1 over HTTP, as the real client calls it: task lists (list, get, insert) and tasks (list with
dueMin/dueMax/showCompleted/showHidden, get, insert, patch, update, move, delete), each account its own.

Like Google: `due` keeps only the date (midnight UTC whatever time was sent), one level of subtasks, a
completed task gets `completed`, a deleted parent takes its subtasks with it, output-only fields sent in
are ignored."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from .errors import ApiError, bad_request, not_found, unknown_fields
from .routing import Call, Method, Reply, Router
from .timeutil import parse_rfc3339

if TYPE_CHECKING:
    from .host import Host

A = "https://www.googleapis.com/auth/"
READ = (A + "tasks", A + "tasks.readonly")
WRITE = (A + "tasks",)
L = "/tasks/v1/users/@me/lists"
T = "/tasks/v1/lists/{tasklist}/tasks"
WRITABLE = ("title", "notes", "due", "status", "completed", "deleted", "hidden")
TASK_FIELDS = frozenset(
    {"assignmentInfo", "completed", "deleted", "due", "etag", "hidden", "id", "kind", "links", "notes", "parent"}
    | {"position", "selfLink", "status", "title", "updated", "webViewLink"}
)


def new_id() -> str:
    return secrets.token_urlsafe(16)


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class TaskList:
    id: str
    title: str
    updated: str
    tasks: list[dict[str, Any]] = field(default_factory=list)  # in order: siblings by position

    def find(self, task_id: str) -> dict[str, Any] | None:
        return next((t for t in self.tasks if t["id"] == task_id and not t.get("deleted")), None)


@dataclass
class TaskStore:
    lists: list[TaskList] = field(default_factory=list)

    def add_list(self, title: str, now: datetime) -> TaskList:
        made = TaskList(new_id(), title, stamp(now))
        self.lists.append(made)
        return made

    def get(self, list_id: str) -> TaskList:
        if list_id == "@default" and self.lists:
            return self.lists[0]
        found = next((tl for tl in self.lists if tl.id == list_id), None)
        if found is None:
            raise not_found("Task list not found.")
        return found

    def add(
        self, tl: TaskList, body: dict[str, Any], now: datetime, parent: str | None = None, previous: str | None = None
    ) -> dict[str, Any]:
        task: dict[str, Any] = {"id": new_id(), "status": "needsAction"}
        _apply(task, body, now)
        task["updated"] = stamp(now)
        _place(tl, task, parent, previous)
        return task


def _due(value: Any) -> str:
    if not isinstance(value, str):
        raise bad_request("Invalid value for: due")
    text = value.strip()
    moment = parse_rfc3339(text, "due") if "T" in text else parse_rfc3339(text + "T00:00:00Z", "due")
    return f"{moment.date().isoformat()}T00:00:00.000Z"  # Google keeps the date only


def _apply(task: dict[str, Any], body: dict[str, Any], now: datetime) -> None:
    unknown_fields(body, TASK_FIELDS, "task")
    for key in WRITABLE:
        if key not in body:
            continue
        value = body[key]
        if value is None:
            task.pop(key, None)
            continue
        if key == "due":
            task["due"] = _due(value)
        elif key == "status":
            if value not in ("needsAction", "completed"):
                raise bad_request(f"Invalid value for: status ({value!r})")
            task["status"] = value
        elif key in ("title", "notes"):
            if not isinstance(value, str):
                raise bad_request(f"Invalid value for: {key}")
            if len(value) > (1024 if key == "title" else 8192):
                raise bad_request(f"Invalid value for: {key} is too long")
            task[key] = value
        elif key == "completed":
            task["completed"] = stamp(parse_rfc3339(str(value), "completed"))
        elif isinstance(value, bool):
            task[key] = value
    if task.get("status") == "completed":
        task.setdefault("completed", stamp(now))
    else:
        task.pop("completed", None)
        task.pop("hidden", None)


def _place(tl: TaskList, task: dict[str, Any], parent: str | None, previous: str | None) -> None:
    """Put `task` first among `parent`'s children, or right after `previous` (a sibling)."""
    if parent:
        above = tl.find(parent)
        if above is None or above.get("hidden"):
            raise bad_request("Invalid parent: the task set as parent must exist in this list and not be hidden.")
        if above.get("parent"):
            raise bad_request("Invalid parent: a subtask cannot have subtasks.")
        if above["id"] == task["id"]:
            raise bad_request("Invalid parent: a task cannot be its own parent.")
        if any(t.get("parent") == task["id"] and not t.get("deleted") for t in tl.tasks):
            raise bad_request("Invalid parent: a task with subtasks cannot become a subtask.")
        task["parent"] = parent
    else:
        task.pop("parent", None)
    if task in tl.tasks:
        tl.tasks.remove(task)
    siblings = [t for t in tl.tasks if t.get("parent") == task.get("parent") and not t.get("deleted")]
    if previous:
        before = next((t for t in siblings if t["id"] == previous), None)
        if before is None:
            raise bad_request("Invalid previous: it must be a sibling of the task in this list.")
        tl.tasks.insert(tl.tasks.index(before) + 1, task)
    elif siblings:
        tl.tasks.insert(tl.tasks.index(siblings[0]), task)
    elif parent:
        above = tl.find(parent)
        assert above is not None
        tl.tasks.insert(tl.tasks.index(above) + 1, task)
    else:
        tl.tasks.insert(0, task)


def task_json(tl: TaskList, task: dict[str, Any]) -> dict[str, Any]:
    siblings = [t for t in tl.tasks if t.get("parent") == task.get("parent") and not t.get("deleted")]
    position = siblings.index(task) if task in siblings else 0
    out: dict[str, Any] = {
        "kind": "tasks#task",
        "id": task["id"],
        "etag": f'"{abs(hash((task["id"], task["updated"])))}"',
        "title": task.get("title", ""),
        "updated": task["updated"],
        "selfLink": f"https://www.googleapis.com/tasks/v1/lists/{tl.id}/tasks/{task['id']}",
        "position": f"{position:020d}",
        "status": task["status"],
        "webViewLink": f"https://tasks.google.com/task/{task['id']}?sa=6",
        "links": [],
    }
    for key in ("parent", "notes", "due", "completed", "deleted", "hidden"):
        if task.get(key):
            out[key] = task[key]
    return out


def list_json(tl: TaskList) -> dict[str, Any]:
    return {
        "kind": "tasks#taskList",
        "id": tl.id,
        "etag": f'"{abs(hash((tl.id, tl.updated)))}"',
        "title": tl.title,
        "updated": tl.updated,
        "selfLink": f"https://www.googleapis.com/tasks/v1/users/@me/lists/{tl.id}",
    }


def _page(call: Call, items: list[Any], default: int, most: int) -> tuple[list[Any], str | None]:
    size = call.int_arg("maxResults", default, lo=1, hi=most)
    try:
        start = int(call.arg("pageToken") or 0)
    except ValueError:
        raise bad_request("Invalid page token.") from None
    nxt = str(start + size) if start + size < len(items) else None
    return items[start : start + size], nxt


class TasksApi:
    def __init__(self, sandbox: Host) -> None:
        self.sb = sandbox
        self.stores: dict[str, TaskStore] = {}

    def reset(self) -> None:
        self.stores = {}

    @property
    def store(self) -> TaskStore:
        """The task lists of the account the request acts as (each starts with its default list)."""
        account = self.sb.mailbox.account
        found = self.stores.get(account)
        if found is None:
            found = self.stores[account] = TaskStore()
            found.add_list("My Tasks", self.sb.now())
        return found

    def register(self, r: Router) -> None:
        for method, path, handler, method_id, scopes in [
            ("GET", L, self.lists, "tasks.tasklists.list", READ),
            ("POST", L, self.insert_list, "tasks.tasklists.insert", WRITE),
            ("GET", L + "/{tasklist}", self.get_list, "tasks.tasklists.get", READ),
            ("GET", T, self.list, "tasks.tasks.list", READ),
            ("POST", T, self.insert, "tasks.tasks.insert", WRITE),
            ("GET", T + "/{task}", self.get, "tasks.tasks.get", READ),
            ("PATCH", T + "/{task}", self.patch, "tasks.tasks.patch", WRITE),
            ("PUT", T + "/{task}", self.update, "tasks.tasks.update", WRITE),
            ("DELETE", T + "/{task}", self.delete, "tasks.tasks.delete", WRITE),
            ("POST", T + "/{task}/move", self.move, "tasks.tasks.move", WRITE),
        ]:
            r.add(method, path, Method(handler, method_id), scopes)

    # lists --------------------------------------------------------------------------------
    def lists(self, call: Call) -> dict[str, Any]:
        items, nxt = _page(call, self.store.lists, 1000, 1000)
        out: dict[str, Any] = {"kind": "tasks#taskLists", "etag": '"lists"', "items": [list_json(t) for t in items]}
        if nxt:
            out["nextPageToken"] = nxt
        return out

    def get_list(self, call: Call) -> dict[str, Any]:
        return list_json(self.store.get(call.params["tasklist"]))

    def insert_list(self, call: Call) -> dict[str, Any]:
        title = call.json().get("title")
        if not isinstance(title, str) or not title.strip():
            raise bad_request("Invalid value for: title")
        return list_json(self.store.add_list(title, self.sb.now()))

    # tasks --------------------------------------------------------------------------------
    def _task(self, call: Call) -> tuple[TaskList, dict[str, Any]]:
        tl = self.store.get(call.params["tasklist"])
        task = tl.find(call.params["task"])
        if task is None:
            raise not_found("Task not found.")
        return tl, task

    def list(self, call: Call) -> dict[str, Any]:
        tl = self.store.get(call.params["tasklist"])
        bounds = {
            name: parse_rfc3339(raw, name)
            for name in ("dueMin", "dueMax", "completedMin", "completedMax", "updatedMin")
            if (raw := call.arg(name))
        }
        show_completed = call.bool_arg("showCompleted", True)
        show_hidden = call.bool_arg("showHidden", False)
        show_deleted = call.bool_arg("showDeleted", False)
        chosen = []
        for task in tl.tasks:
            if task.get("deleted") and not show_deleted:
                continue
            if task.get("hidden") and not show_hidden:
                continue
            if task["status"] == "completed" and not show_completed:
                continue
            for name, bound in bounds.items():
                key = {"due": "due", "com": "completed", "upd": "updated"}[name[:3]]
                value = task.get(key)
                if value is None:
                    break
                moment = parse_rfc3339(value, key)
                if (name.endswith("Min") and moment < bound) or (name.endswith("Max") and moment > bound):
                    break
            else:
                chosen.append(task)
        items, nxt = _page(call, chosen, 20, 100)
        out: dict[str, Any] = {
            "kind": "tasks#tasks",
            "etag": f'"{len(tl.tasks)}"',
            "items": [task_json(tl, t) for t in items],
        }
        if nxt:
            out["nextPageToken"] = nxt
        return out

    def get(self, call: Call) -> dict[str, Any]:
        return task_json(*self._task(call))

    def insert(self, call: Call) -> dict[str, Any]:
        tl = self.store.get(call.params["tasklist"])
        body = call.json()
        task = self.store.add(tl, body, self.sb.now(), call.arg("parent"), call.arg("previous"))
        return task_json(tl, task)

    def patch(self, call: Call) -> dict[str, Any]:
        tl, task = self._task(call)
        _apply(task, call.json(), self.sb.now())
        task["updated"] = stamp(self.sb.now())
        return task_json(tl, task)

    def update(self, call: Call) -> dict[str, Any]:
        tl, task = self._task(call)
        body = call.json()
        if body.get("id") not in (None, task["id"]):
            raise bad_request("The task id in the body does not match the one in the path.")
        for key in ("title", "notes", "due", "completed"):
            task.pop(key, None)
        task["status"] = "needsAction"
        _apply(task, body, self.sb.now())
        task["updated"] = stamp(self.sb.now())
        return task_json(tl, task)

    def delete(self, call: Call) -> Reply:
        tl, task = self._task(call)
        for t in tl.tasks:
            if t is task or t.get("parent") == task["id"]:
                t["deleted"] = True
                t["updated"] = stamp(self.sb.now())
        return Reply(204)

    def move(self, call: Call) -> dict[str, Any]:
        tl, task = self._task(call)
        destination = call.arg("destinationTasklist")
        target = self.store.get(destination) if destination else tl
        if target is not tl:
            if any(t.get("parent") == task["id"] and not t.get("deleted") for t in tl.tasks):
                raise ApiError(400, "A task with subtasks cannot be moved to another list.", "invalid")
            tl.tasks.remove(task)
        _place(target, task, call.arg("parent"), call.arg("previous"))
        task["updated"] = stamp(self.sb.now())
        return task_json(target, task)
