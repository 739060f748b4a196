"""Verilog export: one synthesisable, purely combinational module per circuit.

Interface (fixed, so testbenches and other tools can rely on it)::

    module <name> (input wire [8*N_IN-1:0] in, [input wire [S-1:0] item,] output wire [8*N_OUT-1:0] out);

``in[8*i +: 8]`` is input *i*, ``out[8*k +: 8]`` output *k*, both two's-complement int8;
``item`` (only when ``dataset_size`` > 1, S = bits of ``dataset_size − 1``) is the dataset item
index that drives MUX/DEMUX. Every wire is an unsigned 8-bit vector holding the int8 bit
pattern, and every gate is written with explicit bit slicing (sign-replicating right shifts,
zero-filling left shifts) so that its meaning does not depend on Verilog's signedness rules:
8-bit assignments give the engine's wrap-around for +, −, × and negation.
Only active gates are emitted, one named wire per used output pin (``g<pin>``, the pin
number the chromosome's ``[id]`` shows), inputs as ``i<index>``.
"""

from __future__ import annotations

import re

from compress.circuit.chromosome import (
    BINARY_OPERATORS,
    ID_FUNCTION,
    LEFT_SHIFTS,
    RIGHT_SHIFTS,
    Circuit,
    function_name,
)
from compress.circuit.costs import CircuitCost
from compress.energy.functions import DEMUX_ID, MUX_ID

_CONSTANTS = {22: 1, 23: -1, 24: 0}
CHROMOSOME_LINE = 96
"""Characters of the chromosome per header line: Icarus Verilog's scanner cannot take a 100 kB
comment line (a 256 x 31 chromosome), and short lines read better anyway."""


def identifier(text: str) -> str:
    """A legal Verilog/C identifier made from ``text`` (module and function names)."""
    name = re.sub(r"[^A-Za-z0-9_]", "_", text) or "circuit"
    return name if re.match(r"[A-Za-z_]", name) else f"c_{name}"


def pin_name(circuit: Circuit, pin: int) -> str:
    return f"i{pin}" if pin < circuit.input_count else f"g{pin}"


def hex8(value: int) -> str:
    return f"8'h{value & 0xFF:02x}"


def selector_condition(circuit: Circuit, arity: int, residue: int) -> str:
    """``item mod arity == residue`` as Verilog: a bit slice for powers of two, else the item
    values listed (S is small, and a literal modulus would make Yosys build a divider)."""
    bits = circuit.selector_bits
    if arity & (arity - 1) == 0:
        width = arity.bit_length() - 1
        selector = f"item[{width - 1}:0]" if width < bits else "item"
        return f"{selector} == {residue}"
    values = [v for v in range(1 << bits) if v % arity == residue]
    return " || ".join(f"item == {bits}'d{v}" for v in values)


def gate_expression(circuit: Circuit, function_id: int, operands: list[str], k: int) -> str:
    """The value of output pin ``k`` of a gate whose used inputs are named ``operands``."""
    a = operands[0] if operands else "8'h00"
    if function_id == ID_FUNCTION:
        return operands[circuit.id_operand(k, len(operands))]
    if function_id == DEMUX_ID:
        if circuit.selector_bits == 0:
            return a if k == 0 else "8'h00"
        if k >= 1 << circuit.selector_bits:
            return "8'h00"
        return f"(item == {circuit.selector_bits}'d{k}) ? {a} : 8'h00"
    if function_id == MUX_ID:
        if circuit.selector_bits == 0 or len(operands) == 1:
            return a
        # Item values the engine never applies (≥ dataset_size) may select an input the engine
        # does not read; those give 0, as a gate with a missing input would.
        residues = range(min(circuit.arity, 1 << circuit.selector_bits))

        def chosen(r: int) -> str:
            return operands[r] if r < len(operands) else "8'h00"

        choice = chosen(residues[-1])
        for r in reversed(residues[:-1]):
            choice = f"({selector_condition(circuit, circuit.arity, r)}) ? {chosen(r)} : {choice}"
        return choice
    if function_id in BINARY_OPERATORS:
        b = operands[1] if len(operands) > 1 else "8'h00"
        return f"{a} {BINARY_OPERATORS[function_id]} {b}"
    if function_id in RIGHT_SHIFTS:
        s = RIGHT_SHIFTS[function_id]
        return f"{{{{{s}{{{a}[7]}}}}, {a}[7:{s}]}}"
    if function_id in LEFT_SHIFTS:
        s = LEFT_SHIFTS[function_id]
        return f"{{{a}[{7 - s}:0], {s}'b0}}"
    simple = {
        0: f"8'h7f - {a}",
        4: f"-{a}",
        5: f"{{~{a}[7], {a}[6:0]}}",
        11: f"~{a}",
        13: f"{a} + 8'h01",
        14: f"{a} - 8'h01",
        25: hex8(circuit.value_min),
        26: hex8(circuit.value_max),
    }
    if function_id in simple:
        return simple[function_id]
    return hex8(_CONSTANTS[function_id])


