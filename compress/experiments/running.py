"""The local ``train`` and ``evaluate`` actions: write environments, run the engine, read results.

``train`` writes each sub-experiment's isolated folder (workflow spec §4.1) and runs the engine in
it, one sub-experiment after another. Runs whose result config holds a final chromosome are
skipped; an interrupted run is resumed by running the engine again from the first unfinished run,
and the engine continues from its own checkpoint file (``checkpoints/checkpoint.{run}.ckpt``).

``evaluate`` re-evaluates every finished run's final circuit with ``evaluate:chromosomes`` and
reports its metrics and whether it reproduces the weights training wrote.
"""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from compress.atomic import require_writable_folder, write_text_atomic
from compress.engine.adapter import RunProgress, check_binary, run_engine
from compress.engine.config import CGPConfig
from compress.engine.files import read_statistics, read_weights
from compress.errors import CompressError
from compress.experiments.experiment import Experiment
from compress.experiments.layout import (
    CHECKPOINTED,
    CONFIG_FILE,
    ENVIRONMENT_PATHS,
    FINISHED,
    GATE_PARAMETERS_TXT,
    TRAIN_DATA,
    SubExperimentPaths,
)
from compress.experiments.registry import build_experiment
from compress.experiments.rerun import prepare_folders
from compress.experiments.sub_experiment import SubExperiment
from compress.settings import Settings


def engine_binary(args: argparse.Namespace, settings: Settings) -> Path:
    return check_binary(getattr(args, "cgp", None) or settings.cgp)


def environment_root(args: argparse.Namespace, settings: Settings, experiment_name: str) -> Path:
    root = getattr(args, "experiment_env", None) or settings.experiments_root
    return Path(root) / experiment_name


def discovered_experiment(args: argparse.Namespace, settings: Settings) -> Experiment:
    """The experiment whose finished folders evaluate/model-metrics read: found under
    ``--experiment-path``, else ``--experiment-env``, else the configured experiments root."""
    experiment = build_experiment(args.experiment_name, args, settings, prepare=False)
    if (
        getattr(args, "experiment_path", None) is None
        and getattr(args, "experiment_env", None) is None
    ):
        args.experiment_env = settings.experiments_root
    return experiment


def engine_run_arguments(args: argparse.Namespace) -> list[str]:
    """Flags passed on every local engine run (the config holds them too; the CLI wins)."""
    flags = [
        "--seed",
        str(args.seed if args.seed is not None else 1),
        "--output-assignment",
        args.output_assignment or "nearest",
        "--threads",
        str(args.threads if args.threads is not None else 0),
    ]
    if getattr(args, "time_budget", None) is not None:
        flags += ["--time-budget", str(args.time_budget)]
    if getattr(args, "checkpoint_every", None) is not None:
        flags += ["--checkpoint-every", str(args.checkpoint_every)]
    return flags


def train(args: argparse.Namespace, settings: Settings) -> int:
    """``<experiment>:train``: prepare every sub-experiment and run the engine on it."""
    binary = engine_binary(args, settings)
    require_writable_folder(environment_root(args, settings, ""), "--experiment-env")
    experiment = build_experiment(args.experiment_name, args, settings, prepare=True)
    root = environment_root(args, settings, experiment.name)
    subs = experiment.sub_experiments()
    initial = getattr(args, "initial_solution", "best")
    if initial == "constructive":
        if getattr(args, "starting_solution", None):
            raise CompressError(
                "--initial-solution constructive and --starting-solution both set the start; "
                "give only one"
            )
        for sub in subs:
            seed_constructive(sub)
    elif initial == "best" and not getattr(args, "starting_solution", None):
        seed_best(subs, getattr(args, "start_time_limit", None))
    plans = prepare_folders(
        subs, root, force=getattr(args, "force", False), command=f"{experiment.name}:train"
    )
    for plan in plans:
        train_sub_experiment(plan.sub, plan.folder, binary, args)
    print(f"train: {len(subs)} sub-experiment(s) in {root}", file=sys.stderr)
    return 0


def seed_best(subs: list[SubExperiment], time_limit_s: float | None) -> None:
    """Start every run of each sub-experiment from the best exact circuit that fits its grid
    (:mod:`compress.experiments.optimal_start`), saying which and why in the log."""
    from compress.energy import load_gate_table
    from compress.experiments.optimal_start import (
        DEFAULT_TIME_LIMIT_S,
        best_start,
        problem_from_config,
    )

    for sub in subs:
        experiment = sub.experiment
        problem = problem_from_config(
            sub.config, sub.train_items(), experiment.default_function_count
        )
        table = load_gate_table(experiment.gate_table_path, experiment.settings)
        start = best_start(problem, table, time_limit_s or DEFAULT_TIME_LIMIT_S)
        if start.chromosome is not None:
            sub.config["starting_solution"] = start.chromosome
        if start.message:
            print(f"{sub.name}: {start.message}", file=sys.stderr)


