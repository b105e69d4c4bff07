"""Serve the sandbox with uvicorn: in the foreground for the CLI, or in a thread for in-process use."""

from __future__ import annotations

import asyncio
import threading
from types import TracebackType

import uvicorn

from .app import Sandbox, create_app


def serve(host: str = "127.0.0.1", port: int = 8765, seed: str = "default", latency_ms: int = 0) -> None:
    app = create_app(Sandbox(seed=seed, latency_ms=latency_ms))
    uvicorn.run(app, host=host, port=port, log_level="warning")


class SandboxThread:
    """A sandbox on 127.0.0.1 in a background thread; `url` is set once it listens."""

    def __init__(self, sandbox: Sandbox | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.sandbox = sandbox or Sandbox()
        config = uvicorn.Config(
            create_app(self.sandbox), host=host, port=port, log_level="warning", lifespan="off"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._run, name="google-mcp-sandbox", daemon=True)
        self.url = ""

    def _run(self) -> None:
        asyncio.run(self._server.serve())

    def start(self) -> SandboxThread:
        self._thread.start()
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError("the sandbox failed to start")
            self._thread.join(0.01)
        sock = self._server.servers[0].sockets[0]
        host, port = sock.getsockname()[:2]
        self.url = f"http://{host}:{port}"
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(5)

    def __enter__(self) -> SandboxThread:
        return self.start()

    def __exit__(self, *exc: object | TracebackType) -> None:
        self.stop()
