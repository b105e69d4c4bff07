"""The gate on a Redis Cluster of three masters and three replicas: racing confirmations spread over two
processes send once, and a claim survives the failover of the master that holds it (the claim is made
durable on a replica before anything is sent, or refused)."""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import time
import warnings
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
import redis
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from helpers import collect_cluster_leftovers, control, gmail
from mcp_helpers import call, connect, polled, writes
from redis_cluster import Node, RedisCluster, free_ports, info
from served import EXE, Served, _env

pytestmark = pytest.mark.anyio
TOKEN = "alpha-token"


def sends(url: str) -> int:
    return len([w for w in writes(url) if w["path"].endswith("/messages/send") and w["status"] < 300])


def _client(server: Served, http: httpx2.AsyncClient) -> Client:
    return Client(streamable_http_client(server.url + "/mcp", http_client=http), mode="legacy")  # type: ignore[arg-type]


async def test_fifty_confirmations_racing_over_two_processes_on_a_cluster_send_once(
    fresh_sandbox: Any, redis_cluster_url: str
) -> None:
    url = fresh_sandbox.url
    # one process is given two seed nodes, the first of them down: it starts from the second
    seeds = redis_cluster_url.replace("://", f"://127.0.0.1:{free_ports(1)[0]},")
    a = Served.http(url, GOOGLE_MCP_AUTH_TOKEN=TOKEN, GOOGLE_MCP_REDIS_URL=seeds)
    b = Served.http(url, GOOGLE_MCP_AUTH_TOKEN=TOKEN, GOOGLE_MCP_REDIS_URL=redis_cluster_url)
    outcomes: list[dict[str, Any]] = []
    try:
        async with (
            httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30) as http,
            _client(a, http) as client_a,
            _client(b, http) as client_b,
        ):
            held = await call(client_a, "gmail_send", {"to": ["dana@example.com"], "subject": "once", "body_text": "x"})
            cid = held["confirmation_id"]

            async def confirm(client: Client) -> None:
                outcomes.append(await call(client, "confirm_action", {"confirmation_id": cid}))

            async with anyio.create_task_group() as tg:
                for _ in range(25):
                    tg.start_soon(confirm, client_a)
                    tg.start_soon(confirm, client_b)
    finally:
        a.stop()
        b.stop()
    assert [o["status"] for o in outcomes] == ["done"] * 50, [o["message"] for o in outcomes]
    assert len({o["result"]["id"] for o in outcomes}) == 1
    assert sends(url) == 1


def test_the_doctor_reaches_a_cluster_and_says_what_a_malformed_cluster_url_lacks(
    redis_cluster_url: str, tmp_path: Path
) -> None:
    def doctor(redis_url: str) -> str:
        env = _env(GOOGLE_MCP_TOKEN_FILE=str(tmp_path / "none.json"), GOOGLE_MCP_REDIS_URL=redis_url)
        return subprocess.run([EXE, "doctor"], env=env, capture_output=True, text=True, timeout=30).stdout

    assert "Redis Cluster: reachable" in doctor(redis_cluster_url)
    said = doctor("redis+cluster://127.0.0.1")
    assert "Redis: unreachable (InvalidInput)" in said and "GOOGLE_MCP_REDIS_URL" in said


# failover ----------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def own_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisCluster]:
    """A cluster of this module's own: its tests kill and stop nodes."""
    with RedisCluster(tmp_path_factory.mktemp("own-cluster")) as cluster:
        yield cluster


@pytest.fixture(autouse=True)
def _leftovers() -> Iterator[None]:
    yield
    collect_cluster_leftovers()  # what the failovers left of the clients' old nodes, collected here


def _probe(cluster: RedisCluster) -> Any:
    return redis.RedisCluster(host="127.0.0.1", port=cluster.live().port, decode_responses=True)


def _record_key(cluster: RedisCluster, cid: str) -> str:
    """The action's key as the store names it: `google_mcp:pending:{its owner}:ID` (found, not assumed)."""
    probe = _probe(cluster)
    try:
        (key,) = probe.scan_iter(match=f"google_mcp:pending:*:{cid}")
        return str(key)
    finally:
        probe.close()


def _replica_of(cluster: RedisCluster, master: Node) -> Node:
    port = int(info(master.port, "INFO replication")["slave0"].split("port=")[1].split(",")[0])
    return next(node for node in cluster.nodes if node.port == port)


async def _wait_status(cluster: RedisCluster, key: str, status: str) -> None:
    probe = _probe(cluster)
    try:
        with anyio.fail_after(10):
            while probe.hget(key, "status") != status:
                await anyio.sleep(0.02)
    finally:
        probe.close()


def _cut_off(master: Node, replica: Node) -> None:
    """From now on the master's writes do not reach its replica: the replica is stopped (a stopped process's
    kernel would still take in the replication stream, so its link is also closed from the master's side)."""
    os.kill(replica.pid, signal.SIGSTOP)
    node = redis.Redis(host="127.0.0.1", port=master.port)
    try:
        assert node.client_kill_filter(_type="replica") == 1
    finally:
        node.close()


