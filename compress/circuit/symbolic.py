"""SymPy export: one exact expression per distinct output pin, in the inputs ``in_<i>`` (and ``item``).

The int8 wrap-around is written as ``wrap8(x)`` = ``Mod(x + 128, 256) − 128``; arithmetic right
shifts are ``floor(x / 2**k)`` (exact for two's complement), ``~x`` is ``−x − 1``. The bitwise
AND/OR/XOR have no closed integer form, so they are SymPy functions ``bit_and`` … that evaluate
when their arguments are integers. Substituting integer inputs into an expression therefore
gives the circuit's int8 output, which the tests use to check the export against the engine.

Gates read by more than one gate or output are kept as symbols ``g<pin>`` with their own
definition, so the expressions stay linear in the circuit's size instead of exponential.
"""

from __future__ import annotations

import sympy

from compress.circuit.chromosome import ID_FUNCTION, LEFT_SHIFTS, RIGHT_SHIFTS, Circuit
from compress.energy.functions import DEMUX_ID, FUNCTION_NAMES, MUX_ID


def wrap8(value: sympy.Expr) -> sympy.Expr:
    return sympy.Mod(value + 128, 256) - 128


def _bitwise(name: str, operation):
    def evaluate(cls, a, b):
        if a.is_Integer and b.is_Integer:
            return sympy.Integer(operation(int(a), int(b)))
        return None

    return type(name, (sympy.Function,), {"nargs": 2, "eval": classmethod(evaluate)})


BIT_AND = _bitwise(FUNCTION_NAMES[8], lambda a, b: a & b)
BIT_OR = _bitwise(FUNCTION_NAMES[9], lambda a, b: a | b)
BIT_XOR = _bitwise(FUNCTION_NAMES[10], lambda a, b: a ^ b)
ITEM = sympy.Symbol("item", integer=True, nonnegative=True)


def input_symbol(index: int) -> sympy.Symbol:
    return sympy.Symbol(f"in_{index}", integer=True)


def _gate(circuit: Circuit, function_id: int, ops: list[sympy.Expr], k: int) -> sympy.Expr:
    a = ops[0] if ops else sympy.Integer(0)
    b = ops[1] if len(ops) > 1 else sympy.Integer(0)
    selector = ITEM if circuit.selector_bits else sympy.Integer(0)
    if function_id == ID_FUNCTION:
        return ops[circuit.id_operand(k, len(ops))]
    if function_id == DEMUX_ID:
        return sympy.Piecewise((a, sympy.Eq(selector, k)), (0, True))
    if function_id == MUX_ID:
        if len(ops) == 1:
            return a
        choices = [
            (op, sympy.Eq(sympy.Mod(selector, circuit.arity), r)) for r, op in enumerate(ops)
        ]
        return sympy.Piecewise(*choices, (0, True))
    if function_id in RIGHT_SHIFTS:
        return sympy.floor(a / 2 ** RIGHT_SHIFTS[function_id])
    if function_id in LEFT_SHIFTS:
        return wrap8(a * 2 ** LEFT_SHIFTS[function_id])
    table = {
        0: lambda: wrap8(127 - a),
        1: lambda: wrap8(a + b),
        2: lambda: wrap8(a - b),
        3: lambda: wrap8(a * b),
        4: lambda: wrap8(-a),
        5: lambda: wrap8(a - 128),
        8: lambda: BIT_AND(a, b),
        9: lambda: BIT_OR(a, b),
        10: lambda: BIT_XOR(a, b),
        11: lambda: -a - 1,
        13: lambda: wrap8(a + 1),
        14: lambda: wrap8(a - 1),
        22: lambda: sympy.Integer(1),
        23: lambda: sympy.Integer(-1),
        24: lambda: sympy.Integer(0),
        25: lambda: sympy.Integer(circuit.value_min),
        26: lambda: sympy.Integer(circuit.value_max),
    }
    return table[function_id]()


def sympy_expressions(
    circuit: Circuit,
) -> tuple[dict[sympy.Symbol, sympy.Expr], dict[int, sympy.Expr]]:
    """(shared definitions ``g<pin>`` → expression, output pin → expression).

    The definitions are in evaluation order: each uses only inputs and earlier definitions.
    """
    values: dict[int, sympy.Expr] = {
        p: input_symbol(p) for p in circuit.used_pins if p < circuit.input_count
    }
    shared: dict[sympy.Symbol, sympy.Expr] = {}
    output_pins = set(circuit.outputs)
    for index in circuit.active_nodes:
        node = circuit.nodes[index]
        ops = [values[p] for p in circuit.operands(node)]
        for pin in circuit.node_pins(index):
            expression = _gate(circuit, node.function, ops, circuit.pin_index(pin))
            reused = circuit.fanout.get(pin, 0) > 1 and pin not in output_pins
            if reused and not expression.is_Atom:
                symbol = sympy.Symbol(f"g{pin}", integer=True)
                shared[symbol] = expression
                expression = symbol
            values[pin] = expression
    outputs = {pin: values[pin] for pin in dict.fromkeys(circuit.outputs)}
    return shared, outputs


def evaluate_outputs(circuit: Circuit, inputs: list[int], item: int = 0) -> list[int]:
    """The circuit's outputs for one item, by substituting into the SymPy expressions."""
    shared, outputs = sympy_expressions(circuit)
    values: dict[sympy.Symbol, sympy.Integer] = {
        input_symbol(i): sympy.Integer(v) for i, v in enumerate(inputs)
    }
    values[ITEM] = sympy.Integer(item)
    for symbol, expression in shared.items():
        values[symbol] = expression.xreplace(values)
    by_pin = {pin: int(expression.xreplace(values)) for pin, expression in outputs.items()}
    return [by_pin[pin] for pin in circuit.outputs]


def to_sympy_text(
    circuit: Circuit, *, name: str = "circuit", header: list[str] | None = None
) -> str:
    """A readable listing: shared definitions, then one expression per distinct output pin."""
    shared, outputs = sympy_expressions(circuit)
    lines = [f"# {line}" for line in header or []]
    lines.append(
        f"# {name}: wrap8(x) = Mod(x + 128, 256) - 128; bit_and/bit_or/bit_xor are the int8 "
        "bitwise operations; in_<i> are the inputs"
        + (", item the dataset item index" if circuit.selector_bits else "")
    )
    for symbol, expression in shared.items():
        lines.append(f"{symbol} = {sympy.sstr(expression)}")
    by_pin: dict[int, list[int]] = {}
    for k, pin in enumerate(circuit.outputs):
        by_pin.setdefault(pin, []).append(k)
    for pin, expression in outputs.items():
        ks = by_pin[pin]
        shown = ", ".join(str(k) for k in ks[:16]) + (
            f", … ({len(ks)} outputs)" if len(ks) > 16 else ""
        )
        lines.append(f"out[{shown}] = {sympy.sstr(expression)}")
    return "\n".join(lines) + "\n"
