"""What every column of a model-metrics CSV means, with its unit: written as ``COLUMNS.md`` beside
the CSVs, so a reader of the numbers never has to guess (the original's columns keep their names,
which carry no unit)."""

from __future__ import annotations

from pathlib import Path

from compress.atomic import write_text_atomic
from compress.energy.accounting import WIRING_ONLY_NOTE

COLUMN_DESCRIPTIONS: dict[str, str] = {
    "run": "1-based run number of the sub-experiment",
    "generation": "generation at which the engine logged the chromosome",
    "timestamp": "seconds since the run started when the chromosome was logged",
    "error": "the engine's raw error (SE: sum of squared int8 differences over all outputs)",
    "quantized_energy": "the engine's integer energy: the sum of the active gates' quantized costs "
    "(gate_parameters.txt); multiply by energy_pj_per_quantum of gate_parameters.csv for pJ. "
    "The engine optimises this number; `energy` is the same sum in pJ",
    "energy": "circuit energy per evaluation of one dataset item, pJ (gate table)",
    "area": "circuit area, µm² (gate table)",
    "quantized_delay": "the engine's integer critical-path delay (gate_parameters.txt units)",
    "delay": "critical-path delay, ns (gate table)",
    "gate_count": "active gates",
    "depth": "active gates on the longest path",
    "chromosome": "the circuit, in the engine's chromosome format",
    "Top-1": "top-1 accuracy with the circuit's weights injected (fraction 0-1)",
    "Top-5": "top-5 accuracy with the circuit's weights injected (fraction 0-1)",
    "Loss": "mean cross-entropy loss (nats) with the weights injected (empty without -l)",
    "Run ID": "chromosome index k: weights in all_weights/weights.<run>.<k>.txt, gate usage in "
    "gate_statistics/statistics.<run>.<k>.txt",
    "baseline_top1": "top-1 accuracy of the unmodified model (fraction 0-1)",
    "baseline_top5": "top-5 accuracy of the unmodified model (fraction 0-1)",
    "baseline_loss": "loss of the unmodified model (nats)",
    "accuracy_loss_pp": "baseline top-1 minus top-1, percentage points (negative = better)",
    "weights_produced": "weights the circuit outputs (meaningful outputs over all dataset items)",
    "missing_weights": "distinct output values that are not among the input values",
    "energy_lower_bound_pj": "exact circuits (error 0) of one-item folders only: the proven lower "
    "bound on the gate energy of every exact circuit for this train.data and gate table, pJ per "
    "evaluation (energy:optimal; docs/optimal-circuits.md)",
    "optimality_gap_ratio": "energy ÷ energy_lower_bound_pj (1.0 = proven optimal; empty when no "
    "bound applies)",
    "weights_fetched_with_circuit": "distinct model weights still read with the circuit: its inputs",
    "weights_fetched_without_circuit": "distinct model weights read without the circuit: "
    "inputs ∪ outputs",
    "circuit_energy_pj": "energy of the circuit producing every weight once: energy × dataset "
    f"items, pJ; 0 pJ = {WIRING_ONLY_NOTE}",
    "circuit_energy_note": "'wiring only' explanation when circuit_energy_pj is 0, else empty",
    "wire_energy_pj": "interconnect term: --wire-energy-pj-per-output × weights_produced, pJ "
    "(only when the option is given)",
    "fetch_inputs_and_outputs_without_circuit_<level>_pj": "configuration without circuit: "
    "reading weights_fetched_without_circuit int8 weights once from <level>, pJ",
    "fetch_inputs_plus_circuit_<level>_pj": "configuration with circuit: reading the inputs once "
    "from <level> plus circuit_energy_pj (plus wire_energy_pj), pJ",
    "energy_saved_per_inference_<level>_pj": "without minus with circuit, pJ per inference "
    "(negative: the circuit configuration costs more); with a free configuration this is the "
    "fetch energy avoided",
    "energy_ratio_without_over_with_circuit_<level>": "without ÷ with circuit (above 1: the "
    "circuit configuration is cheaper); empty when the with-circuit total is 0 pJ",
}

MEMORY_NOTE = (
    "<level> is a memory level of data_store/gates/memory_45nm.csv (sram_8kb, sram_32kb, sram_1mb, "
    "dram; Horowitz, ISSCC 2014, 45 nm). Neither configuration includes moving the weights on to "
    "the multipliers, addressing or refresh."
)


def columns_markdown() -> str:
    lines = ["# Columns of the model-metrics CSVs", "", "| column | meaning |", "|---|---|"]
    lines += [f"| `{name}` | {text} |" for name, text in COLUMN_DESCRIPTIONS.items()]
    return "\n".join([*lines, "", MEMORY_NOTE, ""])


def write_columns_file(folder: Path) -> Path:
    """``COLUMNS.md`` in ``folder`` (same text every time, so rewriting it loses nothing)."""
    path = Path(folder) / "COLUMNS.md"
    write_text_atomic(path, columns_markdown())
    return path
