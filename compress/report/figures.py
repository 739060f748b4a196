"""Every figure of the report, in one style (seaborn "paper"/"ticks", palette "deep"), as PNG and
PDF, with the unit on every axis and a caption sentence saying what data and method it shows.

Energies and accuracy losses span orders of magnitude and include exact zeros (wiring-only
circuits, unchanged accuracy); their axes are symlog (linear around zero, logarithmic beyond), so
zero points are drawn where they are rather than dropped as a log axis would.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from compress.energy.accounting import WIRING_ONLY_NOTE, format_circuit_energy  # noqa: E402
from compress.report.families import level_label, sorted_levels  # noqa: E402
from compress.report.loading import METRICS, ReportData  # noqa: E402
from compress.report.pareto import pareto_mask  # noqa: E402

FACTOR_LABELS = {
    "threshold": "error threshold per weight (RMS int8 steps)",
    "grid": "grid (rows x columns)",
    "layers": "layers (input -> output)",
    "experiment": "experiment",
    "error_metric": "error metric",
    "dataset_split": "dataset.split",
}


SENSITIVITY_LABELS = {
    "inner": "inner 3x3 core",
    "outter": "outer ring",
    "all": "all weights",
}
"""model:sensitivity's error types (file names keep the original's spelling "outter")."""


@dataclass(frozen=True)
class Figure:
    name: str
    """File stem: ``<name>.png`` and ``<name>.pdf`` in the report's ``figures/``."""
    title: str
    caption: str


def apply_style() -> None:
    sns.set_theme(context="paper", style="ticks", palette="deep", font_scale=1.1)
    plt.rcParams.update({"figure.dpi": 100, "savefig.dpi": 150, "savefig.bbox": "tight"})


def _save(fig, folder: Path, name: str) -> None:
    for suffix in ("png", "pdf"):
        fig.savefig(folder / f"{name}.{suffix}")
    plt.close(fig)


def _factor_label(factor: str) -> str:
    return FACTOR_LABELS.get(factor, factor)


def primary_factor(data: ReportData) -> str:
    """The x axis of the box plots: threshold, else grid, else the first varying factor."""
    varying = data.varying_factors
    for factor in ("threshold", "grid"):
        if factor in varying:
            return factor
    return varying[0] if varying else "experiment"


def _hue(data: ReportData, x: str) -> str | None:
    others = [f for f in data.varying_factors if f != x]
    return others[0] if others else None


def _labelled(frame: pd.DataFrame, column: str | None) -> tuple[pd.DataFrame, list[str] | None]:
    """The column as text labels in sorted level order (so 10 follows 5, not 1)."""
    if column is None:
        return frame, None
    order = [level_label(v) for v in sorted_levels(frame[column])]
    frame = frame.assign(**{column: frame[column].map(level_label)})
    return frame, order


def _symlog_threshold(values: np.ndarray, *, exact: bool = False) -> float:
    """The linear range of a symlog axis: up to the smallest non-zero magnitude (its power of
    ten, or the value itself with ``exact``), so every non-zero point lies in the log part."""
    positive = np.abs(values[np.isfinite(values) & (values != 0)])
    if not len(positive):
        return 1.0
    return float(positive.min()) if exact else float(10 ** math.floor(math.log10(positive.min())))


def _value_axis(ax, values: np.ndarray, label: str) -> None:
    """Label the y axis; values spanning more than three decades get a symlog axis (zeros
    stay visible), and non-negative values close to 0 start at 0."""
    ax.set_ylabel(label)
    positive = values[values > 0]
    symlog = values.min() >= 0 and len(positive) and positive.max() / positive.min() > 1e3
    if symlog:
        ax.set_yscale("symlog", linthresh=_symlog_threshold(values))
        ax.set_ylabel(label + ", symlog")
        _plain_ticks(ax.yaxis)
    if symlog or (values.min() >= 0 and values.max() > 0 and values.min() <= 0.25 * values.max()):
        # values near 0: start at 0, with headroom in the axis' own scale for the largest
        # point; values far from 0 (accuracy around 98 %) keep the automatic range
        ax.set_ylim(bottom=0, top=values.max() * (2.0 if symlog else 1.08))


