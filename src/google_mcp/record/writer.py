"""One writer per journal: entries are queued on the caller's path (the clock read, a lock and a list
append: no I/O, no thread hop, no copy) and written in batches by one background thread, so that a call
pays almost nothing for its entry and the store pays one transaction (SQLite) or one bulk write (MongoDB)
per batch, not per entry. What an entry needs before it is stored is done by the writer too, just before
the batch is written: redaction (the store's `redact`, record/redact.py: nothing reaches a store
unredacted) and the time stamp's text (from the clock read on the caller's path). An entry handed over
therefore belongs to the record: the caller does not change it, or what it holds, afterwards.

When an entry is written:
- an ordinary entry within WINDOW seconds, or sooner when BATCH entries are waiting;
- a durable entry (the gate's write-ahead `approved` entry) at once, with everything queued before it, and
  its `append` returns only once the store has committed it; if it cannot be written, `append` raises
  RecordUnavailable (so the write does not run) and the entry is never written later;
- a read of the record (its entries, a conversation, its health) first writes everything queued, so a call
  and then `activity_log` shows the call;
- close writes everything queued.

What a failure costs: a batch the store refuses is kept, in order, and tried again (every RETRY seconds,
or at once when a durable entry, a read or close asks), up to KEEP entries; past KEEP, or at close while
the store is still away, the oldest are dropped, logged and counted (`entries_not_recorded` in /health).
What a kill -9 can lose: the ordinary entries not yet committed, i.e. those of the last WINDOW (at most
50 ms, or BATCH entries), plus those waiting behind a batch the store is slow to take. Durable entries are
never among them.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import anyio.to_thread

from google_mcp.record.base import Kind, RecordUnavailable

log = logging.getLogger("google_mcp.record")

WINDOW = 0.05  # seconds an ordinary entry may wait before its batch is written
BATCH = 100  # entries that start a batch before the window ends
RETRY = 1.0  # seconds between attempts while the store refuses a batch
KEEP = 10_000  # entries kept for a retry while the store is away; past it the oldest are dropped


@dataclass(slots=True)
class Pending:
    seq: int
    conversation: str
    user: str
    kind: Kind
    entry: dict[str, Any]  # as handed over until the writer prepares it, then as the store keeps it
    durable: bool
    at: float  # when it was handed over (time.time()): its time stamp unless it brings one
    ready: bool = False  # redacted and stamped


def stamp(at: float) -> str:
    """The record's time stamp (the text of base.now_iso) of a time.time() reading."""
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="microseconds")


class Unwritten(Exception):
    """A batch, or part of it, was not written: `entries` were not (the rest were)."""

    def __init__(self, message: str, entries: list[Pending]) -> None:
        super().__init__(message)
        self.entries = entries


# Writes one batch; `durable` when it carries a durable entry (the store then commits to stable storage).
# Raises Unwritten for what it could not write (any other exception means: nothing was written).
WriteBatch = Callable[[list[Pending], bool], None]
# An entry as the store may keep it (record/redact.py): a new dict, the one handed over left as it was.
Redact = Callable[[dict[str, Any]], dict[str, Any]]


