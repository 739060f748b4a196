"""The engine's options on the Python command line, built from the engine's own description.

Every engine config key (:mod:`compress.engine.description`) becomes one ``--flag`` in the
"Cartesian Genetic Programming" group of the commands that write engine configs: its name, type,
range, choices and help come from the engine, so a key the engine gains is settable here without
a Python edit, and a value the engine would refuse is refused by argparse in one line before
anything is written. What Python adds is declared once in :data:`PYTHON_OPTIONS`: a different
default (the toolkit runs seeded, with ``nearest`` output assignment), the original's spelling
as an alias (``--e-fitness``), a friendlier parser (``--time-budget 1:30``) or a note.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from compress.engine.description import EngineKey, engine_description


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


@dataclass(frozen=True)
class PythonOption:
    """How the Python CLI presents one engine key, where it differs from the engine's own."""

    default: Any = None
    """Written into every config when the user gives nothing (``None``: the experiment's base
    config, else the engine default, applies)."""
    aliases: tuple[str, ...] = ()
    parse: Callable[[str], Any] | None = None
    note: str = ""


PYTHON_OPTIONS: Mapping[str, PythonOption] = {
    "seed": PythonOption(default=1, note="the toolkit always runs seeded"),
    "threads": PythonOption(default=0),
    "error_metric": PythonOption(
        default="SE",
        aliases=("--e-fitness",),
        parse=str.upper,
        note="chosen at run time; also converts --mse-thresholds and -e into engine thresholds",
    ),
    "output_assignment": PythonOption(default="nearest"),
    "statistics_chromosomes": PythonOption(
        default="delta",
        note="every reader of this toolkit rebuilds delta rows; full for other tools",
    ),
    "time_budget": PythonOption(parse=parse_time_seconds, note="seconds or [H:]M:S"),
    "row_count": PythonOption(note="prefer --rows, which also names the sub-experiment"),
    "col_count": PythonOption(note="prefer --cols, which also names the sub-experiment"),
    "input_count": PythonOption(note="normally derived from the experiment's selection"),
    "output_count": PythonOption(note="normally derived from the experiment's selection"),
    "dataset_size": PythonOption(note="normally derived from the experiment"),
    "mse_threshold": PythonOption(note="overrides the one derived from --mse-thresholds"),
    "mse_chromosome_logging_threshold": PythonOption(note="see also -e"),
}
"""Python's presentation of engine keys, by key; every key must exist in the engine."""


def _bounded(kind: type, key: EngineKey) -> Callable[[str], Any]:
    """An argparse type: ``kind`` of the text, within the engine's inclusive bounds."""

    def convert(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            # The engine also reads integral decimals ("5e7", "150.0"), as Python writes them.
            try:
                number = float(text)
            except ValueError:
                number = float("nan")
            if kind is not int or not math.isfinite(number) or number != int(number):
                what = "a whole number" if kind is int else "a number"
                raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None
            value = int(number)
        low = key.minimum
        high = key.maximum
        if key.type in ("uint", "error") and low is None:
            low = 0
        bounded = low is not None or high is not None
        outside = (low is not None and not value >= low) or (high is not None and not value <= high)
        if outside or (bounded and not math.isfinite(value)):
            if high is None:
                bounds = f">= {low:g}"
            elif low is None:
                bounds = f"<= {high:g}"
            else:
                bounds = f"within [{low:g}, {high:g}]"
            raise argparse.ArgumentTypeError(f"{text} must be {bounds}")
        return value

    return convert


def _error_value(text: str) -> int | float:
    """The engine's ``error`` type: a non-negative count in the metric's unit (``inf`` allowed)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"{text} must be >= 0")
    return int(value) if math.isfinite(value) and value == int(value) else value


def argument_type(key: EngineKey) -> Callable[[str], Any] | None:
    """The argparse ``type`` that validates a key as the engine would."""
    option = PYTHON_OPTIONS.get(key.name)
    if option is not None and option.parse is not None:
        return option.parse
    if key.type in ("int", "uint"):
        return _bounded(int, key)
    if key.type == "float":
        return _bounded(float, key)
    if key.type == "error":
        return _error_value
    return None


def python_default(key: str) -> Any:
    """The value the toolkit writes for ``key`` when the user gives nothing (``None``: none)."""
    option = PYTHON_OPTIONS.get(key)
    return option.default if option is not None else None


def option_keys(*, skip: Iterable[str] = ()) -> list[EngineKey]:
    """The engine keys offered on the command line, in the engine's order."""
    skipped = set(skip)
    return [key for key in engine_description().keys if key.name not in skipped]


def _help(key: EngineKey) -> str:
    option = PYTHON_OPTIONS.get(key.name, PythonOption())
    parts = [key.help]
    if option.note:
        parts.append(option.note)
    if option.default is not None:
        parts.append(f"default {option.default}")
    elif key.default not in (None, ""):
        parts.append(f"engine default {key.default}")
    if key.command_line_only:
        parts.append("passed as a flag, never written into the config")
    return "; ".join(parts).replace("%", "%%")


def _metavar(key: EngineKey) -> str | None:
    if key.choices:
        return None
    return {"int": "N", "uint": "N", "error": "E", "float": "X", "path": "PATH"}.get(
        key.type, "TEXT"
    )


def add_engine_arguments(
    group: argparse._ArgumentGroup, *, skip: Iterable[str] = ()
) -> list[EngineKey]:
    """One option per engine key (dest = the key) in ``group``; returns the keys added.

    ``skip`` names keys the caller sets itself (the experiment layout's file names), which would
    otherwise be silently overwritten.
    """
    keys = option_keys(skip=skip)
    for key in keys:
        option = PYTHON_OPTIONS.get(key.name, PythonOption())
        flags = [f"--{key.name.replace('_', '-')}", *option.aliases]
        group.add_argument(
            *flags,
            dest=key.name,
            type=argument_type(key),
            choices=[option.parse(c) if option.parse else c for c in key.choices] or None,
            default=option.default,
            metavar=_metavar(key),
            help=_help(key),
        )
    return keys


def engine_values(args: argparse.Namespace, keys: Iterable[EngineKey]) -> dict[str, Any]:
    """The engine keys the command line set (``None`` = not given), by key."""
    return {key.name: getattr(args, key.name, None) for key in keys}