def box_plots(data: ReportData, folder: Path) -> list[Figure]:
    x = primary_factor(data)
    hue = _hue(data, x)
    frame, order = _labelled(data.runs, x)
    frame, hue_order = _labelled(frame, hue)
    figures = []
    for metric, label in METRICS.items():
        values = frame[metric].dropna()
        if values.empty:
            continue
        fig, ax = plt.subplots(figsize=(6, 3.8))
        sns.boxplot(
            data=frame,
            x=x,
            y=metric,
            hue=hue,
            order=order,
            hue_order=hue_order,
            ax=ax,
            fliersize=0,
            width=0.6,
            legend=hue is not None,
        )
        sns.stripplot(
            data=frame,
            x=x,
            y=metric,
            hue=hue,
            order=order,
            hue_order=hue_order,
            ax=ax,
            dodge=hue is not None,
            color="0.2" if hue is None else None,
            size=3.5,
            alpha=0.8,
            legend=False,
            jitter=0.15,
        )
        ax.set_xlabel(_factor_label(x))
        _value_axis(ax, values.to_numpy(float), label)
        counts = frame.dropna(subset=[metric]).groupby([x, hue] if hue else x).size()
        ax.set_title(f"{label.split(' (')[0]} per {x} (n = {_range(counts)} runs per box)")
        sns.despine(fig)
        name = f"box_{metric}"
        _save(fig, folder, name)
        figures.append(
            Figure(
                name,
                f"{label.split(' (')[0].capitalize()} per {x}",
                f"Box plots of {label} of each run's best solution (final statistics row) per "
                f"{_factor_label(x)}{f', coloured by {hue}' if hue else ''}; box = quartiles, "
                "whiskers = 1.5 IQR, dots = runs.",
            )
        )
    return figures


def _range(counts: pd.Series) -> str:
    low, high = int(counts.min()), int(counts.max())
    return str(low) if low == high else f"{low}-{high}"


def _plain_ticks(axis) -> None:
    """Tick labels as plain numbers (0.05, 1, 100) instead of powers of ten."""
    axis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))


def _data_ticks(axis, values: np.ndarray, most: int = 8) -> None:
    """With few distinct values (accuracy moves in steps of one test image), tick every one,
    so each point can be read off exactly."""
    distinct = np.unique(np.round(values[np.isfinite(values)], 6))
    if 1 < len(distinct) <= most:
        axis.set_ticks(distinct)


def _mark_coincident(ax, points: np.ndarray) -> None:
    """Write ×k beside points that k runs share exactly (they would hide each other)."""
    unique, counts = np.unique(points, axis=0, return_counts=True)
    for (x, y), count in zip(unique, counts, strict=True):
        if count > 1:
            ax.annotate(
                f"×{count}",
                (x, y),
                xytext=(6, 3),
                textcoords="offset points",
                fontsize="x-small",
                color="0.3",
            )


