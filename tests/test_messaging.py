"""Slack and SMS through MCP client sessions, against the `emulate` Slack and Twilio emulators (real
slack_sdk and twilio clients over HTTP): reads, paging, threads, posts and texts behind the gate, retries
of reads, and writes whose answer is lost."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from mcp_helpers import Person, call, connect, fails
from tcp_proxy import TcpProxy

pytestmark = pytest.mark.anyio


async def test_channels_messages_threads_and_people(make_settings: Any, emulator: Any) -> None:
    async with connect(make_settings("http://127.0.0.1:9")) as client:
        channels = (await call(client, "slack_list_channels"))["channels"]
        assert {"general", "launch"} <= {c["name"] for c in channels} and all("members" in c for c in channels)
        first = await call(client, "slack_read_channel", {"channel": "#general", "limit": 5})
        assert len(first["messages"]) == 5 and first["messages"][0]["user"] == "Admin User"  # a name, not an id
        more = await call(client, "slack_read_channel", {"channel": "#general", "cursor": first["next_cursor"]})
        assert more["messages"] and {m["ts"] for m in more["messages"]}.isdisjoint({m["ts"] for m in first["messages"]})
        assert max(float(m["ts"]) for m in more["messages"]) < min(float(m["ts"]) for m in first["messages"])
        launch = (await call(client, "slack_read_channel", {"channel": "launch"}))["messages"]
        root = next(m for m in launch if m["text"] == "Launch moves to Tuesday?")
        assert root["replies"] == 1
        thread = await call(client, "slack_read_channel", {"channel": "#launch", "thread_ts": root["ts"]})
        assert [m["text"] for m in thread["messages"]] == ["Launch moves to Tuesday?", "Yes, Tuesday 10:00."]
        people = (await call(client, "slack_find_user", {"query": "dana"}))["users"]
        assert [(u["real_name"], u["email"]) for u in people] == [("Dana Whitfield", "dana.whitfield@example.com")]
        missing = await fails(client, "slack_read_channel", {"channel": "#nowhere"})
        assert "slack_list_channels" in missing


async def test_a_thread_reply_is_posted_once_after_the_person_sees_it(make_settings: Any, emulator: Any) -> None:
    person = Person()
    before = len(emulator.posts())
    async with connect(make_settings("http://127.0.0.1:9"), person=person) as client:
        root = next(m for m in emulator.posts() if m["text"] == "Launch moves to Tuesday?")
        args = {"channel": "#launch", "text": "Confirmed for Tuesday 10:00 🎉", "thread_ts": root["ts"]}
        person.approve = False
        assert (await call(client, "slack_post_message", args))["status"] == "declined"
        assert len(emulator.posts()) == before
        person.approve = True
        done = await call(client, "slack_post_message", args)
    assert done["status"] == "done"
    question = person.asked[-1]
    assert "Channel: #launch (" in question and "members)" in question
    assert (
        "In the thread of Admin User: Launch moves to Tuesday?" in question
        and "Confirmed for Tuesday 10:00 🎉" in question
    )
    posts = emulator.posts()
    assert len(posts) == before + 1
    assert next(p for p in posts if p["text"] == args["text"])["thread_ts"] == root["ts"]


async def test_posts_and_texts_wait_for_confirmation_and_racing_confirms_send_once(
    make_settings: Any, emulator: Any
) -> None:
    posts, texts = len(emulator.posts()), len(emulator.texts())
    async with connect(make_settings("http://127.0.0.1:9"), person=None) as client:
        post = await call(client, "slack_post_message", {"channel": "launch", "text": "Standup moved to 9:30"})
        text = await call(client, "sms_send", {"to": "+1 (415) 555-0123", "text": "Running 10 minutes late, sorry!"})
        assert post["status"] == text["status"] == "confirmation_required"
        assert (
            "To: +14155550123" in text["preview"]["details"]
            and "Segments: 1 (31 characters)" in text["preview"]["details"]
        )
        assert len(emulator.posts()) == posts and len(emulator.texts()) == texts  # nothing before approval
        for held in (post, text):
            async with anyio.create_task_group() as tg:  # five confirms of one action at once
                for _ in range(5):
                    tg.start_soon(client.call_tool, "confirm_action", {"confirmation_id": held["confirmation_id"]})
        listed = (await call(client, "sms_list_messages", {"number": "+14155550123"}))["messages"]
        assert listed[0]["body"] == "Running 10 minutes late, sorry!" and listed[0]["direction"] == "outbound-api"
        bad = await fails(client, "sms_send", {"to": "555-0123", "text": "x"})
        assert "E.164" in bad
        long = await call(client, "sms_send", {"to": "+14155550123", "text": "ż" * 71})  # not GSM-7: 70 a segment
        assert "Segments: 2 (71 characters)" in long["preview"]["details"]
    assert len(emulator.posts()) == posts + 1 and len(emulator.texts()) == texts + 1


async def test_reads_are_retried_on_429(make_settings: Any, emulator: Any) -> None:
    slack, twilio = TcpProxy.to(emulator.slack_url.rsplit("/api/", 1)[0]), TcpProxy.to(emulator.twilio_url)
    try:
        settings = make_settings("http://127.0.0.1:9", slack_base_url=slack.url + "/api/", twilio_base_url=twilio.url)
        slack.answer("POST", r"conversations\.list", 429, b'{"ok":false,"error":"ratelimited"}')
        twilio.answer("GET", r"/Messages\.json", 429, b'{"code":20429,"message":"Too Many Requests","status":429}')
        async with connect(settings) as client:
            assert (await call(client, "slack_list_channels"))["channels"]
            assert "messages" in await call(client, "sms_list_messages")
        assert [s.path for s in slack.seen].count("/api/conversations.list") == 2  # refused once, then answered
        assert len([s for s in twilio.seen if "/Messages.json" in s.path]) == 2
    finally:
        slack.stop()
        twilio.stop()


async def test_a_post_or_text_whose_answer_is_lost_is_possibly_done_and_never_repeated(
    make_settings: Any, emulator: Any
) -> None:
    slack, twilio = TcpProxy.to(emulator.slack_url.rsplit("/api/", 1)[0]), TcpProxy.to(emulator.twilio_url)
    posts, texts = len(emulator.posts()), len(emulator.texts())
    try:
        settings = make_settings("http://127.0.0.1:9", slack_base_url=slack.url + "/api/", twilio_base_url=twilio.url)
        slack.drop_after("POST", r"chat\.postMessage")  # Slack posts it; the answer never comes back
        twilio.drop_after("POST", r"/Messages\.json")
        async with connect(settings) as client:
            for tool, args in [
                ("slack_post_message", {"channel": "#launch", "text": "Is this posted?"}),
                ("sms_send", {"to": "+14155550123", "text": "Is this sent?"}),
            ]:
                message = await fails(client, tool, args)
                assert "may or may not" in message and "never re-sent" in message, message
    finally:
        slack.stop()
        twilio.stop()
    assert len(emulator.posts()) == posts + 1 and len(emulator.texts()) == texts + 1  # once each, not twice


@pytest.mark.parametrize(
    ("text", "segments", "encoding"),
    [
        ("a" * 160, 1, "GSM-7"),
        ("a" * 161, 2, "GSM-7"),
        ("a" * 306, 2, "GSM-7"),
        ("a" * 307, 3, "GSM-7"),
        ("€" * 80, 1, "GSM-7"),  # 160 septets: one segment
        ("€" + "a" * 159, 2, "GSM-7"),  # 161 septets
        ("€" * 160, 3, "GSM-7"),  # 320 septets: 76 pairs fit a 153-septet segment, so 76 + 76 + 8
        ("a" * 152 + "€" + "a" * 152, 3, "GSM-7"),  # the escape pair cannot straddle two segments
        ("a" * 151 + "€" + "a" * 153, 2, "GSM-7"),  # it can end one exactly
        ("[{}]~^|\\\f" * 17, 3, "GSM-7"),  # each extension character is two septets: 306, yet 76 pairs a segment
        ("Grüße aus Köln, 10 €", 1, "GSM-7"),
        ("ż" * 70, 1, "UCS-2"),
        ("ż" * 71, 2, "UCS-2"),
        ("ż" * 134, 2, "UCS-2"),
        ("ż" * 135, 3, "UCS-2"),
        ("a" * 159 + "ç", 3, "UCS-2"),  # one character outside GSM-7 (ç, unlike Ç) makes all of it UCS-2
        ("😀" * 35, 1, "UCS-2"),  # a surrogate pair each: 70 units
        ("😀" * 36, 2, "UCS-2"),  # 72 units: 33 pairs fit a 67-unit segment, so 33 + 3
        ("😀" * 67, 3, "UCS-2"),  # 134 units would be two full segments, but 33 pairs a segment: 33 + 33 + 1
        ("a" * 66 + "😀" + "a" * 66, 3, "UCS-2"),  # a pair is never split either
    ],
)
async def test_the_preview_counts_sms_segments_as_a_handset_does(
    make_settings: Any, emulator: Any, text: str, segments: int, encoding: str
) -> None:
    async with connect(make_settings("http://127.0.0.1:9"), person=None) as client:
        held = await call(client, "sms_send", {"to": "+14155550123", "text": text})
        await call(client, "cancel_action", {"confirmation_id": held["confirmation_id"]})
    details = held["preview"]["details"]
    assert f"Segments: {segments} ({len(text)} characters)" in details, details
    assert any(d.startswith(f"Encoding: {encoding}") for d in details), details


async def test_a_text_past_ten_segments_is_refused_at_the_preview(make_settings: Any, emulator: Any) -> None:
    texts = len(emulator.texts())
    async with connect(make_settings("http://127.0.0.1:9"), person=None) as client:
        euros = await fails(client, "sms_send", {"to": "+14155550123", "text": "€" * 1530})
        assert "21 SMS segments in GSM-7 (at most 10)" in euros  # 3,060 septets, 76 euros a segment
        held = await call(client, "sms_send", {"to": "+14155550123", "text": "€" * 760})  # exactly 10
        assert "Segments: 10 (760 characters)" in held["preview"]["details"]
        assert "11 SMS segments" in await fails(client, "sms_send", {"to": "+14155550123", "text": "€" * 761})
        await call(client, "cancel_action", {"confirmation_id": held["confirmation_id"]})
    assert len(emulator.texts()) == texts


async def test_a_text_that_twilio_answers_with_a_5xx_is_never_sent_again(make_settings: Any, emulator: Any) -> None:
    """A 5xx to a send may come after Twilio queued the text: one POST, and the person told to check."""
    twilio = TcpProxy.to(emulator.twilio_url)
    texts = len(emulator.texts())
    try:
        settings = make_settings("http://127.0.0.1:9", twilio_base_url=twilio.url)
        body = b'{"code": 20500, "message": "Internal Server Error", "status": 503}'
        twilio.answer("POST", r"/Messages\.json", 503, body)  # a retry would reach Twilio
        async with connect(settings) as client:
            message = await fails(client, "sms_send", {"to": "+14155550123", "text": "Only once, please."})
            assert "Twilio failed (503)" in message and "may or may not have been sent" in message, message
            assert "sms_list_messages" in message
    finally:
        twilio.stop()
    assert [s.method for s in twilio.seen if "/Messages.json" in s.path] == ["POST"]
    assert len(emulator.texts()) == texts


async def test_a_long_post_or_text_is_previewed_whole(make_settings: Any, emulator: Any) -> None:
    post = " ".join(f"Step {n}: check the launch list." for n in range(100)) + " END-OF-POST"
    text = " ".join(f"Gate {n} open." for n in range(90)) + " END-OF-TEXT"
    assert len(post) > 3000 and 1200 < len(text) <= 1530
    posts, texts = len(emulator.posts()), len(emulator.texts())
    async with connect(make_settings("http://127.0.0.1:9"), person=None) as client:
        held_post = await call(client, "slack_post_message", {"channel": "#launch", "text": post})
        held_text = await call(client, "sms_send", {"to": "+14155550123", "text": text})
        for held in (held_post, held_text):
            assert held["status"] == "confirmation_required"
            await call(client, "cancel_action", {"confirmation_id": held["confirmation_id"]})
    assert held_post["preview"]["details"][-1] == f"Text:\n{post}"
    assert held_text["preview"]["details"][-1] == f"Text:\n{text}"
    assert len(emulator.posts()) == posts and len(emulator.texts()) == texts


async def test_invisible_characters_in_a_post_or_text_are_written_out_and_always_ask(
    make_settings: Any, emulator: Any
) -> None:
    smuggled = "".join(chr(0xE0000 + ord(c)) for c in "otp=482913")  # tag characters: invisible, read by models
    posts, texts = len(emulator.posts()), len(emulator.texts())
    settings = make_settings("http://127.0.0.1:9", auto_approve=["slack_post_message", "sms_send"])
    async with connect(settings, person=None) as client:
        post = await call(client, "slack_post_message", {"channel": "#launch", "text": f"Ship it 🚀{smuggled}"})
        text = await call(client, "sms_send", {"to": "+14155550123", "text": f"On my way\u200b{smuggled}"})
        for held in (post, text):
            assert held["status"] == "confirmation_required" and "invisible characters" in held["message"]
            await call(client, "cancel_action", {"confirmation_id": held["confirmation_id"]})
        plain = await call(client, "slack_post_message", {"channel": "#launch", "text": "Ship it 🚀 ❤️"})
        assert plain["status"] == "done"  # auto-approving still works for text that hides nothing
    assert post["preview"]["details"][-1] == "Text:\nShip it 🚀⟨invisible tag characters spelling 'otp=482913'⟩"
    assert text["preview"]["details"][-1] == "Text:\nOn my way⟨U+200B⟩⟨invisible tag characters spelling 'otp=482913'⟩"
    assert len(emulator.posts()) == posts + 1 and len(emulator.texts()) == texts
