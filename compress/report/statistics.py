"""Hypothesis tests over run distributions, with effect sizes and Holm-corrected p-values.

Per metric and factor (within each combination of the other varying factors, the *stratum*):

* every pair of levels: two-sided Mann–Whitney U with the Vargha–Delaney Â12 effect size
  (Arcuri & Briand, ICSE 2011), Holm-adjusted over the pairs of that metric, factor and stratum;
* three or more levels: Kruskal–Wallis (effect ε² = H / (n − 1)) with Conover's post-hoc
  (Conover & Iman 1979), Holm-adjusted;
* a factor measured across several problems (layers, kernels): Friedman on the per-problem
  medians (effect Kendall's W) with Wilcoxon signed-rank post-hoc, Holm-adjusted
  (Demšar, JMLR 2006; Benavoli et al., JMLR 2016);
* optionally the original's normal-theory path, at the same α (the original compared Levene's p
  with 0.5): D'Agostino–Pearson per group and Levene, then Student or Welch t (Hedges' g), or
  one-way ANOVA (η²) with Tukey HSD;
* Spearman and Pearson correlations (missing weights vs circuit energy, error vs accuracy loss),
  Holm-adjusted over all correlations of the report.

Every row gets a plain-words verdict. Identical values or too few runs give a row that says why
nothing was tested, instead of a NaN statistic from a degenerate test.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy import stats

TEST_COLUMNS = (
    "metric",
    "factor",
    "group_a",
    "group_b",
    "test",
    "n_a",
    "n_b",
    "statistic",
    "p_value",
    "p_holm",
    "effect_size",
    "effect_name",
    "verdict",
)

PROBLEM_FACTORS = ("layers", "out", "inp", "filter", "channel", "input_count", "zero")
"""Factors that name a problem instance (which weights); Friedman blocks on them."""


@dataclass
class TestRow:
    metric: str
    factor: str
    group_a: str
    group_b: str
    test: str
    n_a: int
    n_b: float
    statistic: float
    p_value: float
    p_holm: float
    effect_size: float
    effect_name: str
    verdict: str


# -- effect sizes and corrections ------------------------------------------------------------------
def vargha_delaney_a12(a: Sequence[float], b: Sequence[float]) -> float:
    """Â12 = P(A > B) + ½ P(A = B), from the rank sum of A in the pooled sample."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    m, n = len(a), len(b)
    ranks = stats.rankdata(np.concatenate([a, b]))
    return float((ranks[:m].sum() / m - (m + 1) / 2) / n)


def a12_magnitude(a12: float) -> str:
    """Vargha & Delaney (2000) thresholds on |Â12 − 0.5|: 0.06, 0.14, 0.21."""
    distance = abs(a12 - 0.5)
    if distance < 0.06:
        return "negligible"
    if distance < 0.14:
        return "small"
    if distance < 0.21:
        return "medium"
    return "large"


