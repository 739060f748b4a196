"""``layer_bypass`` end to end on the committed QAT LeNet-5 with the real engine.

One short ``train`` (an exact and a loose threshold, one run each on a small grid) and one
``model-metrics`` through the real CLI; the tests then check the results against an independent
injection (``set_int8_weights`` on the weights file, no selectors) and evaluation.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest
import torch
from experiment_support import COMPRESS, MODEL_NAME, REPO, engine, model_path, run_cli, settings

from compress.engine.files import read_weights, result_chromosome

GRID = ["--rows", "40", "--cols", "10", "--population-max", "8", "--threads", "2"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    engine()
    root = tmp_path_factory.mktemp("e2e")
    env = root / "env"
    train = run_cli(
        [
            "layer_bypass:train",
            MODEL_NAME,
            str(model_path()),
            "--experiment-env",
            str(env),
            "--mse-thresholds",
            "0",
            "12",
            *GRID,
            "--number-of-runs",
            "1",
            "--patience",
            "20000",
            "--time-budget",
            "40",
            "--seed",
            "1",
        ],
        cwd=root,
    )
    assert train.returncode == 0, train.stderr
    metrics = run_cli(
        [
            "layer_bypass:model-metrics",
            MODEL_NAME,
            str(model_path()),
            "--experiment-env",
            str(env),
            "--top",
            "1",
            "--include-loss",
        ],
        cwd=root,
    )
    assert metrics.returncode == 0, metrics.stderr
    return root, env / "layer_bypass"


@pytest.fixture(scope="module")
def model_and_data():
    from compress.data import load_dataset
    from compress.evaluation import evaluate_model
    from compress.models import load_model
    from compress.weights import get_int8_weights

    model = load_model(MODEL_NAME, model_path(), settings())
    dataset = load_dataset(None, None, settings())
    baseline = evaluate_model(model, dataset, progress=False)
    return model, dataset, baseline, get_int8_weights(model, "conv2").contiguous()


def evaluate_with(model, dataset, conv2_values: np.ndarray, original):
    """Independent injection: the weights file line as conv2's int8 tensor, no selectors."""
    from compress.evaluation import evaluate_model
    from compress.weights import get_int8_weights, set_int8_weights

    set_int8_weights(model, "conv2", torch.from_numpy(conv2_values.reshape(original.shape)))
    try:
        assert get_int8_weights(model, "conv2").reshape(-1).tolist() == conv2_values.tolist()
        return evaluate_model(model, dataset, progress=False)
    finally:
        set_int8_weights(model, "conv2", original)


def metrics_row(folder, sub):
    frame = pd.read_csv(folder / "model_metrics" / f"default.test.{sub}.1.csv")
    assert len(frame) == 1
    return frame.iloc[0]


def test_exact_circuit_keeps_every_prediction(trained, model_and_data):
    _, folder = trained
    model, dataset, baseline, original = model_and_data
    sub = folder / "mse_0.0_40_10"
    row = metrics_row(folder, "mse_0.0_40_10")
    assert row["error"] == 0
    weights = read_weights(sub / "all_weights" / "weights.1.1.txt", 1, 2400)[0]
    assert weights.tolist() == original.reshape(-1).tolist()
    result = evaluate_with(model, dataset, weights, original)
    assert torch.equal(result.predictions, baseline.predictions)
    assert row["Top-1"] == baseline.accuracy[1] == row["baseline_top1"]
    assert row["Loss"] == pytest.approx(baseline.loss) and row["accuracy_loss_pp"] == 0


def test_loose_threshold_changes_accuracy_as_measured(trained, model_and_data):
    _, folder = trained
    model, dataset, baseline, original = model_and_data
    sub = folder / "mse_12.0_40_10"
    row = metrics_row(folder, "mse_12.0_40_10")
    assert 0 < row["error"] <= 12**2 * 2400
    weights = read_weights(sub / "all_weights" / "weights.1.1.txt", 1, 2400)[0]
    assert weights.tolist() != original.reshape(-1).tolist()
    result = evaluate_with(model, dataset, weights, original)
    assert row["Top-1"] == result.accuracy[1] and row["Top-5"] == result.accuracy[5]
    assert row["Loss"] == pytest.approx(result.loss)
    assert row["Loss"] != pytest.approx(baseline.loss)
    assert row["accuracy_loss_pp"] == pytest.approx(
        (baseline.accuracy[1] - result.accuracy[1]) * 100
    )
    # the circuit's weights are the ones training wrote for that run
    trained_weights = read_weights(sub / "weights" / "weights.1.txt", 1, 2400)[0]
    assert trained_weights.tolist() == weights.tolist()


