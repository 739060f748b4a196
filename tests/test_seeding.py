"""The constructive chromosome: placed by the engine's layout rules, exact, at the estimated energy.

Every circuit here is evaluated by the real engine (``bin/cgp evaluate:chromosomes``) on weights
of the committed QAT LeNet-5, and a ``train --initial-solution constructive`` run is checked to
start exact.
"""

from __future__ import annotations

import csv
import subprocess
from pathlib import Path

import pytest
from experiment_support import MODEL_NAME, engine, model_path, run_cli, settings

from compress.energy import constructive_chromosome, constructive_reference, load_gate_table
from compress.energy.quantize import write_gate_parameters
from compress.engine.files import TrainItem, write_train_data
from compress.errors import CompressError


@pytest.fixture(scope="module")
def table():
    return load_gate_table(None, settings())


@pytest.fixture(scope="module")
def weights():
    from compress.models import load_model
    from compress.weights import get_int8_weights

    model = load_model(MODEL_NAME, model_path(), settings())
    return {
        layer: [int(v) for v in get_int8_weights(model, layer).flatten().tolist()]
        for layer in ("conv1", "conv2")
    }


def _evaluate(folder: Path, table, chromosome: str, inputs, expected, *, rows, cols, look_back):
    """Engine statistics row and produced weights for one chromosome."""
    folder.mkdir(parents=True, exist_ok=True)
    write_gate_parameters(
        table, folder / "gate_parameters.txt", folder / "gate_parameters.csv", rows=rows, cols=cols
    )
    real_inputs = [v for v in inputs if v is not None]
    real_outputs = [v for v in expected if v is not None]
    write_train_data(
        folder / "train.data", [TrainItem(real_inputs, real_outputs)], len(inputs), len(expected)
    )
    (folder / "list.txt").write_text(chromosome + "\n")
    settings_lines = {
        "function_input_arity": 2,
        "function_output_arity": 1,
        "input_count": len(inputs),
        "output_count": len(expected),
        "row_count": rows,
        "col_count": cols,
        "look_back_parameter": look_back,
        "function_count": 27,
        "dataset_size": 1,
        "input_file": "train.data",
        "output_file": "out.csv",
        "cgp_statistics_file": "list.txt",
        "gate_parameters_file": "gate_parameters.txt",
        "train_weights_file": "w.{run}.txt",
    }
    (folder / "c.config").write_text("".join(f"{k}: {v}\n" for k, v in settings_lines.items()))
    result = subprocess.run(
        [str(engine()), "evaluate:chromosomes", "c.config", "g.{run}.csv"],
        cwd=folder,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    with (folder / "out.csv").open() as handle:
        row = next(csv.DictReader(handle))
    produced = [int(v) for v in (folder / "w.1.txt").read_text().split()]
    return row, produced


def _check_exact(tmp_path, table, inputs, expected, *, rows, cols, look_back):
    chromosome = constructive_chromosome(
        inputs, expected, table, rows=rows, cols=cols, look_back=look_back
    )
    row, produced = _evaluate(
        tmp_path, table, chromosome, inputs, expected, rows=rows, cols=cols, look_back=look_back
    )
    estimate = constructive_reference(inputs, expected, table)
    assert float(row["error"]) == 0
    meaningful = [v for v in expected if v is not None]
    assert produced[: len(meaningful)] == meaningful
    assert float(row["energy"]) == pytest.approx(estimate.energy_pj, rel=1e-9, abs=1e-12)
    assert int(row["gate_count"]) >= estimate.gate_count
    return chromosome, row


def test_layer_bypass_constructive_chromosome_is_exact_on_the_engine(tmp_path, table, weights):
    inputs, expected = weights["conv1"], weights["conv2"]
    assert set(expected) & set(inputs), "some outputs must be routed from inputs through ID nodes"
    chromosome, _ = _check_exact(tmp_path, table, inputs, expected, rows=40, cols=10, look_back=10)
    assert chromosome.startswith("{150,2400,10,40,2,10,1}")


def test_no_input_constructive_chromosome_is_exact_on_the_engine(tmp_path, table, weights):
    expected = weights["conv1"] + weights["conv2"]
    _check_exact(tmp_path, table, [0], expected, rows=30, cols=25, look_back=25)


def test_short_look_back_relays_values_through_id_nodes(tmp_path, table, weights):
    """L = 2 on 12 columns: inputs are readable from columns 0-1 only and outputs only from
    columns 10-11, so every value travels through ID relays, at no energy."""
    inputs, expected = weights["conv1"][:20], weights["conv2"][:60] + [None] * 5
    _check_exact(tmp_path, table, inputs, expected, rows=60, cols=12, look_back=2)


def test_grid_too_small_or_too_shallow_is_a_user_error(table, weights):
    inputs, expected = weights["conv1"], weights["conv2"]
    with pytest.raises(CompressError, match="does not fit|no free node"):
        constructive_chromosome(inputs, expected, table, rows=2, cols=3, look_back=3)
    # building every conv1 and conv2 value from a constant 0 takes chains of several gates
    with pytest.raises(CompressError, match="deep"):
        constructive_chromosome([0], inputs + expected, table, rows=1000, cols=2, look_back=2)
    with pytest.raises(CompressError, match="one dataset item"):
        constructive_chromosome([1], [2], table, rows=5, cols=5, look_back=5, dataset_item_count=2)


def test_train_with_constructive_initial_solution_starts_exact(tmp_path):
    model_path()
    result = run_cli(
        [
            "layer_bypass:train",
            MODEL_NAME,
            str(model_path()),
            "--experiment-env",
            str(tmp_path),
            "--rows",
            "40",
            "--cols",
            "10",
            "--mse-thresholds",
            "0",
            "--number-of-runs",
            "1",
            "--generation-count",
            "20",
            "--initial-solution",
            "constructive",
            "--cgp",
            str(engine()),
        ],
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    folder = tmp_path / "layer_bypass" / "mse_0.0_40_10"
    config = (folder / "train_cgp.config").read_text()
    assert "starting_solution: {150,2400,10,40,2,10,1}" in config
    with (folder / "train_statistics" / "fitness" / "statistics.1.csv").open() as handle:
        first = next(csv.DictReader(handle))
    assert float(first["error"]) == 0


def test_constructive_initial_solution_needs_one_dataset_item(tmp_path):
    model_path()
    result = run_cli(
        [
            "all_layers:train",
            MODEL_NAME,
            str(model_path()),
            "--experiment-env",
            str(tmp_path),
            "--initial-solution",
            "constructive",
            "--cgp",
            str(engine()),
        ],
        cwd=tmp_path,
    )
    assert result.returncode != 0
    assert "dataset" in result.stderr and "Traceback" not in result.stderr
