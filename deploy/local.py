"""The balanced layout on this machine, from one script: N backends behind HAProxy, one Redis, a sandbox.

    python deploy/local.py [--backends 3] [--redis single|cluster | --redis-url URL] [--workdir D]

prints one JSON line once everything is ready (HAProxy sees every backend up): the URL to connect to, each
backend's name, pid and port, the Redis URL and nodes, HAProxy's pid, port and stats page, the sandbox.
SIGTERM (or Ctrl-C) stops everything; backends drain first. Tests and the bench use it as a module:
`with Topology(workdir, backends=3).start() as t: t.url`.

What the backends share, and why:
- Redis (pending actions, approvals, watch state, the update bus): `--redis single` starts a
  redis-server, `--redis cluster` a Redis Cluster (deploy/redis_cluster.py), `--redis-url` uses yours.
- The sealing key of elicitation state (GOOGLE_MCP_STATE_KEY) and the approval key: generated once.
- The activity record: one SQLite file. SQLite in WAL mode takes appends from several processes on one
  machine (each batch is one transaction, with a busy timeout); it is not for backends on several machines
  (a network file system breaks its locks): there, `--mongodb-url` (a MongoDB replica set).
- GOOGLE_MCP_PUBLIC_URL is the balancer's address: Google's pushes reach any backend through it.
Everything listens on 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

HERE = Path(__file__).resolve().parent
CONFIG = HERE / "haproxy.cfg"
MAX_BACKENDS = 8  # haproxy.cfg names BACKEND1 … BACKEND8


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str, timeout: float = 2.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 - our own loopback URLs
            return int(resp.status), resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def wait_for(check: Any, seconds: float, failure: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.05)  # polling processes we started; they offer no event to wait on
    raise RuntimeError(failure)


def _stop(proc: subprocess.Popen[bytes] | None, seconds: float = 10) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(seconds)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


@dataclass
class Backend:
    name: str  # as HAProxy names it: b1, b2, ...
    port: int
    env: dict[str, str]
    log: Path
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self) -> None:
        command = [sys.executable, "-m", "google_mcp", "serve", "--transport", "http", "--port", str(self.port)]
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=out, env=self.env)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def ready(self) -> bool:
        return _get(self.url + "/health/ready")[0] == 200

    def wait_live(self, seconds: float = 90) -> None:  # a loaded machine (a CI run) starts Python slowly
        def live() -> bool:
            if not self.alive():
                raise RuntimeError(f"backend {self.name} exited: {self.log.read_text()[-2000:]}")
            return _get(self.url + "/health/live")[0] == 200

        wait_for(live, seconds, f"backend {self.name} did not start: {self.log.read_text()[-2000:]}")


@dataclass
class Topology:
    workdir: Path
    backends: int = 3
    redis: str = "single"  # single | cluster | url
    redis_url: str | None = None
    mongodb_url: str | None = None
    latency_ms: int = 0
    drain_seconds: float = 20
    env: dict[str, str] = field(default_factory=dict)  # extra settings for every backend
    backend_env: dict[str, dict[str, str]] = field(default_factory=dict)  # per backend name: its own extras
    servers: list[Backend] = field(default_factory=list)
    port: int = 0
    stats_port: int = 0
    sandbox_url: str = ""
    redis_nodes: list[dict[str, int]] = field(default_factory=list)
    _sandbox: subprocess.Popen[bytes] | None = None
    _haproxy: subprocess.Popen[bytes] | None = None
    _redis: subprocess.Popen[bytes] | None = None
    _cluster: Any = None
    state_key: str = field(default_factory=lambda: secrets.token_urlsafe(32))  # seals elicitation state
    approval_key: str = field(default_factory=lambda: secrets.token_urlsafe(32))  # the person's, for /confirm

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Topology:
        if not 1 <= self.backends <= MAX_BACKENDS:
            raise SystemExit(f"--backends must be 1 to {MAX_BACKENDS} (haproxy.cfg lists that many)")
        if shutil.which("haproxy") is None:
            raise SystemExit("haproxy is not installed: apt-get install haproxy")
        self.workdir.mkdir(parents=True, exist_ok=True)
        try:
            self._start_redis()
            self._start_sandbox()
            self.port, self.stats_port = free_port(), free_port()
            self._start_backends()
            self._start_haproxy()
        except BaseException:
            self.stop()
            raise
        return self

    def _start_redis(self) -> None:
        if self.redis == "url":
            assert self.redis_url, "--redis-url needs a URL"
            return
        if self.redis == "cluster":
            from redis_cluster import RedisCluster

            self._cluster = RedisCluster(self.workdir / "cluster").start()
            self.redis_url = self._cluster.url
            self.redis_nodes = [{"port": n.port, "pid": n.pid} for n in self._cluster.nodes]
            return
        exe = shutil.which("redis-server")
        if exe is None:
            raise SystemExit("redis-server is not installed: apt-get install redis-server")
        port = free_port()
        args = ["--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self._redis = subprocess.Popen(
            [exe, *args, "--dir", str(self.workdir)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self.redis_url = f"redis://127.0.0.1:{port}/0"
        self.redis_nodes = [{"port": port, "pid": self._redis.pid}]

        def pong() -> bool:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")

        wait_for(pong, 10, "redis-server did not start")

    def _start_sandbox(self) -> None:
        port = free_port()
        command = [sys.executable, "-m", "google_mcp", "sandbox", "--port", str(port)]
        command += ["--latency-ms", str(self.latency_ms)]
        with (self.workdir / "sandbox.log").open("ab") as out:
            self._sandbox = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=out, env=_base_env())
        self.sandbox_url = f"http://127.0.0.1:{port}"
        wait_for(lambda: _get(self.sandbox_url + "/_sandbox/health")[0] == 200, 30, "the sandbox did not start")

    def _start_backends(self) -> None:
        assert self.redis_url is not None
        shared = {
            **_base_env(),
            "GOOGLE_MCP_SANDBOX_URL": self.sandbox_url,
            "GOOGLE_MCP_REDIS_URL": self.redis_url,
            "GOOGLE_MCP_STATE_KEY": self.state_key,
            "GOOGLE_MCP_APPROVAL_KEY": self.approval_key,
            "GOOGLE_MCP_PUBLIC_URL": self.url,
            "GOOGLE_MCP_DRAIN_SECONDS": str(self.drain_seconds),
            "GOOGLE_MCP_DOWNLOAD_DIR": str(self.workdir / "downloads"),
            "GOOGLE_MCP_TOKEN_FILE": str(self.workdir / "token.json"),
        }
        if self.mongodb_url:
            shared["GOOGLE_MCP_MONGODB_URL"] = self.mongodb_url
        else:
            shared["GOOGLE_MCP_LOG_FILE"] = str(self.workdir / "record.sqlite3")
        shared.update(self.env)
        for n in range(1, self.backends + 1):
            name = f"b{n}"
            env = {**shared, **self.backend_env.get(name, {})}
            self.servers.append(Backend(name, free_port(), env, self.workdir / f"{name}.log"))
        for backend in self.servers:
            backend.start()
        for backend in self.servers:
            backend.wait_live()

    def _start_haproxy(self) -> None:
        env = {
            "PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin"),
            "HAPROXY_BIND": f"127.0.0.1:{self.port}",
            "HAPROXY_STATS": f"127.0.0.1:{self.stats_port}",
        }
        for n, backend in enumerate(self.servers, 1):
            env[f"BACKEND{n}"] = f"127.0.0.1:{backend.port}"
        exe = shutil.which("haproxy")
        assert exe is not None
        with (self.workdir / "haproxy.log").open("ab") as out:
            self._haproxy = subprocess.Popen(
                [exe, "-db", "-f", str(CONFIG)], stdout=out, stderr=subprocess.STDOUT, env=env
            )
        wanted = {b.name for b in self.servers if b.env.get("GOOGLE_MCP_REDIS_URL") == self.redis_url}
        wait_for(lambda: self.up() >= wanted, 90, "HAProxy did not see the backends up")

    def counters(self) -> dict[str, dict[str, str]]:
        """HAProxy's figures for each backend (its stats CSV row: status, hrsp_5xx, wretr, wredis, ...)."""
        status, body = _get(f"http://127.0.0.1:{self.stats_port}/stats;csv")
        if status != 200:
            return {}
        rows = body.decode().splitlines()
        head = rows[0].lstrip("# ").split(",")
        out = {}
        for row in rows[1:]:
            cells = dict(zip(head, row.split(","), strict=False))
            if cells.get("pxname") == "google_mcp" and cells.get("svname") not in ("FRONTEND", "BACKEND"):
                out[cells["svname"]] = cells
        return out

    def stats(self) -> dict[str, str]:
        """Each backend's status as HAProxy sees it (UP, DOWN, ...)."""
        return {name: row.get("status", "") for name, row in self.counters().items()}

    def up(self) -> set[str]:
        return {name for name, status in self.stats().items() if status == "UP"}

    def backend(self, name: str) -> Backend:
        return next(b for b in self.servers if b.name == name)

    def describe(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "mcp": self.url + "/mcp",
            "backends": [{"name": b.name, "pid": b.pid, "port": b.port} for b in self.servers],
            "redis": {"url": self.redis_url, "nodes": self.redis_nodes},
            "haproxy": {
                "pid": self._haproxy.pid if self._haproxy else None,
                "port": self.port,
                "stats": f"http://127.0.0.1:{self.stats_port}/stats",
            },
            "sandbox": {"url": self.sandbox_url, "pid": self._sandbox.pid if self._sandbox else None},
            "record": "mongodb" if self.mongodb_url else str(self.workdir / "record.sqlite3"),
        }

    def stop(self) -> None:
        _stop(self._haproxy)  # nothing new comes in; then each backend drains (in parallel)
        for backend in self.servers:
            if backend.alive():
                assert backend.proc is not None
                backend.proc.terminate()
        for backend in self.servers:
            _stop(backend.proc, self.drain_seconds + 15)
        _stop(self._sandbox)
        _stop(self._redis)
        if self._cluster is not None:
            self._cluster.stop()

    def __enter__(self) -> Topology:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()


