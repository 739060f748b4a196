"""The report's hardware check: the cheapest exact circuit synthesised by Yosys, beside the gate
table's estimate for the same gates.

The gate table prices every active gate as a separate 8-bit unit; synthesis turns shifts and
identities into wiring, shares logic and drops bits no output reads. Setting the two side by side
for one real circuit shows the reader how far the table's energy and area can be trusted.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from compress.errors import CompressError


def cheapest_exact_run(runs: pd.DataFrame) -> pd.Series | None:
    """The run with error 0 and the lowest circuit energy (``None`` when no run is exact)."""
    exact = runs[(runs["error_per_weight"] == 0) & runs["circuit_energy_pj"].notna()]
    if exact.empty:
        return None
    return exact.sort_values(["circuit_energy_pj", "gate_count"]).iloc[0]


def hardware_table(runs: pd.DataFrame) -> tuple[pd.DataFrame | None, str]:
    """(one-row table, sentence) for the cheapest exact run; the table is ``None`` (and the
    sentence says why) when no run is exact or Yosys is not installed."""
    from compress.circuit.costs import circuit_cost, costs_from_parameters
    from compress.circuit.source import load_circuit
    from compress.circuit.synth import synthesise

    run = cheapest_exact_run(runs)
    if run is None:
        return None, "No run reached error 0, so no exact circuit was synthesised."
    folder = Path(run["folder"])
    source = load_circuit(str(folder), int(run["run"]))
    try:
        report = synthesise(source.circuit, name="circuit")
    except CompressError as error:
        return None, f"The cheapest exact circuit ({source.label}) was not synthesised: {error}"
    if source.gate_parameters_path is None:
        return None, f"{folder} has no gate_parameters file, so the table's estimate is unknown."
    cost = circuit_cost(
        source.circuit,
        costs_from_parameters(source.gate_parameters_path, source.circuit.dataset_size),
    )
    cells = ", ".join(
        f"{count} {kind}" for kind, count in sorted(report.cells.items(), key=lambda x: -x[1])
    )
    table = pd.DataFrame(
        [
            {
                "circuit": source.label,
                "active gates (table)": cost.gate_count,
                "table energy (pJ)": cost.energy_pj,
                "table area (µm²)": cost.area_um2,
                "Yosys cells": report.cell_count,
                "cells by type": cells,
                "transistors (stat -tech cmos)": report.transistors
                if report.transistors is not None
                else "not estimated",
            }
        ]
    )
    sentence = (
        f"The cheapest exact circuit ({source.label}) synthesised with {report.yosys_version} "
        "(`synth -flatten`, generic cells), beside the gate table's estimate for the same active "
        "gates. The table prices every gate as a separate 8-bit unit; synthesis turns shifts and "
        "identities into wiring and shares logic, so the cell count shows how pessimistic or "
        "optimistic the table is for this circuit. Generic cells carry no energy or area: "
        "`circuit:synth --liberty` maps to a real library."
    )
    return table, sentence
