"""`make bench-import` itself, at a small size: every step runs, and it prints its figures, the
ceiling of the same run and its verdict (the figures themselves are for the benchmark, not a test)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

BACKEND = Path(__file__).resolve().parents[1]


def test_the_import_benchmark_runs_every_step_and_prints_its_ceiling_and_verdict(server_url: str) -> None:
    env = {**os.environ, "BENCH_DATABASE_URL": server_url, "BENCH_ROWS": "3000", "PYTHONPATH": str(BACKEND)}
    done = subprocess.run(
        [sys.executable, "bench/bench_import.py"],
        check=False,
        cwd=BACKEND,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    # 0: the target met, 1: not met (a figure, not a failure of the benchmark); anything else is a crash.
    assert done.returncode in (0, 1), done.stderr
    out = done.stdout
    for step in ("dry run", "ceiling", "commit", "revert"):
        assert re.search(rf"^{step} *: +[\d.]+ s +[\d,]+ rows/s", out, re.MULTILINE), (step, out)
    assert "3,000 rows" in out
    ratio = re.search(r"commit against the ceiling \(same run\): ([\d.]+) of its rows/s", out)
    assert ratio is not None and float(ratio.group(1)) > 0, out
    verdict = "met" if done.returncode == 0 else "NOT met"
    assert f"target ≥ 50,000 rows/s on commit: {verdict}\n" in out
