"""The engine's integer gate costs and the 5-column ``gate_parameters.txt`` (engine spec §3.4, §6.1).

The engine selects circuits by *quantized* energy and delay, summed in uint64 over the active
gates, so two properties matter and are checked here rather than hoped for:

* **no overflow** – a gate's cost is scaled so that the costliest gate repeated over every node
  that can contribute (rows·cols nodes for energy, one node per column for the delay of a path)
  sums to at most ``2**bits − 2``; the top value stays free for the engine's "nan" sentinel;
* **faithful order** – gates with different real costs get different integers, in the same
  order, and equal costs get equal integers.

Scaling is linear with no offset, ``q(x) = floor(x · (2**bits − 2) / (max · N))``. The original
subtracted ``min · N`` first, which makes single-gate values negative whenever the cheapest gate
is not free and breaks additivity (a sum of shifted values is not a shifted sum); with the
wiring gates at 0 pJ its offset was 0 anyway. The bit width follows the original's rule (the
smallest of 8/16/32/64 whose step is below 1e-12 of the unit), extended by the order check;
for any realistic table this is 64 bits. The arithmetic is exact (fractions), so no rounding
of doubles can push a sum past the limit.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from math import floor
from pathlib import Path

from compress.atomic import write_text_atomic
from compress.energy.functions import (
    BASE_FUNCTION_COUNT,
    DEMUX_NAMES,
    FUNCTION_NAMES,
    MUX_NAMES,
)
from compress.energy.gates import Gate, GateTable
from compress.errors import CompressError

BIT_WIDTHS = (8, 16, 32, 64)
STEP_LIMIT = Fraction(1, 10**12)
"""The original's resolution criterion: one quantum must be finer than 1e-12 of the unit."""

MUX_FUNCTION_COUNT = 29
"""``function_count`` that makes the engine read MUX/DEMUX lines after the 27 base lines."""


@dataclass(frozen=True)
class Quantization:
    """Integer costs for one quantity (energy or delay) and the scale that produced them."""

    values: tuple[int, ...]
    bits: int
    grid_size: int
    unit_per_quantum: float
    """Real units (pJ or ns) one quantum stands for: multiply a quantized sum by it."""

    @property
    def quant_max(self) -> int:
        return 2**self.bits - 2


def quantize(costs: Sequence[float], grid_size: int) -> Quantization:
    """Map non-negative ``costs`` to integers whose sum over ``grid_size`` gates fits in uint64.

    Raises :class:`CompressError` if even 64 bits cannot keep distinct costs distinct (only
    possible for absurd grids or costs differing in the 17th significant digit).
    """
    if grid_size < 1:
        raise CompressError(f"grid size {grid_size} must be at least 1 (rows·cols or cols)")
    exact = [Fraction(float(c)) for c in costs]
    if any(c < 0 for c in exact):
        raise CompressError("gate costs must be non-negative")
    top = max(exact, default=Fraction(0))
    if top == 0:
        return Quantization(tuple(0 for _ in exact), BIT_WIDTHS[0], grid_size, 0.0)
    span = top * grid_size
    for bits in BIT_WIDTHS:
        quant_max = 2**bits - 2
        if span / quant_max >= STEP_LIMIT and bits != BIT_WIDTHS[-1]:
            continue
        values = tuple(floor(c * quant_max / span) for c in exact)
        if _order_preserved(exact, values):
            return Quantization(values, bits, grid_size, float(span / quant_max))
    raise CompressError(
        f"cannot quantize the gate costs for a grid of {grid_size} gates without merging distinct "
        "costs; use a smaller grid or round the table's values"
    )


def _order_preserved(exact: Sequence[Fraction], values: Sequence[int]) -> bool:
    pairs = sorted(zip(exact, values, strict=True))
    for (c1, q1), (c2, q2) in zip(pairs, pairs[1:], strict=False):
        if (c1 == c2) != (q1 == q2):
            return False
    return True


def parameter_gates(table: GateTable, function_count: int) -> list[Gate]:
    """The gates in the line order the engine reads for ``function_count``.

    * ``function_count`` ≤ 28: one line per id ``0 … function_count−1`` (id 27 is ``mux_2to1``).
    * ``function_count`` = 29: the 27 base lines, then every MUX width and every DEMUX width,
      **grouped**: ``mux_2to1, mux_4to1, mux_8to1, mux_16to1, demux_2to1, …, demux_16to1``
      (35 lines) – the layout of the original's Python and of existing experiment folders. This
      engine reads a 35-line file by position (MUX of width 2**b on line 27+b−1, DEMUX on line
      31+b−1, b from the dataset size; ``cgp/src/model.cpp``), so the pair always matches. The
      original engine read those lines alternately as MUX/DEMUX and paired them wrongly; that
      reader defect is not reproduced, and the layout stays the one old folders already have.
    """
    if function_count < 1 or function_count > MUX_FUNCTION_COUNT:
        raise CompressError(
            f"function_count {function_count} is not supported; use 1–{BASE_FUNCTION_COUNT} "
            f"(no multiplexers) or {MUX_FUNCTION_COUNT} (with MUX/DEMUX)"
        )
    if function_count <= BASE_FUNCTION_COUNT:
        return [table.by_name(name) for name in FUNCTION_NAMES[:function_count]]
    if function_count == BASE_FUNCTION_COUNT + 1:
        return [*table.base_gates(), _mux_gate(table, MUX_NAMES[0])]
    return [*table.base_gates(), *(_mux_gate(table, name) for name in MUX_NAMES + DEMUX_NAMES)]


