"""Real time, put together once per server: the store, the update bus, the sync, the watches, the push
verifier, and the tasks that run for the server's life (the Redis subscription, the poller, renewals)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
from anyio.abc import TaskGroup
from mcp.server.subscriptions import InMemorySubscriptionBus

from google_mcp.errors import GoogleMCPError, InvalidInput
from google_mcp.realtime.hooks import PushVerifier
from google_mcp.realtime.store import open_store
from google_mcp.realtime.sync import Sync
from google_mcp.realtime.updates import RedisBus, Updates
from google_mcp.realtime.watches import Watches
from google_mcp.state import AppState

log = logging.getLogger(__name__)

GOOGLE_CERTS = "https://www.googleapis.com/oauth2/v1/certs"
SANDBOX_TOPIC = "projects/sandbox-project/topics/gmail"


class Realtime:
    def __init__(self, state: AppState) -> None:
        settings = state.settings
        url = settings.redis_url.get_secret_value() if settings.redis_url else None
        self.state = state
        self.store = open_store(url)
        self.updates = Updates(RedisBus(url) if url else InMemorySubscriptionBus())
        self.bus = self.updates.bus  # what the SDK's listen streams subscribe to: each person's own updates
        self.sync = Sync(state, self.store, self.updates)
        self.watches = Watches(state, self.store, self.sync, self.topic)
        self._verifier: PushVerifier | None = None
        self._tg: TaskGroup | None = None

    # what the hooks need ---------------------------------------------------------------------
    def verifier(self) -> PushVerifier:
        if self._verifier is None:
            s = self.state.settings
            sandbox = self.state.sandbox_url
            certs = s.push_certs_url or (sandbox.rstrip("/") + "/oauth2/v1/certs" if sandbox else GOOGLE_CERTS)
            account = s.push_service_account
            if account is None and sandbox:
                from google_mcp.sandbox.pushsign import SERVICE_ACCOUNT

                account = SERVICE_ACCOUNT
            audience = s.push_audience or (s.public_url or "").rstrip("/") + "/hooks/gmail"
            self._verifier = PushVerifier(certs, audience, account, s.http_timeout)
        return self._verifier

    def topic(self) -> str:
        s = self.state.settings
        if s.pubsub_topic:
            return s.pubsub_topic
        if s.sandbox or s.sandbox_url:
            return SANDBOX_TOPIC
        raise InvalidInput(
            "A Gmail watch publishes to a Pub/Sub topic: set GOOGLE_MCP_PUBSUB_TOPIC=projects/P/topics/T "
            "(its push subscription points at GOOGLE_MCP_PUBLIC_URL/hooks/gmail)."
        )

    async def mailbox(self) -> str:
        return await self.state.gmail.my_address()

    def soon(self, fn: Callable[..., Awaitable[Any]], *args: Any) -> None:
        """Run after the answer: a push is acknowledged at once, its read happens here."""
        if self._tg is None:
            raise RuntimeError("real time is not running")
        self._tg.start_soon(self._guarded, fn, *args)

    async def _guarded(self, fn: Callable[..., Awaitable[Any]], *args: Any) -> None:
        try:
            await fn(*args)
        except GoogleMCPError as exc:
            log.warning("real time: %s", exc)
        except Exception:  # a push must never take the server down
            log.exception("real time: a push could not be handled")

    # the server's life -----------------------------------------------------------------------
    async def run(self, *, task_status: Any = anyio.TASK_STATUS_IGNORED) -> None:
        settings = self.state.settings
        async with anyio.create_task_group() as tg:
            self._tg = tg
            tg.start_soon(self.updates.run)
            if settings.oauth and settings.watch:
                log.warning("real time: watches serve one person's account; off with GOOGLE_MCP_OAUTH (polling works)")
            if settings.poll_seconds > 0:
                from google_mcp.realtime.poller import poll

                tg.start_soon(poll, self.state, self.updates, self.sync, settings.poll_seconds)
            if not settings.oauth and (settings.watch or settings.public_url):
                tg.start_soon(self.watches.run, settings.watch_renew_seconds)
            task_status.started()

    async def close(self) -> None:
        with anyio.move_on_after(10, shield=True):
            await self.watches.shutdown()
        await self.updates.close()
        await self.store.close()
