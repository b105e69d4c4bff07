"""Our tokens for MCP clients: each redeemed code starts a family (the sign-in), and every access and
refresh token issued from it belongs to it. A family is revoked as one: when its code is presented again
(RFC 6749 §4.1.2: the code leaked), when a refresh token it already rotated is presented again (RFC 9700
§4.14.2: one of two holders is a thief), when the client revokes a token (RFC 7009), or when the person
withdraws the client. Stored by SHA-256 only: the store never holds a token that works."""

from __future__ import annotations

import hashlib
import secrets
import time
from typing import Any

from mcp.server.auth.provider import AccessToken, AuthorizationCode, RefreshToken, TokenError
from mcp.shared.auth import OAuthToken

from google_mcp.people.decisions import Decisions
from google_mcp.people.grants import Grants
from google_mcp.people.kv import KV

ACCESS_TTL = 3600
REFRESH_TTL = 30 * 24 * 3600
CODE_TTL = 300
SPENT_TTL = 24 * 3600  # how long a spent code is remembered, to recognise its replay


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class Tokens:
    def __init__(self, kv: KV, grants: Grants, decisions: Decisions, resource: str) -> None:
        self.kv, self.grants, self.decisions, self.resource = kv, grants, decisions, resource

    async def revoke_family(self, family: str) -> None:
        # a tombstone, not a deletion: a family being created by a racing redemption stays dead
        await self.kv.put("family:" + family, {"revoked": True}, REFRESH_TTL)

    async def _live(self, family: Any) -> bool:
        found = await self.kv.get("family:" + str(family)) if family else None
        return found is not None and not found.get("revoked")

    # codes ----------------------------------------------------------------------------------------
    async def load_code(self, client_id: str, code: str) -> AuthorizationCode | None:
        found = await self.kv.get("code:" + digest(code))
        if found is None:
            spent = await self.kv.get("spent-code:" + digest(code))
            if spent is not None:  # presented again: whoever holds it, what it issued is withdrawn
                await self.revoke_family(str(spent["family"]))
            return None
        if found["client_id"] != client_id:
            return None
        return AuthorizationCode.model_validate(found)

    async def redeem(self, client_id: str, code: AuthorizationCode) -> OAuthToken:
        assert code.subject is not None
        person, key = code.subject, digest(code.code)
        family = digest("family:" + code.code)  # the same for every redemption of this code
        # live before the code is taken, so a racing second redemption's revocation always comes after
        await self.kv.put("family:" + family, {"person": person, "client_id": client_id}, REFRESH_TTL)
        if await self.kv.take("code:" + key) is None:
            await self.revoke_family(family)
            raise TokenError("invalid_grant", "This authorization code was already used: what it gave is revoked.")
        await self.kv.put("spent-code:" + key, {"family": family}, SPENT_TTL)
        if not await self.decisions.add_family(person, client_id, family):
            await self.revoke_family(family)
            raise TokenError("invalid_grant", "The person withdrew this client: ask them to sign in again.")
        return await self._issue(client_id, code.scopes, person, family)

    # tokens ---------------------------------------------------------------------------------------
    async def _issue(self, client_id: str, scopes: list[str], person: str, family: str) -> OAuthToken:
        access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = int(time.time())
        common = {"client_id": client_id, "scopes": scopes, "person": person, "family": family}
        await self.kv.put(
            "access:" + digest(access),
            {**common, "expires": now + ACCESS_TTL, "refresh": digest(refresh)},
            ACCESS_TTL,
        )
        await self.kv.put(
            "refresh:" + digest(refresh),
            {**common, "expires": now + REFRESH_TTL, "access": digest(access)},
            REFRESH_TTL,
        )
        return OAuthToken(access_token=access, expires_in=ACCESS_TTL, scope=" ".join(scopes), refresh_token=refresh)

    async def load_refresh(self, client_id: str, refresh_token: str) -> RefreshToken | None:
        key = digest(refresh_token)
        found = await self.kv.get("refresh:" + key)
        if found is None:
            spent = await self.kv.get("spent-refresh:" + key)
            if spent is not None:  # a rotated one, presented again: the whole family goes
                await self.revoke_family(str(spent["family"]))
            return None
        if found["client_id"] != client_id or not await self._live(found.get("family")):
            return None
        return RefreshToken(
            token=refresh_token,
            client_id=found["client_id"],
            scopes=found["scopes"],
            expires_at=found["expires"],
            resource=self.resource,
            subject=found["person"],
        )

    async def rotate(self, client_id: str, refresh_token: RefreshToken, scopes: list[str]) -> OAuthToken:
        key = digest(refresh_token.token)
        found = await self.kv.take("refresh:" + key)  # rotated: the old one is spent
        if found is None:
            spent = await self.kv.get("spent-refresh:" + key)
            if spent is not None:
                await self.revoke_family(str(spent["family"]))
            raise TokenError("invalid_grant", "This refresh token was already used or revoked.")
        family = str(found["family"])
        await self.kv.put("spent-refresh:" + key, {"family": family}, REFRESH_TTL)
        await self.kv.delete("access:" + str(found["access"]))
        if not await self._live(family):
            raise TokenError("invalid_grant", "This sign-in was revoked: sign in again.")
        if await self.grants.load(str(found["person"])) is None:
            raise TokenError("invalid_grant", "Google access was withdrawn: sign in again.")
        await self.kv.put("family:" + family, {"person": found["person"], "client_id": client_id}, REFRESH_TTL)
        return await self._issue(client_id, scopes or found["scopes"], str(found["person"]), family)

    async def load_access(self, token: str) -> AccessToken | None:
        found = await self.kv.get("access:" + digest(token))
        if found is None or found["expires"] < time.time() or not await self._live(found.get("family")):
            return None
        if await self.grants.load(str(found["person"])) is None:  # Google's grant is gone: sign in again
            return None
        return AccessToken(
            token=token,
            client_id=found["client_id"],
            scopes=found["scopes"],
            expires_at=found["expires"],
            resource=self.resource,
            subject=found["person"],
        )

    async def revoke(self, token: str) -> None:
        """RFC 7009: the token, and with it its family (the tokens of that sign-in)."""
        for kind, other in (("access", "refresh"), ("refresh", "access")):
            found = await self.kv.take(f"{kind}:{digest(token)}")
            if found is not None:
                await self.kv.delete(f"{other}:{found[other]}")
                if found.get("family"):
                    await self.revoke_family(str(found["family"]))
