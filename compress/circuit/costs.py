"""What the gate table says an exported circuit costs: energy (pJ) and area (µm²) of its active gates.

This is the estimate the engine optimises (the sum over active gates of the table's per-gate
figures, ID free), computed here so that an export and a synthesis report can put it next to what
a synthesis tool measures. Costs come either from a gate table CSV (``--gate-table``) or from the
``gate_parameters.txt`` an experiment folder was trained with, so a run's figures match the
engine's ``best_solution`` line exactly.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from compress.circuit.chromosome import ID_FUNCTION, Circuit, function_name
from compress.energy.functions import BASE_FUNCTION_COUNT, DEMUX_ID, MUX_ID, demux_name, mux_name
from compress.energy.gates import GateTable
from compress.energy.quantize import read_gate_parameters
from compress.errors import CompressError


@dataclass(frozen=True)
class GateCosts:
    """Energy (pJ) and area (µm²) per function id, with where the figures came from."""

    energy_pj: dict[int, float]
    area_um2: dict[int, float]
    source: str


@dataclass(frozen=True)
class CircuitCost:
    """The gate-table estimate of one circuit."""

    gate_count: int
    energy_pj: float
    area_um2: float
    gates_by_function: dict[str, int]
    source: str


def multiplexer_width(dataset_size: int) -> int:
    """The MUX/DEMUX variant the engine costs for a dataset size (2, 4, 8 or 16 inputs)."""
    bits = 1
    while bits < 4 and (1 << bits) < dataset_size:
        bits += 1
    return 1 << bits


def costs_from_table(table: GateTable, dataset_size: int) -> GateCosts:
    """Per-id costs from a gate table; MUX/DEMUX only when the table has the needed width."""
    energy: dict[int, float] = {}
    area: dict[int, float] = {}
    for gate in table.base_gates():
        energy[gate.function_id] = gate.energy_pj
        area[gate.function_id] = gate.area_um2
    width = multiplexer_width(dataset_size)
    for function_id, name in ((MUX_ID, mux_name(width)), (DEMUX_ID, demux_name(width))):
        if table.has(name):
            gate = table.by_name(name)
            energy[function_id] = gate.energy_pj
            area[function_id] = gate.area_um2
    return GateCosts(energy, area, str(table.path) if table.path else "gate table")


def costs_from_parameters(path: Path, dataset_size: int) -> GateCosts:
    """Per-id costs from an engine ``gate_parameters.txt``, read by the engine's line rule."""
    lines = read_gate_parameters(path)
    if len(lines) < BASE_FUNCTION_COUNT:
        raise CompressError(
            f"{path}: {len(lines)} gate lines, expected at least {BASE_FUNCTION_COUNT}"
        )
    energy = {i: lines[i].energy_pj for i in range(BASE_FUNCTION_COUNT)}
    area = {i: lines[i].area_um2 for i in range(BASE_FUNCTION_COUNT)}
    if len(lines) >= 35:
        bits = multiplexer_width(dataset_size).bit_length() - 1
        mux_line, demux_line = 27 + bits - 1, 31 + bits - 1
    else:
        mux_line, demux_line = MUX_ID, DEMUX_ID
    for function_id, line in ((MUX_ID, mux_line), (DEMUX_ID, demux_line)):
        if line < len(lines):
            energy[function_id] = lines[line].energy_pj
            area[function_id] = lines[line].area_um2
    return GateCosts(energy, area, str(path))


def circuit_cost(circuit: Circuit, costs: GateCosts) -> CircuitCost:
    """Sum the costs of the active gates (ID costs nothing, as in the engine)."""
    by_function: Counter[int] = Counter(circuit.nodes[i].function for i in circuit.active_nodes)
    energy = area = 0.0
    for function_id, count in by_function.items():
        if function_id == ID_FUNCTION:
            continue
        if function_id not in costs.energy_pj:
            raise CompressError(
                f"{costs.source} has no cost for {function_name(function_id)} (function "
                f"{function_id}); pass a gate table with a row for it"
            )
        energy += costs.energy_pj[function_id] * count
        area += costs.area_um2[function_id] * count
    names = {function_name(f): n for f, n in sorted(by_function.items())}
    return CircuitCost(circuit.gate_count, energy, area, names, costs.source)
