"""What the seed needs of a sandbox: the acting account's stores and the sandbox's clock (so that the seed
does not import the sandbox that runs it)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from .calendar import CalendarStore
from .docstore import DocStore
from .mail import Mailbox


class Seedable(Protocol):
    @property
    def mailbox(self) -> Mailbox: ...

    @property
    def calendar(self) -> CalendarStore: ...

    @property
    def docs(self) -> DocStore: ...

    def now(self) -> datetime: ...

    def now_ms(self) -> int: ...
