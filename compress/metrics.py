"""``<experiment>:model-metrics``: evolved weights back into the network, accuracy against energy.

For every sub-experiment folder and run (workflow spec §5): take the chromosomes of the statistics
CSV (plain or ``.zip``; ``--top`` keeps the last N rows), let the engine re-evaluate them
(``evaluate:chromosomes``: weights, energy, delay, gates), inject each chromosome's weights into
ONE loaded model in memory (the original int8 values are put back between chromosomes), measure
top-1/top-5/loss, and write one CSV per run atomically. Existing CSVs are skipped, so an
interrupted invocation restarts where it stopped. The unmodified model's metrics (the baseline)
are computed once per invocation.

Columns: the original's ``run, generation, timestamp, error, quantized_energy, energy, area,
quantized_delay, delay, gate_count, chromosome, Top-1, Top-5, Loss, Run ID`` (energy in pJ, delay
in ns, as the gate table gives them), then ``baseline_top1``, ``baseline_top5``,
``baseline_loss``, ``accuracy_loss_pp`` (percentage points of top-1), ``weights_produced``,
``missing_weights`` (distinct produced values the inputs lack), then the energy of whole
configurations per inference (:func:`compress.energy.accounting.result_energy_columns`: weights
fetched with and without the circuit, ``circuit_energy_pj`` = all dataset items' evaluations,
and per memory level both totals, the saving and the ratio). ``quantized_energy`` is the engine's
integer cost sum (multiply by ``energy_pj_per_quantum`` of ``gate_parameters.csv`` for pJ); every
column is described in the ``COLUMNS.md`` written beside the CSVs.
For an exact circuit (error 0) of a one-item folder, ``energy_lower_bound_pj`` (the proven bound
on every exact circuit's gate energy, :mod:`compress.experiments.optimal_start`) and
``optimality_gap_ratio`` (energy ÷ bound, 1.0 = optimal).
"""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import parse

from compress.atomic import require_writable_folder
from compress.engine.config import CGPConfig
from compress.engine.files import (
    CIRCUIT_COLUMNS,
    read_statistics,
    read_train_data,
    read_weights,
    select_chromosome_rows,
    write_csv_atomic,
)
from compress.errors import CompressError
from compress.evaluation_prefix import Throughput, evaluate_circuits
from compress.experiments.layout import (
    CONFIG_FILE,
    GATE_PARAMETERS_TXT,
    METRICS_RESULT_PATTERN,
    MODEL_METRICS_DIR,
    STATISTICS_DIR,
    TRAIN_DATA,
)
from compress.experiments.model_fit import check_model_fits
from compress.experiments.running import (
    discovered_experiment,
    engine_binary,
    evaluate_chromosomes,
    finished_runs_of,
)
from compress.experiments.sub_experiment import SubExperiment
from compress.metrics_columns import write_columns_file
from compress.metrics_inputs import (
    refuse_stale,
    result_inputs,
    stale_differences,
    supersede_results,
    write_inputs,
)
from compress.progress import Progress
from compress.selection import injected_layers, restore_weights
from compress.settings import Settings

ORIGINAL_COLUMNS = (
    "run",
    "generation",
    "timestamp",
    *CIRCUIT_COLUMNS,
    "chromosome",
    "Top-1",
    "Top-5",
    "Loss",
    "Run ID",
)


@dataclass(frozen=True)
class Baseline:
    top1: float
    top5: float
    loss: float | None


@dataclass(frozen=True)
class MetricsJob:
    """One output CSV to produce: a sub-experiment's run, its statistics file and the rows whose
    chromosomes are evaluated (read and checked before any expensive work starts)."""

    sub: SubExperiment
    folder: Path
    run: int
    statistics: Path
    output: Path
    rows: pd.DataFrame
    inputs: dict = field(default_factory=dict)


REQUIRED_FILES = (CONFIG_FILE, TRAIN_DATA, GATE_PARAMETERS_TXT)


def statistics_runs(folder: Path, pattern: str) -> dict[int, Path]:
    """Run number -> statistics file in ``train_statistics/fitness`` matching ``pattern``."""
    fitness = folder / STATISTICS_DIR
    if "{run}" not in pattern:
        raise CompressError(f"-s/--statistics-file-format {pattern!r} must contain {{run}}")
    found: dict[int, Path] = {}
    if not fitness.is_dir():
        return found
    parser = parse.compile(pattern.replace("{run}", "{run:d}"))
    for path in fitness.iterdir():
        result = parser.parse(path.name)
        if result is not None:
            found[int(result["run"])] = path
    return dict(sorted(found.items()))


def output_name(args: argparse.Namespace, sub_name: str, run: int) -> str:
    return METRICS_RESULT_PATTERN.format(
        dataset=args.dataset or "default", split=args.split or "test", sub=sub_name, run=run
    )


