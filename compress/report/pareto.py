"""Non-dominated runs: lower circuit energy against lower accuracy loss (or lower error).

Run a dominates run b when a is no worse in both objectives and better in at least one; runs with
identical objective values do not dominate each other, so all of them stay on the front.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

FRONTS = (
    ("circuit_energy_pj", "accuracy_loss_pp"),
    ("circuit_energy_pj", "error_per_weight"),
)

OBJECTIVES = ("circuit_energy_pj", "accuracy_loss_pp", "error_per_weight")


def pareto_mask(points: np.ndarray) -> np.ndarray:
    """Boolean mask of the non-dominated rows of an ``n × 2`` array, both objectives minimised.

    Sorted by the first objective (then the second), a point is on the front when its second
    objective is strictly below every earlier point's, or it equals the last front point exactly.
    """
    points = np.asarray(points, dtype=float)
    mask = np.zeros(len(points), dtype=bool)
    order = np.lexsort((points[:, 1], points[:, 0]))
    best = np.inf
    last = None
    for index in order:
        x, y = points[index]
        if y < best:
            mask[index] = True
            best = y
            last = (x, y)
        elif last is not None and (x, y) == last:
            mask[index] = True
    return mask


def pareto_table(runs: pd.DataFrame, scope_factor: str | None) -> pd.DataFrame:
    """``pareto.csv``: the front of every objective pair, globally and per ``scope_factor`` level
    (the layers of a multi-layer experiment)."""
    frames = []
    keep = [
        c
        for c in ("experiment", "sub_experiment", "run", "threshold", "grid", "layers")
        if c in runs.columns
    ]
    for x, y in FRONTS:
        usable = runs.dropna(subset=[x, y])
        if usable.empty:
            continue
        scopes = [("global", usable)]
        if scope_factor and usable[scope_factor].nunique() > 1:
            scopes += [
                (f"{scope_factor} {level}", part) for level, part in usable.groupby(scope_factor)
            ]
        for scope, part in scopes:
            front = part[pareto_mask(part[[x, y]].to_numpy())]
            frame = front[keep + [c for c in OBJECTIVES if c in front.columns]].copy()
            frame.insert(0, "scope", scope)
            frame.insert(0, "objectives", f"minimise {x} and {y}")
            frames.append(frame.sort_values(x))
    if not frames:
        return pd.DataFrame(columns=["objectives", "scope", *keep])
    return pd.concat(frames, ignore_index=True)
