"""A search result as the one line a model reads of it: render.py puts the lines under a heading, and
gmail_reads.py cuts a page by their tokens (so a page is as long as what the model reads allows)."""

from __future__ import annotations

from datetime import datetime

from google_mcp.google.compose import one_line
from google_mcp.google.gmail_labels import guessed
from google_mcp.google.gmail_models import MessageSummary

SNIPPET = 35
COLUMNS = "id, date (UTC unless marked), from, subject, labels, snippet"


def when(value: str, utc: str = "Z") -> str:
    """2026-11-20T19:03:00+00:00 -> 20 Nov 19:03Z (the year only when it is not this one); offsets kept
    (`utc`: how UTC is marked; "" where the heading says so once)."""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    offset = moment.strftime("%z")
    zone = utc if offset in ("+0000", "") else f"{offset[:3]}:{offset[3:]}"
    year = "" if moment.year == datetime.now(moment.tzinfo).year else f" {moment.year}"
    return f"{moment.day} {moment:%b}{year} {moment:%H:%M}{zone}"


def line(m: MessageSummary, several: bool = False) -> str:
    """Tab-separated (a tab is the cheapest separator); labels by name, bar Gmail's guesses (categories,
    "important"); the thread only when it is not the message's own."""
    labels = [x for x in m.labels if not guessed(x)] + (["attachments"] if m.has_attachments else [])
    snippet = m.snippet if len(m.snippet) <= SNIPPET else m.snippet[:SNIPPET].rstrip() + "…"
    thread = f" (thread {m.thread_id})" if m.thread_id != m.id else ""
    return (
        f"{m.id}{thread}\t{when(m.date, '')}\t{one_line(m.sender)}\t{one_line(m.subject) or '(no subject)'}\t"
        f"{','.join(labels) or '-'}\t{one_line(snippet)}" + (f"\t{m.account}" if several else "")
    )
