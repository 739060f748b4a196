"""Which comparisons the report makes: for every metric and varying factor, the strata (the other
varying factors held fixed), the groups within each, and the problems Friedman blocks on."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from compress.report.loading import METRICS, ReportData
from compress.report.statistics import (
    PROBLEM_FACTORS,
    TestRow,
    correlation_tests,
    finish_correlations,
    friedman_tests,
    normal_theory_tests,
    rank_tests,
    rows_frame,
)

CORRELATIONS = (
    ("circuit_energy_pj", "missing_weights", "circuit energy vs missing weights"),
    ("accuracy_loss_pp", "error_per_weight", "accuracy loss vs error per weight"),
)


def metric_word(metric: str) -> str:
    """``circuit_energy_pj`` -> ``circuit energy`` (the label without its unit)."""
    return METRICS.get(metric, metric).split(" (")[0]


def level_label(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return f"{value:g}"
    return f"{value:g}" if isinstance(value, float) else str(value)


def sorted_levels(values) -> list:
    levels = [v for v in pd.unique(values) if not (isinstance(v, float) and math.isnan(v))]
    try:
        return sorted(levels)
    except TypeError:
        return sorted(levels, key=str)


def _stratum_label(factor: str, keys: dict) -> str:
    if not keys:
        return factor
    return f"{factor} ({', '.join(f'{k} {level_label(v)}' for k, v in keys.items())})"


def _strata(frame: pd.DataFrame, others: list[str]):
    if not others:
        yield {}, frame
        return
    for keys, part in frame.groupby(others, dropna=False, sort=True):
        keys = keys if isinstance(keys, tuple) else (keys,)
        yield dict(zip(others, keys, strict=True)), part


def comparison_rows(data: ReportData, *, alpha: float, normal_theory: bool) -> pd.DataFrame:
    """Every row of ``tests.csv``."""
    runs = data.runs
    varying = data.varying_factors
    problems = [f for f in varying if f in PROBLEM_FACTORS]
    rows: list[TestRow] = []
    for metric in METRICS:
        if runs[metric].notna().sum() < 2:
            continue
        word = metric_word(metric)
        for factor in varying:
            others = [f for f in varying if f != factor]
            for keys, part in _strata(runs, others):
                groups = {}
                for level in sorted_levels(part[factor]):
                    values = part.loc[part[factor] == level, metric].dropna().to_numpy(float)
                    if len(values) >= 2:
                        groups[level_label(level)] = values
                if len(groups) < 2:
                    continue
                label = _stratum_label(factor, keys)
                rows += rank_tests(groups, metric, label, word, alpha)
                if normal_theory:
                    rows += normal_theory_tests(groups, metric, label, word, alpha)
            if factor in PROBLEM_FACTORS or not problems:
                continue
            rest = [f for f in others if f not in problems]
            for keys, part in _strata(runs, rest):
                medians = part.pivot_table(
                    index=problems, columns=factor, values=metric, aggfunc="median"
                )
                medians.columns = [level_label(c) for c in medians.columns]
                label = _stratum_label(factor, keys) + f" across {', '.join(problems)}"
                rows += friedman_tests(medians, metric, label, word, alpha)
    correlations: list[TestRow] = []
    for metric, against, words in CORRELATIONS:
        for experiment, part in runs.groupby("experiment", sort=True):
            pair = part[[against, metric]].dropna()
            if pair.empty:
                continue
            correlations += correlation_tests(
                pair[against].to_numpy(float),
                pair[metric].to_numpy(float),
                metric,
                against,
                f"all runs of {experiment}",
                words,
            )
    finish_correlations(correlations, alpha)
    frame = rows_frame(rows + correlations)
    for column in ("statistic", "p_value", "p_holm", "effect_size", "n_b"):
        frame[column] = frame[column].astype(float).replace([np.inf, -np.inf], np.nan)
    return frame
