"""'This resource changed', to every client that asked, on every process: the 2026-07-28
`subscriptions/listen` streams (the SDK's subscription bus) and sessions that sent the 2025
`resources/subscribe`. With Redis the bus runs over Redis pub/sub, so an update published by the process
a push landed on reaches clients connected to any other; without it, in process."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import anyio
from mcp import types
from mcp.server.subscriptions import InMemorySubscriptionBus, ResourceUpdated, ServerEvent

log = logging.getLogger(__name__)

CHANNEL = "google_mcp:updates"


class RedisBus:
    """A `SubscriptionBus` over Redis pub/sub: resource updates go through Redis to every process (this
    one included) and are handed to local listeners as they arrive; other events stay local."""

    def __init__(self, url: str) -> None:
        import redis.asyncio as aioredis

        from google_mcp.pending import redis_client

        self.redis = redis_client(url)
        # the subscriber waits for messages indefinitely: no read timeout on its connection
        self._listen = aioredis.Redis.from_url(url, decode_responses=True, socket_connect_timeout=3)
        self.local = InMemorySubscriptionBus()
        self.ready = anyio.Event()

    async def publish(self, event: ServerEvent) -> None:
        if isinstance(event, ResourceUpdated):
            await self.redis.publish(CHANNEL, event.uri)
        else:
            await self.local.publish(event)

    def subscribe(self, listener: Callable[[ServerEvent], None]) -> Callable[[], None]:
        return self.local.subscribe(listener)

    async def run(self) -> None:
        """Deliver what arrives from Redis until cancelled; reconnect after Redis goes away."""
        from redis.exceptions import RedisError

        while True:
            try:
                async with self._listen.pubsub() as pubsub:
                    await pubsub.subscribe(CHANNEL)
                    self.ready.set()
                    async for message in pubsub.listen():
                        if message.get("type") == "message":
                            await self.local.publish(ResourceUpdated(uri=str(message["data"])))
            except (RedisError, OSError) as exc:
                log.warning("updates: Redis subscription lost (%s); reconnecting", type(exc).__name__)
                await anyio.sleep(1)

    async def close(self) -> None:
        await self._listen.aclose()
        await self.redis.aclose()


class Updates:
    def __init__(self, bus: Any) -> None:
        self.bus = bus
        self._legacy: dict[str, dict[int, Any]] = {}  # uri -> connection id -> a session on that connection
        self._send: Any = None  # while run() runs: where updates for 2025 subscribers wait to be sent
        bus.subscribe(self._arrived)

    async def subscribe(self, ctx: Any, params: types.SubscribeRequestParams) -> types.EmptyResult:
        session = ctx.session
        self._legacy.setdefault(str(params.uri), {})[id(getattr(session, "_connection", session))] = session
        return types.EmptyResult()

    async def unsubscribe(self, ctx: Any, params: types.UnsubscribeRequestParams) -> types.EmptyResult:
        session = ctx.session
        self._legacy.get(str(params.uri), {}).pop(id(getattr(session, "_connection", session)), None)
        return types.EmptyResult()

    async def publish(self, uri: str) -> None:
        """Once per change, whichever process saw it."""
        await self.bus.publish(ResourceUpdated(uri=uri))

    def _arrived(self, event: ServerEvent) -> None:  # a bus listener: synchronous, never raises
        if isinstance(event, ResourceUpdated) and self._legacy.get(event.uri) and self._send is not None:
            try:
                self._send.send_nowait(event.uri)
            except anyio.WouldBlock:
                log.warning("updates: 2025 subscribers are behind; dropping an update of %s", event.uri)

    async def run(self) -> None:
        """Send each update that arrived to the 2025 sessions subscribed to it (runs for the server's life)."""
        send, pending = anyio.create_memory_object_stream[str](1024)
        self._send = send
        async with send, pending, anyio.create_task_group() as tg:
            if isinstance(self.bus, RedisBus):
                tg.start_soon(self.bus.run)
            async for uri in pending:
                for key, session in list(self._legacy.get(uri, {}).items()):
                    try:
                        await session.send_resource_updated(uri)
                    except Exception as exc:  # a connection that went away: forget it
                        log.info("updates: dropping a subscriber of %s (%s)", uri, type(exc).__name__)
                        self._legacy.get(uri, {}).pop(key, None)

    async def close(self) -> None:
        if isinstance(self.bus, RedisBus):
            await self.bus.close()
