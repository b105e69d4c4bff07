"""GET /metrics, never public by default: on a listener of its own (GOOGLE_MCP_METRICS_ADDRESS, for a
Prometheus on a private network), or else on the main HTTP port behind the bearer token. Without either
(no token, or people signing in with their own accounts, whose tokens are not the operator's), the main
port answers 404 and says how to turn it on."""

from __future__ import annotations

import sys
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING, Any

import anyio
from starlette.applications import Starlette
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from google_mcp import metrics
from google_mcp.errors import GoogleMCPError
from google_mcp.serving import bind, serve_announced

if TYPE_CHECKING:
    from collections.abc import Iterator

    import anyio.abc
    import uvicorn
    from starlette.requests import Request

    from google_mcp.registry import Server
    from google_mcp.settings import Settings
    from google_mcp.state import AppState


def on_main_port(settings: Settings) -> bool:
    """/metrics on the main HTTP app: only behind the bearer token, and only when it has no port of its own."""
    return not settings.metrics_address and bool(settings.bearer_tokens()) and not settings.oauth


async def scrape(state: AppState) -> Response:
    with suppress(GoogleMCPError):  # the pending store is away: the gauge keeps its last value
        await state.gate.waiting()
    body, content_type = metrics.exposition()
    return Response(body, headers={"Content-Type": content_type})


def add_metrics_route(server: Server, state: AppState) -> None:
    settings = state.settings

    @server.custom_route("/metrics", methods=["GET"])  # type: ignore[untyped-decorator]
    async def served(request: Request) -> Response:
        if not on_main_port(settings):
            where = (
                f"on {settings.metrics_address}"
                if settings.metrics_address
                else "only on a port of its own (set GOOGLE_MCP_METRICS_ADDRESS) or behind GOOGLE_MCP_AUTH_TOKEN"
            )
            return JSONResponse({"error": f"Metrics are served {where}."}, status_code=404)
        return await scrape(state)


def address(value: str) -> tuple[str, int]:
    """host:port (IPv6 in brackets) as a socket address."""
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit():
        raise SystemExit(f"GOOGLE_MCP_METRICS_ADDRESS={value!r}: give host:port, e.g. 127.0.0.1:9464.")
    return host.strip("[]"), int(port)


async def serve_metrics(
    state: AppState, settings: Settings, *, task_status: anyio.abc.TaskStatus[Any] = anyio.TASK_STATUS_IGNORED
) -> None:
    """The metrics listener, until its server's `should_exit`; `task_status` gets that server once bound."""
    import uvicorn

    assert settings.metrics_address
    host, port = address(settings.metrics_address)
    sock = bind(host, port)

    async def route(request: Request) -> Response:
        return await scrape(state)

    app = Starlette(routes=[Route("/metrics", route, methods=["GET"])])
    runner = _quiet(uvicorn.Config(app, log_level="warning", lifespan="off"))

    def announce(url: str) -> None:
        print(f"google-mcp metrics on {url}/metrics", file=sys.stderr, flush=True)

    task_status.started(runner)
    await serve_announced(runner, announce, sock)


def _quiet(config: Any) -> uvicorn.Server:
    """A uvicorn server that leaves the signals to the main one (which stops it)."""
    import uvicorn

    class Quiet(uvicorn.Server):
        @contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield

    return Quiet(config)