def plan_jobs(
    subs: list[SubExperiment], args: argparse.Namespace, output_dir: Path
) -> tuple[list[MetricsJob], int]:
    """Every finished (sub-experiment, run) without a result computed from the same inputs;
    also how many were skipped. Refuses results computed from other inputs (see
    :mod:`compress.metrics_inputs`) and checks that the model fits each sub-experiment."""
    jobs = []
    skipped = 0
    stale: dict[Path, list[str]] = {}
    for sub in subs:
        folder = Path(sub.config.path).parent
        found = statistics_runs(folder, args.statistics_file_format)
        for needed in REQUIRED_FILES:
            if not (folder / needed).is_file():
                raise CompressError(
                    f"{folder} has no {needed}; it is not a complete experiment folder "
                    "(restore the file or exclude the folder with --experiment)"
                )
        runs = finished_runs_of(
            sub, folder, "measured", args.runs or list(found), named=bool(args.runs)
        )
        mismatch = check_model_fits(sub, folder, allow=args.allow_model_mismatch)
        for run in runs:
            if run not in found:
                raise CompressError(
                    f"{folder}: no statistics file {args.statistics_file_format.format(run=run)} "
                    "in train_statistics/fitness (check --runs and -s)"
                )
            output = output_dir / output_name(args, sub.name, run)
            model = sub.experiment.model_identity()
            inputs = result_inputs(args, model, folder, run, found[run], mismatch)
            if output.exists() and not args.only_weights:
                differences = stale_differences(output, inputs)
                if not differences:
                    skipped += 1
                    continue
                stale[output] = differences
            rows = select_chromosome_rows(read_statistics(found[run]), args.top)
            if rows.empty:
                raise CompressError(
                    f"{found[run]} has no row with a chromosome; train with -e/--allowed-mse-error "
                    "so chromosomes are logged, or check that the run finished"
                )
            jobs.append(MetricsJob(sub, folder, run, found[run], output, rows, inputs))
    if stale and not args.force:
        refuse_stale(stale, output_dir)
    if stale:
        moved = supersede_results(list(stale), output_dir)
        print(f"model-metrics: {len(stale)} old result(s) moved to {moved}", file=sys.stderr)
    return jobs, skipped


def missing_weight_count(folder: Path, config: CGPConfig) -> tuple[int, int]:
    """(weights produced, distinct produced values the inputs lack), from ``train.data``."""
    from compress.energy import missing_values

    data = read_train_data(
        folder / TRAIN_DATA,
        config.get_int("input_count"),
        config.get_int("output_count"),
        config.get_int("dataset_size", 1),
    )
    inputs = [v for item in data.items for v in item.inputs]
    outputs = [v for item in data.items for v in item.outputs]
    return data.meaningful_outputs, len(missing_values(inputs, outputs))


def model_metrics(args: argparse.Namespace, settings: Settings) -> int:
    """Run the action; returns the exit code."""
    binary = engine_binary(args, settings)
    experiment = discovered_experiment(args, settings)
    base_folder = experiment.results_folder()
    subs = experiment.sub_experiments()
    output_dir = base_folder / MODEL_METRICS_DIR
    jobs, skipped = plan_jobs(subs, args, output_dir)
    for folder in sorted({output_dir, *(job.folder for job in jobs)}):
        require_writable_folder(folder, "model-metrics writes into")
    if skipped:
        print(f"model-metrics: {skipped} result file(s) already exist, skipped", file=sys.stderr)
    if not jobs:
        print(f"model-metrics: nothing to do; results in {output_dir}", file=sys.stderr)
        return 0

    model = None
    dataset = None
    baseline = None
    if not args.only_weights:
        from compress.data import load_dataset
        from compress.models import model_input

        model = experiment.model
        dataset = model_input(
            args.model_name,
            load_dataset(
                args.dataset,
                args.split,
                settings,
                data_dir=getattr(args, "data_dir", None),
                download=not getattr(args, "offline", False),
                limit=getattr(args, "limit", None),
                num_proc=args.num_proc,
            ),
        )
        baseline = evaluate_baseline(model, dataset, args)
    tally = Throughput()
    original = {name: tensor.clone() for name, tensor in experiment.weights().items()}

    with Progress(len(jobs), "model-metrics", unit="run") as progress:
        for job in jobs:
            progress.set_status({"sub-experiment": job.sub.name, "run": job.run})
            rows = job.rows
            evaluation = evaluate_chromosomes(
                binary, job.folder, list(rows["chromosome"]), str(job.run)
            )
            if args.only_weights:
                print(
                    f"{job.sub.name} run {job.run}: weights of {len(rows)} chromosome(s) "
                    f"written to {job.folder / 'all_weights'}",
                    file=sys.stderr,
                )
            else:
                table = metrics_table(
                    job, rows, evaluation, model, dataset, original, baseline, args, tally=tally
                )
                write_csv_atomic(table, job.output)
                write_inputs(job.output, job.inputs)
                write_columns_file(output_dir)
            progress.update()
    if baseline is not None:
        print(
            f"model-metrics: baseline top-1 {baseline.top1:.4f}, top-5 {baseline.top5:.4f}"
            + (f", loss {baseline.loss:.4f}" if baseline.loss is not None else "")
            + f"; results in {output_dir}",
            file=sys.stderr,
        )
        print(f"model-metrics: {tally.summary()}", file=sys.stderr)
    return 0


