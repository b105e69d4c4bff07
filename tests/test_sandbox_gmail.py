"""The sandbox's Gmail v1, driven only through googleapiclient over HTTP."""

from __future__ import annotations

import base64
import email
import email.policy
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from googleapiclient.errors import HttpError
from googleapiclient.http import BatchHttpRequest

from helpers import control, credentials, gmail, run


def _raw(msg: EmailMessage) -> str:
    return base64.urlsafe_b64encode(msg.as_bytes()).decode()


def _headers(message: dict[str, Any]) -> dict[str, str]:
    return {h["name"].lower(): h["value"] for h in message["payload"]["headers"]}


def _search(svc: Any, q: str, **kw: Any) -> list[dict[str, Any]]:
    out, token = [], None
    while True:
        page = run(svc.users().messages().list(userId="me", q=q, maxResults=100, pageToken=token, **kw))
        out += page.get("messages", [])
        token = page.get("nextPageToken")
        if not token:
            return out


def _meta(svc: Any, ids: list[str]) -> list[dict[str, Any]]:
    return [run(svc.users().messages().get(userId="me", id=i, format="full")) for i in ids]


@pytest.fixture(scope="module")
def svc(sandbox: Any) -> Any:
    control(sandbox.url, "/_sandbox/reset", {})
    return gmail(sandbox.url)


def test_the_seed_mailbox_is_large_and_varied(svc: Any) -> None:
    profile = run(svc.users().getProfile(userId="me"))
    assert profile["messagesTotal"] >= 300
    assert profile["threadsTotal"] >= 60
    labels = {lb["name"] for lb in run(svc.users().labels().list(userId="me"))["labels"]}
    assert {"INBOX", "SENT", "TRASH", "SPAM", "UNREAD", "STARRED", "Work", "Projects/Apollo"} <= labels


@pytest.mark.parametrize(
    ("query", "check"),
    [
        ("from:dana", lambda m, h: "dana" in h["from"].lower()),
        ("to:priya", lambda m, h: "priya" in h.get("to", "").lower()),
        ("cc:lena", lambda m, h: "lena" in h.get("cc", "").lower()),
        ("subject:invoice", lambda m, h: "invoice" in h["subject"].lower()),
        ('subject:"launch checklist"', lambda m, h: "launch checklist" in h["subject"].lower()),
        ("label:work", lambda m, h: "Label_1" in m["labelIds"]),
        ("label:projects-apollo", lambda m, h: "Label_5" in m["labelIds"]),
        ("in:sent", lambda m, h: "SENT" in m["labelIds"]),
        ("is:unread", lambda m, h: "UNREAD" in m["labelIds"]),
        ("is:read", lambda m, h: "UNREAD" not in m["labelIds"]),
        ("is:starred", lambda m, h: "STARRED" in m["labelIds"]),
        ("is:important", lambda m, h: "IMPORTANT" in m["labelIds"]),
        ("has:attachment", lambda m, h: any(p.get("filename") for p in m["payload"].get("parts", []))),
        (
            "filename:pdf",
            lambda m, h: any(p.get("filename", "").endswith(".pdf") for p in m["payload"].get("parts", [])),
        ),
        ("filename:invoice-2231.pdf", lambda m, h: "invoice" in h["subject"].lower()),
        ("larger:2K", lambda m, h: m["sizeEstimate"] > 2048),
        ("smaller:1500", lambda m, h: m["sizeEstimate"] < 1500),
        ("in:trash", lambda m, h: "TRASH" in m["labelIds"]),
        ("in:spam", lambda m, h: "SPAM" in m["labelIds"]),
        ("category:promotions", lambda m, h: "CATEGORY_PROMOTIONS" in m["labelIds"]),
        ("from:dana -is:unread", lambda m, h: "dana" in h["from"].lower() and "UNREAD" not in m["labelIds"]),
        ("from:dana OR from:priya", lambda m, h: "dana" in h["from"].lower() or "priya" in h["from"].lower()),
        (
            "(from:dana OR from:priya) subject:lunch",
            lambda m, h: (
                ("dana" in h["from"].lower() or "priya" in h["from"].lower()) and "lunch" in h["subject"].lower()
            ),
        ),
        ("{from:oleg from:soren}", lambda m, h: "oleg" in h["from"].lower() or "soren" in h["from"].lower()),
        ('"ramen place"', lambda m, h: True),
        (
            "subject:(apollo postmortem)",
            lambda m, h: "apollo" in h["subject"].lower() and "postmortem" in h["subject"].lower(),
        ),
        ("from:me", lambda m, h: "alex.morgan@example.com" in h["from"]),
        ("München", lambda m, h: "münchen" in h["subject"].lower()),
        ("会議", lambda m, h: "会議" in h["subject"]),
    ],
)
def test_search_operators_return_only_and_some_matching_messages(svc: Any, query: str, check: Any) -> None:
    found = _search(svc, query)
    assert found, f"{query!r} matched nothing"
    for message in _meta(svc, [m["id"] for m in found[:25]]):
        assert check(message, _headers(message)), (query, _headers(message).get("subject"))


