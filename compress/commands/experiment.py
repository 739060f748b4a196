"""``compress.py <experiment>:<action> <model_name> <model_path> [options]``.

One sub-parser per (experiment, action) pair, built from the experiment registry and the action
table :data:`ACTIONS` (merged with :data:`compress.cluster.actions.CLUSTER_ACTIONS`). Every parser
gets the original's options (workflow spec §1.3): general options, the "Cartesian Genetic
Programming" group with every engine flag plus the new engine options, and the experiment's own
group; an action adds its own options last (and may redefine a common one).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from compress.argtypes import name_part, positive_int
from compress.cluster.actions import CLUSTER_ACTIONS
from compress.commands.action import (
    DISCOVERY,
    ENGINE_BINARY,
    PLANNING,
    READING_SCOPE,
    REPORT_SCOPE,
    SELECTION,
    TRAINING_SCOPE,
    Action,
    OptionScope,
)
from compress.engine.options import add_engine_arguments
from compress.experiments.layout import ENVIRONMENT_PATHS
from compress.experiments.options import threshold_value
from compress.experiments.rerun import add_force_argument
from compress.metrics_inputs import add_metrics_input_arguments
from compress.settings import Settings


def _no_arguments(parser: argparse.ArgumentParser, experiment_cls: type) -> None:
    """Actions without options of their own."""


def add_common_arguments(
    parser: argparse.ArgumentParser,
    experiment_cls: type,
    *,
    needs_model: bool = True,
    scope: OptionScope = TRAINING_SCOPE,
) -> None:
    """The shared options an action's ``scope`` uses (the original's order: general, CGP,
    experiment).

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
    if ENGINE_BINARY in scope:
        general.add_argument(
            "--cgp",
            type=Path,
            default=None,
            metavar="PATH",
            help="CGP engine binary (default: cgp= in .env, else bin/cgp)",
        )
    if DISCOVERY in scope:
        general.add_argument(
            "--experiment",
            nargs="+",
            default=[],
            metavar="GLOB",
            help="only sub-experiment folders matching these globs, e.g. '*_256_31'",
        )
    if DISCOVERY in scope or PLANNING in scope:
        general.add_argument(
            "--experiment-path",
            type=Path,
            default=None,
            metavar="PATH",
            help="a base config (.cgp file, or a folder holding one)"
            if PLANNING in scope
            else "the folder with the sub-experiment folders "
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
    if PLANNING in scope:
        general.add_argument(
            "--gate-table",
            type=Path,
            default=None,
            metavar="CSV",
            help="gate cost table (default: the bundled 45 nm table in data_store/gates)",
        )
        cgp = parser.add_argument_group(
            "Cartesian Genetic Programming",
            "engine settings (bin/cgp describe lists them); each one given overrides the "
            "experiment's base config",
        )
        add_engine_arguments(cgp, skip=ENVIRONMENT_PATHS)
    if SELECTION not in scope:
        return
    group = parser.add_argument_group("Experiment", experiment_cls.description)
    if PLANNING in scope:
        group.add_argument(
            "-b",
            "--batches",
            type=positive_int,
            default=None,
            help="split each sub-experiment's runs into N folders <name>_batch_<i>; "
            "--number-of-runs must be divisible by N",
        )
    group.add_argument(
        "--prefix",
        type=name_part,
        default="",
        help="text before every sub-experiment name (letters, digits and . _ + = , @ -)",
    )
    group.add_argument(
        "--suffix",
        type=name_part,
        default="",
        help="text after every sub-experiment name (letters, digits and . _ + = , @ -)",
    )
    if PLANNING in scope:
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
    add_force_argument(parser)
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
        type=positive_int,
        default=None,
        metavar="R",
        help="1-based runs to evaluate (default: every statistics file found)",
    )
    group.add_argument(
        "--top",
        type=positive_int,
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
        help="dataset: default (bundled MNIST subset), mnist, qmnist, fashion-mnist, emnist, "
        "imagenet (ImageNet-1k validation: local folder or the Hugging Face Hub)",
    )
    group.add_argument(
        "--split", default=None, help="dataset split (e.g. test, test50k, nist, validation)"
    )
    group.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="root of the datasets (default: $datastore/datasets; for imagenet the folder "
        "holding val/<wnid>/*.JPEG, default $datastore/datasets/imagenet)",
    )
    group.add_argument(
        "--offline", action="store_true", help="never download a dataset; fail if not on disk"
    )
    group.add_argument(
        "--limit",
        type=int,
        default=None,
        metavar="N",
        help="evaluate a fixed subset of N images (seed 0, the subset model:evaluate --limit N "
        "uses by default)",
    )
    group.add_argument(
        "--no-prefix-sharing",
        action="store_true",
        help="evaluate every circuit through the whole network instead of running the "
        "unchanged layers before the circuit's layer once per batch (same figures, slower)",
    )
    group.add_argument(
        "--batch-size", type=int, default=1000, help="evaluation batch size (default 1000)"
    )
    group.add_argument("--num-workers", type=int, default=0, help="data loader workers (default 0)")
    group.add_argument(
        "--num-proc",
        type=int,
        default=None,
        help="processes Hugging Face datasets prepares ImageNet with (default one)",
    )
    group.add_argument(
        "-l",
        "--include-loss",
        action="store_true",
        help="also compute the cross-entropy loss (column Loss)",
    )
    add_metrics_input_arguments(group)
    group.add_argument(
        "--wire-energy-pj-per-output",
        type=float,
        default=None,
        metavar="PJ",
        help="add an interconnect term of PJ per produced weight to the circuit configuration "
        "(default off: wiring is free; data_store/gates/README.md cites a published figure)",
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


def _report_arguments(parser: argparse.ArgumentParser, experiment_cls: type) -> None:
    from compress.report.command import add_report_arguments

    add_report_arguments(parser)


def _run_report(args: argparse.Namespace, settings: Settings) -> int:
    from compress.report.command import run_experiment_report

    return run_experiment_report(args, settings)


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
        scope=READING_SCOPE,
    ),
    "model-metrics": Action(
        "model-metrics",
        "inject evolved weights into the model and measure accuracy, energy and savings per run",
        _metrics_arguments,
        _run_metrics,
        scope=READING_SCOPE,
    ),
    "report": Action(
        "report",
        "statistics tables, hypothesis tests, Pareto fronts and figures of the experiment's runs "
        "(report.md, report.html)",
        _report_arguments,
        _run_report,
        needs_model=False,
        scope=REPORT_SCOPE,
    ),
}


