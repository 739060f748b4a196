"""Every registered experiment: a short ``train`` on a tiny grid, then ``model-metrics`` reads it.

Runs in-process through :func:`compress.cli.main` (the same code path as the command line) with
the real engine and the committed model; small grids, patience and a time budget keep it short.
"""

from __future__ import annotations

import pandas as pd
import pytest
from experiment_support import MODEL_NAME, engine, model_path

from compress.cli import main
from compress.experiments.registry import load_experiments
from compress.metrics import ORIGINAL_COLUMNS

TINY = {
    "layer_bypass": ["--mse-thresholds", "3", "--rows", "10", "--cols", "4"],
    "le_selector": ["--mse-thresholds", "20", "--rows", "10", "--cols", "4"],
    "all_layers": ["--mse-thresholds", "10", "--rows", "10", "--cols", "4"],
    "grid_size": ["-n", "1", "--layer-names", "conv1", "--grid-sizes", "4x4"],
    "reversed_single_filter": ["-n", "1", "--layer-names", "conv2", "--grid-sizes", "4x3"],
    "single_channel": ["--mse-thresholds", "2", "--rows", "6", "--cols", "4"],
    "single_filter_zero_outter": ["-n", "1", "--layer-names", "conv1"],
    "worst_case": ["--rows", "6", "--cols", "4"],
    # on LeNet-5 too: conv1's first weights -> conv2 (MobileNetV2 runs: test_mobilenet_experiment)
    "mobilenet": "--input-layer-name conv1 --output-layer-name conv2 --mse-thresholds 3 "
    "--rows 10 --cols 4".split(),
}


def test_every_experiment_has_a_tiny_case():
    assert set(TINY) == set(load_experiments())


@pytest.mark.parametrize("name", sorted(TINY))
def test_train_then_model_metrics(name, tmp_path, monkeypatch):
    engine()
    monkeypatch.setenv("TQDM_DISABLE", "1")
    common = [MODEL_NAME, str(model_path()), "--experiment-env", str(tmp_path)]
    budget = [
        "--number-of-runs",
        "1",
        "--patience",
        "500",
        "--time-budget",
        "2",
        "--population-max",
        "4",
    ]
    assert main([f"{name}:train", *common, *TINY[name], *budget]) == 0
    folder = tmp_path / name
    subs = [p for p in folder.iterdir() if p.is_dir()]
    assert subs and all((p / "cgp_configs" / "cgp.1.config").is_file() for p in subs)
    assert main([f"{name}:model-metrics", *common, *TINY[name], "--top", "1"]) == 0
    results = sorted((folder / "model_metrics").glob("*.csv"))
    assert len(results) == len(subs)
    for path in results:
        frame = pd.read_csv(path)
        assert tuple(frame.columns[: len(ORIGINAL_COLUMNS)]) == ORIGINAL_COLUMNS
        assert len(frame) == 1 and 0 <= frame["Top-1"].iloc[0] <= 1
        if name == "worst_case":  # constants only: nothing is injected into the model
            assert frame["Top-1"].iloc[0] == frame["baseline_top1"].iloc[0]
