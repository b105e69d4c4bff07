from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from google_mcp.sandbox import SandboxThread
from helpers import control

pytest_plugins = ["views_harness"]  # `harness`: our MCP Apps views in Chromium under the reference host bridge


@pytest.fixture(scope="session")
def sandbox() -> Iterator[SandboxThread]:
    """One sandbox over real HTTP for the session; `fresh_sandbox` resets its state."""
    with SandboxThread() as running:
        yield running


def _calm(url: str) -> None:
    control(url, "/_sandbox/faults", method="DELETE")
    control(url, "/_sandbox/latency", {"ms": 0})
    control(url, "/_sandbox/quota", {"units_per_second": 0})


@pytest.fixture
def fresh_sandbox(sandbox: SandboxThread) -> Iterator[SandboxThread]:
    """A reset sandbox; afterwards no fault, latency or quota is left for tests that share it as it is."""
    control(sandbox.url, "/_sandbox/reset", {})
    _calm(sandbox.url)
    yield sandbox
    _calm(sandbox.url)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def emulator() -> Iterator[Any]:
    """Slack and Twilio (npm emulate), one per worker; a thread in #launch to read."""
    from emulator import Emulator

    running = Emulator()
    running.start()
    launch = running.channel_id("launch")
    root = running.slack("chat.postMessage", channel=launch, text="Launch moves to Tuesday?")
    running.slack("chat.postMessage", channel=launch, text="Yes, Tuesday 10:00.", thread_ts=root["ts"])
    for n in range(12):
        running.slack("chat.postMessage", channel=running.channel_id("general"), text=f"Standup note {n}")
    yield running
    running.stop()


@pytest.fixture
def make_settings(tmp_path_factory: pytest.TempPathFactory, emulator: Any) -> Any:
    """Settings for a server against a sandbox over HTTP, isolated from the environment and .env."""
    from google_mcp.settings import Settings

    def make(url: str, **overrides: Any) -> Settings:
        home = tmp_path_factory.mktemp("home")
        values: dict[str, Any] = {
            "sandbox_url": url,
            "download_dir": home / "downloads",
            "attachment_roots": [home],
            "token_file": home / "token.json",
            "log_file": home / "record.sqlite3",
            "schedule_file": home / "schedule.sqlite3",
            "retry_wait_initial": 0.01,
            "retry_wait_max": 0.05,
            "http_timeout": 5.0,
            "gmail_quota_units": 0,  # tests that need Gmail's quota turn it on, on both sides
            **emulator.settings(),  # Slack and SMS, emulated
        }
        values.update(overrides)
        return Settings(_env_file=None, **values)

    return make


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from redis_server import RedisServer

    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server: Any) -> str:
    if redis_server.proc is None:
        redis_server.start()
    redis_server.flush()
    return str(redis_server.url)


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One Redis Cluster (3 masters, 3 replicas) per worker; a test that kills a node starts its own."""
    from redis_cluster import RedisCluster

    with RedisCluster(tmp_path_factory.mktemp("cluster")) as cluster:
        yield cluster


@pytest.fixture
def redis_cluster_url(redis_cluster: Any) -> Iterator[str]:
    """The shared cluster, emptied: `redis+cluster://127.0.0.1:P`."""
    from helpers import collect_cluster_leftovers
    from redis_cluster import flush

    flush(redis_cluster)
    yield str(redis_cluster.url)
    collect_cluster_leftovers()


@pytest.fixture(params=["memory", "redis"])
def store_settings(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Both pending stores, for suites that must behave the same on each."""
    if request.param == "memory":
        return {}
    return {"redis_url": request.getfixturevalue("redis_url")}


@pytest.fixture(params=["redis", "cluster"])
def shared_redis_url(request: pytest.FixtureRequest) -> str:
    """One Redis, then the Redis Cluster: for the Redis-backed behaviours that must hold on both."""
    return str(request.getfixturevalue("redis_url" if request.param == "redis" else "redis_cluster_url"))


@pytest.fixture(params=["memory", "redis", "cluster"])
def every_store(request: pytest.FixtureRequest) -> dict[str, Any]:
    """`store_settings`, and the Redis Cluster too: for the few suites that cover the cluster's keys."""
    if request.param == "memory":
        return {}
    return {"redis_url": request.getfixturevalue("redis_url" if request.param == "redis" else "redis_cluster_url")}


@pytest.fixture(scope="session")
def mongo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from mongo_server import MongoServer

    server = MongoServer(tmp_path_factory.mktemp("mongo"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "mongodb"])
def record_settings(request: pytest.FixtureRequest, tmp_path: Any) -> dict[str, Any]:
    """Both record backends, for suites that must behave the same on each (a fresh record each test)."""
    if request.param == "sqlite":
        return {"log_file": tmp_path / "record.sqlite3"}
    server = request.getfixturevalue("mongo_server")
    if server.proc is None:
        server.start()
    return {"mongodb_url": server.url("t" + uuid.uuid4().hex[:12])}


@pytest.fixture(autouse=True, scope="session")
def _isolated_environment() -> Iterator[None]:
    """Settings read the environment; the machine's own GOOGLE_MCP_* or Gemini keys must not leak in."""
    import os

    saved = {
        k: v for k, v in os.environ.items() if k.startswith("GOOGLE_MCP_") or k in ("GEMINI_API_KEY", "GOOGLE_API_KEY")
    }
    for key in saved:
        del os.environ[key]
    yield
    os.environ.update(saved)
