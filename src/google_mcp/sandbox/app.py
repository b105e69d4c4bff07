"""The sandbox's state and dispatcher: one fake Google account, its APIs, faults, quota and pushes
(served over HTTP by web.py)."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from google_mcp import quota

from .calendar import CalendarStore
from .calendar_api import CalendarApi
from .chat_api import ChatApi
from .docs_api import DocsApi
from .docstore import DocStore
from .drive_api import DriveApi
from .errors import ApiError
from .gmail_api import GmailApi
from .mail import Mailbox
from .oauth import ALL_SCOPES, Grant, OAuth
from .people import PeopleStore
from .people_api import PeopleApi
from .pushsign import SERVICE_ACCOUNT, PushSigner
from .routing import Call, Reply, Router
from .sheets_api import SheetsApi
from .slides_api import SlidesApi
from .tasks_api import TasksApi

log = logging.getLogger("google_mcp.sandbox")

ACCOUNT = "alex.morgan@example.com"
ACCOUNT_NAME = "Alex Morgan"
TIME_ZONE = "America/New_York"
# a second person, for servers that many people use: their own mailbox, calendars and documents
OTHER = "jordan.lee@example.com"
OTHER_NAME = "Jordan Lee"
PERSONAL = "alex.personal@example.net"  # the first person's personal account, to link beside the work one

_acting: ContextVar[str | None] = ContextVar("sandbox_account", default=None)


@dataclass
class Account:
    address: str
    name: str
    mailbox: Mailbox
    calendar: CalendarStore
    docs: DocStore
    people: PeopleStore


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
        self.quota: quota.Window | None = None  # Gmail's per-user quota, when turned on (/_sandbox/quota)
        self.drive_quota: quota.Window | None = None  # Drive's queries per minute per user, likewise
        self.push_url: str | None = None
        self.push_audience: str | None = None  # the push subscription's audience (default: its URL)
        self.push_account = SERVICE_ACCOUNT
        self.signer = PushSigner()
        self.oauth = OAuth()
        self.refresh_token = ""
        self.gmail = GmailApi(self)
        self.cal_api = CalendarApi(self)
        self.router = Router()
        self.docs_api = DocsApi(self)
        self.drive_api = DriveApi(self)
        self.tasks_api = TasksApi(self)
        self.chat_api = ChatApi(self)
        self.sheets_api, self.slides_api = SheetsApi(self), SlidesApi(self)
        apis = (self.gmail, self.cal_api, self.docs_api, self.drive_api, self.sheets_api, self.slides_api)
        self.people_api = PeopleApi(self)
        for api in (*apis, self.tasks_api, self.chat_api, self.people_api):
            api.register(self.router)
        self._tasks: set[asyncio.Task[Any]] = set()
        self.reset(seed)

    def reset(self, seed: str = "default") -> None:
        if seed not in ("default", "empty"):
            raise ValueError(f"unknown seed {seed!r}: use default or empty")
        self.seed = seed
        self.drive_quota = None
        # the account's client and refresh token survive a reset (a revoked one is restored)
        self.oauth = OAuth(client_id=self.oauth.client_id, client_secret=self.oauth.client_secret)
        self.refresh_token = self.refresh_token or self.oauth.new_refresh_token()
        self.oauth.refresh_tokens[self.refresh_token] = Grant(frozenset(ALL_SCOPES))
        self.accounts: dict[str, Account] = {}
        for n, (address, name) in enumerate(((ACCOUNT, ACCOUNT_NAME), (OTHER, OTHER_NAME), (PERSONAL, ACCOUNT_NAME))):
            store = CalendarStore(address, name, TIME_ZONE)
            store.generation = int(time.time() * 1000)
            box = Mailbox(address, 0x18A0000000000000 + n * 0x0040000000000000)
            people = PeopleStore((name, address), address.split("@")[1] in self.oauth.workspace_domains)
            self.accounts[address] = Account(address, name, box, store, DocStore((name, address)), people)
        self.requests: list[dict[str, Any]] = []
        self.pushes: list[dict[str, Any]] = []
        self.push_url, self.push_audience, self.push_account = None, None, SERVICE_ACCOUNT
        self.faults: list[Fault] = []
        from .seed import seed_calendar, seed_mailbox, seed_other, seed_personal
        from .seed_chat import seed_chat
        from .seed_docs import seed_docs
        from .seed_drive import seed_drive
        from .seed_people import seed_people
        from .seed_sheets import seed_sheets
        from .seed_tasks import seed_tasks

        for account in self.accounts.values():
            account.mailbox.listeners.append(self._mail_changed)
        seed_mailbox(self, full=seed == "default")
        seed_calendar(self, full=seed == "default")
        seed_docs(self, full=seed == "default")
        self.tasks_api.reset()
        seed_tasks(self, self.tasks_api.store, full=seed == "default")
        self.chat_api.reset()
        seed_chat(self, self.chat_api.store, full=seed == "default")
        seed_drive(self, full=seed == "default")  # before the sheets: its "Q3 budget" becomes one Sheets opens
        seed_sheets(self.sheets_api, self.slides_api, full=seed == "default")
        with self.acting_as(OTHER):
            seed_other(self, full=seed == "default")
        with self.acting_as(PERSONAL):
            seed_personal(self, full=seed == "default")
        for address in self.accounts:
            with self.acting_as(address):
                seed_people(self, full=seed == "default")

    # accounts: the signed-in account of each request (its token's), the first one otherwise ------
    @property
    def account(self) -> Account:
        return self.accounts[_acting.get() or ACCOUNT]

    @property
    def mailbox(self) -> Mailbox:
        return self.account.mailbox

    @property
    def calendar(self) -> CalendarStore:
        return self.account.calendar

    @property
    def docs(self) -> DocStore:
        return self.account.docs

    @property
    def people(self) -> PeopleStore:
        return self.account.people

    @contextmanager
    def acting_as(self, address: str) -> Iterator[None]:
        token = _acting.set(address)
        try:
            yield
        finally:
            _acting.reset(token)

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
        # the log this request belongs to: one still running (a delay, a slow client) when the sandbox is
        # reset is not the new run's request, and must not show up in its log
        seen = self.requests
        account = ""
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
            grant = self.oauth.check(call.headers.get("authorization") or outer_auth, scopes)
            call.scopes = grant.scopes
            account = grant.account
            _acting.set(grant.account)  # this request's task (or batch part) acts as the token's account
            method_id = getattr(handler, "method_id", "")
            if self.quota is not None and method_id and not self.quota.take(quota.units(method_id)):
                raise ApiError(429, "User-rate limit exceeded.", "userRateLimitExceeded")
            if self.drive_quota is not None and method_id.startswith("drive.") and not self.drive_quota.take(1):
                raise ApiError(403, "User rate limit exceeded.", "userRateLimitExceeded")
            result = handler(call)
            reply = result if isinstance(result, Reply) else Reply(200, result)
        except ApiError as exc:
            reply = Reply(exc.code, exc.body(), exc.headers)
        except Exception:  # a bug of ours must still look like Google's 500, and be visible
            log.exception("sandbox handler failed for %s %s", call.method, call.path)
            err = ApiError(500, "Internal error encountered.", "backendError")
            reply = Reply(500, err.body())
        seen.append(
            {
                "method": call.method,
                "path": call.path,
                "query": {k: v if len(v) > 1 else v[0] for k, v in call.query.items()},
                "status": reply.status,
                "time": datetime.now(UTC).isoformat(),
                "duration_ms": round((time.perf_counter() - started) * 1000, 3),
                "batch": batch,
                "account": account,  # whose token it carried ("" when refused before that was known)
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
            "body": body.decode(),
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
        token = self.signer.token(self.push_audience or self.push_url, self.push_account)
        headers = {"content-type": "application/json", "authorization": f"Bearer {token}"}
        self._spawn(self._post("gmail", self.push_url, headers, json.dumps(envelope).encode()))

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

    def credentials(self, scopes: tuple[str, ...] | None = None, account: str | None = None) -> dict[str, Any]:
        """A signed-in user's token file, for the first account (or `account`)."""
        if account is not None and account not in self.accounts:
            raise ValueError(f"no account {account} here: {', '.join(self.accounts)}")
        if scopes is None and account in (None, ACCOUNT):
            token = self.refresh_token
        else:
            token = self.oauth.new_refresh_token(scopes or ALL_SCOPES, account or ACCOUNT)
        return {
            "client_id": self.oauth.client_id,
            "client_secret": self.oauth.client_secret,
            "refresh_token": token,
            "scopes": list(scopes or ALL_SCOPES),
            "account": account or ACCOUNT,
        }