def pareto_plots(data: ReportData, folder: Path) -> list[Figure]:
    figures = []
    hue = "threshold" if "threshold" in data.runs.columns else None
    for y, name in (
        ("accuracy_loss_pp", "pareto_energy_accuracy"),
        ("error_per_weight", "pareto_energy_error"),
    ):
        frame = data.runs.dropna(subset=["circuit_energy_pj", y])
        if frame.empty:
            continue
        frame, hue_order = _labelled(frame, hue)
        fig, ax = plt.subplots(figsize=(7, 4.2))
        sns.scatterplot(
            data=frame,
            x="circuit_energy_pj",
            y=y,
            hue=hue,
            hue_order=hue_order,
            style="experiment" if frame["experiment"].nunique() > 1 else None,
            ax=ax,
            s=40,
            alpha=0.75,
        )
        points = frame[["circuit_energy_pj", y]].to_numpy(float)
        front = points[pareto_mask(points)]
        front = front[np.lexsort((front[:, 1], front[:, 0]))]
        ax.plot(front[:, 0], front[:, 1], "k--", drawstyle="steps-post", linewidth=1)
        ax.scatter(
            front[:, 0],
            front[:, 1],
            s=130,
            facecolors="none",
            edgecolors="k",
            linewidths=1.2,
            label=f"Pareto front ({len(front)} run{'s' if len(front) != 1 else ''})",
        )
        _mark_coincident(ax, points)
        ax.set_xscale("symlog", linthresh=_symlog_threshold(points[:, 0]))
        ax.set_yscale("symlog", linthresh=_symlog_threshold(points[:, 1], exact=True))
        _plain_ticks(ax.xaxis)
        _plain_ticks(ax.yaxis)
        if y == "accuracy_loss_pp":
            _data_ticks(ax.yaxis, points[:, 1])
        ax.set_xlabel("circuit energy (pJ, symlog; 0 pJ = wiring only)")
        ax.set_ylabel(METRICS[y] + ", symlog")
        ax.legend(title=hue, fontsize="small", loc="upper left", bbox_to_anchor=(1.02, 1))
        ax.set_title(
            f"circuit energy vs {METRICS[y].split(' (')[0]}, both minimised (n = {len(points)} runs)"
        )
        sns.despine(fig)
        _save(fig, folder, name)
        figures.append(
            Figure(
                name,
                f"Pareto front: energy vs {METRICS[y].split(' (')[0]}",
                f"Each run's best solution (n = {len(points)}); circled runs, joined by the dashed "
                f"line, are those no other run beats in both circuit energy and {METRICS[y]}; ×k "
                f"marks k runs at the same point. Axes are symlog (linear near 0), so runs at 0 pJ "
                f"({WIRING_ONLY_NOTE}) or with zero loss are shown, not dropped.",
            )
        )
    return figures


def gate_plot(data: ReportData, folder: Path) -> list[Figure]:
    gates = data.gates
    if gates.empty or gates["threshold"].isna().all():
        return []
    levels = sorted_levels(gates["threshold"])
    chosen = [levels[0], levels[-1]] if len(levels) > 1 else levels
    part = gates[gates["threshold"].isin(chosen)]
    runs = part.groupby("threshold")["run"].nunique()
    per_run = part.groupby(["threshold", "function"], as_index=False)[
        ["quantity", "energy_pj"]
    ].sum()
    per_run["quantity"] /= per_run["threshold"].map(runs)
    per_run["energy_pj"] /= per_run["threshold"].map(runs)
    used = per_run.groupby("function")["quantity"].sum()
    per_run = per_run[per_run["function"].isin(used[used > 0].index)]
    totals = per_run.groupby("threshold")["energy_pj"].sum()
    per_run, hue_order = _labelled(per_run, "threshold")
    order = (
        per_run.groupby("function")["quantity"].sum().sort_values(ascending=False).index.tolist()
    )
    fig, axes = plt.subplots(
        1, 2, figsize=(10, 0.28 * len(order) + 1.8), sharey=True, layout="constrained"
    )
    sns.barplot(
        data=per_run,
        y="function",
        x="quantity",
        hue="threshold",
        order=order,
        hue_order=hue_order,
        ax=axes[0],
        orient="h",
    )
    sns.barplot(
        data=per_run,
        y="function",
        x="energy_pj",
        hue="threshold",
        order=order,
        hue_order=hue_order,
        ax=axes[1],
        orient="h",
        legend=False,
    )
    axes[0].set_xlabel("active gates per circuit (mean over runs, count)")
    energies = per_run["energy_pj"].to_numpy(float)
    if np.nanmax(energies, initial=0) > 0:
        axes[1].set_xscale("symlog", linthresh=_symlog_threshold(energies))
        _plain_ticks(axes[1].xaxis)
        axes[1].tick_params(axis="x", labelrotation=30)
    axes[1].set_xlabel("energy per circuit (mean over runs, pJ, symlog)")
    axes[0].set_ylabel("gate function")
    axes[1].set_ylabel("")
    axes[0].legend(title="threshold", fontsize="small", loc="lower right")
    lines = [
        f"threshold {level_label(t)}: {format_circuit_energy(totals.get(t, 0.0))}"
        if totals.get(t, 0.0) > 0
        else f"threshold {level_label(t)}: 0 pJ (wiring only)"
        for t in chosen
    ]
    axes[1].text(
        0.97,
        0.02,
        "total per circuit\n" + "\n".join(lines),
        transform=axes[1].transAxes,
        ha="right",
        va="bottom",
        fontsize="small",
    )
    count = sorted({int(runs[t]) for t in chosen})
    fig.suptitle(
        f"gate usage and energy per function, thresholds {' and '.join(map(level_label, chosen))}"
        f" ({' / '.join(map(str, count))} runs each)"
    )
    sns.despine(fig)
    _save(fig, folder, "gate_usage")
    return [
        Figure(
            "gate_usage",
            "Gate usage and energy per function",
            "Mean number of active gates of each function in a run's final circuit, and their "
            "energy (count × the gate table's pJ), for the lowest and highest threshold; from "
            "the gate statistics model-metrics writes (identity = the engine's free routing "
            "gate). Shifts and constants cost 0 pJ in the gate table.",
        )
    ]


