"""``model-metrics`` on a folder laid out as the original wrote it.

The fixture trains a tiny ``grid_size`` experiment with the real engine (to get real
chromosomes), then rewrites it the way the original left its results: an original-style
``train_cgp.config`` (Windows paths, ``learning_rate_file``, ``stdout``/``stderr``, none of the new
engine keys), ``train.data``, ``gate_parameters.txt``, a plain statistics CSV for run 1 and a
zipped one for run 2, and no model-metrics artefacts.
"""

from __future__ import annotations

import shutil
import zipfile

import pandas as pd
import pytest
from experiment_support import MODEL_NAME, engine, model_path, run_cli

from compress.engine.files import read_statistics
from compress.metrics import ORIGINAL_COLUMNS

ORIGINAL_CONFIG = """function_input_arity: 2
function_output_arity: 1
output_count: 16
input_count: 9
population_max: 16
mutation_max: 0.15
learning_rate: 0.05
row_count: 5
col_count: 5
look_back_parameter: 5
generation_count: 50000000
number_of_runs: 2
function_count: 27
periodic_log_frequency: 25000000
input_file: C:/Users/someone/experiments/grid_size/{name}/train.data
output_file: C:/Users/someone/experiments/grid_size/{name}/cgp_configs/cgp.{{run}}.config
cgp_statistics_file: C:/Users/someone/experiments/grid_size/{name}/train_statistics/fitness/statistics.{{run}}.csv
learning_rate_file: train_statistics/learning/learning_rate.{{run}}.csv
gate_parameters_file: C:/Users/someone/verilog/gate_parameters.txt
train_weights_file: weights/weights.{{run}}.txt
mse_threshold: 0
mse_chromosome_logging_threshold: 2500
dataset_size: 1
patience: 400000
mse_early_stop: 0
energy_early_stop: 0
stdout: train_stdout.txt
stderr: train_stderr.txt
"""


@pytest.fixture(scope="module")
def original_folder(tmp_path_factory):
    engine()
    root = tmp_path_factory.mktemp("original")
    train = run_cli(
        [
            "grid_size:train",
            MODEL_NAME,
            str(model_path()),
            "--experiment-env",
            str(root / "fresh"),
            "-n",
            "1",
            "--layer-names",
            "conv2",
            "--grid-sizes",
            "5x5",
            "--number-of-runs",
            "2",
            "--patience",
            "3000",
            "-e",
            "50",
            "--seed",
            "2",
        ],
        cwd=root,
    )
    assert train.returncode == 0, train.stderr
    (fresh,) = (root / "fresh" / "grid_size").iterdir()
    old = root / "datastore" / "grid_size" / fresh.name
    (old / "train_statistics" / "fitness").mkdir(parents=True)
    (old / "cgp_configs").mkdir()
    (old / "train_cgp.config").write_text(ORIGINAL_CONFIG.format(name=fresh.name))
    for name in ("train.data", "gate_parameters.txt", "gate_parameters.csv"):
        shutil.copy(fresh / name, old / name)
    stats = fresh / "train_statistics" / "fitness"
    shutil.copy(
        stats / "statistics.1.csv", old / "train_statistics" / "fitness" / "statistics.1.csv"
    )
    with zipfile.ZipFile(
        old / "train_statistics" / "fitness" / "statistics.2.csv.zip", "w"
    ) as archive:
        archive.write(stats / "statistics.2.csv", "statistics.2.csv")
    # As the original's merge leaves them: result configs (run 2 zipped), no weights folder.
    shutil.copy(fresh / "cgp_configs" / "cgp.1.config", old / "cgp_configs" / "cgp.1.config")
    with zipfile.ZipFile(old / "cgp_configs" / "cgp.2.config.zip", "w") as archive:
        archive.write(fresh / "cgp_configs" / "cgp.2.config", "cgp.2.config")
    return root, old


def test_reads_plain_and_zipped_statistics_of_an_original_folder(original_folder):
    root, old = original_folder
    experiment_path = old.parent
    plain = run_cli(
        [
            "grid_size:model-metrics",
            MODEL_NAME,
            str(model_path()),
            "--experiment-path",
            str(experiment_path),
            "--experiment",
            "conv2_*",
            "--top",
            "3",
            "-l",
        ],
        cwd=root,
    )
    assert plain.returncode == 0, plain.stderr
    zipped = run_cli(
        [
            "grid_size:model-metrics",
            MODEL_NAME,
            str(model_path()),
            "--experiment-path",
            str(experiment_path),
            "-s",
            "statistics.{run}.csv.zip",
            "--top",
            "3",
        ],
        cwd=root,
    )
    assert zipped.returncode == 0, zipped.stderr
    outputs = sorted(p.name for p in (experiment_path / "model_metrics").glob("*.csv"))
    assert (experiment_path / "model_metrics" / "COLUMNS.md").is_file()
    assert outputs == [f"default.test.{old.name}.1.csv", f"default.test.{old.name}.2.csv"]
    for run, path in enumerate(sorted((experiment_path / "model_metrics").glob("*.csv")), start=1):
        frame = pd.read_csv(path)
        assert tuple(frame.columns[: len(ORIGINAL_COLUMNS)]) == ORIGINAL_COLUMNS
        source = (
            old
            / "train_statistics"
            / "fitness"
            / ("statistics.1.csv" if run == 1 else "statistics.2.csv.zip")
        )
        logged = read_statistics(source)
        logged = logged[logged["chromosome"].str.len() > 0]
        assert 1 <= len(frame) <= 3
        assert set(frame["chromosome"]) <= set(logged["chromosome"])
        assert frame["Run ID"].tolist() == list(range(1, len(frame) + 1))
        assert frame["baseline_top1"].nunique() == 1
        assert ((frame["Top-1"] >= 0) & (frame["Top-1"] <= 1)).all()
        assert (frame["weights_produced"] == 16).all()
        # the last logged row is the run's final circuit; re-evaluated, it has the same error
        assert frame["error"].iloc[-1] == logged["error"].iloc[-1]
    assert "Loss" in pd.read_csv(
        sorted((experiment_path / "model_metrics").glob("*.csv"))[0]
    ).dropna(axis=1)


def test_only_weights_writes_weights_and_no_csv(original_folder, tmp_path):
    root, old = original_folder
    copy = tmp_path / "grid_size"
    shutil.copytree(old, copy / old.name)
    result = run_cli(
        [
            "grid_size:model-metrics",
            MODEL_NAME,
            str(model_path()),
            "--experiment-path",
            str(copy),
            "-w",
            "--top",
            "1",
            "--runs",
            "1",
        ],
        cwd=root,
    )
    assert result.returncode == 0, result.stderr
    assert (copy / old.name / "all_weights" / "weights.1.1.txt").is_file()
    assert not (copy / "model_metrics").exists() or not any((copy / "model_metrics").iterdir())
