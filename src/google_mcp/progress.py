"""Progress of work that can take more than a second (the pages of a big search, the router's steps), told
to a client that asked for it (an MCP `progressToken`).

The tool layer names where progress goes (`reporting(ctx)`), once per call; the adapters say how far they
are (`await step(...)`) without knowing of MCP. Each step is also a checkpoint: a client's cancellation
lands there, between pages, never inside a request that is on the wire.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import anyio

log = logging.getLogger(__name__)

Report = Callable[[float, float | None, str | None], Awaitable[None]]
_report: ContextVar[Report | None] = ContextVar("google_mcp_progress", default=None)


@contextmanager
def reporting(ctx: Any) -> Iterator[None]:
    """Steps taken inside go to this request's client as progress notifications (a no-op unless it asked)."""
    report = getattr(ctx, "report_progress", None)
    token = _report.set(report)
    try:
        yield
    finally:
        _report.reset(token)


async def step(done: float, total: float | None = None, message: str | None = None) -> None:
    """How far the work is. A failure to tell the client never fails the work."""
    report = _report.get()
    if report is not None:
        try:
            await report(done, total, message)
        except anyio.get_cancelled_exc_class():
            raise
        except Exception as exc:  # a closed stream, a client gone: the answer still matters
            log.debug("progress not delivered: %s", exc)
    await anyio.lowlevel.checkpoint()
