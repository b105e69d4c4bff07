"""What the record's stores share with the package that opens them: the entry kinds, the one error, and
the time stamp (apart, so that the stores never import the package that imports them)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from google_mcp.errors import GoogleMCPError

Kind = Literal["action", "message"]


class RecordUnavailable(GoogleMCPError):
    """The record could not be written; a write that needs it first does not run."""


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")
