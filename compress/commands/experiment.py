"""``compress.py <experiment>:<action> <model_name> <model_path> [options]``.

One sub-parser per (experiment, action) pair, built from the experiment registry and the action
table :data:`ACTIONS` (merged with :data:`compress.cluster.actions.CLUSTER_ACTIONS`). Every parser
gets the original's options (workflow spec §1.3): general options, the "Cartesian Genetic
Programming" group with every engine flag plus the new engine options, and the experiment's own
group; an action adds its own options last (and may redefine a common one).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from compress.errors import CompressError
from compress.experiments.base import CGP_OPTION_KEYS, parse_time_seconds, threshold_value
from compress.experiments.thresholds import ERROR_METRICS
from compress.settings import Settings


@dataclass(frozen=True)
class Action:
    """One ``<experiment>:<action>``: its help line, its own options and what it runs."""

    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser, type], None]
    run: Callable[[argparse.Namespace, Settings], int | None]
    needs_model: bool = True
    """False for actions that only read experiment folders (status, merge, resubmit): the
    ``model_name model_path`` positionals are then optional and default to ``None``."""


def _no_arguments(parser: argparse.ArgumentParser, experiment_cls: type) -> None:
    """Actions without options of their own."""


def add_common_arguments(
    parser: argparse.ArgumentParser, experiment_cls: type, *, needs_model: bool = True
) -> None:
    """Options every experiment action shares (the original's order: general, CGP, experiment).

    With ``needs_model=False`` the model positionals are still accepted (the original's command
    lines pass them to every action) but may be left out.
    """
    optional = {} if needs_model else {"nargs": "?", "default": None}
    unused = "" if needs_model else " (optional: this action reads folders only)"
    parser.add_argument(
        "model_name", help=f"registered model, e.g. qat_quantized_lenet{unused}", **optional
    )
    parser.add_argument(
        "model_path",
        help="model checkpoint; a bare file name is also looked up in the datastore's models/ "
        f"(qat.quantized_lenet.pth -> data_store/models/qat.quantized_lenet.pth){unused}",
        **optional,
    )
    general = parser.add_argument_group("General")
    general.add_argument(
        "--cgp",
        type=Path,
        default=None,
        metavar="PATH",
        help="CGP engine binary (default: cgp= in .env, else bin/cgp)",
    )
    general.add_argument(
        "--experiment",
        nargs="+",
        default=[],
        metavar="GLOB",
        help="only sub-experiment folders matching these globs, e.g. '*_256_31' "
        "(evaluate, model-metrics)",
    )
    general.add_argument(
        "--experiment-path",
        type=Path,
        default=None,
        metavar="PATH",
        help="train: a base config (.cgp file, or a folder holding one); "
        "evaluate/model-metrics: the folder with the sub-experiment folders "
        "(default: <experiment-env>/<experiment>, else <datastore>/<experiment>)",
    )
    general.add_argument(
        "--experiment-env",
        type=Path,
        default=None,
        metavar="DIR",
        help="root of the isolated experiment folders "
        "(default: experiments_root from .env, else ./experiment_results)",
    )
    general.add_argument(
        "--gate-table",
        type=Path,
        default=None,
        metavar="CSV",
        help="gate cost table (default: the bundled 45 nm table in data_store/gates)",
    )

    cgp = parser.add_argument_group(
        "Cartesian Genetic Programming",
        "engine settings; each one given overrides the experiment's base config",
    )
    for key, kind, text in CGP_OPTION_KEYS:
        metavar = {int: "N", float: "X"}.get(kind, "PATH" if key.endswith("_file") else "TEXT")
        cgp.add_argument(
            "--" + key.replace("_", "-"),
            dest=key,
            type=kind,
            default=None,
            metavar=metavar,
            help=text,
        )
    cgp.add_argument(
        "--seed",
        type=int,
        default=1,
        help="random seed; run r's stream derives from (seed, r) (default 1)",
    )
    cgp.add_argument(
        "--threads",
        type=int,
        default=0,
        help="engine threads, 0 = all cores; results do not depend on it (default 0)",
    )
    cgp.add_argument(
        "--e-fitness",
        "--error-metric",
        dest="e_fitness",
        type=str.upper,
        choices=ERROR_METRICS,
        default="SE",
        help="error metric: SE sum of squared errors, MSE per-item mean squared error, "
        "AE sum of absolute errors (default SE); chosen at run time, no rebuild",
    )
    cgp.add_argument(
        "--output-assignment",
        choices=("nearest", "evolve"),
        default="nearest",
        help="nearest: each output takes the reachable value nearest its weight; "
        "evolve: output genes mutate as in the original (default nearest)",
    )
    cgp.add_argument(
        "--checkpoint-every",
        type=int,
        default=None,
        metavar="SECONDS",
        help="engine checkpoint interval in seconds (also on SIGTERM/SIGINT)",
    )
    cgp.add_argument(
        "--time-budget",
        type=parse_time_seconds,
        default=None,
        metavar="SECONDS",
        help="wall-clock budget per run, seconds or [H:]M:S; the run then finishes "
        "normally (breaks run-to-run determinism)",
    )
    cgp.add_argument(
        "--timestamps",
        choices=("wall", "zero"),
        default=None,
        help="zero writes 0 as statistics timestamps, for byte-identical comparisons",
    )

    group = parser.add_argument_group("Experiment", experiment_cls.description)
    group.add_argument(
        "-b",
        "--batches",
        type=int,
        default=None,
        help="split each sub-experiment's runs into N folders <name>_batch_<i>; "
        "--number-of-runs must be divisible by N",
    )
    group.add_argument("--prefix", default="", help="text before every sub-experiment name")
    group.add_argument("--suffix", default="", help="text after every sub-experiment name")
    group.add_argument(
        "-e",
        "--allowed-mse-error",
        type=threshold_value,
        default=None,
        metavar="E",
        help="log chromosomes into the statistics CSV for every solution whose "
        "per-weight error is <= E (sets mse_chromosome_logging_threshold by the "
        "error metric; needed for model-metrics beyond the final solutions)",
    )
    group.add_argument(
        "--depth",
        action="store_true",
        help="accepted for compatibility (the engine always reports depth)",
    )
    group.add_argument(
        "--multiplex",
        action="store_true",
        help="allow MUX/DEMUX gates when an experiment has several dataset items "
        "(function count 29); with one item it has no effect, since nearest output "
        "assignment replaces the original's value-table multiplexing",
    )
    experiment_cls.add_arguments(parser, group)


# -- actions ---------------------------------------------------------------------------------------
def _train_arguments(parser: argparse.ArgumentParser, experiment_cls: type) -> None:
    parser.add_argument(
        "--time-limit",
        dest="time_budget",
        type=parse_time_seconds,
        default=None,
        metavar="SECONDS",
        help="same as --time-budget",
    )
    parser.add_argument(
        "--initial-solution",
        choices=("best", "random", "constructive"),
        default="best",
        help="how every run starts: best = the optimiser's exact circuit (proven optimal unless "
        "--start-time-limit is hit; the constructive one when it does not fit the grid; random, "
        "with the reason in the log, for several dataset items or a grid too small), random "
        "(the original's behaviour) or constructive (the greedy exact circuit); --starting-"
        "solution overrides best (default best)",
    )
    parser.add_argument(
        "--start-time-limit",
        type=float,
        default=None,
        metavar="SECONDS",
        help="solver time for the best start of each distinct sub-experiment before the best "
        "circuit found so far is used (default 30)",
    )


def _run_train(args: argparse.Namespace, settings: Settings) -> int:
    from compress.experiments.running import train

    return train(args, settings)


def _run_evaluate(args: argparse.Namespace, settings: Settings) -> int:
    from compress.experiments.running import evaluate

    return evaluate(args, settings)


def _metrics_arguments(parser: argparse.ArgumentParser, experiment_cls: type) -> None:
    group = parser.add_argument_group("model-metrics")
    group.add_argument(
        "--runs",
        nargs="+",
        type=int,
        default=None,
        metavar="R",
        help="1-based runs to evaluate (default: every statistics file found)",
    )
    group.add_argument(
        "--top",
        type=int,
        default=None,
        metavar="N",
        help="only the last N chromosome rows of each statistics file "
        "(default: every row with a chromosome)",
    )
    group.add_argument(
        "-s",
        "--statistics-file-format",
        default="statistics.{run}.csv",
        metavar="FMT",
        help="statistics file name in train_statistics/fitness, {run} = run number; "
        ".zip files are read directly (default statistics.{run}.csv)",
    )
    group.add_argument(
        "--dataset",
        default=None,
        help="dataset: default (bundled MNIST subset), mnist, qmnist, fashion-mnist, emnist",
    )
    group.add_argument("--split", default=None, help="dataset split (e.g. test, test50k, nist)")
    group.add_argument(
        "--batch-size", type=int, default=1000, help="evaluation batch size (default 1000)"
    )
    group.add_argument("--num-workers", type=int, default=0, help="data loader workers (default 0)")
    group.add_argument("--num-proc", type=int, default=None, help="accepted for compatibility")
    group.add_argument(
        "-l",
        "--include-loss",
        action="store_true",
        help="also compute the cross-entropy loss (column Loss)",
    )
    group.add_argument(
        "-w",
        "--only-weights",
        action="store_true",
        help="stop after the engine has written the weights (no accuracy, no CSV)",
    )


def _run_metrics(args: argparse.Namespace, settings: Settings) -> int:
    from compress.metrics import model_metrics

    return model_metrics(args, settings)


ACTIONS: dict[str, Action] = {
    "train": Action(
        "train",
        "write the isolated environments and run the engine locally (skips finished runs, "
        "resumes interrupted ones)",
        _train_arguments,
        _run_train,
    ),
    "evaluate": Action(
        "evaluate",
        "re-evaluate every finished run's final circuit with the engine and report its metrics",
        _no_arguments,
        _run_evaluate,
    ),
    "model-metrics": Action(
        "model-metrics",
        "inject evolved weights into the model and measure accuracy, energy and savings per run",
        _metrics_arguments,
        _run_metrics,
    ),
}


def _pbs_placeholder_arguments(parser: argparse.ArgumentParser, experiment_cls: type) -> None:
    group = parser.add_argument_group("PBS Metacentrum")
    for flag in (
        "--time-limit",
        "--template-pbs-file",
        "--experiments-folder",
        "--results-folder",
        "--cpu",
        "--mem",
        "--scratch-capacity",
        "--cgp-folder",
    ):
        group.add_argument(
            flag, dest=flag[2:].replace("-", "_") + "_pbs", default=None, help="see train-pbs"
        )


def _not_yet(action: str) -> Callable[[argparse.Namespace, Settings], int]:
    def run(args: argparse.Namespace, settings: Settings) -> int:
        raise CompressError(
            f"{action} is not yet available in this version; use train to run locally"
        )

    return run


def all_actions() -> dict[str, Any]:
    """:data:`ACTIONS` plus the cluster actions (``train-pbs`` is a "not yet" stub without them)."""
    try:
        from compress.cluster.actions import CLUSTER_ACTIONS
    except ImportError:
        CLUSTER_ACTIONS = {}
    actions: dict[str, Any] = dict(ACTIONS)
    actions.update(CLUSTER_ACTIONS)
    if "train-pbs" not in actions:
        actions["train-pbs"] = Action(
            "train-pbs",
            "prepare PBS (MetaCentrum) jobs (not yet available)",
            _pbs_placeholder_arguments,
            _not_yet("train-pbs"),
        )
    return actions


def _listed_help(experiment_name: str, action: Any, experiments: dict) -> str:
    """Only the first experiment's commands are listed in the root help (with the others named),
    so ``compress.py --help`` stays readable; every command still has its own ``--help``."""
    first = next(iter(experiments))
    if experiment_name != first:
        return argparse.SUPPRESS
    others = ", ".join(name for name in experiments if name != first)
    if action.name == "train":
        return f"{action.help} (every action also exists for: {others})"
    return action.help


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``<experiment>:<action>`` for every registered experiment and action."""
    from compress.experiments.registry import load_experiments

    actions = all_actions()
    experiments = load_experiments()
    for experiment_name, experiment_cls in experiments.items():
        for action in actions.values():
            command = f"{experiment_name}:{action.name}"
            parser = subparsers.add_parser(
                command,
                help=_listed_help(experiment_name, action, experiments),
                description=f"{experiment_name}: {experiment_cls.description}. {action.name}: {action.help}.",
                conflict_handler="resolve",
            )
            add_common_arguments(
                parser, experiment_cls, needs_model=getattr(action, "needs_model", True)
            )
            action.add_arguments(parser, experiment_cls)
            parser.set_defaults(
                handler=action.run, experiment_name=experiment_name, action=action.name
            )
