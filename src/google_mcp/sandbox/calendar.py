"""The sandbox's calendars: events as Google stores them, with recurrence and sync state."""

from __future__ import annotations

import copy
import hashlib
import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from .errors import ApiError, bad_request, not_found
from .mime import valid_address
from .timeutil import as_event_time, build_rules, event_time, instance_suffix, utc_stamp, zone

EVENT_FIELDS = {
    "summary",
    "description",
    "location",
    "start",
    "end",
    "recurrence",
    "attendees",
    "reminders",
    "transparency",
    "visibility",
    "colorId",
    "status",
    "guestsCanInviteOthers",
    "guestsCanModify",
    "guestsCanSeeOtherGuests",
    "anyoneCanAddSelf",
    "extendedProperties",
    "source",
    "endTimeUnspecified",
    "conferenceData",
    "eventType",
    "attachments",
    "sequence",
    "originalStartTime",
    "id",
    "iCalUID",
}
WRITE_ROLES = ("owner", "writer")


@dataclass
class Calendar:
    id: str
    summary: str
    time_zone: str
    access_role: str = "owner"
    description: str = ""
    primary: bool = False
    color: tuple[str, str] = ("#9fe1e7", "#000000")
    events: dict[str, dict[str, Any]] = field(default_factory=dict)


