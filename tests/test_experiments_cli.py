"""The experiment CLI through a real subprocess: help, README commands, and bad input.

Every bad input must end with one line on stderr, a non-zero exit code, no traceback, and no
result file that looks complete.
"""

from __future__ import annotations

import shutil

import pytest
from experiment_support import (
    MODEL_NAME,
    ORIGINAL_README_LE_SELECTOR,
    engine,
    model_path,
    parse,
    run_cli,
)

from compress.engine.files import read_statistics


def assert_one_line_error(result, *needles: str) -> None:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert len(lines) == 1, result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


def test_help_works_without_env(tmp_path):
    result = run_cli(["layer_bypass:train", "--help"], cwd=tmp_path)
    assert result.returncode == 0
    for option in (
        "--mse-thresholds",
        "--rows",
        "--cols",
        "--e-fitness",
        "--seed",
        "--threads",
        "--output-assignment",
        "--time-budget",
        "--checkpoint-every",
        "--patience",
        "--population-max",
        "--mse-chromosome-logging-threshold",
        "--allowed-mse-error",
        "--batches",
        "--gate-table",
        "--multiplex",
    ):
        assert option in result.stdout
    metrics = run_cli(["le_selector:model-metrics", "--help"], cwd=tmp_path)
    for option in (
        "--top",
        "--runs",
        "--statistics-file-format",
        "--dataset",
        "--split",
        "--batch-size",
        "--num-workers",
        "--include-loss",
        "--only-weights",
    ):
        assert option in metrics.stdout


def test_readme_commands_parse():
    """The original README's example commands, as written."""
    args = parse(
        [
            "layer_bypass:train",
            "qat_quantized_lenet",
            "qat.quantized_lenet.pth",
            "--rows",
            "256",
            "--cols",
            "31",
            "--mse-thresholds",
            "0",
            "5",
            "10",
        ]
    )
    assert (args.rows, args.cols, args.mse_thresholds) == (256, 31, ["0", "5", "10"])
    args = parse(ORIGINAL_README_LE_SELECTOR)
    assert (args.batches, args.multiplex, args.population_max, args.patience) == (
        30,
        True,
        8,
        10_000_000,
    )
    args = parse(
        [
            "grid_size:train",
            "qat_quantized_lenet",
            "qat.quantized_lenet.pth",
            "--grid-sizes",
            "5x5",
            "10x10",
        ]
    )
    assert args.grid_sizes == [(5, 5), (10, 10)]


def test_unknown_experiment(tmp_path):
    result = run_cli(["layer_bypas:train", MODEL_NAME, "qat.quantized_lenet.pth"], cwd=tmp_path)
    assert_one_line_error(result, "layer_bypas:train")


def test_unknown_layer(tmp_path):
    engine()
    result = run_cli(
        [
            "layer_bypass:train",
            MODEL_NAME,
            str(model_path()),
            "--experiment-env",
            str(tmp_path / "env"),
            "--input-layer-names",
            "conv9",
        ],
        cwd=tmp_path,
    )
    assert_one_line_error(result, "conv9", "conv1")
    assert not (tmp_path / "env" / "layer_bypass").exists() or not any(
        (tmp_path / "env" / "layer_bypass").rglob("train_cgp.config")
    )


@pytest.mark.parametrize("bad", [["0", "abc"], ["-3"], ["1,,x"]])
def test_threshold_list_that_does_not_parse(tmp_path, bad):
    engine()
    result = run_cli(
        [
            "layer_bypass:train",
            MODEL_NAME,
            str(model_path()),
            "--experiment-env",
            str(tmp_path / "env"),
            "--mse-thresholds",
            *bad,
        ],
        cwd=tmp_path,
    )
    assert_one_line_error(result, "--mse-thresholds")
    assert not (tmp_path / "env").exists()


def test_grid_size_that_does_not_parse(tmp_path):
    result = run_cli(["grid_size:train", MODEL_NAME, "m.pth", "--grid-sizes", "5by5"], cwd=tmp_path)
    assert_one_line_error(result, "5by5")


def test_train_pbs_is_clear_when_missing_or_works(tmp_path):
    """train-pbs belongs to the cluster part: either it works or it says so in one line."""
    result = run_cli(
        [
            "layer_bypass:train-pbs",
            MODEL_NAME,
            str(model_path()),
            "--experiment-env",
            str(tmp_path / "env"),
            "--mse-thresholds",
            "0",
            "--time-limit",
            "01:00:00",
            "--rows",
            "5",
            "--cols",
            "5",
        ],
        cwd=tmp_path,
    )
    assert "Traceback" not in result.stderr
    if result.returncode != 0:
        assert_one_line_error(result, "train-pbs")


