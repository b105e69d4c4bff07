"""The record: every call and every step of a gated action, on SQLite and on MongoDB (a real wire server,
SecantusDB, in its own process), with the same tests: paths, privacy, retention, write-ahead, concurrency,
scoping."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from pymongo import MongoClient

from gemini_standin import GeminiStandIn, function_responses, text
from gemini_standin import call as gemini_call
from helpers import control
from mcp_helpers import Person, call, connect, fails, writes
from served import EXE, Served, _env

pytestmark = pytest.mark.anyio
SECRET_BODY = "The launch slips to March; keep this between us."
KEY = "AIzaSyD-not-a-real-key-0123456789abcdef"
MAIL = {"to": ["dana.whitfield@example.com"], "subject": "Launch date", "body_text": SECRET_BODY}


def stored(settings: Any) -> list[Any]:
    """Everything the store holds, decoded: MongoDB's documents, or SQLite's rows with each entry's JSON
    parsed (a search of an escaped dump would miss text JSON escapes: quotes, line breaks, non-ASCII)."""
    if settings.mongodb_url is not None:
        with MongoClient(settings.mongodb_url.get_secret_value()) as client:
            return list(client.get_default_database()["conversations"].find({}, {"_id": 0}))
    with sqlite3.connect(settings.log_file) as db:
        heads = [list(r) for r in db.execute("SELECT * FROM conversations")]
        rows = [[*r[:-1], json.loads(r[-1])] for r in db.execute("SELECT * FROM entries")]
    return heads + rows


def strings(value: Any) -> list[str]:
    """Every string in a decoded value, keys included."""
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (str(k), *strings(v))]
    if isinstance(value, list | tuple):
        return [s for v in value for s in strings(v)]
    return [value] if isinstance(value, str) else [str(value)]


def holds(settings: Any, text: str) -> bool:
    """Whether any stored string contains `text` (decoded values, not an escaped dump)."""
    return any(text in s for s in strings(stored(settings)))


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def steps(entries: list[dict[str, Any]], tool: str) -> list[str]:
    return [e["step"] for e in reversed(entries) if e["action"] == tool]


async def test_reads_and_every_gated_path_are_recorded(
    fresh_sandbox: Any, make_settings: Any, record_settings: dict[str, Any]
) -> None:
    url = fresh_sandbox.url
    settings = make_settings(url, auto_approve=["gmail_modify_labels"], **record_settings)
    person = Person()
    async with connect(settings, "legacy", person=person) as client:  # a session: one conversation
        found = await call(client, "gmail_search", {"query": "is:unread", "max_results": 3})
        assert (await call(client, "gmail_send", MAIL))["status"] == "done"  # asked in the client: yes
        person.approve = False
        await call(client, "gmail_create_draft", MAIL)  # asked: no
        mid = found["messages"][0]["id"]
        await call(client, "gmail_modify_labels", {"message_ids": [mid], "remove": ["UNREAD"]})  # auto-approved
        log = (await call(client, "activity_log", {"limit": 100}))["entries"]
    async with connect(settings, "legacy", person=None) as silent:
        held = await call(silent, "calendar_create_event", {"summary": "Record", "start": "2027-03-01T10:00:00Z"})
        await call(silent, "confirm_action", {"confirmation_id": held["confirmation_id"]})
        dropped = await call(silent, "gmail_send", MAIL)
        await call(silent, "cancel_action", {"confirmation_id": dropped["confirmation_id"]})
        later = (await call(silent, "activity_log", {"limit": 100}))["entries"]
    search = next(e for e in log if e["action"] == "gmail_search")
    assert search["step"] == "call" and search["status"] == "ok"
    assert search["result"]["messages_count"] == 3 and search["result"]["messages_ids"] == [
        m["id"] for m in found["messages"]
    ]
    assert steps(log, "gmail_send") == ["asked", "approved", "done", "call"]
    approved = next(e for e in log if e["action"] == "gmail_send" and e["step"] == "approved")
    assert approved["approved_by"] == "the person in the client" and approved["confirmation_id"]
    assert next(e for e in log if e["action"] == "gmail_send" and e["step"] == "done")["result"]["id"]
    assert steps(log, "gmail_create_draft") == ["asked", "declined", "call"]
    labels = [e for e in log if e["action"] == "gmail_modify_labels" and e["step"] == "approved"]
    assert labels[0]["approved_by"] == "auto-approved by GOOGLE_MCP_AUTO_APPROVE"
    assert steps(later, "calendar_create_event") == ["held", "call", "approved", "done"]
    assert (
        next(e for e in later if e["step"] == "approved" and e["action"] == "calendar_create_event")["approved_by"]
        == "model"
    )
    assert steps(later, "gmail_send")[-3:] == ["held", "call", "cancelled"]
    # two sessions, two conversations; each session's entries in its own
    first = {e["conversation"] for e in log}
    second = {e["conversation"] for e in later if e["action"] == "calendar_create_event"}
    assert len(first) == 1 and len(second) == 1 and first != second
    sent_only = await _log_of(settings, tool="gmail_send", status="done")
    assert [e["step"] for e in sent_only] == ["call", "done"]  # newest first: the call ends after its write


async def _log_of(settings: Any, **filters: Any) -> list[dict[str, Any]]:
    from google_mcp.principal import local_principal
    from google_mcp.record import open_journal

    journal = open_journal(settings)
    try:
        return await journal.actions(local_principal(), **filters)
    finally:
        await journal.close()


async def test_an_expired_confirmation_is_recorded(
    fresh_sandbox: Any, make_settings: Any, record_settings: dict[str, Any]
) -> None:
    settings = make_settings(fresh_sandbox.url, pending_ttl=0, **record_settings)
    async with connect(settings, person=None) as client:
        held = await call(client, "gmail_send", MAIL)
        await fails(client, "confirm_action", {"confirmation_id": held["confirmation_id"]})
    assert "expired" in [e["step"] for e in await _log_of(settings, tool="gmail_send")]


async def test_bodies_are_kept_as_length_and_hash_and_no_secret_is_kept(
    fresh_sandbox: Any, make_settings: Any, record_settings: dict[str, Any]
) -> None:
    url = fresh_sandbox.url
    settings = make_settings(url, **record_settings)
    async with connect(settings) as client:
        await call(client, "gmail_send", MAIL)
        mid = (await call(client, "gmail_search", {"query": 'subject:"contract renewal"', "max_results": 1}))[
            "messages"
        ][0]["id"]
        read = await call(client, "gmail_get_message", {"message_id": mid})
        await call(client, "docs_create", {"title": "Plan", "markdown": "# Plan\n\nThe numbers: 4,2 M€ secret."})
    assert not holds(settings, SECRET_BODY) and holds(settings, sha(SECRET_BODY))
    assert read["body"][:40].strip() and not holds(settings, read["body"][:40])
    assert not holds(settings, "4,2 M€ secret") and holds(settings, sha("# Plan\n\nThe numbers: 4,2 M€ secret."))
    assert holds(settings, "Launch date") and holds(settings, "dana.whitfield@example.com")  # what and to whom: kept
    credentials = control(url, "/_sandbox/credentials")
    assert not holds(settings, credentials["refresh_token"]) and not holds(settings, credentials["client_secret"])
    full = make_settings(url, log_content="full", **record_settings)
    async with connect(full) as client:
        await call(client, "gmail_send", {**MAIL, "subject": "Launch date again"})
    assert holds(full, SECRET_BODY)


async def test_summary_mode_keeps_as_text_only_what_its_allow_list_names(
    fresh_sandbox: Any, make_settings: Any, record_settings: dict[str, Any]
) -> None:
    """Each way content used to reach the record in clear: a failed replace's find text (through its error),
    a document's headings (through an error), a dict-valued body, an argument no tool declares."""
    settings = make_settings(fresh_sandbox.url, **record_settings)
    find = "Project Nightjar acquisition"
    headings = ["Hush-hush merger terms", "Layoffs in Q3"]
    body = {"html": "<p>The board votes on Friday</p>"}
    unknown = "my pin is 4471, don't tell"
    async with connect(settings) as client:
        doc = await call(
            client, "docs_create", {"title": "Board pack", "markdown": f"# {headings[0]}\n\nx\n\n## {headings[1]}\n\ny"}
        )
        document_id = doc["result"]["document_id"]
        shown = {
            "find": await fails(
                client, "docs_replace_text", {"document_id": document_id, "find": find, "replace": "z"}
            ),
            "heading": await fails(
                client, "docs_replace_section", {"document_id": document_id, "heading": "Budget", "markdown": "n"}
            ),
            "body": await fails(client, "gmail_send", {**MAIL, "body_text": body}),
            "unknown": await fails(client, "gmail_search", {"query": "is:unread", "mood": unknown, "api_key": KEY}),
        }
        log = (await call(client, "activity_log", {"limit": 100}))["entries"]
    assert find in shown["find"] and headings[1] in shown["heading"]  # the model is told them; the record is not
    for secret in (find, *headings, "The board votes on Friday", unknown, "4471", KEY):
        assert not holds(settings, secret), secret
    calls = {e["action"]: e for e in log if e["step"] == "call" and e["status"] == "error"}
    replace, section = calls["docs_replace_text"], calls["docs_replace_section"]
    assert replace["parameters"]["find"] == {"chars": len(find), "sha256": sha(find)}
    assert replace["parameters"]["document_id"] == document_id  # ids: kept
    assert section["parameters"]["heading"] == {"chars": 6, "sha256": sha("Budget")}
    assert section["error"] == "Error executing tool docs_replace_section: No heading …"
    for entry, told in ((replace, shown["find"]), (section, shown["heading"])):
        assert entry["error_digest"] == {"chars": len(told), "sha256": sha(told)}  # what the model was told
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False)
    assert calls["gmail_send"]["parameters"]["body_text"] == {"chars": len(canonical), "sha256": sha(canonical)}
    assert calls["gmail_send"]["parameters"]["subject"] == MAIL["subject"]
    assert calls["gmail_search"]["parameters"]["mood"] == {"chars": len(unknown), "sha256": sha(unknown)}
    assert holds(settings, sha(find)) and holds(settings, sha(unknown))
    assert calls["gmail_search"]["parameters"]["api_key"] == "[secret]"  # a secret: not even its hash
    assert not holds(settings, KEY) and not holds(settings, sha(KEY))


