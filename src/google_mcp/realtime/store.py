"""Where real time keeps its state: the watches (ids, channel tokens, expiry), Gmail's last history id,
each calendar's sync token, the log of recent changes and each reader's place in it.

In Redis when the server has one (every process of a deployment sees the same watches, so a push for a
watch one process opened can land on another), in process otherwise. Values that several processes
race to move (the history id, a sync token) only move by compare-and-set: whoever moves one publishes
the changes it read, so each change is published once.
"""

from __future__ import annotations

import json
import time
from typing import Any, Protocol

from google_mcp.redisconn import redis_client, tag

PREFIX = "google_mcp:rt:"
MESSAGE_NUMBER = "msgno:"  # + a calendar channel id: the highest message number it has delivered
LOG_SIZE = 500  # changes kept per log

# set KEYS[1] to ARGV[1] if it is greater (as a number) than what is there; 1 if it moved
_ADVANCE = """
local cur = redis.call('GET', KEYS[1])
if (not cur) or tonumber(ARGV[1]) > tonumber(cur) then
  redis.call('SET', KEYS[1], ARGV[1])
  return 1
end
return 0
"""
# set KEYS[1] to ARGV[2] if it holds ARGV[1] ('' for absent); 1 if it moved
_SWAP = """
local cur = redis.call('GET', KEYS[1]) or ''
if cur == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2])
  return 1
end
return 0
"""
_UNLOCK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
# append ARGV[2..] (JSON entries) to the log KEYS[1] with sequence numbers from KEYS[2]; keep the
# newest ARGV[1]. Both keys carry the log's hash tag: on a Redis Cluster they are in one slot.
_APPEND = """
local last = 0
for i = 2, #ARGV do
  last = redis.call('INCR', KEYS[2])
  redis.call('RPUSH', KEYS[1], last .. ' ' .. ARGV[i])
end
redis.call('LTRIM', KEYS[1], -tonumber(ARGV[1]), -1)
return last
"""


class Store(Protocol):
    async def get(self, key: str) -> Any: ...
    async def put(self, key: str, value: Any) -> None: ...
    async def delete(self, key: str) -> None: ...
    async def keys(self, prefix: str) -> list[str]: ...
    async def advance(self, key: str, value: int) -> bool: ...
    async def swap(self, key: str, old: str | None, new: str) -> bool: ...
    async def lock(self, key: str, owner: str, seconds: float) -> bool: ...
    async def unlock(self, key: str, owner: str) -> None: ...
    async def mark(self, key: str) -> None: ...
    async def take(self, key: str) -> bool: ...
    async def append(self, log: str, entries: list[dict[str, Any]]) -> int: ...
    async def since(self, log: str, seq: int) -> tuple[list[dict[str, Any]], int]: ...
    async def close(self) -> None: ...


class MemoryStore:
    """One process's real-time state."""

    def __init__(self) -> None:
        self._values: dict[str, Any] = {}
        self._locks: dict[str, tuple[str, float]] = {}
        self._marks: set[str] = set()
        self._logs: dict[str, list[tuple[int, dict[str, Any]]]] = {}
        self._seq: dict[str, int] = {}

    async def get(self, key: str) -> Any:
        return self._values.get(key)

    async def put(self, key: str, value: Any) -> None:
        self._values[key] = json.loads(json.dumps(value))

    async def delete(self, key: str) -> None:
        self._values.pop(key, None)

    async def keys(self, prefix: str) -> list[str]:
        return sorted(k for k in self._values if k.startswith(prefix))

    async def advance(self, key: str, value: int) -> bool:
        cur = self._values.get(key)
        if cur is None or value > int(cur):
            self._values[key] = str(value)
            return True
        return False

    async def swap(self, key: str, old: str | None, new: str) -> bool:
        if (self._values.get(key) or "") == (old or ""):
            self._values[key] = new
            return True
        return False

    async def lock(self, key: str, owner: str, seconds: float) -> bool:
        held = self._locks.get(key)
        if held is not None and held[1] > time.monotonic():
            return False
        self._locks[key] = (owner, time.monotonic() + seconds)
        return True

    async def unlock(self, key: str, owner: str) -> None:
        if self._locks.get(key, ("", 0.0))[0] == owner:
            del self._locks[key]

    async def mark(self, key: str) -> None:
        self._marks.add(key)

    async def take(self, key: str) -> bool:
        if key in self._marks:
            self._marks.discard(key)
            return True
        return False

    async def append(self, log: str, entries: list[dict[str, Any]]) -> int:
        kept = self._logs.setdefault(log, [])
        for entry in entries:
            self._seq[log] = self._seq.get(log, 0) + 1
            kept.append((self._seq[log], entry))
        del kept[:-LOG_SIZE]
        return self._seq.get(log, 0)

    async def since(self, log: str, seq: int) -> tuple[list[dict[str, Any]], int]:
        return [e for n, e in self._logs.get(log, []) if n > seq], self._seq.get(log, 0)

    async def close(self) -> None:
        return None


