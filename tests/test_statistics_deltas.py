"""Bounded statistics: delta chromosome rows (``statistics_chromosomes: delta``, the toolkit's
default) are read back as the circuits the engine logged, by every reader.

One short training through the real CLI with ``-e`` (a chromosome on every improvement), then
the same run again with the engine writing full chromosomes: the statistics agree row by row
once the deltas are resolved, the engine's ``evaluate:all`` on the delta file produces the same
weights as on the full file, a lean merge keeps stand-alone rows, and the delta file is smaller.
"""

from __future__ import annotations

import subprocess

import pytest
from experiment_support import MODEL_NAME, model_path, run_cli

from compress.engine.config import CGPConfig
from compress.engine.files import read_statistics, resolve_chromosome_deltas
from compress.errors import CompressError

FLAGS = ["--timestamps", "zero", "--seed", "3"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory, cgp_binary):
    root = tmp_path_factory.mktemp("deltas")
    result = run_cli(
        [
            "layer_bypass:train",
            MODEL_NAME,
            str(model_path()),
            "--cgp",
            str(cgp_binary),
            "--experiment-env",
            str(root / "env"),
            "--mse-thresholds",
            "0",
            "--rows",
            "24",
            "--cols",
            "6",
            "-e",
            "20",  # every row logs its chromosome (the grid is too small for error 0)
            "--number-of-runs",
            "1",
            "--generation-count",
            "3000",
            "--population-max",
            "4",
            *FLAGS,
        ],
        cwd=root,
    )
    assert result.returncode == 0, result.stderr
    (folder,) = (root / "env" / "layer_bypass").iterdir()
    assert CGPConfig.load(folder / "train_cgp.config")["statistics_chromosomes"] == "delta"
    # The same run, full chromosomes, into other files.
    (folder / "full").mkdir()
    subprocess.run(
        [
            str(cgp_binary),
            "train",
            "train_cgp.config",
            "--statistics-chromosomes",
            "full",
            "--cgp-statistics-file",
            "full/statistics.{run}.csv",
            "--output-file",
            "full/cgp.{run}.config",
            "--train-weights-file",
            "full/weights.{run}.txt",
            "--checkpoint-file",
            "full/checkpoint.{run}.ckpt",
            *FLAGS,
        ],
        cwd=folder,
        check=True,
        capture_output=True,
    )
    return folder


def test_delta_rows_read_back_as_the_full_chromosomes(trained):
    delta_path = trained / "train_statistics" / "fitness" / "statistics.1.csv"
    full_path = trained / "full" / "statistics.1.csv"
    delta_text = delta_path.read_text()
    assert ',"~' in delta_text, "no delta rows were written"
    delta, full = read_statistics(delta_path), read_statistics(full_path)
    columns = ["run", "generation", "error", "quantized_energy", "gate_count", "depth"]
    assert delta[columns].equals(full[columns])
    # Inactive genes may differ, so compare the circuits by what the engine computes from them.
    assert (delta["chromosome"].str.len() > 0).equals(full["chromosome"].str.len() > 0)
    assert len(delta_text) < len(full_path.read_text()) / 3


def test_engine_evaluate_all_reads_delta_rows(trained, cgp_binary):
    outputs = {}
    for name, stats in (("delta", "train_statistics/fitness"), ("full", "full")):
        subprocess.run(
            [
                str(cgp_binary),
                "evaluate:all",
                "train_cgp.config",
                "--cgp-statistics-file",
                f"{stats}/statistics.{{run}}.csv",
                "--output-file",
                f"{name}.eval.{{run}}.csv",
                "--train-weights-file",
                f"{name}.weights.{{run}}.txt",
                "--mse-chromosome-logging-threshold",
                "1e18",
            ],
            cwd=trained,
            check=True,
            capture_output=True,
        )
        outputs[name] = (trained / f"{name}.weights.1.txt").read_text()
    assert outputs["delta"] and outputs["delta"] == outputs["full"]


def test_lean_merge_keeps_stand_alone_rows(trained):
    from compress.cluster.merge import _lean_parts

    text = (trained / "train_statistics" / "fitness" / "statistics.1.csv").read_text()
    kept, _ = _lean_parts(text, 3)
    assert ',"~' not in kept
    assert kept.count(',"{') == 3


def test_a_delta_without_its_base_is_refused():
    lines = ['1,5,"0",0,1,1,1,1,1,1,1,"~([3]0,1,2)()"']
    with pytest.raises(CompressError, match="without an earlier full chromosome"):
        resolve_chromosome_deltas(lines, "cut.csv")
