"""Calendar v3 over HTTP: the paths googleapiclient sends, answered from the sandbox calendars (calendars,
settings, free/busy and channels in calendar_base.py)."""

from __future__ import annotations

import base64
import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from .calendar import Calendar
from .calendar_base import FREEBUSY, OWN, READ, WRITE, C, CalendarBase
from .errors import ApiError, bad_request, not_found
from .routing import Call, Reply, Router
from .timeutil import event_time, parse_rfc3339, utc_stamp, zone

if TYPE_CHECKING:
    pass


class CalendarApi(CalendarBase):
    def register(self, r: Router) -> None:
        ev = C + "/calendars/{cal}/events"
        for method, path, handler, scopes in [
            ("GET", C + "/users/me/calendarList", self.list_calendars, READ),
            ("GET", C + "/users/me/calendarList/{cal}", self.get_list_entry, READ),
            ("GET", C + "/users/me/settings", self.list_settings, READ),
            ("GET", C + "/users/me/settings/{setting}", self.get_setting, READ),
            ("POST", C + "/calendars", self.insert_calendar, OWN),
            ("GET", C + "/calendars/{cal}", self.get_calendar, READ),
            ("DELETE", C + "/calendars/{cal}", self.delete_calendar, OWN),
            ("GET", ev, self.list_events, READ),
            ("POST", ev, self.insert_event, WRITE),
            ("POST", ev + "/quickAdd", self.quick_add, WRITE),
            ("POST", ev + "/import", self.insert_event, WRITE),
            ("POST", ev + "/watch", self.watch, READ),
            ("GET", ev + "/{id}", self.get_event, READ),
            ("PATCH", ev + "/{id}", self.patch_event, WRITE),
            ("PUT", ev + "/{id}", self.update_event, WRITE),
            ("DELETE", ev + "/{id}", self.delete_event, WRITE),
            ("GET", ev + "/{id}/instances", self.instances, READ),
            ("POST", C + "/freeBusy", self.free_busy, FREEBUSY),
            ("POST", C + "/channels/stop", self.stop_channel, READ),
        ]:
            r.add(method, path, handler, scopes)

    # events --------------------------------------------------------------
    def _time_arg(self, call: Call, name: str) -> datetime | None:
        raw = call.arg(name)
        return parse_rfc3339(raw, name) if raw else None

    def _sync_token(self, seq: int) -> str:
        return base64.urlsafe_b64encode(f"{self.store.generation}:{seq}".encode()).decode().rstrip("=")

    def _read_sync(self, token: str) -> int:
        try:
            gen, seq = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode().split(":")
            if int(gen) != self.store.generation:
                raise ValueError
            return int(seq)
        except ValueError:
            raise ApiError(410, "Sync token is no longer valid, a full sync is required.", "fullSyncRequired") from None

    def list_events(self, call: Call) -> Any:
        cal = self.store.calendar(call.params["cal"])
        single = call.bool_arg("singleEvents")
        order = call.arg("orderBy")
        sync = call.arg("syncToken")
        lo, hi = self._time_arg(call, "timeMin"), self._time_arg(call, "timeMax")
        q = (call.arg("q") or "").lower()
        show_deleted = call.bool_arg("showDeleted")
        out_tz = zone(call.arg("timeZone")) if call.arg("timeZone") else zone(cal.time_zone)
        if order not in (None, "startTime", "updated"):
            raise bad_request(f"Invalid orderBy: {order}.")
        if order == "startTime" and not single:
            raise bad_request("The requested ordering is not available for the particular query.")
        if lo and hi and hi <= lo:
            raise bad_request("The specified time range is empty.", "timeRangeEmpty")
        if sync and (lo or hi or q or order):
            raise bad_request("Sync token cannot be combined with timeMin, timeMax, q or orderBy.", "invalid")
        if sync:
            since = self._read_sync(sync)
            items = [e for e in cal.events.values() if e["_seq"] > since]
            if single:
                items = [e for e in items if not e.get("recurrence")] + [
                    i
                    for e in items
                    if e.get("recurrence") and e.get("status") != "cancelled"
                    for i in self.store.expand(cal, e, None, None)
                ]
        elif single:
            items = self.store.events_in(cal, lo, hi)
            if show_deleted:
                items += [e for e in cal.events.values() if e.get("status") == "cancelled"]
        else:
            items = []
            for e in cal.events.values():
                if e.get("status") == "cancelled" and not show_deleted:
                    continue
                if e.get("recurrence"):
                    if (lo or hi) and not self.store.expand(cal, e, lo, hi):
                        continue
                else:
                    s, _ = event_time(e["start"], "start", cal.time_zone)
                    en, _ = event_time(e["end"], "end", cal.time_zone)
                    if (lo and en <= lo) or (hi and s >= hi):
                        continue
                items.append(e)
        if q:
            items = [e for e in items if q in self._text(e)]
        if order == "updated":
            items.sort(key=lambda e: e["updated"])
        else:
            items.sort(
                key=lambda e: (
                    (event_time(e["start"], "start", cal.time_zone)[0], e["id"])
                    if e.get("start")
                    else (datetime.min.replace(tzinfo=out_tz), e["id"])
                )
            )
        size = call.int_arg("maxResults", 250, lo=1, hi=2500)
        token = call.arg("pageToken") or "0"
        if not token.isdigit():
            raise bad_request("Invalid pageToken.")
        start = int(token)
        chunk = items[start : start + size]
        out: dict[str, Any] = {
            "kind": "calendar#events",
            "etag": f'"{self.store.generation}{max([e.get("_seq", 0) for e in cal.events.values()] or [0])}"',
            "summary": cal.summary,
            "description": cal.description,
            "updated": utc_stamp(self.sb.now()).replace("Z", ".000Z"),
            "timeZone": cal.time_zone,
            "accessRole": cal.access_role,
            "defaultReminders": [{"method": "popup", "minutes": 10}] if cal.access_role == "owner" else [],
            "items": [self.store.render(e, out_tz) for e in chunk],
        }
        if start + size < len(items):
            out["nextPageToken"] = str(start + size)
        else:
            out["nextSyncToken"] = self._sync_token(max([e.get("_seq", 0) for e in cal.events.values()] or [0]))
        return out

    def _text(self, ev: dict[str, Any]) -> str:
        parts = [ev.get("summary", ""), ev.get("description", ""), ev.get("location", "")]
        for att in ev.get("attendees") or []:
            parts += [att.get("email", ""), att.get("displayName", "")]
        return " ".join(str(p) for p in parts).lower()

    def _send_updates(self, call: Call) -> str:
        send = call.arg("sendUpdates") or ("all" if call.bool_arg("sendNotifications") else "none")
        if send not in ("all", "externalOnly", "none"):
            raise bad_request(f"Invalid sendUpdates: {send}. Use all, externalOnly or none.")
        return send

    def _notify(self, cal: Calendar, ev: dict[str, Any], action: str, call: Call) -> None:
        send = self._send_updates(call)
        recipients = [a["email"] for a in ev.get("attendees") or [] if not a.get("self")]
        if send == "externalOnly":
            domain = self.store.account.split("@")[1]
            recipients = [r for r in recipients if not r.endswith("@" + domain)]
        self.store.notifications.append(
            {
                "calendarId": cal.id,
                "eventId": ev["id"],
                "action": action,
                "sendUpdates": send,
                "recipients": recipients if send != "none" else [],
            }
        )
        self.sb.calendar_changed(cal.id)

    def _conference(self, call: Call) -> bool:
        return call.int_arg("conferenceDataVersion", 0, lo=0, hi=1) == 1

    def insert_event(self, call: Call) -> Any:
        cal = self.store.writable(call.params["cal"])
        self._send_updates(call)
        ev = self.store.insert(cal, call.json(), self.sb.now(), self._conference(call))
        self._notify(cal, ev, "created", call)
        return self.store.render(ev, None)

    def quick_add(self, call: Call) -> Any:
        cal = self.store.writable(call.params["cal"])
        text = (call.arg("text") or "").strip()
        if not text:
            raise bad_request("Required parameter: text", "required")
        tz = zone(cal.time_zone)
        now = self.sb.now().astimezone(tz)
        day = now.date()
        if re.search(r"\btomorrow\b", text, re.I):
            day = day + timedelta(days=1)
        found = re.search(r"\bat (\d{1,2})(?::(\d\d))?\s*(am|pm)?\b", text, re.I)
        if found:
            hour = int(found.group(1)) % 12 + (12 if (found.group(3) or "").lower() == "pm" else 0)
            if not found.group(3) and int(found.group(1)) in range(13, 24):
                hour = int(found.group(1))
            start = datetime(day.year, day.month, day.day, hour, int(found.group(2) or 0), tzinfo=tz)
        else:
            start = (now + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
        summary = re.sub(r"\s*\b(tomorrow|today)\b|\s*\bat \d{1,2}(:\d\d)?\s*(am|pm)?\b", "", text, flags=re.I).strip()
        body = {
            "summary": summary or text,
            "start": {"dateTime": start.isoformat(), "timeZone": cal.time_zone},
            "end": {"dateTime": (start + timedelta(hours=1)).isoformat(), "timeZone": cal.time_zone},
        }
        ev = self.store.insert(cal, body, self.sb.now(), False)
        self._notify(cal, ev, "created", call)
        return self.store.render(ev, None)

    def get_event(self, call: Call) -> Any:
        cal = self.store.calendar(call.params["cal"])
        ev = self.store.get(cal, call.params["id"])
        tz = zone(call.arg("timeZone")) if call.arg("timeZone") else None
        return self.store.render(ev, tz)

    def patch_event(self, call: Call, replace: bool = False) -> Any:
        cal = self.store.writable(call.params["cal"])
        self._send_updates(call)
        ev = self.store.patch(
            cal,
            call.params["id"],
            call.json(),
            self.sb.now(),
            replace=replace,
            if_match=call.headers.get("if-match"),
            conference=self._conference(call),
        )
        self._notify(cal, ev, "updated", call)
        return self.store.render(ev, None)

    def update_event(self, call: Call) -> Any:
        return self.patch_event(call, replace=True)

    def delete_event(self, call: Call) -> Any:
        cal = self.store.writable(call.params["cal"])
        self._send_updates(call)
        current = self.store.get(cal, call.params["id"])
        if call.headers.get("if-match") not in (None, "*", current.get("etag")):
            raise ApiError(412, "Precondition Failed", "conditionNotMet")
        ev = self.store.delete(cal, call.params["id"], self.sb.now())
        self._notify(cal, ev, "cancelled", call)
        return Reply(204)

    def instances(self, call: Call) -> Any:
        cal = self.store.calendar(call.params["cal"])
        master = cal.events.get(call.params["id"])
        if master is None:
            raise not_found("Not Found")
        if not master.get("recurrence"):
            raise bad_request("The event is not a recurring event.", "invalid")
        lo, hi = self._time_arg(call, "timeMin"), self._time_arg(call, "timeMax")
        items = self.store.expand(cal, master, lo, hi, include_cancelled=call.bool_arg("showDeleted"))
        size = call.int_arg("maxResults", 250, lo=1, hi=2500)
        token = call.arg("pageToken") or "0"
        start = int(token) if token.isdigit() else 0
        tz = zone(call.arg("timeZone")) if call.arg("timeZone") else None
        out: dict[str, Any] = {
            "kind": "calendar#events",
            "etag": master["etag"],
            "summary": cal.summary,
            "updated": master["updated"],
            "timeZone": cal.time_zone,
            "accessRole": cal.access_role,
            "defaultReminders": [],
            "items": [self.store.render(e, tz) for e in items[start : start + size]],
        }
        if start + size < len(items):
            out["nextPageToken"] = str(start + size)
        return out