def _evaluate(model, dataset, args: argparse.Namespace):
    """Top-1/top-5 (and loss with ``-l``) of the model as it is now, with the CLI's settings."""
    from compress.evaluation import evaluate_model

    return evaluate_model(
        model,
        dataset,
        batch_size=args.batch_size,
        top=(1, 5),
        include_loss=args.include_loss,
        num_workers=args.num_workers,
        progress=False,
    )


def evaluate_baseline(model, dataset, args: argparse.Namespace) -> Baseline:
    result = _evaluate(model, dataset, args)
    return Baseline(result.accuracy[1], result.accuracy.get(5, math.nan), result.loss)


def metrics_table(
    job, rows, evaluation, model, dataset, original, baseline: Baseline, args, *, tally=None
) -> pd.DataFrame:
    """One run's result frame: a row per chromosome, original columns first."""
    from compress.energy.accounting import result_energy_columns
    from compress.experiments.optimal_start import bound_columns

    sub = job.sub
    dataset_size = sub.config.get_int("dataset_size", 1)
    output_count = sub.config.get_int("output_count")
    produced_count, missing = missing_weight_count(job.folder, sub.config)
    base = dict(original)
    base.update(sub.modifications)
    # The sub-experiment's own model changes (zeroed outer rings) stay for all its chromosomes.
    restore_weights(model, sub.modifications)
    records = []
    try:
        variants = [
            injected_layers(
                read_weights(evaluation.weights_paths[index], dataset_size, output_count),
                sub.combinations,
                base,
            )
            for index in range(len(rows))
        ]
        results = evaluate_circuits(model, dataset, variants, args, tally=tally)
        for index in range(len(rows)):
            train_row = rows.iloc[index]
            circuit = evaluation.statistics.iloc[index]
            result = results[index]
            energy = float(circuit["energy"])
            circuit_energy = energy * dataset_size if math.isfinite(energy) else math.nan
            record = {
                "run": train_row.get("run", job.run),
                "generation": train_row.get("generation"),
                "timestamp": train_row.get("timestamp"),
                **{column: circuit[column] for column in CIRCUIT_COLUMNS},
                "chromosome": train_row["chromosome"],
                "Top-1": result.accuracy[1],
                "Top-5": result.accuracy.get(5, math.nan),
                "Loss": result.loss if result.loss is not None else math.nan,
                "Run ID": index + 1,
                "baseline_top1": baseline.top1,
                "baseline_top5": baseline.top5,
                "baseline_loss": baseline.loss if baseline.loss is not None else math.nan,
                "accuracy_loss_pp": (baseline.top1 - result.accuracy[1]) * 100,
                "weights_produced": produced_count,
                "missing_weights": missing,
            }
            if math.isfinite(circuit_energy):
                record.update(
                    result_energy_columns(
                        circuit_energy,
                        sub.combinations,
                        {layer: tuple(tensor.shape) for layer, tensor in original.items()},
                        input_count=sub.config.get_int("input_count"),
                        weights_produced=produced_count,
                        wire_energy_pj_per_output=getattr(args, "wire_energy_pj_per_output", None),
                    )
                )
            record.update(bound_columns(job.folder, float(circuit["error"]), energy, 60.0))
            records.append(record)
    finally:
        restore_weights(model, {layer: original[layer] for layer in sub.modifications})
    return pd.DataFrame.from_records(records)


def read_metrics(folder: Path) -> pd.DataFrame:
    """Every model-metrics CSV in ``folder`` with a ``sub_experiment`` column (for summaries)."""
    frames = []
    for path in sorted(Path(folder).glob("*.csv")):
        parts = path.name.split(".")
        frame = pd.read_csv(path)
        frame["sub_experiment"] = ".".join(parts[2:-2])
        frames.append(frame)
    if not frames:
        raise CompressError(f"no model-metrics CSV in {folder}")
    return pd.concat(frames, ignore_index=True)
