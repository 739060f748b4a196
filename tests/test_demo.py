"""``scripts/demo.py`` (what ``make demo`` runs), with a tiny budget: it prints the summary and never
overwrites an existing result folder."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from experiment_support import REPO, engine, model_path


def run_demo(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(REPO / "scripts" / "demo.py"), *args],
        capture_output=True,
        text=True,
        timeout=600,
        env=dict(os.environ, TQDM_DISABLE="1"),
    )


def test_demo_prints_the_summary_and_refuses_to_overwrite(tmp_path):
    engine()
    model_path()
    out = tmp_path / "demo"
    result = run_demo(
        "--out",
        str(out),
        "--thresholds",
        "0",
        "--rows",
        "20",
        "--cols",
        "5",
        "--patience",
        "1000",
        "--time-budget",
        "3",
        "--runs",
        "2",
    )
    assert result.returncode == 0, result.stderr
    table = result.stdout[result.stdout.index("threshold  error") :]
    header, _, row = table.splitlines()[:3]
    for column in (
        "top-1 before",
        "top-1 after",
        "circuit energy",
        "sram_8kb: fetch in+out, no circuit pJ",
        "sram_8kb: fetch in + circuit pJ",
        "dram: saving per inference",
        "gates",
    ):
        assert column in header
    assert row.split()[0] == "0"
    assert list((out / "layer_bypass" / "model_metrics").glob("*.csv"))
    report = out / "layer_bypass" / "report"
    assert f"report:  {report / 'report.html'}" in result.stdout
    assert (report / "report.html").is_file() and (report / "summary.csv").is_file()
    assert not re.search(r"\binf\b", result.stdout)
    again = run_demo("--out", str(out))
    assert again.returncode != 0 and "already exists" in again.stderr
