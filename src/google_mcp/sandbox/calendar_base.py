"""Calendar v3's calendars, settings, free/busy and push channels, answered from the sandbox calendars
(events, and the routes themselves, are calendar_api.py)."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from .calendar import Calendar, CalendarStore
from .errors import ApiError, bad_request, not_found
from .routing import Call, Reply
from .timeutil import parse_rfc3339, utc_stamp, zone

if TYPE_CHECKING:
    from .host import Host

A = "https://www.googleapis.com/auth/"
READ = (A + "calendar", A + "calendar.readonly", A + "calendar.events", A + "calendar.events.readonly")
WRITE = (A + "calendar", A + "calendar.events")
OWN = (A + "calendar",)
FREEBUSY = (*READ, A + "calendar.freebusy")
C = "/calendar/v3"


class CalendarBase:
    def __init__(self, sandbox: Host) -> None:
        self.sb = sandbox

    @property
    def store(self) -> CalendarStore:
        return self.sb.calendar

    # calendars -----------------------------------------------------------
    def entry(self, cal: Calendar) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": "calendar#calendarListEntry",
            "etag": f'"{abs(hash(cal.id)) % 10**15}"',
            "id": cal.id,
            "summary": cal.summary,
            "timeZone": cal.time_zone,
            "colorId": "14",
            "backgroundColor": cal.color[0],
            "foregroundColor": cal.color[1],
            "selected": True,
            "accessRole": cal.access_role,
            "defaultReminders": [{"method": "popup", "minutes": 10}] if cal.access_role == "owner" else [],
            "conferenceProperties": {"allowedConferenceSolutionTypes": ["hangoutsMeet"]},
        }
        if cal.description:
            out["description"] = cal.description
        if cal.primary:
            out["primary"] = True
        return out

    def list_calendars(self, call: Call) -> Any:
        return {
            "kind": "calendar#calendarList",
            "etag": '"p33c9v1iopqeou0o"',
            "nextSyncToken": "CAASEnNhbmRib3g=",
            "items": [self.entry(c) for c in self.store.calendars.values()],
        }

    def get_list_entry(self, call: Call) -> Any:
        return self.entry(self.store.calendar(call.params["cal"]))

    def _cal_json(self, cal: Calendar) -> dict[str, Any]:
        out = {
            "kind": "calendar#calendar",
            "etag": f'"{abs(hash(cal.id)) % 10**15}"',
            "id": cal.id,
            "summary": cal.summary,
            "timeZone": cal.time_zone,
            "conferenceProperties": {"allowedConferenceSolutionTypes": ["hangoutsMeet"]},
        }
        if cal.description:
            out["description"] = cal.description
        return out

    def get_calendar(self, call: Call) -> Any:
        return self._cal_json(self.store.calendar(call.params["cal"]))

    def insert_calendar(self, call: Call) -> Any:
        body = call.json()
        summary = body.get("summary")
        if not isinstance(summary, str) or not summary.strip():
            raise bad_request("Missing title.", "required")
        tz = body.get("timeZone") or self.store.time_zone
        zone(tz)
        cal_id = f"c_{secrets.token_hex(16)}@group.calendar.google.com"
        cal = self.store.add_calendar(Calendar(cal_id, summary, tz, description=body.get("description") or ""))
        return self._cal_json(cal)

    def delete_calendar(self, call: Call) -> Any:
        cal = self.store.calendar(call.params["cal"])
        if cal.primary:
            raise bad_request("Cannot delete a primary calendar; clear it instead.", "cannotDeletePrimaryCalendar")
        self.store.writable(cal.id)
        del self.store.calendars[cal.id]
        return Reply(204)

    def _setting(self, key: str, value: str) -> dict[str, Any]:
        return {"kind": "calendar#setting", "etag": f'"{abs(hash(key)) % 10**8}"', "id": key, "value": value}

    def _settings(self) -> dict[str, str]:
        return {
            "timezone": self.store.time_zone,
            "locale": "en",
            "weekStart": "1",
            "format24HourTime": "false",
            "defaultEventLength": "60",
        }

    def list_settings(self, call: Call) -> Any:
        return {
            "kind": "calendar#settings",
            "etag": '"settings"',
            "items": [self._setting(k, v) for k, v in self._settings().items()],
        }

    def get_setting(self, call: Call) -> Any:
        key = call.params["setting"]
        if key not in self._settings():
            raise not_found()
        return self._setting(key, self._settings()[key])

    # free/busy and push ------------------------------------------------------
    def free_busy(self, call: Call) -> Any:
        body = call.json()
        if not body.get("timeMin") or not body.get("timeMax"):
            raise bad_request("Missing timeMin or timeMax.", "required")
        lo, hi = (
            parse_rfc3339(str(body["timeMin"]), "timeMin"),
            parse_rfc3339(str(body["timeMax"]), "timeMax"),
        )
        if hi <= lo:
            raise bad_request("The specified time range is empty.", "timeRangeEmpty")
        if hi - lo > timedelta(days=93):
            raise bad_request("The requested time range is too long.", "timeRangeTooLong")
        out_tz = zone(body["timeZone"]) if body.get("timeZone") else None
        items = body.get("items")
        if not isinstance(items, list) or not items:
            raise bad_request("Missing items: give at least one calendar id.", "required")
        cals: dict[str, Any] = {}
        for item in items:
            cid = str((item or {}).get("id", ""))
            cal = self.store.calendars.get(self.store.account if cid == "primary" else cid)
            if cal is not None:
                blocks = self.store.busy(cal, lo, hi)
            elif cid.lower() in self.store.people:
                from .calendar import merge

                blocks = merge(
                    [(max(s, lo), min(e, hi)) for s, e in self.store.people[cid.lower()] if e > lo and s < hi]
                )
            else:
                cals[cid] = {"errors": [{"domain": "global", "reason": "notFound"}], "busy": []}
                continue

            def fmt(t: datetime) -> str:
                return t.astimezone(out_tz).isoformat(timespec="seconds") if out_tz else utc_stamp(t)

            cals[cid] = {"busy": [{"start": fmt(s), "end": fmt(e)} for s, e in blocks]}
        return {
            "kind": "calendar#freeBusy",
            "timeMin": utc_stamp(lo),
            "timeMax": utc_stamp(hi),
            "calendars": cals,
        }

    def watch(self, call: Call) -> Any:
        cal = self.store.calendar(call.params["cal"])
        body = call.json()
        if body.get("type") not in ("web_hook", "webhook"):
            raise bad_request("Invalid channel type: use web_hook.")
        address = body.get("address")
        if not isinstance(address, str) or not address.startswith(("http://", "https://")):
            raise bad_request("Invalid channel address: give an http(s) URL.")
        if not body.get("id"):
            raise bad_request("Missing channel id.", "required")
        if body["id"] in self.store.channels:
            raise ApiError(400, f"Channel id {body['id']} not unique", "channelIdNotUnique")
        ttl = int((body.get("params") or {}).get("ttl", 604800))
        channel = {
            "kind": "api#channel",
            "id": body["id"],
            "resourceId": secrets.token_urlsafe(18),
            "resourceUri": f"https://www.googleapis.com/calendar/v3/calendars/{cal.id}/events?alt=json",
            "expiration": str(self.sb.now_ms() + ttl * 1000),
        }
        if body.get("token"):
            channel["token"] = body["token"]
        self.store.channels[body["id"]] = {**channel, "address": address, "calendarId": cal.id, "n": 0}
        self.sb.channel_sync(body["id"])
        return channel

    def stop_channel(self, call: Call) -> Any:
        body = call.json()
        channel = self.store.channels.get(str(body.get("id")))
        if channel is None or channel["resourceId"] != body.get("resourceId"):
            raise not_found(f"Channel '{body.get('id')}' not found for project '000000000000'")
        del self.store.channels[channel["id"]]
        return Reply(204)
