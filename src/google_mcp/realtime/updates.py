"""'This resource changed', to every client that asked: sessions that sent the 2025 `resources/subscribe`,
and the 2026-07-28 `subscriptions/listen` streams (the SDK's subscription bus)."""

from __future__ import annotations

import logging
from typing import Any

from mcp import types
from mcp.server.subscriptions import ResourceUpdated, SubscriptionBus

log = logging.getLogger(__name__)


class Updates:
    def __init__(self, bus: SubscriptionBus) -> None:
        self.bus = bus
        self._legacy: dict[str, dict[int, Any]] = {}  # uri -> connection id -> a session on that connection

    async def subscribe(self, ctx: Any, params: types.SubscribeRequestParams) -> types.EmptyResult:
        session = ctx.session
        self._legacy.setdefault(str(params.uri), {})[id(getattr(session, "_connection", session))] = session
        return types.EmptyResult()

    async def unsubscribe(self, ctx: Any, params: types.UnsubscribeRequestParams) -> types.EmptyResult:
        session = ctx.session
        self._legacy.get(str(params.uri), {}).pop(id(getattr(session, "_connection", session)), None)
        return types.EmptyResult()

    async def publish(self, uri: str) -> None:
        """Once per change: to the listen streams through the bus, and to each subscribed 2025 connection."""
        await self.bus.publish(ResourceUpdated(uri=uri))
        for key, session in list(self._legacy.get(uri, {}).items()):
            try:
                await session.send_resource_updated(uri)
            except Exception as exc:  # a connection that went away: forget it
                log.info("updates: dropping a subscriber of %s (%s)", uri, type(exc).__name__)
                self._legacy.get(uri, {}).pop(key, None)
