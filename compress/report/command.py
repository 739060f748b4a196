"""``report`` and ``<experiment>:report``: read experiment folders, write one report folder.

The folder is assembled next to its destination and renamed into place when complete, so a
report is never half-written; an existing report is only replaced with ``--force``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from compress.atomic import write_text_atomic
from compress.errors import CompressError
from compress.report.families import comparison_rows
from compress.report.figures import all_figures
from compress.report.loading import SIDECAR, ReportData, load_report_data, sub_experiment_folders
from compress.report.pareto import pareto_table
from compress.report.rendering import Section, methods_text, render_html, render_markdown
from compress.report.statistics import TEST_COLUMNS
from compress.report.tables import (
    group_columns,
    latex_table,
    sensitivity_pivot,
    sensitivity_table,
    summary_table,
)

SHOWN_TEST_ROWS = 40


def add_report_arguments(parser: argparse.ArgumentParser) -> None:
    """The report's own options (shared by ``report`` and ``<experiment>:report``)."""
    group = parser.add_argument_group("report")
    group.add_argument(
        "-o",
        "--output",
        type=Path,
        default=None,
        metavar="DIR",
        help="report folder (default: <first experiment folder>/report)",
    )
    group.add_argument(
        "--alpha",
        type=float,
        default=0.05,
        help="significance level of every test and of the normality/variance checks (default 0.05)",
    )
    group.add_argument(
        "--normal-theory",
        action="store_true",
        help="also run the original's normal-theory path (D'Agostino-Pearson + Levene -> "
        "Student/Welch t or ANOVA + Tukey HSD)",
    )
    group.add_argument(
        "--sensitivity",
        nargs="+",
        type=Path,
        default=[],
        metavar="CSV",
        help="model:sensitivity CSVs (<model>.<type>.256.csv) for the weight-offset plot",
    )
    group.add_argument(
        "--baseline-top1",
        type=float,
        default=None,
        metavar="FRACTION",
        help="baseline top-1 (0-1) for model-metrics CSVs without a baseline_top1 column "
        "(the original's); accuracy loss is left empty otherwise",
    )
    group.add_argument(
        "--dataset-split",
        default=None,
        metavar="DATASET.SPLIT",
        help="model-metrics results used for the accuracy columns when several exist "
        "(default default.test, else the first found)",
    )
    group.add_argument("--force", action="store_true", help="replace an existing report folder")


def _write_text(path: Path, text: str) -> None:
    """Report files are for reading by everyone who may read the experiment folder."""
    write_text_atomic(path, text, mode=0o644)


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    numeric = frame.select_dtypes(include="number")
    frame = frame.copy()
    frame[numeric.columns] = numeric.replace([np.inf, -np.inf], np.nan)
    _write_text(path, frame.to_csv(index=False))


def _data_text(data: ReportData) -> str:
    runs = data.runs
    subs = runs.groupby(["experiment", "sub_experiment"]).ngroups
    sidecars = sum(1 for s in data.sources if s.endswith(SIDECAR))
    groups = group_columns(data)
    sizes = runs.groupby(groups).size()
    size_text = str(sizes.iloc[0]) if sizes.min() == sizes.max() else f"{sizes.min()}–{sizes.max()}"
    return (
        f"{len(runs)} runs of {subs} sub-experiment(s) from "
        + ", ".join(str(f) for f in data.folders)
        + f"; factors from {sidecars} {SIDECAR} sidecar(s) and {len(data.sources) - sidecars} "
        f"folder name(s). Runs are grouped by {', '.join(groups)}: n = {size_text} runs per group. "
        + (
            f"{runs['top1_percent'].notna().sum()} runs have model-metrics results."
            if runs["top1_percent"].notna().any()
            else "No model-metrics results were found, so accuracy columns are empty (run "
            "<experiment>:model-metrics first)."
        )
    )


