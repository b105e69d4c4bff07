"""Google Calendar as typed operations over the Google client."""

from __future__ import annotations

import contextlib
import copy
import re
import time as time_module
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any, Literal

from google_mcp.errors import Conflict, InvalidInput, NotFound, TargetChanged
from google_mcp.google.client import GoogleClient
from google_mcp.google.compose import parse_addresses
from google_mcp.google.pages import ANSWER_BUDGET, Cursors
from google_mcp.google.times import is_date, localize, parse_date, parse_when, rfc3339, shown, zone
from google_mcp.models import (
    Attendee,
    BusyBlock,
    CalendarInfo,
    CalendarList,
    Event,
    EventChanged,
    EventList,
    EventTime,
    FreeBusy,
)

CALENDARS_TTL = 600.0  # seconds the calendar list (ids, zones, access) is trusted
Scope = Literal["this", "this_and_following", "all"]
Target = tuple[dict[str, Any], dict[str, Any] | None]  # an event, and its series master if it is an occurrence
Response = Literal["accepted", "declined", "tentative"]
_RULE = re.compile(r"^(RRULE|EXRULE|RDATE|EXDATE)[:;]", re.I)


@dataclass
class _Stream:
    """One calendar's events fetched but not yet shown, in start order, and Google's token for the rest."""

    items: list[tuple[datetime, str, Event]] = field(default_factory=list)
    token: str | None = None
    done: bool = False


