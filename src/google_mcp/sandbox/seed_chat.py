"""Seeded Google Chat: the people of the mailbox (the same Dana as in mail and the calendar) in two named
spaces with threads, a group chat and a direct message; one message from someone who has since left."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import TYPE_CHECKING

from .chat_api import ChatStore, Space, user_id
from .seed import ME, PEOPLE

if TYPE_CHECKING:
    from .host import Host

Reply = tuple[int, str, str]  # minutes ago, sender key, text
Thread = tuple[int, str, str, list[Reply]]  # its first message, and the replies
# (space, type, members by key, threads)
SPACES: list[tuple[str, str, list[str], list[Thread]]] = [
    (
        "Apollo launch",
        "SPACE",
        ["me", "dana", "priya", "marcus", "lena", "sam"],
        [
            (
                2 * 24 * 60,
                "dana",
                "Launch moves to Tuesday? Legal needs two more days on the terms.",
                [
                    (2 * 24 * 60 - 30, "marcus", "Fine by engineering. The load test runs Monday."),
                    (2 * 24 * 60 - 45, "me", "Tuesday works. I'll tell the board."),
                    (2 * 24 * 60 - 80, "oleg", "Translations will be ready by then."),
                ],
            ),
            (
                26 * 60,
                "marcus",
                "Load test results: p99 at 180 ms with 5k users, no errors.",
                [(25 * 60, "dana", "Great news 🎉"), (24 * 60, "priya", "Can Acme get the report?")],
            ),
            (300, "lena", "Press kit draft is in the shared drive.", []),
            (95, "sam", "Support brief at 15:00 tomorrow, everyone welcome.", [(60, "dana", "I'll be there.")]),
            (20, "dana", "Reminder: freeze the API today.", []),
        ],
    ),
    (
        "Team Berlin",
        "SPACE",
        ["me", "jose", "lena", "soren"],
        [
            (3 * 24 * 60, "jose", "Offsite in Berlin: hotel or apartment?", [(3 * 24 * 60 - 10, "soren", "Hotel.")]),
            (8 * 60, "lena", "Lunch on Thursday at the usual place?", [(7 * 60, "me", "Yes please.")]),
        ],
    ),
    ("", "GROUP_CHAT", ["me", "priya", "fatima"], [(40 * 60, "priya", "Contract signed, thanks both!", [])]),
    (
        "",
        "DIRECT_MESSAGE",
        ["me", "dana"],
        [(15, "dana", "Do you have a minute for the launch notes?", []), (10, "me", "Yes, calling you now.", [])],
    ),
]


def seed_chat(sb: Host, store: ChatStore, full: bool = True) -> None:
    if not full:
        return
    now = sb.now()
    people = {"me": ME, **PEOPLE}
    for title, kind, keys, threads in SPACES:
        space = Space(secrets.token_hex(6).upper(), title, kind, now - timedelta(days=60))
        space.members = [(user_id(people[k][1]), people[k][0]) for k in keys]
        store.spaces.append(space)
        flat: list[tuple[int, str, str, str | None]] = []
        for ago, who, text, replies in threads:
            flat.append((ago, who, text, None))
            flat += [(r_ago, r_who, r_text, text) for r_ago, r_who, r_text in replies]
        roots: dict[str, str] = {}
        for ago, who, text, root in sorted(flat, key=lambda m: -m[0]):
            sender = store.me if who == "me" else user_id(people[who][1])
            thread = roots.get(root) if root and kind == "SPACE" else None
            made = store.add_message(space, sender, text, now - timedelta(minutes=ago), thread)
            if root is None:
                roots[text] = made["thread"]["name"].rsplit("/", 1)[1]
