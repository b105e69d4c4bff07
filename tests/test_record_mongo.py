"""The record on a MongoDB replica set: its URL used as it is, majority-acknowledged writes, and what happens
while MongoDB is away (SecantusDB answers as a one-member replica set named "secantus")."""

from __future__ import annotations

from typing import Any

import pytest
from mcp import Client
from prometheus_client.parser import text_string_to_metric_families
from pymongo import MongoClient, monitoring

from mcp_helpers import call, writes

pytestmark = pytest.mark.anyio
MAIL = {"to": ["dana@example.com"], "subject": "while the record was away", "body_text": "x"}


class Writes(monitoring.CommandListener):
    """The write commands this process's MongoDB clients send, as the driver puts them on the wire."""

    def __init__(self) -> None:
        self.on = False
        self.seen: list[dict[str, Any]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if self.on and event.command_name in ("update", "insert"):
            self.seen.append(dict(event.command))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        return None

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        return None


LISTENER = Writes()
monitoring.register(LISTENER)  # clients made from now on report to it (only while a test turns it on)


def counted() -> dict[tuple[str, str], float]:
    """This process's /metrics body (the served server's, in process), as (sample, label values) -> value."""
    from google_mcp import metrics

    body, _ = metrics.exposition()
    return {
        (s.name, ",".join(s.labels.values())): s.value
        for family in text_string_to_metric_families(body.decode())
        for s in family.samples
    }


@pytest.fixture
def listening() -> Any:
    LISTENER.seen.clear()
    LISTENER.on = True
    yield LISTENER
    LISTENER.on = False


async def test_a_replica_set_url_keeps_every_entry_through_an_outage_and_no_write_runs_unrecorded(
    fresh_sandbox: Any, make_settings: Any, mongo_server: Any, listening: Writes
) -> None:
    from google_mcp.server import build_server

    url = fresh_sandbox.url
    record = f"mongodb://127.0.0.1:{mongo_server.port}/outage?replicaSet=secantus"  # as an operator writes it
    server = build_server(make_settings(url, mongodb_url=record))
    before = counted()
    async with Client(server, mode="legacy") as client:
        held = await call(client, "gmail_send", MAIL)
        cid = held["confirmation_id"]
        mongo_server.stop()  # the whole replica set is away while the person reads the preview
        try:
            # a read goes on; its entry waits for the record
            assert (await call(client, "gmail_search", {"query": "during the outage", "max_results": 1})) is not None
            refused = await call(client, "confirm_action", {"confirmation_id": cid})
            assert refused["status"] == "failed" and "could not be written: it is unreachable" in refused["message"]
            assert "nothing was done" in refused["message"] and f"confirmation_id='{cid}'" in refused["message"]
            assert writes(url) == []  # nothing went to Google
            waiting = await call(client, "list_pending_actions")
            assert [a["confirmation_id"] for a in waiting["actions"]] == [cid]  # still approvable
        finally:
            mongo_server.start()
        done = await call(client, "confirm_action", {"confirmation_id": cid})
        assert done["status"] == "done"
        log = (await call(client, "activity_log", {}))["entries"]
    assert len([w for w in writes(url) if w["path"].endswith("/messages/send")]) == 1
    after = counted()

    def grew(sample: str, label: str) -> float:
        return after.get((sample, label), 0) - before.get((sample, label), 0)

    assert grew("google_mcp_record_failures_total", "approval") == 1
    assert grew("google_mcp_gate_steps_total", "approved") == 1  # the refused approval is no approval
    steps = [(e["action"], e["step"]) for e in reversed(log)]
    # nothing recorded is lost: the search made while MongoDB was away is there, once, in its place
    assert steps == [
        ("gmail_send", "held"),
        ("gmail_send", "call"),
        ("gmail_search", "call"),
        ("confirm_action", "call"),  # the refused confirmation
        ("list_pending_actions", "call"),
        ("gmail_send", "approved"),
        ("gmail_send", "done"),
        ("confirm_action", "call"),
    ]
    with MongoClient(record) as direct:  # in the database, as a reader of the replica set sees it
        buckets = direct.get_default_database()["conversations"].find()
        stored = [(e["action"], e["step"]) for b in buckets for e in b["tool_actions"]]
    assert sorted(stored) == sorted([*steps, ("activity_log", "call")])  # each once, none twice
    # every write to the record asked a majority of the set; the approval, its journal too
    concerns = [c.get("writeConcern") for c in listening.seen]
    assert concerns and all(c is not None and c["w"] == "majority" for c in concerns)
    # retryable writes: each carries the transaction number a retry is recognised by
    assert all("txnNumber" in c and "lsid" in c for c in listening.seen)
    approved = [c for c in listening.seen if "approved" in str(c.get("updates"))]
    assert approved and all(c["writeConcern"] == {"w": "majority", "j": True} for c in approved)
