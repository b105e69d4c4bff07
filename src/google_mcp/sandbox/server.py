"""Serve the sandbox with uvicorn: in the foreground for the CLI, or in a thread for in-process use."""

from __future__ import annotations

import threading
from types import TracebackType

import anyio
import uvicorn

from google_mcp.serving import serve_announced

from .app import Sandbox
from .web import create_app


def serve(host: str = "127.0.0.1", port: int = 8765, seed: str = "default", latency_ms: int = 0) -> None:
    """Serve in the foreground; announces "listening on URL" on stderr once the port is bound."""
    import sys

    app = create_app(Sandbox(seed=seed, latency_ms=latency_ms))
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="off"))

    def announce(url: str) -> None:
        print(f"google-mcp sandbox listening on {url}", file=sys.stderr, flush=True)

    anyio.run(serve_announced, server, announce)


class SandboxThread:
    """A sandbox on 127.0.0.1 in a background thread; `url` is set once it listens.

    The seed is built inside the thread, so `start(wait=False)` returns at once.
    """

    def __init__(self, sandbox: Sandbox | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self._given = sandbox
        self._host, self._port = host, port
        self._server: uvicorn.Server | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="google-mcp-sandbox", daemon=True)
        self.sandbox: Sandbox | None = sandbox
        self.url = ""

    def _run(self) -> None:
        try:
            self.sandbox = self._given or Sandbox()
            config = uvicorn.Config(
                create_app(self.sandbox), host=self._host, port=self._port, log_level="warning", lifespan="off"
            )
            self._server = uvicorn.Server(config)
            anyio.run(serve_announced, self._server, self._bound)
        except BaseException as exc:  # reported to whoever waits for the sandbox
            self._error = exc
            self._ready.set()

    def _bound(self, url: str) -> None:
        self.url = url
        self._ready.set()

    def start(self, wait: bool = True) -> SandboxThread:
        self._thread.start()
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout: float = 30) -> str:
        if not self._ready.wait(timeout):
            raise RuntimeError("the sandbox did not start in time")
        if self._error is not None or not self.url:
            raise RuntimeError(f"the sandbox failed to start: {self._error!r}")
        return self.url

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        self._thread.join(5)

    def __enter__(self) -> SandboxThread:
        return self.start()

    def __exit__(self, *exc: object | TracebackType) -> None:
        self.stop()