async def test_entries_past_the_retention_are_never_read_and_the_store_drops_them(
    make_settings: Any, record_settings: dict[str, Any]
) -> None:
    from google_mcp.principal import local_principal
    from google_mcp.record import open_journal

    settings = make_settings("http://127.0.0.1:9", log_retention_days=30, **record_settings)
    journal = open_journal(settings)
    old = (datetime.now(UTC) - timedelta(days=31)).isoformat(timespec="microseconds")
    me = local_principal()
    try:
        await journal.append("c1", me, {"action": "gmail_send", "step": "done", "status": "done", "timestamp": old})
        await journal.append("c1", me, {"action": "gmail_send", "step": "held", "status": "held"})
        assert [e["step"] for e in await journal.actions(me)] == ["held"]
        conversation = await journal.conversation("c1", me)
        assert conversation is not None and [e["step"] for e in conversation["tool_actions"]] == ["held"]
    finally:
        await journal.close()
    if settings.mongodb_url is not None:  # MongoDB's own TTL monitor removes the conversation after 30 days
        with MongoClient(settings.mongodb_url.get_secret_value()) as client:
            indexes = client.get_default_database()["conversations"].index_information()
        assert any(i.get("expireAfterSeconds") == 30 * 86400 for i in indexes.values()), indexes
        # the person changes the retention: the record keeps working, and keeps the new length
        longer = open_journal(make_settings("http://127.0.0.1:9", log_retention_days=60, **record_settings))
        try:
            await longer.append("c1", me, {"action": "gmail_send", "step": "done", "status": "done"})
        finally:
            await longer.close()
        with MongoClient(settings.mongodb_url.get_secret_value()) as client:
            indexes = client.get_default_database()["conversations"].index_information()
        assert any(i.get("expireAfterSeconds") == 60 * 86400 for i in indexes.values()), indexes
    else:  # the embedded store deletes old entries itself
        reopened = open_journal(settings)
        await reopened.actions(me)
        await reopened.close()
        with sqlite3.connect(settings.log_file) as db:
            assert db.execute("SELECT count(*) FROM entries").fetchone()[0] == 1