def test_negation_is_the_complement(svc: Any) -> None:
    everything = {m["id"] for m in _search(svc, "")}
    dana = {m["id"] for m in _search(svc, "from:dana")}
    not_dana = {m["id"] for m in _search(svc, "-from:dana")}
    assert dana and not_dana
    assert dana.isdisjoint(not_dana)
    assert dana | not_dana == everything


def test_spam_and_trash_are_excluded_unless_asked(svc: Any) -> None:
    default = {m["id"] for m in _search(svc, "")}
    trash = {m["id"] for m in _search(svc, "in:trash")}
    assert trash and not (trash & default)
    with_all = {m["id"] for m in _search(svc, "", includeSpamTrash=True)}
    assert trash <= with_all
    assert {m["id"] for m in _search(svc, "in:anywhere")} == with_all


def test_date_operators_bound_the_internal_date(svc: Any) -> None:
    cutoff = datetime.now(UTC) - timedelta(days=20)
    after = _search(svc, f"after:{cutoff:%Y/%m/%d}")
    before = _search(svc, f"before:{cutoff:%Y/%m/%d}")
    assert after and before
    limit = (cutoff - timedelta(days=1)).timestamp() * 1000
    for m in _meta(svc, [x["id"] for x in after[:10]]):
        assert int(m["internalDate"]) >= limit
    recent = _search(svc, "newer_than:7d")
    old = _search(svc, "older_than:7d")
    assert recent and old and not ({m["id"] for m in recent} & {m["id"] for m in old})
    for m in _meta(svc, [x["id"] for x in recent[:10]]):
        assert int(m["internalDate"]) >= (datetime.now(UTC) - timedelta(days=7, hours=1)).timestamp() * 1000


def test_label_ids_and_pagination(svc: Any) -> None:
    page = run(svc.users().messages().list(userId="me", labelIds=["INBOX", "UNREAD"], maxResults=5))
    assert len(page["messages"]) == 5 and page["nextPageToken"]
    total = page["resultSizeEstimate"]
    everything = _search(svc, "", labelIds=["INBOX", "UNREAD"])
    assert len(everything) == total == len({m["id"] for m in everything})
    assert run(svc.users().messages().list(userId="me", q="xyzzy-nothing"))["resultSizeEstimate"] == 0


def test_results_are_newest_first(svc: Any) -> None:
    ids = [m["id"] for m in run(svc.users().messages().list(userId="me", maxResults=10))["messages"]]
    dates = [int(m["internalDate"]) for m in _meta(svc, ids)]
    assert dates == sorted(dates, reverse=True)


def test_every_format_of_a_message(svc: Any) -> None:
    mid = _search(svc, "filename:invoice-2231.pdf")[0]["id"]
    minimal = run(svc.users().messages().get(userId="me", id=mid, format="minimal"))
    assert "payload" not in minimal and minimal["snippet"]
    meta = run(svc.users().messages().get(userId="me", id=mid, format="metadata", metadataHeaders=["From", "Subject"]))
    assert {h["name"] for h in meta["payload"]["headers"]} == {"From", "Subject"}
    full = run(svc.users().messages().get(userId="me", id=mid, format="full"))
    assert full["payload"]["mimeType"] == "multipart/mixed"
    pdf = next(p for p in full["payload"]["parts"] if p["filename"] == "invoice-2231.pdf")
    assert pdf["body"]["attachmentId"] and pdf["body"]["size"] > 300 and "data" not in pdf["body"]
    att = run(svc.users().messages().attachments().get(userId="me", messageId=mid, id=pdf["body"]["attachmentId"]))
    data = base64.urlsafe_b64decode(att["data"])
    assert data.startswith(b"%PDF-1.4") and len(data) == att["size"] == pdf["body"]["size"]
    raw = run(svc.users().messages().get(userId="me", id=mid, format="raw"))
    parsed = email.message_from_bytes(base64.urlsafe_b64decode(raw["raw"]), policy=email.policy.default)
    assert "Invoice" in str(parsed["Subject"])


