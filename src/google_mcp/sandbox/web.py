"""The sandbox over HTTP (ASGI): Google's API surface, OAuth, batches, and the /_sandbox control surface."""

from __future__ import annotations

import asyncio
import base64
import json
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote
from zoneinfo import available_timezones

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from google_mcp import quota

from .app import Fault, Sandbox
from .batch import parse_batch, render_batch
from .errors import ApiError
from .oauth import OAuthError
from .pushsign import SERVICE_ACCOUNT
from .routing import Call, Reply


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    if isinstance(body, bytes):  # media: a download or an export
        kind = (headers or {}).get("content-type", "application/octet-stream")
        return Response(body, status_code=status, headers=headers, media_type=kind)
    if body is None:
        return Response(status_code=status, headers=headers)
    return JSONResponse(body, status_code=status, headers=headers, media_type="application/json; charset=UTF-8")


def create_app(sandbox: Sandbox | None = None) -> _ControlCharGuard:
    sb = sandbox or Sandbox()

    async def latency() -> None:
        if sb.latency_ms:
            await asyncio.sleep(sb.latency_ms / 1000)

    async def api(request: Request) -> Response:
        await latency()
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        call = Call.build(
            request.method, target, {k.lower(): v for k, v in request.headers.items()}, await request.body()
        )
        reply = await sb.dispatch(call, None, False)
        return _json(reply.body, reply.status, reply.headers)

    async def batch(request: Request) -> Response:
        await latency()
        body = await request.body()
        service = request.path_params["service"]
        try:
            parts = parse_batch(request.headers.get("content-type", ""), body)
            sb.oauth.check(request.headers.get("authorization"), ())
        except ApiError as exc:
            return _json(exc.body(), exc.code, exc.headers)
        replies = []
        for content_id, call in parts:
            if not call.path.startswith(f"/{service}/"):
                err = ApiError(400, f"Batch part {call.path} does not belong to /batch/{service}.")
                replies.append((content_id, Reply(400, err.body())))
                continue
            replies.append((content_id, await sb.dispatch(call, request.headers.get("authorization"), True)))
        sb.requests.append(
            {
                "method": "POST",
                "path": request.url.path,
                "query": {},
                "status": 200,
                "time": datetime.now(UTC).isoformat(),
                "batch": False,
                "parts": len(parts),
            }
        )
        ctype, payload = render_batch(replies)
        return Response(payload, media_type=None, headers={"content-type": ctype})

    async def authorize(request: Request) -> Response:
        try:
            where = sb.oauth.authorize(dict(request.query_params), tuple(sb.accounts))
            return RedirectResponse(where, status_code=302)
        except OAuthError as exc:
            return _json(exc.body(), exc.status)

    async def token(request: Request) -> Response:
        form = {k: str(v) for k, v in (await request.form()).items()}
        basic = request.headers.get("authorization", "")
        if basic.lower().startswith("basic "):  # client credentials may come as HTTP Basic, as Google allows
            try:
                user, _, secret = base64.b64decode(basic[6:]).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                user, secret = "", ""
            form.setdefault("client_id", unquote(user))
            form.setdefault("client_secret", unquote(secret))
        try:
            return _json(sb.oauth.token(form))
        except OAuthError as exc:
            return _json(exc.body(), exc.status)

    async def revoke(request: Request) -> Response:
        form = {k: str(v) for k, v in (await request.form()).items()}
        value = request.query_params.get("token") or form.get("token", "")
        try:
            sb.oauth.revoke(value)
        except OAuthError as exc:
            return _json(exc.body(), exc.status)
        return _json({})

    # control surface -------------------------------------------------------
    async def get_requests(request: Request) -> Response:
        return _json({"requests": sb.requests})

    async def reset(request: Request) -> Response:
        body = await _body(request)
        try:
            sb.reset(body.get("seed", sb.seed))
        except ValueError as exc:
            return _json({"error": str(exc)}, 400)
        return _json({"ok": True, "seed": sb.seed})

    async def set_time_zone(request: Request) -> Response:
        """{"time_zone": "Pacific/Auckland"}: the zone the accounts' calendar settings give (until a reset)."""
        name = (await _body(request)).get("time_zone")
        if not isinstance(name, str) or name not in available_timezones():
            return _json({"error": "time_zone must be an IANA zone name"}, 400)
        for account in sb.accounts.values():
            account.calendar.time_zone = name
        return _json({"time_zone": name})

    async def set_latency(request: Request) -> Response:
        body = await _body(request)
        ms = body.get("ms")
        if not isinstance(ms, int) or ms < 0:
            return _json({"error": "ms must be a non-negative integer"}, 400)
        sb.latency_ms = ms
        return _json({"ms": ms})

    async def set_quota(request: Request) -> Response:
        """{"units_per_second": 250} charges Gmail's quota units per method and answers 429 once a window
        (`window_seconds`, Google's minute by default) holds rate × window units; 0 turns it off."""
        body = await _body(request)
        if "drive_queries_per_minute" in body:  # Drive's: every request one query, 12,000 a minute by default
            per_minute = body["drive_queries_per_minute"]
            if not isinstance(per_minute, int) or per_minute < 0:
                return _json({"error": "drive_queries_per_minute must be a non-negative integer"}, 400)
            sb.drive_quota = quota.Window(per_minute / 60, 60.0) if per_minute else None
            return _json({"drive_queries_per_minute": per_minute})
        rate, window = body.get("units_per_second"), body.get("window_seconds", quota.WINDOW_SECONDS)
        if not isinstance(rate, int) or rate < 0:
            return _json({"error": "units_per_second must be a non-negative integer"}, 400)
        if not isinstance(window, int | float) or window <= 0:
            return _json({"error": "window_seconds must be a positive number"}, 400)
        sb.quota = quota.Window(rate, float(window)) if rate else None
        sheets = body.get("sheets_per_minute", 0)  # Sheets' own quota: requests per minute per user; 0: off
        sb.sheets_api.per_minute = sheets if isinstance(sheets, int) and sheets > 0 else 0
        return _json({"units_per_second": rate, "window_seconds": window, "sheets_per_minute": sheets})

    async def faults(request: Request) -> Response:
        if request.method == "DELETE":
            sb.faults.clear()
            return _json({"faults": []})
        body = await _body(request)
        try:
            fault = Fault(
                method=(body.get("method") or None) and str(body["method"]).upper(),
                path_regex=re.compile(str(body.get("path_regex", ".*"))),
                status=int(body.get("status", 0)),
                count=int(body.get("count", 1)),
                retry_after=None if body.get("retry_after") is None else int(body["retry_after"]),
                delay_ms=int(body.get("delay_ms", 0)),
            )
        except (re.error, TypeError, ValueError) as exc:
            return _json({"error": f"bad fault: {exc}"}, 400)
        if not fault.status and not fault.delay_ms:
            return _json({"error": "a fault needs a status or a delay_ms"}, 400)
        sb.faults.append(fault)
        return _json({"faults": len(sb.faults)})

    async def push_endpoint(request: Request) -> Response:
        body = await _body(request)
        url = body.get("url")
        if url is not None and not (isinstance(url, str) and url.startswith(("http://", "https://"))):
            return _json({"error": "url must be an http(s) URL or null"}, 400)
        sb.push_url = url
        # what a Pub/Sub push subscription is configured with: its audience and its service account
        sb.push_audience = body.get("audience") or None
        sb.push_account = body.get("service_account") or SERVICE_ACCOUNT
        return _json({"url": url, "audience": sb.push_audience or url, "service_account": sb.push_account})

    async def certs(request: Request) -> Response:
        return JSONResponse(sb.signer.certs(), headers={"Cache-Control": "public, max-age=3600"})

    async def credentials(request: Request) -> Response:
        base = str(request.base_url).rstrip("/")
        scopes = request.query_params.get("scopes")
        try:
            creds = sb.credentials(tuple(scopes.split()) if scopes else None, request.query_params.get("account"))
        except ValueError as exc:
            return _json({"error": str(exc)}, 404)
        creds.update(
            {
                "token_uri": base + "/token",
                "auth_uri": base + "/o/oauth2/auth",
                "revoke_uri": base + "/revoke",
                "api_endpoint": base,
            }
        )
        return _json(creds)

    async def pushes(request: Request) -> Response:
        return _json({"pushes": sb.pushes})

    async def notifications(request: Request) -> Response:
        return _json({"notifications": sb.calendar.notifications})

    async def token_lifetime(request: Request) -> Response:
        body = await _body(request)
        sb.oauth.token_lifetime = int(body.get("seconds", 3600))
        return _json({"seconds": sb.oauth.token_lifetime})

    async def rotate_refresh_tokens(request: Request) -> Response:
        body = await _body(request)
        sb.oauth.rotate = bool(body.get("on", True))
        return _json({"rotate": sb.oauth.rotate})

    async def id_token(request: Request) -> Response:
        """What the next ID tokens claim beyond the truth ({"aud": "another-app"}, {"hd": null}); {} resets."""
        sb.oauth.id_claims = dict(await _body(request))
        return _json({"id_claims": sb.oauth.id_claims})

    async def expire_tokens(request: Request) -> Response:
        sb.oauth.access_tokens.clear()
        return _json({"expired": True})

    async def health(request: Request) -> Response:
        return _json({"status": "ok", "account": sb.mailbox.account, "messages": len(sb.mailbox.messages)})

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
    app = Starlette(
        routes=[
            Route("/_sandbox/requests", get_requests, methods=["GET"]),
            Route("/_sandbox/reset", reset, methods=["POST"]),
            Route("/_sandbox/latency", set_latency, methods=["POST"]),
            Route("/_sandbox/time-zone", set_time_zone, methods=["POST"]),
            Route("/_sandbox/quota", set_quota, methods=["POST"]),
            Route("/_sandbox/faults", faults, methods=["POST", "DELETE"]),
            Route("/_sandbox/push-endpoint", push_endpoint, methods=["POST"]),
            Route("/_sandbox/credentials", credentials, methods=["GET"]),
            Route("/_sandbox/pushes", pushes, methods=["GET"]),
            Route("/_sandbox/notifications", notifications, methods=["GET"]),
            Route("/_sandbox/token-lifetime", token_lifetime, methods=["POST"]),
            Route("/_sandbox/expire-tokens", expire_tokens, methods=["POST"]),
            Route("/_sandbox/id-token", id_token, methods=["POST"]),
            Route("/_sandbox/rotate-refresh-tokens", rotate_refresh_tokens, methods=["POST"]),
            Route("/_sandbox/health", health, methods=["GET"]),
            Route("/oauth2/v1/certs", certs, methods=["GET"]),
            Route("/o/oauth2/auth", authorize, methods=["GET"]),
            Route("/token", token, methods=["POST"]),
            Route("/revoke", revoke, methods=["POST"]),
            Route("/batch/{service:str}/{version:str}", batch, methods=["POST"]),
            Route("/{path:path}", api, methods=methods),
        ]
    )
    app.state.sandbox = sb
    return _ControlCharGuard(app)


class _ControlCharGuard:
    """Starlette's path patterns stop at a newline; answer such paths as Google does, not in plain text."""

    def __init__(self, app: Starlette) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and any(ord(ch) < 32 for ch in scope.get("path", "")):
            err = ApiError(404, "The requested URL was not found on this server.")
            await _json(err.body(), 404)(scope, receive, send)
            return
        await self.app(scope, receive, send)


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
