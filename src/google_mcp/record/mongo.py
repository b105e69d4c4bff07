"""The record on MongoDB (GOOGLE_MCP_MONGODB_URL): one document per conversation, entries appended with
`$push` in one atomic update (several processes, no read-modify-write), expired by a TTL index."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.errors import DuplicateKeyError, PyMongoError

from google_mcp.record import Kind, RecordUnavailable, now_iso

COLLECTION = "conversations"


def _unavailable(what: str, exc: Exception) -> RecordUnavailable:
    return RecordUnavailable(f"The activity record (MongoDB) could not be {what} ({type(exc).__name__}).")


class MongoJournal:
    def __init__(self, url: str, retention_days: int) -> None:
        self.retention = timedelta(days=retention_days)
        # a write waits for the record: when MongoDB is away, say so in seconds, not minutes
        self._client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
            url, serverSelectionTimeoutMS=3000, connectTimeoutMS=3000, timeoutMS=5000, tz_aware=True
        )
        db = self._client.get_default_database("google_mcp")
        self._docs = db[COLLECTION]
        self._ready = False

    async def _prepare(self) -> None:
        if self._ready:
            return
        await self._docs.create_index("session_id", unique=True)
        await self._docs.create_index([("user_id", 1), ("updated", -1)])
        # retention, enforced by MongoDB itself: a conversation goes this long after its last entry
        await self._docs.create_index("updated", expireAfterSeconds=int(self.retention.total_seconds()))
        self._ready = True

    def _cutoff(self) -> str:
        return (datetime.now(UTC) - self.retention).isoformat(timespec="microseconds")

    async def append(self, conversation: str, user: str, entry: dict[str, Any], kind: Kind = "action") -> None:
        stamp = entry.get("timestamp") or now_iso()
        entry = {**entry, "timestamp": stamp}
        field = "tool_actions" if kind == "action" else "messages"
        other = "messages" if kind == "action" else "tool_actions"
        update = {
            "$push": {field: entry},
            "$set": {"updated_at": stamp, "updated": datetime.now(UTC)},
            "$setOnInsert": {"session_id": conversation, "user_id": user, "created_at": stamp, other: []},
        }
        try:
            await self._prepare()
            for attempt in range(2):
                try:
                    await self._docs.update_one({"session_id": conversation}, update, upsert=True)
                    return
                except DuplicateKeyError:  # two processes created the conversation at once: the other won
                    if attempt:
                        raise
        except PyMongoError as exc:
            raise RecordUnavailable(
                f"The activity record (MongoDB) could not be written: {type(exc).__name__}."
            ) from None

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
            raise RecordUnavailable(
                f"The activity record (MongoDB) could not be read ({type(exc).__name__})."
            ) from None
        return [{**row["entry"], "conversation": row["session_id"]} for row in rows]

    async def conversation(self, conversation_id: str, user: str) -> dict[str, Any] | None:
        try:
            doc = await self._docs.find_one({"session_id": conversation_id, "user_id": user}, {"_id": 0, "updated": 0})
        except PyMongoError as exc:
            raise RecordUnavailable(
                f"The activity record (MongoDB) could not be read ({type(exc).__name__})."
            ) from None
        if doc is None:
            return None
        cutoff = self._cutoff()
        for key in ("messages", "tool_actions"):
            doc[key] = [e for e in doc.get(key, []) if str(e.get("timestamp", "")) >= cutoff]
        return dict(doc)

    async def health(self) -> dict[str, Any]:
        try:
            await self._client.admin.command("ping")
        except PyMongoError as exc:
            return {"backend": "mongodb", "ok": False, "error": type(exc).__name__}
        return {"backend": "mongodb", "ok": True}

    async def close(self) -> None:
        await self._client.close()
