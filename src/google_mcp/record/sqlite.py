"""The record in an embedded SQLite file (the default: a desktop install keeps a record with no server).

One row per entry. Entries are written in batches by the journal's writer (record/writer.py): one
transaction per batch (WAL, a busy timeout), so several processes can append to one conversation. Entries
older than the retention are deleted at start and then once an hour, and never read back meanwhile.

Sync levels (WAL mode): an ordinary batch commits with `synchronous=NORMAL`: the commit is in the WAL file,
so it survives the process being killed, but not a power loss or an OS crash before the next checkpoint.
A batch that carries a durable entry (the gate's write-ahead `approved`) commits with `synchronous=FULL`:
the WAL is fsynced before the commit returns, so that entry, and every batch before it, survives a power
loss too.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio.to_thread

from google_mcp.record.base import Kind, RecordUnavailable
from google_mcp.record.writer import BatchWriter, Pending, Redact

SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    session_id TEXT PRIMARY KEY, user_id TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS entries (
    id INTEGER PRIMARY KEY AUTOINCREMENT, session_id TEXT NOT NULL, user_id TEXT NOT NULL, kind TEXT NOT NULL,
    timestamp TEXT NOT NULL, action TEXT, status TEXT, body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS entries_by_user ON entries (user_id, timestamp);
CREATE INDEX IF NOT EXISTS entries_by_session ON entries (session_id, id);
"""
PURGE_EVERY = 3600.0
_body = json.JSONEncoder(separators=(",", ":")).encode  # made once (json.dumps with options makes one per call)


class SqliteJournal:
    def __init__(self, path: Path, retention_days: int, redact: Redact) -> None:
        self.path, self.retention = path, timedelta(days=retention_days)
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self._purged = 0.0
        self._writer = BatchWriter("sqlite", self._write_batch, redact)

    def _connect(self) -> sqlite3.Connection:
        if self._db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fresh = not self.path.exists()
            db = sqlite3.connect(self.path, timeout=10, check_same_thread=False, isolation_level=None)
            if fresh:
                os.chmod(self.path, 0o600)  # what was done on the person's behalf is theirs alone
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")  # FULL only for a batch with a durable entry (see above)
            db.execute("PRAGMA busy_timeout=10000")
            db.executescript(SCHEMA)
            self._db = db
        return self._db

    def _cutoff(self) -> str:
        return (datetime.now(UTC) - self.retention).isoformat(timespec="microseconds")

    def _run(self, fn: Any, *args: Any) -> Any:
        with self._lock:
            try:
                db = self._connect()
                if time.monotonic() - self._purged > PURGE_EVERY or not self._purged:
                    self._purged = time.monotonic()
                    db.execute("DELETE FROM entries WHERE timestamp < ?", (self._cutoff(),))
                    db.execute(
                        "DELETE FROM conversations WHERE NOT EXISTS "
                        "(SELECT 1 FROM entries e WHERE e.session_id = conversations.session_id)"
                    )
                return fn(db, *args)
            except (sqlite3.Error, OSError) as exc:
                raise RecordUnavailable(f"The activity record ({self.path}) could not be written: {exc}.") from None

    async def append(
        self, conversation: str, user: str, entry: dict[str, Any], kind: Kind = "action", *, durable: bool = False
    ) -> None:
        await self._writer.append(conversation, user, entry, kind, durable)

    def _write_batch(self, batch: list[Pending], durable: bool) -> None:
        heads: dict[str, tuple[str, str, str]] = {}  # conversation -> user, first and last stamp
        for p in batch:
            stamp = p.entry["timestamp"]
            first = heads[p.conversation][1] if p.conversation in heads else stamp
            heads[p.conversation] = (p.user, first, stamp)
        rows = [
            (
                p.conversation,
                p.user,
                p.kind,
                p.entry["timestamp"],
                p.entry.get("action"),
                p.entry.get("status"),
                _body(p.entry),
            )
            for p in batch
        ]

        def write(db: sqlite3.Connection) -> None:
            if durable:
                db.execute("PRAGMA synchronous=FULL")
            try:
                db.execute("BEGIN IMMEDIATE")
                try:
                    db.executemany(
                        "INSERT INTO conversations VALUES (?, ?, ?, ?) "
                        "ON CONFLICT(session_id) DO UPDATE SET updated_at = max(updated_at, excluded.updated_at)",
                        [(c, u, first, last) for c, (u, first, last) in heads.items()],
                    )
                    db.executemany(
                        "INSERT INTO entries (session_id, user_id, kind, timestamp, action, status, body) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?)",
                        rows,
                    )
                    db.execute("COMMIT")
                except BaseException:
                    if db.in_transaction:
                        db.execute("ROLLBACK")
                    raise
            finally:
                if durable:
                    db.execute("PRAGMA synchronous=NORMAL")

        self._run(write)

    async def actions(
        self,
        user: str,
        *,
        tool: str | None = None,
        status: str | None = None,
        since: str | None = None,
        conversation: str | None = None,
        limit: int = 50,
    ) -> list[dict[str, Any]]:
        await self._writer.flush()

        def read(db: sqlite3.Connection) -> list[dict[str, Any]]:
            sql = "SELECT session_id, body FROM entries WHERE user_id = ? AND kind = 'action' AND timestamp >= ?"
            args: list[Any] = [user, max(since or "", self._cutoff())]
            for column, value in (("action", tool), ("status", status), ("session_id", conversation)):
                if value:
                    sql += f" AND {column} = ?"
                    args.append(value)
            rows = db.execute(sql + " ORDER BY timestamp DESC, id DESC LIMIT ?", (*args, limit)).fetchall()
            return [{**json.loads(body), "conversation": session} for session, body in rows]

        result: list[dict[str, Any]] = await anyio.to_thread.run_sync(self._run, read)
        return result

    async def conversation(self, conversation_id: str, user: str) -> dict[str, Any] | None:
        await self._writer.flush()

        def read(db: sqlite3.Connection) -> dict[str, Any] | None:
            head = db.execute(
                "SELECT session_id, user_id, created_at, updated_at FROM conversations WHERE session_id = ? "
                "AND user_id = ?",
                (conversation_id, user),
            ).fetchone()
            if head is None:
                return None
            rows = db.execute(
                "SELECT kind, body FROM entries WHERE session_id = ? AND timestamp >= ? ORDER BY id",
                (conversation_id, self._cutoff()),
            ).fetchall()
            return {
                "session_id": head[0],
                "user_id": head[1],
                "messages": [json.loads(b) for k, b in rows if k == "message"],
                "tool_actions": [json.loads(b) for k, b in rows if k == "action"],
                "created_at": head[2],
                "updated_at": head[3],
            }

        found: dict[str, Any] | None = await anyio.to_thread.run_sync(self._run, read)
        return found

    async def health(self) -> dict[str, Any]:
        def count(db: sqlite3.Connection) -> int:
            return int(db.execute("SELECT count(*) FROM entries").fetchone()[0])

        await self._writer.flush()
        waiting = {"entries_not_recorded": self._writer.not_recorded}
        try:
            entries = await anyio.to_thread.run_sync(self._run, count)
        except RecordUnavailable as exc:
            return {"backend": "sqlite", "ok": False, "error": str(exc), **waiting}
        return {"backend": "sqlite", "ok": True, "path": str(self.path), "entries": entries, **waiting}

    async def close(self) -> None:
        await self._writer.close()  # everything queued is written (or, if the file refuses, counted)
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
