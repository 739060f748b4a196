"""Shared by the report tests (not a test module): synthetic runs of a multi-layer experiment."""

from __future__ import annotations

import numpy as np
import pandas as pd

from compress.report.loading import METRICS, ReportData


def synthetic_data() -> ReportData:
    """Three layers x three thresholds x five runs, energy falling with the threshold."""
    rng = np.random.default_rng(3)
    records = []
    for layer_index, layer in enumerate(("conv1", "conv2", "fc1")):
        for threshold in (0.0, 5.0, 10.0):
            for run in range(1, 6):
                record = {
                    "experiment": "all_layers",
                    "sub_experiment": f"{layer}_mse_{threshold}",
                    "run": run,
                    "threshold": threshold,
                    "layers": layer,
                    "grid": "256x31",
                    "error_metric": "SE",
                    "missing_weights": 20 + 10 * layer_index,
                }
                for metric in METRICS:
                    record[metric] = float(rng.normal(10, 1))
                record["circuit_energy_pj"] = float(
                    100 - 8 * threshold + 5 * layer_index + rng.normal(0, 2)
                )
                record["gate_count"] = 40.0
                records.append(record)
    runs = pd.DataFrame(records)
    return ReportData(
        runs=runs,
        accuracy=pd.DataFrame(),
        gates=pd.DataFrame(),
        factors=["experiment", "threshold", "error_metric", "grid", "layers"],
        folders=[],
    )
