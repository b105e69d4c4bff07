"""Pages of many items.

A page ends at the count the caller asked for or at a size budget, whichever comes first, and never in
the middle of an item. The budget counts what a model reads: the tokens of a search page's lines (a host
caps a tool's answer in tokens: Claude Code's MAX_MCP_OUTPUT_TOKENS, 25,000 unless raised), and the
characters of an events page's JSON. What was fetched beyond a page is kept for a short while under a cursor, so the
next page is served without asking Google again; a cursor that is gone (expired, or another process)
falls back to a position the page token also carries.
"""

from __future__ import annotations

import re
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

ANSWER_BUDGET = 80_000  # characters of the items' JSON in one answer: about 20,000 tokens, under the
# 25,000-token cap some hosts put on a tool answer (Claude Code's MAX_MCP_OUTPUT_TOKENS)
# the pieces a BPE tokenizer (cl100k's pattern) splits text into first: words with their leading space or
# mark, runs of up to three digits, runs of marks, whitespace
_PIECE = re.compile(r"""'(?:[sdmt]|ll|ve|re)|[^\r\n\w]?[^\W\d_]+|\d{1,3}| ?[^\s\w]+[\r\n]*|\s*[\r\n]|\s+""")
CURSOR_TTL = 600.0  # seconds a cursor's items are kept
CURSORS = 64  # cursors kept at most (the oldest go first)

T = TypeVar("T")


def tokens(text: str) -> int:
    """About how many tokens a model's tokenizer makes of text, without the tokenizer: a piece of ASCII is a
    token per six characters, other text a token per two bytes (within a few per cent of cl100k over
    search lines and messages, a little over rather than under)."""
    n = 0
    for piece in _PIECE.findall(text):
        n += 1 + (len(piece) - 1) // 6 if piece.isascii() else len(piece.encode()) // 2 + 1
    return n


def fits(items: Sequence[T], limit: int, cost: Callable[[T], int], budget: int) -> int:
    """How many of items make a page: at most limit, their costs within budget, and always at least one."""
    used = 0
    for n, item in enumerate(items[:limit]):
        used += cost(item)
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