def header_lines(circuit: Circuit, cost: CircuitCost | None, source: str) -> list[str]:
    """The facts every export states first: source, sizes, gate count and the table's cost."""
    lines = [
        f"Exported from {source} by TorchCompresser (circuit:export).",
        "Chromosome (wrapped; join the lines to get it back):",
        *(
            circuit.text[i : i + CHROMOSOME_LINE]
            for i in range(0, len(circuit.text), CHROMOSOME_LINE)
        ),
        f"Grid {circuit.rows} rows x {circuit.cols} columns, arity {circuit.arity}, "
        f"levels-back {circuit.look_back}, function output arity {circuit.output_arity}, "
        f"dataset_size {circuit.dataset_size}; {circuit.input_count} inputs, "
        f"{circuit.output_count} outputs (int8).",
        f"Active gates: {circuit.gate_count} (ID and constants included).",
    ]
    if cost is not None:
        counts = ", ".join(f"{name} {n}" for name, n in cost.gates_by_function.items())
        lines += [
            f"Gate-table estimate ({cost.source}): energy {cost.energy_pj:.6g} pJ per evaluation, "
            f"area {cost.area_um2:.6g} um2 (sum over active gates; ID free; wiring, "
            "fan-out and the item decoder not included).",
            f"Gates by function: {counts}.",
        ]
    return lines


def to_verilog(
    circuit: Circuit, *, name: str = "circuit", cost: CircuitCost | None = None, source: str = ""
) -> str:
    """The module text (see the module docstring for the interface)."""
    name = identifier(name)
    out: list[str] = [
        "// " + line for line in header_lines(circuit, cost, source or "a chromosome")
    ]
    out.append("`timescale 1ns/1ps")
    out.append("`default_nettype none")
    ports = [f"    input wire [{8 * circuit.input_count - 1}:0] in"]
    if circuit.selector_bits:
        ports.append(f"    input wire [{circuit.selector_bits - 1}:0] item")
    ports.append(f"    output wire [{8 * circuit.output_count - 1}:0] out")
    out.append(f"module {name} (")
    out.append(",\n".join(ports))
    out.append(");")
    for pin in sorted(p for p in circuit.used_pins if p < circuit.input_count):
        out.append(f"    wire [7:0] i{pin} = in[{8 * pin + 7}:{8 * pin}];")
    for index in circuit.active_nodes:
        node = circuit.nodes[index]
        operands = [pin_name(circuit, p) for p in circuit.operands(node)]
        row, col = index % circuit.rows, index // circuit.rows
        for pin in circuit.node_pins(index):
            k = circuit.pin_index(pin)
            expression = gate_expression(circuit, node.function, operands, k)
            where = f"node {index} (col {col}, row {row})" + (f" pin {k}" if k else "")
            out.append(
                f"    wire [7:0] g{pin} = {expression};  // {function_name(node.function)}, {where}"
            )
    for k, pin in enumerate(circuit.outputs):
        out.append(f"    assign out[{8 * k + 7}:{8 * k}] = {pin_name(circuit, pin)};")
    out.append("endmodule")
    out.append("`default_nettype wire")
    return "\n".join(out) + "\n"
