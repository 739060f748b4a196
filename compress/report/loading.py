"""Experiment folders -> one row per run: its factors and the metrics of its best solution.

The best solution of a run is the final row of its statistics file (the engine appends every
improvement, so the last row is the run's result); only finished runs count, those with a result
config ``cgp_configs/cgp.{run}.config`` (or its zipped merge), so a running job's partial
statistics never enter a report. Factors come from the sub-experiment's
``experiment.json`` sidecar when it exists (the agreed sidecar contract: every key of
``factors`` may group runs) and otherwise from the folder name, parsed with the experiment's name
format as the original's folders require. Accuracy comes from the model-metrics CSVs
(``model_metrics/{dataset}.{split}.{sub}.{run}.csv``, last row = the final chromosome), gate usage
from ``gate_statistics/statistics.{run}.{k}.txt`` priced with the folder's ``gate_parameters.csv``.
"""

from __future__ import annotations

import argparse
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from compress.engine.config import CGPConfig
from compress.engine.files import read_statistics
from compress.errors import CompressError
from compress.experiments.layout import CONFIG_FILE, run_finished
from compress.experiments.thresholds import per_weight_error
from compress.metrics import missing_weight_count

SIDECAR = "experiment.json"
IDENTITY_FUNCTION = 100
"""The engine's free identity gate (routes a value on), listed in gate statistics as 100."""
BATCH_SUFFIX = re.compile(r"_batch_(\d+)$")
STATISTICS_NAME = re.compile(
    r"^statistics\.(\d+)\.csv(\.zip|\.chromosome\.zip|\.chromosomeless\.zip)?$"
)

METRICS: dict[str, str] = {
    "error_per_weight": "error per weight (RMS int8 steps)",
    "circuit_energy_pj": "circuit energy (pJ)",
    "area_um2": "area (µm²)",
    "delay_ns": "delay (ns)",
    "gate_count": "gates (count)",
    "depth": "depth (gates on the longest path)",
    "generations": "generations (count)",
    "seconds": "run time (s)",
    "top1_percent": "top-1 accuracy (%)",
    "top5_percent": "top-5 accuracy (%)",
    "accuracy_loss_pp": "accuracy loss (percentage points)",
    "loss_nats": "loss (nats)",
}
"""Summarised metrics: column name (unit in the name) -> axis label with unit."""

RUN_KEY = ["experiment_folder", "experiment", "sub_experiment", "run"]
"""What identifies a run across the folders of one report."""

NOT_FACTORS = {"batch", "rows", "cols", "mse"}
"""Keys that never group runs: batches are slices of one sub-experiment, rows x cols is ``grid``."""


@dataclass
class ReportData:
    """Everything the report is made from."""

    runs: pd.DataFrame
    """One row per run: ``experiment``, ``sub_experiment``, ``run``, factors, metrics."""
    accuracy: pd.DataFrame
    """One row per run and dataset split (``dataset_split``) with top-1/top-5/accuracy loss."""
    gates: pd.DataFrame
    """One row per run and gate function: ``function``, ``quantity``, ``energy_pj``."""
    factors: list[str]
    """Factor columns of ``runs`` (those that vary are the grouping factors)."""
    folders: list[Path]
    sources: list[str] = field(default_factory=list)
    """Where the factors of each sub-experiment came from (sidecar or folder name)."""
    primary_split: str | None = None
    unfinished: list[str] = field(default_factory=list)
    """Runs left out because they are not finished (the layout's rule: still running or interrupted)."""

    @property
    def varying_factors(self) -> list[str]:
        return [f for f in self.factors if self.runs[f].nunique(dropna=True) > 1]


def experiment_name_parser(name: str, args: argparse.Namespace | None, settings):
    """The registered experiment ``name``, able to parse its folder names (no model is loaded)."""
    from compress.experiments.registry import get_experiment

    namespace = args if args is not None else argparse.Namespace(prefix="", suffix="")
    if not hasattr(namespace, "name_format"):
        namespace.name_format = None
    return get_experiment(name)(namespace, settings, prepare=False)