class BatchWriter:
    def __init__(self, name: str, write: WriteBatch, redact: Redact) -> None:
        self._name, self._write, self._redact = name, write, redact
        self._cond = threading.Condition()
        self._queue: deque[Pending] = deque()  # entries kept for a retry come first, in their order
        self._seq = 0  # the last entry's number
        self._requested = 0  # flush tickets handed out: a waiter wants a batch taken after its ticket
        self._taken = 0  # the ticket count when the batch being (or last) written was taken
        self._completed = 0  # tickets whose batch is written (or failed)
        self._in_flight = False
        self._retrying = False
        self._stop = False
        self._failed: dict[int, str] = {}  # durable entries whose batch failed: number -> why
        self._thread: threading.Thread | None = None
        self.dropped = 0  # entries that will never be written
        self.last_error: str | None = None

    @property
    def not_recorded(self) -> int:
        """Entries dropped, plus those the store refused and that wait for a retry."""
        with self._cond:
            return self.dropped + (len(self._queue) if self._retrying else 0)

    def put(self, conversation: str, user: str, entry: dict[str, Any], kind: Kind, durable: bool) -> tuple[int, int]:
        """Queue an entry: its number and, for a durable one, a flush ticket (else 0)."""
        at = time.time()
        with self._cond:
            self._seq += 1
            self._queue.append(Pending(self._seq, conversation, user, kind, entry, durable, at))
            if len(self._queue) > KEEP:
                self._trim()
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name=f"google-mcp-record-{self._name}", daemon=True)
                self._thread.start()
            ticket = 0
            if durable:
                self._requested += 1
                ticket = self._requested
            # wake the writer only when its state changes: the first entry starts the window, a full batch
            # or a durable entry ends it; every other entry just waits for the window
            if durable or len(self._queue) == 1 or len(self._queue) >= BATCH:
                self._cond.notify_all()
            return self._seq, ticket

    async def append(self, conversation: str, user: str, entry: dict[str, Any], kind: Kind, durable: bool) -> None:
        seq, ticket = self.put(conversation, user, entry, kind, durable)
        if not durable:
            return
        await anyio.to_thread.run_sync(self._wait, ticket)
        with self._cond:
            why = self._failed.pop(seq, None)
        if why is not None:
            raise RecordUnavailable(why)

    async def flush(self) -> None:
        """Write everything queued; a failure is logged and counted, never raised (a read goes on)."""
        ticket = self._ticket()
        if ticket:
            await anyio.to_thread.run_sync(self._wait, ticket)

    def _ticket(self) -> int:
        with self._cond:
            if not self._queue and not self._in_flight:
                return 0
            self._requested += 1
            self._cond.notify_all()
            return self._requested

    def _wait(self, ticket: int) -> None:
        with self._cond:
            while self._completed < ticket:
                if self._thread is None or not self._thread.is_alive():
                    raise RecordUnavailable("The activity record's writer has stopped; restart the server.")
                self._cond.wait(1.0)  # woken by the writer; the timeout only notices a writer that died

    async def close(self) -> None:
        await anyio.to_thread.run_sync(self._close)

    def _close(self) -> None:
        with self._cond:
            thread, self._stop = self._thread, True
            self._cond.notify_all()
        if thread is not None:
            thread.join()
        with self._cond:
            self._thread, self._stop = None, False

    def _trim(self) -> None:
        while len(self._queue) > KEEP:
            oldest = self._queue.popleft()
            self._lost([oldest], "too many entries waiting for the record")

    def _lost(self, entries: list[Pending], why: str) -> None:
        for pending in entries:
            if pending.durable:
                self._failed[pending.seq] = why
            else:
                self.dropped += 1
        if entries:
            log.warning("record: %d entries not recorded: %s", len(entries), why)

    def _urgent(self) -> bool:
        return self._stop or self._requested > self._taken or len(self._queue) >= BATCH

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._urgent():
                    self._cond.wait()
                if not self._queue and self._stop:
                    self._completed = self._requested
                    self._cond.notify_all()
                    return
                deadline = time.monotonic() + (RETRY if self._retrying else WINDOW)
                while not self._urgent() and (left := deadline - time.monotonic()) > 0:
                    self._cond.wait(left)
                batch = list(self._queue)
                self._queue.clear()
                self._taken, self._in_flight, stopping = self._requested, True, self._stop
            try:
                failure = self._attempt(batch)
            except BaseException:  # the writer's own bug: say so to every waiter rather than hang them
                log.exception("record: the writer stopped")
                with self._cond:
                    self._lost(batch, "the record's writer stopped")
                    self._completed = self._requested
                    self._cond.notify_all()
                raise
            self._complete(batch, failure, stopping)

    def _prepare(self, batch: list[Pending]) -> list[Pending]:
        """Redact and stamp the entries not yet prepared (a batch kept for a retry was); an entry that
        redaction fails on is never stored as it is: it is lost (a durable one: its write does not run)."""
        ready: list[Pending] = []
        for p in batch:
            if not p.ready:
                try:
                    entry = self._redact(p.entry)
                    entry["timestamp"] = entry.get("timestamp") or stamp(p.at)
                except Exception:
                    log.exception("record: an entry could not be redacted")
                    with self._cond:
                        self._lost([p], "the entry could not be redacted")
                    continue
                p.entry, p.ready = entry, True
            ready.append(p)
        return ready

    def _attempt(self, batch: list[Pending]) -> tuple[str, list[Pending]] | None:
        batch = self._prepare(batch)
        if not batch:
            return None
        try:
            self._write(batch, any(p.durable for p in batch))
        except Unwritten as exc:
            return str(exc), sorted(exc.entries, key=lambda p: p.seq)
        except Exception as exc:  # the store's own errors, whatever the backend: nothing was written
            return str(exc) or type(exc).__name__, batch
        return None

    def _complete(self, batch: list[Pending], failure: tuple[str, list[Pending]] | None, stopping: bool) -> None:
        with self._cond:
            self._in_flight = False
            self._retrying = False
            if failure is not None:
                why, unwritten = failure
                self.last_error = why
                # a durable entry that failed is never written later: its write did not run
                self._lost([p for p in unwritten if p.durable], why)
                kept = [p for p in unwritten if not p.durable]
                if stopping:
                    self._lost(kept, f"closed while the store was away: {why}")
                else:
                    log.warning("record: a batch of %d entries failed, kept for a retry: %s", len(kept), why)
                    self._queue.extendleft(reversed(kept))
                    self._retrying = bool(kept)
                    self._trim()
            elif batch:
                self.last_error = None
            self._completed = self._taken
            self._cond.notify_all()
