"""What the API handlers need from the sandbox that holds them (so they need not import it)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from .calendar import CalendarStore
from .docstore import DocStore
from .mail import Mailbox
from .people import PeopleStore


class Host(Protocol):
    tz: ZoneInfo

    @property
    def mailbox(self) -> Mailbox: ...  # the account the current request acts as
    @property
    def calendar(self) -> CalendarStore: ...
    @property
    def docs(self) -> DocStore: ...
    @property
    def people(self) -> PeopleStore: ...

    def now(self) -> datetime: ...
    def now_ms(self) -> int: ...
    def channel_sync(self, channel_id: str) -> None: ...
    def calendar_changed(self, calendar_id: str) -> None: ...
