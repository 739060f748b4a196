"""Prepared job folders for the cluster tests.

``handmade_folder`` writes what ``SubExperiment.write_environment`` writes (config with relative
paths, ``train.data``, ``gate_parameters.txt/.csv``) without needing a model, from seeded random
int8 values, so script and scheduler behaviour is tested independently of the experiments code.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from compress.energy import load_gate_table, write_gate_parameters
from compress.engine.config import CGPConfig
from compress.engine.files import TrainItem, write_train_data
from compress.settings import load_settings

RELATIVE_PATHS = {
    "input_file": "train.data",
    "cgp_statistics_file": "train_statistics/fitness/statistics.{run}.csv",
    "output_file": "cgp_configs/cgp.{run}.config",
    "gate_parameters_file": "gate_parameters.txt",
    "train_weights_file": "weights/weights.{run}.txt",
    "checkpoint_file": "checkpoints/checkpoint.{run}.ckpt",
}


def handmade_folder(
    folder: Path,
    *,
    runs: int,
    inputs: int = 8,
    outputs: int = 12,
    rows: int = 5,
    cols: int = 5,
    patience: int = 200,
    seed: int = 7,
    extra: dict | None = None,
    checkpoint: bool = True,
) -> Path:
    """A sub-experiment folder owning runs ``1..runs`` (config ``number_of_runs``)."""
    folder.mkdir(parents=True, exist_ok=True)
    for sub in ("train_statistics/fitness", "cgp_configs", "weights", "checkpoints"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    item = TrainItem(
        rng.integers(-128, 128, inputs).tolist(), rng.integers(-128, 128, outputs).tolist()
    )
    write_train_data(folder / "train.data", [item], inputs, outputs)
    write_gate_parameters(
        load_gate_table(None, load_settings()),
        folder / "gate_parameters.txt",
        folder / "gate_parameters.csv",
        rows=rows,
        cols=cols,
    )
    config = CGPConfig(
        {
            "function_input_arity": 2,
            "function_output_arity": 1,
            "input_count": inputs,
            "output_count": outputs,
            "dataset_size": 1,
            "population_max": 4,
            "mutation_max": 0.15,
            "function_count": 27,
            "row_count": rows,
            "col_count": cols,
            "look_back_parameter": cols,
            "number_of_runs": runs,
            "patience": patience,
            "mse_threshold": 0,
            "periodic_log_frequency": 100000,
            "seed": seed,
            "timestamps": "zero",
            **RELATIVE_PATHS,
            **(extra or {}),
        }
    )
    if not checkpoint:
        config.pop("checkpoint_file")
    config.save(folder / "train_cgp.config")
    return folder


def batch_folders(
    top: Path, name: str, *, batches: int, runs_per_batch: int, **kwargs
) -> list[Path]:
    """``<name>_batch_<i>`` folders as ``-b`` writes them: batch i ends at ``(i + 1) * step``."""
    return [
        handmade_folder(top / f"{name}_batch_{i}", runs=(i + 1) * runs_per_batch, **kwargs)
        for i in range(batches)
    ]


def finish_run(folder: Path, run: int) -> None:
    """What a finished run leaves: its result config with a best solution, and its weights."""
    (folder / "cgp_configs" / f"cgp.{run}.config").write_text(
        "best_solution: error:0 chromosome:{1,1,1,1,1}([2]0,1,3)(2)\n"
    )
    (folder / "weights" / f"weights.{run}.txt").write_text("0\n")
