"""OAuth, batches, faults, latency, push and error shapes of the sandbox, through real clients."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import threading
import urllib.error
import urllib.request
import webbrowser
from email.message import EmailMessage
from typing import Any

import google.auth.exceptions
import pytest
from google.auth.transport.requests import Request
from google.oauth2.credentials import Credentials
from google_auth_oauthlib.flow import InstalledAppFlow
from googleapiclient.errors import HttpError
from googleapiclient.http import BatchHttpRequest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import Receiver, calendar, control, credentials, gmail, run


class FollowingBrowser(webbrowser.BaseBrowser):
    """Stands in for a person: opens the consent URL and follows the redirect back to the app."""

    def open(self, url: str, new: int = 0, autoraise: bool = True) -> bool:
        def visit() -> None:
            urllib.request.urlopen(url, timeout=10).read()

        threading.Thread(target=visit, daemon=True).start()
        return True


def test_installed_app_flow_with_pkce_then_refresh(fresh_sandbox: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    info = control(fresh_sandbox.url, "/_sandbox/credentials")
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    webbrowser.register("sandbox-follower", None, FollowingBrowser("sandbox-follower"))
    flow = InstalledAppFlow.from_client_config(
        {
            "installed": {
                "client_id": info["client_id"],
                "client_secret": info["client_secret"],
                "auth_uri": info["auth_uri"],
                "token_uri": info["token_uri"],
                "redirect_uris": ["http://127.0.0.1"],
            }
        },
        scopes=["https://www.googleapis.com/auth/gmail.readonly"],
        autogenerate_code_verifier=True,
    )
    creds = flow.run_local_server(
        host="127.0.0.1", port=0, browser="sandbox-follower", open_browser=True, timeout_seconds=10
    )
    assert creds.token and creds.refresh_token
    svc = gmail(fresh_sandbox.url, creds)
    assert run(svc.users().getProfile(userId="me"))["emailAddress"] == "alex.morgan@example.com"
    with pytest.raises(HttpError) as err:  # only the read scope was granted
        svc.users().labels().create(userId="me", body={"name": "x"}).execute()
    assert err.value.status_code == 403


def test_pkce_verifier_is_checked(fresh_sandbox: Any) -> None:
    info = control(fresh_sandbox.url, "/_sandbox/credentials")
    query = (
        "client_id={}&redirect_uri=http://127.0.0.1:9/cb&response_type=code&scope=https://mail.google.com/"
        "&code_challenge=abc&code_challenge_method=S256&state=s1"
    ).format(info["client_id"])

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as redirect:
        opener.open(info["auth_uri"] + "?" + query)
    location = redirect.value.headers["location"]
    assert "state=s1" in location
    code = location.split("code=")[1].split("&")[0]
    form = (
        f"grant_type=authorization_code&code={code}&client_id={info['client_id']}&client_secret={info['client_secret']}"
        "&redirect_uri=http://127.0.0.1:9/cb&code_verifier=wrong"
    )
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(info["token_uri"], data=form.encode())
    assert err.value.code == 400 and json.loads(err.value.read())["error"] == "invalid_grant"


def test_refresh_flow_and_revocation(fresh_sandbox: Any) -> None:
    creds = credentials(fresh_sandbox.url)
    creds.refresh(Request())
    first = creds.token
    assert first and creds.expiry
    svc = gmail(fresh_sandbox.url, creds)
    run(svc.users().getProfile(userId="me"))
    info = control(fresh_sandbox.url, "/_sandbox/credentials")
    urllib.request.urlopen(info["revoke_uri"] + "?token=" + creds.refresh_token, data=b"")
    with pytest.raises(google.auth.exceptions.RefreshError) as err:
        creds.refresh(Request())
    assert "invalid_grant" in str(err.value)


def test_expired_access_tokens_are_refreshed_by_the_client(fresh_sandbox: Any) -> None:
    creds = credentials(fresh_sandbox.url)
    svc = gmail(fresh_sandbox.url, creds)
    run(svc.users().getProfile(userId="me"))
    first = creds.token
    control(fresh_sandbox.url, "/_sandbox/expire-tokens", {})
    run(svc.users().getProfile(userId="me"))  # 401 once, refresh, retry
    assert creds.token != first
    statuses = [r["status"] for r in control(fresh_sandbox.url, "/_sandbox/requests")["requests"]]
    assert statuses[-2:] == [401, 200]


def test_requests_without_a_valid_token_get_googles_401(sandbox: Any) -> None:
    for headers in ({}, {"Authorization": "Bearer nope"}):
        req = urllib.request.Request(sandbox.url + "/gmail/v1/users/me/profile", headers=headers)
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(req)
        assert err.value.code == 401
        assert err.value.headers["WWW-Authenticate"].startswith("Bearer")
        body = json.loads(err.value.read())["error"]
        assert body["status"] == "UNAUTHENTICATED" and body["errors"][0]["reason"] == "authError"


def test_faults_with_retry_after_and_the_request_log(fresh_sandbox: Any) -> None:
    svc = gmail(fresh_sandbox.url)
    control(
        fresh_sandbox.url,
        "/_sandbox/faults",
        {"method": "GET", "path_regex": "/profile$", "status": 503, "count": 2, "retry_after": 1},
    )
    for _ in range(2):
        with pytest.raises(HttpError) as err:
            svc.users().getProfile(userId="me").execute()
        assert err.value.status_code == 503 and err.value.resp["retry-after"] == "1"
    run(svc.users().getProfile(userId="me"))
    log = [r for r in control(fresh_sandbox.url, "/_sandbox/requests")["requests"] if r["path"].endswith("/profile")]
    assert [r["status"] for r in log] == [503, 503, 200]
    assert log[0]["method"] == "GET" and log[0]["query"] == {"alt": "json"} and log[0]["time"]


def test_latency_is_added_to_every_request(fresh_sandbox: Any) -> None:
    import time

    svc = gmail(fresh_sandbox.url)
    run(svc.users().getProfile(userId="me"))
    control(fresh_sandbox.url, "/_sandbox/latency", {"ms": 120})
    started = time.perf_counter()
    run(svc.users().getProfile(userId="me"))
    assert time.perf_counter() - started >= 0.12


def test_calendar_batch_parts_answer_on_their_own(fresh_sandbox: Any) -> None:
    cal = calendar(fresh_sandbox.url)
    got: dict[str, Any] = {}
    batch = BatchHttpRequest(
        callback=lambda rid, resp, exc: got.__setitem__(rid, exc or resp),
        batch_uri=fresh_sandbox.url + "/batch/calendar/v3",
    )
    batch.add(cal.calendarList().get(calendarId="primary"), request_id="a")
    batch.add(cal.events().get(calendarId="primary", eventId="missing"), request_id="b")
    batch.execute()
    assert got["a"]["primary"] is True and got["b"].status_code == 404


def test_gmail_push_posts_a_pubsub_envelope_for_each_change(fresh_sandbox: Any) -> None:
    svc = gmail(fresh_sandbox.url)
    with Receiver() as rx:
        control(fresh_sandbox.url, "/_sandbox/push-endpoint", {"url": rx.url})
        watch = run(
            svc.users().watch(userId="me", body={"topicName": "projects/p/topics/gmail", "labelIds": ["INBOX"]})
        )
        assert int(watch["historyId"]) > 0 and int(watch["expiration"]) > 0
        msg = EmailMessage()
        msg["From"] = "dana.whitfield@example.com"
        msg["To"] = "alex.morgan@example.com"
        msg["Subject"] = "ping"
        msg.set_content("hi")
        run(
            svc.users().messages().import_(userId="me", body={"raw": base64.urlsafe_b64encode(msg.as_bytes()).decode()})
        )
        _, body = rx.next()
        envelope = json.loads(body)
        data = json.loads(base64.b64decode(envelope["message"]["data"]))
        assert data["emailAddress"] == "alex.morgan@example.com" and int(data["historyId"]) > int(watch["historyId"])
        assert envelope["message"]["messageId"] and envelope["message"]["publishTime"] and envelope["subscription"]
        history = run(svc.users().history().list(userId="me", startHistoryId=watch["historyId"]))
        assert history["history"][0]["messagesAdded"]
        run(svc.users().stop(userId="me"))
        sent = EmailMessage()
        sent["To"] = "dana.whitfield@example.com"
        sent["Subject"] = "after stop"
        sent.set_content("x")
        run(svc.users().messages().send(userId="me", body={"raw": base64.urlsafe_b64encode(sent.as_bytes()).decode()}))
        assert rx.received.empty()


def test_reset_seeds_and_empty_seed(fresh_sandbox: Any) -> None:
    control(fresh_sandbox.url, "/_sandbox/reset", {"seed": "empty"})
    assert run(gmail(fresh_sandbox.url).users().getProfile(userId="me"))["messagesTotal"] == 0
    with pytest.raises(urllib.error.HTTPError):
        control(fresh_sandbox.url, "/_sandbox/reset", {"seed": "bogus"})
    control(fresh_sandbox.url, "/_sandbox/reset", {"seed": "default"})
    assert run(gmail(fresh_sandbox.url).users().getProfile(userId="me"))["messagesTotal"] >= 300


def _token(url: str) -> str:
    creds: Credentials = credentials(url)
    creds.refresh(Request())
    return str(creds.token)


@settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE"]),
    path=st.sampled_from(
        [
            "/gmail/v1/users/me/messages",
            "/gmail/v1/users/me/messages/send",
            "/gmail/v1/users/me/messages/{x}",
            "/gmail/v1/users/me/messages/{x}/modify",
            "/gmail/v1/users/me/labels",
            "/gmail/v1/users/me/drafts",
            "/gmail/v1/users/me/history",
            "/gmail/v1/users/me/threads/{x}",
            "/calendar/v3/calendars/primary/events",
            "/calendar/v3/calendars/primary/events/{x}",
            "/calendar/v3/freeBusy",
            "/calendar/v3/calendars/{x}/events/watch",
            "/gmail/v1/users/me/messages/batchModify",
            "/calendar/v3/calendars/primary/events/quickAdd",
        ]
    ),
    segment=st.text(alphabet=st.characters(codec="ascii", exclude_characters="/?#%"), min_size=1, max_size=12),
    query=st.dictionaries(
        st.sampled_from(
            [
                "q",
                "maxResults",
                "pageToken",
                "format",
                "timeMin",
                "timeMax",
                "orderBy",
                "singleEvents",
                "startHistoryId",
                "syncToken",
                "text",
                "labelIds",
            ]
        ),
        st.text(max_size=15),
        max_size=3,
    ),
    body=st.one_of(
        st.none(),
        st.binary(max_size=60),
        st.dictionaries(
            st.sampled_from(
                [
                    "raw",
                    "start",
                    "end",
                    "summary",
                    "recurrence",
                    "ids",
                    "addLabelIds",
                    "name",
                    "items",
                    "timeMin",
                    "message",
                    "id",
                    "type",
                    "address",
                ]
            ),
            st.one_of(
                st.text(max_size=20),
                st.integers(),
                st.lists(st.text(max_size=10), max_size=3),
                st.dictionaries(
                    st.sampled_from(["dateTime", "date", "timeZone", "raw"]), st.text(max_size=25), max_size=2
                ),
            ),
            max_size=4,
        ),
    ),
)
def test_no_input_makes_the_sandbox_answer_500(
    fresh_sandbox: Any, method: str, path: str, segment: str, query: dict[str, str], body: Any
) -> None:
    from urllib.parse import quote, urlencode

    # a fresh sandbox and a fresh token each time: a test before this one may have revoked the shared
    # grant or expired every access token, and a 401 would prove nothing about the handlers
    sandbox = fresh_sandbox
    url = sandbox.url + path.replace("{x}", quote(segment, safe="")) + ("?" + urlencode(query) if query else "")
    data = body if isinstance(body, bytes) else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(
        url,
        data=data,
        method=method,
        headers={"Authorization": "Bearer " + _token(sandbox.url), "content-type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            status = resp.status
    except urllib.error.HTTPError as err:
        status = err.code
        payload = json.loads(err.read())
        assert payload["error"]["code"] == status and payload["error"]["errors"]
    assert status != 401 and status < 500, (method, url, body)


def test_a_request_still_running_at_a_reset_stays_out_of_the_new_log(fresh_sandbox: Any) -> None:
    """A client that gave up on a slow request (a timeout) leaves it running in the sandbox; a test after
    it resets the sandbox and must not find that request in its own log."""
    import socket

    url = fresh_sandbox.url
    control(url, "/_sandbox/faults", {"path_regex": "/profile$", "delay_ms": 600, "count": 1})
    slow = urllib.request.Request(url + "/gmail/v1/users/me/profile", headers={"Authorization": "Bearer gone"})
    with contextlib.suppress(TimeoutError, socket.timeout, urllib.error.URLError):
        urllib.request.urlopen(slow, timeout=0.2)
    control(url, "/_sandbox/reset", {})
    # a marker: a request started after the abandoned one, held as long, ends after it; once the marker
    # is in the log, the abandoned request has finished too, and would be there if it were let in
    control(url, "/_sandbox/faults", {"path_regex": "/labels$", "delay_ms": 600, "count": 1})
    fresh: Credentials = credentials(url)  # a reset forgets the tokens issued before it
    fresh.refresh(Request())
    labels = url + "/gmail/v1/users/me/labels"
    marker = urllib.request.Request(labels, headers={"Authorization": "Bearer " + fresh.token})
    with urllib.request.urlopen(marker, timeout=10) as resp:
        assert resp.status == 200
    assert [r["path"] for r in control(url, "/_sandbox/requests")["requests"]] == ["/gmail/v1/users/me/labels"]
