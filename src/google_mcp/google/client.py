"""The Google client layer: services built once, calls in worker threads, retries, batches, errors."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal

import anyio
import anyio.to_thread
import stamina

from google_mcp import quota
from google_mcp.errors import (
    AuthRequired,
    Conflict,
    GoogleMCPError,
    GoogleUnavailable,
    InvalidInput,
    NotFound,
    NotSent,
    OutcomeUnknown,
    PermissionDenied,
    RateLimited,
)
from google_mcp.google.transport import RequestNotSent, Transport

if TYPE_CHECKING:
    from google.oauth2.credentials import Credentials

    from google_mcp.settings import Settings

log = logging.getLogger(__name__)

Api = Literal["gmail", "calendar", "docs", "drive"]
BatchApi = Literal["gmail", "calendar"]  # the APIs called in batches here
RETRYABLE = {429, 500, 502, 503, 504}
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
    }
)


class Unrepeatable(Exception):
    """A failure of a call that must not be repeated; carries the original failure."""

    def __init__(self, original: BaseException) -> None:
        super().__init__(str(original))
        self.original = original


def _status(exc: BaseException) -> int | None:
    from googleapiclient.errors import HttpError

    return exc.status_code if isinstance(exc, HttpError) else None


def _retry_after(exc: BaseException) -> float | None:
    from googleapiclient.errors import HttpError

    if isinstance(exc, HttpError):
        value = exc.resp.get("retry-after")
        if value:
            try:
                return max(0.0, float(value))
            except ValueError:
                return None
    return None


def _is_timeout(exc: BaseException) -> bool:
    return isinstance(exc, TimeoutError | socket.timeout | ConnectionError | OSError) and _status(exc) is None


def _trim(text: str) -> str:
    return text.strip().rstrip(".")


def _reason(exc: BaseException) -> str:
    from googleapiclient.errors import HttpError

    if isinstance(exc, HttpError):
        try:
            details = exc.error_details
            if isinstance(details, list) and details and isinstance(details[0], dict):
                return str(details[0].get("reason", ""))
        except (AttributeError, ValueError):
            pass
    return ""


def _message(exc: BaseException) -> str:
    from googleapiclient.errors import HttpError

    if isinstance(exc, HttpError):
        try:
            return str(json.loads(exc.content)["error"]["message"])
        except (ValueError, KeyError, TypeError):
            return exc.reason or ""
    return str(exc)


def translate(exc: BaseException, what: str, *, write: bool = False, check: str = "") -> GoogleMCPError:
    """Turn a Google client failure into an error that tells the model what to do next.

    `check` says where the person can see whether an unanswered write happened (e.g. "search in:sent").
    """
    from google.auth.exceptions import RefreshError, TransportError

    if isinstance(exc, Unrepeatable):
        exc, write = exc.original, True
    if isinstance(exc, GoogleMCPError):
        return exc
    if isinstance(exc, RequestNotSent):
        return NotSent(
            f"Google could not be reached while {what}; the request never went out, so nothing was done. "
            "It is safe to try again once the network is back."
        )
    where = f" ({check})" if check else ""
    if isinstance(exc, RefreshError):
        return AuthRequired(
            "Google refused the stored sign-in (the token was revoked or expired). "
            "Run `google-mcp auth` to sign in again."
        )
    status = _status(exc)
    reason = _reason(exc)
    message = _trim(_message(exc))
    if status is None:
        if isinstance(exc, TransportError | TimeoutError | socket.timeout | ConnectionError | OSError):
            if write:
                return OutcomeUnknown(
                    f"Google did not answer while {what}; it may or may not have happened. "
                    f"Check{where} before trying again; it was not retried, to avoid doing it twice."
                )
            return GoogleUnavailable(
                f"Google could not be reached while {what} ({type(exc).__name__}). Try again in a minute."
            )
        return GoogleUnavailable(f"Unexpected failure while {what}: {type(exc).__name__}.")
    if status == 400:
        return InvalidInput(f"Google rejected the request while {what}: {message}. Fix the arguments and try again.")
    if status == 401:
        return AuthRequired("Google rejected the credentials (401). Run `google-mcp auth` to sign in again.")
    if status == 403 and reason == "insufficientPermissions":
        return PermissionDenied(
            f"The Google sign-in lacks the permission (OAuth scope) for {what}. "
            "Run `google-mcp auth` without --read-only to grant it."
        )
    if (status == 403 and "RateLimit" in reason) or status == 429:
        after = _retry_after(exc)
        when = f"after {after:.0f} seconds" if after is not None else "in a minute"
        return RateLimited(f"Google is rate limiting requests ({status}) while {what}. Try again {when}.", after)
    if status == 403:
        return PermissionDenied(f"Google denied access while {what}: {message}.")
    if status in (404, 410):
        return NotFound(
            f"Not found while {what}: {message or 'no such item'}. Check the id (search or list to find current ids)."
        )
    if status in (409, 412):
        return Conflict(f"Conflict while {what}: {message}. Read the item again and retry with current data.")
    if status >= 500:
        if write:
            return OutcomeUnknown(
                f"Google failed ({status}) while {what}; it may or may not have happened. "
                f"Check{where} before trying again; it was not retried, to avoid doing it twice."
            )
        return GoogleUnavailable(f"Google failed ({status}) while {what}, after retries. Try again in a minute.")
    return GoogleUnavailable(f"Google answered {status} while {what}: {message}.")


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
        self, settings: Settings, sandbox_url: str | None = None, credentials: Callable[[], Credentials] | None = None
    ) -> None:
        self.settings = settings
        self.sandbox_url = sandbox_url
        self._credentials_factory = credentials
        self._creds: Credentials | None = None
        self._services: dict[Api, Any] = {}
        self._lock = threading.Lock()
        self._local = threading.local()
        self._saved_token: str | None = None
        # Gmail's per-user quota: big reads wait for it rather than collect 429s
        self._quota = quota.Bucket(settings.gmail_quota_units * quota.MARGIN) if settings.gmail_quota_units else None
        self._quota_lock = threading.Lock()

    def _pace(self, cost: int) -> None:
        """Wait (in this worker thread) until Gmail's quota has room for `cost` units."""
        if self._quota is None or not cost:
            return
        with self._quota_lock:
            delay = self._quota.wait_for(cost)
        if delay > 0:
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
            return self._creds

    def service(self, api: Api) -> Any:
        with self._lock:
            found = self._services.get(api)
        if found is not None:
            return found
        from googleapiclient.discovery import build

        creds = self.credentials()
        name, version, endpoint = {
            "gmail": ("gmail", "v1", self.settings.gmail_endpoint),
            "calendar": ("calendar", "v3", self.settings.calendar_endpoint),
            "docs": ("docs", "v1", self.settings.docs_endpoint),
            "drive": ("drive", "v3", self.settings.drive_endpoint),
        }[api]
        svc = build(
            name,
            version,
            credentials=creds,
            static_discovery=True,
            cache_discovery=False,
            client_options={"api_endpoint": endpoint(self.sandbox_url)},
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

    def _persist(self) -> None:
        creds = self._creds
        if creds is None or creds.token == self._saved_token:
            return
        self._saved_token = creds.token
        if self.sandbox_url or not self.settings.token_file.exists():
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
            if not repeatable:
                raise Unrepeatable(exc) from exc
            raise
        self._persist()
        return result

    def _backoff(self, exc: Exception) -> bool | float:
        if isinstance(exc, Unrepeatable):
            return False
        status = _status(exc)
        if status is not None and (status in RETRYABLE or (status == 403 and "RateLimit" in _reason(exc))):
            after = _retry_after(exc)
            if after is None:
                return True
            return after if after <= self.settings.retry_after_max else False
        return _is_timeout(exc)

    async def execute(
        self, api: Api, build_request: Callable[[Any], Any], *, what: str, retry: bool = True, check: str = ""
    ) -> Any:
        """Run one request in a worker thread; retry only when the request is safe to repeat.

        `retry=False` (and every call in NON_IDEMPOTENT) goes out at most once, on a fresh connection.
        """
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
                    return await anyio.to_thread.run_sync(self._run, api, build_request, True)
        except Exception as exc:
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
                try:
                    got = await anyio.to_thread.run_sync(self._run_batch, api, piece, prepare)
                except Exception as exc:
                    if self._backoff(exc) is False or attempt + 1 >= self.settings.retry_attempts:
                        raise translate(exc, what) from None
                    failed += piece
                    continue
                for key, build_request in piece:
                    value = got.get(key)
                    if isinstance(value, Exception):
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
                delays = [d for e in last.values() if isinstance(d := self._backoff(e), float)]
                await anyio.sleep(max([wait, *delays]))
                wait = min(wait * 2, self.settings.retry_wait_max)
        for key, _ in pending:
            results[key] = translate(last.get(key) or TimeoutError(), what)
        return results
