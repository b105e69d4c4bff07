"""The schedule in Redis: shared by every process, sorted by due time.

An action is a hash `google_mcp:sched:{owner}:ID` and a member of its owner's index (a sorted set by due
time, same hash tag): every step on it is one Lua script over keys of one slot, so it runs on a Redis
Cluster. What is due is found through `SHARDS` sorted sets (`google_mcp:due:{dN}`, member "owner ID",
score the due time, or the lease's end once claimed); those are hints, the hash is the truth: a step
that finds the hash in another state does nothing.
"""

from __future__ import annotations

import json
import zlib
from typing import Any

from google_mcp.pending import StoreUnavailable
from google_mcp.redisconn import redis_client, tag, unavailable
from google_mcp.schedule import KEEP, Scheduled, State, as_state

SHARDS = 8
SEP = " "  # between owner and id in a due index's member (an id never holds a space)

# KEYS[1] the action, KEYS[2] its owner's index; ARGV: id, due, then the hash's fields
_ADD = """
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
return 1
"""

# KEYS[1] the action; ARGV: now, lease. Returns the new token (or -1: lapsed mid-send) and the action's fields;
# or 0 (not claimable) and its state.
_CLAIM = """
local f = redis.call('HMGET', KEYS[1], 'state', 'due', 'lease')
local state, due, lease, now = f[1], tonumber(f[2]), tonumber(f[3] or '0'), tonumber(ARGV[1])
if not state then return {0, ''} end
if (state == 'scheduled' and due <= now) or (state == 'claimed' and lease <= now) then
  local token = redis.call('HINCRBY', KEYS[1], 'token', 1)
  redis.call('HSET', KEYS[1], 'state', 'claimed', 'lease', tostring(now + tonumber(ARGV[2])))
  return {token, redis.call('HGETALL', KEYS[1])}
end
if state == 'sending' and lease <= now then
  redis.call('HSET', KEYS[1], 'state', 'unknown',
    'error', 'The server sending it stopped before it could record the outcome: it may or may not have gone.')
  return {-1, redis.call('HGETALL', KEYS[1])}
end
return {0, state}
"""

# KEYS[1] the action; ARGV: token, now, lease. The fence: only the current token's holder starts the send.
_SENDING = """
local f = redis.call('HMGET', KEYS[1], 'state', 'token')
if f[1] ~= 'claimed' or f[2] ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'state', 'sending', 'lease', tostring(tonumber(ARGV[2]) + tonumber(ARGV[3])),
  'ran_at', ARGV[2])
return 1
"""

# KEYS[1] the action; ARGV: token, now, lease
_RENEW = """
local f = redis.call('HMGET', KEYS[1], 'state', 'token')
if (f[1] ~= 'claimed' and f[1] ~= 'sending') or f[2] ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'lease', tostring(tonumber(ARGV[2]) + tonumber(ARGV[3])))
return 1
"""

# KEYS[1] the action; ARGV: token. A claim not yet sending goes back to waiting; returns its due time.
_RELEASE = """
local f = redis.call('HMGET', KEYS[1], 'state', 'token', 'due')
if f[1] ~= 'claimed' or f[2] ~= ARGV[1] then return '' end
redis.call('HSET', KEYS[1], 'state', 'scheduled', 'lease', '0')
return f[3]
"""

# KEYS[1] the action, KEYS[2] its owner's index; ARGV: token, state, result, error, keep, id
_FINISH = """
local f = redis.call('HMGET', KEYS[1], 'state', 'token')
if (f[1] ~= 'claimed' and f[1] ~= 'sending') or f[2] ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'state', ARGV[2], 'result', ARGV[3], 'error', ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[5])
redis.call('ZREM', KEYS[2], ARGV[6])
return 1
"""

# KEYS[1] the action, KEYS[2] its owner's index; ARGV: keep, id
_CANCEL = """
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return '' end
if state ~= 'scheduled' and state ~= 'claimed' then return state end
redis.call('HSET', KEYS[1], 'state', 'cancelled')
redis.call('EXPIRE', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[2])
return 'cancelled'
"""


def item_key(owner: str, item_id: str) -> str:
    return f"google_mcp:sched:{tag(owner)}:{item_id}"


def owner_key(owner: str) -> str:
    return f"google_mcp:scheduled:{tag(owner)}"


def shard_key(owner: str) -> str:
    return f"google_mcp:due:{{d{zlib.crc32(owner.encode()) % SHARDS}}}"


