"""The benchmark runner in smoke mode: every selected benchmark runs and lands in the report."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_smoke_run_writes_one_report(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            *(sys.executable, str(REPO / "bench" / "run_all.py"), "--smoke"),
            *("--only", "facets,cluster", "--out", str(tmp_path)),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    report = (tmp_path / "REPORT.md").read_text()
    assert report.startswith("# picsift benchmarks") and "**Smoke run**" in report
    assert "## facets" in report and "## cluster" in report and "failed" not in report
    records = json.loads((tmp_path / "report.json").read_text())
    assert records["cluster"]["result"]["runs"][0]["size"] == 2000
    assert records["facets"]["command"] == "python bench/bench_facets.py --repeats 1"


def test_unknown_benchmark_is_refused(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "bench" / "run_all.py"), "--only", "nope", "--out", "x"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2 and "unknown benchmarks ['nope']" in done.stdout
