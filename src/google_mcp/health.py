"""GET /health: the state of Google credentials and of each configured backing service, without secrets."""

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
