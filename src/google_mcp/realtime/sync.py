"""From 'something changed' (a push, or the poller's tick) to updates: read what changed since the stored
history id or sync token, log it, and publish the resources it touched — once per change.

A burst of pushes becomes one read: each push marks the mailbox (or calendar) dirty and only the holder
of its lock reads; a push whose history id is not past the stored one needs no read at all (a duplicate,
a replay, or one that arrived after a read that already covered it).

A push's token is not bound to its message, so a captured one can be replayed with any history id. A
Gmail push announces an id the mailbox had reached when it was sent, so a read that starts after it
reaches at least that far; when it does not, the push lied: its id is remembered as refused (the last
REFUSED_KEPT of them) and an identical replay costs no read.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import anyio

from google_mcp.errors import GoogleMCPError, NotFound
from google_mcp.realtime.store import Store
from google_mcp.realtime.updates import Updates
from google_mcp.state import AppState

log = logging.getLogger(__name__)

GATHER = 0.02  # seconds a sync waits for the rest of a burst before it reads
HISTORY = "gmail:history"
WANTED = "gmail:wanted"
ANNOUNCED = "gmail:announced"  # the highest history id a push announced (polls announce nothing)
REFUSED = "gmail:refused"  # history ids pushes announced beyond the mailbox
REFUSED_KEPT = 16


def message_uri(message_id: str) -> str:
    return "gmail://messages/" + quote(message_id, safe="")


def event_uri(calendar_id: str, event_id: str) -> str:
    return f"calendar://events/{quote(calendar_id, safe='@')}/{quote(event_id, safe='')}"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def mail_changes(history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Gmail's history records as one change per message and kind, in order."""
    out: list[dict[str, Any]] = []
    for record in history:
        for kind, key in (("added", "messagesAdded"), ("deleted", "messagesDeleted")):
            for item in record.get(key) or []:
                msg = item.get("message") or {}
                out.append({"kind": kind, "id": msg.get("id"), "labels": msg.get("labelIds") or []})
        for sign, key in (("+", "labelsAdded"), ("-", "labelsRemoved")):
            for item in record.get(key) or []:
                msg = item.get("message") or {}
                out.append(
                    {
                        "kind": "labels",
                        "id": msg.get("id"),
                        "labels": msg.get("labelIds") or [],
                        "changed": [sign + label for label in item.get("labelIds") or []],
                    }
                )
    return [c for c in out if c["id"]]


def touches_inbox(change: dict[str, Any]) -> bool:
    if change["kind"] in ("deleted", "resync"):
        return True  # Google does not say where it was (or everything may have changed)
    return "INBOX" in change["labels"] or any(c[1:] == "INBOX" for c in change.get("changed", []))


