"""What the server counts, in Prometheus's text format (`prometheus_client`), for GET /metrics.

The metrics are declared once here and counted in the cross-cutting places only: every tool call in the
server's `call_tool`, every gate step in `Gate.note`, every Google request in the client's retry layer,
every quota wait in its pacing, every subscription in `realtime.updates`. Nothing per tool.

A process counts its own calls: three backends behind a balancer serve three /metrics, summed by
Prometheus. When several worker processes share one port, set PROMETHEUS_MULTIPROC_DIR (an empty folder
each start) and the scrape adds up every process's files (`prometheus_client`'s multi-process mode).
"""

from __future__ import annotations

import os
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

CALLS = Counter("google_mcp_tool_calls", "Tool calls by tool and outcome", ["tool", "outcome"])
# from a cached read (milliseconds) to a send that waits for Google and its retries (seconds)
CALL_SECONDS = Histogram(
    "google_mcp_tool_call_seconds",
    "Tool call latency by tool",
    ["tool"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
GATE = Counter(
    "google_mcp_gate_steps",
    "Steps of gated actions: held, asked, approved, declined, cancelled, expired, done, failed, unknown...",
    ["step"],
)
GOOGLE_ERRORS = Counter(
    "google_mcp_google_errors", "Google requests that failed, by API and HTTP status (or timeout)", ["api", "status"]
)
GOOGLE_RETRIES = Counter(
    "google_mcp_google_retries", "Google requests tried again, by API and the status that caused it", ["api", "status"]
)
QUOTA_WAITS = Counter("google_mcp_quota_waits", "Requests that waited for Gmail's per-user quota")
QUOTA_WAIT_SECONDS = Counter("google_mcp_quota_wait_seconds", "Seconds spent waiting for Gmail's per-user quota")
RECORD_FAILURES = Counter(
    "google_mcp_record_failures",
    "Record entries that could not be written when asked (approval: the gated write was refused)",
    ["entry"],
)
PENDING_WAITING = Gauge(
    "google_mcp_pending_actions_waiting",
    "Pending actions held by this process that still wait for an answer (as of the last scrape)",
    multiprocess_mode="livesum",
)
SUBSCRIPTIONS = Gauge(
    "google_mcp_subscriptions_open",
    "Resource subscriptions open on this process (2025 resources/subscribe and 2026 listen streams)",
    multiprocess_mode="livesum",
)


@contextmanager
def timed(tool: str) -> Iterator[None]:
    """Observe a tool call's latency (whatever its outcome)."""
    start = time.perf_counter()
    try:
        yield
    finally:
        CALL_SECONDS.labels(tool).observe(time.perf_counter() - start)


def google_status(status: int | None, timeout: bool) -> str:
    """A failed Google request's label: its HTTP status, else timeout (no answer) or error."""
    if status is not None:
        return str(status)
    return "timeout" if timeout else "error"


def process_ended() -> None:
    """In multi-process mode, this process's live gauges leave the sum (its counters stay)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]


def exposition() -> tuple[bytes, str]:
    """The scrape's body and content type: this process's metrics, or every process's in multi-process mode."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(), CONTENT_TYPE_LATEST


class Held:
    """The pending actions this process held, until they stop waiting. Each scrape asks the store (which
    every process shares) how each one stands, so an action answered on another backend, or expired, leaves
    the count; each action is counted by the one process that held it, so the sum over backends is the
    number waiting. An action held by a process that has since stopped is counted nowhere."""

    def __init__(self) -> None:
        self._ids: dict[str, tuple[str, float]] = {}  # id -> its owner, when it expires

    def add(self, session_id: str, owner: str, expires_ts: float) -> None:
        # held in order, with one TTL: the expired come first, so the map stays small without a scrape
        now = time.time()
        while self._ids and next(iter(self._ids.values()))[1] <= now:
            self._ids.pop(next(iter(self._ids)))
        self._ids[session_id] = (owner, expires_ts)
        PENDING_WAITING.inc()

    async def count(self, status_of: Callable[[str, str], Awaitable[str | None]]) -> int:
        """Ask the store about each; those that ended (or expired, or are gone) are forgotten. An action
        being executed is kept but not counted: it may come back to waiting (nothing was sent)."""
        now, waiting = time.time(), 0
        for session_id, (owner, expires_ts) in list(self._ids.items()):
            status = await status_of(session_id, owner) if expires_ts > now else None
            if status not in ("awaiting_confirmation", "executing"):
                self._ids.pop(session_id, None)
            waiting += status == "awaiting_confirmation"
        PENDING_WAITING.set(waiting)
        return waiting
