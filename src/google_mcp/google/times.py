"""Times from people and models: ISO 8601 with an offset, or a local time plus a time zone, checked for DST."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from google_mcp.errors import InvalidInput

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ZONE = re.compile(r"^[A-Za-z0-9_+\-]+(/[A-Za-z0-9_+\-]+)*$")
# Python's datetime spans years 1 to 9999; an offset, a zone or an event's length must never fall off either
# end, so times are accepted one day inside it.
EARLIEST, LATEST = date(1, 1, 2), date(9999, 12, 30)


def zone(name: str) -> ZoneInfo:
    if len(name) <= 64 and _ZONE.match(name):
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            pass
    shown = name if len(name) <= 64 else name[:40] + "…"
    raise InvalidInput(f"Unknown time zone {shown!r}. Use an IANA name such as Europe/Berlin or America/New_York.")


def _in_range(day: date, what: str, value: str) -> None:
    if not EARLIEST <= day <= LATEST:
        raise InvalidInput(
            f"{what} {value!r} is out of range: give a date between {EARLIEST.isoformat()} and {LATEST.isoformat()}."
        )


def is_date(value: str) -> bool:
    return bool(_DATE.match(value.strip()))


def parse_date(value: str, what: str) -> date:
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(f"{what} {value!r} is not a date; use YYYY-MM-DD.") from None
    _in_range(day, what, value)
    return day


def localize(naive: datetime, tz: ZoneInfo, what: str) -> datetime:
    """Attach a zone to a wall-clock time, refusing times that do not exist or happen twice."""
    first = naive.replace(tzinfo=tz, fold=0)
    second = naive.replace(tzinfo=tz, fold=1)
    if first.utcoffset() != second.utcoffset():
        round_trip = first.astimezone(UTC).astimezone(tz).replace(tzinfo=None)
        if round_trip != naive:
            raise InvalidInput(
                f"{what} {naive.isoformat(timespec='minutes')} does not exist in {tz.key}: the clocks skip it "
                "(daylight saving time). Choose a time an hour earlier or later."
            )
        offsets = sorted({_fmt_offset(first), _fmt_offset(second)})
        raise InvalidInput(
            f"{what} {naive.isoformat(timespec='minutes')} happens twice in {tz.key} (clocks go back). "
            f"Give it with an offset: {naive.isoformat(timespec='minutes')}{offsets[0]} or "
            f"{naive.isoformat(timespec='minutes')}{offsets[1]}."
        )
    return first


def _fmt_offset(moment: datetime) -> str:
    off = moment.utcoffset() or timedelta(0)
    sign = "-" if off < timedelta(0) else "+"
    minutes = abs(int(off.total_seconds())) // 60
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def parse_when(value: str, time_zone: str | None, default_tz: str, what: str) -> datetime:
    text = (value or "").strip()
    if not text:
        raise InvalidInput(f"{what} is required.")
    if is_date(text):
        raise InvalidInput(f"{what} {text!r} is a date; give a time too (e.g. {text}T09:00) or make it all-day.")
    try:
        parsed = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise InvalidInput(
            f"{what} {value!r} is not an ISO 8601 time. Use e.g. 2026-12-01T15:00:00-05:00, or "
            "2026-12-01T15:00 with time_zone."
        ) from None
    _in_range(parsed.date(), what, value)
    if parsed.tzinfo is not None:
        return parsed
    return localize(parsed, zone(time_zone or default_tz), what)


def parse_bound(value: str, time_zone: str | None, default_tz: str, what: str) -> datetime:
    """An edge of a window to read: an ISO 8601 time, or a date meaning that day's start in the zone."""
    text = (value or "").strip()
    if is_date(text):
        return datetime.combine(parse_date(text, what), time(), tzinfo=zone(time_zone or default_tz))
    return parse_when(value, time_zone, default_tz, what)


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def shown(value: str, tz: str) -> str:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(zone(tz)).isoformat(timespec="seconds")
