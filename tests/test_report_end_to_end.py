"""``layer_bypass:report`` on a tiny real experiment: 3 thresholds x 5 runs on an 8 x 6 grid, the
real engine, real model-metrics on the bundled MNIST split, and ``model:sensitivity`` over a few
offsets. Checks every file the report promises against the runs' own files."""

from __future__ import annotations

import csv
import json
import re
import statistics

import numpy as np
import pandas as pd
import pytest
from experiment_support import MODEL_NAME, engine, model_path, run_cli

from compress.report.loading import METRICS
from compress.report.statistics import TEST_COLUMNS

THRESHOLDS = ("0", "2", "6")
RUNS = 5
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def reported(tmp_path_factory):
    engine()
    root = tmp_path_factory.mktemp("report")
    env = root / "env"
    common = [MODEL_NAME, str(model_path()), "--experiment-env", str(env)]
    train = run_cli(
        [
            "layer_bypass:train",
            *common,
            "--mse-thresholds",
            *THRESHOLDS,
            "--rows",
            "8",
            "--cols",
            "6",
            "--number-of-runs",
            str(RUNS),
            "--patience",
            "300",
            "--population-max",
            "4",
            "--threads",
            "1",
            "--seed",
            "5",
        ],
        cwd=root,
    )
    assert train.returncode == 0, train.stderr
    metrics = run_cli(["layer_bypass:model-metrics", *common, "--top", "1", "-l"], cwd=root)
    assert metrics.returncode == 0, metrics.stderr
    sensitivity = run_cli(
        [
            "model:sensitivity",
            MODEL_NAME,
            "-m",
            str(model_path()),
            "-e",
            "inner",
            "all",
            "--offsets",
            "-2",
            "2",
            "-o",
            str(root),
        ],
        cwd=root,
    )
    assert sensitivity.returncode == 0, sensitivity.stderr
    csvs = sorted(str(p) for p in root.glob(f"{MODEL_NAME}.*.256.csv"))
    report = run_cli(
        ["layer_bypass:report", "--experiment-env", str(env), "--sensitivity", *csvs], cwd=root
    )
    assert report.returncode == 0, report.stderr
    folder = env / "layer_bypass"
    assert f"{folder / 'report' / 'report.html'}" in report.stderr
    return root, folder, folder / "report"


def final_rows(folder):
    """Last row of every run's statistics file, read with the csv module (independently)."""
    rows = {}
    for threshold in THRESHOLDS:
        sub = folder / f"mse_{float(threshold)}_8_6"
        for run in range(1, RUNS + 1):
            with open(sub / "train_statistics" / "fitness" / f"statistics.{run}.csv") as handle:
                rows[(float(threshold), run)] = list(csv.DictReader(handle))[-1]
    return rows


def test_every_figure_is_a_plausible_png_and_pdf(reported):
    _, _, report = reported
    index = json.loads((report / "figures" / "index.json").read_text())
    names = {entry["name"] for entry in index}
    expected = {f"box_{metric}" for metric in METRICS} | {
        "pareto_energy_accuracy",
        "pareto_energy_error",
        "gate_usage",
        "missing_weights_energy",
        "accuracy_loss_swarm",
        "sensitivity_offsets",
    }
    assert expected <= names
    from PIL import Image

    for name in names:
        png = report / "figures" / f"{name}.png"
        pdf = report / "figures" / f"{name}.pdf"
        assert png.read_bytes()[:8] == PNG_SIGNATURE, name
        assert pdf.read_bytes()[:5] == b"%PDF-", name
        assert png.stat().st_size > 10_000 and pdf.stat().st_size > 5_000, name
        with Image.open(png) as image:
            image.verify()
        with Image.open(png) as image:
            width, height = image.size
        assert 500 <= width <= 4000 and 300 <= height <= 4000, (name, width, height)
    for entry in index:
        assert entry["caption"] and "(" in entry["caption"]


def test_summary_matches_the_runs_statistics_files(reported):
    _, folder, report = reported
    summary = pd.read_csv(report / "summary.csv")
    assert list(summary.columns) == [
        "threshold",
        "metric",
        "n",
        "median",
        "q1",
        "q3",
        "min",
        "max",
        "mean",
    ]
    rows = final_rows(folder)
    checks = {
        "circuit_energy_pj": lambda r: float(r["energy"]),
        "gate_count": lambda r: float(r["gate_count"]),
        "generations": lambda r: float(r["generation"]),
        "area_um2": lambda r: float(r["area"]),
        "error_per_weight": lambda r: (float(r["error"]) / 2400) ** 0.5,
    }
    for threshold in map(float, THRESHOLDS):
        for metric, value in checks.items():
            values = [value(rows[(threshold, run)]) for run in range(1, RUNS + 1)]
            line = summary[(summary["threshold"] == threshold) & (summary["metric"] == metric)]
            assert len(line) == 1
            line = line.iloc[0]
            assert line["n"] == RUNS
            assert line["median"] == pytest.approx(statistics.median(values))
            assert line["mean"] == pytest.approx(statistics.fmean(values))
            assert (line["min"], line["max"]) == (
                pytest.approx(min(values)),
                pytest.approx(max(values)),
            )
            assert line["q1"] == pytest.approx(np.percentile(values, 25))
    # accuracy comes from the model-metrics CSVs (last row per run)
    for threshold in map(float, THRESHOLDS):
        tops = []
        for run in range(1, RUNS + 1):
            frame = pd.read_csv(
                folder / "model_metrics" / f"default.test.mse_{threshold}_8_6.{run}.csv"
            )
            tops.append(frame["Top-1"].iloc[-1] * 100)
        line = summary[(summary["threshold"] == threshold) & (summary["metric"] == "top1_percent")]
        assert line["median"].iloc[0] == pytest.approx(statistics.median(tops))


