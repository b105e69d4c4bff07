"""All configuration, read once at the edge: environment (prefix GOOGLE_MCP_), a .env file, or CLI flags."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal, get_args

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from google_mcp import quota

LOOPBACK = ("127.0.0.1", "localhost", "::1")
ToolGroup = Literal[
    "gmail", "calendar", "docs", "drive", "sheets", "slides", "contacts", "tasks", "chat", "slack", "sms"
]
TOOL_GROUPS: tuple[ToolGroup, ...] = get_args(ToolGroup)
# on unless GOOGLE_MCP_TOOLS says otherwise: Google's files (mail, calendar, documents, Drive, sheets, decks),
# contacts (a recipient may be named) and the operator's channels. Tasks and Chat are asked for by name (each
# adds tools to every turn's tools/list and scopes to the sign-in; Chat also needs a Chat app set up in the
# Cloud project)
DEFAULT_GROUPS: tuple[ToolGroup, ...] = tuple(g for g in TOOL_GROUPS if g not in ("tasks", "chat"))
CHANNEL_GROUPS = ("slack", "sms")  # on the operator's own bot token and Twilio account
GOOGLE_GROUPS = tuple(g for g in TOOL_GROUPS if g not in CHANNEL_GROUPS)  # the groups that sign in to Google
# each Google API the client calls: (Google's host, the path before the API's own)
ENDPOINTS = {
    "gmail": ("https://gmail.googleapis.com", ""),
    "calendar": ("https://www.googleapis.com", "/calendar/v3"),
    "docs": ("https://docs.googleapis.com", ""),
    "drive": ("https://www.googleapis.com", "/drive/v3"),
    "sheets": ("https://sheets.googleapis.com", ""),
    "slides": ("https://slides.googleapis.com", ""),
    "tasks": ("https://tasks.googleapis.com", ""),
    "chat": ("https://chat.googleapis.com", ""),
    "people": ("https://people.googleapis.com", ""),
}  # the groups on the operator's own bot token and Twilio account


def _config_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_config_dir("google-mcp"))


def _data_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("google-mcp"))


def _downloads() -> Path:
    import platformdirs

    return Path(platformdirs.user_downloads_dir()) / "google-mcp"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GOOGLE_MCP_", env_file=".env", extra="ignore")

    # transport
    transport: Literal["stdio", "sse", "http"] = "stdio"
    host: str = "127.0.0.1"
    port: int = 8000
    auth_token: SecretStr | None = Field(default=None, description="bearer token required on HTTP transports")
    allowed_hosts: Annotated[list[str], NoDecode] = Field(default_factory=list)
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="browser front ends (scheme://host[:port]) that may call /chat and /approve"
    )
    oauth: bool = Field(default=False, description="people sign in with their own Google accounts (HTTP)")
    people_key: SecretStr | None = Field(default=None, description="encrypts people's Google grants at rest")
    people_key_file: Path | None = None
    people_file: Path = Field(default_factory=lambda: _data_dir() / "people.sqlite3")
    allowed_accounts: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Google accounts (emails) that may sign in; required off loopback"
    )
    allowed_domains: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Google Workspace domains (the ID token's hd) whose accounts may sign in"
    )
    unused_client_ttl: float = Field(
        default=24 * 3600, gt=0, description="seconds a dynamically registered client is kept before its first token"
    )
    cimd_timeout: float = Field(
        default=5.0, gt=0, description="seconds a client metadata document's whole fetch may take"
    )
    cimd_allow_private: bool = Field(
        default=False, description="fetch client metadata documents from private addresses (tests, intranets)"
    )

    # limits on the HTTP server: what one caller (or a half-sent request) may hold
    max_sessions: int = Field(default=1000, ge=1, description="MCP sessions open at once (Streamable HTTP and SSE)")
    max_sessions_per_principal: int = Field(
        default=20, ge=1, description="MCP sessions one bearer token or signed-in person may hold open"
    )
    session_unused_timeout: float = Field(
        default=60,
        gt=0,
        description="seconds a Streamable HTTP session may wait for its first request after initialize",
    )
    session_idle_timeout: float = Field(
        default=1800, gt=0, description="seconds a Streamable HTTP session may go without a request"
    )
    http_header_timeout: float = Field(default=10, gt=0, description="seconds a request's head may take to arrive")
    http_body_timeout: float = Field(default=30, gt=0, description="seconds a request's whole body may take to arrive")
    max_body_bytes: int = Field(
        default=1024 * 1024, ge=1, description="largest request body on every route but /mcp and /messages"
    )
    max_mcp_body_bytes: int = Field(default=4 * 1024 * 1024, ge=1, description="largest body on /mcp and /messages")
    drain_seconds: float = Field(
        default=20, ge=0, description="after SIGTERM: seconds the calls running may take to finish before the exit"
    )

    metrics_address: str | None = Field(
        default=None,
        description="host:port where GET /metrics is served on a listener of its own (no token: keep it private); "
        "unset: /metrics on the main HTTP port, behind GOOGLE_MCP_AUTH_TOKEN",
    )

    # Google
    client_secrets_file: Path | None = None
    token_file: Path = Field(default_factory=lambda: _config_dir() / "token.json")
    read_only: bool = False
    tools: Annotated[list[ToolGroup], NoDecode] = Field(
        default_factory=lambda: list(DEFAULT_GROUPS), description="tool groups to register (and sign in for)"
    )
    sandbox: bool = False
    sandbox_url: str | None = None
    api_endpoint: str | None = Field(default=None, description="base URL of Google's APIs (tests, proxies)")
    http_timeout: float = 30.0
    http_idle_max: float = Field(default=4.0, description="seconds a pooled connection to Google may idle")
    retry_attempts: int = 4
    retry_wait_initial: float = 0.5
    retry_wait_max: float = 8.0
    retry_after_max: float = 30.0
    gmail_quota_units: int = Field(
        default=quota.UNITS_PER_SECOND, description="Gmail quota units per second to pace to; 0: no pacing"
    )
    gmail_quota_window: float = Field(
        default=quota.WINDOW_SECONDS, gt=0, description="seconds Gmail averages its per-user quota over"
    )

    # mail
    download_dir: Path = Field(default_factory=_downloads)
    attachment_roots: Annotated[list[Path], NoDecode] = Field(
        default_factory=lambda: [Path.home()],
        description="folders attachments may come from (on a server many people use: only with SERVER_FILES)",
    )
    server_files: bool = Field(
        default=False,
        description="on a server many people use: attachments may also come from ATTACHMENT_ROOTS on this "
        "server's disk (each person always has their own folders under the data folder)",
    )
    max_attachment_bytes: int = 25 * 1024 * 1024
    max_body_chars: int = 500_000
    answer_tokens: int = Field(
        default=20_000,
        ge=1000,
        description="tokens of text a model reads in one page of search results (hosts cap a tool's answer: "
        "Claude Code at MAX_MCP_OUTPUT_TOKENS, 25,000 unless raised)",
    )

    # confirmation gate
    confirmation: Literal["standard", "strict"] = "standard"
    auto_approve: Annotated[list[str], NoDecode] = Field(default_factory=list)
    redis_url: SecretStr | None = None
    redis_claim_wait: float = Field(
        default=1.0,
        ge=0,
        description="on a Redis Cluster: seconds a claim waits for a replica to hold it before anything is sent "
        "(0: it does not wait, for a cluster without replicas)",
    )
    pending_ttl: int = 3600
    conversations_max: int = Field(
        default=1000,
        ge=1,
        description="router (/chat, ask) conversations kept in memory without Redis; the least recently used go first",
    )
    state_key: SecretStr | None = Field(default=None, description="seals elicitation state across processes")
    approval_key: SecretStr | None = Field(default=None, description="proof of the person for out-of-band approval")
    approval_key_file: Path | None = None
    max_pending: int = 25
    max_pending_bytes: int = 64 * 1024 * 1024
    undo_seconds: float = Field(
        default=0, ge=0, description="an approved send is held this long, so cancel_action can still stop it (0: off)"
    )
    schedule_grace: float = Field(
        default=3600,
        ge=0,
        description="seconds after its time a held send may still go (recorded sent late) when no server ran "
        "then; past it, it comes back to the person to approve again",
    )
    schedule_file: Path = Field(
        default_factory=lambda: _data_dir() / "schedule.sqlite3",
        description="where held sends wait when there is no GOOGLE_MCP_REDIS_URL",
    )
    confirm_wait: float = Field(
        default=15.0,
        ge=0,
        description="seconds a confirmation that finds its action being carried out waits for the outcome",
    )

    # Slack and SMS: their groups are on when configured
    slack_token: SecretStr | None = Field(default=None, description="a Slack bot token (xoxb-…)")
    slack_base_url: str = Field(default="https://slack.com/api/", description="for tests: an emulator")
    twilio_account_sid: str | None = None
    twilio_auth_token: SecretStr | None = None
    twilio_from: str | None = Field(default=None, description="the number texts come from, E.164")
    twilio_base_url: str = Field(default="https://api.twilio.com", description="for tests: an emulator")
    channel_operators: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="on a server many people use: the Google accounts (emails) that may use Slack and SMS, "
        "which run on this server's bot token and Twilio account; refused to everyone else, off when empty",
    )

    # real time (realtime/)
    poll_seconds: float = Field(
        default=0, ge=0, description="read Gmail's and the calendars' changes this often and notify subscribers"
    )
    public_url: str | None = Field(default=None, description="the https address where Google reaches /hooks/*")
    pubsub_topic: str | None = Field(default=None, description="projects/P/topics/T that a Gmail watch publishes to")
    push_audience: str | None = Field(default=None, description="the push subscription's OIDC audience")
    push_service_account: str | None = Field(default=None, description="the push subscription's service account")
    push_certs_url: str | None = Field(default=None, description="where Google's token certificates are")
    watch: Annotated[list[Literal["gmail", "calendar"]], NoDecode] = Field(
        default_factory=list, description="watches to open at start-up (gmail, calendar)"
    )
    watch_renew_seconds: float = Field(default=600, gt=0, description="how often watches are checked for renewal")

    # the record (record/): every call and every step of a gated action
    log: Literal["on", "off"] = Field(default="on", description="keep the activity record")
    mongodb_url: SecretStr | None = Field(default=None, description="keep the record in MongoDB")
    log_file: Path = Field(default_factory=lambda: _data_dir() / "record.sqlite3")
    log_content: Literal["summary", "full"] = Field(
        default="summary", description="summary: bodies as length and SHA-256; full: as text"
    )
    log_retention_days: int = Field(default=90, ge=1)

    # router
    gemini_api_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("GOOGLE_MCP_GEMINI_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY"),
    )
    gemini_model: str = "gemini-2.5-flash"
    gemini_base_url: str | None = None
    gemini_timeout: float = 30.0

    log_level: str = "WARNING"

    @field_validator(
        "allowed_hosts",
        "auto_approve",
        "tools",
        "watch",
        "cors_origins",
        "allowed_accounts",
        "allowed_domains",
        mode="before",
    )
    @classmethod
    def _split(cls, value: object) -> object:
        if isinstance(value, str):
            return [v.strip() for v in value.split(",") if v.strip()]
        return value

    @field_validator("channel_operators", mode="before")
    @classmethod
    def _split_emails(cls, value: object) -> object:
        """Compared as Google gives them, whatever case the operator wrote."""
        if isinstance(value, str):
            value = value.split(",")
        if isinstance(value, list):
            return [str(v).strip().lower() for v in value if str(v).strip()]
        return value

    @field_validator("attachment_roots", mode="before")
    @classmethod
    def _split_paths(cls, value: object) -> object:
        if isinstance(value, str):
            import os

            return [Path(v).expanduser() for v in value.split(os.pathsep) if v.strip()]
        return value

    def bearer_tokens(self) -> list[str]:
        """GOOGLE_MCP_AUTH_TOKEN may hold several comma-separated tokens, one per principal."""
        if self.auth_token is None:
            return []
        return [t.strip() for t in self.auth_token.get_secret_value().split(",") if t.strip()]

    @property
    def people_key_path(self) -> Path:
        return self.people_key_file or self.token_file.parent / "people.key"

    @property
    def base_url(self) -> str:
        """Where clients and Google reach this server: GOOGLE_MCP_PUBLIC_URL, else the bound address."""
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def approval_key_path(self) -> Path:
        return self.approval_key_file or self.token_file.parent / "approval.key"

    @property
    def loopback(self) -> bool:
        return self.host in LOOPBACK

    def endpoint(self, api: str, sandbox_url: str | None = None) -> str:
        """Where the Google client sends `api`'s requests: Google's host, or the sandbox (or another base URL)
        with the path the host's discovery document adds."""
        host, path = ENDPOINTS[api]
        base = sandbox_url or self.sandbox_url or self.api_endpoint
        return base.rstrip("/") + path if base else host + path

    def batch_url(self, api: Literal["gmail", "calendar"], sandbox_url: str | None = None) -> str:
        base = sandbox_url or self.sandbox_url or self.api_endpoint
        if api == "gmail":
            return (base.rstrip("/") if base else "https://gmail.googleapis.com") + "/batch/gmail/v1"
        return (base.rstrip("/") if base else "https://www.googleapis.com") + "/batch/calendar/v3"
