"""The container files, checked statically (no container engine runs here): Compose validates compose.yaml
as Debian's `docker-compose` (1.29) reads it, and the Dockerfile is read instruction by instruction."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
SECRETS = {"GOOGLE_MCP_AUTH_TOKEN": "test-token", "GOOGLE_MCP_STATE_KEY": "test-state-key"}
SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSWORD|PASSWD|_KEY\b|APIKEY|CREDENTIAL", re.IGNORECASE)


def compose(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("docker-compose")
    assert exe, "docker-compose is not installed: apt-get install docker-compose (Debian's 1.29)"
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    return subprocess.run(
        [exe, "-f", str(DEPLOY / "compose.yaml"), *args],
        cwd=DEPLOY,
        env={**keep, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    out: list[tuple[str, str]] = []
    joined = ""
    for line in dockerfile.read_text().splitlines():
        if not joined and (not line.strip() or line.lstrip().startswith("#")):
            continue
        joined += line.rstrip("\\").strip() + " "
        if not line.endswith("\\"):
            word, _, rest = joined.strip().partition(" ")
            out.append((word.upper(), rest.strip()))
            joined = ""
    return out


def test_compose_is_valid_and_runs_three_backends_behind_haproxy_with_redis_and_mongodb() -> None:
    checked = compose("config", "-q", env=SECRETS)
    assert checked.returncode == 0, checked.stderr
    resolved = compose("config", env=SECRETS).stdout
    block = re.split(r"^\S", resolved.split("\nservices:\n", 1)[1], maxsplit=1, flags=re.MULTILINE)[0]
    services = re.findall(r"^  ([a-z0-9]+):$", block, re.MULTILINE)
    assert sorted(services) == ["backend1", "backend2", "backend3", "haproxy", "mongodb", "redis"]
    assert "/deploy/haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro" in resolved  # the balancer's own file
    for n in (1, 2, 3):
        assert f"BACKEND{n}: backend{n}:8000" in resolved
    assert resolved.count("replicaSet=rs0") == 3  # each backend's record URL names the replica set
    assert resolved.count("/run/secrets/approval_key") == 3 and "file: " in resolved
    # the secrets come from the environment: the file holds none, and refuses to start without them
    text = (DEPLOY / "compose.yaml").read_text()
    assert "test-token" not in text and "test-state-key" not in text
    missing = compose("config", "-q", env={})
    assert missing.returncode != 0 and "set GOOGLE_MCP_AUTH_TOKEN" in missing.stderr


def test_the_image_runs_as_a_user_of_its_own_checks_health_and_holds_no_secret() -> None:
    steps = instructions(DEPLOY / "Dockerfile")
    assert steps[0][0] == "FROM" and re.fullmatch(r"python:3\.\d+-slim", steps[0][1])
    users = [i for i, (word, _) in enumerate(steps) if word == "USER"]
    assert users, "no USER: the server would run as root"
    user = steps[users[-1]][1]
    assert user not in ("root", "0") and not user.startswith(("root:", "0:"))
    assert all(word != "RUN" for word, _ in steps[users[-1] :]), "something runs as root after USER"
    assert any(word == "RUN" and "pip install ." in rest for word, rest in steps)  # the package itself
    health = [rest for word, rest in steps if word == "HEALTHCHECK"]
    assert len(health) == 1 and "CMD" in health[0] and "/health" in health[0]
    assert steps[-1][0] == "CMD" and "serve" in steps[-1][1]
    for word, rest in steps:
        if word in ("ENV", "ARG"):
            names = re.findall(r"([A-Za-z_][A-Za-z0-9_]*)=", rest) or [rest.split()[0]]
            assert not [n for n in names if SECRET_NAME.search(n)], f"{word} {rest}: a secret baked into the image"
    copied = [rest for word, rest in steps if word in ("COPY", "ADD")]
    assert all(not re.search(r"\.env|token|secret|\.key", c) for c in copied)
