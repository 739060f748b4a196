"""C99 export: ``void <name>(const int8_t in[N_IN], int8_t out[N_OUT])`` (``, int item`` when
``dataset_size`` > 1), free of undefined and implementation-defined behaviour.

Every gate value is a ``uint8_t`` holding the int8 bit pattern; arithmetic is done in
``unsigned`` (defined wrap-around, no signed overflow), arithmetic right shifts are written
with an explicit sign fill (``>>`` of a negative signed value is implementation-defined), and
the outputs are converted back to ``int8_t`` by value (an out-of-range unsigned→signed
conversion is implementation-defined too). ``item`` values outside ``0 … dataset_size−1`` are
reduced as the Verilog export does (see :mod:`compress.circuit.verilog`).
"""

from __future__ import annotations

from compress.circuit.chromosome import (
    BINARY_OPERATORS,
    ID_FUNCTION,
    LEFT_SHIFTS,
    RIGHT_SHIFTS,
    Circuit,
    function_name,
)
from compress.circuit.costs import CircuitCost
from compress.circuit.verilog import header_lines, identifier
from compress.energy.functions import DEMUX_ID, MUX_ID

_HELPERS = """\
static inline uint8_t tc_sar(uint8_t a, unsigned k)
{
    /* arithmetic right shift of the int8 pattern a: shift, then fill with the sign bit */
    unsigned fill = (a & 0x80u) ? (0xFFu << (8u - k)) : 0u;
    return (uint8_t)(((unsigned)a >> k) | fill);
}

static inline int8_t tc_int8(uint8_t v)
{
    /* the int8 whose two's-complement pattern is v, by value (no implementation-defined cast) */
    return v < 128u ? (int8_t)v : (int8_t)((int)v - 256);
}
"""


def _pin(circuit: Circuit, pin: int) -> str:
    return f"i{pin}" if pin < circuit.input_count else f"g{pin}"


def _expression(circuit: Circuit, function_id: int, operands: list[str], k: int) -> str:
    a = operands[0] if operands else "0u"
    if function_id == ID_FUNCTION:
        return operands[circuit.id_operand(k, len(operands))]
    if function_id == DEMUX_ID:
        if circuit.selector_bits == 0:
            return a if k == 0 else "0u"
        return f"(sel == {k}u) ? {a} : 0u"
    if function_id == MUX_ID:
        if circuit.selector_bits == 0 or len(operands) == 1:
            return a
        cases = [f"(sel % {circuit.arity}u == {r}u) ? {v}" for r, v in enumerate(operands)]
        return " : ".join(cases) + " : 0u"
    if function_id in BINARY_OPERATORS:
        b = operands[1] if len(operands) > 1 else "0u"
        return f"(unsigned){a} {BINARY_OPERATORS[function_id]} (unsigned){b}"
    if function_id in RIGHT_SHIFTS:
        return f"tc_sar({a}, {RIGHT_SHIFTS[function_id]}u)"
    if function_id in LEFT_SHIFTS:
        return f"(unsigned){a} << {LEFT_SHIFTS[function_id]}"
    simple = {
        0: f"127u - (unsigned){a}",
        4: f"0u - (unsigned){a}",
        5: f"(unsigned){a} ^ 0x80u",
        11: f"~(unsigned){a}",
        13: f"(unsigned){a} + 1u",
        14: f"(unsigned){a} - 1u",
        22: "1u",
        23: "0xFFu",
        24: "0u",
        25: f"{circuit.value_min & 0xFF}u",
        26: f"{circuit.value_max & 0xFF}u",
    }
    return simple[function_id]


def signature(circuit: Circuit, name: str) -> str:
    item = ", int item" if circuit.selector_bits else ""
    return (
        f"void {identifier(name)}(const int8_t in[{circuit.input_count}], "
        f"int8_t out[{circuit.output_count}]{item})"
    )


def to_c(
    circuit: Circuit, *, name: str = "circuit", cost: CircuitCost | None = None, source: str = ""
) -> str:
    """A self-contained C99 translation unit defining the circuit's function."""
    lines = ["/*"]
    lines += [" * " + line for line in header_lines(circuit, cost, source or "a chromosome")]
    lines += [" */", "#include <stdint.h>", "", _HELPERS]
    lines.append(signature(circuit, name))
    lines.append("{")
    if circuit.selector_bits:
        selecting = any(
            circuit.nodes[i].function in (MUX_ID, DEMUX_ID) for i in circuit.active_nodes
        )
        if selecting:
            # The item index as the hardware sees it: S bits of the item number.
            mask = (1 << circuit.selector_bits) - 1
            lines.append(f"    const unsigned sel = (unsigned)item & {mask}u;")
        else:
            lines.append("    (void)item;  /* no active MUX/DEMUX reads the item index */")
    for pin in sorted(p for p in circuit.used_pins if p < circuit.input_count):
        lines.append(f"    const uint8_t i{pin} = (uint8_t)in[{pin}];")
    for index in circuit.active_nodes:
        node = circuit.nodes[index]
        operands = [_pin(circuit, p) for p in circuit.operands(node)]
        for pin in circuit.node_pins(index):
            k = circuit.pin_index(pin)
            expression = _expression(circuit, node.function, operands, k)
            lines.append(
                f"    const uint8_t g{pin} = (uint8_t)({expression});"
                f"  /* {function_name(node.function)}, node {index} */"
            )
    for k, pin in enumerate(circuit.outputs):
        lines.append(f"    out[{k}] = tc_int8({_pin(circuit, pin)});")
    if not any(p < circuit.input_count for p in circuit.used_pins):
        lines.append("    (void)in;  /* the circuit reads no input */")
    lines.append("}")
    return "\n".join(lines) + "\n"
