"""The record on MongoDB (GOOGLE_MCP_MONGODB_URL): a conversation's entries appended with `$push` in one
atomic update (several processes, no read-modify-write), expired by a TTL index.

A conversation is kept in buckets of at most BUCKET entries, each a document of the conversation's shape:
a long-lived session would otherwise outgrow MongoDB's 16 MB document limit, and every `$push` rewrites
the document it lands in, so a growing one would make each entry dearer than the last.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.errors import OperationFailure, PyMongoError

from google_mcp.record import Kind, RecordUnavailable, now_iso

COLLECTION = "conversations"
BUCKET = 200


def _unavailable(what: str, exc: Exception) -> RecordUnavailable:
    return RecordUnavailable(f"The activity record (MongoDB) could not be {what} ({type(exc).__name__}).")


class MongoJournal:
    def __init__(self, url: str, retention_days: int) -> None:
        self.retention = timedelta(days=retention_days)
        # a write waits for the record: when MongoDB is away, say so in seconds, not minutes
        self._client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
            url, serverSelectionTimeoutMS=3000, connectTimeoutMS=3000, timeoutMS=5000, tz_aware=True
        )
        self._docs = self._client.get_default_database("google_mcp")[COLLECTION]
        self._ready = False

    async def _prepare(self) -> None:
        if self._ready:
            return
        await self._docs.create_index([("session_id", 1), ("n", 1)])
        await self._docs.create_index([("user_id", 1), ("updated", -1)])
        # retention, enforced by MongoDB itself: a bucket goes this long after its last entry
        seconds = int(self.retention.total_seconds())
        try:
            await self._docs.create_index("updated", expireAfterSeconds=seconds)
        except OperationFailure as exc:
            if exc.code not in (85, 86):  # IndexOptionsConflict: the retention was changed since
                raise
            await self._docs.database.command(
                "collMod", COLLECTION, index={"keyPattern": {"updated": 1}, "expireAfterSeconds": seconds}
            )
        self._ready = True

    def _cutoff(self) -> str:
        return (datetime.now(UTC) - self.retention).isoformat(timespec="microseconds")

    async def append(self, conversation: str, user: str, entry: dict[str, Any], kind: Kind = "action") -> None:
        stamp = entry.get("timestamp") or now_iso()
        entry = {**entry, "timestamp": stamp}
        field, other = ("tool_actions", "messages") if kind == "action" else ("messages", "tool_actions")
        update = {
            "$push": {field: entry},
            "$inc": {"n": 1},
            "$set": {"updated_at": stamp, "updated": datetime.now(UTC)},
            "$setOnInsert": {"user_id": user, "created_at": stamp, other: []},
        }
        try:
            await self._prepare()
            # into the conversation's bucket with room, or a new one (the upsert) when every one is full
            await self._docs.update_one({"session_id": conversation, "n": {"$lt": BUCKET}}, update, upsert=True)
        except PyMongoError as exc:
            raise _unavailable("written", exc) from None

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
        match: dict[str, Any] = {"entry.timestamp": {"$gte": max(since or "", self._cutoff())}}
        if tool:
            match["entry.action"] = tool
        if status:
            match["entry.status"] = status
        first: dict[str, Any] = {"user_id": user}
        if conversation:
            first["session_id"] = conversation
        pipeline: list[dict[str, Any]] = [
            {"$match": first},
            {"$project": {"_id": 0, "session_id": 1, "entry": "$tool_actions"}},
            {"$unwind": "$entry"},
            {"$match": match},
            {"$sort": {"entry.timestamp": -1}},
            {"$limit": limit},
        ]
        try:
            await self._prepare()
            cursor = await self._docs.aggregate(pipeline)
            rows = [row async for row in cursor]
        except PyMongoError as exc:
            raise _unavailable("read", exc) from None
        return [{**row["entry"], "conversation": row["session_id"]} for row in rows]

    async def conversation(self, conversation_id: str, user: str) -> dict[str, Any] | None:
        try:
            cursor = self._docs.find({"session_id": conversation_id, "user_id": user}, {"_id": 0, "updated": 0})
            buckets = [doc async for doc in cursor]
        except PyMongoError as exc:
            raise _unavailable("read", exc) from None
        if not buckets:
            return None
        cutoff = self._cutoff()
        out: dict[str, Any] = {
            "session_id": conversation_id,
            "user_id": user,
            "created_at": min(str(b.get("created_at", "")) for b in buckets),
            "updated_at": max(str(b.get("updated_at", "")) for b in buckets),
        }
        for key in ("messages", "tool_actions"):
            entries = [e for b in buckets for e in b.get(key, []) if str(e.get("timestamp", "")) >= cutoff]
            out[key] = sorted(entries, key=lambda e: str(e.get("timestamp", "")))
        return out

    async def health(self) -> dict[str, Any]:
        try:
            await self._client.admin.command("ping")
        except PyMongoError as exc:
            return {"backend": "mongodb", "ok": False, "error": type(exc).__name__}
        return {"backend": "mongodb", "ok": True}

    async def close(self) -> None:
        await self._client.close()
