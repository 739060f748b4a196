"""Experiments by name: ``compress.py <experiment>:<action>`` looks the name up here."""

from __future__ import annotations

import argparse
import difflib
import importlib
from typing import TYPE_CHECKING

from compress.errors import CompressError
from compress.settings import Settings

if TYPE_CHECKING:
    from compress.experiments.experiment import Experiment

EXPERIMENT_MODULES = (
    "layer_bypass",
    "le_selector",
    "all_layers",
    "grid_size",
    "reversed_single_filter",
    "single_channel",
    "single_filter_zero_outter",
    "worst_case",
    "mobilenet",
)

EXPERIMENTS: dict[str, type[Experiment]] = {}


def register(cls: type[Experiment]) -> type[Experiment]:
    """Class decorator: make an experiment available under its ``name``."""
    if cls.name in EXPERIMENTS and EXPERIMENTS[cls.name] is not cls:
        raise ValueError(f"experiment {cls.name!r} is registered twice")
    EXPERIMENTS[cls.name] = cls
    return cls


def load_experiments() -> dict[str, type[Experiment]]:
    """Import every experiment module (they register themselves) and return the registry."""
    for module in EXPERIMENT_MODULES:
        importlib.import_module(f"compress.experiments.{module}")
    return EXPERIMENTS


def get_experiment(name: str) -> type[Experiment]:
    """The class registered as ``name``; a one-line error with suggestions otherwise."""
    experiments = load_experiments()
    if name not in experiments:
        close = difflib.get_close_matches(name, experiments, n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise CompressError(f"unknown experiment {name!r}{hint}; valid: {', '.join(experiments)}")
    return experiments[name]


def build_experiment(
    experiment_name: str, args: argparse.Namespace, settings: Settings, *, prepare: bool
) -> Experiment:
    """The experiment registered as ``experiment_name``, configured from parsed CLI ``args``.

    ``prepare=True`` plans sub-experiments from the options (train, train-pbs, train-slurm);
    ``prepare=False`` discovers them on disk (evaluate, model-metrics).
    """
    return get_experiment(experiment_name)(args, settings, prepare=prepare)
