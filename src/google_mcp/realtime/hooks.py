"""Where Google pushes: POST /hooks/gmail (Pub/Sub push envelopes, each with an OIDC token Google
signed) and POST /hooks/calendar (channel notifications, each naming a channel we opened and carrying
its token). A push only says "something changed": what changed is read from Google, so a forged push
could at most cost a read — and forged pushes are refused before that (401 unverified, 404 unknown).
Replays cost no read either: a calendar notification must carry a message number past the channel's
last one, and a Gmail push must announce a history id the mailbox really reached (sync.py).
The answer comes at once; the read runs after it.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import logging
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from google_mcp.realtime.store import MESSAGE_NUMBER
from google_mcp.registry import Server
from google_mcp.settings import Settings

log = logging.getLogger(__name__)

ISSUERS = ("accounts.google.com", "https://accounts.google.com")
REFETCH_AFTER = 60.0  # seconds between certificate fetches for a key id we do not know (a rotation)


class PushRejected(Exception):
    """A push that is not Google's, for the watch we opened."""


class PushVerifier:
    """Google's OIDC token on a Pub/Sub push: signature against the certificates at `certs_url` (cached as
    long as Google says), then audience, issuer, and the push subscription's service account."""

    def __init__(self, certs_url: str, audience: str, account: str | None, timeout: float) -> None:
        self.certs_url, self.audience, self.account, self.timeout = certs_url, audience, account, timeout
        self._certs: dict[str, str] = {}
        self._fresh_until = 0.0
        self._fetched_at = 0.0

    async def _load(self) -> None:
        import httpx2

        async with httpx2.AsyncClient(timeout=self.timeout) as client:
            response = await client.get(self.certs_url)
        response.raise_for_status()
        self._certs = {str(k): str(v) for k, v in response.json().items()}
        self._fetched_at = time.monotonic()
        max_age = 3600
        for part in response.headers.get("cache-control", "").split(","):
            name, _, value = part.strip().partition("=")
            if name == "max-age" and value.isdigit():
                max_age = int(value)
        self._fresh_until = self._fetched_at + max_age

    async def certs_for(self, key_id: str) -> dict[str, str]:
        now = time.monotonic()
        if now >= self._fresh_until or (key_id not in self._certs and now - self._fetched_at >= REFETCH_AFTER):
            await self._load()
        return self._certs

    async def verify(self, authorization: str | None) -> dict[str, Any]:
        from google.auth import exceptions, jwt

        if not authorization or not authorization.lower().startswith("bearer "):
            raise PushRejected("no bearer token")
        token = authorization[7:].strip()
        try:
            header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "==="))
            certs = await self.certs_for(str(header.get("kid", "")))
            claims = dict(jwt.decode(token, certs=certs, audience=self.audience, clock_skew_in_seconds=30))
        except (ValueError, IndexError, binascii.Error, exceptions.GoogleAuthError) as exc:
            raise PushRejected(f"token not verified: {exc}") from None
        if claims.get("iss") not in ISSUERS:
            raise PushRejected("token not issued by Google")
        if self.account is None or claims.get("email") != self.account or claims.get("email_verified") is not True:
            raise PushRejected("token not from the push subscription's service account")
        return claims


def register(server: Server, settings: Settings, realtime: Any) -> None:
    """The two push receivers on the HTTP app (only where Google can reach it: GOOGLE_MCP_PUBLIC_URL)."""

    def refuse(status: int, why: str) -> JSONResponse:
        log.warning("push refused (%s): %s", status, why)
        return JSONResponse({"error": why}, status_code=status)

    @server.custom_route("/hooks/gmail", methods=["POST"])  # type: ignore[untyped-decorator]
    async def gmail_push(request: Request) -> Response:
        try:
            await realtime.verifier().verify(request.headers.get("authorization"))
        except PushRejected as exc:
            return refuse(401, str(exc))
        except Exception as exc:  # the certificates could not be read: Pub/Sub retries a 5xx later
            return refuse(503, f"cannot check the push now ({type(exc).__name__})")
        try:
            envelope = json.loads(await request.body())
            data = json.loads(base64.b64decode(envelope["message"]["data"]))
            address, history_id = str(data["emailAddress"]).lower(), int(data["historyId"])
        except (ValueError, KeyError, TypeError, binascii.Error):
            return refuse(400, "not a Gmail push envelope")
        if address != await realtime.mailbox():
            return refuse(404, "no watch for that mailbox here")
        realtime.soon(realtime.sync.gmail, history_id)
        return Response(status_code=204)

    @server.custom_route("/hooks/calendar", methods=["POST"])  # type: ignore[untyped-decorator]
    async def calendar_push(request: Request) -> Response:
        channel_id = request.headers.get("x-goog-channel-id", "")
        channel = await realtime.store.get("channel:" + channel_id) if channel_id else None
        if not isinstance(channel, dict):
            return refuse(404, "unknown channel")
        given = request.headers.get("x-goog-channel-token")
        if given is None:
            return refuse(401, "no channel token")
        if not hmac.compare_digest(given.encode(), str(channel["token"]).encode()):
            return refuse(401, "wrong channel token")
        if request.headers.get("x-goog-resource-id") != channel.get("resource_id"):
            return refuse(401, "not the channel's resource")
        try:
            number = int(request.headers.get("x-goog-message-number", ""))
        except ValueError:
            return refuse(400, "no message number")
        # Google numbers a channel's messages in increasing order: one not past the last seen is a replay
        # (or a late duplicate). It is acknowledged, as Google retries what is not, and costs no read.
        if not await realtime.store.advance(MESSAGE_NUMBER + channel_id, number):
            return Response(status_code=200)
        if request.headers.get("x-goog-resource-state") != "sync":  # 'sync' only says the channel is open
            realtime.soon(realtime.sync.calendar, channel["calendar_id"])
        return Response(status_code=200)
