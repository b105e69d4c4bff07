"""The reader's second pass over bytes and bounces: labels that lie in part or are missing, binary data
under a text label, a bounce that repeats itself, UTF-7 read leniently. Each message in tests/corpus is
built like a real one that came out garbled; it is imported into the sandbox with the real Google client
and read back through the MCP tools."""

from __future__ import annotations

import email
import email.policy
import pathlib
from email.message import Message
from typing import Any

import pytest

from mcp_helpers import call, connect
from test_reader import CORPUS, insert, read

pytestmark = pytest.mark.anyio


def part_bytes(name: str, index: int) -> bytes:
    """The decoded bytes of a top-level part of a corpus message, as the sender wrote them."""
    msg = email.message_from_bytes((CORPUS / name).read_bytes(), policy=email.policy.compat32)
    part = msg.get_payload(index)
    assert isinstance(part, Message)
    data = part.get_payload(decode=True)
    assert isinstance(data, bytes)
    return data


@pytest.mark.parametrize("name", ["utf8_mixed_latin1.eml", "ascii_mixed_latin1.eml"])
async def test_a_part_labelled_utf8_or_ascii_reads_its_utf8_runs_as_utf8_and_the_rest_as_latin1(
    fresh_sandbox: Any, make_settings: Any, name: str
) -> None:
    body = (await read(fresh_sandbox.url, make_settings, name))["body"]
    assert body.startswith("Atención: la reunión del jueves pasa a la sala 3.\n\nUn saludo,\nMaría")  # UTF-8
    assert "Lista de correo del equipo de diseño.\nPara darse de baja, escriba a diseño-baja@" in body  # Latin-1
    assert "Ã" not in body and "\ufffd" not in body


@pytest.mark.parametrize(
    ("name", "subject", "text"),
    [
        # Big5 HTML with no charset parameter and no meta tag: a detector names it
        pytest.param(
            "big5_unlabelled.eml",
            "季度總結會議",
            "各位同仁好：\n\n本週五下午三點將於三樓會議室舉行季度總結會議，請各部門主管準備本季度的工作報告，"
            "並於週四下班前寄給行政部。\n\n謝謝大家的配合。",
            id="big5",
        ),
        # Latin-1 with no label: the detector names cp1257 ("voilą"); mail with no label means cp1252
        pytest.param(
            "latin1_unlabelled.eml",
            "Compte rendu",
            "Bonjour à tous,\n\nvoilà le résumé de la réunion de mercredi : le lancement est reporté à la rentrée, "
            "après l'été. Les équipes déjà prêtes passeront à la sécurité et à la qualité.\n\nÀ bientôt,\nHélène",
            id="latin1",
        ),
        # Turkish in Windows-1254 with no label: as Western as Latin-1 to look at, but not cp1252 ("çarþamba")
        pytest.param(
            "cp1254_unlabelled.eml",
            "Toplanti belgeleri",
            "Merhaba,\n\nçarşamba günkü toplantı için belgeleri ekte gönderiyorum. Lütfen değişiklikleri "
            "toplantıdan önce gözden geçirin.\n\nSaygılarımla,\nAyşe Yılmaz",
            id="cp1254",
        ),
        # the charset named only by the HTML's meta tag
        pytest.param("koi8_meta.eml", "Vstrecha", "Встреча завтра в 10.", id="koi8-meta"),
    ],
)
async def test_a_part_with_no_charset_label_is_read_in_the_charset_its_bytes_are_in(
    fresh_sandbox: Any, make_settings: Any, name: str, subject: str, text: str
) -> None:
    m = await read(fresh_sandbox.url, make_settings, name)
    assert (m["subject"], m["body"]) == (subject, text)