def _shown_tests(tests: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """The most telling rows for the page: significant comparisons first, by p_holm."""
    ranked = tests.assign(_p=tests["p_holm"].fillna(2.0)).sort_values("_p", kind="stable")
    return ranked.drop(columns="_p").head(SHOWN_TEST_ROWS)[
        [
            "metric",
            "factor",
            "group_a",
            "group_b",
            "test",
            "n_a",
            "n_b",
            "p_holm",
            "effect_size",
            "effect_name",
            "verdict",
        ]
    ]


def write_report(
    folders: list[tuple[str, Path]],
    output: Path,
    settings,
    *,
    alpha: float = 0.05,
    normal_theory: bool = False,
    sensitivity: list[Path] | None = None,
    force: bool = False,
    args: argparse.Namespace | None = None,
    baseline_top1: float | None = None,
    dataset_split: str | None = None,
) -> Path:
    """Write the report of ``(experiment name, folder)`` pairs into ``output``; returns it."""
    if not (0 < alpha < 1) or math.isnan(alpha):
        raise CompressError(f"--alpha {alpha} must be between 0 and 1")
    sensitivity = list(sensitivity or [])
    for path in sensitivity:
        if not path.is_file():
            raise CompressError(
                f"sensitivity CSV {path} does not exist (write it with model:sensitivity)"
            )
    output = Path(output)
    if output.exists() and not force:
        raise CompressError(
            f"{output} already exists; pass --force to replace it or -o for another folder"
        )
    data = load_report_data(
        folders, settings, args=args, baseline_top1=baseline_top1, dataset_split=dataset_split
    )
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.parent / f".{output.name}.partial-{os.getpid()}"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir()
    try:
        sections = _assemble(data, partial, alpha, normal_theory, sensitivity)
        title = "Report: " + ", ".join(sorted(data.runs["experiment"].unique()))
        intro = _data_text(data) + " " + methods_text(alpha, normal_theory, data.primary_split)
        _write_text(partial / "report.md", render_markdown(title, intro, sections))
        _write_text(
            partial / "report.html", render_html(title, intro, sections, partial / "figures")
        )
        _replace(partial, output)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return output


def _replace(partial: Path, output: Path) -> None:
    if output.exists():
        old = output.parent / f".{output.name}.old-{os.getpid()}"
        output.rename(old)
        partial.rename(output)
        shutil.rmtree(old, ignore_errors=True)
    else:
        partial.rename(output)


def _assemble(
    data: ReportData, folder: Path, alpha: float, normal_theory: bool, sensitivity: list[Path]
) -> list[Section]:
    sections: list[Section] = []
    _write_csv(data.runs, folder / "runs.csv")
    summary = summary_table(data)
    _write_csv(summary, folder / "summary.csv")
    _write_text(folder / "summary.md", _markdown(summary))
    _write_text(
        folder / "summary.tex",
        latex_table(summary, "Per group and metric: runs, median, quartiles, range and mean"),
    )
    sections.append(
        Section(
            "Summary",
            f"Per group ({', '.join(group_columns(data))}) and metric, over each run's best "
            "solution: n, median, quartiles q1/q3, min, max, mean (summary.csv, summary.md, "
            "summary.tex; one row per run in runs.csv).",
            summary,
        )
    )
    tests = comparison_rows(data, alpha=alpha, normal_theory=normal_theory)
    _write_csv(tests[list(TEST_COLUMNS)], folder / "tests.csv")
    significant = int((tests["p_holm"] < alpha).sum())
    sections.append(
        Section(
            "Hypothesis tests",
            f"{len(tests)} rows, {significant} significant at α = {alpha:g} after Holm's "
            f"correction. The {min(SHOWN_TEST_ROWS, len(tests))} rows with the smallest adjusted "
            "p-values are shown.",
            _shown_tests(tests, alpha) if len(tests) else None,
            more="Every test, with statistics and raw p-values: tests.csv.",
        )
    )
    scope = "layers" if "layers" in data.varying_factors else None
    pareto = pareto_table(data.runs, scope)
    _write_csv(pareto, folder / "pareto.csv")
    sections.append(
        Section(
            "Pareto fronts",
            "Runs not dominated in (circuit energy, accuracy loss) and in (circuit energy, error "
            "per weight), both minimised, globally"
            + (" and per layer" if scope else "")
            + f" (pareto.csv): {len(pareto)} rows.",
            pareto if len(pareto) <= SHOWN_TEST_ROWS else pareto.head(SHOWN_TEST_ROWS),
        )
    )
    table = sensitivity_table(data)
    if not table.empty:
        _write_csv(table, folder / "sensitivity.csv")
        pivot = sensitivity_pivot(table)
        _write_text(
            folder / "sensitivity.tex",
            latex_table(
                pivot, "Mean top-1 accuracy in % (mean accuracy loss in pp) per layer and threshold"
            ),
        )
        sections.append(
            Section(
                "Sensitivity: accuracy per layer and threshold",
                "Mean top-1 accuracy in % and, in parentheses, mean accuracy loss in percentage "
                "points over the runs of each layer and threshold (sensitivity.csv, "
                "sensitivity.tex).",
                pivot,
            )
        )
    figures = all_figures(data, folder / "figures", sensitivity)
    for figure in figures:
        sections.append(Section(figure.title, figure.caption, figure=figure))
    _write_text(
        folder / "figures" / "index.json",
        json.dumps(
            [{"name": f.name, "title": f.title, "caption": f.caption} for f in figures], indent=1
        ),
    )
    return sections


def _markdown(frame: pd.DataFrame) -> str:
    from compress.report.tables import markdown_table

    return markdown_table(frame)


# -- command line ----------------------------------------------------------------------------------
def folder_argument(text: str) -> tuple[str | None, Path]:
    """``NAME=DIR`` or ``DIR``."""
    name, sep, rest = text.partition("=")
    if sep and name and "/" not in name:
        return name, Path(rest)
    return None, Path(text)


def experiment_of(folder: Path, name: str | None) -> str:
    """The experiment that wrote ``folder``: given, from a sidecar, or the folder's own name."""
    from compress.experiments.registry import load_experiments

    if name is not None:
        return name
    for sub in sub_experiment_folders(folder):
        sidecar = sub / SIDECAR
        if sidecar.is_file():
            try:
                return str(json.loads(sidecar.read_text(encoding="utf-8"))["experiment"])
            except (OSError, ValueError, KeyError):
                raise CompressError(f"{sidecar} has no readable 'experiment' key") from None
    if folder.resolve().name in load_experiments():
        return folder.resolve().name
    raise CompressError(
        f"cannot tell which experiment wrote {folder}: name it NAME={folder} "
        f"(NAME one of {', '.join(load_experiments())})"
    )


def run_plain_report(args: argparse.Namespace, settings) -> int:
    folders = []
    for text in args.folders:
        name, path = folder_argument(text)
        folders.append((experiment_of(path, name), path))
    output = args.output or folders[0][1] / "report"
    return _finish(write_report(folders, output, settings, **_options(args)))


def run_experiment_report(args: argparse.Namespace, settings) -> int:
    from compress.experiments.registry import get_experiment

    experiment = get_experiment(args.experiment_name)(args, settings, prepare=False)
    folder = experiment.results_folder()
    output = args.output or folder / "report"
    return _finish(
        write_report(
            [(args.experiment_name, folder)], output, settings, args=args, **_options(args)
        )
    )


def _options(args: argparse.Namespace) -> dict:
    return {
        "alpha": args.alpha,
        "normal_theory": args.normal_theory,
        "sensitivity": args.sensitivity,
        "force": args.force,
        "baseline_top1": args.baseline_top1,
        "dataset_split": args.dataset_split,
    }


def _finish(output: Path) -> int:
    print(
        f"report: {output / 'report.html'} (also report.md, summary.csv, tests.csv, pareto.csv, "
        f"figures/)",
        file=sys.stderr,
    )
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """The plain ``report`` command over any experiment folders."""
    parser = subparsers.add_parser(
        "report",
        help="statistics tables, Pareto fronts and figures over experiment folders",
        description="Read the runs of one or more experiment folders (statistics, model-metrics, "
        "gate statistics), group them by their factors and write summary.csv/.md/.tex, "
        "tests.csv, pareto.csv, sensitivity.csv/.tex, figures (PNG + PDF), report.md and a "
        "self-contained report.html.",
    )
    parser.add_argument(
        "folders",
        nargs="+",
        metavar="[NAME=]DIR",
        help="experiment folders (holding sub-experiment folders); NAME = the experiment that "
        "wrote DIR when neither a sidecar nor the folder's name says it",
    )
    add_report_arguments(parser)
    parser.set_defaults(handler=run_plain_report)


__all__ = ["add_report_arguments", "register", "write_report"]
