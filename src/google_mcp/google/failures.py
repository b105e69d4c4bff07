"""Google's failures, translated once into errors that tell the caller (often a model) what to do next."""

from __future__ import annotations

import json
import socket

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
from google_mcp.google.transport import RequestNotSent

RETRYABLE = {429, 500, 502, 503, 504}


class Unrepeatable(Exception):
    """A failure of a call that must not be repeated; carries the original failure."""

    def __init__(self, original: BaseException) -> None:
        super().__init__(str(original))
        self.original = original


def status_of(exc: BaseException) -> int | None:
    from googleapiclient.errors import HttpError

    return exc.status_code if isinstance(exc, HttpError) else None


def retry_after(exc: BaseException) -> float | None:
    from googleapiclient.errors import HttpError

    if isinstance(exc, HttpError):
        value = exc.resp.get("retry-after")
        if value:
            try:
                return max(0.0, float(value))
            except ValueError:
                return None
    return None


def is_timeout(exc: BaseException) -> bool:
    return isinstance(exc, TimeoutError | socket.timeout | ConnectionError | OSError) and status_of(exc) is None


def _trim(text: str) -> str:
    return text.strip().rstrip(".")


def reason_of(exc: BaseException) -> str:
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
            "Google refused the stored sign-in (the token was revoked or expired). Sign in again: run "
            "`google-mcp auth` (on a shared server: reconnect your MCP client, which asks you to sign in)."
        )
    status = status_of(exc)
    reason = reason_of(exc)
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
        after = retry_after(exc)
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
