"""The compact summary table the demo prints: a threshold's best circuit, accuracy and energy.

Energies compare whole configurations per inference (:mod:`compress.energy.accounting`): fetching
every weight involved without the circuit against fetching the circuit's inputs and computing the
rest. A 0 pJ circuit is printed as "wiring only", and a configuration that costs nothing is given
as the fetch energy it avoids, never as an infinite ratio.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from compress.energy.accounting import (
    WIRING_ONLY_NOTE,
    FetchCounts,
    configuration_energy_columns,
    format_circuit_energy,
    format_pj,
    format_saving,
)
from compress.energy.memory import MemoryLevel, load_memory_table
from compress.errors import CompressError


@dataclass(frozen=True)
class SummaryRow:
    """One line of the demo's summary: a threshold's best circuit and what it did to accuracy."""

    threshold: float
    error: float
    top1_before: float
    top1_after: float
    circuit_energy_pj: float
    weights_produced: int
    gate_count: int
    weights_fetched_with_circuit: int
    """The circuit's input weights (still read when the circuit computes the rest)."""
    weights_fetched_without_circuit: int
    """Distinct weights in inputs ∪ outputs (all read when there is no circuit)."""


def format_summary_table(
    rows: Iterable[SummaryRow],
    *,
    levels: Sequence[str] = ("sram_8kb", "dram"),
    memory: tuple[MemoryLevel, ...] | None = None,
) -> str:
    """A fixed-width text table: threshold, error, accuracy before/after, energies, gates.

    Per memory level: the configuration without circuit (fetch inputs ∪ outputs), with circuit
    (fetch inputs + circuit) and the saving (difference and ratio, or the fetch energy avoided).
    """
    memory = load_memory_table() if memory is None else memory
    known = {level.level for level in memory}
    for level in levels:
        if level not in known:
            raise CompressError(f"memory level {level!r} not in the memory table ({sorted(known)})")
    header = ["threshold", "error", "top-1 before", "top-1 after", "circuit energy"]
    for level in levels:
        header += [
            f"{level}: fetch in+out, no circuit pJ",
            f"{level}: fetch in + circuit pJ",
            f"{level}: saving per inference",
        ]
    header += ["gates"]
    table = [header]
    for row in rows:
        counts = FetchCounts(row.weights_fetched_with_circuit, row.weights_fetched_without_circuit)
        columns = configuration_energy_columns(
            row.circuit_energy_pj, counts, row.weights_produced, levels=memory
        )
        cells = [
            f"{row.threshold:g}",
            f"{row.error:g}",
            f"{row.top1_before:.2%}",
            f"{row.top1_after:.2%}",
            format_circuit_energy(row.circuit_energy_pj),
        ]
        for level in levels:
            without = float(columns[f"fetch_inputs_and_outputs_without_circuit_{level}_pj"])
            with_circuit = float(columns[f"fetch_inputs_plus_circuit_{level}_pj"])
            cells += [
                format_pj(without),
                format_pj(with_circuit),
                format_saving(without, with_circuit),
            ]
        cells.append(str(row.gate_count))
        table.append(cells)
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    lines = ["  ".join(cell.rjust(w) for cell, w in zip(r, widths, strict=True)) for r in table]
    lines.insert(1, "  ".join("-" * w for w in widths))
    notes = [
        "circuit energy: one evaluation of the circuit (all weights at once), from the gate table; "
        f"0 pJ means {WIRING_ONLY_NOTE}.",
        "fetch in+out, no circuit: reading every weight involved (the circuit's inputs and the "
        "weights it would produce) once; fetch in + circuit: reading only the inputs, then "
        "evaluating the circuit. int8 reads priced by Horowitz, ISSCC 2014, 45 nm; neither side "
        "includes moving weights to the multipliers or addressing.",
    ]
    return "\n".join([*lines, *notes])
