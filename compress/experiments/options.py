"""The engine option table and the argparse helpers every experiment's options are built from.

:data:`CGP_OPTION_KEYS` is the original's "Cartesian Genetic Programming" option group (one
``--key`` flag per engine config key); the ``type=`` converters and the ``add_*_argument``
helpers give every experiment the same spelling and help for grids, layer lists and thresholds.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence
from typing import Any

CGP_OPTION_KEYS: tuple[tuple[str, type, str], ...] = (
    (
        "periodic_log_frequency",
        int,
        "print an engine heartbeat every N generations without improvement",
    ),
    ("function_input_arity", int, "input connections per node (2)"),
    ("function_output_arity", int, "output pins per node (1; 2 for MUX/DEMUX experiments)"),
    ("output_count", int, "circuit outputs (normally derived from the experiment's selection)"),
    ("input_count", int, "circuit inputs (normally derived from the experiment's selection)"),
    ("population_max", int, "population size: 1 parent + N-1 offspring"),
    ("mutation_max", float, "fraction of genes mutated at most per offspring"),
    ("row_count", int, "grid rows (prefer --rows, which also names the sub-experiment)"),
    ("col_count", int, "grid columns (prefer --cols, which also names the sub-experiment)"),
    ("look_back_parameter", int, "levels-back L (default: the number of columns)"),
    ("generation_count", int, "hard cap on generations per run"),
    ("number_of_runs", int, "independent runs per sub-experiment"),
    (
        "function_count",
        int,
        "function ids 0..N-1 available (27 = no multiplexers, 29 = with MUX/DEMUX)",
    ),
    ("input_file", str, "engine training data file (normally the environment's train.data)"),
    ("output_file", str, "engine result config pattern (normally cgp_configs/cgp.{run}.config)"),
    ("cgp_statistics_file", str, "engine statistics CSV pattern"),
    ("gate_parameters_file", str, "engine gate cost file (normally gate_parameters.txt)"),
    ("train_weights_file", str, "engine weights file pattern"),
    (
        "mse_threshold",
        int,
        "raw engine error threshold after which energy is minimised "
        "(overrides the one derived from --mse-thresholds)",
    ),
    ("dataset_size", int, "dataset items (normally derived from the experiment)"),
    ("start_generation", int, "generation to start from (command line only)"),
    ("start_run", int, "0-based run to start from (command line only)"),
    ("starting_solution", str, "chromosome to seed the population with"),
    ("patience", int, "generations without improvement before a phase ends"),
    ("mse_early_stop", float, "stop when error <= value (together with the other early stops)"),
    ("energy_early_stop", float, "... and energy <= value"),
    ("delay_early_stop", float, "... and delay <= value"),
    ("depth_early_stop", int, "... and depth <= value"),
    ("gate_count_early_stop", int, "... and gate count <= value"),
    (
        "mse_chromosome_logging_threshold",
        int,
        "raw engine error at or below which chromosomes are "
        "written into the statistics CSV (see also -e)",
    ),
    ("learning_rate", float, "legacy, unused by the engine"),
    ("learning_rate_file", str, "legacy, unused by the engine"),
)
"""The original's "Cartesian Genetic Programming" option group: config key, type, help."""


def parse_time_seconds(text: str) -> int:
    """``90`` -> 90, ``1:30`` -> 90, ``1:00:00`` -> 3600 (a wall-clock budget in seconds)."""
    parts = text.strip().split(":")
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not seconds or [H:]M:S") from None
    if len(numbers) > 3 or any(n < 0 for n in numbers):
        raise argparse.ArgumentTypeError(f"{text!r} is not seconds or [H:]M:S")
    seconds = 0.0
    for number in numbers:
        seconds = seconds * 60 + number
    return int(seconds)


def threshold_value(text: str) -> float:
    """A per-weight error: a non-negative number."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if value < 0 or value != value or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} must be a finite number >= 0")
    return value


def int_threshold_value(text: str) -> int:
    value = threshold_value(text)
    if value != int(value):
        raise argparse.ArgumentTypeError(f"{text!r} must be a whole number")
    return int(value)


def grid_size(text: str) -> tuple[int, int]:
    """``5x5`` (or ``5,5``) -> (5, 5): rows x columns."""
    match = re.fullmatch(r"\s*(\d+)\s*[xX,]\s*(\d+)\s*", text)
    if not match or int(match.group(1)) < 1 or int(match.group(2)) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a grid size like 5x5 (rows x columns)")
    return int(match.group(1)), int(match.group(2))


def expand_number_lists(values: Sequence[Any] | None, convert) -> list:
    """Allow ``--mse-thresholds 0,10 25`` as well as space-separated values."""
    result = []
    for value in values or []:
        if isinstance(value, str):
            for part in value.split(","):
                if part.strip():
                    result.append(convert(part))
        else:
            result.append(value)
    return result


def add_grid_arguments(group, rows: int | None = 30, cols: int | None = 7) -> None:
    group.add_argument("--rows", type=int, default=rows, help=f"CGP grid rows (default {rows})")
    group.add_argument(
        "--cols",
        type=int,
        default=cols,
        help=f"CGP grid columns; levels-back = cols (default {cols})",
    )


def add_layers_argument(group, flag: str, default: Sequence[str], help_text: str) -> None:
    """A ``nargs="+"`` list of layer names (``--layer-names conv1 conv2``)."""
    group.add_argument(
        flag,
        nargs="+",
        default=list(default),
        metavar="LAYER",
        help=f"{help_text} (default {' '.join(default)})",
    )


def add_threshold_argument(group, default: Sequence[float], *, integer: bool = False) -> None:
    group.add_argument(
        "--mse-thresholds",
        nargs="+",
        type=str,
        default=[str(v) for v in default],
        metavar="E",
        help=(
            "per-weight errors, one sub-experiment each (space or comma separated; "
            f"default {' '.join(str(v) for v in default)}); converted to the engine threshold "
            "by the error metric: SE e^2*N, MSE e^2*items, AE e*N"
        ),
    )
    group.set_defaults(threshold_integer=integer)
