"""One small hierarchy of errors. Each message tells the caller (often a model) what to do next."""

from __future__ import annotations

from mcp.server.mcpserver.exceptions import ToolError


class GoogleMCPError(ToolError):
    """Base: a failure the model should read; never a crash."""


class InvalidInput(GoogleMCPError):
    """The arguments cannot work; the message says which and how to fix them."""


class NotFound(GoogleMCPError):
    pass


class PermissionDenied(GoogleMCPError):
    pass


class RateLimited(GoogleMCPError):
    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class AuthRequired(GoogleMCPError):
    """No usable Google credentials: the person must run `google-mcp auth`."""


class GoogleUnavailable(GoogleMCPError):
    """Google failed or timed out after the retries that were safe."""


class Conflict(GoogleMCPError):
    pass


class OutcomeUnknown(GoogleMCPError):
    """A non-idempotent write may or may not have happened; it is never repeated blindly."""


class NotSent(GoogleMCPError):
    """A write never left this machine (the connection failed before the request went out): safe to retry."""


class TargetChanged(GoogleMCPError):
    """What a write acts on changed at Google since the person saw the preview; nothing was done."""


class RouterUnavailable(GoogleMCPError):
    """Gemini (the router's model) could not be reached or refused; nothing was done."""
