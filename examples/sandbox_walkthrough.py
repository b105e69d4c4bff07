"""A tour of the sandbox using only google-api-python-client and google-auth, as against Google.

    google-mcp sandbox --port 8765 &
    python examples/sandbox_walkthrough.py http://127.0.0.1:8765

Searches with operators, reads a message in every format, sends a reply that lands in its thread,
batch-gets 50 messages in one request, inserts a weekly event, cancels one occurrence, lists the
rest with singleEvents, and queries freeBusy. Prints what it saw as JSON.
"""

from __future__ import annotations

import base64
import json
import sys
import urllib.request
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build
from googleapiclient.http import BatchHttpRequest


def main(base: str) -> dict[str, Any]:
    with urllib.request.urlopen(base + "/_sandbox/credentials") as resp:  # noqa: S310 - a local sandbox
        info = json.load(resp)
    creds = Credentials(
        None,
        refresh_token=info["refresh_token"],
        client_id=info["client_id"],
        client_secret=info["client_secret"],
        token_uri=info["token_uri"],
    )
    gmail = build("gmail", "v1", credentials=creds, client_options={"api_endpoint": base})
    cal = build("calendar", "v3", credentials=creds, client_options={"api_endpoint": base + "/calendar/v3"})
    out: dict[str, Any] = {}

    hits = (
        gmail.users()
        .messages()
        .list(userId="me", q='from:dana (has:attachment OR subject:"offsite") -is:unread', maxResults=5)
        .execute()
    )
    out["search"] = hits["resultSizeEstimate"]
    first = hits["messages"][0]["id"]
    out["formats"] = {
        fmt: sorted(gmail.users().messages().get(userId="me", id=first, format=fmt).execute())
        for fmt in ("minimal", "metadata", "full", "raw")
    }

    original = gmail.users().messages().get(userId="me", id=first, format="metadata").execute()
    headers = {h["name"]: h["value"] for h in original["payload"]["headers"]}
    reply = EmailMessage()
    reply["To"] = headers["From"]
    reply["Subject"] = "Re: " + headers["Subject"]
    reply["In-Reply-To"] = headers["Message-ID"]
    reply["References"] = headers["Message-ID"]
    reply.set_content("Thanks!")
    sent = (
        gmail.users()
        .messages()
        .send(userId="me", body={"raw": base64.urlsafe_b64encode(reply.as_bytes()).decode()})
        .execute()
    )
    out["reply_in_thread"] = sent["threadId"] == original["threadId"]

    ids = [m["id"] for m in gmail.users().messages().list(userId="me", maxResults=50).execute()["messages"]]
    got: dict[str, Any] = {}
    batch = BatchHttpRequest(
        callback=lambda rid, resp, exc: got.__setitem__(rid, resp), batch_uri=base + "/batch/gmail/v1"
    )
    for mid in ids:
        batch.add(gmail.users().messages().get(userId="me", id=mid, format="metadata"), request_id=mid)
    batch.execute()
    out["batch_got"] = len(got)

    start = (datetime.now(UTC) + timedelta(days=7)).replace(hour=15, minute=0, second=0, microsecond=0)
    event = (
        cal.events()
        .insert(
            calendarId="primary",
            body={
                "summary": "Weekly sync",
                "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=5"],
                "start": {"dateTime": start.isoformat(), "timeZone": "UTC"},
                "end": {"dateTime": (start + timedelta(minutes=30)).isoformat(), "timeZone": "UTC"},
            },
        )
        .execute()
    )
    window = {"timeMin": start.isoformat(), "timeMax": (start + timedelta(weeks=6)).isoformat()}
    instances = cal.events().instances(calendarId="primary", eventId=event["id"], **window).execute()["items"]
    cal.events().delete(calendarId="primary", eventId=instances[1]["id"]).execute()
    left = (
        cal.events()
        .list(calendarId="primary", singleEvents=True, orderBy="startTime", q="Weekly sync", **window)
        .execute()["items"]
    )
    out["instances"] = {"before": len(instances), "after": len(left)}

    busy = (
        cal.freebusy()
        .query(body={**window, "items": [{"id": "primary"}, {"id": "dana.whitfield@example.com"}]})
        .execute()
    )
    out["freebusy"] = {k: len(v.get("busy", [])) for k, v in busy["calendars"].items()}
    return out


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8765"), indent=2))
