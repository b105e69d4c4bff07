"""The schedule in a SQLite file on one machine (a desktop, no Redis): it outlives the process, so an action
approved before a restart still goes (or comes back to the person, past the grace period).

Each step is one `BEGIN IMMEDIATE` transaction: two processes on one file (a second client started by
the desktop app) claim as they would through Redis.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

import anyio

from google_mcp.schedule import Scheduled, State, as_state

_TABLE = """
CREATE TABLE IF NOT EXISTS schedule (
  owner TEXT NOT NULL, id TEXT NOT NULL, due REAL NOT NULL, state TEXT NOT NULL,
  token INTEGER NOT NULL DEFAULT 0, lease REAL NOT NULL DEFAULT 0, body TEXT NOT NULL,
  result TEXT, error TEXT, ran_at REAL, PRIMARY KEY (owner, id))
"""
_INDEX = "CREATE INDEX IF NOT EXISTS schedule_due ON schedule (state, due)"
_COLUMNS = "owner, id, due, state, token, lease, body, result, error, ran_at"
_SELECT = "SELECT owner, id, due, state, token, lease, body, result, error, ran_at FROM schedule WHERE owner=? AND id=?"
_INTERRUPTED = "The server sending it stopped before it could record the outcome: it may or may not have gone."


class LocalSchedule:
    """Opened on first use, and again after `close` (a server's lifespan may be entered again)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    @property
    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(self._path), isolation_level=None, check_same_thread=False, timeout=10)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(_TABLE)
            conn.execute(_INDEX)
            self._conn = conn
        return self._conn

    def _tx(self, fn: Any, *args: Any) -> Any:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                out = fn(*args)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            return out

    async def _run(self, fn: Any, *args: Any) -> Any:
        return await anyio.to_thread.run_sync(self._tx, fn, *args)

    def _row(self, owner: str, item_id: str) -> Scheduled | None:
        cur = self._db.execute(_SELECT, (owner, item_id))
        found = cur.fetchone()
        if found is None:
            return None
        row = dict(zip(_COLUMNS.split(", "), found, strict=True))
        return Scheduled.load({k: "" if v is None else str(v) for k, v in row.items()})

    async def add(self, item: Scheduled) -> None:
        def add() -> None:
            self._db.execute(
                "INSERT INTO schedule (owner, id, due, state, body) VALUES (?, ?, ?, ?, ?)",
                (item.owner, item.id, item.due, item.state, item.body()),
            )

        await self._run(add)

    async def get(self, owner: str, item_id: str) -> Scheduled | None:
        found: Scheduled | None = await self._run(self._row, owner, item_id)
        return found

    async def due(self, now: float, limit: int) -> list[tuple[str, str]]:
        def due() -> list[tuple[str, str]]:
            cur = self._db.execute(
                "SELECT owner, id FROM schedule WHERE (state='scheduled' AND due<=?) "
                "OR (state IN ('claimed', 'sending') AND lease<=?) ORDER BY due LIMIT ?",
                (now, now, limit),
            )
            return [(str(o), str(i)) for o, i in cur.fetchall()]

        found: list[tuple[str, str]] = await self._run(due)
        return found

    async def claim(self, owner: str, item_id: str, now: float, lease: float) -> tuple[int, Scheduled | None]:
        def claim() -> tuple[int, Scheduled | None]:
            row = self._row(owner, item_id)
            if row is None:
                return 0, None
            if (row.state == "scheduled" and row.due <= now) or (row.state == "claimed" and row.lease <= now):
                self._db.execute(
                    "UPDATE schedule SET state='claimed', token=token+1, lease=? WHERE owner=? AND id=?",
                    (now + lease, owner, item_id),
                )
                return row.token + 1, self._row(owner, item_id)
            if row.state == "sending" and row.lease <= now:
                self._db.execute(
                    "UPDATE schedule SET state='unknown', error=? WHERE owner=? AND id=?",
                    (_INTERRUPTED, owner, item_id),
                )
                return -1, self._row(owner, item_id)
            return 0, None

        found: tuple[int, Scheduled | None] = await self._run(claim)
        return found

    async def _move(self, sql: str, args: tuple[Any, ...], owner: str, item_id: str, token: int, *allowed: str) -> bool:
        def move() -> bool:
            row = self._row(owner, item_id)
            if row is None or row.state not in allowed or row.token != token:
                return False
            self._db.execute(sql + " WHERE owner=? AND id=?", (*args, owner, item_id))
            return True

        ok: bool = await self._run(move)
        return ok

    async def sending(self, owner: str, item_id: str, token: int, now: float, lease: float) -> bool:
        sql = "UPDATE schedule SET state='sending', lease=?, ran_at=?"
        return await self._move(sql, (now + lease, now), owner, item_id, token, "claimed")

    async def renew(self, owner: str, item_id: str, token: int, now: float, lease: float) -> bool:
        sql = "UPDATE schedule SET lease=?"
        return await self._move(sql, (now + lease,), owner, item_id, token, "claimed", "sending")

    async def release(self, owner: str, item_id: str, token: int) -> bool:
        sql = "UPDATE schedule SET state='scheduled', lease=0"
        return await self._move(sql, (), owner, item_id, token, "claimed")

    async def finish(
        self, owner: str, item_id: str, token: int, state: State, result: dict[str, Any] | None, error: str | None
    ) -> bool:
        sql = "UPDATE schedule SET state=?, result=?, error=?"
        args = (state, json.dumps(result), error or "")
        return await self._move(sql, args, owner, item_id, token, "claimed", "sending")

    async def cancel(self, owner: str, item_id: str) -> State | None:
        def cancel() -> State | None:
            row = self._row(owner, item_id)
            if row is None:
                return None
            if row.state not in ("scheduled", "claimed"):
                return row.state
            self._db.execute("UPDATE schedule SET state='cancelled' WHERE owner=? AND id=?", (owner, item_id))
            return "cancelled"

        found: State | None = await self._run(cancel)
        return as_state(found) if found else None

    async def listed(self, owner: str) -> list[Scheduled]:
        def listed() -> list[Scheduled]:
            cur = self._db.execute(
                "SELECT id FROM schedule WHERE owner=? AND state IN ('scheduled', 'claimed') ORDER BY due", (owner,)
            )
            return [r for (i,) in cur.fetchall() if (r := self._row(owner, str(i))) is not None]

        found: list[Scheduled] = await self._run(listed)
        return found

    async def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
