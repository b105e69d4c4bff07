"""The cluster the production tests run on: three masters, each with a replica, and a key's master found."""

from __future__ import annotations

from typing import Any

import redis


def test_the_cluster_has_three_masters_with_a_replica_each(redis_cluster: Any, redis_cluster_url: str) -> None:
    roles = sorted(node.role() for node in redis_cluster.nodes)
    assert roles == ["master"] * 3 + ["slave"] * 3
    client = redis.RedisCluster.from_url(redis_cluster_url.replace("redis+cluster://", "redis://"))
    try:
        client.set("{t}k", "v")
        assert client.get("{t}k") == b"v"
        assert redis_cluster.master_of("{t}k").role() == "master"
    finally:
        client.close()
