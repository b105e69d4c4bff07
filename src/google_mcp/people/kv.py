"""A small key-value store with expiry for the sign-in state: registered clients, codes, tokens (by hash)
and people's encrypted Google grants. In Redis when the server has one (every process sees the same),
else in an embedded SQLite file (mode 0600), so a restart signs nobody out."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, Protocol

from google_mcp.redisconn import redis_client

PREFIX = "google_mcp:people:"
PURGE_EVERY = 3600.0


class KV(Protocol):
    async def get(self, key: str) -> dict[str, Any] | None: ...
    async def put(self, key: str, value: dict[str, Any], ttl: float | None = None) -> None: ...
    async def take(self, key: str) -> dict[str, Any] | None: ...  # get and delete, at most once
    async def delete(self, key: str) -> None: ...
    async def close(self) -> None: ...


class RedisKV:
    def __init__(self, url: str) -> None:
        self.redis = redis_client(url)

    async def get(self, key: str) -> dict[str, Any] | None:
        raw = await self.redis.get(PREFIX + key)
        return None if raw is None else dict(json.loads(raw))

    async def put(self, key: str, value: dict[str, Any], ttl: float | None = None) -> None:
        await self.redis.set(PREFIX + key, json.dumps(value), px=int(ttl * 1000) if ttl else None)

    async def take(self, key: str) -> dict[str, Any] | None:
        raw = await self.redis.getdel(PREFIX + key)
        return None if raw is None else dict(json.loads(raw))

    async def delete(self, key: str) -> None:
        await self.redis.delete(PREFIX + key)

    async def close(self) -> None:
        await self.redis.aclose()


class SqliteKV:
    """One table; each call a short transaction (local, sub-millisecond: run inline)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self._purged = 0.0

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fresh = not self.path.exists()
            db = sqlite3.connect(self.path, timeout=10, check_same_thread=False, isolation_level=None)
            if fresh:
                os.chmod(self.path, 0o600)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("CREATE TABLE IF NOT EXISTS kv (k TEXT PRIMARY KEY, v TEXT NOT NULL, expires REAL)")
            self._db = db
        return self._db

    def _get(self, db: sqlite3.Connection, key: str) -> dict[str, Any] | None:
        row = db.execute("SELECT v, expires FROM kv WHERE k = ?", (key,)).fetchone()
        if row is None or (row[1] is not None and row[1] < time.time()):
            return None
        return dict(json.loads(row[0]))

    async def get(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            return self._get(self._conn(), key)

    async def put(self, key: str, value: dict[str, Any], ttl: float | None = None) -> None:
        with self._lock:
            now = time.time()
            db = self._conn()
            db.execute(
                "INSERT OR REPLACE INTO kv VALUES (?, ?, ?)", (key, json.dumps(value), now + ttl if ttl else None)
            )
            if now - self._purged > PURGE_EVERY:  # spent codes and tokens go (they are never read back)
                self._purged = now
                db.execute("DELETE FROM kv WHERE expires IS NOT NULL AND expires < ?", (now,))

    async def take(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            db = self._conn()
            db.execute("BEGIN IMMEDIATE")
            try:
                found = self._get(db, key)
                db.execute("DELETE FROM kv WHERE k = ?", (key,))
            finally:
                db.execute("COMMIT")
            return found

    async def delete(self, key: str) -> None:
        with self._lock:
            self._conn().execute("DELETE FROM kv WHERE k = ?", (key,))

    async def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.execute("DELETE FROM kv WHERE expires IS NOT NULL AND expires < ?", (time.time(),))
                self._db.close()
                self._db = None
