"""The record on MongoDB (GOOGLE_MCP_MONGODB_URL): a conversation's entries appended with `$push` in one
atomic update (several processes, no read-modify-write), expired by a TTL index.

A conversation is kept in buckets of at most BUCKET entries, each a document of the conversation's shape:
a long-lived session would otherwise outgrow MongoDB's 16 MB document limit, and every `$push` rewrites
the document it lands in, so a growing one would make each entry dearer than the last.

Entries are written in batches by the journal's writer (record/writer.py), from its own thread with the
synchronous client: one unordered bulk write per batch, with one `$push $each` per conversation, so that
a conversation's entries land in their order while different conversations go in any order. A batch that
carries a durable entry (the gate's write-ahead `approved`) is written with `w: majority, j: true`:
acknowledged only once it is in the journal of a majority of the replica set; every other batch with
`w: majority`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import AsyncMongoClient, MongoClient, UpdateOne
from pymongo.collection import Collection
from pymongo.errors import BulkWriteError, OperationFailure, PyMongoError
from pymongo.write_concern import WriteConcern

from google_mcp.record.base import Kind, RecordUnavailable
from google_mcp.record.writer import BatchWriter, Pending, Redact, Unwritten

COLLECTION = "conversations"
BUCKET = 200


def _unavailable(what: str, exc: Exception) -> RecordUnavailable:
    return RecordUnavailable(
        f"The activity record (MongoDB) could not be {what}: it is unreachable, or a majority of its replica set "
        f"did not acknowledge in time ({type(exc).__name__})."
    )


class MongoJournal:
    def __init__(self, url: str, retention_days: int, redact: Redact) -> None:
        self.url, self.retention = url, timedelta(days=retention_days)
        # The URL goes to pymongo as it is: a replica set's (mongodb://h1,h2,h3/db?replicaSet=rs0) works unchanged.
        # Acknowledged by a majority of the set, so an entry survives the primary's failover (on a replica set
        # majority also means journaled); a retried write is applied once, the server tells a retry from a new
        # write (retryable writes: a `$push` sent twice would otherwise be two entries). A write waits for the
        # record: when MongoDB is away, say so in seconds, not minutes.
        self._options: dict[str, Any] = {
            "w": "majority",
            "retryWrites": True,
            "retryReads": True,
            "serverSelectionTimeoutMS": 3000,
            "connectTimeoutMS": 3000,
            "timeoutMS": 5000,
            "tz_aware": True,
        }
        self._client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(url, **self._options)
        self._docs = self._client.get_default_database("google_mcp")[COLLECTION]
        self._writes: Collection[dict[str, Any]] | None = None  # the writer thread's, made on its first batch
        self._writer_client: MongoClient[dict[str, Any]] | None = None
        self._writer = BatchWriter("mongodb", self._write_batch, redact)

    def _prepare(self) -> Collection[dict[str, Any]]:
        if self._writes is not None:
            return self._writes
        if self._writer_client is None:
            self._writer_client = MongoClient(self.url, **self._options)
        docs = self._writer_client.get_default_database("google_mcp")[COLLECTION]
        docs.create_index([("session_id", 1), ("n", 1)])
        docs.create_index([("user_id", 1), ("updated", -1)])
        # retention, enforced by MongoDB itself: a bucket goes this long after its last entry
        seconds = int(self.retention.total_seconds())
        try:
            docs.create_index("updated", expireAfterSeconds=seconds)
        except OperationFailure as exc:
            if exc.code not in (85, 86):  # IndexOptionsConflict: the retention was changed since
                raise
            docs.database.command(
                "collMod", COLLECTION, index={"keyPattern": {"updated": 1}, "expireAfterSeconds": seconds}
            )
        self._writes = docs
        return docs

    def _cutoff(self) -> str:
        return (datetime.now(UTC) - self.retention).isoformat(timespec="microseconds")

    async def append(
        self, conversation: str, user: str, entry: dict[str, Any], kind: Kind = "action", *, durable: bool = False
    ) -> None:
        await self._writer.append(conversation, user, entry, kind, durable)

    def _write_batch(self, batch: list[Pending], durable: bool) -> None:
        # A conversation's entries go in one update (`$each` keeps their order); if there are more than a
        # bucket holds, the rest go in later rounds, each round one unordered bulk write.
        groups: dict[tuple[str, str], list[Pending]] = {}
        for p in batch:
            groups.setdefault((p.conversation, p.user), []).append(p)
        rounds: list[list[tuple[UpdateOne, list[Pending]]]] = []
        for (conversation, user), entries in groups.items():
            for n, start in enumerate(range(0, len(entries), BUCKET)):
                chunk = entries[start : start + BUCKET]
                if n == len(rounds):
                    rounds.append([])
                rounds[n].append((_bucket_update(conversation, user, chunk), chunk))
        try:
            docs = self._prepare()
        except PyMongoError as exc:
            raise Unwritten(str(_unavailable("written", exc)), batch) from None
        if durable:  # the write-ahead approval: in the journal of a majority before its write may run
            docs = docs.with_options(write_concern=WriteConcern(w="majority", j=True))
        for n, ops in enumerate(rounds):
            later = [p for r in rounds[n + 1 :] for _, chunk in r for p in chunk]
            try:
                docs.bulk_write([op for op, _ in ops], ordered=False)
            except BulkWriteError as exc:
                failed = {int(e["index"]) for e in exc.details.get("writeErrors", [])}
                if exc.details.get("writeConcernErrors"):
                    failed = set(range(len(ops)))  # not known to be in the journal: not durable
                lost = [p for i, (_, chunk) in enumerate(ops) if i in failed for p in chunk]
                raise Unwritten(str(_unavailable("written", exc)), lost + later) from None
            except PyMongoError as exc:
                raise Unwritten(str(_unavailable("written", exc)), [p for _, c in ops for p in c] + later) from None

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
        await self._writer.flush()
        try:
            cursor = await self._docs.aggregate(pipeline)
            rows = [row async for row in cursor]
        except PyMongoError as exc:
            raise _unavailable("read", exc) from None
        return [{**row["entry"], "conversation": row["session_id"]} for row in rows]

    async def conversation(self, conversation_id: str, user: str) -> dict[str, Any] | None:
        await self._writer.flush()
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
        await self._writer.flush()
        waiting = {"entries_not_recorded": self._writer.not_recorded}
        try:
            await self._client.admin.command("ping")
        except PyMongoError as exc:
            return {"backend": "mongodb", "ok": False, "error": type(exc).__name__, **waiting}
        return {"backend": "mongodb", "ok": True, **waiting}

    async def close(self) -> None:
        await self._writer.close()  # everything queued is written (or, if MongoDB is away, counted)
        if self._writer_client is not None:
            self._writer_client.close()
            self._writer_client, self._writes = None, None
        await self._client.close()


def _bucket_update(conversation: str, user: str, chunk: list[Pending]) -> UpdateOne:
    """Into the conversation's bucket with room for the whole chunk, or a new one (the upsert)."""
    push: dict[str, Any] = {}
    for field, kind in (("tool_actions", "action"), ("messages", "message")):
        entries = [p.entry for p in chunk if p.kind == kind]
        if entries:
            push[field] = {"$each": entries}
    on_insert: dict[str, Any] = {"user_id": user, "created_at": chunk[0].entry["timestamp"]}
    on_insert.update({field: [] for field in ("tool_actions", "messages") if field not in push})
    return UpdateOne(
        {"session_id": conversation, "n": {"$lte": BUCKET - len(chunk)}},
        {
            "$push": push,
            "$inc": {"n": len(chunk)},
            "$set": {"updated_at": chunk[-1].entry["timestamp"], "updated": datetime.now(UTC)},
            "$setOnInsert": on_insert,
        },
        upsert=True,
    )
