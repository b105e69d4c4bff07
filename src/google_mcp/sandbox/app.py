"""The sandbox as an ASGI app: Google's API surface, OAuth, batches, push, and a control surface."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote
from zoneinfo import ZoneInfo

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from google_mcp import quota

from .batch import parse_batch, render_batch
from .calendar import CalendarStore
from .calendar_api import CalendarApi
from .docs_api import DocsApi
from .docstore import DocStore
from .drive_api import DriveApi
from .errors import ApiError
from .gmail_api import GmailApi
from .mail import Mailbox
from .oauth import ALL_SCOPES, Grant, OAuth, OAuthError
from .routing import Call, Reply, Router

log = logging.getLogger("google_mcp.sandbox")

ACCOUNT = "alex.morgan@example.com"
ACCOUNT_NAME = "Alex Morgan"
TIME_ZONE = "America/New_York"


@dataclass
class Fault:
    method: str | None
    path_regex: re.Pattern[str]
    status: int
    count: int
    retry_after: int | None
    delay_ms: int


class Sandbox:
    """All state of one fake Google account, and the dispatcher in front of it."""

    def __init__(self, seed: str = "default", latency_ms: int = 0, now: datetime | None = None) -> None:
        self.fixed_now = now
        self.tz = ZoneInfo(TIME_ZONE)
        self.latency_ms = latency_ms
        self.quota: quota.Bucket | None = None  # Gmail's per-user quota, when turned on (/_sandbox/quota)
        self.push_url: str | None = None
        self.oauth = OAuth()
        self.refresh_token = ""
        self.gmail = GmailApi(self)
        self.cal_api = CalendarApi(self)
        self.router = Router()
        self.docs_api = DocsApi(self)
        self.drive_api = DriveApi(self)
        for api in (self.gmail, self.cal_api, self.docs_api, self.drive_api):
            api.register(self.router)
        self._tasks: set[asyncio.Task[Any]] = set()
        self.reset(seed)

    def reset(self, seed: str = "default") -> None:
        if seed not in ("default", "empty"):
            raise ValueError(f"unknown seed {seed!r}: use default or empty")
        self.seed = seed
        # the account's client and refresh token survive a reset (a revoked one is restored)
        self.oauth = OAuth(client_id=self.oauth.client_id, client_secret=self.oauth.client_secret)
        self.refresh_token = self.refresh_token or self.oauth.new_refresh_token()
        self.oauth.refresh_tokens[self.refresh_token] = Grant(frozenset(ALL_SCOPES))
        self.mailbox = Mailbox(ACCOUNT)
        self.calendar = CalendarStore(ACCOUNT, ACCOUNT_NAME, TIME_ZONE)
        self.calendar.generation = int(time.time() * 1000)
        self.docs = DocStore((ACCOUNT_NAME, ACCOUNT))
        self.requests: list[dict[str, Any]] = []
        self.pushes: list[dict[str, Any]] = []
        self.faults: list[Fault] = []
        self.mailbox.listeners.append(self._mail_changed)
        from .seed import seed_calendar, seed_mailbox
        from .seed_docs import seed_docs

        seed_mailbox(self, full=seed == "default")
        seed_calendar(self, full=seed == "default")
        seed_docs(self, full=seed == "default")

    # clock ---------------------------------------------------------------
    def now(self) -> datetime:
        return self.fixed_now or datetime.now(UTC)

    def now_ms(self) -> int:
        return int(self.now().timestamp() * 1000)

    # dispatch ------------------------------------------------------------
    def _fault_for(self, call: Call) -> Fault | None:
        for fault in self.faults:
            if fault.count > 0 and (fault.method in (None, call.method)) and fault.path_regex.search(call.path):
                fault.count -= 1
                return fault
        return None

    async def dispatch(self, call: Call, outer_auth: str | None, batch: bool) -> Reply:
        started = time.perf_counter()
        try:
            fault = self._fault_for(call)
            if fault and fault.delay_ms:
                await asyncio.sleep(fault.delay_ms / 1000)
            if fault and fault.status:
                headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
                message = {429: "Rate Limit Exceeded", 403: "User Rate Limit Exceeded"}.get(
                    fault.status, "Backend Error" if fault.status >= 500 else "Injected fault"
                )
                reason = "userRateLimitExceeded" if fault.status == 403 else None
                raise ApiError(fault.status, message, reason, headers=headers)
            handler, params, scopes = self.router.match(call.method, call.path)
            call.params = params
            call.scopes = self.oauth.check(call.headers.get("authorization") or outer_auth, scopes)
            method_id = getattr(handler, "method_id", "")
            if self.quota is not None and method_id and not self.quota.take(quota.units(method_id)):
                raise ApiError(429, "User-rate limit exceeded.", "userRateLimitExceeded")
            result = handler(call)
            reply = result if isinstance(result, Reply) else Reply(200, result)
        except ApiError as exc:
            reply = Reply(exc.code, exc.body(), exc.headers)
        except Exception:  # a bug of ours must still look like Google's 500, and be visible
            log.exception("sandbox handler failed for %s %s", call.method, call.path)
            err = ApiError(500, "Internal error encountered.", "backendError")
            reply = Reply(500, err.body())
        self.requests.append(
            {
                "method": call.method,
                "path": call.path,
                "query": {k: v if len(v) > 1 else v[0] for k, v in call.query.items()},
                "status": reply.status,
                "time": datetime.now(UTC).isoformat(),
                "duration_ms": round((time.perf_counter() - started) * 1000, 3),
                "batch": batch,
            }
        )
        return reply

    # push ----------------------------------------------------------------
    def _spawn(self, coro: Any) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            coro.close()
            return
        task = loop.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _post(self, kind: str, url: str, headers: dict[str, str], body: bytes) -> None:
        import httpx2

        entry: dict[str, Any] = {
            "kind": kind,
            "url": url,
            "headers": headers,
            "time": datetime.now(UTC).isoformat(),
        }
        try:
            async with httpx2.AsyncClient(timeout=10) as client:
                resp = await client.post(url, headers=headers, content=body)
            entry["status"] = resp.status_code
        except Exception as exc:  # a push that fails is recorded, as Pub/Sub would retry it
            entry["error"] = f"{type(exc).__name__}: {exc}"
        self.pushes.append(entry)

    def _mail_changed(self, history_id: int, labels: list[str]) -> None:
        watch = self.mailbox.watch
        if not watch or not self.push_url:
            return
        wanted = set(watch["labelIds"])
        if wanted:
            hit = bool(wanted & set(labels))
            if (watch["labelFilterBehavior"].lower() == "include") != hit:
                return
        data = json.dumps({"emailAddress": self.mailbox.account, "historyId": history_id}).encode()
        msg_id = str(history_id * 7919)
        published = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        envelope = {
            "message": {
                "data": base64.b64encode(data).decode(),
                "messageId": msg_id,
                "message_id": msg_id,
                "publishTime": published,
                "publish_time": published,
                "attributes": {},
            },
            "subscription": "projects/sandbox/subscriptions/gmail-push",
        }
        self._spawn(
            self._post("gmail", self.push_url, {"content-type": "application/json"}, json.dumps(envelope).encode())
        )

    def _channel_headers(self, channel: dict[str, Any], state: str) -> dict[str, str]:
        headers = {
            "X-Goog-Channel-ID": channel["id"],
            "X-Goog-Resource-ID": channel["resourceId"],
            "X-Goog-Resource-URI": channel["resourceUri"],
            "X-Goog-Resource-State": state,
            "X-Goog-Message-Number": str(channel["n"]),
            "X-Goog-Channel-Expiration": datetime.fromtimestamp(int(channel["expiration"]) / 1000, UTC).strftime(
                "%a, %d %b %Y %H:%M:%S GMT"
            ),
        }
        if channel.get("token"):
            headers["X-Goog-Channel-Token"] = channel["token"]
        channel["n"] += 1
        return headers

    def channel_sync(self, channel_id: str) -> None:
        channel = self.calendar.channels[channel_id]
        self._spawn(self._post("calendar", channel["address"], self._channel_headers(channel, "sync"), b""))

    def calendar_changed(self, calendar_id: str) -> None:
        for channel in list(self.calendar.channels.values()):
            if channel["calendarId"] == calendar_id:
                self._spawn(self._post("calendar", channel["address"], self._channel_headers(channel, "exists"), b""))

    def credentials(self, scopes: tuple[str, ...] | None = None) -> dict[str, Any]:
        token = self.refresh_token if scopes is None else self.oauth.new_refresh_token(scopes)
        return {
            "client_id": self.oauth.client_id,
            "client_secret": self.oauth.client_secret,
            "refresh_token": token,
            "scopes": list(scopes or ALL_SCOPES),
            "account": self.mailbox.account,
        }


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
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
            return RedirectResponse(sb.oauth.authorize(dict(request.query_params)), status_code=302)
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

    async def set_latency(request: Request) -> Response:
        body = await _body(request)
        ms = body.get("ms")
        if not isinstance(ms, int) or ms < 0:
            return _json({"error": "ms must be a non-negative integer"}, 400)
        sb.latency_ms = ms
        return _json({"ms": ms})

    async def set_quota(request: Request) -> Response:
        """{"units_per_second": 250} charges Gmail's quota units per method and answers 429 past it; 0 turns it off."""
        body = await _body(request)
        rate = body.get("units_per_second")
        if not isinstance(rate, int) or rate < 0:
            return _json({"error": "units_per_second must be a non-negative integer"}, 400)
        sb.quota = quota.Bucket(rate) if rate else None
        return _json({"units_per_second": rate})

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
        return _json({"url": url})

    async def credentials(request: Request) -> Response:
        base = str(request.base_url).rstrip("/")
        scopes = request.query_params.get("scopes")
        creds = sb.credentials(tuple(scopes.split()) if scopes else None)
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
            Route("/_sandbox/quota", set_quota, methods=["POST"]),
            Route("/_sandbox/faults", faults, methods=["POST", "DELETE"]),
            Route("/_sandbox/push-endpoint", push_endpoint, methods=["POST"]),
            Route("/_sandbox/credentials", credentials, methods=["GET"]),
            Route("/_sandbox/pushes", pushes, methods=["GET"]),
            Route("/_sandbox/notifications", notifications, methods=["GET"]),
            Route("/_sandbox/token-lifetime", token_lifetime, methods=["POST"]),
            Route("/_sandbox/expire-tokens", expire_tokens, methods=["POST"]),
            Route("/_sandbox/health", health, methods=["GET"]),
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