def missing_weights_plot(data: ReportData, folder: Path) -> list[Figure]:
    frame = data.runs.dropna(subset=["missing_weights", "circuit_energy_pj"])
    if frame.empty:
        return []
    x = frame["missing_weights"].to_numpy(float)
    y = frame["circuit_energy_pj"].to_numpy(float)
    fig, ax = plt.subplots(figsize=(6, 4))
    hue = "threshold" if "threshold" in frame.columns else None
    frame, hue_order = _labelled(frame, hue)
    sns.scatterplot(
        data=frame,
        x="missing_weights",
        y="circuit_energy_pj",
        hue=hue,
        hue_order=hue_order,
        ax=ax,
        s=40,
    )
    if len(x) >= 3 and np.ptp(x) > 0 and np.ptp(y) > 0:
        slope, intercept = np.polyfit(x, y, 1)
        line = np.linspace(x.min(), x.max(), 50)
        r = float(np.corrcoef(x, y)[0, 1])
        ax.plot(
            line,
            slope * line + intercept,
            "k-",
            linewidth=1,
            label=f"least squares, Pearson r = {r:.2f}",
        )
        title = f"n = {len(x)} runs, Pearson r = {r:.2f}"
    else:
        title = (
            f"n = {len(x)} runs; r undefined: every run has {int(x[0])} missing weights"
            if np.ptp(x) == 0
            else f"n = {len(x)} runs; r undefined (too few runs or constant energy)"
        )
    ax.set_xlabel("missing weights (distinct output values not among the inputs, count)")
    _value_axis(ax, y, "circuit energy (pJ)")
    ax.set_title(title)
    ax.legend(title=hue, fontsize="small")
    sns.despine(fig)
    _save(fig, folder, "missing_weights_energy")
    return [
        Figure(
            "missing_weights_energy",
            "Missing weights vs circuit energy",
            "Circuit energy of each run's best solution against the number of weight values the "
            "circuit must build (not among its inputs), with a least-squares line and Pearson's r "
            "where both vary.",
        )
    ]


def accuracy_swarm(data: ReportData, folder: Path) -> list[Figure]:
    frame = data.accuracy
    if frame.empty or "threshold" not in frame.columns or frame["accuracy_loss_pp"].isna().all():
        return []
    frame, order = _labelled(frame.dropna(subset=["accuracy_loss_pp"]), "threshold")
    fig, ax = plt.subplots(figsize=(6, 3.8))
    sns.swarmplot(
        data=frame,
        x="threshold",
        y="accuracy_loss_pp",
        hue="dataset_split",
        order=order,
        dodge=frame["dataset_split"].nunique() > 1,
        ax=ax,
        size=4,
    )
    ax.axhline(0, color="0.5", linewidth=0.8)
    ax.set_xlabel(_factor_label("threshold"))
    ax.set_ylabel("accuracy loss (top-1, percentage points)")
    ax.set_title(f"accuracy loss per threshold and dataset split (n = {len(frame)})")
    ax.legend(title="dataset.split", fontsize="small")
    sns.despine(fig)
    _save(fig, folder, "accuracy_loss_swarm")
    return [
        Figure(
            "accuracy_loss_swarm",
            "Accuracy loss per threshold and dataset split",
            "Baseline top-1 minus top-1 with each run's final circuit injected, in percentage "
            "points (below 0: the circuit's weights did better), one dot per run and split.",
        )
    ]