def test_bodies_in_other_charsets_decode_with_their_declared_charset(svc: Any) -> None:
    for query, expected in [("会議", "議事録"), ("Отчёт", "Добрый"), ("München", "Grüße")]:
        full = run(svc.users().messages().get(userId="me", id=_search(svc, query)[0]["id"]))
        parts = [full["payload"], *full["payload"].get("parts", [])]
        texts = []
        for part in parts:
            if part["mimeType"] == "text/plain" and part["body"].get("data"):
                ctype = next(h["value"] for h in part["headers"] if h["name"].lower() == "content-type")
                charset = ctype.split("charset=")[1].strip('"')
                texts.append(base64.urlsafe_b64decode(part["body"]["data"]).decode(charset))
        assert any(expected in t for t in texts), (query, texts)


def test_html_newsletters_carry_preheaders_pixels_and_tables(svc: Any) -> None:
    full = run(svc.users().messages().get(userId="me", id=_search(svc, "category:promotions")[0]["id"]))
    assert full["payload"]["mimeType"] == "text/html"
    html = base64.urlsafe_b64decode(full["payload"]["body"]["data"]).decode()
    assert "display:none" in html and 'width="1" height="1"' in html and "<table" in html and "<script>" in html


def test_threads_hold_long_quoted_chains(svc: Any) -> None:
    threads = run(svc.users().threads().list(userId="me", q='subject:"contract renewal"'))["threads"]
    thread = run(svc.users().threads().get(userId="me", id=threads[0]["id"], format="full"))
    assert len(thread["messages"]) >= 2
    last = thread["messages"][-1]
    subjects = [_headers(m)["subject"] for m in thread["messages"]]
    assert subjects[1].startswith("Re: ")
    assert _headers(last).get("in-reply-to")


def test_a_reply_with_in_reply_to_lands_in_its_thread(fresh_sandbox: Any) -> None:
    svc = gmail(fresh_sandbox.url)
    original = run(
        svc.users()
        .messages()
        .get(userId="me", id=_search(svc, 'subject:"lunch on friday" -from:me')[0]["id"], format="metadata")
    )
    h = _headers(original)
    reply = EmailMessage()
    reply["To"] = h["from"]
    reply["Subject"] = "Re: " + h["subject"].removeprefix("Re: ")
    reply["In-Reply-To"] = h["message-id"]
    reply["References"] = h["message-id"]
    reply.set_content("Friday works!")
    sent = run(svc.users().messages().send(userId="me", body={"raw": _raw(reply)}))
    assert sent["threadId"] == original["threadId"] and "SENT" in sent["labelIds"]
    thread = run(svc.users().threads().get(userId="me", id=original["threadId"]))
    assert thread["messages"][-1]["id"] == sent["id"]
    # threadId is honoured as given
    other = EmailMessage()
    other["To"] = "dana.whitfield@example.com"
    other["Subject"] = "Something else"
    other.set_content("x")
    sent2 = run(svc.users().messages().send(userId="me", body={"raw": _raw(other), "threadId": original["threadId"]}))
    assert sent2["threadId"] == original["threadId"]
    # a new subject without references starts a thread of its own
    fresh = EmailMessage()
    fresh["To"] = "dana.whitfield@example.com"
    fresh["Subject"] = "Brand new"
    fresh.set_content("y")
    sent3 = run(svc.users().messages().send(userId="me", body={"raw": _raw(fresh)}))
    assert sent3["threadId"] == sent3["id"]


def test_batch_get_of_fifty_messages_is_one_http_request(fresh_sandbox: Any) -> None:
    svc = gmail(fresh_sandbox.url)
    ids = [m["id"] for m in run(svc.users().messages().list(userId="me", maxResults=50))["messages"]]
    before = len(control(fresh_sandbox.url, "/_sandbox/requests")["requests"])
    got: dict[str, Any] = {}
    batch = BatchHttpRequest(
        callback=lambda rid, resp, exc: got.__setitem__(rid, resp or exc),
        batch_uri=fresh_sandbox.url + "/batch/gmail/v1",
    )
    for i in ids:
        batch.add(svc.users().messages().get(userId="me", id=i, format="metadata"), request_id=i)
    batch.execute()
    assert set(got) == set(ids) and all(got[i]["id"] == i for i in ids)
    log = control(fresh_sandbox.url, "/_sandbox/requests")["requests"][before:]
    outer = [e for e in log if not e["batch"]]
    assert [e["path"] for e in outer] == ["/batch/gmail/v1"]
    assert len([e for e in log if e["batch"]]) == 50


