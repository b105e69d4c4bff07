"""The pending store in Redis: shared by every process, with a TTL.

Every step that must be atomic across processes is one Lua script: a new record's admission under its
owner's cap (counted from the owner's waiting index, then written), a claim (owner, kind, status and
expiry checked, then moved, with the executing claim's lease taken), the lease's renewal, a release.
The lease is a key with a PX expiry, so it lapses on Redis's clock, not on any one server's.

Every key of one owner's actions carries the owner's hash tag (`google_mcp:pending:{owner}:ID`, their
lease, their waiting index), so on a Redis Cluster each script's keys are in one slot. There, a claim that
will send is made durable before anything is sent: the script and `WAIT 1` go down one connection to the
key's master (WAIT counts the replicas that hold that connection's writes). When no replica acknowledges
within GOOGLE_MCP_REDIS_CLAIM_WAIT, the claim is released and nothing is sent: the action still waits.
"""

from __future__ import annotations

import json
import time
from typing import Any

from google_mcp.pending import (
    ASKING,
    GRACE,
    KEY,
    LEASE,
    WAITING,
    Cap,
    Claim,
    Held,
    Kind,
    PendingRecord,
    Status,
    StoreUnavailable,
    as_claim,
    iso,
)
from google_mcp.redisconn import claim_durably, is_cluster, redis_client, tag, unavailable

LEASED = "google_mcp:lease:"

# KEYS[1] record, KEYS[2] the owner's waiting index.
# ARGV: now, max count, max bytes, the record's size, its index entry, key TTL, id, then the hash's fields.
# Expired entries are dropped from the index as it is counted, so they never hold a place.
_CREATE = """
local now, max_count, max_bytes, size = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local index = redis.call('HGETALL', KEYS[2])
local count, held = 0, 0
for i = 1, #index, 2 do
  local bytes, expires = string.match(index[i + 1], '^(%S+) (%S+)$')
  if tonumber(expires) <= now then
    redis.call('HDEL', KEYS[2], index[i])
  else
    count = count + 1
    held = held + tonumber(bytes)
  end
end
if count >= max_count or held + size > max_bytes then return {count, held} end
redis.call('HSET', KEYS[1], unpack(ARGV, 8))
redis.call('EXPIRE', KEYS[1], ARGV[6])
redis.call('HSET', KEYS[2], ARGV[7], ARGV[5])
redis.call('EXPIRE', KEYS[2], ARGV[6])
return 'ok'
"""

# KEYS[1] record, KEYS[2] the owner's waiting index, KEYS[3] the record's lease;
# ARGV: owner, now, updated_at, target status, kind, id, lease ms
_CLAIM = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 'missing' end
if redis.call('HGET', KEYS[1], 'user_id') ~= ARGV[1] then return 'missing' end
if (redis.call('HGET', KEYS[1], 'kind') or 'pending') ~= ARGV[5] then return 'missing' end
local status = redis.call('HGET', KEYS[1], 'status')
if status ~= 'awaiting_confirmation' then return status end
redis.call('HDEL', KEYS[2], ARGV[6])
if tonumber(redis.call('HGET', KEYS[1], 'expires_ts')) <= tonumber(ARGV[2]) then return 'expired' end
redis.call('HSET', KEYS[1], 'status', ARGV[4], 'updated_at', ARGV[3])
if ARGV[4] == 'executing' then redis.call('SET', KEYS[3], '1', 'PX', ARGV[7]) end
return 'claimed'
"""

# KEYS[1] record, KEYS[2] its lease; ARGV: lease ms. Only an action still executing keeps a lease.
_RENEW = """
if redis.call('HGET', KEYS[1], 'status') == 'executing' then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[1])
end
return 1
"""

# KEYS[1] record, KEYS[2] its lease, KEYS[3] its owner's waiting index; ARGV: updated_at, id.
# Back to waiting, in its owner's index too.
_RELEASE = """
redis.call('DEL', KEYS[2])
if redis.call('HGET', KEYS[1], 'status') == 'executing' then
  redis.call('HSET', KEYS[1], 'status', 'awaiting_confirmation', 'updated_at', ARGV[1])
  local entry = redis.call('HGET', KEYS[1], 'size') .. ' ' .. redis.call('HGET', KEYS[1], 'expires_ts')
  redis.call('HSET', KEYS[3], ARGV[2], entry)
