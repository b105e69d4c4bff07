"""What the API handlers need from the sandbox that holds them (so they need not import it)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from .calendar import CalendarStore
from .docstore import DocStore
from .mail import Mailbox


class Host(Protocol):
    tz: ZoneInfo
    mailbox: Mailbox
    calendar: CalendarStore
    docs: DocStore

    def now(self) -> datetime: ...
    def now_ms(self) -> int: ...
    def channel_sync(self, channel_id: str) -> None: ...
    def calendar_changed(self, calendar_id: str) -> None: ...
