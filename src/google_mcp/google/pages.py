"""Pages of many items.

A page ends at the count the caller asked for or at a size budget, whichever comes first, and never in
the middle of an item. What was fetched beyond a page is kept for a short while under a cursor, so the
next page is served without asking Google again; a cursor that is gone (expired, or another process)
falls back to a position the page token also carries.
"""

from __future__ import annotations

import secrets
import time
from collections import OrderedDict
from collections.abc import Sequence
from typing import Generic, TypeVar

from google_mcp.models import Result

ANSWER_BUDGET = 80_000  # characters of the items' JSON in one answer: about 20,000 tokens, under the
# 25,000-token cap some hosts put on a tool answer (Claude Code's MAX_MCP_OUTPUT_TOKENS)
CURSOR_TTL = 600.0  # seconds a cursor's items are kept
CURSORS = 64  # cursors kept at most (the oldest go first)

T = TypeVar("T")


def fits(items: Sequence[Result], limit: int, budget: int = ANSWER_BUDGET) -> int:
    """How many of items make a page: at most limit, within budget, and always at least one."""
    used = 0
    for n, item in enumerate(items[:limit]):
        used += item.json_size()
        if used > budget and n > 0:
            return n
    return min(limit, len(items))


class Cursors(Generic[T]):
    """Fetched but not yet shown items, by a random key; each is taken once."""

    def __init__(self, capacity: int = CURSORS, ttl: float = CURSOR_TTL) -> None:
        self.capacity, self.ttl = capacity, ttl
        self._kept: OrderedDict[str, tuple[float, T]] = OrderedDict()

    def keep(self, value: T) -> str:
        key = secrets.token_urlsafe(9)
        self._kept[key] = (time.monotonic() + self.ttl, value)
        while len(self._kept) > self.capacity:
            self._kept.popitem(last=False)
        return key

    def take(self, key: str) -> T | None:
        kept = self._kept.pop(key, None)
        if kept is None or kept[0] < time.monotonic():
            return None
        return kept[1]
