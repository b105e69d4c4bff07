"""What the tools share for the life of a server: settings and lazily made Google adapters."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from google_mcp.drain import Drain

if TYPE_CHECKING:
    from google_mcp.gate import Gate
    from google_mcp.google.calendar import Calendar
    from google_mcp.google.chat import Chat
    from google_mcp.google.client import GoogleClient
    from google_mcp.google.contacts import Contacts
    from google_mcp.google.docs import Docs
    from google_mcp.google.drive import Drive
    from google_mcp.google.gmail import Gmail
    from google_mcp.google.pacing import Pacing
    from google_mcp.google.sheets import Sheets
    from google_mcp.google.slides import Slides
    from google_mcp.google.tasks import Tasks
    from google_mcp.later import Later
    from google_mcp.messaging.slack import Slack
    from google_mcp.messaging.sms import Sms
    from google_mcp.people.grants import Grants
    from google_mcp.sandbox import SandboxThread
    from google_mcp.settings import Settings


PEOPLE_KEPT = 256  # people whose Google clients stay built (the rest are rebuilt when they come back)


_account: ContextVar[str | None] = ContextVar("google_mcp_account", default=None)


@contextmanager
def acting_as(account: str | None) -> Iterator[None]:
    """Run as one of the signed-in person's linked Google accounts (None: their first)."""
    token = _account.set(account)
    try:
        yield
    finally:
        _account.reset(token)


def acting_person() -> str | None:
    """The signed-in person a request is served for (OAuth mode): the subject of their access token."""
    from mcp.server.auth.middleware.auth_context import get_access_token

    token = get_access_token()
    return token.subject if token is not None else None


@dataclass
class _Google:
    """One Google account's client and adapters."""

    person: str | None = None
    signed_in: int = 0
    account: str | None = None
    client: GoogleClient | None = None
    gmail: Gmail | None = None
    calendar: Calendar | None = None
    docs: Docs | None = None
    tasks: Tasks | None = None
    chat: Chat | None = None
    sheets: Sheets | None = None
    slides: Slides | None = None
    drive: Drive | None = None
    contacts: Contacts | None = None


@dataclass
class AppState:
    """Built once per server; nothing heavy happens until a tool first needs it."""

    settings: Settings
    gate: Gate
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _sandbox: SandboxThread | None = None
    people: Grants | None = None  # a server many people use: whose Google grant serves a request
    _own: _Google | None = None
    _people_google: dict[str, _Google] = field(default_factory=dict)
    _pacing: Pacing | None = None  # Gmail's quota windows, one per Google account, for every client here
    _slack: Slack | None = None
    _sms: Sms | None = None
    extras: dict[str, Any] = field(default_factory=dict)
    drain: Drain = field(default_factory=Drain)  # SIGTERM: finish what runs, take nothing new

    def later(self) -> Later:
        """The schedule of approved actions held for later (built with the server)."""
        found: Later = self.extras["later"]
        return found

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

    # Google: the one account of a single-person server, or the account of the person being served ------
    def _google(self) -> _Google:
        person = acting_person() if self.people is not None else None
        if person is None:
            found = self._own
            if found is None:
                found = self._own = _Google()
        else:
            assert self.people is not None
            email = self.account_for(person)
            signed_in = self.people.sign_in_count(person, email)
            key = f"{person}|{email}"
            with self._lock:
                found = self._people_google.pop(key, None)
                if found is None or found.signed_in != signed_in:  # a new grant: a new client
                    found = _Google(person, signed_in, email)
                self._people_google[key] = found  # most recently served last
                while len(self._people_google) > PEOPLE_KEPT:
                    self._people_google.pop(next(iter(self._people_google)))
        return found

    def account_for(self, person: str) -> str:
        """The Google account a person's request acts as: the one it names, or their first."""
        from google_mcp.errors import InvalidInput

        assert self.people is not None
        linked = self.people.active(person)
        wanted = _account.get()
        if wanted is None:
            return linked.default
        if wanted not in linked.accounts:
            raise InvalidInput(
                f"{wanted!r} is not one of your linked Google accounts: {', '.join(linked.accounts)}. "
                "Link another at /link (signed in, in a browser)."
            )
        return wanted

    def accounts(self) -> list[str]:
        """The signed-in person's Google accounts (their first one first); [] on a single-person server."""
        person = acting_person() if self.people is not None else None
        if person is None or self.people is None:
            return []
        linked = self.people.active(person)
        return [linked.default, *(a for a in linked.accounts if a != linked.default)]

    @property
    def client(self) -> GoogleClient:
        google = self._google()
        with self._lock:
            if google.client is None:
                from google_mcp.google.client import GoogleClient
                from google_mcp.google.pacing import Pacing

                if self._pacing is None:
                    self._pacing = Pacing(self.settings)
                if google.person is None:
                    google.client = GoogleClient(self.settings, sandbox_url=None, pacing=self._pacing)
                else:
                    people, person, email = self.people, google.person, google.account
                    assert people is not None and email is not None
                    google.client = GoogleClient(
                        self.settings,
                        sandbox_url=None,
                        credentials=lambda: people.credentials(person, email),
                        on_revoked=lambda: people.revoked(person, email),
                        on_rotated=lambda token: people.rotated(person, email, token),
                        account=email,
                        pacing=self._pacing,
                    )
            client = google.client
        if client.sandbox_url is None and (self.settings.sandbox or self.settings.sandbox_url):
            client.sandbox_url = self.sandbox_url
        return client

    @property
    def gmail(self) -> Gmail:
        google = self._google()
        if google.gmail is None:
            from google_mcp.google.gmail import Gmail
            from google_mcp.people.files import files_for

            google.gmail = Gmail(self.client, self.settings, files_for(self.settings, google.person))
        return google.gmail

    @property
    def calendar(self) -> Calendar:
        google = self._google()
        if google.calendar is None:
            from google_mcp.google.calendar import Calendar

            google.calendar = Calendar(self.client)
        return google.calendar

    @property
    def docs(self) -> Docs:
        google = self._google()
        if google.docs is None:
            from google_mcp.google.docs import Docs

            google.docs = Docs(self.client)
        return google.docs

    @property
    def tasks(self) -> Tasks:
        google = self._google()
        if google.tasks is None:
            from google_mcp.google.tasks import Tasks

            google.tasks = Tasks(self.client)
        return google.tasks

    @property
    def chat(self) -> Chat:
        google = self._google()
        if google.chat is None:
            from google_mcp.google.chat import Chat

            google.chat = Chat(self.client)
        return google.chat

    @property
    def sheets(self) -> Sheets:
        google = self._google()
        if google.sheets is None:
            from google_mcp.google.sheets import Sheets

            google.sheets = Sheets(self.client)
        return google.sheets

    @property
    def slides(self) -> Slides:
        google = self._google()
        if google.slides is None:
            from google_mcp.google.slides import Slides

            google.slides = Slides(self.client)
        return google.slides

    @property
    def drive(self) -> Drive:
        google = self._google()
        if google.drive is None:
            from google_mcp.google.drive import Drive
            from google_mcp.people.files import files_for

            google.drive = Drive(self.client, self.settings, files_for(self.settings, google.person), self.docs)
        return google.drive

    @property
    def contacts(self) -> Contacts:
        google = self._google()
        if google.contacts is None:
            from google_mcp.google.contacts import Contacts

            google.contacts = Contacts(self.client)
        return google.contacts

    def name_lookup(self) -> Contacts | None:
        """Where a recipient given as a name is looked up: the person's contacts, only with the contacts group
        (and so its scopes) on."""
        return self.contacts if "contacts" in self.settings.tools else None

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
