"""'This resource changed', to every client that asked, on every process: the 2026-07-28
`subscriptions/listen` streams (the SDK's subscription bus) and sessions that sent the 2025
`resources/subscribe`. With Redis the bus runs over Redis pub/sub, so an update published by the process
a push landed on reaches clients connected to any other; without it, in process. On a Redis Cluster it runs
over sharded pub/sub (SPUBLISH/SSUBSCRIBE): each person's updates go through one of SHARDS channels, spread
over the masters, and every process listens to all of them on the master that owns each.

On a server many people use, an update has an owner (the person whose mail or calendar changed) and
reaches only that person's subscriptions: `gmail://inbox` is everyone's URI, but each person's inbox.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import anyio
from mcp import types
from mcp.server.subscriptions import InMemorySubscriptionBus, ResourceUpdated, ServerEvent

from google_mcp import metrics
from google_mcp.principal import current_principal
from google_mcp.redisconn import is_cluster, redis_client, subscriber_client

log = logging.getLogger(__name__)

CHANNEL = "google_mcp:updates"
SHARDS = 8  # on a cluster: the channels updates are spread over (`google_mcp:updates:{0}` …)


@dataclass(frozen=True)
class Owned(ResourceUpdated):
    """A resource update for one person's subscriptions (None: everyone's, on a single-person server)."""

    owner: str | None = None


def owner_of(event: ServerEvent) -> str | None:
    return getattr(event, "owner", None)


def shard_channel(owner: str | None) -> str:
    """The shard channel that carries one person's updates on a cluster (its slot decides the master)."""
    n = int.from_bytes(hashlib.sha256((owner or "").encode()).digest()[:4], "big") % SHARDS
    return f"{CHANNEL}:{{{n}}}"


