"""The one conversion from a per-weight error to the engine's integer error threshold.

Users think in "each produced weight may be off by about e" (``--mse-thresholds``,
``-e/--allowed-mse-error``); the engine compares its summed error metric against an integer. The
original converted differently in each experiment (m²·2400 hard-coded, m²·outputs·items, or the raw
value); here every experiment and every option uses :func:`engine_threshold`:

======  ==========================================  ==================
metric  engine error                                threshold for e
======  ==========================================  ==================
SE      Σ (produced − expected)² over outputs       e² · N
MSE     Σ over items of (item SE // item outputs)   e² · items
AE      Σ |produced − expected| over outputs        e · N
======  ==========================================  ==================

N is the number of meaningful (non-``x``) outputs over all dataset items, ``items`` the dataset
size. The result is floored, so a circuit whose every weight is off by at most e is accepted.
"""

from __future__ import annotations

import math

from compress.errors import CompressError

ERROR_METRICS = ("SE", "MSE", "AE")


def engine_threshold(per_weight_error: float, metric: str, *, outputs: int, items: int) -> int:
    """Integer engine threshold for a per-weight error ``e`` (see the module table).

    >>> engine_threshold(0.5, "SE", outputs=2400, items=1)
    600
    >>> engine_threshold(2, "MSE", outputs=1632, items=2)
    8
    >>> engine_threshold(3, "AE", outputs=16, items=1)
    48
    """
    metric = metric.upper()
    if per_weight_error < 0 or not math.isfinite(per_weight_error):
        raise CompressError(
            f"a per-weight error must be a finite number >= 0, got {per_weight_error}"
        )
    if metric == "SE":
        value = per_weight_error**2 * outputs
    elif metric == "MSE":
        value = per_weight_error**2 * items
    elif metric == "AE":
        value = per_weight_error * outputs
    else:
        raise CompressError(
            f"unknown error metric {metric!r}; choose one of {', '.join(ERROR_METRICS)}"
        )
    # Guard against 599.9999999 from float rounding before flooring.
    return int(math.floor(value + 1e-9))


def per_weight_error(engine_error: float, metric: str, *, outputs: int, items: int) -> float:
    """The inverse: an engine error expressed as a per-weight error (RMS for SE/MSE, mean for AE)."""
    metric = metric.upper()
    if not math.isfinite(engine_error):
        return math.inf
    if metric == "SE":
        return math.sqrt(engine_error / outputs)
    if metric == "MSE":
        return math.sqrt(engine_error / items)
    if metric == "AE":
        return engine_error / outputs
    raise CompressError(
        f"unknown error metric {metric!r}; choose one of {', '.join(ERROR_METRICS)}"
    )