def sub_experiment_folders(folder: Path) -> list[Path]:
    """Sub-experiment folders (those with ``train_cgp.config``) of an experiment folder."""
    if not folder.is_dir():
        raise CompressError(f"experiment folder {folder} does not exist")
    found = sorted(p for p in folder.iterdir() if p.is_dir() and (p / CONFIG_FILE).is_file())
    if not found:
        raise CompressError(
            f"{folder} holds no sub-experiment folder (a folder with {CONFIG_FILE}); pass the "
            "experiment folder, e.g. experiment_results/layer_bypass"
        )
    return found


def folder_factors(sub: Path, experiment_name: str, parser) -> tuple[dict, str]:
    """(factors, where they came from) of one sub-experiment folder."""
    sidecar = sub / SIDECAR
    if sidecar.is_file():
        try:
            data = json.loads(sidecar.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as error:
            raise CompressError(f"{sidecar} is not valid JSON: {error}") from None
        factors = dict(data.get("factors") or {})
        factors["experiment"] = data.get("experiment", experiment_name)
        return factors, f"{sub.name}: {SIDECAR}"
    fields = parser.parse_name(sub.name) if parser is not None else None
    if fields is None:
        raise CompressError(
            f"{sub.name} in {sub.parent} is not a {experiment_name} sub-experiment name "
            f"({parser.name_format if parser is not None else '?'}) and has no {SIDECAR}; "
            "pass the folder as NAME=DIR with the experiment that wrote it"
        )
    factors = {key: value for key, value in fields.items() if key != "mse"}
    if "mse" in fields:
        factors["threshold"] = float(fields["mse"])
    if "layer" in factors:
        factors["layers"] = factors.pop("layer")
    batch = BATCH_SUFFIX.search(sub.name)
    factors["batch"] = int(batch.group(1)) if batch else None
    factors["experiment"] = experiment_name
    return factors, f"{sub.name}: folder name"


def _grid(factors: dict) -> str | None:
    rows, cols = factors.get("rows"), factors.get("cols")
    return f"{int(rows)}x{int(cols)}" if rows is not None and cols is not None else None


def statistics_files(sub: Path) -> dict[int, Path]:
    """Run -> statistics file (plain or zipped) in ``train_statistics/fitness``."""
    fitness = sub / "train_statistics" / "fitness"
    found: dict[int, Path] = {}
    if fitness.is_dir():
        for path in sorted(fitness.iterdir()):
            match = STATISTICS_NAME.match(path.name)
            if match:
                found.setdefault(int(match.group(1)), path)
    return dict(sorted(found.items()))


def final_row_metrics(frame: pd.DataFrame, *, metric: str, outputs: int, items: int) -> dict:
    """Metrics of a statistics file's last row (the run's best solution)."""
    last = frame.iloc[-1]
    error = float(last["error"])
    energy = float(last["energy"])
    return {
        "error": error,
        "error_per_weight": per_weight_error(error, metric, outputs=outputs, items=items)
        if math.isfinite(error)
        else math.nan,
        "circuit_energy_pj": energy * items if math.isfinite(energy) else math.nan,
        "area_um2": float(last["area"]),
        "delay_ns": float(last["delay"]),
        "gate_count": float(last["gate_count"]),
        "depth": float(last["depth"]) if "depth" in frame.columns else math.nan,
        "generations": float(last["generation"]),
        "seconds": pd.to_numeric(last.get("timestamp"), errors="coerce"),
    }


MODEL_METRICS_NAME = re.compile(
    r"^(?P<dataset>[^.]+)\.(?P<split>[^.]+)\.(?P<sub>.+)\.(?P<run>\d+)\.csv$"
)


def model_metrics_rows(folder: Path, baseline_top1: float | None) -> pd.DataFrame:
    """Last row of every model-metrics CSV of an experiment folder (one per run and split)."""
    records = []
    metrics_folder = folder / "model_metrics"
    if not metrics_folder.is_dir():
        return pd.DataFrame()
    for path in sorted(metrics_folder.glob("*.csv")):
        match = MODEL_METRICS_NAME.match(path.name)
        if match is None:
            continue
        try:
            frame = pd.read_csv(path)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, OSError) as error:
            raise CompressError(
                f"model-metrics file {path} is not a readable CSV: {error}"
            ) from None
        if frame.empty or "Top-1" not in frame.columns:
            continue
        last = frame.iloc[-1]
        top1 = float(last["Top-1"])
        reference = last.get("baseline_top1", baseline_top1)
        reference = float(reference) if reference is not None else math.nan
        record = {
            "sub_folder": match["sub"],
            "run": int(match["run"]),
            "dataset_split": f"{match['dataset']}.{match['split']}",
            "top1_percent": top1 * 100,
            "top5_percent": float(last.get("Top-5", math.nan)) * 100,
            "accuracy_loss_pp": (reference - top1) * 100,
            "loss_nats": float(last.get("Loss", math.nan)),
            "run_id": int(last.get("Run ID", len(frame))),
        }
        for column in frame.columns:
            if column.startswith(
                ("fetch_inputs", "energy_saved_per_inference", "energy_ratio_without")
            ) or column in (
                "missing_weights",
                "weights_produced",
                "weights_fetched_with_circuit",
                "weights_fetched_without_circuit",
            ):
                record[column] = last[column]
        records.append(record)
    return pd.DataFrame.from_records(records)


