"""The engine option table and the argparse helpers every experiment's options are built from.

The engine's own options are declared once, by the engine (:mod:`compress.engine.options`, built
from ``bin/cgp describe --json``); the ``type=`` converters and the ``add_*_argument`` helpers here
give every experiment the same spelling and help for grids, layer lists and thresholds.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence
from typing import Any


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
