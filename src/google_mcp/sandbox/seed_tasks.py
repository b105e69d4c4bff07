"""Seeded Google Tasks: about a hundred tasks over four lists, dated around the day the sandbox starts (in
the account's zone): overdue, today, tomorrow, this week, later and undated; done and hidden ones; subtasks;
notes that name the people of the mailbox."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import TYPE_CHECKING

from .seed import PEOPLE

if TYPE_CHECKING:
    from .host import Host
    from .tasks_api import TaskStore

WORK = [
    "Review the Q3 roadmap draft",
    "Send the offsite agenda",
    "Book the venue for the launch party",
    "Reply to Priya about the Acme contract",
    "Update the hiring plan",
    "Prepare slides for the board",
    "File the expense report",
    "Check the security review notes",
    "Write the release notes",
    "Sign off the budget",
    "Call the vendor about invoice 2231",
    "Plan the architecture guild session",
]
HOME = [
    "Call the dentist",
    "Renew the passport",
    "Pick up the dry cleaning",
    "Pay the water bill",
    "Buy a birthday present",
    "Fix the bike's back light",
    "Water the plants",
    "Book the car service",
]
APOLLO = ["Freeze the API", "Run the load test", "Translate the onboarding", "Brief support", "Press kit"]


def seed_tasks(sb: Host, store: TaskStore, full: bool = True) -> None:
    if not full:
        return
    rng = random.Random(20261202)
    now = sb.now()
    today = now.astimezone(sb.tz).date()
    default = store.lists[0]
    work = store.add_list("Work", now)
    home = store.add_list("Home", now)
    apollo = store.add_list("Apollo launch", now)
    people = list(PEOPLE.values())
    offsets = [-9, -4, -2, -1, 0, 0, 1, 1, 2, 3, 5, 6, 9, 14, 21, 30, None, None, None]
    made = 0
    for round_ in range(4):
        for tl, titles in ((work, WORK), (home, HOME), (default, WORK[:4] + HOME[:3])):
            for title in titles:
                if made >= 88:
                    break
                body: dict[str, object] = {"title": title if round_ == 0 else f"{title} ({round_ + 1})"}
                offset = rng.choice(offsets)
                if offset is not None:
                    body["due"] = _day(today, offset)
                if rng.random() < 0.35:
                    name, email = rng.choice(people)
                    body["notes"] = f"Ask {name} <{email}> first. " + rng.choice(
                        ["Details in the last email.", "See the shared doc.", "", "Before the weekly."]
                    )
                if rng.random() < 0.18:
                    body["status"] = "completed"
                    body["completed"] = (now - timedelta(days=rng.randint(0, 6))).isoformat()
                    body["hidden"] = rng.random() < 0.5  # done in Google's own apps: hidden until asked for
                store.add(tl, body, now)
                made += 1
    # the launch: one parent with subtasks, due this week
    parent = store.add(apollo, {"title": "Launch Apollo", "due": _day(today, 3), "notes": "Owner: Dana Whitfield"}, now)
    previous = None
    for n, title in enumerate(APOLLO):
        child_body = {"title": title, "due": _day(today, n)}
        child = store.add(apollo, child_body, now, parent["id"], previous)
        previous = child["id"]
    store.add(apollo, {"title": "Retrospective", "notes": "After the launch"}, now)
    store.add(default, {"title": "Call Dana about the launch", "due": _day(today, 1)}, now)


def _day(today: date, offset: int) -> str:
    return f"{(today + timedelta(days=offset)).isoformat()}T00:00:00.000Z"
