"""Writing one report folder: tables, tests, Pareto fronts, figures, report.md and report.html.

The folder is assembled next to its destination and renamed into place when complete, so a
report is never half-written; an existing report is only replaced with ``force``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd

from compress.atomic import write_text_atomic
from compress.errors import CompressError
from compress.report.families import comparison_rows
from compress.report.figures import all_figures
from compress.report.hardware import hardware_table
from compress.report.loading import SIDECAR, ReportData, load_report_data
from compress.report.pareto import pareto_table
from compress.report.rendering import Section, methods_text, render_html, render_markdown
from compress.report.statistics import TEST_COLUMNS
from compress.report.tables import (
    energy_table,
    group_columns,
    latex_table,
    markdown_table,
    sensitivity_pivot,
    sensitivity_table,
    summary_table,
)

SHOWN_TEST_ROWS = 40
"""Rows of tests.csv and pareto.csv shown on the page (the CSVs have all of them)."""


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
            f"{len(data.unfinished)} unfinished run(s) left out "
            f"({', '.join(data.unfinished[:5])}{', ...' if len(data.unfinished) > 5 else ''}). "
            if data.unfinished
            else ""
        )
        + (
            f"{runs['top1_percent'].notna().sum()} runs have model-metrics results."
            if runs["top1_percent"].notna().any()
            else "No model-metrics results were found, so accuracy columns are empty (run "
            "<experiment>:model-metrics first)."
        )
        + (
            " Accuracy loss is empty: the model-metrics CSVs have no baseline_top1 column "
            "(pass --baseline-top1)."
            if runs["top1_percent"].notna().any() and runs["accuracy_loss_pp"].isna().all()
            else ""
        )
    )


def _shown_tests(tests: pd.DataFrame) -> pd.DataFrame:
    """The most telling rows for the page: smallest adjusted p-values first, without the raw
    statistic and p-value (tests.csv has them)."""
    ranked = tests.assign(_p=tests["p_holm"].fillna(2.0)).sort_values("_p", kind="stable")
    shown = [c for c in TEST_COLUMNS if c not in ("statistic", "p_value")]
    return ranked.drop(columns="_p").head(SHOWN_TEST_ROWS)[shown]


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
        intro = "Data: " + _data_text(data)
        sections.insert(
            0, Section("Methods", methods_text(alpha, normal_theory, data.primary_split))
        )
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
    _write_text(folder / "summary.md", markdown_table(summary))
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
    energy = energy_table(data)
    if not energy.empty:
        _write_csv(energy, folder / "energy.csv")
        sections.append(
            Section(
                "Energy per inference: whole configurations",
                "Medians over runs (energy.csv) of: reading every weight involved once without the "
                "circuit (inputs ∪ outputs), reading only the circuit's inputs plus evaluating the "
                "circuit, their difference (energy saved per inference; negative = the circuit "
                "costs more) and their ratio (empty when the circuit configuration costs 0 pJ: "
                "then the saving is the fetch energy avoided). Memory reads: Horowitz, ISSCC 2014, "
                "45 nm; moving weights to the multipliers is not included.",
                energy,
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
            _shown_tests(tests) if len(tests) else None,
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
    hardware, sentence = hardware_table(data.runs)
    if hardware is not None:
        _write_csv(hardware, folder / "hardware.csv")
    sections.append(Section("Circuit as hardware", sentence, hardware))
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