class Sync:
    """One account's sync: the single person's, or (a shared server) the person `owner`'s, whose keys in
    the store and whose updates are theirs alone."""

    def __init__(self, state: AppState, store: Store, updates: Updates, owner: str | None = None) -> None:
        self.state, self.store, self.updates, self.owner = state, store, updates, owner
        self.prefix = f"{owner}|" if owner else ""
        self.me = secrets.token_hex(8)  # this process, as a lock holder
        self.reads = {"gmail": 0, "calendar": 0}  # history.list / events.list sync reads made (for tests, doctor)

    def of(self, owner: str | None) -> Sync:
        """The sync of one person's account (None: the single person's)."""
        return self if owner == self.owner else Sync(self.state, self.store, self.updates, owner)

    async def _publish(self, uris: list[str]) -> None:
        for uri in uris:
            await self.updates.publish(uri, self.owner)

    async def gmail(self, pushed: int | None = None) -> None:
        """The mailbox changed at history id `pushed` (a push), or may have (a poll: None)."""
        stored = await self.store.get(self.prefix + HISTORY)
        if pushed is not None and stored is not None and pushed <= int(stored):
            return  # a duplicate, a replay, or one a read already covered
        if pushed is not None:
            if pushed in (await self.store.get(self.prefix + REFUSED) or []):
                return  # a replay of a push a read already found out
            await self.store.advance(self.prefix + ANNOUNCED, pushed)
        # what a read must reach: the newest id a push announced, or (a poll) anything past the stored one
        await self.store.advance(self.prefix + WANTED, pushed if pushed is not None else int(stored or 0) + 1)
        await self._coalesce("gmail", self._sync_gmail)

    async def calendar(self, calendar_id: str) -> None:
        await self._coalesce("cal:" + calendar_id, lambda: self._sync_calendar(calendar_id))

    async def _coalesce(self, key: str, work: Callable[[], Awaitable[None]]) -> None:
        key = self.prefix + key
        await self.store.mark(key)
        owner = f"{self.me}:{secrets.token_hex(4)}"  # this call: the lock excludes the process's other tasks too
        while await self.store.lock(key, owner, 60):
            try:
                await anyio.sleep(GATHER)
                while await self.store.take(key):
                    try:
                        await work()
                    except GoogleMCPError as exc:  # Google failed: the next push or tick tries again
                        log.warning("sync %s: %s", key, exc)
            finally:
                await self.store.unlock(key, owner)
            if not await self.store.take(key):  # nobody marked it while the lock was being let go
                return
            await self.store.mark(key)

    async def _sync_gmail(self) -> None:
        gmail = self.state.gmail
        start = await self.store.get(self.prefix + HISTORY)
        if start is None:
            await self.store.advance(self.prefix + HISTORY, int(await gmail.history_id()))
            return
        wanted = await self.store.get(self.prefix + WANTED)
        if wanted is not None and int(start) >= int(wanted):
            return  # a read after this burst began already reached it
        announced = await self.store.get(self.prefix + ANNOUNCED)  # before the read: pushes sent before it
        self.reads["gmail"] += 1
        try:
            history, now = await gmail.history(str(start))
            changes = mail_changes(history)
        except NotFound:  # too old for Google to keep: start again from now, and say so
            now, changes = await gmail.history_id(), [{"kind": "resync", "id": "", "labels": []}]
        if announced is not None and int(announced) > int(now):
            await self._refuse(int(announced), int(now))
        if int(now) <= int(start) or not await self.store.advance(self.prefix + HISTORY, int(now)):
            return  # nothing new, or another process moved past it and publishes what it read
        if not changes:
            return
        stamp = _now()
        await self.store.append(self.prefix + "gmail", [{**c, "at": stamp} for c in changes])
        uris = ["gmail://changes"]
        if any(touches_inbox(c) for c in changes):
            uris.append("gmail://inbox")
        uris += dict.fromkeys(message_uri(c["id"]) for c in changes if c["id"])
        await self._publish(uris)

    async def _refuse(self, announced: int, now: int) -> None:
        """A push announced a history id the mailbox had not reached: remember it, so that its replays
        cost nothing, and let the next real push read again (the lie no longer stands for what is wanted)."""
        log.warning("a Gmail push announced history id %s, beyond the mailbox's %s: refused", announced, now)
        refused = [int(h) for h in await self.store.get(self.prefix + REFUSED) or [] if int(h) != announced]
        await self.store.put(self.prefix + REFUSED, [*refused, announced][-REFUSED_KEPT:])
        await self.store.swap(self.prefix + ANNOUNCED, str(announced), str(now))
        await self.store.put(self.prefix + WANTED, str(now + 1))

    async def _sync_calendar(self, calendar_id: str) -> None:
        key = f"{self.prefix}cal:{calendar_id}:sync"
        token = await self.store.get(key)
        self.reads["calendar"] += 1
        events, new = await self.state.calendar.changes(calendar_id, token)
        if new is None or new == token or not await self.store.swap(key, token, new):
            return
        if token is None:
            return  # a first read: where changes start
        stamp = _now()
        changes: list[dict[str, Any]]
        if events is None:
            changes = [{"kind": "resync", "calendar": calendar_id, "at": stamp}]
        else:
            changes = [
                {
                    "kind": "cancelled" if ev.get("status") == "cancelled" else "changed",
                    "calendar": calendar_id,
                    "id": ev.get("id"),
                    "summary": ev.get("summary"),
                    "start": (ev.get("start") or {}).get("dateTime") or (ev.get("start") or {}).get("date"),
                    "at": stamp,
                }
                for ev in events
            ]
        if not changes:
            return
        await self.store.append(self.prefix + "calendar", changes)
        uris = ["calendar://changes", "calendar://upcoming"]
        uris += dict.fromkeys(event_uri(calendar_id, c["id"]) for c in changes if c.get("id"))
        await self._publish(uris)