def _fail_over(cluster: RedisCluster, master: Node, replica: Node, back: bool = True) -> None:
    """kill -9 the master; its replica takes over (forced: it may have been stopped past the node timeout);
    then (`back`) the old master returns as the replica of the new one, so claims can be made durable again."""
    os.kill(master.pid, signal.SIGKILL)
    master.proc.wait(5)
    os.kill(replica.pid, signal.SIGCONT)
    cluster_command(replica.port, "CLUSTER", "FAILOVER", "TAKEOVER")
    cluster.wait_ok()
    if back:
        _rejoin(cluster, master)


def _rejoin(cluster: RedisCluster, node: Node) -> None:
    """Start a killed master again; it comes back as a master from its config file, learns it was replaced
    and turns replica: wait for that and for its first sync, or a claim's WAIT finds no replica."""
    cluster.restart(node)
    deadline = time.monotonic() + 30
    while not (node.role() == "slave" and info(node.port, "INFO replication").get("master_link_status") == "up"):
        assert time.monotonic() < deadline, "the old master did not rejoin as a replica"
        time.sleep(0.05)  # polling a process we started; it offers no event to wait on
    cluster.wait_ok()


def cluster_command(port: int, *args: str) -> None:
    node = redis.Redis(host="127.0.0.1", port=port)
    try:
        assert node.execute_command(*args) in (True, b"OK", "OK")
    finally:
        node.close()


async def test_a_claim_no_replica_holds_is_refused_so_a_failover_cannot_send_twice(
    fresh_sandbox: Any, make_settings: Any, own_cluster: RedisCluster
) -> None:
    """The replica is cut off, so the master acknowledges a claim the replica never gets; then the master
    dies and the replica is promoted. Without the wait for a replica, the action was sent, forgotten by the
    promoted replica, and sent again by the next confirmation."""
    url = fresh_sandbox.url
    settings = make_settings(url, redis_url=own_cluster.url, redis_claim_wait=0.3)
    async with connect(settings, person=None) as client:
        held = await call(client, "gmail_send", {"to": ["dana@example.com"], "subject": "durable", "body_text": "x"})
        cid = held["confirmation_id"]
        master = own_cluster.master_of(_record_key(own_cluster, cid))
        replica = _replica_of(own_cluster, master)
        _caught_up(master)  # the replica has the pending action itself (replication is asynchronous)
        _cut_off(master, replica)
        try:
            first = await client.call_tool("confirm_action", {"confirmation_id": cid})
            waiting = await call(client, "list_pending_actions")  # refused: released, still waiting
        finally:
            _fail_over(own_cluster, master, replica)
        sent_before_failover = sends(url)
        assert [x["confirmation_id"] for x in waiting["actions"]] == [cid]
        listed = await call(client, "list_pending_actions")  # on the promoted replica: still waiting
        assert [x["confirmation_id"] for x in listed["actions"]] == [cid]
        done = await call(client, "confirm_action", {"confirmation_id": cid})
        again = await call(client, "confirm_action", {"confirmation_id": cid})
    assert sends(url) == 1, "the action was sent twice: the promoted replica never had the first claim"
    assert sent_before_failover == 0
    refused = first.content[0].text  # type: ignore[union-attr]
    assert first.is_error and "No Redis replica confirmed this claim" in refused and "still waiting" in refused
    assert done["status"] == "done" and again["status"] == "done" and "not run again" in again["message"]


def _caught_up(master: Node) -> None:
    """Wait until the master's replica has acknowledged everything the master has written so far."""
    deadline = time.monotonic() + 10
    while True:
        replication = info(master.port, "INFO replication")
        acked = int(replication["slave0"].split("offset=")[1].split(",")[0])
        if acked >= int(replication["master_repl_offset"]):
            return
        assert time.monotonic() < deadline, "the replica did not catch up"
        time.sleep(0.02)  # polling a process we started; it offers no event to wait on


async def test_a_claim_waits_for_a_replica_to_hold_the_claim_itself_not_an_earlier_write(
    fresh_sandbox: Any, make_settings: Any, own_cluster: RedisCluster
) -> None:
    """The replica holds everything up to the claim and then stops answering: its link stays up, so a WAIT
    sent down any other connection (whose last write the replica has) would count it and let the send go."""
    url = fresh_sandbox.url
    settings = make_settings(url, redis_url=own_cluster.url, redis_claim_wait=0.3)
    async with connect(settings, person=None) as client:
        held = await call(client, "gmail_send", {"to": ["dana@example.com"], "subject": "held", "body_text": "x"})
        cid = held["confirmation_id"]
        master = own_cluster.master_of(_record_key(own_cluster, cid))
        replica = _replica_of(own_cluster, master)
        _caught_up(master)
        os.kill(replica.pid, signal.SIGSTOP)
        try:
            first = await client.call_tool("confirm_action", {"confirmation_id": cid})
        finally:
            os.kill(replica.pid, signal.SIGCONT)
        assert sends(url) == 0, "sent although no replica held the claim"
        assert first.is_error and "No Redis replica confirmed this claim" in first.content[0].text  # type: ignore[union-attr]
        _caught_up(master)
        done = await call(client, "confirm_action", {"confirmation_id": cid})
    assert done["status"] == "done" and sends(url) == 1


