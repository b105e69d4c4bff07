"""What the tools share for the life of a server: settings and lazily made Google adapters."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from google_mcp.gate import Gate
    from google_mcp.google.calendar import Calendar
    from google_mcp.google.client import GoogleClient
    from google_mcp.google.docs import Docs
    from google_mcp.google.gmail import Gmail
    from google_mcp.messaging.slack import Slack
    from google_mcp.messaging.sms import Sms
    from google_mcp.sandbox import SandboxThread
    from google_mcp.settings import Settings


@dataclass
class AppState:
    """Built once per server; nothing heavy happens until a tool first needs it."""

    settings: Settings
    gate: Gate
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _sandbox: SandboxThread | None = None
    _client: GoogleClient | None = None
    _gmail: Gmail | None = None
    _calendar: Calendar | None = None
    _docs: Docs | None = None
    _slack: Slack | None = None
    _sms: Sms | None = None
    extras: dict[str, Any] = field(default_factory=dict)

    def start_sandbox(self) -> None:
        """Begin seeding the in-process sandbox in the background, so start-up does not wait for it."""
        if self.settings.sandbox and self._sandbox is None:
            from google_mcp.sandbox import SandboxThread

            self._sandbox = SandboxThread()
            self._sandbox.start(wait=False)

    @property
    def sandbox_url(self) -> str | None:
        if self.settings.sandbox:
            self.start_sandbox()
            assert self._sandbox is not None
            return self._sandbox.wait_ready()
        return self.settings.sandbox_url

    @property
    def client(self) -> GoogleClient:
        with self._lock:
            if self._client is None:
                from google_mcp.google.client import GoogleClient

                self._client = GoogleClient(self.settings, sandbox_url=None)
            client = self._client
        if client.sandbox_url is None and (self.settings.sandbox or self.settings.sandbox_url):
            client.sandbox_url = self.sandbox_url
        return client

    @property
    def gmail(self) -> Gmail:
        if self._gmail is None:
            from google_mcp.google.gmail import Gmail

            self._gmail = Gmail(self.client, self.settings)
        return self._gmail

    @property
    def calendar(self) -> Calendar:
        if self._calendar is None:
            from google_mcp.google.calendar import Calendar

            self._calendar = Calendar(self.client)
        return self._calendar

    @property
    def docs(self) -> Docs:
        if self._docs is None:
            from google_mcp.google.docs import Docs

            self._docs = Docs(self.client)
        return self._docs

    @property
    def slack(self) -> Slack:
        if self._slack is None:
            from google_mcp.errors import InvalidInput
            from google_mcp.messaging.slack import Slack

            if self.settings.slack_token is None:
                raise InvalidInput("Slack is not set up: set GOOGLE_MCP_SLACK_TOKEN.")
            token = self.settings.slack_token.get_secret_value()
            self._slack = Slack(token, self.settings.slack_base_url, self.settings.http_timeout)
        return self._slack

    @property
    def sms(self) -> Sms:
        if self._sms is None:
            from google_mcp.errors import InvalidInput
            from google_mcp.messaging.sms import Sms

            s = self.settings
            if not (s.twilio_account_sid and s.twilio_auth_token and s.twilio_from):
                raise InvalidInput("SMS is not set up: set GOOGLE_MCP_TWILIO_ACCOUNT_SID, _AUTH_TOKEN and _FROM.")
            token = s.twilio_auth_token.get_secret_value()
            self._sms = Sms(s.twilio_account_sid, token, s.twilio_from, s.twilio_base_url)
        return self._sms

    def close(self) -> None:
        if self._sandbox is not None:
            self._sandbox.stop()
