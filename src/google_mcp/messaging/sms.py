"""SMS through Twilio's REST API (the `twilio` package, in worker threads).

A text goes out at most once: no layer retries it. It also carries an `I-Twilio-Idempotency-Token`
header, which Twilio uses on its webhooks but does not document for the Messages API: the guarantee rests
on not re-sending. A text whose answer is lost is reported as possibly sent. Listing retries on 429 and 5xx.
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import anyio.to_thread

from google_mcp.errors import (
    AuthRequired,
    GoogleMCPError,
    GoogleUnavailable,
    InvalidInput,
    OutcomeUnknown,
    RateLimited,
)
from google_mcp.messaging.segments import count
from google_mcp.models import Result

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
IDEMPOTENCY = "I-Twilio-Idempotency-Token"


class SmsSent(Result):
    sid: str
    to: str
    status: str
    segments: int


class SmsMessage(Result):
    sid: str
    direction: str
    sender: str
    to: str
    body: str
    status: str
    date: str | None = None


class SmsList(Result):
    messages: list[SmsMessage]


def e164(number: str) -> str:
    cleaned = re.sub(r"[\s().-]", "", number or "")
    if not E164.match(cleaned):
        raise InvalidInput(f"{number!r} is not a phone number in international form: use E.164, e.g. +14155550123.")
    return cleaned


def segments(text: str) -> int:
    """How many SMS segments a text takes (messaging/segments.py says how they are counted)."""
    return count(text)[1]


def _http_client(base_url: str, attempts: int) -> Any:
    from twilio.http.http_client import TwilioHttpClient

    class Client(TwilioHttpClient):  # type: ignore[misc]  # twilio's classes have no type information
        """Twilio's client, pointed at base_url (tests: an emulator); POSTs carry an idempotency token."""

        def request(
            self, method: str, url: str, params: Any = None, data: Any = None, headers: Any = None, **kw: Any
        ) -> Any:
            url = url.replace("https://api.twilio.com", base_url.rstrip("/"), 1)
            headers = dict(headers or {})
            if method.upper() == "POST":
                headers.setdefault(IDEMPOTENCY, str(uuid.uuid4()))
                return super().request(method, url, params, data, headers, **kw)
            for attempt in range(attempts):  # reads: 429 and 5xx are tried again
                response = super().request(method, url, params, data, headers, **kw)
                if response.status_code not in (429, 500, 502, 503, 504) or attempt == attempts - 1:
                    return response
                time.sleep(min(float(response.headers.get("Retry-After", 0) or 0), 10.0) or 0.2 * (attempt + 1))
            return response

    return Client(timeout=30)


def _error(exc: Exception, what: str, write: bool) -> GoogleMCPError:
    from twilio.base.exceptions import TwilioRestException

    if isinstance(exc, TwilioRestException):
        if exc.status in (401, 403):
            return AuthRequired(f"Twilio refused the credentials ({exc.status}). Check GOOGLE_MCP_TWILIO_* settings.")
        if exc.status == 429:
            return RateLimited(f"Twilio is rate limiting requests while {what}. Try again in a minute.")
        if exc.status >= 500:
            if write:
                return OutcomeUnknown(
                    f"Twilio failed ({exc.status}) while {what}: the text may or may not have been sent. "
                    "Check sms_list_messages before sending again."
                )
            return GoogleUnavailable(f"Twilio failed ({exc.status}) while {what}. Try again later.")
        return InvalidInput(f"Twilio refused the request while {what}: {exc.msg}. Fix the arguments and try again.")
    if write:
        return OutcomeUnknown(
            f"The connection to Twilio failed while {what} ({type(exc).__name__}): the text may or may not "
            "have been sent. Check sms_list_messages before sending again; it is never re-sent by itself."
        )
    return GoogleUnavailable(f"Twilio could not be reached while {what} ({type(exc).__name__}). Try again later.")


class Sms:
    def __init__(self, account_sid: str, auth_token: str, sender: str, base_url: str) -> None:
        from twilio.rest import Client

        self.sender = e164(sender)
        self._client = Client(account_sid, auth_token, http_client=_http_client(base_url, attempts=3))

    async def send(self, to: str, text: str) -> SmsSent:
        def create() -> Any:
            return self._client.messages.create(to=to, from_=self.sender, body=text)

        try:
            message = await anyio.to_thread.run_sync(create)
        except Exception as exc:
            raise _error(exc, "sending a text", write=True) from None
        return SmsSent(sid=message.sid, to=message.to, status=str(message.status), segments=segments(text))

    async def messages(self, limit: int, number: str | None) -> SmsList:
        def listing() -> list[Any]:
            kwargs: dict[str, Any] = {"limit": limit}
            if number:
                kwargs["to"] = number
            return list(self._client.messages.list(**kwargs))

        try:
            found = await anyio.to_thread.run_sync(listing)
        except Exception as exc:
            raise _error(exc, "listing texts", write=False) from None
        return SmsList(
            messages=[
                SmsMessage(
                    sid=m.sid,
                    direction=str(m.direction),
                    sender=str(m.from_),
                    to=str(m.to),
                    body=str(m.body or ""),
                    status=str(m.status),
                    date=m.date_sent.isoformat()
                    if m.date_sent
                    else (m.date_created.isoformat() if m.date_created else None),
                )
                for m in found
            ]
        )