class RedisStore:
    """The deployment's real-time state, shared by every process on the same Redis."""

    def __init__(self, url: str) -> None:
        self.redis = redis_client(url)
        self._advance = self.redis.register_script(_ADVANCE)
        self._swap = self.redis.register_script(_SWAP)
        self._unlock = self.redis.register_script(_UNLOCK)
        self._append = self.redis.register_script(_APPEND)

    async def get(self, key: str) -> Any:
        raw = await self.redis.get(PREFIX + key)
        return None if raw is None else json.loads(raw) if raw[:1] in "{[" else raw

    async def put(self, key: str, value: Any) -> None:
        await self.redis.set(PREFIX + key, value if isinstance(value, str) else json.dumps(value))

    async def delete(self, key: str) -> None:
        await self.redis.delete(PREFIX + key)

    async def keys(self, prefix: str) -> list[str]:
        found = [k[len(PREFIX) :] async for k in self.redis.scan_iter(match=PREFIX + prefix + "*", count=500)]
        return sorted(found)

    async def advance(self, key: str, value: int) -> bool:
        return bool(await self._advance(keys=[PREFIX + key], args=[str(value)]))

    async def swap(self, key: str, old: str | None, new: str) -> bool:
        return bool(await self._swap(keys=[PREFIX + key], args=[old or "", new]))

    async def lock(self, key: str, owner: str, seconds: float) -> bool:
        return bool(await self.redis.set(PREFIX + "lock:" + key, owner, nx=True, px=int(seconds * 1000)))

    async def unlock(self, key: str, owner: str) -> None:
        await self._unlock(keys=[PREFIX + "lock:" + key], args=[owner])

    async def mark(self, key: str) -> None:
        await self.redis.set(PREFIX + "dirty:" + key, "1", ex=300)

    async def take(self, key: str) -> bool:
        return bool(await self.redis.delete(PREFIX + "dirty:" + key))

    async def append(self, log: str, entries: list[dict[str, Any]]) -> int:
        keys = [PREFIX + "log:" + tag(log), PREFIX + "seq:" + tag(log)]
        return int(await self._append(keys=keys, args=[LOG_SIZE, *(json.dumps(e) for e in entries)]))

    async def since(self, log: str, seq: int) -> tuple[list[dict[str, Any]], int]:
        async with self.redis.pipeline(transaction=True) as pipe:  # one slot: the log and its number agree
            pipe.lrange(PREFIX + "log:" + tag(log), 0, -1)
            pipe.get(PREFIX + "seq:" + tag(log))
            rows, got = await pipe.execute()
        last = int(got or 0)
        out = []
        for row in rows:
            n, _, body = row.partition(" ")
            if int(n) > seq:
                out.append(json.loads(body))
        return out, last

    async def close(self) -> None:
        await self.redis.aclose()


def open_store(redis_url: str | None) -> Store:
    return RedisStore(redis_url) if redis_url else MemoryStore()