def correlation_magnitude(r: float) -> str:
    """Cohen's thresholds on |r|: 0.1, 0.3, 0.5."""
    size = abs(r)
    return (
        "negligible"
        if size < 0.1
        else "small"
        if size < 0.3
        else "medium"
        if size < 0.5
        else "large"
    )


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjustment; NaN p-values are left out of the family and stay NaN."""
    values = np.asarray(p_values, dtype=float)
    adjusted = np.full(len(values), math.nan)
    index = np.flatnonzero(~np.isnan(values))
    order = index[np.argsort(values[index], kind="stable")]
    m = len(order)
    running = 0.0
    for rank, position in enumerate(order):
        running = max(running, (m - rank) * values[position])
        adjusted[position] = min(1.0, running)
    return adjusted.tolist()


def hedges_g(a: np.ndarray, b: np.ndarray) -> float:
    """Standardised mean difference with the small-sample correction."""
    m, n = len(a), len(b)
    pooled = math.sqrt(((m - 1) * a.var(ddof=1) + (n - 1) * b.var(ddof=1)) / (m + n - 2))
    if pooled == 0:
        return math.nan
    return float((a.mean() - b.mean()) / pooled * (1 - 3 / (4 * (m + n) - 9)))


def conover_pairs(groups: dict[str, np.ndarray]) -> dict[tuple[str, str], tuple[float, float]]:
    """(t, two-sided p) of Conover's post-hoc for every pair, after Kruskal–Wallis.

    t = |R̄i − R̄j| / sqrt(S² · (N − 1 − H) / (N − k) · (1/ni + 1/nj)), with pooled ranks R,
    S² = (ΣR² − N(N + 1)²/4) / (N − 1) and H the tie-corrected Kruskal–Wallis statistic;
    t has N − k degrees of freedom.
    """
    labels = list(groups)
    values = np.concatenate([groups[label] for label in labels])
    ranks = stats.rankdata(values)
    total, k = len(values), len(labels)
    h = stats.kruskal(*groups.values()).statistic
    s2 = (np.sum(ranks**2) - total * (total + 1) ** 2 / 4) / (total - 1)
    bounds = np.cumsum([0, *(len(groups[label]) for label in labels)])
    means = {label: ranks[bounds[i] : bounds[i + 1]].mean() for i, label in enumerate(labels)}
    result = {}
    for a, b in itertools.combinations(labels, 2):
        scale = s2 * (total - 1 - h) / (total - k) * (1 / len(groups[a]) + 1 / len(groups[b]))
        t = abs(means[a] - means[b]) / math.sqrt(scale) if scale > 0 else math.inf
        p = 2 * stats.t.sf(t, total - k) if math.isfinite(t) else 0.0
        result[(a, b)] = (float(t), float(p))
    return result


# -- verdicts ---------------------------------------------------------------------------------------
def _difference_verdict(
    label: str, factor: str, a: str, b: str, p_holm: float, alpha: float, effect: str
) -> str:
    if p_holm < alpha:
        return f"{label} differs between {factor} {a} and {b} ({effect}; p_holm = {p_holm:.3g})"
    return (
        f"no significant difference in {label} between {factor} {a} and {b} "
        f"(p_holm = {p_holm:.3g} ≥ α = {alpha:g}; {effect})"
    )


def _a12_verdict(label, factor, a, b, a12, p_holm, alpha) -> str:
    effect = f"Â12 = {a12:.2f}, {a12_magnitude(a12)}"
    if p_holm < alpha:
        direction = "higher" if a12 > 0.5 else "lower"
        return f"{label} {direction} at {factor} {a} than {b} ({effect}; p_holm = {p_holm:.3g})"
    return _difference_verdict(label, factor, a, b, p_holm, alpha, effect)


def _omnibus_verdict(label, factor, test, p_holm, alpha, effect) -> str:
    if p_holm < alpha:
        return f"{label} differs across {factor} levels ({test}; {effect}; p = {p_holm:.3g})"
    return (
        f"no significant difference in {label} across {factor} levels "
        f"({test}; p = {p_holm:.3g} ≥ α = {alpha:g}; {effect})"
    )


def _skipped(metric, factor, a, b, test, n_a, n_b, why) -> TestRow:
    return TestRow(
        metric, factor, a, b, test, n_a, n_b, math.nan, math.nan, math.nan, math.nan, "", why
    )


def _a12_pair_rows(
    groups: dict[str, np.ndarray],
    outcomes: dict[tuple[str, str], tuple[float, float]],
    test: str,
    metric: str,
    factor: str,
    label: str,
    alpha: float,
) -> list[TestRow]:
    """Rows of one family of pairwise tests, (statistic, p) per pair: Holm over the family,
    Â12 of each pair and its verdict."""
    factor_word = factor.split(" (")[0]
    adjusted = holm([p for _, p in outcomes.values()])
    rows = []
    for ((a, b), (statistic, p)), p_holm in zip(outcomes.items(), adjusted, strict=True):
        a12 = vargha_delaney_a12(groups[a], groups[b])
        rows.append(
            TestRow(
                metric,
                factor,
                a,
                b,
                test,
                len(groups[a]),
                len(groups[b]),
                statistic,
                p,
                p_holm,
                a12,
                "A12",
                _a12_verdict(label, factor_word, a, b, a12, p_holm, alpha),
            )
        )
    return rows


# -- families ---------------------------------------------------------------------------------------
def rank_tests(
    groups: dict[str, np.ndarray], metric: str, factor: str, label: str, alpha: float
) -> list[TestRow]:
    """Pairwise Mann–Whitney U + Â12 (Holm), and Kruskal–Wallis + Conover (Holm) for k ≥ 3."""
    rows: list[TestRow] = []
    pooled = np.concatenate(list(groups.values()))
    factor_word = factor.split(" (")[0]
    if np.all(pooled == pooled[0]):
        rows.append(
            _skipped(
                metric,
                factor,
                " | ".join(groups),
                "",
                "none",
                len(pooled),
                len(groups),
                f"not tested: every run has {label} = {pooled[0]:g}",
            )
        )
        return rows
    mann_whitney = {}
    for a, b in itertools.combinations(groups, 2):
        result = stats.mannwhitneyu(groups[a], groups[b], alternative="two-sided")
        mann_whitney[(a, b)] = (float(result.statistic), float(result.pvalue))
    rows += _a12_pair_rows(
        groups, mann_whitney, "Mann-Whitney U (two-sided)", metric, factor, label, alpha
    )
    if len(groups) >= 3:
        result = stats.kruskal(*groups.values())
        epsilon = float(result.statistic / (len(pooled) - 1))
        rows.append(
            TestRow(
                metric,
                factor,
                " | ".join(groups),
                "",
                "Kruskal-Wallis",
                len(pooled),
                len(groups),
                float(result.statistic),
                float(result.pvalue),
                float(result.pvalue),
                epsilon,
                "epsilon_squared",
                _omnibus_verdict(
                    label,
                    factor_word,
                    "Kruskal-Wallis",
                    result.pvalue,
                    alpha,
                    f"ε² = {epsilon:.2f}",
                ),
            )
        )
        rows += _a12_pair_rows(
            groups, conover_pairs(groups), "Conover post-hoc", metric, factor, label, alpha
        )
    return rows


def friedman_tests(
    medians: pd.DataFrame, metric: str, factor: str, label: str, alpha: float
) -> list[TestRow]:
    """Friedman over levels (columns) with problems as blocks (rows of per-problem medians),
    then pairwise Wilcoxon signed-rank (Holm); with two levels only the Wilcoxon test."""
    medians = medians.dropna()
    blocks, levels = medians.shape
    rows: list[TestRow] = []
    factor_word = factor.split(" (")[0]
    if blocks < 2 or levels < 2:
        return rows
    if levels >= 3:
        if np.all(medians.to_numpy() == medians.to_numpy()[0, 0]):
            return [
                _skipped(
                    metric,
                    factor,
                    " | ".join(map(str, medians.columns)),
                    "",
                    "Friedman",
                    blocks,
                    levels,
                    f"not tested: every problem has median {label} = {medians.to_numpy()[0, 0]:g}",
                )
            ]
        result = stats.friedmanchisquare(*(medians[c].to_numpy() for c in medians.columns))
        w = float(result.statistic / (blocks * (levels - 1)))
        rows.append(
            TestRow(
                metric,
                factor,
                " | ".join(map(str, medians.columns)),
                "",
                "Friedman (per-problem medians)",
                blocks,
                levels,
                float(result.statistic),
                float(result.pvalue),
                float(result.pvalue),
                w,
                "kendall_w",
                _omnibus_verdict(
                    label, factor_word, "Friedman", result.pvalue, alpha, f"W = {w:.2f}"
                ),
            )
        )
    pairs = list(itertools.combinations(medians.columns, 2))
    outcomes = []
    for a, b in pairs:
        difference = medians[a].to_numpy() - medians[b].to_numpy()
        if np.all(difference == 0):
            outcomes.append(None)
            continue
        result = stats.wilcoxon(medians[a], medians[b], alternative="two-sided")
        positive = stats.rankdata(np.abs(difference[difference != 0]))
        signs = np.sign(difference[difference != 0])
        biserial = float(np.sum(positive * signs) / np.sum(positive))
        outcomes.append((float(result.statistic), float(result.pvalue), biserial))
    adjusted = holm([o[1] if o else math.nan for o in outcomes])
    for (a, b), outcome, p_holm in zip(pairs, outcomes, adjusted, strict=True):
        if outcome is None:
            rows.append(
                _skipped(
                    metric,
                    factor,
                    str(a),
                    str(b),
                    "Wilcoxon signed-rank",
                    blocks,
                    blocks,
                    f"not tested: {label} medians equal on every problem",
                )
            )
            continue
        statistic, p, biserial = outcome
        effect = f"rank-biserial r = {biserial:.2f}, {correlation_magnitude(biserial)}"
        if p_holm < alpha:
            direction = "higher" if biserial > 0 else "lower"
            verdict = (
                f"{label} {direction} at {factor_word} {a} than {b} over problems "
                f"({effect}; p_holm = {p_holm:.3g})"
            )
        else:
            verdict = _difference_verdict(label, factor_word, a, b, p_holm, alpha, effect)
        rows.append(
            TestRow(
                metric,
                factor,
                str(a),
                str(b),
                "Wilcoxon signed-rank (per-problem medians)",
                blocks,
                blocks,
                statistic,
                p,
                p_holm,
                biserial,
                "rank_biserial",
                verdict,
            )
        )
    return rows


def normal_theory_tests(
    groups: dict[str, np.ndarray], metric: str, factor: str, label: str, alpha: float
) -> list[TestRow]:
    """The original's path with α applied consistently: normality and Levene decide between
    Student/Welch t (two groups) or ANOVA + Tukey HSD (three or more)."""
    rows: list[TestRow] = []
    factor_word = factor.split(" (")[0]
    normal = True
    for level, values in groups.items():
        if len(values) < 8 or np.all(values == values[0]):
            normal = False
            rows.append(
                _skipped(
                    metric,
                    factor,
                    level,
                    "",
                    "D'Agostino-Pearson normality",
                    len(values),
                    math.nan,
                    "normality not testable (needs 8 runs and varying values); "
                    "the rank tests apply",
                )
            )
            continue
        result = stats.normaltest(values)
        is_normal = result.pvalue >= alpha
        normal = normal and is_normal
        rows.append(
            TestRow(
                metric,
                factor,
                level,
                "",
                "D'Agostino-Pearson normality",
                len(values),
                math.nan,
                float(result.statistic),
                float(result.pvalue),
                float(result.pvalue),
                math.nan,
                "",
                f"{label} at {factor_word} {level} "
                + ("consistent with normal" if is_normal else "not normal")
                + f" (p = {result.pvalue:.3g}, α = {alpha:g})",
            )
        )
    if not normal:
        return rows
    levene = stats.levene(*groups.values())
    equal = levene.pvalue >= alpha
    rows.append(
        TestRow(
            metric,
            factor,
            " | ".join(groups),
            "",
            "Levene",
            sum(map(len, groups.values())),
            len(groups),
            float(levene.statistic),
            float(levene.pvalue),
            float(levene.pvalue),
            math.nan,
            "",
            "variances "
            + ("equal" if equal else "differ")
            + f" (p = {levene.pvalue:.3g}, α = {alpha:g})",
        )
    )
    labels = list(groups)
    if len(groups) == 2:
        a, b = labels
        result = stats.ttest_ind(groups[a], groups[b], equal_var=bool(equal))
        g = hedges_g(groups[a], groups[b])
        name = "Student t" if equal else "Welch t"
        verdict = _difference_verdict(
            label, factor_word, a, b, result.pvalue, alpha, f"Hedges' g = {g:.2f}"
        )
        rows.append(
            TestRow(
                metric,
                factor,
                a,
                b,
                name,
                len(groups[a]),
                len(groups[b]),
                float(result.statistic),
                float(result.pvalue),
                float(result.pvalue),
                g,
                "hedges_g",
                verdict,
            )
        )
        return rows
    if not equal:
        rows.append(
            _skipped(
                metric,
                factor,
                " | ".join(labels),
                "",
                "one-way ANOVA",
                sum(map(len, groups.values())),
                len(groups),
                "ANOVA not applicable: variances differ; the rank tests apply",
            )
        )
        return rows
    anova = stats.f_oneway(*groups.values())
    pooled = np.concatenate(list(groups.values()))
    between = sum(len(v) * (v.mean() - pooled.mean()) ** 2 for v in groups.values())
    total = float(np.sum((pooled - pooled.mean()) ** 2))
    eta = between / total if total > 0 else math.nan
    rows.append(
        TestRow(
            metric,
            factor,
            " | ".join(labels),
            "",
            "one-way ANOVA",
            len(pooled),
            len(groups),
            float(anova.statistic),
            float(anova.pvalue),
            float(anova.pvalue),
            eta,
            "eta_squared",
            _omnibus_verdict(label, factor_word, "ANOVA", anova.pvalue, alpha, f"η² = {eta:.2f}"),
        )
    )
    tukey = stats.tukey_hsd(*groups.values())
    for i, j in itertools.combinations(range(len(labels)), 2):
        a, b = labels[i], labels[j]
        p = float(tukey.pvalue[i, j])
        g = hedges_g(groups[a], groups[b])
        rows.append(
            TestRow(
                metric,
                factor,
                a,
                b,
                "Tukey HSD",
                len(groups[a]),
                len(groups[b]),
                float(tukey.statistic[i, j]),
                p,
                p,
                g,
                "hedges_g",
                _difference_verdict(
                    label, factor_word, a, b, p, alpha, f"Hedges' g = {g:.2f}; Tukey-adjusted"
                ),
            )
        )
    return rows


def correlation_tests(
    x: np.ndarray, y: np.ndarray, metric: str, against: str, scope: str, label: str
) -> list[TestRow]:
    """Spearman and Pearson of ``metric`` (y) against ``against`` (x); p_holm filled later."""
    n = len(x)
    if n < 3 or np.all(x == x[0]) or np.all(y == y[0]):
        constant = against if n >= 3 and np.all(x == x[0]) else metric
        why = (
            f"not computed: {n} runs"
            if n < 3
            else f"not computed: {constant} is the same ({(x if constant == against else y)[0]:g}) "
            "in every run"
        )
        return [
            _skipped(metric, against, scope, "", test, n, n, why)
            for test in ("Spearman", "Pearson")
        ]
    rows = []
    for test, function, name in (
        ("Spearman", stats.spearmanr, "rho"),
        ("Pearson", stats.pearsonr, "r"),
    ):
        result = function(x, y)
        r = float(result.statistic)
        rows.append(
            TestRow(
                metric,
                against,
                scope,
                "",
                test,
                n,
                n,
                r,
                float(result.pvalue),
                math.nan,
                r,
                name,
                f"{label}: {name} = {r:.2f} ({correlation_magnitude(r)})",
            )
        )
    return rows


def finish_correlations(rows: list[TestRow], alpha: float) -> None:
    """Holm over every correlation of the report, then the verdicts' significance clause."""
    adjusted = holm([r.p_value for r in rows])
    for row, p_holm in zip(rows, adjusted, strict=True):
        row.p_holm = p_holm
        if not math.isnan(p_holm):
            row.verdict += (
                f", significant (p_holm = {p_holm:.3g})"
                if p_holm < alpha
                else f", not significant (p_holm = {p_holm:.3g} ≥ α = {alpha:g})"
            )


def rows_frame(rows: list[TestRow]) -> pd.DataFrame:
    frame = pd.DataFrame([asdict(r) for r in rows], columns=list(TEST_COLUMNS))
    return frame