class Calendar:
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
        lo = parse_when(time_min, time_zone, default_tz, "time_min") if time_min else datetime.now(UTC)
        hi = parse_when(time_max, time_zone, default_tz, "time_max") if time_max else None
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
        lo = parse_when(time_min, time_zone, tz_name, "time_min")
        hi = parse_when(time_max, time_zone, tz_name, "time_max")
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

    # writing ----------------------------------------------------------------------------
    def times(
        self, start: str, end: str | None, time_zone: str | None, default_tz: str
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Google start/end nodes from a person's input; all-day when start is a date."""
        if is_date(start):
            first = parse_date(start, "start")
            last = parse_date(end, "end") if end else first + timedelta(days=1)
            if end and not is_date(end):
                raise InvalidInput("For an all-day event give end as a date too (YYYY-MM-DD, exclusive).")
            if last <= first:
                raise InvalidInput("end must be after start (for all-day events end is exclusive: the day after).")
            return {"date": first.isoformat()}, {"date": last.isoformat()}
        tz = time_zone or default_tz
        zone(tz)
        begin = parse_when(start, time_zone, default_tz, "start")
        finish = parse_when(end, time_zone, default_tz, "end") if end else begin + timedelta(hours=1)
        if finish <= begin:
            raise InvalidInput("end must be after start.")
        return (
            {"dateTime": begin.astimezone(zone(tz)).isoformat(), "timeZone": tz},
            {"dateTime": finish.astimezone(zone(tz)).isoformat(), "timeZone": tz},
        )

    def check_recurrence(self, lines: list[str] | None) -> list[str]:
        out = []
        for line in lines or []:
            line = line.strip()
            if not _RULE.match(line) or "\n" in line or "\r" in line:
                raise InvalidInput(
                    f"Recurrence line {line!r} must start with RRULE:, RDATE: or EXDATE: "
                    "(e.g. RRULE:FREQ=WEEKLY;BYDAY=MO)."
                )
            out.append(line)
        return out

    async def build_event(
        self,
        *,
        summary: str | None,
        start: str | None,
        end: str | None,
        time_zone: str | None,
        attendees: list[str] | None,
        description: str | None,
        location: str | None,
        recurrence: list[str] | None,
        reminders_minutes: list[int] | None,
        add_meet_link: bool,
        calendar_id: str,
        partial: bool,
    ) -> dict[str, Any]:
        # a new event's id is chosen now, with the preview, so that an approval can only ever create it once
        body: dict[str, Any] = {} if partial else {"id": uuid.uuid4().hex}
        default_tz = await self.time_zone(calendar_id)
        if summary is not None:
            if not summary.strip():
                raise InvalidInput("summary (the title) must not be empty.")
            body["summary"] = summary.strip()
        elif not partial:
            raise InvalidInput("summary (the title) is required.")
        if start is not None:
            body["start"], body["end"] = self.times(start, end, time_zone, default_tz)
        elif end is not None:
            raise InvalidInput("Give start together with end.")
        elif not partial:
            raise InvalidInput("start is required (ISO 8601 time, or YYYY-MM-DD for all-day).")
        if recurrence is not None:
            body["recurrence"] = self.check_recurrence(recurrence)
            if body["recurrence"] and "start" in body and "dateTime" in body["start"]:
                body["start"].setdefault("timeZone", time_zone or default_tz)
        if attendees is not None:
            body["attendees"] = [{"email": a} for a in parse_addresses(attendees, "attendees")]
        if description is not None:
            body["description"] = description
        if location is not None:
            body["location"] = location
        if reminders_minutes is not None:
            if any(not 0 <= m <= 40320 for m in reminders_minutes) or len(reminders_minutes) > 5:
                raise InvalidInput("reminders_minutes: at most 5 values, each 0 to 40320 (four weeks).")
            body["reminders"] = {
                "useDefault": False,
                "overrides": [{"method": "popup", "minutes": m} for m in reminders_minutes],
            }
        if add_meet_link:
            body["conferenceData"] = {
                "createRequest": {"requestId": uuid.uuid4().hex, "conferenceSolutionKey": {"type": "hangoutsMeet"}}
            }
        return body

    async def create(self, calendar_id: str, body: dict[str, Any], send_invitations: bool) -> EventChanged:
        # A client-chosen id (fixed when the preview is made) makes the insert safe to retry, and a
        # repeated approval cannot create a second event: a repeat answers 409 instead of a duplicate.
        body = {**body, "id": body.get("id") or uuid.uuid4().hex}
        try:
            ev = await self._exec(
                lambda s: s.events().insert(
                    calendarId=calendar_id,
                    body=body,
                    conferenceDataVersion=1,
                    sendUpdates="all" if send_invitations else "none",
                ),
                "creating the event",
            )
        except Conflict:
            ev = await self.raw_event(body["id"], calendar_id)
        tz = await self.time_zone(calendar_id)
        return EventChanged(
            status="created",
            event=self.render(ev, calendar_id, tz),
            invitations_sent=send_invitations and bool(body.get("attendees")),
        )

    async def _patch(
        self, calendar_id: str, event_id: str, body: dict[str, Any], send: bool, etag: str | None = None
    ) -> dict[str, Any]:
        """Patch an event; with `etag`, only if it is still the version the person saw (If-Match)."""
        try:
            result: dict[str, Any] = await self._exec(
                lambda s: _if_match(
                    s.events().patch(
                        calendarId=calendar_id,
                        eventId=event_id,
                        body=body,
                        conferenceDataVersion=1,
                        sendUpdates="all" if send else "none",
                    ),
                    etag,
                ),
                f"updating event {event_id}",
            )
        except Conflict:
            if etag is None:
                raise
            raise _changed(event_id) from None
        return result

    async def target(self, event_id: str, calendar_id: str, scope: Scope) -> Target:
        """(the event named, its series master if it is an instance)."""
        ev = await self.raw_event(event_id, calendar_id)
        master = None
        if ev.get("recurringEventId"):
            master = await self.raw_event(ev["recurringEventId"], calendar_id)
        elif ev.get("recurrence") and scope != "all":
            raise InvalidInput(
                f"{event_id} is a whole recurring series. For scope {scope!r} give the id of one "
                "occurrence (from calendar_list_events), or use scope 'all'."
            )
        return ev, master

    async def update(
        self,
        event_id: str,
        calendar_id: str,
        scope: Scope,
        body: dict[str, Any],
        send: bool,
        target: Target | None = None,
    ) -> EventChanged:
        """`target` is what `target()` returned for the preview, so it is not read again."""
        if not body:
            raise InvalidInput("Nothing to change: give at least one field to update.")
        ev, master = target or await self.target(event_id, calendar_id, scope)
        tz = await self.time_zone(calendar_id)
        if master is None or scope == "this":
            if scope != "this" and "recurrence" in body and master is not None:
                raise InvalidInput("An occurrence cannot get its own recurrence; use scope 'all'.")
            updated = await self._patch(calendar_id, ev["id"], body, send, ev.get("etag"))
            return EventChanged(status="updated", event=self.render(updated, calendar_id, tz), invitations_sent=send)
        if scope == "all":
            series_body = dict(body)
            if "start" in body and "dateTime" in body["start"] and "dateTime" in ev["start"]:
                shift = _dt(body["start"]) - _dt(ev["originalStartTime"])
                length = _dt(body["end"]) - _dt(body["start"])
                new_start = _dt(master["start"]) + shift
                series_body["start"] = {"dateTime": new_start.isoformat(), "timeZone": body["start"]["timeZone"]}
                series_body["end"] = {"dateTime": (new_start + length).isoformat(), "timeZone": body["end"]["timeZone"]}
            updated = await self._patch(calendar_id, master["id"], series_body, send, master.get("etag"))
            return EventChanged(
                status="updated",
                event=self.render(updated, calendar_id, tz),
                invitations_sent=send,
                detail="The whole series was changed.",
            )
        # this and following: end the series before this occurrence, start a new one here
        first = await self._is_first(master, ev, calendar_id)
        if first:
            return await self.update(master["id"], calendar_id, "all", body, send, (master, None))
        new_rules = await self._split(master, ev, calendar_id, send)
        new_body: dict[str, Any] = {
            k: master[k]
            for k in ("summary", "description", "location", "attendees", "reminders", "transparency", "visibility")
            if k in master
        }
        new_body["start"], new_body["end"] = ev["start"], ev["end"]
        new_body["recurrence"] = new_rules
        new_body.update(body)
        created = await self.create(calendar_id, new_body, send)
        old = await self.raw_event(master["id"], calendar_id)
        return EventChanged(
            status="updated",
            event=created.event,
            events=[self.render(old, calendar_id, tz)],
            invitations_sent=send,
            detail="The series was split: earlier occurrences keep the old "
            "details; this and later ones are a new series.",
        )

    async def _is_first(self, master: dict[str, Any], ev: dict[str, Any], calendar_id: str) -> bool:
        data = await self._exec(
            lambda s: s.events().instances(calendarId=calendar_id, eventId=master["id"], maxResults=1),
            "reading the series",
        )
        items = data.get("items", [])
        return not items or items[0]["id"] == ev["id"]

    async def _split(self, master: dict[str, Any], ev: dict[str, Any], calendar_id: str, send: bool) -> list[str]:
        """End the master just before `ev`; return the rule lines for a series continuing from `ev`."""
        original = ev["originalStartTime"]
        if original.get("date"):
            until = (parse_date(original["date"], "start") - timedelta(days=1)).strftime("%Y%m%d")
        else:
            until = (_dt(original) - timedelta(seconds=1)).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        old_rules, new_rules = [], []
        count_before = None
        for line in master.get("recurrence", []):
            if line.upper().startswith("RRULE:"):
                parts = [p for p in line[6:].split(";") if p]
                keep = [p for p in parts if not p.upper().startswith(("UNTIL=", "COUNT="))]
                count = next((int(p[6:]) for p in parts if p.upper().startswith("COUNT=")), None)
                old_rules.append("RRULE:" + ";".join([*keep, f"UNTIL={until}"]))
                if count is not None:
                    if count_before is None:
                        count_before = await self._count_before(master, original, calendar_id)
                    keep.append(f"COUNT={max(1, count - count_before)}")
                else:
                    keep += [p for p in parts if p.upper().startswith("UNTIL=")]
                new_rules.append("RRULE:" + ";".join(keep))
            else:
                old_rules.append(line)
                new_rules.append(line)
        await self._patch(calendar_id, master["id"], {"recurrence": old_rules}, send, master.get("etag"))
        return new_rules

    async def _count_before(self, master: dict[str, Any], original: dict[str, Any], calendar_id: str) -> int:
        bound = original.get("dateTime") or original["date"] + "T00:00:00Z"
        data = await self._exec(
            lambda s: s.events().instances(
                calendarId=calendar_id,
                eventId=master["id"],
                timeMax=rfc3339(_dt({"dateTime": bound})),
                showDeleted=True,
                maxResults=2500,
            ),
            "counting the series",
        )
        return len(data.get("items", []))

    async def delete(
        self, event_id: str, calendar_id: str, scope: Scope, send: bool, target: Target | None = None
    ) -> EventChanged:
        ev, master = target or await self.target(event_id, calendar_id, scope)
        tz = await self.time_zone(calendar_id)
        target_id = ev["id"]
        detail = "The event was deleted."
        if master is not None and scope == "all":
            target_id, detail = master["id"], "The whole series was deleted."
        elif master is not None and scope == "this_and_following":
            if await self._is_first(master, ev, calendar_id):
                target_id, detail = master["id"], "The whole series was deleted (this was its first occurrence)."
            else:
                await self._split(master, ev, calendar_id, send)
                return EventChanged(
                    status="deleted",
                    event=self.render(ev, calendar_id, tz),
                    invitations_sent=send,
                    detail="This and all later occurrences were removed; earlier ones remain.",
                )
        source = master if master is not None and target_id == master["id"] else ev
        etag = source.get("etag")
        # we read it a moment ago: a retried delete that already succeeded answers 410
        try:
            with contextlib.suppress(NotFound):
                await self._exec(
                    lambda s: _if_match(
                        s.events().delete(
                            calendarId=calendar_id, eventId=target_id, sendUpdates="all" if send else "none"
                        ),
                        etag,
                    ),
                    f"deleting event {target_id}",
                )
        except Conflict:
            raise _changed(target_id) from None
        return EventChanged(
            status="deleted", event=self.render(ev, calendar_id, tz), invitations_sent=send, detail=detail
        )

    async def respond(
        self, event_id: str, calendar_id: str, response: Response, comment: str | None, ev: dict[str, Any] | None = None
    ) -> EventChanged:
        """RSVP on `ev` as the person saw it (re-read when not given); refused if it changed since."""
        ev = copy.deepcopy(ev) if ev is not None else await self.raw_event(event_id, calendar_id)
        attendees = ev.get("attendees") or []
        mine = next((a for a in attendees if a.get("self")), None)
        if mine is None:
            raise InvalidInput("You are not on this event's guest list, so there is nothing to respond to.")
        if mine.get("organizer"):
            raise InvalidInput("You organise this event; organisers do not RSVP.")
        mine["responseStatus"] = response
        if comment is not None:
            mine["comment"] = comment
        updated = await self._patch(calendar_id, event_id, {"attendees": attendees}, False, ev.get("etag"))
        tz = await self.time_zone(calendar_id)
        return EventChanged(
            status="responded",
            event=self.render(updated, calendar_id, tz),
            detail=f"Your response is now {response}; the organiser sees it on the event.",
        )


def _if_match(request: Any, etag: str | None) -> Any:
    if etag:
        request.headers["If-Match"] = etag
    return request


def _changed(event_id: str) -> TargetChanged:
    return TargetChanged(f"The event {event_id} was changed in Google Calendar since the preview; nothing was done.")


def _dt(node: dict[str, Any]) -> datetime:
    if node.get("date"):
        return datetime.combine(parse_date(node["date"], "date"), time(0), tzinfo=UTC)
    value = datetime.fromisoformat(str(node["dateTime"]).replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone(node.get("timeZone") or "UTC"))
    return value
