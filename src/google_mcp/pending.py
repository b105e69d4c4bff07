"""Pending actions awaiting a person's consent: in this process, or in Redis (pending_redis.py).

A record follows the original session schema: session_id, user_id, status, pending_action
{tool_type, action, parameters}, preview, created_at, updated_at (plus expires_at and the outcome).
The move out of awaiting_confirmation is one atomic step, so of any number of concurrent
confirmations exactly one executes; so is a new record's admission under its owner's cap. The
confirmation that executes holds a lease on the record while it runs, which tells the others that it is
being carried out (not interrupted by a process that died).
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

Status = Literal[
    "awaiting_confirmation", "executing", "done", "failed", "unknown", "stale", "cancelled", "declined", "scheduled"
]
Claim = Literal[
    "claimed",
    "missing",
    "expired",
    "executing",
    "done",
    "failed",
    "unknown",
    "stale",
    "cancelled",
    "declined",
    "scheduled",
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


def as_claim(value: str) -> Claim:
    if value not in CLAIMS:
        raise ValueError(f"not a claim result: {value!r}")
    return value


KEY = "google_mcp:pending:"
WAITING = "google_mcp:waiting:"  # per owner: id -> "size expires_ts" of each action still awaiting an answer
ASKING = "google_mcp:asking:"
GRACE = 24 * 3600  # an expired record is kept this long so that "expired" can be told from "unknown"
LEASE = 5.0  # seconds an executing claim stays alive without a renewal (renewed every LEASE / 5)


class StoreUnavailable(GoogleMCPError):
    """The pending store (Redis) cannot be reached; nothing was done."""


def new_id() -> str:
    """192 bits from the OS CSPRNG, URL-safe, never starting with "-": a person pastes it as a command's
    argument (`google-mcp approve ID`), where a leading dash reads as an option."""
    while (drawn := secrets.token_urlsafe(24)).startswith("-"):
        pass
    return drawn


def iso(ts: float) -> str:
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
        created_at=iso(now),
        updated_at=iso(now),
        expires_at=iso(now + ttl),
        expires_ts=now + ttl,
    )


@dataclass(frozen=True)
class Cap:
    """How much one owner may hold awaiting an answer: actions, and their bytes."""

    count: int
    bytes: int


@dataclass(frozen=True)
class Held:
    """What the owner already held when a new record did not fit under the cap (nothing was stored)."""

    count: int
    bytes: int


class PendingStore(Protocol):
    async def create(self, record: PendingRecord, cap: Cap) -> Held | None:
        """Store the record if its owner's waiting records, with it, stay within the cap; checked and
        taken in one step. None when stored; otherwise what the owner holds."""
        ...

    async def get(self, session_id: str, user_id: str) -> PendingRecord | None: ...
    async def claim(self, session_id: str, user_id: str, to: Status, kind: Kind = "pending") -> Claim:
        """Move an awaiting record of this owner and kind to `to`; a claim to "executing" takes the lease."""
        ...

    async def renew(self, session_id: str, user_id: str) -> None:
        """Keep the lease of an executing record alive for another LEASE seconds."""
        ...

    async def running(self, session_id: str, user_id: str) -> bool:
        """Whether the record's lease is alive: the confirmation executing it is still at work."""
        ...

    async def release(self, session_id: str, user_id: str) -> None: ...
    async def finish(
        self, session_id: str, user_id: str, status: Status, result: dict[str, Any] | None, error: str | None
    ) -> None: ...
    async def awaiting(self, user_id: str, kind: Kind | None = "pending") -> list[PendingRecord]: ...
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
        self._leases: dict[str, float] = {}  # id -> monotonic deadline of an executing claim
        self._ttl = ttl
        self._lock = threading.Lock()

    def _sweep(self) -> None:
        now = time.time()
        for key in [k for k, r in self._records.items() if r.expires_ts + GRACE < now]:
            record = self._records.pop(key)
            self._waiting.get(record.user_id, set()).discard(key)
            self._leases.pop(key, None)

    def _held(self, user_id: str) -> list[PendingRecord]:
        now = time.time()
        found = (self._records.get(i) for i in self._waiting.get(user_id, set()))
        return [r for r in found if r is not None and r.status == "awaiting_confirmation" and r.expires_ts > now]

    async def create(self, record: PendingRecord, cap: Cap) -> Held | None:
        with self._lock:  # the same lock as every claim: nothing is admitted between the count and the write
            self._sweep()
            held = self._held(record.user_id)
            count, size = len(held), sum(r.size for r in held)
            if count >= cap.count or size + record.size > cap.bytes:
                return Held(count, size)
            self._records[record.session_id] = record
            self._waiting.setdefault(record.user_id, set()).add(record.session_id)
            return None

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
                return as_claim(record.status)
            self._waiting.get(user_id, set()).discard(session_id)
            if record.expires_ts <= time.time():
                return "expired"
            record.status = to
            record.updated_at = iso(time.time())
            if to == "executing":
                self._leases[session_id] = time.monotonic() + LEASE
            return "claimed"

    async def renew(self, session_id: str, user_id: str) -> None:
        with self._lock:
            record = self._records.get(session_id)
            if record is not None and record.status == "executing":
                self._leases[session_id] = time.monotonic() + LEASE

    async def running(self, session_id: str, user_id: str) -> bool:
        with self._lock:
            return self._leases.get(session_id, 0.0) > time.monotonic()

    async def release(self, session_id: str, user_id: str) -> None:
        with self._lock:
            record = self._records[session_id]
            self._leases.pop(session_id, None)
            if record.status == "executing":
                record.status, record.updated_at = "awaiting_confirmation", iso(time.time())
                self._waiting.setdefault(record.user_id, set()).add(session_id)

    async def finish(
        self, session_id: str, user_id: str, status: Status, result: dict[str, Any] | None, error: str | None
    ) -> None:
        with self._lock:
            record = self._records[session_id]
            self._leases.pop(session_id, None)
            record.status, record.result, record.error = status, result, error
            record.updated_at = iso(time.time())

    async def awaiting(self, user_id: str, kind: Kind | None = "pending") -> list[PendingRecord]:
        with self._lock:
            held = self._held(user_id)
        return sorted((r for r in held if kind in (None, r.kind)), key=lambda r: r.created_at)

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
