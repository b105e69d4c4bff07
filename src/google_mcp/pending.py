"""Pending actions awaiting a person's consent: in Redis (shared, with a TTL) or in this process.

A record follows the original session schema: session_id, user_id, status, pending_action
{tool_type, action, parameters}, preview, created_at, updated_at (plus expires_at and the outcome).
The move out of awaiting_confirmation is one atomic step, so of any number of concurrent
confirmations exactly one executes.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, Protocol, get_args

from google_mcp.errors import GoogleMCPError

Status = Literal["awaiting_confirmation", "executing", "done", "failed", "unknown", "stale", "cancelled", "declined"]
Claim = Literal[
    "claimed", "missing", "expired", "executing", "done", "failed", "unknown", "stale", "cancelled", "declined"
]
# "pending": waits for confirm_action or /confirm. "elicitation": the person is being asked in their client;
# only that client's answer to that exact question can approve it.
Kind = Literal["pending", "elicitation"]
STATUSES: tuple[Status, ...] = get_args(Status)
CLAIMS: tuple[Claim, ...] = get_args(Claim)


def _status(value: str) -> Status:
    if value not in STATUSES:
        raise ValueError(f"not a pending action status: {value!r}")
    return value


def _claim(value: str) -> Claim:
    if value not in CLAIMS:
        raise ValueError(f"not a claim result: {value!r}")
    return value


KEY = "google_mcp:pending:"
WAITING = "google_mcp:waiting:"  # per owner: id -> "size expires_ts" of each action still awaiting an answer
ASKING = "google_mcp:asking:"
GRACE = 24 * 3600  # an expired record is kept this long so that "expired" can be told from "unknown"


class StoreUnavailable(GoogleMCPError):
    """The pending store (Redis) cannot be reached; nothing was done."""


def new_id() -> str:
    """192 bits from the OS CSPRNG, URL-safe, never starting with "-": a person pastes it as a command's
    argument (`google-mcp approve ID`), where a leading dash reads as an option."""
    while (drawn := secrets.token_urlsafe(24)).startswith("-"):
        pass
    return drawn


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds")


@dataclass
class PendingRecord:
    session_id: str
    user_id: str
    status: Status
    pending_action: dict[str, Any]
    preview: dict[str, Any]
    created_at: str
    updated_at: str
    expires_at: str
    expires_ts: float
    op: dict[str, Any] = field(default_factory=dict)
    kind: Kind = "pending"
    result: dict[str, Any] | None = None
    error: str | None = None

    @property
    def size(self) -> int:
        return len(json.dumps(self.op)) + len(json.dumps(self.pending_action))

    @property
    def tool(self) -> str:
        return str(self.pending_action["action"])

    @property
    def parameters(self) -> dict[str, Any]:
        return dict(self.pending_action["parameters"])

    def to_hash(self) -> dict[str, str]:
        return {
            "session_id": self.session_id,
            "user_id": self.user_id,
            "status": self.status,
            "pending_action": json.dumps(self.pending_action),
            "preview": json.dumps(self.preview),
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "expires_at": self.expires_at,
            "expires_ts": repr(self.expires_ts),
            "op": json.dumps(self.op),
            "kind": self.kind,
            "size": str(self.size),
            "result": json.dumps(self.result),
            "error": self.error or "",
        }

    @classmethod
    def from_hash(cls, data: dict[str, str]) -> PendingRecord:
        return cls(
            session_id=data["session_id"],
            user_id=data["user_id"],
            status=_status(data["status"]),
            pending_action=json.loads(data["pending_action"]),
            preview=json.loads(data["preview"]),
            created_at=data["created_at"],
            updated_at=data["updated_at"],
            expires_at=data["expires_at"],
            expires_ts=float(data["expires_ts"]),
            op=json.loads(data.get("op") or "{}"),
            kind="elicitation" if data.get("kind") == "elicitation" else "pending",
            result=json.loads(data.get("result") or "null"),
            error=data.get("error") or None,
        )


def make_record(
    user_id: str,
    tool: str,
    tool_type: str,
    parameters: dict[str, Any],
    preview: dict[str, Any],
    ttl: int,
    op: dict[str, Any],
    kind: Kind = "pending",
) -> PendingRecord:
    now = time.time()
    return PendingRecord(
        op=op,
        kind=kind,
        session_id=new_id(),
        user_id=user_id,
        status="awaiting_confirmation",
        pending_action={"tool_type": tool_type, "action": tool, "parameters": parameters},
        preview=preview,
        created_at=_iso(now),
        updated_at=_iso(now),
        expires_at=_iso(now + ttl),
        expires_ts=now + ttl,
    )


class PendingStore(Protocol):
    async def create(self, record: PendingRecord) -> None: ...
    async def get(self, session_id: str, user_id: str) -> PendingRecord | None: ...
    async def claim(self, session_id: str, user_id: str, to: Status, kind: Kind = "pending") -> Claim: ...
    async def release(self, session_id: str) -> None: ...
    async def finish(
        self, session_id: str, status: Status, result: dict[str, Any] | None, error: str | None
    ) -> None: ...
    async def awaiting(self, user_id: str, kind: Kind | None = "pending") -> list[PendingRecord]: ...
    async def usage(self, user_id: str) -> tuple[int, int]: ...
    async def asking(self, key: str) -> str | None: ...
    async def set_asking(self, key: str, session_id: str) -> None: ...
    async def health(self) -> dict[str, Any]: ...
    async def close(self) -> None: ...


class MemoryStore:
    """The same semantics in this process, for when no Redis is configured."""

    def __init__(self, ttl: int = 3600) -> None:
        self._records: dict[str, PendingRecord] = {}
        self._waiting: dict[str, set[str]] = {}  # per owner, the ids still awaiting an answer
        self._asking: dict[str, tuple[float, str]] = {}
        self._ttl = ttl
        self._lock = threading.Lock()

    def _sweep(self) -> None:
        now = time.time()
        for key in [k for k, r in self._records.items() if r.expires_ts + GRACE < now]:
            record = self._records.pop(key)
            self._waiting.get(record.user_id, set()).discard(key)

    async def create(self, record: PendingRecord) -> None:
        with self._lock:
            self._sweep()
            self._records[record.session_id] = record
            self._waiting.setdefault(record.user_id, set()).add(record.session_id)

    async def get(self, session_id: str, user_id: str) -> PendingRecord | None:
        with self._lock:
            record = self._records.get(session_id)
            return record if record is not None and record.user_id == user_id else None

    async def claim(self, session_id: str, user_id: str, to: Status, kind: Kind = "pending") -> Claim:
        with self._lock:
            record = self._records.get(session_id)
            if record is None or record.user_id != user_id or record.kind != kind:
                return "missing"
            if record.status != "awaiting_confirmation":
                return _claim(record.status)
            self._waiting.get(user_id, set()).discard(session_id)
            if record.expires_ts <= time.time():
                return "expired"
            record.status = to
            record.updated_at = _iso(time.time())
            return "claimed"

    async def release(self, session_id: str) -> None:
        with self._lock:
            record = self._records[session_id]
            if record.status == "executing":
                record.status, record.updated_at = "awaiting_confirmation", _iso(time.time())
                self._waiting.setdefault(record.user_id, set()).add(session_id)

    async def finish(self, session_id: str, status: Status, result: dict[str, Any] | None, error: str | None) -> None:
        with self._lock:
            record = self._records[session_id]
            record.status, record.result, record.error = status, result, error
            record.updated_at = _iso(time.time())

    async def awaiting(self, user_id: str, kind: Kind | None = "pending") -> list[PendingRecord]:
        now = time.time()
        with self._lock:
            found = [self._records[i] for i in self._waiting.get(user_id, set()) if i in self._records]
            return sorted(
                (
                    r
                    for r in found
                    if r.status == "awaiting_confirmation" and r.expires_ts > now and kind in (None, r.kind)
                ),
                key=lambda r: r.created_at,
            )

    async def usage(self, user_id: str) -> tuple[int, int]:
        held = await self.awaiting(user_id, kind=None)
        return len(held), sum(r.size for r in held)

    async def asking(self, key: str) -> str | None:
        with self._lock:
            found = self._asking.get(key)
            return found[1] if found and found[0] > time.time() else None

    async def set_asking(self, key: str, session_id: str) -> None:
        with self._lock:
            now = time.time()
            for stale in [k for k, (until, _) in self._asking.items() if until <= now]:
                del self._asking[stale]
            self._asking[key] = (now + self._ttl, session_id)

    async def health(self) -> dict[str, Any]:
        return {"ok": True, "backend": "memory", "records": len(self._records)}

    async def close(self) -> None:
        return None


# KEYS[1] record, KEYS[2] the owner's waiting index; ARGV: owner, now, updated_at, target status, kind, id
_CLAIM = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 'missing' end
if redis.call('HGET', KEYS[1], 'user_id') ~= ARGV[1] then return 'missing' end
if (redis.call('HGET', KEYS[1], 'kind') or 'pending') ~= ARGV[5] then return 'missing' end
local status = redis.call('HGET', KEYS[1], 'status')
if status ~= 'awaiting_confirmation' then return status end
redis.call('HDEL', KEYS[2], ARGV[6])
if tonumber(redis.call('HGET', KEYS[1], 'expires_ts')) <= tonumber(ARGV[2]) then return 'expired' end
redis.call('HSET', KEYS[1], 'status', ARGV[4], 'updated_at', ARGV[3])
return 'claimed'
"""


