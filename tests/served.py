"""The real `google-mcp` command as a subprocess, for tests over stdio and HTTP."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from pathlib import Path

EXE = str(Path(sys.executable).parent / "google-mcp")


def _env(**extra: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "SYSTEMROOT")}
    record = f"/tmp/google-mcp-test-record-{os.getpid()}.sqlite3"  # the activity record, away from the user's
    schedule = f"/tmp/google-mcp-test-schedule-{os.getpid()}.sqlite3"  # held sends, away from the user's
    return {
        **keep,
        "GOOGLE_MCP_DOWNLOAD_DIR": "/tmp/google-mcp-test-downloads",
        "GOOGLE_MCP_LOG_FILE": record,
        "GOOGLE_MCP_SCHEDULE_FILE": schedule,
        **extra,
    }


def doctor(**env: str) -> str:
    """`google-mcp doctor`'s report with the environment a served process gets, through the CLI's own entry
    point in this process (as a process of its own it paid ~1.5 s of interpreter and SDK start-up a report)."""
    import contextlib
    import io

    import pytest

    from google_mcp.cli import main

    out = io.StringIO()
    with pytest.MonkeyPatch.context() as patch, contextlib.redirect_stdout(out):
        for key in [k for k in os.environ if k.startswith("GOOGLE_MCP_")]:
            patch.delenv(key)
        for key, value in _env(**env).items():
            if key.startswith("GOOGLE_MCP_"):
                patch.setenv(key, value)
        with contextlib.suppress(SystemExit):
            main(["doctor"])
    return out.getvalue()


class Served:
    def __init__(self, *args: str, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [EXE, *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, text=True
        )
        self.lines: list[str] = []
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line)
            found = re.search(r"listening on (http://\S+)", line)
            if found:
                self.url = found.group(1)
                break
        else:
            raise AssertionError("server did not start: " + "".join(self.lines))
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line)

    @classmethod
    def http(cls, sandbox_url: str, port: int = 0, **env: str) -> Served:
        """`google-mcp serve --transport http` on a port (default: a free one) against a sandbox."""
        return cls("serve", "--transport", "http", "--port", str(port), "--sandbox-url", sandbox_url, env=_env(**env))

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)
        assert self.proc.stderr is not None
        self.proc.stderr.close()