def layer_bars(data: ReportData, folder: Path) -> list[Figure]:
    runs = data.runs
    if "layers" not in data.varying_factors:
        return []
    table = runs.groupby("layers").agg(
        energy=("circuit_energy_pj", "median"),
        missing=("missing_weights", "median"),
        n=("run", "size"),
    )
    fig, ax = plt.subplots(figsize=(max(5, 0.8 * len(table) + 2), 3.8))
    positions = np.arange(len(table))
    ax.bar(
        positions - 0.2,
        table["energy"],
        width=0.4,
        color=sns.color_palette()[0],
        label="median circuit energy",
    )
    ax.set_ylabel("median circuit energy (pJ)")
    twin = ax.twinx()
    twin.bar(
        positions + 0.2,
        table["missing"],
        width=0.4,
        color=sns.color_palette()[1],
        label="missing weights",
    )
    twin.set_ylabel("missing weights (count)")
    ax.set_xticks(positions, table.index, rotation=30, ha="right")
    ax.set_xlabel(_factor_label("layers"))
    # each axis label in the colour of its bars (a legend would cover bars or the x label)
    ax.set_ylabel("median circuit energy (pJ, left bars)", color=sns.color_palette()[0])
    twin.set_ylabel("missing weights (count, right bars)", color=sns.color_palette()[1])
    ax.set_title(f"energy and missing weights per layer (n = {_range(table['n'])} runs per layer)")
    _save(fig, folder, "layers_energy_missing")
    return [
        Figure(
            "layers_energy_missing",
            "Energy and missing weights per layer",
            "Median circuit energy over the runs of each layer (left axis) beside the number of "
            "weight values the circuit must build (right axis).",
        )
    ]


def sensitivity_plot(paths: list[Path], folder: Path) -> list[Figure]:
    """Top-1 accuracy against the constant added to the int8 conv weights (model:sensitivity)."""
    if not paths:
        return []
    fig, ax = plt.subplots(figsize=(6, 3.8))
    for path in paths:
        frame = pd.read_csv(path)
        kind = path.name.split(".")[-3] if path.name.count(".") >= 3 else path.stem
        label = SENSITIVITY_LABELS.get(kind, kind)
        ax.plot(frame["error"], frame["top-1"] * 100, label=label, linewidth=1.2)
    ax.set_xlabel("offset added to the int8 conv weights (int8 steps)")
    ax.set_ylabel("top-1 accuracy (%)")
    ax.legend(title="weights disturbed", fontsize="small")
    ax.set_title("LeNet-5 weight-offset sensitivity (model:sensitivity)")
    sns.despine(fig)
    _save(fig, folder, "sensitivity_offsets")
    return [
        Figure(
            "sensitivity_offsets",
            "Weight-offset sensitivity",
            "Top-1 accuracy when a constant is added (saturating at -128..127) to the inner 3x3 "
            "core, the outer ring or all of every 5x5 conv kernel, from "
            + ", ".join(p.name for p in paths)
            + ".",
        )
    ]


def all_figures(data: ReportData, folder: Path, sensitivity: list[Path]) -> list[Figure]:
    apply_style()
    folder.mkdir(parents=True, exist_ok=True)
    figures: list[Figure] = []
    for make in (
        box_plots,
        pareto_plots,
        gate_plot,
        missing_weights_plot,
        accuracy_swarm,
        layer_bars,
    ):
        figures += make(data, folder)
    figures += sensitivity_plot(sensitivity, folder)
    return figures