# KEYS[1] record; ARGV: updated_at, id. Back to waiting, in its owner's index too.
_RELEASE = """
if redis.call('HGET', KEYS[1], 'status') == 'executing' then
  redis.call('HSET', KEYS[1], 'status', 'awaiting_confirmation', 'updated_at', ARGV[1])
  local owner = redis.call('HGET', KEYS[1], 'user_id')
  local entry = redis.call('HGET', KEYS[1], 'size') .. ' ' .. redis.call('HGET', KEYS[1], 'expires_ts')
  redis.call('HSET', 'google_mcp:waiting:' .. owner, ARGV[2], entry)
end
return 1
"""


def redis_client(url: str) -> Any:
    """The one way this package talks to Redis: a dead pooled connection (after a Redis restart) is
    replaced and the command tried once more, instead of reporting Redis as unreachable."""
    import redis.asyncio as aioredis
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff
    from redis.exceptions import ConnectionError as RedisConnectionError

    return aioredis.Redis.from_url(
        url,
        decode_responses=True,
        socket_timeout=5,
        socket_connect_timeout=3,
        retry=Retry(NoBackoff(), 1),
        retry_on_error=[RedisConnectionError],
        health_check_interval=10,
    )


class RedisStore:
    def __init__(self, url: str, ttl: int) -> None:
        self._redis = redis_client(url)
        self._ttl = ttl
        self._claim = self._redis.register_script(_CLAIM)
        self._release = self._redis.register_script(_RELEASE)

    async def _call(self, coro: Any) -> Any:
        import redis.exceptions

        try:
            return await coro
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError) as exc:
            raise StoreUnavailable(
                f"The confirmation store (Redis) is unreachable ({type(exc).__name__}); nothing was done. "
                "Try again once it is back."
            ) from None

    async def create(self, record: PendingRecord) -> None:
        key = KEY + record.session_id
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping=dict(record.to_hash()))  # type: ignore[arg-type]
            pipe.expire(key, self._ttl + GRACE)
            waiting = WAITING + record.user_id
            pipe.hset(waiting, record.session_id, f"{record.size} {record.expires_ts!r}")
            pipe.expire(waiting, self._ttl + GRACE)
            await self._call(pipe.execute())

    async def get(self, session_id: str, user_id: str) -> PendingRecord | None:
        data = await self._call(self._redis.hgetall(KEY + session_id))
        if not data or data.get("user_id") != user_id:
            return None
        return PendingRecord.from_hash(data)

    async def claim(self, session_id: str, user_id: str, to: Status, kind: Kind = "pending") -> Claim:
        result = await self._call(
            self._claim(
                keys=[KEY + session_id, WAITING + user_id],
                args=[user_id, repr(time.time()), _iso(time.time()), to, kind, session_id],
            )
        )
        return _claim(str(result))

    async def release(self, session_id: str) -> None:
        await self._call(self._release(keys=[KEY + session_id], args=[_iso(time.time()), session_id]))

    async def asking(self, key: str) -> str | None:
        found = await self._call(self._redis.get(ASKING + key))
        return str(found) if found else None

    async def set_asking(self, key: str, session_id: str) -> None:
        await self._call(self._redis.set(ASKING + key, session_id, ex=self._ttl))

    async def finish(self, session_id: str, status: Status, result: dict[str, Any] | None, error: str | None) -> None:
        await self._call(
            self._redis.hset(
                KEY + session_id,
                mapping={
                    "status": status,
                    "result": json.dumps(result),
                    "error": error or "",
                    "updated_at": _iso(time.time()),
                },
            )
        )

    async def _waiting(self, user_id: str) -> dict[str, int]:
        """The owner's waiting actions and their sizes, from its index (never its whole history)."""
        index = await self._call(self._redis.hgetall(WAITING + user_id))
        now = time.time()
        stale = [i for i, entry in index.items() if float(entry.split()[1]) <= now]
        if stale:
            await self._call(self._redis.hdel(WAITING + user_id, *stale))
        return {i: int(entry.split()[0]) for i, entry in index.items() if i not in stale}

    async def usage(self, user_id: str) -> tuple[int, int]:
        sizes = await self._waiting(user_id)
        return len(sizes), sum(sizes.values())

    async def awaiting(self, user_id: str, kind: Kind | None = "pending") -> list[PendingRecord]:
        ids = sorted(await self._waiting(user_id))
        async with self._redis.pipeline(transaction=False) as pipe:
            for session_id in ids:
                pipe.hgetall(KEY + session_id)
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
