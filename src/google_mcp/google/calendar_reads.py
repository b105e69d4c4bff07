"""Google Calendar, reading: calendars, zones, events across calendars, free/busy (writing is calendar.py)."""

from __future__ import annotations

import time as time_module
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

from google_mcp.errors import InvalidInput, NotFound
from google_mcp.google.calendar_models import (
    Attendee,
    BusyBlock,
    CalendarInfo,
    CalendarList,
    Event,
    EventList,
    EventTime,
    FreeBusy,
)
from google_mcp.google.client import GoogleClient
from google_mcp.google.pages import ANSWER_BUDGET, Cursors
from google_mcp.google.times import localize, parse_bound, parse_date, rfc3339, shown, zone

CALENDARS_TTL = 600.0  # seconds the calendar list (ids, zones, access) is trusted


@dataclass
class _Stream:
    """One calendar's events fetched but not yet shown, in start order, and Google's token for the rest."""

    items: list[tuple[datetime, str, Event]] = field(default_factory=list)
    token: str | None = None
    done: bool = False


class CalendarReads:
    def __init__(self, client: GoogleClient) -> None:
        self.client = client
        self._calendars: tuple[float, list[dict[str, Any]]] | None = None
        self._cursors: Cursors[tuple[Any, tuple[datetime, dict[str, _Stream]]]] = Cursors()

    async def _exec(self, build: Any, what: str, *, retry: bool = True) -> Any:
        return await self.client.execute("calendar", build, what=what, retry=retry)

    # calendars and zones -------------------------------------------------------
    async def calendars(self) -> list[dict[str, Any]]:
        """The calendar list, read again after CALENDARS_TTL (a calendar added or shared shows up)."""
        if self._calendars is None or self._calendars[0] < time_module.monotonic():
            data = await self._exec(lambda s: s.calendarList().list(), "listing calendars")
            self._calendars = (time_module.monotonic() + CALENDARS_TTL, list(data.get("items", [])))
        return self._calendars[1]

    async def time_zone(self, calendar_id: str = "primary") -> str:
        for cal in await self.calendars():
            if cal["id"] == calendar_id or (calendar_id == "primary" and cal.get("primary")):
                return str(cal.get("timeZone") or "UTC")
        return "UTC"

    async def settings_time_zone(self) -> str:
        """The person's time zone from their calendar settings (falls back to the primary calendar's)."""
        try:
            data = await self._exec(lambda s: s.settings().get(setting="timezone"), "reading calendar settings")
            return str(data.get("value") or await self.time_zone())
        except NotFound:
            return await self.time_zone()

    async def list_calendars(self) -> CalendarList:
        self._calendars = None
        return CalendarList(
            calendars=[
                CalendarInfo(
                    id=c["id"],
                    summary=c.get("summaryOverride") or c.get("summary", ""),
                    primary=bool(c.get("primary")),
                    time_zone=c.get("timeZone", "UTC"),
                    access_role=c.get("accessRole", ""),
                )
                for c in await self.calendars()
            ]
        )

    def render(self, ev: dict[str, Any], calendar_id: str, cal_tz: str) -> Event:
        def when(node: dict[str, Any]) -> EventTime:
            tz = node.get("timeZone") or cal_tz
            if node.get("date"):
                return EventTime(date=node["date"], time_zone=tz)
            return EventTime(date_time=shown(node["dateTime"], tz), time_zone=tz)

        attendees = [
            Attendee(
                email=a.get("email", ""),
                name=a.get("displayName", ""),
                response=a.get("responseStatus", "needsAction"),
                organizer=bool(a.get("organizer")),
                optional=bool(a.get("optional")),
                is_self=bool(a.get("self")),
            )
            for a in ev.get("attendees", [])
        ]
        mine = next((a.response for a in attendees if a.is_self), None)
        start = ev.get("start") or {}
        return Event(
            id=ev["id"],
            calendar_id=calendar_id,
            summary=ev.get("summary", "(no title)"),
            status=ev.get("status", "confirmed"),
            start=when(start) if start else EventTime(time_zone=cal_tz),
            end=when(ev.get("end") or {}) if ev.get("end") else EventTime(time_zone=cal_tz),
            all_day=bool(start.get("date")),
            location=ev.get("location", ""),
            description=(ev.get("description") or "")[:4000],
            organizer=(ev.get("organizer") or {}).get("email", ""),
            attendees=attendees,
            my_response=mine,
            recurring_event_id=ev.get("recurringEventId"),
            recurrence=ev.get("recurrence", []),
            meet_link=ev.get("hangoutLink"),
            html_link=ev.get("htmlLink"),
        )

    # reading -------------------------------------------------------------------------
    async def raw_event(self, event_id: str, calendar_id: str) -> dict[str, Any]:
        if not event_id or "/" in event_id:
            raise InvalidInput(f"{event_id!r} is not an event id; use an id from calendar_list_events.")
        result: dict[str, Any] = await self._exec(
            lambda s: s.events().get(calendarId=calendar_id, eventId=event_id), f"reading event {event_id}"
        )
        return result

    async def changes(self, calendar_id: str, token: str | None) -> tuple[list[dict[str, Any]] | None, str | None]:
        """The events changed since `token` (None: a first, full read, which lists none), and the token for
        next time. None instead of a list: the token was stale (Google's 410), the calendar was read afresh,
        and anything may have changed."""
        changed: list[dict[str, Any]] = []
        page: str | None = None
        kwargs: dict[str, Any] = {"calendarId": calendar_id, "maxResults": 2500, "showDeleted": True}
        if token:
            kwargs["syncToken"] = token
        while True:
            args = {**kwargs, **({"pageToken": page} if page else {})}
            try:
                got = await self._exec(lambda s, a=args: s.events().list(**a), f"syncing {calendar_id}")
            except NotFound:  # 410: the sync token is stale; read it all again, and say it may have changed
                if not token:
                    raise
                return None, (await self.changes(calendar_id, None))[1]
            if token:
                changed += got.get("items") or []
            page = got.get("nextPageToken")
            if not page:
                return changed, got.get("nextSyncToken")

    async def get_event(self, event_id: str, calendar_id: str) -> Event:
        ev = await self.raw_event(event_id, calendar_id)
        return self.render(ev, calendar_id, await self.time_zone(calendar_id))

    async def list_events(
        self,
        calendar_ids: list[str],
        time_min: str | None,
        time_max: str | None,
        query: str | None,
        max_results: int,
        page_token: str | None,
        time_zone: str | None,
    ) -> EventList:
        if not 1 <= max_results <= 250:
            raise InvalidInput("max_results must be between 1 and 250.")
        if not calendar_ids:
            raise InvalidInput('Give at least one calendar id ("primary" is yours).')
        default_tz = time_zone or await self.time_zone()
        lo = parse_bound(time_min, time_zone, default_tz, "time_min") if time_min else datetime.now(UTC)
        hi = parse_bound(time_max, time_zone, default_tz, "time_max") if time_max else None
        if hi is not None and hi <= lo:
            raise InvalidInput("time_max must be after time_min.")
        key = (tuple(calendar_ids), query, time_zone, hi)
        streams: dict[str, _Stream] | None = None
        after: tuple[datetime, set[str]] | None = None
        if page_token:
            try:
                _, cursor, stamp, ids = page_token.split("~", 3)
                after = (datetime.fromisoformat(stamp), set(ids.split(",")) if ids else set())
            except (ValueError, TypeError):  # not ours: unreadable, or a time without its offset
                raise InvalidInput("page_token is not one this tool returned; start again without it.") from None
            kept = self._cursors.take(cursor)
            if kept is not None and kept[0] == key:
                lo, streams = kept[1]  # Google's page tokens hold only with the time_min they were made with
            else:  # the cursor is gone: read again from the last event shown
                lo = max(lo, after[0])
        if streams is None:
            streams = {c: _Stream() for c in dict.fromkeys(calendar_ids)}
        zones = {c: time_zone or await self.time_zone(c) for c in streams}

        async def fill(cal_ids: list[str]) -> None:
            answers = await self._list_each({c: streams[c].token for c in cal_ids}, lo, hi, query, max_results)
            for c in cal_ids:
                got, stream = answers[c], streams[c]
                for ev in got.get("items", []):
                    start = self._start(ev, zones[c])
                    if after and (start < after[0] or (start == after[0] and ev["id"] in after[1])):
                        continue  # shown on an earlier page (only when read again without a cursor)
                    stream.items.append((start, ev["id"], self.render(ev, c, zones[c])))
                stream.token = got.get("nextPageToken")
                stream.done = stream.token is None

        page: list[tuple[datetime, str, Event]] = []
        used = 0
        while len(page) < max_results:
            hungry = [c for c, st in streams.items() if not st.items and not st.done]
            if hungry:  # every calendar that may hold the next event must show its next one first
                await fill(hungry)
                continue
            heads = [(st.items[0][:2], c) for c, st in streams.items() if st.items]
            if not heads:
                break
            _, first = min(heads)
            item = streams[first].items[0]
            used += item[2].json_size()
            if page and used > ANSWER_BUDGET:
                break
            page.append(streams[first].items.pop(0))
        token = None
        if any(st.items or not st.done for st in streams.values()):
            last = page[-1][0] if page else lo
            cursor = self._cursors.keep((key, (lo, streams)))
            token = f"~{cursor}~{last.isoformat()}~" + ",".join(i for s, i, _ in page if s == last)
        return EventList(
            events=[e for _, _, e in page],
            time_min=lo.isoformat(),
            time_max=hi.isoformat() if hi else None,
            next_page_token=token,
        )

    async def _list_each(
        self, tokens: dict[str, str | None], lo: datetime, hi: datetime | None, query: str | None, size: int
    ) -> dict[str, dict[str, Any]]:
        """The next page of events.list of each calendar: one request for one, one batch request for several."""

        def lister(cal_id: str) -> Any:
            kwargs: dict[str, Any] = {
                "calendarId": cal_id,
                "singleEvents": True,
                "orderBy": "startTime",
                "timeMin": rfc3339(lo),
                "maxResults": size,
            }
            if hi:
                kwargs["timeMax"] = rfc3339(hi)
            if query:
                kwargs["q"] = query
            if tokens[cal_id]:
                kwargs["pageToken"] = tokens[cal_id]
            return lambda events: events.list(**kwargs)

        ids = list(tokens)
        if len(ids) == 1:
            return {ids[0]: await self._exec(lambda s: lister(ids[0])(s.events()), f"listing events of {ids[0]}")}
        got = await self.client.batch(  # parts keyed by position: calendar ids are not valid Content-IDs
            "calendar",
            [(str(n), lister(c)) for n, c in enumerate(ids)],
            what="listing events",
            prepare=lambda s: s.events(),
        )
        answers = {c: got[str(n)] for n, c in enumerate(ids)}
        for answer in answers.values():
            if isinstance(answer, Exception):
                raise answer
        return answers

    def _start(self, ev: dict[str, Any], tz: str) -> datetime:
        start = ev.get("start") or {}
        if start.get("date"):
            day = parse_date(start["date"], "start")
            return datetime.combine(day, time(0), tzinfo=zone(start.get("timeZone") or tz))
        return datetime.fromisoformat(start["dateTime"].replace("Z", "+00:00"))

    async def free_busy(
        self,
        ids: list[str],
        time_min: str,
        time_max: str,
        time_zone: str | None,
        slot_minutes: int | None,
        day_start: str,
        day_end: str,
        include_weekends: bool,
    ) -> FreeBusy:
        if not ids:
            raise InvalidInput("Give calendar ids or attendee email addresses.")
        tz_name = time_zone or await self.time_zone()
        lo = parse_bound(time_min, time_zone, tz_name, "time_min")
        hi = parse_bound(time_max, time_zone, tz_name, "time_max")
        if hi <= lo:
            raise InvalidInput("time_max must be after time_min.")
        if hi - lo > timedelta(days=62):
            raise InvalidInput("The window is longer than 62 days; ask for a shorter one.")
        data = await self._exec(
            lambda s: s.freebusy().query(
                body={"timeMin": rfc3339(lo), "timeMax": rfc3339(hi), "items": [{"id": i} for i in ids]}
            ),
            "querying free/busy",
        )
        busy: dict[str, list[BusyBlock]] = {}
        errors: dict[str, str] = {}
        blocks: list[tuple[datetime, datetime]] = []
        for cal_id in ids:
            entry = data.get("calendars", {}).get(cal_id, {})
            if entry.get("errors"):
                errors[cal_id] = entry["errors"][0].get("reason", "error")
                continue
            busy[cal_id] = []
            for b in entry.get("busy", []):
                s = datetime.fromisoformat(b["start"].replace("Z", "+00:00"))
                e = datetime.fromisoformat(b["end"].replace("Z", "+00:00"))
                blocks.append((s, e))
                busy[cal_id].append(BusyBlock(start=shown(b["start"], tz_name), end=shown(b["end"], tz_name)))
        free: list[BusyBlock] = []
        if slot_minutes:
            free = self._free(blocks, lo, hi, zone(tz_name), slot_minutes, day_start, day_end, include_weekends)
        return FreeBusy(time_zone=tz_name, busy=busy, errors=errors, free_slots=free)

    def _free(
        self,
        blocks: list[tuple[datetime, datetime]],
        lo: datetime,
        hi: datetime,
        tz: Any,
        minutes: int,
        day_start: str,
        day_end: str,
        weekends: bool,
    ) -> list[BusyBlock]:
        try:
            ws, we = time.fromisoformat(day_start), time.fromisoformat(day_end)
        except ValueError:
            raise InvalidInput("working hours must be HH:MM, e.g. 09:00 and 17:00.") from None
        if we <= ws:
            raise InvalidInput("The working day must end after it starts.")
        if not 5 <= minutes <= 24 * 60:
            raise InvalidInput("slot_minutes must be between 5 and 1440.")
        merged: list[tuple[datetime, datetime]] = []
        for s, e in sorted(blocks):
            if merged and s <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], e))
            else:
                merged.append((s, e))
        out: list[BusyBlock] = []
        day = lo.astimezone(tz).date()
        while day <= hi.astimezone(tz).date() and len(out) < 40:
            if weekends or day.weekday() < 5:
                start = max(lo, localize(datetime.combine(day, ws), tz, "working day start"))
                end = min(hi, localize(datetime.combine(day, we), tz, "working day end"))
                cursor = start
                for s, e in merged:
                    if e <= cursor or s >= end:
                        continue
                    if s - cursor >= timedelta(minutes=minutes):
                        out.append(BusyBlock(start=cursor.astimezone(tz).isoformat(), end=s.astimezone(tz).isoformat()))
                    cursor = max(cursor, e)
                if end - cursor >= timedelta(minutes=minutes):
                    out.append(BusyBlock(start=cursor.astimezone(tz).isoformat(), end=end.astimezone(tz).isoformat()))
            day += timedelta(days=1)
        return out
