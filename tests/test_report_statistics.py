"""The report's statistics on fixed data, each checked against an independent call (scipy,
scikit-posthocs, statsmodels), a hand count or a brute-force check."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import scikit_posthocs as sp
from report_support import synthetic_data
from scipy import stats
from statsmodels.stats.multitest import multipletests

from compress.report.families import comparison_rows
from compress.report.pareto import pareto_mask, pareto_table
from compress.report.statistics import (
    TEST_COLUMNS,
    a12_magnitude,
    correlation_tests,
    finish_correlations,
    friedman_tests,
    holm,
    normal_theory_tests,
    rank_tests,
    vargha_delaney_a12,
)

# energies of three thresholds, five runs each (ties inside and across groups on purpose)
GROUPS = {
    "0": np.array([12.0, 15.5, 11.0, 14.0, 15.5]),
    "5": np.array([6.0, 7.5, 5.0, 9.0, 7.5]),
    "10": np.array([2.0, 3.5, 1.0, 7.5, 2.5]),
}


def by_test(rows, test):
    return [r for r in rows if r.test == test]


def test_a12_matches_a_hand_count():
    a, b = [1, 2, 3], [2, 2, 4]
    # A > B: (3, 2) twice; ties: (2, 2) twice; of 9 pairs -> (2 + 0.5 * 2) / 9
    assert vargha_delaney_a12(a, b) == pytest.approx(3 / 9)
    wins = sum(x > y for x in GROUPS["0"] for y in GROUPS["5"])
    ties = sum(x == y for x in GROUPS["0"] for y in GROUPS["5"])
    assert vargha_delaney_a12(GROUPS["0"], GROUPS["5"]) == pytest.approx((wins + ties / 2) / 25)
    assert vargha_delaney_a12(GROUPS["5"], GROUPS["0"]) == pytest.approx(1 - (wins + ties / 2) / 25)
    assert [a12_magnitude(v) for v in (0.5, 0.6, 0.3, 0.95, 0.05)] == [
        "negligible",
        "small",
        "medium",
        "large",
        "large",
    ]


def test_holm_on_a_known_example_and_against_statsmodels():
    # sorted 0.005, 0.01, 0.03, 0.04 -> x4, x3, x2, x1 = 0.02, 0.03, 0.06, 0.04 -> monotone 0.06
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert holm([0.5, 0.6]) == pytest.approx([1.0, 1.0])
    adjusted = holm([0.01, math.nan, 0.02])
    assert adjusted[0] == pytest.approx(0.02) and math.isnan(adjusted[1])
    p = np.random.default_rng(4).uniform(0, 0.2, size=12)
    assert holm(p) == pytest.approx(multipletests(p, method="holm")[1].tolist())


def test_mann_whitney_kruskal_and_conover_match_scipy_and_scikit_posthocs():
    rows = rank_tests(GROUPS, "circuit_energy_pj", "threshold", "circuit energy", 0.05)
    pairs = by_test(rows, "Mann-Whitney U (two-sided)")
    assert [(r.group_a, r.group_b) for r in pairs] == [("0", "5"), ("0", "10"), ("5", "10")]
    raw = []
    for row in pairs:
        expected = stats.mannwhitneyu(
            GROUPS[row.group_a], GROUPS[row.group_b], alternative="two-sided"
        )
        assert row.statistic == pytest.approx(expected.statistic)
        assert row.p_value == pytest.approx(expected.pvalue)
        assert row.effect_size == pytest.approx(
            vargha_delaney_a12(GROUPS[row.group_a], GROUPS[row.group_b])
        )
        assert (row.n_a, row.n_b, row.effect_name) == (5, 5, "A12")
        raw.append(expected.pvalue)
    assert [r.p_holm for r in pairs] == pytest.approx(multipletests(raw, method="holm")[1])

    (kruskal,) = by_test(rows, "Kruskal-Wallis")
    expected = stats.kruskal(*GROUPS.values())
    assert kruskal.statistic == pytest.approx(expected.statistic)
    assert kruskal.p_value == pytest.approx(expected.pvalue)
    assert kruskal.effect_size == pytest.approx(expected.statistic / (15 - 1))

    frame = pd.DataFrame(
        [(level, v) for level, values in GROUPS.items() for v in values], columns=["g", "v"]
    )
    plain = sp.posthoc_conover(frame, val_col="v", group_col="g", p_adjust=None, sort=False)
    adjusted = sp.posthoc_conover(frame, val_col="v", group_col="g", p_adjust="holm", sort=False)
    conover = by_test(rows, "Conover post-hoc")
    assert len(conover) == 3
    for row in conover:
        assert row.p_value == pytest.approx(plain.loc[row.group_a, row.group_b])
        assert row.p_holm == pytest.approx(adjusted.loc[row.group_a, row.group_b])


def test_verdicts_say_direction_effect_and_significance():
    rows = rank_tests(GROUPS, "circuit_energy_pj", "threshold", "circuit energy", 0.05)
    (first,) = [
        r
        for r in by_test(rows, "Mann-Whitney U (two-sided)")
        if (r.group_a, r.group_b) == ("0", "10")
    ]
    assert first.p_holm < 0.05 and first.effect_size == 1.0
    assert first.verdict.startswith(
        "circuit energy higher at threshold 0 than 10 (Â12 = 1.00, large"
    )
    strict = rank_tests(GROUPS, "circuit_energy_pj", "threshold", "circuit energy", 1e-6)
    assert by_test(strict, "Mann-Whitney U (two-sided)")[0].verdict.startswith(
        "no significant difference in circuit energy between threshold 0 and 5"
    )
    same = rank_tests({"0": np.ones(4), "5": np.ones(4)}, "gate_count", "threshold", "gates", 0.05)
    assert len(same) == 1 and same[0].verdict == "not tested: every run has gates = 1"


def test_friedman_and_wilcoxon_on_per_problem_medians_match_scipy():
    medians = pd.DataFrame(
        {
            "0": [12.0, 30.0, 8.0, 22.0, 15.0, 40.0],
            "5": [7.0, 21.0, 6.5, 12.0, 13.0, 25.0],
            "10": [3.0, 19.0, 6.0, 11.0, 4.0, 26.0],
        },
        index=[f"layer{i}" for i in range(6)],
    )
    rows = friedman_tests(medians, "circuit_energy_pj", "threshold", "circuit energy", 0.05)
    (friedman,) = by_test(rows, "Friedman (per-problem medians)")
    expected = stats.friedmanchisquare(*(medians[c] for c in medians.columns))
    assert friedman.statistic == pytest.approx(expected.statistic)
    assert friedman.p_value == pytest.approx(expected.pvalue)
    assert friedman.effect_size == pytest.approx(expected.statistic / (6 * 2))
    wilcoxon = by_test(rows, "Wilcoxon signed-rank (per-problem medians)")
    raw = []
    for row in wilcoxon:
        expected = stats.wilcoxon(medians[row.group_a], medians[row.group_b])
        assert row.statistic == pytest.approx(expected.statistic)
        assert row.p_value == pytest.approx(expected.pvalue)
        difference = medians[row.group_a] - medians[row.group_b]
        ranks = stats.rankdata(difference.abs())
        assert row.effect_size == pytest.approx(
            (ranks[difference > 0].sum() - ranks[difference < 0].sum()) / ranks.sum()
        )
        raw.append(expected.pvalue)
    assert [r.p_holm for r in wilcoxon] == pytest.approx(multipletests(raw, method="holm")[1])


def test_normal_theory_path_uses_alpha_for_levene_and_matches_scipy():
    rng = np.random.default_rng(7)
    equal = {"a": rng.normal(10, 1, 30), "b": rng.normal(11, 1, 30)}
    rows = normal_theory_tests(equal, "delay_ns", "threshold", "delay", 0.05)
    normality = by_test(rows, "D'Agostino-Pearson normality")
    for row in normality:
        assert row.p_value == pytest.approx(stats.normaltest(equal[row.group_a]).pvalue)
    (levene,) = by_test(rows, "Levene")
    assert levene.p_value == pytest.approx(stats.levene(*equal.values()).pvalue)
    assert levene.p_value >= 0.05
    (student,) = by_test(rows, "Student t")
    assert student.p_value == pytest.approx(stats.ttest_ind(*equal.values()).pvalue)

    # variances differ: Levene's p is below α = 0.05 -> Welch
    unequal = {"a": rng.normal(10, 0.5, 40), "b": rng.normal(10.5, 4, 40)}
    rows = normal_theory_tests(unequal, "delay_ns", "threshold", "delay", 0.05)
    assert by_test(rows, "Levene")[0].p_value < 0.05
    (welch,) = by_test(rows, "Welch t")
    assert welch.p_value == pytest.approx(
        stats.ttest_ind(*unequal.values(), equal_var=False).pvalue
    )

    three = {k: rng.normal(m, 1, 25) for k, m in (("0", 10), ("5", 10.2), ("10", 12))}
    rows = normal_theory_tests(three, "delay_ns", "threshold", "delay", 0.05)
    (anova,) = by_test(rows, "one-way ANOVA")
    assert anova.p_value == pytest.approx(stats.f_oneway(*three.values()).pvalue)
    tukey = stats.tukey_hsd(*three.values())
    labels = list(three)
    for row in by_test(rows, "Tukey HSD"):
        i, j = labels.index(row.group_a), labels.index(row.group_b)
        assert row.p_value == pytest.approx(tukey.pvalue[i, j])

    small = normal_theory_tests({"a": np.arange(5.0), "b": np.arange(5.0) + 1}, "x", "t", "x", 0.05)
    assert all("not testable" in r.verdict for r in small) and len(small) == 2


def test_correlations_match_scipy_and_say_when_undefined():
    x = np.array([3.0, 10, 15, 22, 30, 41, 55])
    y = np.array([1.0, 2.5, 2.0, 4.0, 6.5, 6.0, 9.0])
    rows = correlation_tests(x, y, "circuit_energy_pj", "missing_weights", "all runs", "energy")
    spearman, pearson = rows
    assert spearman.statistic == pytest.approx(stats.spearmanr(x, y).statistic)
    assert spearman.p_value == pytest.approx(stats.spearmanr(x, y).pvalue)
    assert pearson.statistic == pytest.approx(stats.pearsonr(x, y).statistic)
    assert pearson.p_value == pytest.approx(stats.pearsonr(x, y).pvalue)
    constant = correlation_tests(
        np.full(5, 130.0), y[:5], "circuit_energy_pj", "missing_weights", "all runs", "energy"
    )
    assert all(
        r.verdict.startswith("not computed: missing_weights is the same (130)") for r in constant
    )
    finish_correlations(rows + constant, 0.05)
    assert [r.p_holm for r in rows] == pytest.approx(
        multipletests([r.p_value for r in rows], method="holm")[1]
    )
    assert math.isnan(constant[0].p_holm)


def brute_force_front(points: np.ndarray) -> np.ndarray:
    def dominates(a, b):
        return np.all(a <= b) and np.any(a < b)

    return np.array([not any(dominates(q, p) for q in points) for p in points])


def test_pareto_front_equals_brute_force_dominance():
    rng = np.random.default_rng(11)
    for trial in range(30):
        points = rng.integers(0, 6, size=(25, 2)).astype(float)  # many ties and duplicates
        points[: trial % 4] = 0.0  # zero energy and zero loss, as wiring-only circuits give
        assert np.array_equal(pareto_mask(points), brute_force_front(points))
    continuous = rng.normal(size=(200, 2))
    assert np.array_equal(pareto_mask(continuous), brute_force_front(continuous))


def test_comparison_rows_have_exactly_the_issue_columns_and_families():
    data = synthetic_data()
    tests = comparison_rows(data, alpha=0.05, normal_theory=False)
    assert tuple(tests.columns) == TEST_COLUMNS
    energy = tests[tests["metric"] == "circuit_energy_pj"]
    # thresholds within each layer (stratum named in the factor), layers within each threshold
    factors = set(energy["factor"])
    assert "threshold (layers conv1)" in factors and "layers (threshold 0)" in factors
    friedman = energy[energy["test"] == "Friedman (per-problem medians)"]
    assert list(friedman["factor"]) == ["threshold across layers"]
    medians = data.runs.pivot_table(
        index="layers", columns="threshold", values="circuit_energy_pj", aggfunc="median"
    )
    expected = stats.friedmanchisquare(*(medians[c] for c in medians.columns))
    assert friedman["statistic"].iloc[0] == pytest.approx(expected.statistic)
    # Holm family = one metric, factor and stratum: three pairs
    family = energy[
        (energy["factor"] == "threshold (layers conv1)")
        & (energy["test"] == "Mann-Whitney U (two-sided)")
    ]
    assert len(family) == 3
    assert list(family["p_holm"]) == pytest.approx(
        multipletests(family["p_value"], method="holm")[1]
    )
    gates = tests[tests["metric"] == "gate_count"]
    assert len(gates) and gates["verdict"].str.startswith("not tested: every").all()
    assert not np.isinf(tests.select_dtypes("number").to_numpy(float)).any()
    correlation = tests[(tests["metric"] == "circuit_energy_pj") & (tests["test"] == "Spearman")]
    assert len(correlation) == 1 and correlation["factor"].iloc[0] == "missing_weights"


def test_pareto_table_has_global_and_per_layer_fronts():
    data = synthetic_data()
    data.runs["accuracy_loss_pp"] = data.runs["circuit_energy_pj"] * -0.01 + 2
    table = pareto_table(data.runs, "layers")
    scopes = set(table["scope"])
    assert {"global", "layers conv1", "layers conv2", "layers fc1"} <= scopes
    for scope, part in table.groupby("scope"):
        source = (
            data.runs if scope == "global" else data.runs[data.runs["layers"] == scope.split()[1]]
        )
        for objectives, rows in part.groupby("objectives"):
            y = "accuracy_loss_pp" if "accuracy" in objectives else "error_per_weight"
            points = source[["circuit_energy_pj", y]].to_numpy(float)
            expected = brute_force_front(points).sum()
            assert len(rows) == expected
