from __future__ import annotations

from collections.abc import Iterator

import pytest

from google_mcp.sandbox import SandboxThread
from helpers import control


@pytest.fixture(scope="session")
def sandbox() -> Iterator[SandboxThread]:
    """One sandbox over real HTTP for the session; `fresh_sandbox` resets its state."""
    with SandboxThread() as running:
        yield running


@pytest.fixture
def fresh_sandbox(sandbox: SandboxThread) -> SandboxThread:
    control(sandbox.url, "/_sandbox/reset", {})
    control(sandbox.url, "/_sandbox/faults", method="DELETE")
    control(sandbox.url, "/_sandbox/latency", {"ms": 0})
    return sandbox


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