async def test_two_processes_append_to_one_conversation_without_losing_an_entry(
    make_settings: Any, record_settings: dict[str, Any], tmp_path: Any
) -> None:
    settings = make_settings("http://127.0.0.1:9", **record_settings)
    script = textwrap.dedent(
        """
        import anyio, sys
        from google_mcp.record import open_journal
        from google_mcp.settings import Settings

        async def main():
            journal = open_journal(Settings(_env_file=None))  # the record the environment names
            for n in range(100):
                entry = {"action": "gmail_send", "step": sys.argv[1] + str(n), "status": "done"}
                await journal.append("shared", "local:test", entry)
            await journal.close()

        anyio.run(main)
        """
    )
    env = {**os.environ}
    if settings.mongodb_url is not None:
        env["GOOGLE_MCP_MONGODB_URL"] = settings.mongodb_url.get_secret_value()
    else:
        env["GOOGLE_MCP_LOG_FILE"] = str(settings.log_file)
    procs = [subprocess.Popen([sys.executable, "-c", script, who], env=env) for who in ("a", "b")]
    assert [p.wait(120) for p in procs] == [0, 0]
    from google_mcp.record import open_journal

    journal = open_journal(settings)
    try:
        conversation = await journal.conversation("shared", "local:test")
        await journal.append("shared", "local:test", {"action": "gmail_send", "step": "c", "status": "done"})
        more = await journal.conversation("shared", "local:test")  # past one MongoDB bucket of 200
    finally:
        await journal.close()
    assert conversation is not None and more is not None
    assert [e["step"] for e in more["tool_actions"]][-1] == "c" and len(more["tool_actions"]) == 201
    got = [e["step"] for e in conversation["tool_actions"]]
    assert len(got) == 200 and sorted(got) == sorted([f"{w}{n}" for w in "ab" for n in range(100)])
    assert [s for s in got if s.startswith("a")] == [f"a{n}" for n in range(100)]  # each process's order kept


