"""RFC 3339 times, event times and recurrence expansion for the calendar stand-in."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.rrule import rrule, rruleset, rrulestr

from .errors import bad_request


def zone(name: str | None, what: str = "time zone") -> ZoneInfo:
    if not name:
        raise bad_request(f"Missing {what}.")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise bad_request(f"Invalid time zone definition: {name}.", "timeZoneInvalid") from None


def parse_rfc3339(value: str, what: str) -> datetime:
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise bad_request(f"Bad Request: {what} '{value}' is not an RFC 3339 timestamp.", "badRequest") from None
    if parsed.tzinfo is None:
        raise bad_request(f"Bad Request: {what} '{value}' needs a UTC offset (e.g. Z or +02:00).")
    return parsed


def rfc3339(moment: datetime) -> str:
    text = moment.isoformat(timespec="seconds")
    return text.replace("+00:00", "Z") if moment.utcoffset() == timedelta(0) and moment.tzinfo is UTC else text


def utc_stamp(moment: datetime) -> str:
    return rfc3339(moment.astimezone(UTC)).replace("+00:00", "Z")


def parse_date(value: str, what: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise bad_request(f"Invalid {what} date '{value}': use YYYY-MM-DD.") from None


def event_time(node: Any, what: str, default_tz: str) -> tuple[datetime, bool]:
    """(aware start instant, all_day) of an EventDateTime; validates like Google."""
    if not isinstance(node, dict):
        raise bad_request(f"Missing {what} time.", "required")
    if node.get("date"):
        if node.get("dateTime"):
            raise bad_request(f"Invalid {what} time: give date or dateTime, not both.")
        day = parse_date(node["date"], what)
        return datetime(day.year, day.month, day.day, tzinfo=zone(default_tz)), True
    if not node.get("dateTime"):
        raise bad_request(f"Missing {what} time.", "required")
    text = str(node["dateTime"])
    tz_name = node.get("timeZone")
    try:
        naive = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    except ValueError:
        raise bad_request(f"Invalid {what} time '{text}'.", "badRequest") from None
    if naive.tzinfo is not None:
        return naive, False
    if not tz_name:
        raise bad_request(f"Missing time zone definition for {what} time.", "badRequest")
    return naive.replace(tzinfo=zone(tz_name)), False


_EX = re.compile(r"^(EXDATE|RDATE)(;[^:]*)?:(.+)$", re.I)


def _parse_list(params: str, values: str, tz: ZoneInfo) -> list[datetime]:
    out = []
    tzid = re.search(r"TZID=([^;:]+)", params or "", re.I)
    list_tz = zone(tzid.group(1)) if tzid else tz
    for item in values.split(","):
        item = item.strip()
        try:
            if len(item) == 8:
                out.append(datetime.strptime(item, "%Y%m%d").replace(tzinfo=tz))
            elif item.endswith("Z"):
                out.append(datetime.strptime(item, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC))
            else:
                out.append(datetime.strptime(item, "%Y%m%dT%H%M%S").replace(tzinfo=list_tz))
        except ValueError:
            raise bad_request(f"Invalid recurrence rule: bad date '{item}'.", "invalid") from None
    return out


def _fix_until(rule: str, tz: ZoneInfo) -> str:
    def repl(found: re.Match[str]) -> str:
        value = found.group(1)
        if value.endswith("Z"):
            return found.group(0)
        if len(value) == 8:
            moment = datetime.strptime(value, "%Y%m%d").replace(hour=23, minute=59, second=59, tzinfo=tz)
        else:
            moment = datetime.strptime(value, "%Y%m%dT%H%M%S").replace(tzinfo=tz)
        return "UNTIL=" + moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")

    return re.sub(r"UNTIL=([0-9TZ]+)", repl, rule, flags=re.I)


def build_rules(lines: list[str], start: datetime) -> rruleset:
    """Validate recurrence lines and build a rule set anchored at the aware start."""
    tz = start.tzinfo
    assert isinstance(tz, ZoneInfo)
    rules = rruleset()
    has_rule = False
    for line in lines:
        if not isinstance(line, str):
            raise bad_request("Invalid recurrence rule.", "invalid")
        line = line.strip()
        if line.upper().startswith("RRULE:"):
            body = _fix_until(line[6:], tz)
            try:
                rule = rrulestr(body, dtstart=start, forceset=False)
            except (ValueError, TypeError, KeyError):
                raise bad_request(f"Invalid recurrence rule: {line}", "invalid") from None
            if not isinstance(rule, rrule):
                raise bad_request(f"Invalid recurrence rule: {line}", "invalid")
            rules.rrule(rule)
            has_rule = True
            continue
        found = _EX.match(line)
        if not found:
            raise bad_request(f"Invalid recurrence rule: {line}", "invalid")
        for moment in _parse_list(found.group(2) or "", found.group(3), tz):
            (rules.exdate if found.group(1).upper() == "EXDATE" else rules.rdate)(moment)
    if not has_rule:
        raise bad_request("Invalid recurrence rule: an RRULE line is required.", "invalid")
    return rules


def instance_suffix(original: datetime, all_day: bool) -> str:
    if all_day:
        return original.strftime("%Y%m%d")
    return original.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def as_event_time(moment: datetime, all_day: bool, tz_name: str | None, out_tz: ZoneInfo | None) -> dict[str, str]:
    if all_day:
        return {"date": moment.date().isoformat()}
    shown = moment.astimezone(out_tz) if out_tz else moment
    node = {"dateTime": shown.isoformat(timespec="seconds")}
    if tz_name:
        node["timeZone"] = tz_name
    return node