def gate_usage(sub: Path, run: int, run_id: int | None) -> pd.DataFrame:
    """Gate function -> quantity and energy (pJ) of one run's final circuit, if model-metrics
    wrote its gate statistics; an empty frame otherwise."""
    folder = sub / "gate_statistics"
    candidates = (
        sorted(folder.glob(f"statistics.{run}.*.txt"), key=lambda p: int(p.name.split(".")[2]))
        if folder.is_dir()
        else []
    )
    if run_id is not None:
        candidates = [
            p for p in candidates if p.name == f"statistics.{run}.{run_id}.txt"
        ] or candidates
    if not candidates:
        return pd.DataFrame()
    usage = pd.read_csv(candidates[-1])
    prices_path = sub / "gate_parameters.csv"
    if prices_path.is_file():
        prices = pd.read_csv(prices_path).drop_duplicates("function_id")
        usage = usage.merge(
            prices[["function_id", "name", "energy_pj"]],
            left_on="Function",
            right_on="function_id",
            how="left",
        )
    else:
        usage["name"] = usage["Function"].astype(str)
        usage["energy_pj"] = math.nan
    usage.loc[usage["Function"] == IDENTITY_FUNCTION, ["name", "energy_pj"]] = ["identity", 0.0]
    return pd.DataFrame(
        {
            "function": usage["name"].fillna(usage["Function"].astype(str)),
            "quantity": usage["Quantity"],
            "energy_pj": usage["Quantity"] * usage["energy_pj"],
        }
    )


