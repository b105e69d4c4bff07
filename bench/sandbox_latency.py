"""How fast the sandbox answers the real Google client over HTTP.

Measures messages.get(format=full) and a 50-part batch of messages.get(format=metadata), each
timed end to end in the client (HTTP on 127.0.0.1, JSON encoding and the client's own parsing
included). Prints p50 and p99 in milliseconds as JSON.

    python bench/sandbox_latency.py [--gets 500] [--batches 60]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import urllib.request
from typing import Any

from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build
from googleapiclient.http import BatchHttpRequest

from google_mcp.sandbox import SandboxThread


def pct(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return round(ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000, 2)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--gets", type=int, default=500)
    parser.add_argument("--batches", type=int, default=60)
    args = parser.parse_args()
    with SandboxThread() as sb:
        info = json.load(urllib.request.urlopen(sb.url + "/_sandbox/credentials"))
        creds = Credentials(
            None,
            refresh_token=info["refresh_token"],
            client_id=info["client_id"],
            client_secret=info["client_secret"],
            token_uri=info["token_uri"],
        )
        svc: Any = build("gmail", "v1", credentials=creds, client_options={"api_endpoint": sb.url})
        ids = [m["id"] for m in svc.users().messages().list(userId="me", maxResults=500).execute()["messages"]]
        gets = []
        for i in range(args.gets):
            started = time.perf_counter()
            svc.users().messages().get(userId="me", id=ids[i % len(ids)], format="full").execute()
            gets.append(time.perf_counter() - started)
        batches = []
        for i in range(args.batches):
            batch = BatchHttpRequest(callback=lambda *a: None, batch_uri=sb.url + "/batch/gmail/v1")
            for j in range(50):
                batch.add(svc.users().messages().get(userId="me", id=ids[(i * 50 + j) % len(ids)], format="metadata"))
            started = time.perf_counter()
            batch.execute()
            batches.append(time.perf_counter() - started)
    result = {
        "messages.get(format=full)": {
            "n": len(gets),
            "p50_ms": pct(gets, 50),
            "p99_ms": pct(gets, 99),
            "mean_ms": round(statistics.mean(gets) * 1000, 2),
        },
        "batch of 50 messages.get(format=metadata)": {
            "n": len(batches),
            "p50_ms": pct(batches, 50),
            "p99_ms": pct(batches, 99),
        },
        "python": sys.version.split()[0],
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
