"""Gmail's per-user quota, as Google publishes it: units per method, 15,000 units per user per minute (250 a
second on average, short bursts allowed).

The client paces big reads with it (rather than collect 429s): this window in each process, or the same
window kept in Redis and shared by every process (google/pacing.py). The sandbox charges the same units.
"""

from __future__ import annotations

import time
from collections import deque

UNITS_PER_SECOND = 250  # on average: Google states it as 15,000 units per user per minute
WINDOW_SECONDS = 60.0
MARGIN = 0.95  # the client paces a little below the quota: its clock and Google's never agree exactly
UNITS = {
    "gmail.users.getProfile": 1,
    "gmail.users.messages.list": 5,
    "gmail.users.messages.get": 5,
    "gmail.users.messages.insert": 25,
    "gmail.users.messages.import": 25,
    "gmail.users.messages.send": 100,
    "gmail.users.messages.batchModify": 50,
    "gmail.users.messages.batchDelete": 50,
    "gmail.users.messages.delete": 10,
    "gmail.users.messages.modify": 5,
    "gmail.users.messages.trash": 5,
    "gmail.users.messages.untrash": 5,
    "gmail.users.messages.attachments.get": 5,
    "gmail.users.threads.list": 10,
    "gmail.users.threads.get": 10,
    "gmail.users.threads.delete": 20,
    "gmail.users.threads.modify": 10,
    "gmail.users.threads.trash": 10,
    "gmail.users.threads.untrash": 10,
    "gmail.users.labels.list": 1,
    "gmail.users.labels.get": 1,
    "gmail.users.labels.create": 5,
    "gmail.users.labels.patch": 5,
    "gmail.users.labels.update": 5,
    "gmail.users.labels.delete": 5,
    "gmail.users.drafts.list": 5,
    "gmail.users.drafts.get": 5,
    "gmail.users.drafts.create": 10,
    "gmail.users.drafts.update": 15,
    "gmail.users.drafts.delete": 10,
    "gmail.users.drafts.send": 100,
    "gmail.users.history.list": 2,
    "gmail.users.watch": 100,
    "gmail.users.stop": 50,
}


def units(method_id: str) -> int:
    return UNITS.get(method_id, 5) if method_id.startswith("gmail.") else 0


class Window:
    """Gmail's per-user limit as Google states it: units per minute, counted over a moving window. A burst
    may spend the whole window's budget at once; then calls wait for the oldest charges to leave the window
    (a token bucket holding one second's worth made every back-to-back 50-result search wait about 1 s)."""

    def __init__(self, rate: float, seconds: float = WINDOW_SECONDS) -> None:
        self.seconds = seconds
        self.budget = rate * seconds
        self._charges: deque[tuple[float, float]] = deque()  # (when, units), oldest first
        self._held = 0.0

    def _expire(self, now: float) -> None:
        while self._charges and self._charges[0][0] <= now - self.seconds:
            self._held -= self._charges.popleft()[1]

    def take(self, cost: float) -> bool:
        """Charge `cost` if it fits now (the sandbox's side: past the budget, 429)."""
        now = time.monotonic()
        self._expire(now)
        if self._held + cost > self.budget + 1e-9:
            return False
        self._charges.append((now, cost))
        self._held += cost
        return True

    def wait_for(self, cost: float) -> float:
        """Seconds until `cost` fits (the client's side), charged as of then. Charges are kept in time order:
        a later caller never slips in before one already waiting."""
        now = time.monotonic()
        self._expire(now)
        at = max(now, self._charges[-1][0]) if self._charges else now
        held = self._held
        for when, units in self._charges:  # the oldest leave the window first
            if held + min(cost, self.budget) <= self.budget + 1e-9:
                break
            held -= units
            at = max(at, when + self.seconds)
        self._charges.append((at, cost))
        self._held += cost
        return at - now