@pytest.fixture(scope="module")
def trained_folder(tmp_path_factory):
    engine()
    root = tmp_path_factory.mktemp("cli")
    result = run_cli(
        [
            "grid_size:train",
            MODEL_NAME,
            str(model_path()),
            "--experiment-env",
            str(root / "env"),
            "-n",
            "1",
            "--layer-names",
            "conv1",
            "--number-of-runs",
            "1",
            "--patience",
            "2000",
        ],
        cwd=root,
    )
    assert result.returncode == 0, result.stderr
    return root / "env" / "grid_size"


def metrics(folder, tmp_path, *extra):
    return run_cli(
        [
            "grid_size:model-metrics",
            MODEL_NAME,
            str(model_path()),
            "--experiment-path",
            str(folder),
            *extra,
        ],
        cwd=tmp_path,
    )


def no_result_csv(folder) -> bool:
    out = folder / "model_metrics"
    return not out.exists() or not list(out.glob("*.csv"))


def test_experiment_folder_with_missing_files(trained_folder, tmp_path):
    copy = tmp_path / "grid_size"
    shutil.copytree(trained_folder, copy)
    (sub,) = [p for p in copy.iterdir() if p.is_dir()]
    (sub / "train.data").unlink()
    result = metrics(copy, tmp_path)
    assert_one_line_error(result, "train.data")
    assert no_result_csv(copy)
    (sub / "train_cgp.config").unlink()
    result = metrics(copy, tmp_path)
    assert_one_line_error(result, "train_cgp.config")


def test_statistics_file_without_chromosome(trained_folder, tmp_path):
    copy = tmp_path / "grid_size"
    shutil.copytree(trained_folder, copy)
    (sub,) = [p for p in copy.iterdir() if p.is_dir()]
    stats = sub / "train_statistics" / "fitness" / "statistics.1.csv"
    frame = read_statistics(stats)
    frame["chromosome"] = ""
    frame.to_csv(stats, index=False)
    result = metrics(copy, tmp_path)
    assert_one_line_error(result, "no row with a chromosome", "statistics.1.csv")
    assert no_result_csv(copy)


def test_engine_that_exits_non_zero(trained_folder, tmp_path):
    copy = tmp_path / "grid_size"
    shutil.copytree(trained_folder, copy)
    (sub,) = [p for p in copy.iterdir() if p.is_dir()]
    stats = sub / "train_statistics" / "fitness" / "statistics.1.csv"
    frame = read_statistics(stats).tail(1).copy()
    frame["chromosome"] = "{9,16,5,5,2,5,1}([9]0,1,2)(garbage"
    frame.to_csv(stats, index=False)
    result = metrics(copy, tmp_path)
    assert_one_line_error(result, "exited with code", "eval_stderr.txt")
    assert result.returncode == 3
    assert no_result_csv(copy)
    assert not (sub / "evaluate_statistics" / "statistics.1.csv").exists()


def test_train_engine_failure_is_one_line(tmp_path):
    engine()
    result = run_cli(
        [
            "grid_size:train",
            MODEL_NAME,
            str(model_path()),
            "--experiment-env",
            str(tmp_path / "env"),
            "-n",
            "1",
            "--layer-names",
            "conv1",
            "--number-of-runs",
            "1",
            # In range for the key alone (argparse passes it), beyond the grid: the engine refuses.
            "--look-back-parameter",
            "1000",
        ],
        cwd=tmp_path,
    )
    assert_one_line_error(result, "exited with code", "train_stderr.txt")
    configs = list((tmp_path / "env").rglob("cgp_configs/*.config"))
    assert configs == []


def test_engine_range_refused_before_writing(tmp_path):
    """A value outside the engine's declared range is refused by the option parser."""
    result = run_cli(
        [
            "grid_size:train",
            MODEL_NAME,
            str(model_path()),
            "--experiment-env",
            str(tmp_path / "env"),
            "--look-back-parameter",
            "0",
        ],
        cwd=tmp_path,
    )
    assert_one_line_error(result, "--look-back-parameter", "must be >= 1")
    assert not (tmp_path / "env").exists()


def test_missing_engine_binary(tmp_path):
    result = run_cli(
        [
            "layer_bypass:train",
            MODEL_NAME,
            "qat.quantized_lenet.pth",
            "--cgp",
            str(tmp_path / "nope"),
        ],
        cwd=tmp_path,
    )
    assert_one_line_error(result, "make build")


def test_folder_only_actions_take_the_model_positionals_optionally():
    """status/merge/resubmit (needs_model=False) parse without a model; train still needs one."""
    for action in ("status", "merge", "resubmit"):
        args = parse([f"layer_bypass:{action}", "--folder", "somewhere"])
        assert (args.model_name, args.model_path) == (None, None)
        args = parse([f"layer_bypass:{action}", MODEL_NAME, "m.pth", "--folder", "somewhere"])
        assert (args.model_name, args.model_path) == (MODEL_NAME, "m.pth")
    with pytest.raises(SystemExit):
        parse(["layer_bypass:train"])