def test_a_batch_part_can_fail_alone(fresh_sandbox: Any) -> None:
    svc = gmail(fresh_sandbox.url)
    ids = [m["id"] for m in run(svc.users().messages().list(userId="me", maxResults=5))["messages"]]
    control(
        fresh_sandbox.url,
        "/_sandbox/faults",
        {"path_regex": f"/messages/{ids[2]}$", "status": 429, "count": 1, "retry_after": 2},
    )
    got: dict[str, Any] = {}
    batch = BatchHttpRequest(
        callback=lambda rid, resp, exc: got.__setitem__(rid, exc or resp),
        batch_uri=fresh_sandbox.url + "/batch/gmail/v1",
    )
    for i in [*ids, "0000000000000000"]:
        batch.add(svc.users().messages().get(userId="me", id=i, format="minimal"), request_id=i)
    batch.execute()
    assert isinstance(got[ids[2]], HttpError) and got[ids[2]].status_code == 429
    assert isinstance(got["0000000000000000"], HttpError) and got["0000000000000000"].status_code == 404
    assert all(got[i]["id"] == i for i in ids if i != ids[2])


def test_labels_modify_trash_and_delete(fresh_sandbox: Any) -> None:
    svc = gmail(fresh_sandbox.url)
    label = run(svc.users().labels().create(userId="me", body={"name": "Follow up"}))
    with pytest.raises(HttpError) as dup:
        run(svc.users().labels().create(userId="me", body={"name": "follow up"}))
    assert dup.value.status_code == 409
    run(svc.users().labels().patch(userId="me", id=label["id"], body={"name": "Follow-up"}))
    run(
        svc.users()
        .labels()
        .update(userId="me", id=label["id"], body={"name": "Later", "labelListVisibility": "labelHide"})
    )
    ids = [m["id"] for m in run(svc.users().messages().list(userId="me", q="is:unread", maxResults=3))["messages"]]
    m = run(
        svc.users()
        .messages()
        .modify(userId="me", id=ids[0], body={"addLabelIds": [label["id"]], "removeLabelIds": ["UNREAD"]})
    )
    assert label["id"] in m["labelIds"] and "UNREAD" not in m["labelIds"]
    run(svc.users().messages().batchModify(userId="me", body={"ids": ids, "addLabelIds": ["STARRED"]}))
    assert all(
        "STARRED" in run(svc.users().messages().get(userId="me", id=i, format="minimal"))["labelIds"] for i in ids
    )
    got = run(svc.users().labels().get(userId="me", id=label["id"]))
    assert got["name"] == "Later" and got["messagesTotal"] == 1
    trashed = run(svc.users().messages().trash(userId="me", id=ids[1]))
    assert "TRASH" in trashed["labelIds"] and "INBOX" not in trashed["labelIds"]
    untrashed = run(svc.users().messages().untrash(userId="me", id=ids[1]))
    assert "TRASH" not in untrashed["labelIds"] and "INBOX" in untrashed["labelIds"]
    run(svc.users().messages().delete(userId="me", id=ids[2]))
    with pytest.raises(HttpError) as gone:
        run(svc.users().messages().get(userId="me", id=ids[2]))
    assert gone.value.status_code == 404
    run(svc.users().messages().batchDelete(userId="me", body={"ids": ids[:2]}))
    run(svc.users().labels().delete(userId="me", id=label["id"]))
    with pytest.raises(HttpError) as system:
        run(svc.users().labels().delete(userId="me", id="INBOX"))
    assert system.value.status_code == 400