NONE_LOST = {"entries_not_recorded": 0}


async def test_a_write_does_not_run_when_its_approval_cannot_be_recorded(
    fresh_sandbox: Any, make_settings: Any, mongo_server: Any
) -> None:
    from google_mcp.server import build_server

    url = fresh_sandbox.url
    server = build_server(make_settings(url, mongodb_url=mongo_server.url("writeahead")))
    async with Client(server, mode="legacy") as client:
        held = await call(client, "gmail_send", MAIL)
        mongo_server.stop()  # MongoDB goes away while the person reads the preview
        try:
            refused = await call(client, "confirm_action", {"confirmation_id": held["confirmation_id"]})
            assert refused["status"] == "failed" and "could not be written" in refused["message"]
            assert "nothing was done" in refused["message"] and writes(url) == []
            assert (await call(client, "gmail_search", {"max_results": 1}))["messages"]  # reads go on
            health = (await server.state.gate.health())["record"]
            assert health["ok"] is False and health["entries_not_recorded"] >= 2
        finally:
            mongo_server.start()
        # the person tries again once the record is back and has written what waited (a bounded wait: the
        # driver finds the restarted server on a heartbeat, on a busy machine later than the 3 s a write waits)
        with anyio.fail_after(30):
            while (await server.state.gate.health())["record"] != {"backend": "mongodb", "ok": True, **NONE_LOST}:
                await anyio.sleep(0.2)
        done = await call(client, "confirm_action", {"confirmation_id": held["confirmation_id"]})
        assert done["status"] == "done"
        entries = (await call(client, "activity_log", {"tool": "gmail_send"}))["entries"]
    assert len([w for w in writes(url) if w["path"].endswith("/messages/send")]) == 1
    assert [e["step"] for e in reversed(entries)] == ["held", "call", "approved", "done"]  # nothing lost


