"""Energy columns for results and the compact summary table the demo prints.

What is compared (the same statement appears in ``data_store/gates/README.md``): the circuit's
energy is the engine's ``energy`` column, the sum of the active gates' per-evaluation energy in
pJ – the energy to compute **all** the layer's weights **once** (the circuit produces them in
parallel). The fetch energy of a level is the energy to **read** the same weights **once** from
that memory level. ``saving_ratio_<level>`` = fetch energy / circuit energy: above 1 the circuit
is cheaper than the read; ``inf`` when the circuit is pure wiring (0 pJ).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from compress.energy.memory import MemoryLevel, load_memory_table, memory_fetch_energy_pj
from compress.errors import CompressError


def energy_columns(
    circuit_energy_pj: float,
    weights_produced: int,
    *,
    bytes_per_weight: int = 1,
    levels: tuple[MemoryLevel, ...] | None = None,
) -> dict[str, float]:
    """Result columns: ``circuit_energy_pj``, ``fetch_energy_<level>_pj``, ``saving_ratio_<level>``.

    Columns come in a fixed order (circuit, then per level fetch and ratio), so CSV writers can
    use the keys as the header.
    """
    if not math.isfinite(circuit_energy_pj) or circuit_energy_pj < 0:
        raise CompressError(f"circuit energy {circuit_energy_pj} pJ must be finite and >= 0")
    fetch = memory_fetch_energy_pj(weights_produced, bytes_per_weight, levels=levels)
    columns: dict[str, float] = {"circuit_energy_pj": float(circuit_energy_pj)}
    for level, energy in fetch.items():
        columns[f"fetch_energy_{level}_pj"] = energy
    for level, energy in fetch.items():
        columns[f"saving_ratio_{level}"] = saving_ratio(energy, circuit_energy_pj)
    return columns


def saving_ratio(fetch_energy_pj: float, circuit_energy_pj: float) -> float:
    """Fetch energy / circuit energy; ``inf`` for a free circuit, 0/0 → 1 (nothing to fetch)."""
    if circuit_energy_pj == 0:
        return 1.0 if fetch_energy_pj == 0 else math.inf
    return fetch_energy_pj / circuit_energy_pj


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


def format_summary_table(
    rows: Iterable[SummaryRow],
    *,
    levels: Sequence[str] = ("sram_8kb", "dram"),
    memory: tuple[MemoryLevel, ...] | None = None,
) -> str:
    """A fixed-width text table: threshold, error, accuracy before/after, energies, gates.

    Fetch energies are computed from ``weights_produced`` with the memory table, shown beside
    the circuit energy with their ratio (e.g. ``1.3e+03 (×52)``).
    """
    memory = load_memory_table() if memory is None else memory
    known = {level.level for level in memory}
    for level in levels:
        if level not in known:
            raise CompressError(f"memory level {level!r} not in the memory table ({sorted(known)})")
    header = ["threshold", "error", "top-1 before", "top-1 after", "circuit pJ"]
    header += [f"{level} fetch pJ (x circuit)" for level in levels]
    header += ["gates"]
    table = [header]
    for row in rows:
        fetch = memory_fetch_energy_pj(row.weights_produced, levels=memory)
        cells = [
            f"{row.threshold:g}",
            f"{row.error:g}",
            f"{row.top1_before:.2%}",
            f"{row.top1_after:.2%}",
            _pj(row.circuit_energy_pj),
        ]
        for level in levels:
            ratio = saving_ratio(fetch[level], row.circuit_energy_pj)
            cells.append(f"{_pj(fetch[level])} (x{_ratio(ratio)})")
        cells.append(str(row.gate_count))
        table.append(cells)
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    lines = ["  ".join(cell.rjust(w) for cell, w in zip(r, widths, strict=True)) for r in table]
    lines.insert(1, "  ".join("-" * w for w in widths))
    note = (
        "circuit pJ: one evaluation of the circuit (all weights at once); "
        "fetch pJ: reading the same int8 weights once from that memory (Horowitz, ISSCC 2014, 45 nm)"
    )
    return "\n".join([*lines, note])


def _pj(value: float) -> str:
    return f"{value:,.0f}" if value >= 1000 else f"{value:.4g}"


def _ratio(value: float) -> str:
    if math.isinf(value):
        return "inf"
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"
