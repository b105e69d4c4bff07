"""Every Redis client the product makes: one Redis (`redis://`, `rediss://`) or a Redis Cluster
(`redis+cluster://host:port[,host:port…]`, `rediss+cluster://` for TLS; the nodes listed are seeds, the
client learns the rest from the cluster).

On a cluster, keys that one script or transaction touches share a hash tag (`tag`), and a claim is made
durable on a replica before anything is sent (`claim_durably`): Redis replicates asynchronously, so a
claim acknowledged by a master that dies before its replica has it would otherwise be forgotten by the
promoted replica, and the action confirmed a second time.
"""

from __future__ import annotations

import contextlib
import hashlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from google_mcp.errors import InvalidInput

CLUSTER_SCHEMES = {"redis+cluster": False, "rediss+cluster": True}  # scheme -> TLS


@dataclass(frozen=True)
class ClusterURL:
    seeds: list[tuple[str, int]]
    username: str | None
    password: str | None
    tls: bool


def is_cluster(url: str) -> bool:
    return url.split("://", 1)[0].lower() in CLUSTER_SCHEMES


def parse_cluster(url: str) -> ClusterURL:
    """`redis+cluster://[user:password@]host:port[,host:port…][/]`: the seed nodes and credentials."""
    scheme, _, rest = url.partition("://")
    netloc = rest.split("/", 1)[0].split("?", 1)[0]
    userinfo, _, hosts = netloc.rpartition("@")
    username, _, password = userinfo.partition(":")
    seeds = []
    for part in hosts.split(","):
        host, _, port = part.strip().rpartition(":")
        if not host or not port.isdigit():
            raise InvalidInput(
                f"GOOGLE_MCP_REDIS_URL: {part.strip()!r} is not host:port. "
                "A cluster is named as redis+cluster://host:port[,host:port…]."
            )
        seeds.append((host.strip("[]"), int(port)))
    return ClusterURL(seeds, unquote(username) or None, unquote(password) or None, CLUSTER_SCHEMES[scheme.lower()])


def unavailable() -> tuple[type[BaseException], ...]:
    """The errors that mean Redis cannot answer now (down, unreachable, or a cluster between masters),
    as opposed to a mistake in what was asked."""
    from redis import exceptions

    return (
        exceptions.ConnectionError,
        exceptions.TimeoutError,
        exceptions.ClusterError,  # the cluster is down, or the slot's master is
        exceptions.RedisClusterException,  # no seed node answers (not a RedisError)
        exceptions.SlotNotCoveredError,
        exceptions.TryAgainError,
        exceptions.AskError,  # MOVED/ASK beyond the client's retries: a slot still moving
        exceptions.ReadOnlyError,  # a write reached a master that has just become a replica
        OSError,
    )


def _cluster_kwargs(found: ClusterURL) -> dict[str, Any]:
    return {"username": found.username, "password": found.password, "ssl": found.tls}


def redis_client(url: str) -> Any:
    """An asyncio client (decoded replies). A dead pooled connection (after a Redis restart) is replaced
    and the command tried again, instead of reporting Redis as unreachable; on a cluster the client
    follows MOVED and, while a master fails over, retries with a short backoff (about 2 s in all)."""
    from redis.asyncio.retry import Retry
    from redis.backoff import ExponentialBackoff, NoBackoff
    from redis.exceptions import ConnectionError as RedisConnectionError

    if is_cluster(url):
        from redis.asyncio.cluster import ClusterNode, RedisCluster

        found = parse_cluster(url)
        return RedisCluster(
            startup_nodes=[ClusterNode(host, port) for host, port in found.seeds],
            decode_responses=True,
            socket_timeout=5,
            socket_connect_timeout=3,
            retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), 6),
            **_cluster_kwargs(found),
        )
    import redis.asyncio as aioredis

    return aioredis.Redis.from_url(
        url,
        decode_responses=True,
        socket_timeout=5,
        socket_connect_timeout=3,
        retry=Retry(NoBackoff(), 1),
        retry_on_error=[RedisConnectionError],
        health_check_interval=10,
    )


def sync_client(url: str, timeout: float = 3.0) -> Any:
    """A blocking client, for the command line (`google-mcp doctor`)."""
    if is_cluster(url):
        from redis.cluster import ClusterNode, RedisCluster

        found = parse_cluster(url)
        return RedisCluster(
            startup_nodes=[ClusterNode(host, port) for host, port in found.seeds],
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            **_cluster_kwargs(found),
        )
    import redis

    return redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)


def tag(name: str) -> str:
    """A hash tag for keys that one script touches: on a cluster they then live in one slot. The name
    itself when it can serve (readable in `redis-cli`), else a digest of it (a tag cannot hold braces)."""
    if name and "{" not in name and "}" not in name:
        return "{" + name + "}"
    return "{" + hashlib.sha256(name.encode()).hexdigest()[:24] + "}"


async def claim_durably(cluster: Any, script: str, keys: list[str], args: list[Any], wait: float) -> tuple[Any, int]:
    """Run a script on a cluster, then `WAIT 1` down the same connection to the same master: the script's
    reply and how many replicas hold its writes (WAIT counts only the writes of the connection it is
    sent on, so the two cannot go through the client's pool separately). While a master fails over, the
    pair is sent again to the new owner of the slot, for about two seconds; then the error is raised."""
    import anyio
    from redis.asyncio.cluster import PipelineCommand

    moving = unavailable()
    pause, attempt = 0.05, 1
    while True:
        try:
            await cluster.initialize()
            node = cluster.get_node_from_key(keys[0])
            commands = [
                PipelineCommand(0, "EVAL", script, len(keys), *keys, *args),
                PipelineCommand(1, "WAIT", 1, int(wait * 1000)),
            ]
            await node.execute_pipeline(commands)
            for command in commands:
                if isinstance(command.result, Exception):
                    raise command.result
            return commands[0].result, int(str(commands[1].result))
        except moving:
            if attempt == 8:
                raise
            # the slot moved or its master is gone: learn the cluster's layout again, then retry
            await anyio.sleep(pause)
            pause, attempt = min(pause * 2, 0.5), attempt + 1
            with contextlib.suppress(*moving):
                await cluster.nodes_manager.initialize()


def subscriber_client(url: str, node: tuple[str, int] | None = None) -> Any:
    """A client with no read timeout, for a subscriber that waits indefinitely: of the one Redis, or of
    one node of a cluster (sharded pub/sub is served by the master that owns the channel's slot)."""
    import redis.asyncio as aioredis

    if node is None:
        return aioredis.Redis.from_url(url, decode_responses=True, socket_connect_timeout=3)
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff

    host, port = node
    return aioredis.Redis(
        host=host,
        port=port,
        decode_responses=True,
        socket_connect_timeout=3,
        # no retries of its own (they back off for seconds): the caller finds the channel's new master
        retry=Retry(NoBackoff(), 0),
        **_cluster_kwargs(parse_cluster(url)),
    )