async def test_the_master_holding_a_claim_killed_mid_send_still_one_send(
    fresh_sandbox: Any, make_settings: Any, own_cluster: RedisCluster
) -> None:
    url = fresh_sandbox.url
    settings = make_settings(url, redis_url=own_cluster.url, confirm_wait=0.5)
    async with connect(settings, person=None) as client:
        held = await call(client, "gmail_send", {"to": ["dana@example.com"], "subject": "mid-send", "body_text": "x"})
        cid = held["confirmation_id"]
        key = _record_key(own_cluster, cid)
        master = own_cluster.master_of(key)
        replica = _replica_of(own_cluster, master)
        control(url, "/_sandbox/faults", {"path_regex": "/messages/send$", "delay_ms": 1500, "count": 1})
        first: dict[str, Any] = {}

        async def confirm() -> None:
            first.update(await call(client, "confirm_action", {"confirmation_id": cid}))

        async with anyio.create_task_group() as tg:
            tg.start_soon(confirm)
            await _wait_status(own_cluster, key, "executing")  # claimed; the send is on the wire
            await anyio.to_thread.run_sync(_fail_over, own_cluster, master, replica)
        second = await call(client, "confirm_action", {"confirmation_id": cid})
    assert first["status"] == "done"
    # the promoted replica held the claim: the second confirmation found it taken and sent nothing
    assert second["status"] in ("done", "executing", "unknown"), second
    assert sends(url) == 1


def _spublishes(cluster: RedisCluster) -> dict[int, int]:
    """SPUBLISH calls so far, per live master."""
    out = {}
    for node in cluster.nodes:
        if node.alive() and node.role() == "master":
            stats = info(node.port, "INFO commandstats").get("cmdstat_spublish", "calls=0")
            out[node.port] = int(stats.split("calls=")[1].split(",")[0])
    return out


def _deliver(url: str, subject: str) -> None:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "dana.whitfield@example.com", "alex.morgan@example.com", subject
    msg.set_content("x")
    raw = base64.urlsafe_b64encode(msg.as_bytes()).decode()
    gmail(url).users().messages().insert(userId="me", body={"raw": raw, "labelIds": ["INBOX", "UNREAD"]}).execute()


async def test_updates_reach_subscribers_again_right_after_the_bus_channels_master_fails_over(
    fresh_sandbox: Any, make_settings: Any, own_cluster: RedisCluster
) -> None:
    url = fresh_sandbox.url
    told: list[str] = []
    arrived = anyio.Event()

    async def on_message(message: Any) -> None:
        root = getattr(message, "root", message)
        if getattr(root, "method", "") == "notifications/resources/updated":
            told.append(str(root.params.uri))
            arrived.set()

    settings = make_settings(url, poll_seconds=0.2, redis_url=own_cluster.url)
    async with connect(settings, "legacy", message_handler=on_message) as client:
        with warnings.catch_warnings():  # the 2025 call is deprecated in the 2026 SDK, and still served
            warnings.simplefilter("ignore")
            await client.subscribe_resource("gmail://inbox")
        await polled(url)  # the poller has read the mailbox once: a baseline
        before = _spublishes(own_cluster)
        _deliver(url, "before the failover")
        with anyio.fail_after(5):
            await arrived.wait()
        # the master that carried the update (its channel is this person's) dies; its replica takes over
        after = _spublishes(own_cluster)
        (port,) = [p for p in after if after[p] > before.get(p, 0)]
        master = next(node for node in own_cluster.nodes if node.port == port)
        replica = _replica_of(own_cluster, master)
        await anyio.to_thread.run_sync(_fail_over, own_cluster, master, replica, False)
        try:
            arrived = anyio.Event()
            _deliver(url, "after the failover")
            with anyio.fail_after(3):  # the listener follows the channel at once (no backoff of seconds)
                await arrived.wait()
        finally:
            _rejoin(own_cluster, master)
    assert told[-1] == "gmail://inbox"


async def test_a_server_whose_cluster_does_not_answer_starts_reads_and_says_what_is_down(
    fresh_sandbox: Any, make_settings: Any
) -> None:
    """No seed of the cluster answers: the server still starts and reads; a write is refused as the store
    being unreachable, with nothing sent (the update bus keeps trying in the background)."""
    url = fresh_sandbox.url
    nobody = f"redis+cluster://127.0.0.1:{free_ports(1)[0]}"
    settings = make_settings(url, redis_url=nobody, gmail_quota_units=0)
    async with connect(settings, person=None) as client:
        found = await call(client, "gmail_search", {"max_results": 2})
        held = await client.call_tool("gmail_send", {"to": ["dana@example.com"], "subject": "s", "body_text": "x"})
    assert len(found["messages"]) == 2
    assert held.is_error and "unreachable" in held.content[0].text  # type: ignore[union-attr]
    assert writes(url) == []