def seed_constructive(sub: SubExperiment) -> None:
    """Set the sub-experiment's ``starting_solution`` to the constructive circuit of its one
    dataset item, so every run starts exact and only searches for cheaper circuits."""
    from compress.energy import constructive_chromosome, load_gate_table

    if sub.dataset_size != 1:
        raise CompressError(
            f"{sub.name}: --initial-solution constructive needs a single dataset item "
            f"(dataset_size 1), this one has {sub.dataset_size}; use --initial-solution random"
        )
    config = sub.config
    input_count = config.get_int("input_count")
    output_count = config.get_int("output_count")
    cols = config.get_int("col_count")
    item = sub.train_items()[0]
    inputs: list[int | None] = [int(v) for v in item.inputs][:input_count]
    expected: list[int | None] = [int(v) for v in item.outputs]
    inputs += [None] * (input_count - len(inputs))
    expected += [None] * (output_count - len(expected))
    experiment = sub.experiment
    table = load_gate_table(experiment.gate_table_path, experiment.settings)
    config["starting_solution"] = constructive_chromosome(
        inputs,
        expected,
        table,
        rows=config.get_int("row_count"),
        cols=cols,
        look_back=config.get_int("look_back_parameter", cols),
        function_count=config.get_int("function_count", experiment.default_function_count),
        function_input_arity=config.get_int("function_input_arity", 2),
        function_output_arity=config.get_int("function_output_arity", 1),
    )


def train_sub_experiment(
    sub: SubExperiment, folder: Path, binary: Path, args: argparse.Namespace
) -> None:
    """Run (or finish) the engine for one prepared sub-experiment folder.

    The engine runs from the folder with the layout's relative paths given as flags too, so a
    folder whose config still holds absolute paths (an older or copied one) never writes
    anywhere else.
    """
    paths = SubExperimentPaths(folder)
    runs = sub.runs()
    finished = paths.finished_runs(runs)
    todo = [run for run in runs if run not in finished]
    if not todo:
        print(f"{sub.name}: all {len(runs)} runs finished, skipping", file=sys.stderr)
        return
    config = sub.config.clone()
    config["start_run"] = todo[0] - 1  # the engine counts runs from 0, file names from 1
    config.pop("start_generation")
    layout_paths = CGPConfig(ENVIRONMENT_PATHS)
    resumed = bool(finished) or paths.has_results()
    with RunProgress(len(runs), sub.name, initial=len(runs) - len(todo)) as progress:
        run_engine(
            binary.resolve(),
            "train",
            Path(CONFIG_FILE),
            args=[
                *layout_paths.to_args(list(ENVIRONMENT_PATHS)),
                *config.to_args(),
                *engine_run_arguments(args),
            ],
            stdout_path=folder / ENVIRONMENT_PATHS["stdout"],
            stderr_path=folder / ENVIRONMENT_PATHS["stderr"],
            on_progress=progress,
            append_logs=resumed,
            cwd=folder,
        )


# -- evaluate:chromosomes -------------------------------------------------------------------------
@dataclass
class ChromosomeEvaluation:
    """The engine's re-evaluation of a list of chromosomes (row k-1 = chromosome k)."""

    statistics: pd.DataFrame
    weights_paths: list[Path]
    gate_statistics_paths: list[Path]


