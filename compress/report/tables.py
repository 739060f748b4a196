"""The report's tables (summary, sensitivity) and their Markdown, LaTeX and HTML forms.

Numbers are printed with four significant digits in Markdown/LaTeX/HTML; the CSVs keep full
precision. A missing value is an empty cell, never ``nan`` or ``inf``.
"""

from __future__ import annotations

import html
import math

import numpy as np
import pandas as pd

from compress.report.loading import METRICS, ReportData

SUMMARY_STATISTICS = ("n", "median", "q1", "q3", "min", "max", "mean")


def group_columns(data: ReportData) -> list[str]:
    """The factors that vary (runs are grouped by them); the experiment when nothing varies."""
    return data.varying_factors or ["experiment"]


def summary_table(data: ReportData) -> pd.DataFrame:
    """One row per group and metric: n, median, quartiles, min, max, mean (NaN runs left out)."""
    groups = group_columns(data)
    records = []
    for keys, part in data.runs.groupby(groups, sort=True, dropna=False):
        keys = keys if isinstance(keys, tuple) else (keys,)
        for metric in METRICS:
            values = part[metric].dropna().to_numpy(float)
            if len(values) == 0:
                continue
            records.append(
                {
                    **dict(zip(groups, keys, strict=True)),
                    "metric": metric,
                    "n": len(values),
                    "median": float(np.median(values)),
                    "q1": float(np.percentile(values, 25)),
                    "q3": float(np.percentile(values, 75)),
                    "min": float(values.min()),
                    "max": float(values.max()),
                    "mean": float(values.mean()),
                }
            )
    return pd.DataFrame.from_records(records)


def sensitivity_table(data: ReportData) -> pd.DataFrame:
    """The thesis's layer × threshold table: mean top-1 (%) and mean accuracy loss (pp)."""
    runs = data.runs
    if runs["top1_percent"].notna().sum() == 0 or "threshold" not in runs.columns:
        return pd.DataFrame()
    rows_by = (
        "layers" if "layers" in runs.columns and runs["layers"].notna().any() else "experiment"
    )
    table = (
        runs.dropna(subset=["top1_percent"])
        .groupby([rows_by, "threshold"], sort=True, dropna=False)
        .agg(
            n=("top1_percent", "size"),
            mean_top1_percent=("top1_percent", "mean"),
            mean_accuracy_loss_pp=("accuracy_loss_pp", "mean"),
        )
        .reset_index()
    )
    return table


def sensitivity_pivot(table: pd.DataFrame) -> pd.DataFrame:
    """Rows = layers, columns = thresholds, cells ``top-1 % (loss pp)``."""
    rows_by = table.columns[0]
    cells = table.assign(
        cell=[
            f"{_number(t)} ({_number(loss)})"
            for t, loss in zip(
                table["mean_top1_percent"], table["mean_accuracy_loss_pp"], strict=True
            )
        ]
    )
    pivot = cells.pivot(index=rows_by, columns="threshold", values="cell").fillna("")
    pivot.columns = [f"threshold {_number(c)}" for c in pivot.columns]
    return pivot.reset_index()


def _number(value) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    if isinstance(value, (int, np.integer)):
        return str(value)
    if isinstance(value, (float, np.floating)):
        if abs(value) >= 1000 or float(value).is_integer():
            return f"{value:,.0f}"
        return f"{value:.4g}"
    return str(value)


def _cells(frame: pd.DataFrame) -> list[list[str]]:
    return [[_number(v) for v in row] for row in frame.itertuples(index=False)]


def markdown_table(frame: pd.DataFrame) -> str:
    header = [str(c) for c in frame.columns]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in _cells(frame)]
    return "\n".join(lines) + "\n"


_LATEX = {
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "\\": r"\textbackslash{}",
    "µ": r"$\mu$",
    "²": r"$^2$",
    "×": r"$\times$",
    "Â": r"\^{A}",
    "≥": r"$\geq$",
    "α": r"$\alpha$",
    "ε": r"$\varepsilon$",
    "η": r"$\eta$",
    ">": r"$>$",
    "<": r"$<$",
}


def latex_escape(text: str) -> str:
    return "".join(_LATEX.get(ch, ch) for ch in text)


def latex_table(frame: pd.DataFrame, caption: str) -> str:
    """A booktabs table (needs ``\\usepackage{booktabs}``)."""
    numeric = [pd.api.types.is_numeric_dtype(frame[c]) for c in frame.columns]
    spec = "".join("r" if n else "l" for n in numeric)
    lines = [
        r"\begin{table}[htbp]",
        r"\centering",
        rf"\caption{{{latex_escape(caption)}}}",
        rf"\begin{{tabular}}{{{spec}}}",
        r"\toprule",
        " & ".join(latex_escape(str(c)) for c in frame.columns) + r" \\",
        r"\midrule",
    ]
    lines += [" & ".join(latex_escape(c) for c in row) + r" \\" for row in _cells(frame)]
    lines += [r"\bottomrule", r"\end{tabular}", r"\end{table}"]
    return "\n".join(lines) + "\n"


def html_table(frame: pd.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
        for row in _cells(frame)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def energy_table(data: ReportData) -> pd.DataFrame:
    """Per group and memory level, medians over runs of both whole configurations per inference,
    the saving and the ratio (model-metrics columns; empty without model-metrics)."""
    runs = data.runs
    prefix = "fetch_inputs_and_outputs_without_circuit_"
    levels = [c[len(prefix) : -len("_pj")] for c in runs.columns if c.startswith(prefix)]
    if not levels:
        return pd.DataFrame()
    groups = group_columns(data)
    records = []
    for keys, part in runs.groupby(groups, sort=True, dropna=False):
        keys = keys if isinstance(keys, tuple) else (keys,)
        for level in levels:
            without = part[f"{prefix}{level}_pj"].dropna()
            if without.empty:
                continue
            records.append(
                {
                    **dict(zip(groups, keys, strict=True)),
                    "memory_level": level,
                    "n": len(without),
                    "median_without_circuit_pj": without.median(),
                    "median_with_circuit_pj": part[
                        f"fetch_inputs_plus_circuit_{level}_pj"
                    ].median(),
                    "median_saved_per_inference_pj": part[
                        f"energy_saved_per_inference_{level}_pj"
                    ].median(),
                    "median_ratio_without_over_with": part[
                        f"energy_ratio_without_over_with_circuit_{level}"
                    ].median(),
                }
            )
    return pd.DataFrame.from_records(records)