def test_threads_modify_trash_untrash_delete(fresh_sandbox: Any) -> None:
    svc = gmail(fresh_sandbox.url)
    tid = run(svc.users().threads().list(userId="me", q='subject:"budget numbers"'))["threads"][0]["id"]
    t = run(svc.users().threads().modify(userId="me", id=tid, body={"addLabelIds": ["STARRED"]}))
    assert all("STARRED" in m["labelIds"] for m in t["messages"])
    t = run(svc.users().threads().trash(userId="me", id=tid))
    assert all("TRASH" in m["labelIds"] for m in t["messages"])
    t = run(svc.users().threads().untrash(userId="me", id=tid))
    assert not any("TRASH" in m["labelIds"] for m in t["messages"])
    run(svc.users().threads().delete(userId="me", id=tid))
    with pytest.raises(HttpError) as gone:
        run(svc.users().threads().get(userId="me", id=tid))
    assert gone.value.status_code == 404


def test_drafts_lifecycle_and_history(fresh_sandbox: Any) -> None:
    svc = gmail(fresh_sandbox.url)
    start = run(svc.users().getProfile(userId="me"))["historyId"]
    msg = EmailMessage()
    msg["To"] = "sam.okafor@example.com"
    msg["Subject"] = "Draft one"
    msg.set_content("first")
    draft = run(svc.users().drafts().create(userId="me", body={"message": {"raw": _raw(msg)}}))
    assert "DRAFT" in draft["message"]["labelIds"]
    msg.replace_header("Subject", "Draft two")
    updated = run(svc.users().drafts().update(userId="me", id=draft["id"], body={"message": {"raw": _raw(msg)}}))
    got = run(svc.users().drafts().get(userId="me", id=draft["id"]))
    assert _headers(got["message"])["subject"] == "Draft two" and got["message"]["id"] == updated["message"]["id"]
    listed = run(svc.users().drafts().list(userId="me"))
    assert [d["id"] for d in listed["drafts"]] == [draft["id"]]
    sent = run(svc.users().drafts().send(userId="me", body={"id": draft["id"]}))
    assert "SENT" in sent["labelIds"] and "DRAFT" not in sent["labelIds"]
    assert run(svc.users().drafts().list(userId="me"))["resultSizeEstimate"] == 0
    second = run(svc.users().drafts().create(userId="me", body={"message": {"raw": _raw(msg)}}))
    run(svc.users().drafts().delete(userId="me", id=second["id"]))
    history = run(svc.users().history().list(userId="me", startHistoryId=start))
    kinds = [k for h in history["history"] for k in h if k not in ("id", "messages")]
    assert "messagesAdded" in kinds and "messagesDeleted" in kinds and "labelsAdded" in kinds
    only_added = run(svc.users().history().list(userId="me", startHistoryId=start, historyTypes=["messageAdded"]))
    assert all("messagesAdded" in h for h in only_added["history"])
    sent_only = run(svc.users().history().list(userId="me", startHistoryId=start, labelId="SENT"))
    assert sent_only["history"]


def test_insert_and_import_keep_their_labels(fresh_sandbox: Any) -> None:
    svc = gmail(fresh_sandbox.url)
    msg = EmailMessage()
    msg["From"] = "lena.fischer@example.com"
    msg["To"] = "alex.morgan@example.com"
    msg["Subject"] = "Imported"
    msg["Date"] = "Mon, 02 Mar 2026 10:00:00 +0000"
    msg.set_content("hello")
    inserted = run(
        svc.users()
        .messages()
        .insert(userId="me", body={"raw": _raw(msg), "labelIds": ["STARRED"]}, internalDateSource="dateHeader")
    )
    assert inserted["labelIds"] == ["STARRED"]
    assert inserted["internalDate"] == str(int(datetime(2026, 3, 2, 10, tzinfo=UTC).timestamp() * 1000))
    imported = run(svc.users().messages().import_(userId="me", body={"raw": _raw(msg)}))
    assert set(imported["labelIds"]) == {"INBOX", "UNREAD"}


