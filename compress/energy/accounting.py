"""Energy of whole configurations: the layer's weights fetched, or computed by the circuit.

A circuit does not remove every fetch: its own input weights (conv1's 150 weights for
``layer_bypass``, or the weights a self-approximating layer keeps) must still be read. So the honest
comparison is between two whole configurations, per inference and per memory level:

* **without circuit**: fetch every weight involved, ``fetch(inputs ∪ outputs)``;
* **with circuit**: fetch the circuit's input weights and compute the rest,
  ``fetch(inputs) + circuit`` (+ an optional interconnect term per produced weight).

Their difference is the energy saved per inference (negative when the circuit costs more) and
their ratio says how many times cheaper the circuit configuration is. A circuit made only of shifts
and constants costs 0 pJ under the gate table; that is stated as such ("wiring only"), and when the
"with circuit" total is 0 the ratio is left empty and the saving is the fetch energy avoided, never
``inf``. Neither side includes moving weights on to the multipliers, addressing or refresh.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from compress.energy.memory import MemoryLevel, memory_fetch_energy_pj
from compress.errors import CompressError

WIRING_ONLY_NOTE = "wiring only: shifts and constants, which the gate table prices at 0"
"""What a 0 pJ circuit is: said wherever such a circuit's energy is printed."""


@dataclass(frozen=True)
class FetchCounts:
    """Distinct weights read per inference in each configuration (constants are not weights)."""

    inputs: int
    """Weights the circuit reads (its primary inputs that are model weights)."""
    inputs_and_outputs: int
    """Distinct weights in inputs ∪ outputs: what is read when there is no circuit."""


def fetch_counts(combinations: Sequence, shapes: Mapping[str, Sequence[int]], *, input_count: int):
    """:class:`FetchCounts` of a sub-experiment's dataset items (selector combinations).

    Positions are counted once even when several items or selectors share them; inputs beyond the
    engine's ``input_count`` are cut, as ``train.data`` cuts them.
    """
    from compress.selection import Values, flat_positions, item_positions

    inputs: set[tuple[str, int]] = set()
    outputs: set[tuple[str, int]] = set()
    for combination in combinations:
        taken = 0
        for selector in combination:
            for part in selector.inp:
                if isinstance(part, Values):
                    taken += len(part.values)
                    continue
                positions = flat_positions(shapes[selector.layer], part)
                room = max(input_count - taken, 0)
                inputs.update((selector.layer, int(p)) for p in positions[:room])
                taken += len(positions)
        for layer, indices in item_positions(combination, shapes).chunks:
            if layer is not None:
                outputs.update((layer, int(i)) for i in np.asarray(indices))
    return FetchCounts(inputs=len(inputs), inputs_and_outputs=len(inputs | outputs))


def configuration_energy_columns(
    circuit_energy_pj: float,
    counts: FetchCounts,
    weights_produced: int,
    *,
    wire_energy_pj_per_output: float | None = None,
    bytes_per_weight: int = 1,
    levels: tuple[MemoryLevel, ...] | None = None,
) -> dict[str, float | str]:
    """Result columns comparing the two configurations per memory level (units in every name).

    ``circuit_energy_pj`` (with ``circuit_energy_note``), ``wire_energy_pj`` when an interconnect
    term is given, then per level: ``fetch_inputs_and_outputs_without_circuit_<level>_pj``,
    ``fetch_inputs_plus_circuit_<level>_pj``, ``energy_saved_per_inference_<level>_pj``
    (without − with) and ``energy_ratio_without_over_with_circuit_<level>`` (empty when the "with
    circuit" total is 0).
    """
    if not math.isfinite(circuit_energy_pj) or circuit_energy_pj < 0:
        raise CompressError(f"circuit energy {circuit_energy_pj} pJ must be finite and >= 0")
    if wire_energy_pj_per_output is not None and not (
        math.isfinite(wire_energy_pj_per_output) and wire_energy_pj_per_output >= 0
    ):
        raise CompressError(
            f"--wire-energy-pj-per-output {wire_energy_pj_per_output} must be a finite number >= 0"
        )
    wire = (wire_energy_pj_per_output or 0.0) * weights_produced
    columns: dict[str, float | str] = {
        "circuit_energy_pj": float(circuit_energy_pj),
        "circuit_energy_note": WIRING_ONLY_NOTE if circuit_energy_pj == 0 else "",
    }
    if wire_energy_pj_per_output is not None:
        columns["wire_energy_pj"] = wire
    without = memory_fetch_energy_pj(counts.inputs_and_outputs, bytes_per_weight, levels=levels)
    inputs = memory_fetch_energy_pj(counts.inputs, bytes_per_weight, levels=levels)
    for level, fetch_all in without.items():
        with_circuit = inputs[level] + circuit_energy_pj + wire
        columns[f"fetch_inputs_and_outputs_without_circuit_{level}_pj"] = fetch_all
        columns[f"fetch_inputs_plus_circuit_{level}_pj"] = with_circuit
        columns[f"energy_saved_per_inference_{level}_pj"] = fetch_all - with_circuit
        columns[f"energy_ratio_without_over_with_circuit_{level}"] = (
            fetch_all / with_circuit if with_circuit > 0 else math.nan
        )
    return columns


def format_circuit_energy(energy_pj: float) -> str:
    """``0 pJ (wiring only: ...)`` for a free circuit, else the energy with its unit."""
    if energy_pj == 0:
        return f"0 pJ ({WIRING_ONLY_NOTE})"
    return f"{format_pj(energy_pj)} pJ"


def format_saving(without_pj: float, with_pj: float) -> str:
    """The saving of one level in words: ``ratio ×`` or, with a free configuration, the fetch
    energy avoided (a ratio to 0 would be infinite)."""
    if with_pj <= 0:
        return f"fetch energy avoided: {format_pj(without_pj)} pJ"
    return f"{format_pj(without_pj - with_pj)} pJ saved (x{format_ratio(without_pj / with_pj)})"


def format_pj(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"


def format_ratio(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"


def result_energy_columns(
    circuit_energy_pj: float,
    combinations: Sequence,
    shapes: Mapping[str, Sequence[int]],
    *,
    input_count: int,
    weights_produced: int,
    wire_energy_pj_per_output: float | None = None,
) -> dict[str, float | str | int]:
    """Everything a result row says about energy: the fetch counts of both configurations
    (``weights_fetched_with_circuit``, ``weights_fetched_without_circuit``) and
    :func:`configuration_energy_columns`."""
    counts = fetch_counts(combinations, shapes, input_count=input_count)
    return {
        "weights_fetched_with_circuit": counts.inputs,
        "weights_fetched_without_circuit": counts.inputs_and_outputs,
        **configuration_energy_columns(
            circuit_energy_pj,
            counts,
            weights_produced,
            wire_energy_pj_per_output=wire_energy_pj_per_output,
        ),
    }
