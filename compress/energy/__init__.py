"""Energy model: gate cost table, the engine's quantized costs, memory-fetch energy, reports.

Units are part of every name (``energy_pj``, ``delay_ns``, ``area_um2``,
``read_energy_pj_per_byte``); the original printed picojoules labelled as microjoules.
Sources of every shipped number: ``data_store/gates/README.md``.
"""

from compress.energy.accounting import (
    WIRING_ONLY_NOTE,
    FetchCounts,
    configuration_energy_columns,
    fetch_counts,
    format_circuit_energy,
)
from compress.energy.constructive import (
    ConstructiveEstimate,
    constructive_reference,
    missing_values,
)
from compress.energy.gates import (
    DEFAULT_GATE_TABLE,
    Gate,
    GateTable,
    load_gate_table,
    write_gate_table,
)
from compress.energy.memory import MemoryLevel, load_memory_table, memory_fetch_energy_pj
from compress.energy.quantize import (
    GateParameters,
    gate_parameters,
    read_gate_parameters,
    write_gate_parameters,
)
from compress.energy.report import SummaryRow, format_summary_table
from compress.energy.seeding import constructive_chromosome

__all__ = [
    "DEFAULT_GATE_TABLE",
    "WIRING_ONLY_NOTE",
    "FetchCounts",
    "ConstructiveEstimate",
    "Gate",
    "GateParameters",
    "GateTable",
    "MemoryLevel",
    "SummaryRow",
    "constructive_chromosome",
    "constructive_reference",
    "configuration_energy_columns",
    "fetch_counts",
    "format_circuit_energy",
    "format_summary_table",
    "gate_parameters",
    "load_gate_table",
    "load_memory_table",
    "memory_fetch_energy_pj",
    "missing_values",
    "read_gate_parameters",
    "write_gate_parameters",
    "write_gate_table",
]