end
return 1
"""


def record_key(session_id: str, user_id: str) -> str:
    return f"{KEY}{tag(user_id)}:{session_id}"


def lease_key(session_id: str, user_id: str) -> str:
    return f"{LEASED}{tag(user_id)}:{session_id}"


def waiting_key(user_id: str) -> str:
    return WAITING + tag(user_id)


class RedisStore:
    def __init__(self, url: str, ttl: int, claim_wait: float = 1.0) -> None:
        self._redis = redis_client(url)
        self._ttl = ttl
        # on a cluster, how long a claim waits for a replica to hold it (0: it does not wait)
        self._claim_wait = claim_wait if is_cluster(url) else 0.0
        self._create = self._redis.register_script(_CREATE)
        self._claim = self._redis.register_script(_CLAIM)
        self._renew = self._redis.register_script(_RENEW)
        self._release = self._redis.register_script(_RELEASE)

    async def _call(self, coro: Any) -> Any:
        try:
            return await coro
        except unavailable() as exc:
            raise StoreUnavailable(
                f"The confirmation store (Redis) is unreachable ({type(exc).__name__}); nothing was done. "
                "Try again once it is back."
            ) from None

    async def create(self, record: PendingRecord, cap: Cap) -> Held | None:
        fields = [part for pair in record.to_hash().items() for part in pair]
        found = await self._call(
            self._create(
                keys=[record_key(record.session_id, record.user_id), waiting_key(record.user_id)],
                args=[
                    repr(time.time()),
                    cap.count,
                    cap.bytes,
                    record.size,
                    f"{record.size} {record.expires_ts!r}",
                    self._ttl + GRACE,
                    record.session_id,
                    *fields,
                ],
            )
        )
        if found == "ok":
            return None
        count, held = found
        return Held(int(count), int(held))

    async def get(self, session_id: str, user_id: str) -> PendingRecord | None:
        data = await self._call(self._redis.hgetall(record_key(session_id, user_id)))
        if not data or data.get("user_id") != user_id:
            return None
        return PendingRecord.from_hash(data)

    async def claim(self, session_id: str, user_id: str, to: Status, kind: Kind = "pending") -> Claim:
        keys = [record_key(session_id, user_id), waiting_key(user_id), lease_key(session_id, user_id)]
        args = [user_id, repr(time.time()), iso(time.time()), to, kind, session_id, int(LEASE * 1000)]
        if to != "executing" or self._claim_wait <= 0:
            return as_claim(str(await self._call(self._claim(keys=keys, args=args))))
        try:
            result, replicas = await claim_durably(self._redis, _CLAIM, keys, args, self._claim_wait)
        except unavailable() as exc:
            raise StoreUnavailable(
                f"The confirmation store (Redis Cluster) did not answer the claim ({type(exc).__name__}), "
                "so nothing was sent. If the action is still waiting, try again in a moment."
            ) from None
        if result == "claimed" and replicas < 1:
            await self.release(session_id, user_id)
            raise StoreUnavailable(
                f"No Redis replica confirmed this claim within {self._claim_wait:g} s, so nothing was sent: "
                "had its master failed then, the claim could have been forgotten and the action sent twice. "
                "It is still waiting; confirm it again in a moment."
            )
        return as_claim(str(result))

    async def renew(self, session_id: str, user_id: str) -> None:
        keys = [record_key(session_id, user_id), lease_key(session_id, user_id)]
        await self._call(self._renew(keys=keys, args=[int(LEASE * 1000)]))

    async def running(self, session_id: str, user_id: str) -> bool:
        return bool(await self._call(self._redis.exists(lease_key(session_id, user_id))))

    async def release(self, session_id: str, user_id: str) -> None:
        keys = [record_key(session_id, user_id), lease_key(session_id, user_id), waiting_key(user_id)]
        await self._call(self._release(keys=keys, args=[iso(time.time()), session_id]))

    async def asking(self, key: str) -> str | None:
        found = await self._call(self._redis.get(ASKING + key))
        return str(found) if found else None

    async def set_asking(self, key: str, session_id: str) -> None:
        await self._call(self._redis.set(ASKING + key, session_id, ex=self._ttl))

    async def finish(
        self, session_id: str, user_id: str, status: Status, result: dict[str, Any] | None, error: str | None
    ) -> None:
        fields = {"status": status, "result": json.dumps(result), "error": error or "", "updated_at": iso(time.time())}
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(record_key(session_id, user_id), mapping=fields)  # type: ignore[arg-type]
            pipe.delete(lease_key(session_id, user_id))
            await self._call(pipe.execute())

    async def _waiting(self, user_id: str) -> dict[str, int]:
        """The owner's waiting actions and their sizes, from its index (never its whole history)."""
        index = await self._call(self._redis.hgetall(waiting_key(user_id)))
        now = time.time()
        stale = [i for i, entry in index.items() if float(entry.split()[1]) <= now]
        if stale:
            await self._call(self._redis.hdel(waiting_key(user_id), *stale))
        return {i: int(entry.split()[0]) for i, entry in index.items() if i not in stale}

    async def awaiting(self, user_id: str, kind: Kind | None = "pending") -> list[PendingRecord]:
        ids = sorted(await self._waiting(user_id))
        async with self._redis.pipeline(transaction=False) as pipe:
            for session_id in ids:
                pipe.hgetall(record_key(session_id, user_id))
            rows = await self._call(pipe.execute())
        now = time.time()
        out = []
        for data in rows:
            if not data or data.get("user_id") != user_id:
                continue
            record = PendingRecord.from_hash(data)
            if record.status == "awaiting_confirmation" and record.expires_ts > now and kind in (None, record.kind):
                out.append(record)
        return sorted(out, key=lambda r: r.created_at)

    async def health(self) -> dict[str, Any]:
        try:
            await self._call(self._redis.ping())
        except StoreUnavailable:
            return {"ok": False, "backend": "redis", "error": "unreachable"}
        return {"ok": True, "backend": "redis"}

    async def close(self) -> None:
        await self._redis.aclose()
