"""A private MongoDB wire-protocol server for the tests: SecantusDB (`secantusd-py`, GPL-2.0), run as a
separate process on a free loopback port; the product never imports it. A test may stop and start it."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from redis_server import free_port


class MongoServer:
    def __init__(self, workdir: Path) -> None:
        exe = shutil.which("secantusd-py") or str(Path(sys.executable).parent / "secantusd-py")
        if not Path(exe).exists():
            raise RuntimeError("secantusd-py is not installed: run .ci/run, or pip install -e '.[dev]'")
        self.exe, self.workdir, self.port = exe, workdir, free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    def url(self, database: str) -> str:
        return f"mongodb://127.0.0.1:{self.port}/{database}"

    def start(self, nice: int = 0) -> None:
        """`nice`: the stand-in's niceness (a bench lowers it so that it does not slow what shares its CPU)."""
        self.proc = subprocess.Popen(
            [self.exe, "--host", "127.0.0.1", "--port", str(self.port), "--storage-path", str(self.workdir)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=(lambda: os.nice(nice)) if nice else None,
        )
        from pymongo import MongoClient

        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    pass
                with MongoClient(self.url("admin"), serverSelectionTimeoutMS=500) as client:
                    client.admin.command("ping")
                return
            except Exception:
                time.sleep(0.05)  # polling a process we just started; there is no event to wait on
        raise RuntimeError("secantusd-py did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:  # a graceful stop, as before: a killed stand-in made the next start's clients reconnect late
                self.proc.wait(20)
            except subprocess.TimeoutExpired:  # under load it once outlasted 20 s closing its connections
                self.proc.kill()
                self.proc.wait(20)
            self.proc = None
