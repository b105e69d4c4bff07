"""A Redis Cluster on this machine: three masters and three replicas of Debian's `redis-server`, on loopback.

The balanced layout's script (`deploy/local.py`), its tests and its bench start the cluster from here:

    python deploy/redis_cluster.py --dir /tmp/cluster      # prints one JSON line when the cluster is ready

or, from Python, `with RedisCluster(workdir) as cluster: cluster.url` (`redis+cluster://127.0.0.1:P`).
Nothing is written to disk but each node's cluster config file; the nodes keep no data across restarts.
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType


def free_ports(n: int) -> list[int]:
    """n distinct free loopback ports whose cluster bus ports (port + 10000) are free too."""
    ports: list[int] = []
    while len(ports) < n:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if port + 10000 > 65535 or port in ports:
            continue
        with socket.socket() as bus:
            try:
                bus.bind(("127.0.0.1", port + 10000))
            except OSError:
                continue
        ports.append(port)
    return ports


def _command(port: int, *args: str, timeout: float = 2.0) -> bytes:
    """One inline command to a node; the raw reply."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall((" ".join(args) + "\r\n").encode())
        data = b""
        sock.settimeout(timeout)
        while True:
            chunk = sock.recv(65536)
            data += chunk
            if not chunk or _complete(data):
                return data


def _complete(data: bytes) -> bool:
    if data[:1] in (b"+", b"-", b":"):
        return data.endswith(b"\r\n")
    if data[:1] == b"$":
        head, _, rest = data.partition(b"\r\n")
        size = int(head[1:])
        return size < 0 or len(rest) >= size + 2
    return False


def info(port: int, what: str) -> dict[str, str]:
    """CLUSTER INFO / INFO replication as a dict."""
    raw = _command(port, *what.split()).decode(errors="replace")
    pairs = (line.split(":", 1) for line in raw.splitlines() if ":" in line)
    return {key.strip(): value.strip() for key, value in pairs}


@dataclass
class Node:
    port: int
    proc: subprocess.Popen[bytes]

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def role(self) -> str:
        return info(self.port, "INFO replication").get("role", "?")


@dataclass
class RedisCluster:
    workdir: Path
    masters: int = 3
    replicas: int = 1
    node_timeout_ms: int = 1000
    nodes: list[Node] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"redis+cluster://127.0.0.1:{self.nodes[0].port}"

    def start(self, wait: float = 30.0) -> RedisCluster:
        exe = shutil.which("redis-server")
        cli = shutil.which("redis-cli")
        if exe is None or cli is None:
            raise RuntimeError("redis-server and redis-cli are needed: apt-get install redis-server")
        self.workdir.mkdir(parents=True, exist_ok=True)
        for port in free_ports(self.masters * (1 + self.replicas)):
            self.nodes.append(Node(port, self._spawn(exe, port)))
        for node in self.nodes:
            _wait(lambda node=node: _command(node.port, "PING").startswith(b"+PONG"), wait, "a node did not start")
        addresses = [f"127.0.0.1:{node.port}" for node in self.nodes]
        subprocess.run(
            [cli, "--cluster", "create", *addresses, "--cluster-replicas", str(self.replicas), "--cluster-yes"],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=wait,
        )
        self.wait_ok(wait)
        return self

    def restart(self, node: Node, wait: float = 30.0) -> None:
        """Start a stopped node again on its port (it rejoins from its config file, as a replica)."""
        exe = shutil.which("redis-server")
        assert exe is not None
        node.proc = self._spawn(exe, node.port)
        _wait(lambda: _command(node.port, "PING").startswith(b"+PONG"), wait, "the node did not restart")

    def _spawn(self, exe: str, port: int) -> subprocess.Popen[bytes]:
        folder = self.workdir / str(port)
        folder.mkdir(exist_ok=True)
        return subprocess.Popen(
            [
                exe,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--cluster-enabled",
                "yes",
                "--cluster-config-file",
                str(folder / "nodes.conf"),
                "--cluster-node-timeout",
                str(self.node_timeout_ms),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(folder),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def wait_ok(self, wait: float = 30.0) -> None:
        """Every live node says the cluster is ok, and every live replica has its master's data (until its
        first sync ends, no write can be acknowledged by a replica: a claim's WAIT would time out)."""

        def ok() -> bool:
            for node in self.nodes:
                if not node.alive():
                    continue
                if info(node.port, "CLUSTER INFO").get("cluster_state") != "ok":
                    return False
                replication = info(node.port, "INFO replication")
                if replication.get("role") == "slave" and replication.get("master_link_status") != "up":
                    return False
            return True

        _wait(ok, wait, "the cluster did not become ok")

    def master_of(self, key: str) -> Node:
        """The live master that serves key now (the others answer MOVED)."""
        for node in self.nodes:
            if node.alive() and node.role() == "master" and not _command(node.port, "EXISTS", key).startswith(b"-"):
                return node
        raise RuntimeError(f"no live master serves {key}")

    def live(self) -> Node:
        return next(node for node in self.nodes if node.alive())

    def stop(self) -> None:
        for node in self.nodes:
            if node.alive():
                node.proc.terminate()
        for node in self.nodes:
            try:
                node.proc.wait(10)
            except subprocess.TimeoutExpired:
                node.proc.kill()

    def __enter__(self) -> RedisCluster:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()


def flush(cluster: RedisCluster) -> None:
    """Empty every live master (their replicas follow)."""
    for node in cluster.nodes:
        if node.alive() and node.role() == "master":
            _command(node.port, "FLUSHALL")


def _wait(check: object, seconds: float, failure: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():  # type: ignore[operator]
                return
        except OSError:
            pass
        time.sleep(0.05)  # polling processes we started; they offer no event to wait on
    raise RuntimeError(failure)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, required=True, help="a folder for the nodes' cluster config files")
    args = parser.parse_args()
    cluster = RedisCluster(args.dir).start()
    print(json.dumps({"url": cluster.url, "nodes": [{"port": n.port, "pid": n.pid} for n in cluster.nodes]}))
    sys.stdout.flush()
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
    cluster.stop()


if __name__ == "__main__":
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
    main()
