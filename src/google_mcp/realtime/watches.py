"""Gmail and Calendar watches: opened (through the gate, or at boot from GOOGLE_MCP_WATCH), renewed before
they lapse, stopped with *_unwatch or when the process that opened them shuts down.

Their state (channel ids and tokens, expiry) is kept in the real-time store, so that with Redis another
process can receive a push for a watch this one opened, and only one process renews each watch.
"""

from __future__ import annotations

import logging
import secrets
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

import anyio
from pydantic import Field

from google_mcp.errors import GoogleMCPError, InvalidInput
from google_mcp.models import Result
from google_mcp.realtime.store import MESSAGE_NUMBER
from google_mcp.realtime.sync import HISTORY
from google_mcp.redisconn import unavailable
from google_mcp.settings import LOOPBACK

if TYPE_CHECKING:
    from collections.abc import Callable

    from google_mcp.realtime.store import Store
    from google_mcp.realtime.sync import Sync
    from google_mcp.settings import Settings
    from google_mcp.state import AppState

log = logging.getLogger(__name__)

GMAIL_RENEW_BEFORE = 24 * 3600 * 1000  # Google: a Gmail watch lasts 7 days; renew a day ahead
CALENDAR_RENEW_BEFORE = 3600 * 1000  # a channel is replaced an hour before it expires
CHANNEL_TTL = 7 * 24 * 3600  # seconds asked for a calendar channel (Google may give less)


class WatchState(Result):
    service: Literal["gmail", "calendar"]
    status: Literal["watching", "stopped"]
    calendar_id: str | None = None
    expires: str | None = Field(default=None, description="renewed before then while the server runs")
    pushes_to: str | None = None


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="seconds")