@pytest.mark.parametrize(
    ("name", "text", "mime", "size"),
    [
        pytest.param(
            "binary_inline_html.eml",
            "Here is the document you scanned at the copier on floor 2.",
            "text/html",
            34_816,
            id="html",
        ),
        pytest.param(
            "binary_in_plain.eml", "The October figures are in the sheet below.", "text/plain", 6_008, id="plain"
        ),
    ],
)
async def test_binary_data_under_a_text_label_is_listed_as_an_attachment_never_shown_as_text(
    fresh_sandbox: Any, make_settings: Any, name: str, text: str, mime: str, size: int
) -> None:
    url = fresh_sandbox.url
    mid = insert(url, name)
    async with connect(make_settings(url), person=None) as client:
        m = await call(client, "gmail_get_message", {"message_id": mid})
        [listed] = m["attachments"]
        saved = await call(client, "gmail_get_attachment", {"message_id": mid, "attachment_id": listed["part_id"]})
    assert m["body"] == f"{text}\n\n[{size} bytes of binary data in a {mime} part: see attachments]"
    assert (listed["mime_type"], listed["size"], listed["part_id"]) == (mime, size, "1")
    # and it can be downloaded whole, though Gmail carries it inline with no attachment id
    assert saved["size"] == size and saved.get("text") is None
    assert pathlib.Path(saved["path"]).read_bytes() == part_bytes(name, 1)


async def test_a_bounce_names_each_failed_recipient_once_and_leaves_the_returned_headers_to_a_request(
    fresh_sandbox: Any, make_settings: Any
) -> None:
    url = fresh_sandbox.url
    mid, returned_whole = insert(url, "bounce_repeated.eml"), insert(url, "bounce.eml")
    async with connect(make_settings(url), person=None) as client:
        short = (await call(client, "gmail_get_message", {"message_id": mid}))["body"]
        whole = await call(client, "gmail_get_message", {"message_id": mid, "include_returned_headers": True})
        attached = (
            await call(client, "gmail_get_message", {"message_id": returned_whole, "include_returned_headers": True})
        )["body"]
    assert short.startswith("Your message could not be delivered to team-archive@lists.example.org")
    line = (
        "team-archive@lists.example.org: failed 5.2.2 (552 5.2.2 <team-archive@lists.example.org>: mailbox full,"
        " quota exceeded) [reported 40 times]"
    )
    assert f"Delivery report:\n{line}\n" in short and short.count("5.2.2 <team-archive") == 1
    # who, when and what of the returned message; not its Received chain, signatures and the rest
    assert "Subject: Weekly status, week 45" in short and "Date: Mon, 2 Nov 2026 08:50:00 +0000" in short
    assert "Received:" not in short and "DKIM-Signature" not in short and "relay3" not in short
    assert "include_returned_headers=true" in short
    assert len(short) < 1000
    body = whole["body"]
    assert body.count("Received: from relay") == 8 and "DKIM-Signature: v=1;" in body
    assert "Message-ID: <weekly-status-45@example.com>" in body and body.count("[reported 40 times]") == 1
    # a bounce that returns the whole message (message/rfc822): its every header on request too
    assert "Content-Type: text/plain; charset=utf-8\n\nHere are the notes from Monday." in attached


async def test_utf7_quote_marks_decode_run_by_run_so_the_reply_is_not_folded_away(
    fresh_sandbox: Any, make_settings: Any
) -> None:
    url = fresh_sandbox.url
    mid = insert(url, "utf7_pgp.eml")
    async with connect(make_settings(url), person=None) as client:
        folded = (await call(client, "gmail_get_message", {"message_id": mid}))["body"]
        full = (await call(client, "gmail_get_message", {"message_id": mid, "include_quoted": True}))["body"]
    assert "Yes, I will bring it, and the spare cable too." in folded
    assert "+AD4" not in folded and "Can you bring the projector" not in folded  # the quote folds, as a quote
    assert "> Can you bring the projector to the review?\n>\n> Dana" in full and "+AD4" not in full
    # the '+' of the PGP armour is no UTF-7 run and stays as written
    assert "H0Z1+Ag/rT6kLmN0pQ+sXyZ3vB8nWqE5tYuI1oP7aSdF+gHjK9lZxCv4bN2mQ3w" in full