def test_tables_have_their_columns_and_no_inf(reported):
    root, folder, report = reported
    tests = pd.read_csv(report / "tests.csv")
    assert tuple(tests.columns) == TEST_COLUMNS
    assert {"Mann-Whitney U (two-sided)", "Kruskal-Wallis", "Conover post-hoc", "Spearman"} <= set(
        tests["test"]
    )
    assert tests["verdict"].notna().all()
    pareto = pd.read_csv(report / "pareto.csv")
    assert set(pareto["scope"]) == {"global"} and len(pareto) >= 2
    sensitivity = pd.read_csv(report / "sensitivity.csv")
    assert list(sensitivity["n"]) == [RUNS] * len(THRESHOLDS)
    for path in [*report.glob("*.csv"), *(folder / "model_metrics").glob("*.csv")]:
        assert not re.search(r"\binf\b", path.read_text(), re.IGNORECASE), path
    for name in ("summary.md", "summary.tex", "sensitivity.tex", "report.md"):
        text = (report / name).read_text()
        assert text.strip() and not re.search(r"\b(inf|nan)\b", text, re.IGNORECASE), name


def test_html_is_self_contained_and_describes_every_figure(reported):
    _, _, report = reported
    html = (report / "report.html").read_text()
    index = json.loads((report / "figures" / "index.json").read_text())
    assert html.count("src='data:image/png;base64,") == len(index)
    assert "src='figures/" not in html
    markdown = (report / "report.md").read_text()
    for entry in index:
        assert f"figures/{entry['name']}.png" in markdown
    assert "15 runs of 3 sub-experiment(s)" in markdown
    assert "inputs ∪ outputs" in markdown and "Holm" in markdown


def test_existing_report_is_kept_unless_forced_and_plain_report_reads_folders(reported):
    root, folder, report = reported
    again = run_cli(["layer_bypass:report", "--experiment-env", str(folder.parent)], cwd=root)
    assert again.returncode == 2 and "already exists" in again.stderr
    plain = run_cli(
        ["report", f"layer_bypass={folder}", "-o", str(root / "plain"), "--alpha", "0.01"],
        cwd=root,
    )
    assert plain.returncode == 0, plain.stderr
    tests = pd.read_csv(root / "plain" / "tests.csv")
    assert "α = 0.01" in " ".join(tests["verdict"].dropna())
    bad = run_cli(["report", str(folder), "-o", str(root / "bad"), "--alpha", "2"], cwd=root)
    assert bad.returncode == 2 and "--alpha" in bad.stderr and not (root / "bad").exists()


def test_sidecar_factors_replace_the_folder_name_and_folders_combine(reported, tmp_path):
    import shutil

    from compress.report.loading import load_report_data
    from compress.settings import load_settings

    _, folder, _ = reported
    copy = tmp_path / "with_sidecars"
    for sub in folder.glob("mse_*"):
        shutil.copytree(sub, copy / sub.name, ignore=shutil.ignore_patterns("all_weights"))
        threshold = float(sub.name.split("_")[1])
        sidecar = {
            "format": 1,
            "experiment": "layer_bypass",
            "sub_experiment": sub.name,
            "factors": {
                "threshold": threshold + 100,  # differs from the name: the name must not be read
                "error_metric": "SE",
                "rows": 8,
                "cols": 6,
                "layers": "conv1->conv2",
                "batch": None,
                "input_count": 150,
            },
        }
        (copy / sub.name / "experiment.json").write_text(json.dumps(sidecar))
    data = load_report_data([("layer_bypass", folder), ("layer_bypass", copy)], load_settings())
    assert sorted(data.runs["threshold"].unique()) == [0, 2, 6, 100, 102, 106]
    assert set(data.runs.loc[data.runs["threshold"] >= 100, "layers"]) == {"conv1->conv2"}
    assert "input_count" in data.factors and "batch" not in data.factors
    # The toolkit writes a sidecar into every folder it creates, so both copies read from one.
    assert sum(s.endswith("experiment.json") for s in data.sources) == 2 * len(THRESHOLDS)
    assert len(data.runs) == 2 * len(THRESHOLDS) * RUNS
