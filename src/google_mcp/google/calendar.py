"""Google Calendar as typed operations over the Google client: reading (calendar_reads.py), and here
writing: events built from a person's input, created, updated or deleted (with a series' scope), RSVPs."""

from __future__ import annotations

import contextlib
import copy
import re
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from google_mcp.errors import Conflict, InvalidInput, NotFound
from google_mcp.google.calendar_match import changed, if_match, landed, unknown
from google_mcp.google.calendar_match import event_time as _dt
from google_mcp.google.calendar_models import EventChanged
from google_mcp.google.calendar_reads import CalendarReads
from google_mcp.google.compose import parse_addresses
from google_mcp.google.times import is_date, parse_date, parse_when, rfc3339, zone

Scope = Literal["this", "this_and_following", "all"]
Target = tuple[dict[str, Any], dict[str, Any] | None]  # an event, and its series master if it is an occurrence
Response = Literal["accepted", "declined", "tentative"]
_RULE = re.compile(r"^(RRULE|EXRULE|RDATE|EXDATE)[:;]", re.I)


class Calendar(CalendarReads):
    # push channels ----------------------------------------------------------------------
    async def watch(self, calendar_id: str, channel_id: str, token: str, address: str, ttl: int) -> dict[str, Any]:
        """events.watch: Google posts to `address` whenever the calendar changes, until the channel expires."""
        body = {"id": channel_id, "type": "web_hook", "address": address, "token": token, "params": {"ttl": str(ttl)}}
        return dict(
            await self._exec(
                lambda s: s.events().watch(calendarId=calendar_id, body=body), f"watching calendar {calendar_id}"
            )
        )

    async def stop_channel(self, channel_id: str, resource_id: str) -> None:
        body = {"id": channel_id, "resourceId": resource_id}
        await self._exec(lambda s: s.channels().stop(body=body), "stopping a calendar channel")

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

    @staticmethod
    def same_length(event: dict[str, Any], start: str, time_zone: str | None, default_tz: str) -> str | None:
        """The end that keeps `event` as long as it is when it moves to `start` (None: the kinds differ, timed
        and all-day, so the default length applies)."""
        old_start, old_end = event.get("start", {}), event.get("end", {})
        if is_date(start):
            if "date" not in old_start or "date" not in old_end:
                return None
            days = date.fromisoformat(old_end["date"]) - date.fromisoformat(old_start["date"])
            return (parse_date(start, "start") + days).isoformat()
        if "dateTime" not in old_start or "dateTime" not in old_end:
            return None
        length = datetime.fromisoformat(old_end["dateTime"]) - datetime.fromisoformat(old_start["dateTime"])
        return (parse_when(start, time_zone, default_tz, "start") + length).isoformat()

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
        """Patch an event; with `etag`, only if it is still the version the person saw (If-Match).

        A conditional patch is retried after a lost answer (the etag makes a repeat harmless), so a 412 may
        be our own first attempt having landed: the event is read again before anything is called "changed",
        lest a fresh preview invite the person to mail the guests a second time.
        """
        attempts = 0

        def build(s: Any) -> Any:
            nonlocal attempts
            attempts += 1
            request = s.events().patch(
                calendarId=calendar_id,
                eventId=event_id,
                body=body,
                conferenceDataVersion=1,
                sendUpdates="all" if send else "none",
            )
            return if_match(request, etag)

        try:
            result: dict[str, Any] = await self._exec(build, f"updating event {event_id}")
        except Conflict:
            if etag is None:
                raise
            now = await self.raw_event(event_id, calendar_id)
            if landed(body, now):
                return now  # our change is there: done, whichever attempt of ours (or identical edit) put it
            raise changed(event_id) if attempts == 1 else unknown(event_id, "updating") from None
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
        attempts = 0

        def build(s: Any) -> Any:
            nonlocal attempts
            attempts += 1
            sends = "all" if send else "none"
            return if_match(s.events().delete(calendarId=calendar_id, eventId=target_id, sendUpdates=sends), etag)

        # we read it a moment ago: a retried delete that already succeeded answers 410, or 412 (its etag moved)
        try:
            with contextlib.suppress(NotFound):
                await self._exec(build, f"deleting event {target_id}")
        except Conflict:
            try:
                now = await self.raw_event(target_id, calendar_id)
            except NotFound:
                now = {"status": "cancelled"}
            if now.get("status") != "cancelled":
                raise changed(target_id) if attempts == 1 else unknown(target_id, "deleting") from None
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
