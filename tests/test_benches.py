"""Every bench runs in a smoke mode (a few iterations) so that a crash fails CI: a bench that only runs by
hand rots (gate_cost.py once crashed on a renamed method, answer_size.py measured a week that was empty).
The figures are the benches' to report; here only that each runs and prints its JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
SMOKE = {
    "answer_size.py": [],
    "balanced.py": ["--seconds", "1", "--clients", "2"],
    "call_latency.py": ["--n", "3"],
    "capacity.py": ["--n", "2"],
    "drive.py": [],
    "contacts.py": ["--contacts", "20"],
    "chat_page.py": [],
    "cold_start.py": ["--runs", "1"],
    "gate_cost.py": ["--n", "5", "--cluster"],
    "per_call.py": ["--n", "3"],
    "quota_pacing.py": ["--searches", "2", "--charges", "20"],
    "realtime_latency.py": ["--n", "1", "--poll", "0.2"],
    "record_cost.py": ["--n", "5", "--rounds", "1", "--clients", "3", "--pin"],
    "requests_made.py": ["--latency-ms", "0"],
    "router_overhead.py": ["--n", "2"],
    "sandbox_latency.py": ["--gets", "5", "--batches", "2"],
    "schedule.py": ["--n", "50", "--window", "1", "--owners", "5"],
    "search_latency.py": ["--runs", "1", "--latency-ms", "0"],
    "tasks.py": [],
    "sheets.py": [],
    "tools_list_size.py": [],
    "views.py": [],
}


def test_every_bench_has_a_smoke_run() -> None:
    benches = {p.name for p in (ROOT / "bench").glob("*.py") if not p.name.startswith("_")}
    assert benches == set(SMOKE)


@pytest.mark.slow
@pytest.mark.xdist_group("benches")  # one after another on one worker: run side by side, each bench's own
@pytest.mark.parametrize("bench", sorted(SMOKE))  # servers starved the others' (and the tests') on 2 cores
def test_the_bench_runs_and_prints_its_figures(bench: str) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / bench), *SMOKE[bench]],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=170,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    figures = json.loads(done.stdout)
    assert isinstance(figures, dict) and figures
