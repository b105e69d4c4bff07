"""Google Chat: the sandbox's Chat v1 against the discovery document with the real client, and the Chat tools
through an MCP client session (names, not ids; threads; search; posts and reactions held, confirmed once or
declined, the preview naming the space, its member count, the thread and the exact text)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from googleapiclient.errors import HttpError

from helpers import chat, credentials, run
from mcp_helpers import Person, call, connect, fails, writes

pytestmark = pytest.mark.anyio

TOOLS = ["gmail", "calendar", "chat"]
READS = {"chat_list_spaces", "chat_read_space", "chat_search"}
WRITES = {"chat_post_message", "chat_react"}
READONLY = "+".join(
    "https://www.googleapis.com/auth/chat." + s
    for s in ("spaces.readonly", "messages.readonly", "memberships.readonly")
)


def chat_writes(url: str) -> list[dict[str, Any]]:
    return [w for w in writes(url) if w["path"].startswith("/v1/spaces")]


def test_the_sandbox_answers_as_chat_does(fresh_sandbox: Any) -> None:
    api = chat(fresh_sandbox.url)
    spaces = run(api.spaces().list())["spaces"]
    assert [s.get("displayName", s["spaceType"]) for s in spaces] == [
        "Apollo launch",
        "Team Berlin",
        "GROUP_CHAT",
        "DIRECT_MESSAGE",
    ]
    named = run(api.spaces().list(filter='spaceType = "SPACE"'))["spaces"]
    assert len(named) == 2
    apollo = run(api.spaces().get(name=spaces[0]["name"]))
    assert apollo["membershipCount"]["joinedDirectHumanUserCount"] == 6
    members = run(api.spaces().members().list(parent=apollo["name"]))["memberships"]
    names = {m["member"]["name"]: m["member"]["displayName"] for m in members}
    assert "Dana Whitfield" in names.values()
    newest = run(api.spaces().messages().list(parent=apollo["name"], orderBy="createTime desc", pageSize=3))
    assert len(newest["messages"]) == 3 and newest["nextPageToken"]
    assert newest["messages"][0]["createTime"] > newest["messages"][1]["createTime"]
    assert all(set(m["sender"]) == {"name", "type"} for m in newest["messages"])  # user auth: ids, no names
    oldest = run(api.spaces().messages().list(parent=apollo["name"]))["messages"][0]
    thread = oldest["thread"]["name"]
    in_thread = run(api.spaces().messages().list(parent=apollo["name"], filter=f'thread.name = "{thread}"'))
    assert len(in_thread["messages"]) == 4 and all(m["thread"]["name"] == thread for m in in_thread["messages"])
    recent = run(
        api.spaces()
        .messages()
        .list(parent=apollo["name"], filter=f'createTime > "{newest["messages"][2]["createTime"]}"')
    )
    assert len(recent["messages"]) == 2
    assert run(api.spaces().messages().get(name=oldest["name"]))["text"] == oldest["text"]
    # a reply in a thread, once per requestId; a new thread by key; reactions
    body = {"text": "Agreed.", "thread": {"name": thread}}
    reply = run(
        api.spaces()
        .messages()
        .create(parent=apollo["name"], body=body, messageReplyOption="REPLY_MESSAGE_OR_FAIL", requestId="r-1")
    )
    assert reply["thread"]["name"] == thread and reply["threadReply"] is True
    same = run(
        api.spaces()
        .messages()
        .create(parent=apollo["name"], body=body, messageReplyOption="REPLY_MESSAGE_OR_FAIL", requestId="r-1")
    )
    assert same["name"] == reply["name"]
    keyed = {"text": "New topic", "thread": {"threadKey": "topic-1"}}
    first = run(
        api.spaces()
        .messages()
        .create(parent=apollo["name"], body=keyed, messageReplyOption="REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD")
    )
    second = run(
        api.spaces()
        .messages()
        .create(parent=apollo["name"], body=keyed, messageReplyOption="REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD")
    )
    assert first["thread"]["name"] == second["thread"]["name"] != thread
    reaction = run(api.spaces().messages().reactions().create(parent=oldest["name"], body={"emoji": {"unicode": "👍"}}))
    assert reaction["emoji"]["unicode"] == "👍"
    summary = run(api.spaces().messages().get(name=oldest["name"]))["emojiReactionSummaries"]
    assert summary == [{"emoji": {"unicode": "👍"}, "reactionCount": 1}]
    # Google's errors
    missing = {"text": "x", "thread": {"name": apollo["name"] + "/threads/nope"}}
    for request, status in [
        (api.spaces().get(name="spaces/NOPE"), 404),
        (api.spaces().messages().list(parent=apollo["name"], filter="text contains launch"), 400),
        (api.spaces().messages().list(parent="spaces/NOPE"), 404),
        (api.spaces().messages().create(parent=apollo["name"], body={"text": " "}), 400),
        (api.spaces().messages().create(parent=apollo["name"], body={"text": "ok", "txt": "typo"}), 400),
        (
            api.spaces()
            .messages()
            .create(parent=apollo["name"], body=missing, messageReplyOption="REPLY_MESSAGE_OR_FAIL"),
            404,
        ),
        (api.spaces().messages().reactions().create(parent=oldest["name"], body={"emoji": {"unicode": "👍"}}), 409),
        (api.spaces().messages().reactions().create(parent=oldest["name"], body={"emoji": {"unicode": "ok"}}), 400),
    ]:
        with pytest.raises(HttpError) as failed:
            request.execute()
        assert failed.value.status_code == status
    readonly = chat(fresh_sandbox.url, credentials(fresh_sandbox.url, scopes=READONLY))
    assert run(readonly.spaces().list())["spaces"]
    with pytest.raises(HttpError) as refused:
        readonly.spaces().messages().create(parent=apollo["name"], body={"text": "no"}).execute()
    assert refused.value.status_code == 403


async def test_reads_name_people_not_ids_and_keep_threads_together(fresh_sandbox: Any, make_settings: Any) -> None:
    async with connect(make_settings(fresh_sandbox.url, tools=TOOLS)) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        assert {n for n in tools if n.startswith("chat_")} == READS | WRITES
        assert all(tools[n].annotations.read_only_hint for n in READS)
        assert not any(tools[n].annotations.read_only_hint for n in WRITES)
        spaces = (await call(client, "chat_list_spaces"))["spaces"]
        assert [(s["title"], s["members"]) for s in spaces] == [
            ("Apollo launch", 6),
            ("Team Berlin", 4),
            ("Group chat with Alex Morgan, Fatima Al-Sayed, Priya Raman", 3),
            ("Direct message with Alex Morgan, Dana Whitfield", 2),
        ]
        read = await client.call_tool("chat_read_space", {"space": "apollo launch"})
        text = read.content[0].text
        assert "users/" not in text and "Dana Whitfield" in text and "a former member" in text
        assert text.splitlines()[0].startswith("11 messages in Apollo launch (spaces/") and "6 members" in text
        lines = text.splitlines()[1:]
        first = next(i for i, line in enumerate(lines) if "Launch moves to Tuesday?" in line)
        assert [line.startswith("↳ ") for line in lines[first : first + 4]] == [False, True, True, True]
        thread = re.search(r"thread (\w+)", lines[first]).group(1)  # type: ignore[union-attr]
        only = await call(client, "chat_read_space", {"space": "Apollo launch", "thread": thread})
        assert len(only["messages"]) == 4 and {m["sender"] for m in only["messages"]} >= {"Marcus Chen"}
        found = (await call(client, "chat_search", {"query": "LAUNCH"}))["messages"]
        assert {m["space"] for m in found} == {"Apollo launch", "Direct message with Alex Morgan, Dana Whitfield"}
        assert all("launch" in m["text"].lower() for m in found)
        one = (await call(client, "chat_search", {"query": "launch", "space": "Apollo launch"}))["messages"]
        assert [m["sender"] for m in one] == ["Dana Whitfield"]


async def test_a_post_shows_the_space_its_members_the_thread_and_the_exact_text_and_runs_once(
    fresh_sandbox: Any, make_settings: Any
) -> None:
    url = fresh_sandbox.url
    person = Person()
    async with connect(make_settings(url, tools=TOOLS), person=person) as client:
        page = await call(client, "chat_read_space", {"space": "Apollo launch"})
        root = page["messages"][0]
        thread = root["thread"].rsplit("/", 1)[1]
        cases = {
            "chat_post_message": {"space": "Apollo launch", "text": "Tuesday it is.\nI'll tell *the board*."},
            "reply": {"space": "Apollo launch", "text": "Agreed — Tuesday.", "thread": thread},
            "chat_react": {"space": "Apollo launch", "message": root["id"].rsplit("/", 1)[1], "emoji": "🎉"},
        }
        for case, args in cases.items():
            tool = "chat_react" if case == "chat_react" else "chat_post_message"
            person.action = "decline"
            before = len(chat_writes(url))
            assert (await call(client, tool, args))["status"] == "declined"
            assert len(chat_writes(url)) == before, f"{case} wrote after a decline"
            person.action = "accept"
            outcome = await call(client, tool, args)
            assert outcome["status"] == "done", (case, outcome)
            assert len(chat_writes(url)) == before + 1
            details = outcome["preview"]["details"]
            asked = person.asked[-1]
            if tool == "chat_post_message":
                assert "Space: Apollo launch (6 members)" in details
                assert f"Text:\n{args['text']}" in details and args["text"] in asked
            if case == "reply":
                assert "In the thread of Dana Whitfield (3 replies): Launch moves to Tuesday?" in details[1]
                assert outcome["result"]["thread"] == root["thread"]
            if case == "chat_post_message":
                assert "A new message in the space (not in a thread)" in details
            if case == "chat_react":
                assert outcome["preview"]["summary"] == "🎉 on Dana Whitfield's message in Apollo launch"
        for thread_id, why in [("nope", "No thread 'nope' in Apollo launch"), ("a/b/c", "is not a thread of this")]:
            refused = await fails(
                client, "chat_post_message", {"space": "Apollo launch", "text": "x", "thread": thread_id}
            )
            assert why in refused
        dm = {"space": "Direct message with Alex Morgan, Dana Whitfield", "text": "x", "thread": thread}
        assert "Only named spaces have threads" in await fails(client, "chat_post_message", dm)
        assert "not a name or shortcode" in await fails(
            client, "chat_react", {**cases["chat_react"], "emoji": ":tada:"}
        )
    after = await _read(make_settings(url, tools=TOOLS))
    assert sum("Tuesday it is." in m["text"] for m in after) == 1
    reply = next(m for m in after if m["text"] == "Agreed — Tuesday.")
    assert reply["reply"] and reply["thread"] == root["thread"]
    assert next(m for m in after if m["id"] == root["id"])["reactions"] == "🎉 1"


async def _read(settings: Any) -> list[dict[str, Any]]:
    async with connect(settings) as client:
        return list((await call(client, "chat_read_space", {"space": "Apollo launch", "max_results": 50}))["messages"])


async def test_a_held_post_runs_once_on_confirm_action_and_hidden_text_always_asks(
    fresh_sandbox: Any, make_settings: Any
) -> None:
    url = fresh_sandbox.url
    async with connect(make_settings(url, tools=TOOLS), person=None) as client:
        held = await call(client, "chat_post_message", {"space": "Team Berlin", "text": "Hotel, agreed."})
        assert held["status"] == "confirmation_required" and chat_writes(url) == []
        assert "Space: Team Berlin (4 members)" in held["preview"]["details"]
        for _ in range(2):
            done = await call(client, "confirm_action", {"confirmation_id": held["confirmation_id"]})
            assert done["status"] == "done"
        assert len(chat_writes(url)) == 1
    settings = make_settings(url, tools=TOOLS, auto_approve=["chat_post_message"])
    async with connect(settings, person=None) as client:
        plain = await call(client, "chat_post_message", {"space": "Team Berlin", "text": "See you there."})
        assert plain["status"] == "done"
        hidden = await call(client, "chat_post_message", {"space": "Team Berlin", "text": "ok\u200b\u200bsecret"})
        assert hidden["status"] == "confirmation_required" and "invisible characters" in hidden["message"]
        assert "⟨U+200B⟩" in hidden["preview"]["details"][-1]
    assert len(chat_writes(url)) == 2