def all_actions() -> dict[str, Action]:
    """:data:`ACTIONS` plus the cluster actions."""
    return {**ACTIONS, **CLUSTER_ACTIONS}


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``<experiment>:<action>`` for every registered experiment and action."""
    from compress.experiments.registry import load_experiments

    actions = all_actions()
    experiments = load_experiments()
    first = next(iter(experiments))
    others = ", ".join(name for name in experiments if name != first)
    for experiment_name, experiment_cls in experiments.items():
        for action in actions.values():
            command = f"{experiment_name}:{action.name}"
            # The root help lists the first experiment's commands only (every action exists for
            # every experiment; the train line names the others), so it stays readable.
            listed: dict[str, str] = {}
            if experiment_name == first:
                note = (
                    f" (every action also exists for: {others})" if action.name == "train" else ""
                )
                listed["help"] = action.help + note
            parser = subparsers.add_parser(
                command,
                **listed,
                description=f"{experiment_name}: {experiment_cls.description}. {action.name}: {action.help}.",
                conflict_handler="resolve",
            )
            add_common_arguments(
                parser,
                experiment_cls,
                needs_model=getattr(action, "needs_model", True),
                scope=getattr(action, "scope", TRAINING_SCOPE),
            )
            action.add_arguments(parser, experiment_cls)
            parser.set_defaults(
                handler=action.run, experiment_name=experiment_name, action=action.name
            )