class RedisBus:
    """A `SubscriptionBus` over Redis pub/sub: resource updates go through Redis to every process (this
    one included) and are handed to local listeners as they arrive; other events stay local."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.cluster = is_cluster(url)
        self.redis = redis_client(url)
        # the subscriber waits for messages indefinitely: no read timeout on its connection
        self._listen = None if self.cluster else subscriber_client(url)
        self.local = InMemorySubscriptionBus()

    async def publish(self, event: ServerEvent) -> None:
        if isinstance(event, ResourceUpdated):
            owner = owner_of(event)
            body = json.dumps({"uri": event.uri, "owner": owner})
            if self.cluster:
                await self.redis.spublish(shard_channel(owner), body)
            else:
                await self.redis.publish(CHANNEL, body)
        else:
            await self.local.publish(event)

    def subscribe(self, listener: Callable[[ServerEvent], None]) -> Callable[[], None]:
        return self.local.subscribe(listener)

    async def _deliver(self, data: str) -> None:
        got = json.loads(data)
        await self.local.publish(Owned(uri=str(got["uri"]), owner=got.get("owner")))

    async def run(self) -> None:
        """Deliver what arrives from Redis until cancelled; reconnect after Redis goes away."""
        if self.cluster:
            async with anyio.create_task_group() as tg:
                for n in range(SHARDS):
                    tg.start_soon(self._run_shard, f"{CHANNEL}:{{{n}}}")
            return
        from redis.exceptions import RedisError

        assert self._listen is not None
        while True:
            try:
                async with self._listen.pubsub() as pubsub:
                    await pubsub.subscribe(CHANNEL)
                    async for message in pubsub.listen():
                        if message.get("type") == "message":
                            await self._deliver(message["data"])
            except (RedisError, OSError, ValueError) as exc:
                log.warning("updates: Redis subscription lost (%s); reconnecting", type(exc).__name__)
                await anyio.sleep(1)

    async def _run_shard(self, channel: str) -> None:
        """One shard channel, on the master that owns its slot: followed there again when the slot moves
        (the master answers SUNSUBSCRIBE) or the master goes away (a failover promotes its replica)."""
        from redis.exceptions import RedisClusterException, RedisError

        while True:
            try:
                await self.redis.initialize()
                node = self.redis.get_node_from_key(channel)
                listener = subscriber_client(self.url, (node.host, node.port))
                try:
                    async with listener.pubsub() as pubsub:
                        await pubsub.ssubscribe(channel)
                        async for message in pubsub.listen():
                            if message.get("type") == "smessage":
                                await self._deliver(message["data"])
                finally:
                    await listener.aclose()
                log.info("updates: %s moved to another master; following it", channel)
                await anyio.sleep(0.1)
            except (RedisError, RedisClusterException, OSError, ValueError) as exc:  # no seed answers, too
                log.warning("updates: Redis subscription to %s lost (%s); reconnecting", channel, type(exc).__name__)
                await anyio.sleep(0.5)
            try:
                await self.redis.nodes_manager.initialize()
            except (RedisError, RedisClusterException, OSError) as exc:
                log.warning("updates: the cluster's layout could not be read (%s)", type(exc).__name__)

    async def close(self) -> None:
        if self._listen is not None:
            await self._listen.aclose()
        await self.redis.aclose()


class PersonalBus:
    """The bus the SDK's listen handler sees: each stream gets only updates for the person who opened it
    (or for everyone). The listen request is served as its caller, so subscribing captures who that is."""

    def __init__(self, inner: Any, listening: Callable[[str, int], None]) -> None:
        self.inner, self._listening = inner, listening

    async def publish(self, event: ServerEvent) -> None:
        await self.inner.publish(event)

    def subscribe(self, listener: Callable[[ServerEvent], None]) -> Callable[[], None]:
        principal = current_principal()

        def theirs(event: ServerEvent) -> None:
            if owner_of(event) in (None, principal):
                listener(event)

        stop = self.inner.subscribe(theirs)
        self._listening(principal, 1)
        stopped = False

        def unsubscribe() -> None:
            nonlocal stopped
            if not stopped:
                stopped = True
                self._listening(principal, -1)
                stop()

        return unsubscribe


class Updates:
    def __init__(self, bus: Any) -> None:
        self.inner = bus
        self.bus = PersonalBus(bus, self._count)
        # uri -> connection id -> (a session on that connection, whose it is)
        self._legacy: dict[str, dict[int, tuple[Any, str]]] = {}
        self.subscribers: dict[str, int] = {}  # principal -> their open subscriptions (both eras)
        self._send: Any = None  # while run() runs: where updates for 2025 subscribers wait to be sent
        bus.subscribe(self._arrived)

    def _count(self, principal: str, change: int) -> None:
        metrics.SUBSCRIPTIONS.inc(change)
        left = self.subscribers.get(principal, 0) + change
        if left > 0:
            self.subscribers[principal] = left
        else:
            self.subscribers.pop(principal, None)

    async def subscribe(self, ctx: Any, params: types.SubscribeRequestParams) -> types.EmptyResult:
        session, who = ctx.session, current_principal()
        held = self._legacy.setdefault(str(params.uri), {})
        key = id(getattr(session, "_connection", session))
        if key not in held:
            self._count(who, 1)
        held[key] = (session, who)
        return types.EmptyResult()

    async def unsubscribe(self, ctx: Any, params: types.UnsubscribeRequestParams) -> types.EmptyResult:
        session = ctx.session
        found = self._legacy.get(str(params.uri), {}).pop(id(getattr(session, "_connection", session)), None)
        if found is not None:
            self._count(found[1], -1)
        return types.EmptyResult()

    async def publish(self, uri: str, owner: str | None = None) -> None:
        """Once per change, whichever process saw it; `owner`: the person whose data it is."""
        await self.inner.publish(Owned(uri=uri, owner=owner))

    def _arrived(self, event: ServerEvent) -> None:  # a bus listener: synchronous, never raises
        if isinstance(event, ResourceUpdated) and self._legacy.get(event.uri) and self._send is not None:
            try:
                self._send.send_nowait((event.uri, owner_of(event)))
            except anyio.WouldBlock:
                log.warning("updates: 2025 subscribers are behind; dropping an update of %s", event.uri)

    async def run(self) -> None:
        """Send each update that arrived to the 2025 sessions subscribed to it (runs for the server's life)."""
        send, pending = anyio.create_memory_object_stream[tuple[str, str | None]](1024)
        self._send = send
        async with send, pending, anyio.create_task_group() as tg:
            if isinstance(self.inner, RedisBus):
                tg.start_soon(self.inner.run)
            async for uri, owner in pending:
                for key, (session, who) in list(self._legacy.get(uri, {}).items()):
                    if owner not in (None, who):
                        continue
                    try:
                        await session.send_resource_updated(uri)
                    except Exception as exc:  # a connection that went away: forget it
                        log.info("updates: dropping a subscriber of %s (%s)", uri, type(exc).__name__)
                        if self._legacy.get(uri, {}).pop(key, None) is not None:
                            self._count(who, -1)

    async def close(self) -> None:
        if isinstance(self.inner, RedisBus):
            await self.inner.close()