class CalendarStore:
    def __init__(self, account: str, name: str, time_zone: str) -> None:
        self.account = account
        self.name = name
        self.time_zone = time_zone
        self.calendars: dict[str, Calendar] = {}
        self.seq = itertools.count(1)
        self.generation = 1
        self.notifications: list[dict[str, Any]] = []
        self.channels: dict[str, dict[str, Any]] = {}
        self.people: dict[str, list[tuple[datetime, datetime]]] = {}

    # calendars -----------------------------------------------------------
    def add_calendar(self, cal: Calendar) -> Calendar:
        self.calendars[cal.id] = cal
        return cal

    def calendar(self, cal_id: str) -> Calendar:
        if cal_id == "primary":
            cal_id = self.account
        found = self.calendars.get(cal_id)
        if found is None:
            raise not_found("Not Found")
        return found

    def writable(self, cal_id: str) -> Calendar:
        cal = self.calendar(cal_id)
        if cal.access_role not in WRITE_ROLES:
            raise ApiError(403, "You need to have writer access to this calendar.", "requiredAccessLevel")
        return cal

    # events --------------------------------------------------------------
    def _stamp(self, ev: dict[str, Any], now: datetime) -> None:
        seq = next(self.seq)
        ev["_seq"] = seq
        ev["etag"] = f'"{3_000_000_000_000 + seq}"'
        ev["updated"] = utc_stamp(now).replace("Z", ".000Z")

    def validate(self, cal: Calendar, ev: dict[str, Any]) -> None:
        start, all_day = event_time(ev.get("start"), "start", cal.time_zone)
        end, end_all_day = event_time(ev.get("end"), "end", cal.time_zone)
        if all_day != end_all_day:
            raise bad_request("Invalid start and end: both must be dates or both must be dateTimes.")
        if end <= start:
            raise bad_request("The specified time range is empty.", "timeRangeEmpty")
        if ev.get("recurrence"):
            if not isinstance(ev["recurrence"], list):
                raise bad_request("Invalid recurrence rule: recurrence must be a list of lines.", "invalid")
            if not all_day and not ev["start"].get("timeZone"):
                raise bad_request("Missing time zone definition for start time.", "badRequest")
            build_rules(ev["recurrence"], self._anchor(cal, ev))
        for att in ev.get("attendees") or []:
            if not isinstance(att, dict) or not valid_address(str(att.get("email", ""))):
                raise bad_request(f"Invalid attendee email: {att.get('email') if isinstance(att, dict) else att}.")
            status = att.get("responseStatus", "needsAction")
            if status not in ("needsAction", "declined", "tentative", "accepted"):
                raise bad_request(f"Invalid responseStatus: {status}.")
        rem = ev.get("reminders")
        if isinstance(rem, dict) and rem.get("useDefault") and rem.get("overrides"):
            raise bad_request(
                "Cannot specify both default reminders and overrides at the same time.",
                "cannotUseDefaultRemindersAndSpecifyOverride",
            )
        if ev.get("status") not in (None, "confirmed", "tentative", "cancelled"):
            raise bad_request(f"Invalid status: {ev.get('status')}.")

    def _anchor(self, cal: Calendar, ev: dict[str, Any]) -> datetime:
        start, all_day = event_time(ev["start"], "start", cal.time_zone)
        if all_day:
            return start
        tz_name = ev["start"].get("timeZone")
        return start.astimezone(zone(tz_name)) if tz_name else start

    def new_id(self, seed: str) -> str:
        return hashlib.sha1(seed.encode()).hexdigest()[:26]  # noqa: S324 - an id, not security

    def insert(self, cal: Calendar, body: dict[str, Any], now: datetime, conference: bool) -> dict[str, Any]:
        ev = {k: copy.deepcopy(v) for k, v in body.items() if k in EVENT_FIELDS}
        self.validate(cal, ev)
        ev_id = ev.pop("id", None) or self.new_id(f"{cal.id}:{len(cal.events)}:{now.isoformat()}:{next(self.seq)}")
        if ev_id in cal.events:
            raise ApiError(409, "The requested identifier already exists.", "duplicate")
        self._fill(cal, ev, ev_id, now, conference)
        cal.events[ev_id] = ev
        return ev

    def _fill(self, cal: Calendar, ev: dict[str, Any], ev_id: str, now: datetime, conference: bool) -> None:
        ev.update(
            {
                "kind": "calendar#event",
                "id": ev_id,
                "status": ev.get("status") or "confirmed",
                "htmlLink": f"https://calendar.sandbox.local/event?eid={ev_id}",
                "created": ev.get("created") or utc_stamp(now).replace("Z", ".000Z"),
                "creator": {"email": self.account, "self": True},
                "organizer": ev.get("organizer")
                or (
                    {"email": cal.id, "self": True}
                    if cal.primary
                    else {"email": cal.id, "displayName": cal.summary, "self": True}
                ),
                "iCalUID": ev.get("iCalUID") or f"{ev_id}@google.com",
                "sequence": int(ev.get("sequence") or 0),
                "reminders": ev.get("reminders") or {"useDefault": True},
                "eventType": ev.get("eventType") or "default",
            }
        )
        for att in ev.get("attendees") or []:
            att.setdefault("responseStatus", "needsAction")
            if att["email"].lower() == self.account:
                att["self"] = True
        req = (ev.get("conferenceData") or {}).get("createRequest")
        if conference and req:
            code = hashlib.sha1(ev_id.encode()).hexdigest()  # noqa: S324
            meet = f"{code[:3]}-{code[3:7]}-{code[7:10]}"
            ev["hangoutLink"] = f"https://meet.google.com/{meet}"
            ev["conferenceData"] = {
                "createRequest": {**req, "status": {"statusCode": "success"}},
                "entryPoints": [
                    {"entryPointType": "video", "uri": ev["hangoutLink"], "label": f"meet.google.com/{meet}"}
                ],
                "conferenceSolution": {
                    "key": {"type": "hangoutsMeet"},
                    "name": "Google Meet",
                    "iconUri": "https://fonts.gstatic.com/s/i/productlogos/meet_2020q4/v6/web-512dp/logo_meet_2020q4_color_2x_web_512dp.png",
                },
                "conferenceId": meet,
            }
        elif not conference:
            ev.pop("conferenceData", None)
        self._stamp(ev, now)

    # lookup, instances -----------------------------------------------------
    def split_instance(self, cal: Calendar, ev_id: str) -> tuple[dict[str, Any], str] | None:
        master_id, sep, suffix = ev_id.rpartition("_")
        if not sep or master_id not in cal.events or not cal.events[master_id].get("recurrence"):
            return None
        return cal.events[master_id], suffix

    def get(self, cal: Calendar, ev_id: str) -> dict[str, Any]:
        if ev_id in cal.events:
            return cal.events[ev_id]
        split = self.split_instance(cal, ev_id)
        if split:
            master, suffix = split
            try:
                if len(suffix) == 8:
                    occ = datetime.strptime(suffix, "%Y%m%d").replace(tzinfo=zone(cal.time_zone))
                else:
                    occ = datetime.strptime(suffix, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
            except ValueError:
                raise not_found("Not Found") from None
            window = self.expand(cal, master, occ, occ + timedelta(days=1), include_cancelled=True)
            for inst in window:
                if inst["id"] == ev_id:
                    return inst
        raise not_found("Not Found")

    def expand(
        self,
        cal: Calendar,
        master: dict[str, Any],
        lo: datetime | None,
        hi: datetime | None,
        include_cancelled: bool = False,
    ) -> list[dict[str, Any]]:
        start, all_day = event_time(master["start"], "start", cal.time_zone)
        end, _ = event_time(master["end"], "end", cal.time_zone)
        duration = end - start
        anchor = self._anchor(cal, master)
        rules = build_rules(master["recurrence"], anchor)
        horizon = hi or (max(anchor, datetime.now(UTC)) + timedelta(days=366))
        out: list[dict[str, Any]] = []
        tz_name = master["start"].get("timeZone")
        for n, occ in enumerate(rules.between(anchor - timedelta(seconds=1), horizon, inc=True)):
            if n > 2500:
                break
            inst_id = f"{master['id']}_{instance_suffix(occ, all_day)}"
            override = cal.events.get(inst_id)
            if override is not None:
                inst = override
            else:
                inst = {k: copy.deepcopy(v) for k, v in master.items() if k not in ("recurrence", "_seq")}
                inst.update(
                    {
                        "id": inst_id,
                        "recurringEventId": master["id"],
                        "originalStartTime": as_event_time(occ, all_day, tz_name, None),
                        "start": as_event_time(occ, all_day, tz_name, None),
                        "end": as_event_time(occ + duration, all_day, master["end"].get("timeZone"), None),
                    }
                )
            if inst.get("status") == "cancelled" and not include_cancelled:
                continue
            i_start, _ = event_time(inst["start"], "start", cal.time_zone)
            i_end, _ = event_time(inst["end"], "end", cal.time_zone)
            if lo and i_end <= lo:
                continue
            if hi and i_start >= hi:
                continue
            out.append(inst)
        return out

    def materialise(self, cal: Calendar, ev_id: str) -> dict[str, Any]:
        """The stored record behind an id; an instance becomes an exception of its own."""
        if ev_id in cal.events:
            return cal.events[ev_id]
        inst = copy.deepcopy(self.get(cal, ev_id))
        cal.events[ev_id] = inst
        return inst

    def patch(
        self,
        cal: Calendar,
        ev_id: str,
        body: dict[str, Any],
        now: datetime,
        *,
        replace: bool,
        if_match: str | None,
        conference: bool,
    ) -> dict[str, Any]:
        current = self.get(cal, ev_id)
        if current.get("status") == "cancelled" and body.get("status") != "confirmed":
            raise ApiError(410, "Resource has been deleted", "deleted")
        if if_match and if_match not in ("*", current.get("etag")):
            raise ApiError(412, "Precondition Failed", "conditionNotMet")
        changes = {k: copy.deepcopy(v) for k, v in body.items() if k in EVENT_FIELDS and k not in ("id", "iCalUID")}
        keep = {k: v for k, v in current.items() if k not in EVENT_FIELDS or k in ("originalStartTime", "iCalUID")}
        candidate = {**keep, **changes} if replace else {**copy.deepcopy(current), **changes}
        if replace and "reminders" not in changes:
            candidate["reminders"] = {"useDefault": True}
        if "recurringEventId" in candidate and "recurrence" in changes:
            raise bad_request("Invalid recurrence: an instance cannot have its own recurrence.")
        self.validate(cal, candidate)
        candidate["sequence"] = int(current.get("sequence", 0)) + (1 if "start" in changes or "end" in changes else 0)
        self._fill(cal, candidate, ev_id, now, conference or bool(current.get("conferenceData")))
        if not conference and current.get("conferenceData") and "conferenceData" not in changes:
            candidate["conferenceData"] = current["conferenceData"]
        cal.events[ev_id] = candidate
        return candidate

    def delete(self, cal: Calendar, ev_id: str, now: datetime) -> dict[str, Any]:
        current = self.get(cal, ev_id)
        if current.get("status") == "cancelled":
            raise ApiError(410, "Resource has been deleted", "deleted")
        record = self.materialise(cal, ev_id)
        record["status"] = "cancelled"
        self._stamp(record, now)
        if record.get("recurrence"):
            for other in cal.events.values():
                if other.get("recurringEventId") == ev_id and other.get("status") != "cancelled":
                    other["status"] = "cancelled"
                    self._stamp(other, now)
        return record

    def busy(self, cal: Calendar, lo: datetime, hi: datetime) -> list[tuple[datetime, datetime]]:
        blocks = []
        for ev in self.events_in(cal, lo, hi):
            if ev.get("transparency") == "transparent":
                continue
            mine = [a for a in ev.get("attendees") or [] if a.get("self")]
            if mine and mine[0].get("responseStatus") == "declined":
                continue
            s, _ = event_time(ev["start"], "start", cal.time_zone)
            e, _ = event_time(ev["end"], "end", cal.time_zone)
            blocks.append((max(s, lo), min(e, hi)))
        return merge(blocks)

    def events_in(self, cal: Calendar, lo: datetime | None, hi: datetime | None) -> list[dict[str, Any]]:
        out = []
        for ev in list(cal.events.values()):
            if ev.get("recurringEventId") and ev["recurringEventId"] in cal.events:
                continue  # exceptions are produced by their master's expansion
            if ev.get("status") == "cancelled":
                continue
            if ev.get("recurrence"):
                out.extend(self.expand(cal, ev, lo, hi))
                continue
            s, _ = event_time(ev["start"], "start", cal.time_zone)
            e, _ = event_time(ev["end"], "end", cal.time_zone)
            if (lo and e <= lo) or (hi and s >= hi):
                continue
            out.append(ev)
        return out

    def render(self, ev: dict[str, Any], out_tz: ZoneInfo | None) -> dict[str, Any]:
        data = {k: v for k, v in ev.items() if not k.startswith("_")}
        if data.get("status") == "cancelled" and not data.get("recurrence") and "summary" not in data:
            return data
        if out_tz:
            for key in ("start", "end", "originalStartTime"):
                node = data.get(key)
                if isinstance(node, dict) and node.get("dateTime"):
                    moment, _ = event_time(node, key, "UTC")
                    data[key] = {**node, "dateTime": moment.astimezone(out_tz).isoformat(timespec="seconds")}
        return data


def merge(blocks: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    out: list[tuple[datetime, datetime]] = []
    for s, e in sorted(blocks):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out