async def test_a_record_that_cannot_be_opened_refuses_writes_and_lets_reads_go_on(
    fresh_sandbox: Any, make_settings: Any, tmp_path: Any
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the record's folder should be")
    settings = make_settings(fresh_sandbox.url, log_file=blocker / "record.sqlite3")
    async with connect(settings) as client:
        assert (await call(client, "gmail_search", {"max_results": 1}))["messages"]
        message = await fails(client, "gmail_send", MAIL)
        assert "could not be written" in message and "nothing was done" in message
    assert writes(fresh_sandbox.url) == []
    doctor = subprocess.run(
        [EXE, "doctor", "--sandbox-url", fresh_sandbox.url],
        env=_env(GOOGLE_MCP_LOG_FILE=str(blocker / "record.sqlite3")),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert doctor.returncode == 1 and "Record: SQLite at" in doctor.stdout and "writes will not run" in doctor.stdout


async def test_the_router_records_its_conversation(
    fresh_sandbox: Any, make_settings: Any, record_settings: dict[str, Any]
) -> None:
    def script(body: dict[str, Any], n: int) -> Any:
        if not function_responses(body):
            return gemini_call("gmail_send", MAIL)
        return text("It waits for your approval.")

    with GeminiStandIn(script) as gemini:
        settings = make_settings(fresh_sandbox.url, gemini_api_key="k", gemini_base_url=gemini.url, **record_settings)
        async with connect(settings, person=None) as client:
            asked = await call(client, "ask", {"request": "tell Dana the launch slips"})
            cid = asked["conversation_id"]
            entries = (await call(client, "activity_log", {"conversation_id": cid}))["entries"]
    assert [(e["action"], e["step"]) for e in reversed(entries)] == [("gmail_send", "held"), ("gmail_send", "call")]
    from google_mcp.principal import local_principal
    from google_mcp.record import open_journal

    journal = open_journal(settings)
    try:
        conversation = await journal.conversation(cid, local_principal())
    finally:
        await journal.close()
    assert conversation is not None
    assert [m["role"] for m in conversation["messages"]] == ["user", "assistant"]
    assert conversation["messages"][0]["content"]["sha256"] == hashlib.sha256(b"tell Dana the launch slips").hexdigest()


async def test_the_log_is_its_callers_own(fresh_sandbox: Any, tmp_path: Any) -> None:
    server = Served.http(
        fresh_sandbox.url,
        GOOGLE_MCP_TOKEN_FILE=str(tmp_path / "token.json"),
        GOOGLE_MCP_LOG_FILE=str(tmp_path / "record.sqlite3"),
        GOOGLE_MCP_AUTH_TOKEN="alpha-token,beta-token",
    )

    async def session(token: str, *calls: tuple[str, dict[str, Any]]) -> list[dict[str, Any]]:
        async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}) as http:
            async with Client(streamable_http_client(server.url + "/mcp", http_client=http), mode="legacy") as client:  # type: ignore[arg-type]
                return [await call(client, name, args) for name, args in calls]

    try:
        await session("alpha-token", ("gmail_search", {"max_results": 1}), ("gmail_send", MAIL))
        (beta,) = await session("beta-token", ("activity_log", {}))
        (alpha,) = await session("alpha-token", ("activity_log", {}))
    finally:
        server.stop()
    assert beta["entries"] == []
    assert {e["action"] for e in alpha["entries"]} == {"gmail_search", "gmail_send"}
    # the command line reads the same record
    shown = subprocess.run(
        [EXE, "log", "--json", "--principal", _principal_of("alpha-token")],
        env=_env(GOOGLE_MCP_LOG_FILE=str(tmp_path / "record.sqlite3")),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert shown.returncode == 0, shown.stderr
    assert {e["action"] for e in json.loads(shown.stdout)} == {"gmail_search", "gmail_send", "activity_log"}


def _principal_of(token: str) -> str:
    from google_mcp.http import principal_of

    return principal_of(token)


async def test_an_approval_out_of_band_is_recorded_with_who_approved(fresh_sandbox: Any, tmp_path: Any) -> None:
    record = str(tmp_path / "record.sqlite3")
    env = {"GOOGLE_MCP_TOKEN_FILE": str(tmp_path / "token.json"), "GOOGLE_MCP_LOG_FILE": record}
    server = Served.http(fresh_sandbox.url, **env)
    try:
        async with httpx2.AsyncClient() as http:
            async with Client(streamable_http_client(server.url + "/mcp", http_client=http), mode="legacy") as client:  # type: ignore[arg-type]
                held = await call(client, "gmail_send", MAIL)
        approved = subprocess.run(
            [EXE, "approve", held["confirmation_id"], "--yes", "--url", server.url],
            env=_env(**env),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert approved.returncode == 0, approved.stderr
    finally:
        server.stop()
    shown = subprocess.run(
        [EXE, "log", "--tool", "gmail_send"], env=_env(**env), capture_output=True, text=True, timeout=30
    )
    lines = shown.stdout.splitlines()
    assert any("approved" in line and "by the person with the approval key (/confirm)" in line for line in lines)
    assert [line.split()[2] for line in lines] == ["held:", "call:", "approved:", "done:"]


async def test_a_failed_and_an_unknown_outcome_are_recorded(
    fresh_sandbox: Any, make_settings: Any, record_settings: dict[str, Any]
) -> None:
    from tcp_proxy import TcpProxy

    url = fresh_sandbox.url
    proxy = TcpProxy.to(url)
    try:
        settings = make_settings(proxy.url, **record_settings)
        async with connect(settings, person=None) as client:
            refused = await call(client, "gmail_send", MAIL)
            control(
                url, "/_sandbox/faults", {"method": "POST", "path_regex": "/messages/send$", "status": 400, "count": 1}
            )
            failed = await call(client, "confirm_action", {"confirmation_id": refused["confirmation_id"]})
            lost = await call(client, "gmail_send", {**MAIL, "subject": "Lost answer"})
            proxy.drop_after("POST", r"/messages/send")  # Google sends it; the answer never comes back
            unknown = await call(client, "confirm_action", {"confirmation_id": lost["confirmation_id"]})
            entries = (await call(client, "activity_log", {"tool": "gmail_send"}))["entries"]
    finally:
        proxy.stop()
    assert failed["status"] == "failed" and unknown["status"] == "unknown"
    by_id = {e["confirmation_id"]: [] for e in entries if e.get("confirmation_id")}
    for e in reversed(entries):
        if e.get("confirmation_id"):
            by_id[e["confirmation_id"]].append(e["step"])
    assert by_id[refused["confirmation_id"]] == ["held", "approved", "failed"]
    assert by_id[lost["confirmation_id"]] == ["held", "approved", "unknown"]
    assert "may or may not" in next(e for e in entries if e["step"] == "unknown")["error"]