class RedisSchedule:
    def __init__(self, url: str) -> None:
        self._redis = redis_client(url)
        self._add = self._redis.register_script(_ADD)
        self._claim = self._redis.register_script(_CLAIM)
        self._sending = self._redis.register_script(_SENDING)
        self._renew = self._redis.register_script(_RENEW)
        self._release = self._redis.register_script(_RELEASE)
        self._finish = self._redis.register_script(_FINISH)
        self._cancel = self._redis.register_script(_CANCEL)
        self.ops = 0  # Redis commands sent (a pipeline counts each command), for the bench

    async def _call(self, coro: Any, ops: int = 1) -> Any:
        self.ops += ops
        try:
            return await coro
        except unavailable() as exc:
            raise StoreUnavailable(
                f"The schedule (Redis) is unreachable ({type(exc).__name__}); nothing was done. "
                "Try again once it is back."
            ) from None

    async def add(self, item: Scheduled) -> None:
        fields = {
            "id": item.id,
            "owner": item.owner,
            "due": repr(item.due),
            "state": item.state,
            "token": "0",
            "lease": "0",
            "body": item.body(),
        }
        flat = [part for pair in fields.items() for part in pair]
        keys = [item_key(item.owner, item.id), owner_key(item.owner)]
        await self._call(self._add(keys=keys, args=[item.id, repr(item.due), *flat]))
        await self._call(self._redis.zadd(shard_key(item.owner), {f"{item.owner}{SEP}{item.id}": item.due}))

    async def get(self, owner: str, item_id: str) -> Scheduled | None:
        row = await self._call(self._redis.hgetall(item_key(owner, item_id)))
        if not row or row.get("owner") != owner:
            return None
        return Scheduled.load(row)

    async def due(self, now: float, limit: int) -> list[tuple[str, str]]:
        async def read() -> Any:  # a cluster client meets its nodes when the pipeline opens: inside _call too
            async with self._redis.pipeline(transaction=False) as pipe:
                for shard in range(SHARDS):
                    pipe.zrangebyscore(f"google_mcp:due:{{d{shard}}}", "-inf", repr(now), start=0, num=limit)
                return await pipe.execute()

        rows = await self._call(read(), SHARDS)
        found = [tuple(m.split(SEP, 1)) for members in rows for m in members]
        return [(o, i) for o, i in found][: limit * 2]

    async def claim(self, owner: str, item_id: str, now: float, lease: float) -> tuple[int, Scheduled | None]:
        found = await self._call(self._claim(keys=[item_key(owner, item_id)], args=[repr(now), repr(lease)]))
        token, rest = int(found[0]), found[1]
        member = f"{owner}{SEP}{item_id}"
        if token > 0:  # the due index shows it again only once the lease has lapsed
            await self._call(self._redis.zadd(shard_key(owner), {member: now + lease}, xx=True))
        elif token == 0 and rest not in ("scheduled", "claimed", "sending"):  # ended or cancelled (or gone)
            await self._call(self._redis.zrem(shard_key(owner), member))
        if token == 0:
            return 0, None
        return token, Scheduled.load(dict(zip(rest[::2], rest[1::2], strict=True)))

    async def sending(self, owner: str, item_id: str, token: int, now: float, lease: float) -> bool:
        keys = [item_key(owner, item_id)]
        return bool(await self._call(self._sending(keys=keys, args=[token, repr(now), repr(lease)])))

    async def renew(self, owner: str, item_id: str, token: int, now: float, lease: float) -> bool:
        keys = [item_key(owner, item_id)]
        ok = bool(await self._call(self._renew(keys=keys, args=[token, repr(now), repr(lease)])))
        if ok:
            member = f"{owner}{SEP}{item_id}"
            await self._call(self._redis.zadd(shard_key(owner), {member: now + lease}, xx=True))
        return ok

    async def release(self, owner: str, item_id: str, token: int) -> bool:
        due = str(await self._call(self._release(keys=[item_key(owner, item_id)], args=[token])))
        if due:
            await self._call(self._redis.zadd(shard_key(owner), {f"{owner}{SEP}{item_id}": float(due)}, xx=True))
        return bool(due)

    async def finish(
        self, owner: str, item_id: str, token: int, state: State, result: dict[str, Any] | None, error: str | None
    ) -> bool:
        keys = [item_key(owner, item_id), owner_key(owner)]
        args = [token, state, json.dumps(result), error or "", KEEP, item_id]
        ok = bool(await self._call(self._finish(keys=keys, args=args)))
        await self._call(self._redis.zrem(shard_key(owner), f"{owner}{SEP}{item_id}"))
        return ok

    async def cancel(self, owner: str, item_id: str) -> State | None:
        keys = [item_key(owner, item_id), owner_key(owner)]
        found = str(await self._call(self._cancel(keys=keys, args=[KEEP, item_id])))
        if found == "cancelled":
            await self._call(self._redis.zrem(shard_key(owner), f"{owner}{SEP}{item_id}"))
        return as_state(found) if found else None

    async def listed(self, owner: str) -> list[Scheduled]:
        ids = await self._call(self._redis.zrange(owner_key(owner), 0, -1))
        found = [await self.get(owner, i) for i in ids]
        return [s for s in found if s is not None and s.state in ("scheduled", "claimed")]

    async def close(self) -> None:
        await self._redis.aclose()
