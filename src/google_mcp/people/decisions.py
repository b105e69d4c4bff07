"""What each person allowed: which MCP clients, at which redirect URIs, and the token families (sign-ins)
each client holds for them, so that withdrawing a client ends its tokens too."""

from __future__ import annotations

import time
from typing import Any

from google_mcp.people.kv import KV


class Decisions:
    def __init__(self, kv: KV) -> None:
        self.kv = kv

    async def _all(self, person: str) -> dict[str, Any]:
        return await self.kv.get("consents:" + person) or {"clients": {}}

    async def allowed(self, person: str, client_id: str, redirect_uri: str) -> bool:
        entry = (await self._all(person))["clients"].get(client_id)
        return entry is not None and redirect_uri in entry["redirect_uris"]

    async def allow(self, person: str, client_id: str, redirect_uri: str, about: dict[str, Any]) -> None:
        stored = await self._all(person)
        entry = stored["clients"].setdefault(client_id, {"redirect_uris": [], "families": [], "since": time.time()})
        if redirect_uri not in entry["redirect_uris"]:
            entry["redirect_uris"].append(redirect_uri)
        entry["about"] = about
        await self.kv.put("consents:" + person, stored)

    async def add_family(self, person: str, client_id: str, family: str) -> bool:
        """Note a new sign-in's tokens under the client; False when the person has not allowed it (withdrawn
        meanwhile): then no tokens are to be issued."""
        stored = await self._all(person)
        entry = stored["clients"].get(client_id)
        if entry is None:
            return False
        live = [f for f in entry["families"] if await self.kv.get("family:" + f) is not None]
        entry["families"] = [*live, family]
        await self.kv.put("consents:" + person, stored)
        return True

    async def listed(self, person: str) -> dict[str, dict[str, Any]]:
        return dict((await self._all(person))["clients"])

    async def forget(self, person: str, client_id: str) -> list[str]:
        """Withdraw the client: the decision goes; its token families are returned (to be revoked)."""
        stored = await self._all(person)
        entry = stored["clients"].pop(client_id, None)
        await self.kv.put("consents:" + person, stored)
        return list(entry["families"]) if entry else []
