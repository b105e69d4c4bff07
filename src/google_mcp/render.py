"""What a model reads of an answer: compact lines for the long lists, compact JSON for the rest.

The structured content keeps every field; this text is what most hosts put in front of the model, so it
says the same in far fewer tokens: no indentation, no empty or default fields, one line per message,
event or busy block, links and label names kept, times with their zone.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from pydantic import BaseModel

from google_mcp.google import chat_models, tasks_models
from google_mcp.google.calendar_models import Event, EventList, FreeBusy
from google_mcp.google.contacts_models import ContactList
from google_mcp.google.drive_models import FileList
from google_mcp.google.gmail_lines import COLUMNS, line
from google_mcp.google.gmail_models import SearchResult
from google_mcp.google.sheets_models import SheetValues
from google_mcp.google.slides_models import Deck
from google_mcp.models import Result


def compact_json(result: BaseModel) -> str:
    return json.dumps(
        result.dump() if isinstance(result, Result) else result.model_dump(mode="json"),
        ensure_ascii=False,
        separators=(",", ":"),
    )


def search(result: SearchResult) -> str:
    head = f"{len(result.messages)} messages"
    if result.result_size_estimate > len(result.messages):
        head += f" of about {result.result_size_estimate}"
    if result.next_page_token:
        head += f"; more with page_token={result.next_page_token}"
    several = any(m.account for m in result.messages)
    lines = [f"{head}. Tab-separated: {COLUMNS}" + (", account" if several else "")]
    lines += [line(m, several) for m in result.messages]
    if result.failed_ids:
        lines.append("Could not be read this time: " + ", ".join(result.failed_ids))
    return "\n".join(lines)


def _span(ev: Event, zone: str) -> str:
    if ev.all_day:
        first = date.fromisoformat(ev.start.date or "")
        last = date.fromisoformat(ev.end.date or ev.start.date or "") - timedelta(days=1)  # Google's end is exclusive
        return f"{first} all day" if last <= first else f"{first} to {last} all day"
    start = datetime.fromisoformat(ev.start.date_time or "")
    end = datetime.fromisoformat(ev.end.date_time or "")
    same_day = end.date() == start.date()
    span = start.strftime("%a %Y-%m-%d %H:%M") + "–" + end.strftime("%H:%M" if same_day else "%a %Y-%m-%d %H:%M")
    return span + ("" if ev.start.time_zone == zone else f" ({ev.start.time_zone})")


def event_line(ev: Event, zone: str, several_calendars: bool) -> str:
    parts = [ev.id, _span(ev, zone), ev.summary or "(no title)"]
    if ev.location:
        parts.append(f"at {ev.location}")
    if ev.attendees:
        parts.append(f"{len(ev.attendees)} guests" + (f", you {ev.my_response}" if ev.my_response else ""))
    if ev.recurring_event_id or ev.recurrence:
        parts.append("recurring")
    if ev.status == "cancelled":
        parts.append("cancelled")
    if ev.meet_link:
        parts.append(ev.meet_link)
    if several_calendars:
        parts.append(f"calendar {ev.calendar_id}")
    if ev.account:
        parts.append(f"account {ev.account}")
    return " · ".join(parts)


def events(result: EventList) -> str:
    zones = [e.start.time_zone for e in result.events]
    zone = max(set(zones), key=zones.count) if zones else ""
    several = len({e.calendar_id for e in result.events}) > 1
    head = f"{len(result.events)} events" + (f", times in {zone} unless noted" if zone else "")
    if result.next_page_token:
        head += f"; more with page_token={result.next_page_token}"
    return "\n".join([head + ". id · when · title · details", *(event_line(e, zone, several) for e in result.events)])


def free_busy(result: FreeBusy) -> str:
    def blocks(items: list[Any]) -> str:
        days: dict[str, list[str]] = {}
        for b in items:
            start, end = datetime.fromisoformat(b.start), datetime.fromisoformat(b.end)
            days.setdefault(start.strftime("%a %m-%d"), []).append(f"{start:%H:%M}–{end:%H:%M}")
        return "; ".join(f"{day} {', '.join(spans)}" for day, spans in days.items()) or "free"

    lines = [f"Times in {result.time_zone}."]
    lines += [f"Busy {who}: {blocks(items)}" for who, items in result.busy.items()]
    lines += [f"Unknown {who}: {why}" for who, why in result.errors.items()]
    if result.free_slots:
        lines.append(f"Free for all: {blocks(result.free_slots)}")
    return "\n".join(lines)


def sheet_values(result: SheetValues) -> str:
    head = f"{result.range}: {result.rows} rows, shown {result.shown}"
    if result.render != "displayed":
        head += f", values {result.render}"
    lines = [f"{head}. Spreadsheet {result.spreadsheet_id}.", result.table]
    if result.note:
        lines.append(result.note)
    return "\n".join(lines)


def contacts(result: ContactList) -> str:
    head = f"{len(result.contacts)} people"
    if result.next_page_token:
        head += f"; more with page_token={result.next_page_token}"
    lines = [head + ". name · emails · phones · company · resource name · from (contacts unless said)"]
    for c in result.contacts:
        parts = [c.name or "(no name)", ", ".join(c.emails) or "-", ", ".join(c.phones) or "-", c.company or "-"]
        parts.append(c.resource_name + ("" if c.source == "contacts" else f" · {c.source}"))
        lines.append(" · ".join(parts))
    if result.note:
        lines.append(result.note)
    return "\n".join(lines)


def deck(result: Deck) -> str:
    lines = [f"{result.title} ({len(result.slides)} slides, revision {result.revision_id}) {result.link}"]
    for slide in result.slides:
        lines.append(f"Slide {slide.n} [{slide.id}]: {slide.title}")
        lines += [f"- {t}" for t in slide.text]
        if slide.notes:
            lines.append("Notes: " + slide.notes.replace("\n", " / "))
    return "\n".join(lines)


RENDERERS: dict[type, Callable[..., str]] = {
    SearchResult: search,
    EventList: events,
    FreeBusy: free_busy,
    tasks_models.TaskPage: tasks_models.lines,
    chat_models.Messages: chat_models.lines,
    SheetValues: sheet_values,
    Deck: deck,
    FileList: FileList.lines,
    ContactList: contacts,
}


def text(result: BaseModel, full: bool = False) -> str:
    """The text block of an answer: compact lines where they exist (unless `full`), else compact JSON."""
    if full:
        return compact_json(result)
    renderer = RENDERERS.get(type(result))
    return renderer(result) if renderer else compact_json(result)