def test_metrics_columns_keep_the_original_and_state_units(trained):
    from compress.metrics import ORIGINAL_COLUMNS

    _, folder = trained
    frame = pd.read_csv(folder / "model_metrics" / "default.test.mse_12.0_40_10.1.csv")
    assert tuple(frame.columns[: len(ORIGINAL_COLUMNS)]) == ORIGINAL_COLUMNS
    energy_columns = [c for c in frame.columns if "energy" in c and c not in ORIGINAL_COLUMNS]
    assert energy_columns
    for column in energy_columns:
        assert column.endswith(("_pj", "_note")) or "_ratio_without_over_with_circuit_" in column
    row = frame.iloc[0]
    assert row["weights_produced"] == 2400
    assert row["circuit_energy_pj"] == pytest.approx(row["energy"])
    # whole configurations: conv1's 150 inputs are still fetched with the circuit
    assert (row["weights_fetched_with_circuit"], row["weights_fetched_without_circuit"]) == (
        150,
        2550,
    )
    assert row["fetch_inputs_and_outputs_without_circuit_sram_8kb_pj"] == pytest.approx(2550 * 1.25)
    assert row["fetch_inputs_plus_circuit_sram_8kb_pj"] == pytest.approx(
        150 * 1.25 + row["circuit_energy_pj"]
    )
    text = (folder / "model_metrics" / "default.test.mse_12.0_40_10.1.csv").read_text()
    assert "inf" not in text.lower().replace("inference", "")
    assert "quantized_energy" in (folder / "model_metrics" / "COLUMNS.md").read_text()
    assert row["missing_weights"] >= 0


def test_train_again_skips_finished_runs_and_metrics_skip_existing(trained):
    root, folder = trained
    stats = folder / "mse_0.0_40_10" / "train_statistics" / "fitness" / "statistics.1.csv"
    stamp = stats.stat().st_mtime_ns
    again = run_cli(
        [
            "layer_bypass:train",
            MODEL_NAME,
            str(model_path()),
            "--experiment-env",
            str(folder.parent),
            "--mse-thresholds",
            "0",
            *GRID,
            "--number-of-runs",
            "1",
            "--patience",
            "20000",
            "--time-budget",
            "40",
            "--seed",
            "1",
        ],
        cwd=root,
    )
    assert again.returncode == 0, again.stderr
    assert "finished, skipping" in again.stderr
    assert stats.stat().st_mtime_ns == stamp
    metrics = run_cli(
        [
            "layer_bypass:model-metrics",
            MODEL_NAME,
            str(model_path()),
            "--experiment-env",
            str(folder.parent),
            "--top",
            "1",
            "--include-loss",
        ],
        cwd=root,
    )
    assert metrics.returncode == 0 and "already exist" in metrics.stderr


def test_evaluate_reproduces_the_final_circuits(trained):
    root, folder = trained
    result = run_cli(
        [
            "layer_bypass:evaluate",
            MODEL_NAME,
            str(model_path()),
            "--experiment-env",
            str(folder.parent),
        ],
        cwd=root,
    )
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.strip().startswith("mse_")]
    assert len(lines) == 2 and all(line.rstrip().endswith("yes") for line in lines)


def test_interrupted_train_resumes_from_the_checkpoint(tmp_path):
    engine()
    env = tmp_path / "env"
    argv = [
        sys.executable,
        str(COMPRESS),
        "layer_bypass:train",
        MODEL_NAME,
        str(model_path()),
        "--experiment-env",
        str(env),
        "--mse-thresholds",
        "0",
        "--rows",
        "20",
        "--cols",
        "6",
        "--population-max",
        "8",
        "--threads",
        "1",
        "--number-of-runs",
        "1",
        "--patience",
        "200000",
        "--checkpoint-every",
        "1",
        "--time-budget",
        "25",
    ]
    process = subprocess.Popen(
        argv,
        cwd=tmp_path,
        env=dict(os.environ, TQDM_DISABLE="1", PYTHONPATH=str(REPO)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    folder = env / "layer_bypass" / "mse_0.0_20_6"
    deadline = time.monotonic() + 60
    while (
        not (folder / "checkpoints" / "checkpoint.1.ckpt").exists() and time.monotonic() < deadline
    ):
        time.sleep(0.2)
    os.killpg(process.pid, signal.SIGINT)
    _, stderr = process.communicate(timeout=90)
    assert process.returncode == 33, stderr
    assert "Traceback" not in stderr
    assert result_chromosome(folder / "cgp_configs" / "cgp.1.config") is None
    resumed = subprocess.run(
        argv[:-2] + ["--time-budget", "3"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=dict(os.environ, TQDM_DISABLE="1", PYTHONPATH=str(REPO)),
        timeout=300,
    )
    assert resumed.returncode == 0, resumed.stderr
    assert result_chromosome(folder / "cgp_configs" / "cgp.1.config")