def load_report_data(
    folders: list[tuple[str, Path]],
    settings,
    *,
    args: argparse.Namespace | None = None,
    baseline_top1: float | None = None,
    dataset_split: str | None = None,
) -> ReportData:
    """Read every run of the given ``(experiment name, experiment folder)`` pairs."""
    runs, accuracy, gates, sources = [], [], [], []
    unfinished: list[str] = []
    for experiment_name, folder in folders:
        parser = experiment_name_parser(experiment_name, args, settings)
        metrics = model_metrics_rows(folder, baseline_top1)
        for sub in sub_experiment_folders(folder):
            factors, source = folder_factors(sub, experiment_name, parser)
            sources.append(f"{folder.name}/{source}")
            config = CGPConfig.load(sub / CONFIG_FILE)
            items = config.get_int("dataset_size", 1)
            metric = str(factors.get("error_metric") or config.get("error_metric", "SE")).upper()
            produced, missing = missing_weight_count(sub, config)
            base_name = BATCH_SUFFIX.sub("", sub.name)
            factors.setdefault("error_metric", metric)
            grid = _grid(factors) or _grid(
                {"rows": config.get("row_count"), "cols": config.get("col_count")}
            )
            row_factors = {k: v for k, v in factors.items() if k not in NOT_FACTORS}
            row_factors["grid"] = grid
            for run, path in statistics_files(sub).items():
                if not run_finished(sub, run):
                    unfinished.append(f"{sub.name} run {run}")
                    continue
                frame = read_statistics(path)
                if frame.empty:
                    unfinished.append(f"{sub.name} run {run}")
                    continue
                record = {
                    "experiment": factors["experiment"],
                    "sub_experiment": base_name,
                    "experiment_folder": str(folder),
                    "folder": str(sub),
                    "statistics_file": str(path),
                    "run": run,
                    **row_factors,
                    **final_row_metrics(frame, metric=metric, outputs=produced, items=items),
                    "weights_produced": produced,
                    "missing_weights": missing,
                }
                runs.append(record)
        if not metrics.empty:
            metrics["experiment"] = experiment_name
            metrics["experiment_folder"] = str(folder)
            metrics["sub_experiment"] = metrics["sub_folder"].map(lambda n: BATCH_SUFFIX.sub("", n))
            accuracy.append(metrics)
    if not runs:
        raise CompressError(
            "no run statistics found (train_statistics/fitness/statistics.<run>.csv) in "
            + ", ".join(str(f) for _, f in folders)
        )
    run_frame = pd.DataFrame.from_records(runs)
    accuracy_frame = pd.concat(accuracy, ignore_index=True) if accuracy else pd.DataFrame()
    primary = None
    if not accuracy_frame.empty:
        splits = sorted(accuracy_frame["dataset_split"].unique())
        if dataset_split is not None and dataset_split not in splits:
            raise CompressError(
                f"--dataset-split {dataset_split!r} has no model-metrics CSV; found {', '.join(splits)}"
            )
        primary = dataset_split or ("default.test" if "default.test" in splits else splits[0])
        chosen = accuracy_frame[accuracy_frame["dataset_split"] == primary].drop(
            columns=["missing_weights", "weights_produced", "sub_folder"], errors="ignore"
        )
        run_frame = run_frame.merge(chosen, on=RUN_KEY, how="left")
        factor_columns = [c for c in run_frame.columns if c in ("threshold", "grid", "layers")]
        accuracy_frame = accuracy_frame.merge(
            run_frame[[*RUN_KEY, *factor_columns]],
            on=RUN_KEY,
            how="inner",
        )
        for row in run_frame.itertuples():
            run_id = getattr(row, "run_id", None)
            usage = gate_usage(
                Path(row.folder), int(row.run), None if pd.isna(run_id) else int(run_id)
            )
            if not usage.empty:
                usage["experiment"] = row.experiment
                usage["sub_experiment"] = row.sub_experiment
                usage["run"] = row.run
                usage["threshold"] = getattr(row, "threshold", math.nan)
                gates.append(usage)
    for column in METRICS:
        if column not in run_frame.columns:
            run_frame[column] = math.nan
    factors = [
        c
        for c in dict.fromkeys(
            [
                "experiment",
                "threshold",
                "error_metric",
                "grid",
                "layers",
                *[k for r in runs for k in r if k not in METRICS],
            ]
        )
        if c in run_frame.columns and c not in _NON_FACTOR_COLUMNS
    ]
    if len(folders) > 1:
        _add_folder_factor(run_frame, factors)
    return ReportData(
        runs=run_frame,
        accuracy=accuracy_frame,
        gates=pd.concat(gates, ignore_index=True) if gates else pd.DataFrame(),
        factors=factors,
        folders=[f for _, f in folders],
        sources=sources,
        primary_split=primary,
        unfinished=unfinished,
    )


def _add_folder_factor(runs: pd.DataFrame, factors: list[str]) -> None:
    """Runs of several folders that no factor tells apart (the same experiment run twice) get
    the folder's name as a factor, so they are compared instead of pooled."""
    others = [f for f in factors if runs[f].nunique(dropna=True) > 1] or ["experiment"]
    if runs.groupby(others, dropna=False)["experiment_folder"].nunique().max() > 1:
        names = runs["experiment_folder"].map(lambda path: Path(path).name)
        labels = (
            names
            if names.nunique() == runs["experiment_folder"].nunique()
            else runs["experiment_folder"]
        )
        runs["source"] = labels
        factors.append("source")


_NON_FACTOR_COLUMNS = {
    "experiment_folder",
    "sub_experiment",
    "folder",
    "statistics_file",
    "run",
    "error",
    "weights_produced",
    "missing_weights",
}
