"""GET /health: the state of Google credentials and of each configured backing service, without secrets;
/health/live and /health/ready for a balancer."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import anyio.to_thread

from google_mcp import __version__
from google_mcp.state import AppState


def _google(state: AppState) -> dict[str, Any]:
    settings = state.settings
    if settings.sandbox:
        return {"ok": True, "mode": "sandbox (in-process)"}
    if settings.sandbox_url:
        try:
            with urllib.request.urlopen(settings.sandbox_url.rstrip("/") + "/_sandbox/health", timeout=3) as r:  # noqa: S310
                json.load(r)
            return {"ok": True, "mode": "sandbox", "url": settings.sandbox_url}
        except OSError as exc:
            return {"ok": False, "mode": "sandbox", "error": type(exc).__name__}
    if not settings.token_file.exists():
        return {"ok": False, "mode": "google", "error": "not signed in: run `google-mcp auth`"}
    return {"ok": True, "mode": "google", "token_file": "present"}


async def health_report(state: AppState) -> dict[str, Any]:
    services: dict[str, Any] = {"google": await anyio.to_thread.run_sync(_google, state)}
    services.update(await state.gate.health())
    router = state.extras.get("router")
    if router is not None:
        services["router"] = router.conversations.health()
    ok = all(s.get("ok", True) for s in services.values())
    return {"status": "ok" if ok else "degraded", "version": __version__, "services": services}


READY_FOR = 1.0  # seconds a readiness answer is reused: a balancer's checks cost one look a second
READY_WITHIN = 2.0  # seconds the look may take; slower is not ready


class Readiness:
    """GET /health/ready: Redis (the pending store) and the record answer, within READY_WITHIN seconds,
    and the process is not draining. The answer is kept READY_FOR seconds, so checks stay cheap."""

    def __init__(self, state: AppState) -> None:
        self.state = state
        self._at = -READY_FOR
        self._report: dict[str, Any] = {}
        self._lock = anyio.Lock()

    async def report(self) -> dict[str, Any]:
        if self.state.drain.draining:
            return {"ready": False, "reason": "draining: this server is shutting down"}
        async with self._lock:  # many checks at once: one look
            if anyio.current_time() - self._at >= READY_FOR:
                self._report = await self._look()
                self._at = anyio.current_time()
            return self._report

    async def _look(self) -> dict[str, Any]:
        gate = self.state.gate
        found: dict[str, Any] = {}
        with anyio.move_on_after(READY_WITHIN):
            found["pending_store"] = bool((await gate.store.health()).get("ok"))
            found["record"] = bool((await gate.journal.health()).get("ok", True))
        for part in ("pending_store", "record"):
            found.setdefault(part, False)  # it did not answer in time
        down = [part for part, ok in found.items() if not ok]
        if down:
            return {"ready": False, "reason": f"not answering: {', '.join(down)}", **found}
        return {"ready": True, **found}