class Watches:
    def __init__(self, state: AppState, store: Store, sync: Sync, topic: Callable[[], str]) -> None:
        self.state, self.store, self.sync, self.topic = state, store, sync, topic
        self.opened: set[str] = set()  # store keys of the watches this process opened

    @property
    def _settings(self) -> Settings:
        return self.state.settings

    def address(self, hook: str) -> str:
        base = self._settings.public_url
        if not base:
            raise InvalidInput(
                "Watches need an address Google can reach: set GOOGLE_MCP_PUBLIC_URL (or use GOOGLE_MCP_POLL_SECONDS)."
            )
        return base.rstrip("/") + "/hooks/" + hook

    async def current(self, name: str) -> dict[str, Any]:
        """The open watch `gmail` or `cal:ID`; InvalidInput when there is none."""
        watch = await self.store.get("watch:" + name)
        if not isinstance(watch, dict):
            what = "The mailbox is" if name == "gmail" else f"Calendar {name.removeprefix('cal:')} is"
            raise InvalidInput(f"{what} not being watched: nothing to stop.")
        return watch

    # Gmail --------------------------------------------------------------------------------
    async def start_gmail(self, labels: list[str]) -> WatchState:
        topic = self.topic()
        got = await self.state.gmail.watch(topic, labels)
        if await self.store.get(HISTORY) is None:  # where the changes start
            await self.store.advance(HISTORY, int(got["historyId"]))
        expiration = int(got["expiration"])
        await self.store.put("watch:gmail", {"topic": topic, "labels": labels, "expiration": expiration})
        await self.store.delete("unwatched:gmail")
        self.opened.add("watch:gmail")
        return WatchState(service="gmail", status="watching", expires=_iso(expiration), pushes_to=topic)

    async def stop_gmail(self, by_person: bool = True) -> WatchState:
        await self.state.gmail.stop_watch()
        await self.store.delete("watch:gmail")
        if by_person:  # GOOGLE_MCP_WATCH does not open it again
            await self.store.put("unwatched:gmail", "1")
        self.opened.discard("watch:gmail")
        return WatchState(service="gmail", status="stopped")

    # Calendar -----------------------------------------------------------------------------
    async def start_calendar(self, calendar_id: str, channel_id: str) -> WatchState:
        address = self.address("calendar")
        token = secrets.token_urlsafe(32)
        got = await self.state.calendar.watch(calendar_id, channel_id, token, address, CHANNEL_TTL)
        expiration = int(got["expiration"])
        channel = {
            "calendar_id": calendar_id,
            "token": token,
            "resource_id": got["resourceId"],
            "expiration": expiration,
        }
        await self.store.put("channel:" + channel_id, channel)
        key = "watch:cal:" + calendar_id
        old = await self.store.get(key)
        await self.store.put(
            key, {"channel_id": channel_id, "resource_id": got["resourceId"], "expiration": expiration}
        )
        self.opened.add(key)
        await self.store.delete("unwatched:cal:" + calendar_id)
        if await self.store.get(f"cal:{calendar_id}:sync") is None:
            await self.sync.calendar(calendar_id)  # where the changes start
        if isinstance(old, dict) and old.get("channel_id") != channel_id:  # a renewal: the old one goes
            await self._close_channel(old)
        return WatchState(
            service="calendar", status="watching", calendar_id=calendar_id, expires=_iso(expiration), pushes_to=address
        )

    async def _close_channel(self, watch: dict[str, str]) -> None:
        try:
            await self.state.calendar.stop_channel(str(watch["channel_id"]), str(watch["resource_id"]))
        except GoogleMCPError as exc:  # it lapses by itself; its pushes are refused once it is forgotten
            log.info("watches: could not stop channel %s (%s)", watch["channel_id"], exc)
        await self.store.delete("channel:" + str(watch["channel_id"]))
        await self.store.delete(MESSAGE_NUMBER + str(watch["channel_id"]))

    async def stop_calendar(self, calendar_id: str, by_person: bool = True) -> WatchState:
        key = "watch:cal:" + calendar_id
        watch = await self.current("cal:" + calendar_id)
        await self._close_channel(watch)
        await self.store.delete(key)
        if by_person:
            await self.store.put("unwatched:cal:" + calendar_id, "1")
        self.opened.discard(key)
        return WatchState(service="calendar", status="stopped", calendar_id=calendar_id)

    # renewal, boot, shutdown ----------------------------------------------------------------
    async def renew_due(self, now_ms: int | None = None) -> list[str]:
        """Renew every watch that lapses within its margin; the store keys renewed. One process renews a
        watch at a time (a lock in the store); `now_ms` is the clock (tests move it)."""
        now_ms = int(time.time() * 1000) if now_ms is None else now_ms
        renewed = []
        for key in await self.store.keys("watch:"):
            watch = await self.store.get(key)
            if not isinstance(watch, dict):
                continue
            margin = GMAIL_RENEW_BEFORE if key == "watch:gmail" else CALENDAR_RENEW_BEFORE
            if int(watch["expiration"]) - now_ms > margin:
                continue
            if not await self.store.lock("renew:" + key, self.sync.me, 120):
                continue
            try:
                if key == "watch:gmail":
                    await self.start_gmail(list(watch.get("labels") or []))
                else:
                    await self.start_calendar(key.removeprefix("watch:cal:"), new_channel_id())
                renewed.append(key)
            except GoogleMCPError as exc:
                log.warning("watches: renewing %s failed (%s); trying again later", key, exc)
            finally:
                await self.store.unlock("renew:" + key, self.sync.me)
        return renewed

    async def boot(self) -> None:
        """GOOGLE_MCP_WATCH: open what it names, unless a watch is open for long enough, or the person
        stopped it with *_unwatch. Run at start and at every renewal tick, by one process at a time: when
        the process that opened a watch shuts down (and stops it), another one that wants it opens it."""
        now_ms = int(time.time() * 1000)
        wanted = self._settings.watch
        self.address("gmail")  # nobody to push to: open nothing
        if not await self.store.lock("boot", self.sync.me, 120):
            return
        try:
            if "gmail" in wanted and await self._wants("gmail", GMAIL_RENEW_BEFORE, now_ms):
                await self.start_gmail([])
            if "calendar" in wanted:
                for cal in await self.state.calendar.calendars():
                    if cal.get("selected", True) and await self._wants(
                        f"cal:{cal['id']}", CALENDAR_RENEW_BEFORE, now_ms
                    ):
                        await self.start_calendar(str(cal["id"]), new_channel_id())
        finally:
            await self.store.unlock("boot", self.sync.me)

    async def _wants(self, name: str, margin: int, now_ms: int) -> bool:
        if await self.store.get("unwatched:" + name) is not None:
            return False
        current = await self.store.get("watch:" + name)
        return not (isinstance(current, dict) and int(current["expiration"]) - now_ms > margin)

    async def run(self, every: float) -> None:
        while True:
            try:
                if self._settings.watch:
                    try:
                        await self.boot()
                    except GoogleMCPError as exc:
                        log.warning("watches: GOOGLE_MCP_WATCH could not open a watch (%s); trying again", exc)
                await self.renew_due()
            except unavailable() as exc:  # Redis restarting, or a cluster's master failing over
                log.warning("watches: Redis did not answer (%s); trying again at the next tick", type(exc).__name__)
            await anyio.sleep(every)

    def handed_over(self) -> bool:
        """Behind a balancer (GOOGLE_MCP_PUBLIC_URL is not this process's own address) with Redis, a stopping
        backend leaves its watches open: Google pushes to the balancer, another backend answers, and since
        their state is in Redis, whichever backend renews first renews them (`renew_due`)."""
        s = self._settings
        if s.redis_url is None or not s.public_url:
            return False
        public = urlsplit(s.public_url)
        own = public.port == s.port and (public.hostname == s.host or {public.hostname, s.host} <= set(LOOPBACK))
        return not own

    async def shutdown(self) -> None:
        """Stop what this process opened: Google should not push to an address nobody answers (unless the
        watches are handed over to the other backends)."""
        if self.handed_over():
            log.info("watches: %s left open for the other backends", ", ".join(sorted(self.opened)) or "none")
            return
        for key in sorted(self.opened):
            try:
                if key == "watch:gmail":
                    await self.stop_gmail(by_person=False)
                else:
                    await self.stop_calendar(key.removeprefix("watch:cal:"), by_person=False)
            except GoogleMCPError as exc:
                log.info("watches: could not stop %s on shutdown (%s)", key, exc)


def new_channel_id() -> str:
    return "google-mcp-" + secrets.token_hex(16)  # Google: at most 64 characters, [A-Za-z0-9-_+/=]