def _base_env() -> dict[str, str]:
    keep = ("PATH", "HOME", "LANG", "SYSTEMROOT", "VIRTUAL_ENV")
    return {k: v for k, v in os.environ.items() if k in keep}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", type=int, default=3)
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--redis", choices=["single", "cluster"], default="single")
    where.add_argument("--redis-url", help="an existing Redis (redis:// or redis+cluster://)")
    parser.add_argument("--mongodb-url", help="keep the record in MongoDB instead of one shared SQLite file")
    parser.add_argument("--latency-ms", type=int, default=0, help="the sandbox's added latency")
    parser.add_argument("--drain-seconds", type=float, default=20)
    parser.add_argument("--workdir", type=Path, help="logs, the record, Redis's folder (default: a temporary one)")
    parser.add_argument(
        "--env", action="append", default=[], metavar="GOOGLE_MCP_X=V", help="a setting for every backend (repeat)"
    )
    args = parser.parse_args()
    extra = dict(pair.split("=", 1) for pair in args.env)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="google-mcp-local-"))
    topology = Topology(
        workdir,
        backends=args.backends,
        redis="url" if args.redis_url else args.redis,
        redis_url=args.redis_url,
        mongodb_url=args.mongodb_url,
        latency_ms=args.latency_ms,
        drain_seconds=args.drain_seconds,
        env=extra,
    )
    stopping = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopping.set())
    with topology.start():
        print(json.dumps(topology.describe()), flush=True)
        stopping.wait()


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))  # redis_cluster.py, beside this file
    main()
