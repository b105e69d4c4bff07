"""Gmail's per-user quota, as Google publishes it: units per method, 250 units per user per second.

The client paces big reads with it (rather than collect 429s); the sandbox charges the same units.
"""

from __future__ import annotations

import time

UNITS_PER_SECOND = 250
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


class Bucket:
    """A token bucket: `rate` units a second, holding at most one second's worth."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.level = rate
        self.stamp = time.monotonic()

    def _refill(self) -> None:
        now = time.monotonic()
        self.level = min(self.rate, self.level + (now - self.stamp) * self.rate)
        self.stamp = now

    def take(self, cost: float) -> bool:
        """Charge `cost` if it fits now (the sandbox's side)."""
        self._refill()
        if cost > self.level + 1e-9:
            return False
        self.level -= cost
        return True

    def wait_for(self, cost: float) -> float:
        """Seconds until `cost` fits (the client's side); charges it as of then (a cost above one second's
        worth leaves the bucket in debt, so the next wait is longer)."""
        self._refill()
        delay = max(0.0, (cost - self.level) / self.rate)
        self.level -= cost
        return delay