def test_import_dates_a_message_by_its_date_header_and_insert_by_its_arrival(fresh_sandbox: Any) -> None:
    """As Gmail's discovery document has it: import defaults to dateHeader, insert to receivedTime."""
    svc = gmail(fresh_sandbox.url)
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "lena.fischer@example.com", "alex.morgan@example.com", "Archive"
    msg["Date"] = "Mon, 02 Mar 2026 10:00:00 +0000"
    msg.set_content("from the old mailbox")
    sent = str(int(datetime(2026, 3, 2, 10, tzinfo=UTC).timestamp() * 1000))
    undated = EmailMessage()
    undated["From"], undated["Subject"] = "lena.fischer@example.com", "No date"
    undated.set_content("no Date header")

    def date_of(request: Any) -> int:
        return int(run(request)["internalDate"])

    messages = svc.users().messages()
    before = fresh_sandbox.sandbox.now_ms()
    assert str(date_of(messages.import_(userId="me", body={"raw": _raw(msg)}))) == sent
    arrivals = [
        date_of(messages.import_(userId="me", body={"raw": _raw(msg)}, internalDateSource="receivedTime")),
        date_of(messages.import_(userId="me", body={"raw": _raw(undated)})),  # no header to date it by
        date_of(messages.insert(userId="me", body={"raw": _raw(msg)})),
    ]
    after = fresh_sandbox.sandbox.now_ms()
    assert all(before <= at <= after for at in arrivals), (before, arrivals, after)
    assert str(date_of(messages.insert(userId="me", body={"raw": _raw(msg)}, internalDateSource="dateHeader"))) == sent
    bogus = messages.import_(userId="me", body={"raw": _raw(msg)})
    bogus.uri += "&internalDateSource=headerDate"  # the client checks the enum; Gmail checks it too
    with pytest.raises(HttpError) as err:
        run(bogus)
    assert err.value.resp.status == 400 and "internalDateSource" in str(err.value)


@pytest.mark.parametrize(
    ("call", "status"),
    [
        (lambda s: s.users().messages().get(userId="me", id="ffffffffffffffff"), 404),
        (
            lambda s: (
                s.users()
                .messages()
                .send(userId="me", body={"raw": base64.urlsafe_b64encode(b"no headers here").decode()})
            ),
            400,
        ),
        (
            lambda s: (
                s.users()
                .messages()
                .send(
                    userId="me",
                    body={
                        "raw": base64.urlsafe_b64encode(
                            b"Subject: x\r\nContent-Type: multipart/mixed\r\n\r\nbody"
                        ).decode()
                    },
                )
            ),
            400,
        ),
        (
            lambda s: (
                s.users()
                .messages()
                .send(
                    userId="me",
                    body={"raw": base64.urlsafe_b64encode(b"To: not-an-address\r\nSubject: x\r\n\r\nbody").decode()},
                )
            ),
            400,
        ),
        (
            lambda s: (
                s.users()
                .messages()
                .send(
                    userId="me",
                    body={"raw": base64.urlsafe_b64encode(b"Subject: nobody\r\n\r\nbody").decode()},
                )
            ),
            400,
        ),
        (lambda s: s.users().messages().send(userId="me", body={}), 400),
        (lambda s: s.users().messages().modify(userId="me", id="ffffffffffffffff", body={}), 404),
        (lambda s: s.users().messages().list(userId="me", q="(unbalanced"), 400),
        (lambda s: s.users().messages().list(userId="me", q="after:notadate"), 400),
        (lambda s: s.users().labels().get(userId="me", id="Label_999"), 404),
        (lambda s: s.users().history().list(userId="me", startHistoryId="1"), 404),
        (lambda s: s.users().drafts().send(userId="me", body={"id": "r404"}), 404),
        (lambda s: s.users().threads().get(userId="me", id="ffffffffffffffff"), 404),
        (
            lambda s: s.users().messages().attachments().get(userId="me", messageId="ffffffffffffffff", id="x"),
            404,
        ),
        (lambda s: s.users().getProfile(userId="someone.else@example.com"), 403),
    ],
)
def test_bad_requests_get_googles_error_envelope(sandbox: Any, call: Any, status: int) -> None:
    svc = gmail(sandbox.url)
    with pytest.raises(HttpError) as err:
        call(svc).execute()
    assert err.value.status_code == status
    import json

    body = json.loads(err.value.content)
    assert body["error"]["code"] == status and body["error"]["message"] and body["error"]["status"]
    assert body["error"]["errors"][0]["reason"]


def test_missing_scope_is_a_403_naming_insufficient_permissions(sandbox: Any) -> None:
    svc = gmail(sandbox.url, credentials(sandbox.url, "https://www.googleapis.com/auth/gmail.readonly"))
    run(svc.users().messages().list(userId="me", maxResults=1))
    msg = EmailMessage()
    msg["To"] = "dana.whitfield@example.com"
    msg.set_content("x")
    with pytest.raises(HttpError) as err:
        svc.users().messages().send(userId="me", body={"raw": _raw(msg)}).execute()
    assert err.value.status_code == 403
    assert err.value.error_details[0]["reason"] == "insufficientPermissions"
