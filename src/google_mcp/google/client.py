"""The Google client layer: services built once, calls in worker threads, retries, batches, errors."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal

import anyio
import anyio.to_thread
import stamina

from google_mcp import metrics, progress, quota
from google_mcp.google.failures import RETRYABLE, Unrepeatable, is_timeout, reason_of, retry_after, status_of, translate
from google_mcp.google.pacing import OWN_ACCOUNT, Pacing
from google_mcp.google.transport import Transport

if TYPE_CHECKING:
    from google.oauth2.credentials import Credentials

    from google_mcp.settings import Settings

log = logging.getLogger(__name__)

Api = Literal["gmail", "calendar", "docs", "drive", "sheets", "slides", "tasks", "chat", "people"]
VERSIONS: dict[str, str] = {  # the version of each API the client builds (its endpoint: Settings.endpoint)
    "gmail": "v1",
    "calendar": "v3",
    "docs": "v1",
    "drive": "v3",
    "sheets": "v4",
    "slides": "v1",
    "tasks": "v1",
    "chat": "v1",
    "people": "v1",
}
BatchApi = Literal["gmail", "calendar"]  # the APIs called in batches here
# Calls Google does not deduplicate: no layer may ever send one of these twice.
NON_IDEMPOTENT = frozenset(
    {
        "gmail.users.messages.send",
        "gmail.users.messages.insert",
        "gmail.users.messages.import",
        "gmail.users.drafts.create",
        "gmail.users.drafts.send",
        "gmail.users.labels.create",
        "calendar.calendars.insert",
        "calendar.events.quickAdd",
        "docs.documents.create",
        "docs.documents.batchUpdate",  # insertText twice is text twice; requiredRevisionId guards only a stale read
        "tasks.tasks.insert",
        "tasks.tasklists.insert",
        "chat.spaces.messages.create",  # its requestId makes a repeat harmless at Google; still sent once
        "chat.spaces.messages.reactions.create",
        "sheets.spreadsheets.create",
        "sheets.spreadsheets.batchUpdate",
        "sheets.spreadsheets.values.append",  # rows twice
        "slides.presentations.create",
        "slides.presentations.batchUpdate",
        "drive.files.create",  # an upload twice is two files
        "drive.files.copy",
        "drive.permissions.create",  # a share twice is two emails to the person
        "people.people.createContact",
    }
)


class _Resources:
    """A service whose sub-resources (`users()`, `messages()`, `events()` ...) are built once.

    googleapiclient builds a resource from the discovery document on every such call, which costs more CPU
    than the request it then makes; methods that take arguments, and whatever is not a resource, pass through.
    """

    __slots__ = ("_kept", "_resource")

    def __init__(self, resource: Any) -> None:
        self._resource = resource
        self._kept: dict[str, _Resources] = {}

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._resource, name)
        if not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            if args or kwargs:
                return attr(*args, **kwargs)
            kept = self._kept.get(name)
            if kept is None:
                from googleapiclient.discovery import Resource

                made = attr()
                if not isinstance(made, Resource):
                    return made
                kept = self._kept.setdefault(name, _Resources(made))
            return kept

        return call


class GoogleClient:
    """One per server: lazily built services, one authorized HTTP connection per worker thread."""

    def __init__(
        self,
        settings: Settings,
        sandbox_url: str | None = None,
        credentials: Callable[[], Credentials] | None = None,
        on_revoked: Callable[[], None] | None = None,
        on_rotated: Callable[[str], None] | None = None,
        account: str = OWN_ACCOUNT,
        pacing: Pacing | None = None,
    ) -> None:
        self.settings = settings
        self.sandbox_url = sandbox_url
        self._credentials_factory = credentials  # a person's grant (many people): never the token file
        self._on_revoked = on_revoked
        self._on_rotated = on_rotated  # a person's grant: Google gave a new refresh token; keep it
        self._creds: Credentials | None = None
        self._services: dict[Api, Any] = {}
        self._lock = threading.Lock()
        self._local = threading.local()
        self._saved_token: str | None = None
        self._saved_refresh: str | None = None
        # Gmail's per-user quota (per Google account): big reads wait for it rather than collect 429s
        self._account = account
        self._pacing = pacing if pacing is not None else Pacing(settings)

    def _pace(self, cost: int) -> None:
        """Wait (in this worker thread) until Gmail's quota has room for `cost` units."""
        if not self._pacing.rate or not cost:
            return
        delay = self._pacing.wait_for(self._account, cost)
        if delay > 0:
            metrics.QUOTA_WAITS.inc()
            metrics.QUOTA_WAIT_SECONDS.inc(delay)
            time.sleep(delay)

    # credentials and services --------------------------------------------
    def credentials(self) -> Credentials:
        with self._lock:
            if self._creds is None:
                if self._credentials_factory is not None:
                    self._creds = self._credentials_factory()
                else:
                    from google_mcp.auth import load_credentials

                    self._creds = load_credentials(self.settings, self.sandbox_url)
                self._saved_token = self._creds.token
                self._saved_refresh = self._creds.refresh_token
            return self._creds

    def service(self, api: Api) -> Any:
        with self._lock:
            found = self._services.get(api)
        if found is not None:
            return found
        from googleapiclient.discovery import build

        creds = self.credentials()
        version = VERSIONS[api]
        svc = build(
            api,
            version,
            credentials=creds,
            static_discovery=True,
            cache_discovery=False,
            client_options={"api_endpoint": self.settings.endpoint(api, self.sandbox_url)},
        )
        with self._lock:
            return self._services.setdefault(api, _Resources(svc))

    def _http(self, repeatable: bool = True) -> Any:
        """This thread's authorized transport: pooled for calls that may be repeated, one-shot for writes."""
        name = "http" if repeatable else "http_once"
        http = getattr(self._local, name, None)
        if http is None:
            import google_auth_httplib2

            transport = Transport(
                self.settings.http_timeout, repeatable=repeatable, idle_max=self.settings.http_idle_max
            )
            http = google_auth_httplib2.AuthorizedHttp(self.credentials(), http=transport)
            setattr(self._local, name, http)
        return http

    def _refresh_if_needed(self) -> None:
        from google.auth.transport.requests import Request

        creds = self.credentials()
        with self._lock:  # one refresh at a time, whichever thread notices first
            if not creds.valid:
                creds.refresh(Request())
        self._persist()

    def _refused(self, exc: BaseException) -> None:
        """Google refused the refresh token (here, or on a 401 mid-request): its owner signs in again."""
        from google.auth.exceptions import RefreshError

        if RefreshError in (type(exc), type(exc.__cause__)) and self._on_revoked is not None:
            self._on_revoked()

    def _persist(self) -> None:
        creds = self._creds
        if creds is None or creds.token == self._saved_token:
            return
        if self._on_rotated is not None and creds.refresh_token and creds.refresh_token != self._saved_refresh:
            self._saved_refresh = creds.refresh_token
            self._on_rotated(creds.refresh_token)
        self._saved_token = creds.token
        if self.sandbox_url or self._credentials_factory is not None or not self.settings.token_file.exists():
            return
        from google_mcp.auth import credentials_to_json, write_private

        write_private(self.settings.token_file, credentials_to_json(creds))

    # calls ------------------------------------------------------------------
    def _run(self, api: Api, build_request: Callable[[Any], Any], repeatable: bool) -> Any:
        self._refresh_if_needed()
        request = build_request(self.service(api))
        self._pace(quota.units(request.methodId))
        repeatable = repeatable and request.methodId not in NON_IDEMPOTENT
        try:
            result = request.execute(http=self._http(repeatable), num_retries=0)
        except Exception as exc:
            metrics.GOOGLE_ERRORS.labels(api, _label(exc)).inc()
            if not repeatable:
                raise Unrepeatable(exc) from exc
            raise
        self._persist()
        return result

    def _backoff(self, exc: Exception) -> bool | float:
        if isinstance(exc, Unrepeatable):
            return False
        status = status_of(exc)
        if status is not None and (status in RETRYABLE or (status == 403 and "RateLimit" in reason_of(exc))):
            after = retry_after(exc)
            if after is None:
                return True
            return after if after <= self.settings.retry_after_max else False
        return is_timeout(exc)

    async def execute(
        self, api: Api, build_request: Callable[[Any], Any], *, what: str, retry: bool = True, check: str = ""
    ) -> Any:
        """Run one request in a worker thread; retry only when the request is safe to repeat.

        `retry=False` (and every call in NON_IDEMPOTENT) goes out at most once, on a fresh connection.
        """
        last = ""  # the failure the next attempt retries
        try:
            if not retry:
                return await anyio.to_thread.run_sync(self._run, api, build_request, False)
            async for attempt in stamina.retry_context(
                on=self._backoff,
                attempts=self.settings.retry_attempts,
                timeout=None,
                wait_initial=self.settings.retry_wait_initial,
                wait_max=self.settings.retry_wait_max,
                wait_jitter=self.settings.retry_wait_initial,
            ):
                with attempt:
                    if attempt.num > 1:
                        metrics.GOOGLE_RETRIES.labels(api, last).inc()
                    try:
                        return await anyio.to_thread.run_sync(self._run, api, build_request, True)
                    except Exception as exc:
                        last = _label(exc)
                        raise
        except Exception as exc:
            self._refused(exc)
            raise translate(exc, what, write=not retry, check=check) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _run_batch(
        self, api: BatchApi, parts: Sequence[tuple[str, Callable[[Any], Any]]], prepare: Callable[[Any], Any] | None
    ) -> dict[str, Any]:
        from googleapiclient.http import BatchHttpRequest

        self._refresh_if_needed()
        svc = self.service(api)
        # a resource such as users().messages() is built once per batch, not once per part (it is costly)
        target = prepare(svc) if prepare is not None else svc
        out: dict[str, Any] = {}

        def done(request_id: str, response: Any, exception: Exception | None) -> None:
            out[request_id] = exception if exception is not None else response

        batch = BatchHttpRequest(callback=done, batch_uri=self.settings.batch_url(api, self.sandbox_url))
        cost = 0
        for key, build_request in parts:
            request = build_request(target)
            cost += quota.units(request.methodId)
            batch.add(request, request_id=key)
        self._pace(cost)
        batch.execute(http=self._http())
        return out

    async def batch(
        self,
        api: BatchApi,
        parts: Sequence[tuple[str, Callable[[Any], Any]]],
        *,
        what: str,
        chunk: int = 50,
        prepare: Callable[[Any], Any] | None = None,
    ) -> dict[str, Any]:
        """Many reads in one HTTP request per `chunk`; parts that fail with 429/5xx are retried on their own.

        Each part's builder gets `prepare(service)` (built once per batch) or the service. Returns each key's
        result, or the translated error for a part that failed for good.
        """
        results: dict[str, Any] = {}
        pending = list(parts)
        wait = self.settings.retry_wait_initial
        for attempt in range(max(1, self.settings.retry_attempts)):
            failed: list[tuple[str, Callable[[Any], Any]]] = []
            last: dict[str, Exception] = {}
            for start in range(0, len(pending), chunk):
                piece = pending[start : start + chunk]
                if start or attempt:  # a page is done: say so, and let a cancellation land here
                    await progress.step(len(results), len(parts), what)
                try:
                    got = await anyio.to_thread.run_sync(self._run_batch, api, piece, prepare)
                except Exception as exc:
                    metrics.GOOGLE_ERRORS.labels(api, _label(exc)).inc()
                    if self._backoff(exc) is False or attempt + 1 >= self.settings.retry_attempts:
                        self._refused(exc)
                        raise translate(exc, what) from None
                    metrics.GOOGLE_RETRIES.labels(api, _label(exc)).inc(len(piece))
                    failed += piece
                    continue
                for key, build_request in piece:
                    value = got.get(key)
                    if isinstance(value, Exception):
                        metrics.GOOGLE_ERRORS.labels(api, _label(value)).inc()
                        if self._backoff(value) is not False:
                            failed.append((key, build_request))
                            last[key] = value
                        else:
                            results[key] = translate(value, what)
                    else:
                        results[key] = value
            if not failed:
                return results
            pending = failed
            if attempt + 1 < self.settings.retry_attempts:
                for failure in last.values():
                    metrics.GOOGLE_RETRIES.labels(api, _label(failure)).inc()
                delays = [d for e in last.values() if isinstance(d := self._backoff(e), float)]
                await anyio.sleep(max([wait, *delays]))
                wait = min(wait * 2, self.settings.retry_wait_max)
        for key, _ in pending:
            results[key] = translate(last.get(key) or TimeoutError(), what)
        return results


def _label(exc: BaseException) -> str:
    """A failed request's label in the metrics: its HTTP status, or timeout / error."""
    cause = exc.original if isinstance(exc, Unrepeatable) else exc
    return metrics.google_status(status_of(cause), is_timeout(cause))