def _mux_gate(table: GateTable, name: str) -> Gate:
    if not table.has(name):
        where = f" {table.path}" if table.path else ""
        raise CompressError(
            f"gate table{where} has no {name!r} row; MUX/DEMUX (function_count 29) need rows for "
            f"{', '.join(MUX_NAMES + DEMUX_NAMES)}"
        )
    return table.by_name(name)


@dataclass(frozen=True)
class GateParameters:
    """What ``gate_parameters.txt`` holds, line by line, with the scales used."""

    gates: tuple[Gate, ...]
    energy: Quantization
    delay: Quantization


def gate_parameters(
    table: GateTable, *, rows: int, cols: int, function_count: int = BASE_FUNCTION_COUNT
) -> GateParameters:
    """Quantize ``table`` for a ``rows × cols`` grid (energy over rows·cols, delay over cols)."""
    if rows < 1 or cols < 1:
        raise CompressError(f"grid {rows}x{cols} is invalid; rows and cols must be at least 1")
    gates = parameter_gates(table, function_count)
    energy = quantize([g.energy_pj for g in gates], rows * cols)
    delay = quantize([g.delay_ns for g in gates], cols)
    return GateParameters(tuple(gates), energy, delay)


def format_gate_parameters_txt(parameters: GateParameters) -> str:
    """``{quantized_energy} {energy} {area} {quantized_delay} {delay}`` per line."""
    lines = [
        f"{qe} {gate.energy_pj!r} {gate.area_um2!r} {qd} {gate.delay_ns!r}"
        for gate, qe, qd in zip(
            parameters.gates, parameters.energy.values, parameters.delay.values, strict=True
        )
    ]
    return "\n".join(lines) + "\n"


CSV_COLUMNS = (
    "line",
    "function_id",
    "name",
    "energy_pj",
    "delay_ns",
    "area_um2",
    "quantized_energy",
    "quantized_delay",
    "energy_pj_per_quantum",
    "delay_ns_per_quantum",
    "source",
)


def format_gate_parameters_csv(parameters: GateParameters) -> str:
    """The companion CSV: the same lines with names, units and the quantum sizes."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for line, (gate, qe, qd) in enumerate(
        zip(parameters.gates, parameters.energy.values, parameters.delay.values, strict=True),
        start=1,
    ):
        writer.writerow(
            [
                line,
                gate.function_id,
                gate.name,
                repr(gate.energy_pj),
                repr(gate.delay_ns),
                repr(gate.area_um2),
                qe,
                qd,
                repr(parameters.energy.unit_per_quantum),
                repr(parameters.delay.unit_per_quantum),
                gate.source,
            ]
        )
    return buffer.getvalue()


def write_gate_parameters(
    table: GateTable,
    txt_path: Path | str,
    csv_path: Path | str,
    *,
    rows: int,
    cols: int,
    function_count: int = BASE_FUNCTION_COUNT,
) -> GateParameters:
    """Write the engine's ``gate_parameters.txt`` and its ``gate_parameters.csv``, atomically.

    Returns what was written so callers can report the scales.
    """
    parameters = gate_parameters(table, rows=rows, cols=cols, function_count=function_count)
    write_text_atomic(Path(csv_path), format_gate_parameters_csv(parameters))
    write_text_atomic(Path(txt_path), format_gate_parameters_txt(parameters))
    return parameters


UNKNOWN_QUANTIZED = 2**64 - 1
"""What an ``inf`` quantized cost (the original's "unknown") reads as: never cheap."""


def _quantized(token: str) -> int:
    return UNKNOWN_QUANTIZED if token.lower() in ("inf", "+inf") else int(token)


@dataclass(frozen=True)
class ParameterLine:
    quantized_energy: int
    energy_pj: float
    area_um2: float
    quantized_delay: int
    delay_ns: float


def read_gate_parameters(path: Path | str) -> list[ParameterLine]:
    """Parse a 5-column ``gate_parameters.txt`` (ours or the original's; ``inf`` allowed)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise CompressError(f"cannot read gate parameters {path}: {error.strerror}") from error
    lines: list[ParameterLine] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        fields = raw.split()
        if len(fields) != 5:
            raise CompressError(f"{path}:{number}: {len(fields)} fields, expected 5")
        try:
            qe, qd = _quantized(fields[0]), _quantized(fields[3])
            energy, area, delay = float(fields[1]), float(fields[2]), float(fields[4])
        except ValueError:
            raise CompressError(f"{path}:{number}: not a gate-parameter line: {raw!r}") from None
        if not (0 <= qe < 2**64 and 0 <= qd < 2**64):
            raise CompressError(f"{path}:{number}: quantized values must fit in uint64")
        lines.append(ParameterLine(qe, energy, area, qd, delay))
    return lines