def evaluate_chromosomes(
    binary: Path,
    folder: Path,
    chromosomes: list[str],
    tag: str,
    *,
    output_dir: str = "evaluate_statistics",
) -> ChromosomeEvaluation:
    """Run ``evaluate:chromosomes`` in a sub-experiment ``folder`` for ``chromosomes``.

    Files are named by ``tag`` (a run number for model-metrics): ``chromosomes.{tag}.txt``,
    ``{output_dir}/statistics.{tag}.csv``, ``all_weights/weights.{tag}.{k}.txt`` and
    ``gate_statistics/statistics.{tag}.{k}.txt``, k = 1..N, as the original laid them out.
    """
    if not chromosomes:
        raise CompressError(f"{folder}: no chromosome to evaluate")
    config_path = folder / CONFIG_FILE
    if not config_path.is_file():
        raise CompressError(
            f"{folder} has no {CONFIG_FILE}; it is not a complete experiment folder"
        )
    for needed in (TRAIN_DATA, GATE_PARAMETERS_TXT):
        if not (folder / needed).is_file():
            raise CompressError(f"{folder} has no {needed}; it is not a complete experiment folder")
    chromosome_file = folder / f"chromosomes.{tag}.txt"
    write_text_atomic(chromosome_file, "\n".join(chromosomes) + "\n")
    statistics_file = folder / output_dir / f"statistics.{tag}.csv"
    statistics_file.parent.mkdir(parents=True, exist_ok=True)
    (folder / "all_weights").mkdir(exist_ok=True)
    (folder / "gate_statistics").mkdir(exist_ok=True)
    weights_template = folder / "all_weights" / f"weights.{tag}.{{run}}.txt"
    gates_template = folder / "gate_statistics" / f"statistics.{tag}.{{run}}.txt"
    overrides = CGPConfig(
        {
            "input_file": str(folder / TRAIN_DATA),
            "cgp_statistics_file": str(chromosome_file),
            "output_file": str(statistics_file),
            "train_weights_file": str(weights_template),
            "gate_parameters_file": str(folder / GATE_PARAMETERS_TXT),
        }
    )
    tmp_statistics = statistics_file.with_name(statistics_file.name + ".partial")
    overrides["output_file"] = str(tmp_statistics)
    tmp_statistics.unlink(missing_ok=True)
    run_engine(
        binary,
        "evaluate:chromosomes",
        config_path,
        positionals=[str(gates_template)],
        args=overrides.to_args(
            [
                "input_file",
                "cgp_statistics_file",
                "output_file",
                "train_weights_file",
                "gate_parameters_file",
            ]
        ),
        stdout_path=folder / "eval_stdout.txt",
        stderr_path=folder / "eval_stderr.txt",
    )
    tmp_statistics.replace(statistics_file)
    statistics = read_statistics(statistics_file)
    if len(statistics) != len(chromosomes):
        raise CompressError(
            f"the engine evaluated {len(statistics)} of {len(chromosomes)} chromosomes "
            f"(see {folder / 'eval_stderr.txt'})"
        )
    count = len(chromosomes)
    return ChromosomeEvaluation(
        statistics=statistics,
        weights_paths=[
            Path(str(weights_template).replace("{run}", str(k))) for k in range(1, count + 1)
        ],
        gate_statistics_paths=[
            Path(str(gates_template).replace("{run}", str(k))) for k in range(1, count + 1)
        ],
    )


def finished_runs_of(
    sub: SubExperiment,
    folder: Path,
    action: str,
    runs: list[int] | None = None,
    *,
    named: bool = False,
) -> list[int]:
    """The finished ones of ``runs`` (default: the sub-experiment's); unfinished ones are
    listed, never measured. Runs the user ``named`` (``--runs``) must all be finished."""
    paths = SubExperimentPaths(folder)
    states = {run: paths.run_state(run) for run in (runs if runs is not None else sub.runs())}
    finished = [run for run, state in states.items() if state == FINISHED]
    unfinished = [run for run, state in states.items() if state != FINISHED]
    if unfinished and named:
        listed = ", ".join(f"{run} ({states[run]})" for run in unfinished)
        raise CompressError(
            f"{sub.name}: run(s) {listed} not finished, so not a result; finish them with "
            "train (or resubmit) or leave them out of --runs"
        )
    if unfinished:
        checkpointed = [run for run in unfinished if states[run] == CHECKPOINTED]
        note = f" (checkpointed: {', '.join(map(str, checkpointed))})" if checkpointed else ""
        print(
            f"{sub.name}: run(s) {', '.join(map(str, unfinished))} unfinished{note}; not {action}",
            file=sys.stderr,
        )
    return finished


def evaluate(args: argparse.Namespace, settings: Settings) -> int:
    """``<experiment>:evaluate``: re-evaluate final circuits and print one line per run."""
    binary = engine_binary(args, settings)
    experiment = discovered_experiment(args, settings)
    subs = experiment.sub_experiments()
    rows = []
    for sub in subs:
        folder = Path(sub.config.path).parent
        paths = SubExperimentPaths(folder)
        runs = finished_runs_of(sub, folder, "evaluated")
        if not runs:
            print(f"{sub.name}: no finished run to evaluate", file=sys.stderr)
            continue
        chromosomes = [paths.best_chromosome(r) or "" for r in runs]
        result = evaluate_chromosomes(
            binary, folder, chromosomes, "final", output_dir="eval_statistics"
        )
        dataset_size = sub.config.get_int("dataset_size", 1)
        output_count = sub.config.get_int("output_count")
        for index, run in enumerate(runs):
            row = result.statistics.iloc[index]
            produced = read_weights(result.weights_paths[index], dataset_size, output_count)
            trained_path = paths.weights(run)
            same = "-"
            if trained_path.is_file():
                trained = read_weights(trained_path, dataset_size, output_count)
                same = "yes" if np.array_equal(trained, produced) else "NO"
            rows.append(
                {
                    "sub-experiment": sub.name,
                    "run": run,
                    "error": row["error"],
                    "energy (pJ)": row["energy"],
                    "delay (ns)": row["delay"],
                    "gates": row["gate_count"],
                    "distinct weights": len(np.unique(produced)),
                    "same as training": same,
                }
            )
    if not rows:
        raise CompressError("no finished runs found; run the experiment's train first")
    table = pd.DataFrame(rows)
    with pd.option_context("display.max_rows", None, "display.width", 200):
        print(
            table.to_string(
                index=False, float_format=lambda v: f"{v:.6g}" if math.isfinite(v) else "n/a"
            )
        )
    return 0
